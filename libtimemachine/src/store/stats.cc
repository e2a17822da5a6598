// Statistics and verification.
#include <algorithm>
#include <map>

#include "block/block.h"
#include "query/plan.h"
#include "store/store_impl.h"

namespace coop::tm {

store_stats store::stats() const {
  store_stats st;
  st.disk_budget_bytes = impl_->opts.disk_budget_bytes;
  st.committed_batch = impl_->committed.load();
  {
    std::lock_guard lock(impl_->ingest_mu);
    st.appended = impl_->appended;
    st.kept = impl_->kept;
    st.dropped = impl_->dropped;
    st.pending_events = impl_->pending_events;
    st.cutoff_dropped = impl_->reduce->cutoff_dropped();
    for (const auto& c : impl_->reduce->counters()) {
      if (c.dropped > 0) st.rule_drops.emplace_back(c.line, c.dropped);
    }
  }
  std::vector<std::shared_ptr<detail::partition>> open;
  {
    std::shared_lock lock(impl_->parts_mu);
    st.problems = impl_->problems;
    for (const auto& [cls, p] : impl_->current) open.push_back(p);
  }
  auto rules = this->rules();
  std::map<std::string, class_stats> classes;
  for (const auto& c : rules.classes()) {
    class_stats cs;
    cs.name = c.name;
    cs.budget_bytes = c.budget_bytes;
    for (const auto& t : rules.tiers_of(c.name).tiers) {
      cs.tiers.emplace_back();
      cs.tiers.back().tier = t.name;
    }
    classes[c.name] = std::move(cs);
  }
  for (const auto& p : impl_->snapshot()) {
    auto m = p->meta();
    std::uint64_t bytes = p->file_bytes();
    st.bytes += bytes;
    auto& cs = classes[m.class_name];
    if (cs.name.empty()) cs.name = m.class_name;
    auto it = std::find_if(cs.tiers.begin(), cs.tiers.end(),
                           [&](const tier_stats& t) { return t.tier == m.tier; });
    if (it == cs.tiers.end()) {
      cs.tiers.emplace_back();
      cs.tiers.back().tier = m.tier;
      it = cs.tiers.end() - 1;
    }
    if (m.tier == "raw" && !m.packed && m.complete && m.blocks > 0 &&
        std::find(open.begin(), open.end(), p) == open.end()) {
      ++st.uncompacted_sealed;
    }
    ++it->partitions;
    it->bytes += bytes;
    it->events += m.events;
    it->rows += m.rows;
    if (m.rows > 0 && (!it->oldest || m.min_ts < it->oldest->ns)) it->oldest = model::timestamp{m.min_ts};
  }
  st.bytes += impl_->meta_env.file_bytes();
  for (auto& [name, cs] : classes) st.classes.push_back(std::move(cs));
  return st;
}

model::result<std::vector<std::string>> store::verify() const {
  std::vector<std::string> problems;
  {
    std::shared_lock lock(impl_->parts_mu);
    problems = impl_->problems;  // partitions that could not be opened, etc.
  }
  detail::scan_scratch scratch;
  auto types = impl_->types_snapshot();
  for (const auto& p : impl_->snapshot()) {
    auto sums = p->summaries(&problems);
    if (!sums) {
      problems.push_back(sums.err().message);
      continue;
    }
    p->verify_index(problems);
    auto m = p->meta();
    if (sums->size() != m.blocks) {
      problems.push_back(p->dir().string() + ": info says " + std::to_string(m.blocks) +
                         " blocks, summaries hold " + std::to_string(sums->size()));
    }
    std::shared_ptr<const model::registry> reg = types;
    if (m.tier != "raw") {
      auto schemas = p->schemas();
      if (!schemas) {
        problems.push_back(schemas.err().message);
        continue;
      }
      auto r = std::make_shared<model::registry>();
      for (auto& s : *schemas) (void)r->add(std::move(s));
      reg = r;
    }
    detail::plan pl;
    pl.now = impl_->now();
    detail::tier_filter tf;
    tf.types = reg;
    tf.match = model::filter::compile("T", *reg).value();
    tf.usable = true;
    pl.tiers.push_back(std::move(tf));
    for (const auto& b : *sums) {
      detail::candidate c{p, b.number, b.min_ts, b.max_ts, b.records, b.stored_bytes, 0, {}};
      std::uint32_t seen = 0;
      scratch.raw.clear();
      detail::scan_block(pl, c, scratch, problems,
                         [&](const model::event&) { ++seen; });
      if (seen != b.records && scratch.raw.size() > 0) {
        // scan_block already reported the damaged records; note the count.
        if (seen < b.records) {
          problems.push_back(p->dir().string() + " block #" + std::to_string(b.number) + ": " +
                             std::to_string(b.records - seen) + " of " +
                             std::to_string(b.records) + " records unreadable");
        }
      }
    }
  }
  return problems;
}

}  // namespace coop::tm
