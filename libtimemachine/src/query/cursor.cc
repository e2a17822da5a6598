// The streaming cursor: merges the candidate blocks' matches in time order,
// opening a block only when its time range can hold the next answer, so
// memory stays bounded by the blocks that overlap in time.
#include <algorithm>
#include <map>

#include "query/plan.h"
#include "store/store_impl.h"

namespace coop::tm {
namespace detail {

struct cursor_state {
  static constexpr std::size_t max_spare = 16;
  plan p;
  order sort = order::oldest_first;
  std::uint64_t limit = 0;
  std::uint64_t returned = 0;
  std::size_t next_block = 0;
  struct held {
    model::event e;
    std::size_t tier;
    std::uint64_t seq;  // arrival order, for a stable order among equal times
  };
  std::vector<held> heap;
  std::uint64_t seq = 0;
  model::event current;
  resolution current_res;
  // Events handed out before, kept for their storage: the next match is
  // decoded into one of them, so a lookup does not allocate every event's
  // fields and strings anew.
  std::vector<model::event> spare;
  scan_scratch scratch;
  std::vector<std::string> warnings;

  bool before(const held& a, const held& b) const {
    // Heap comparator: true if a comes out after b.
    if (a.e.ts != b.e.ts) {
      return sort == order::oldest_first ? a.e.ts > b.e.ts : a.e.ts < b.e.ts;
    }
    return a.seq > b.seq;
  }

  void load(const candidate& c) {
    // The match is moved into the heap and the scratch event replaced by
    // a spare one, whose storage the next decode reuses.
    scan_block(p, c, scratch, warnings, [&](model::event& e) {
      heap.push_back(held{std::move(e), c.tier, seq++});
      std::push_heap(heap.begin(), heap.end(),
                     [this](const held& a, const held& b) { return before(a, b); });
      if (!spare.empty()) {
        e = std::move(spare.back());
        spare.pop_back();
      }
    });
  }

  const model::event* next() {
    if (limit != 0 && returned >= limit) return nullptr;
    auto cmp = [this](const held& a, const held& b) { return before(a, b); };
    while (next_block < p.blocks.size()) {
      const candidate& c = p.blocks[next_block];
      if (!heap.empty()) {
        std::int64_t top = heap.front().e.ts.ns;
        bool may_precede = sort == order::oldest_first ? c.min_ts <= top : c.max_ts >= top;
        if (!may_precede) break;
      }
      ++next_block;
      load(c);
    }
    if (heap.empty()) return nullptr;
    std::pop_heap(heap.begin(), heap.end(), cmp);
    std::swap(current, heap.back().e);
    current_res = p.tiers[heap.back().tier].res;
    if (spare.size() < max_spare) spare.push_back(std::move(heap.back().e));
    heap.pop_back();
    ++returned;
    return &current;
  }

  static cursor make(std::unique_ptr<cursor_state> s) { return cursor(std::move(s)); }
};

}  // namespace detail

cursor::cursor(std::unique_ptr<detail::cursor_state> s) : s_(std::move(s)) {}
cursor::cursor(cursor&&) noexcept = default;
cursor& cursor::operator=(cursor&&) noexcept = default;
cursor::~cursor() = default;

model::result<const model::event*> cursor::next() { return s_->next(); }
const resolution& cursor::current_resolution() const noexcept { return s_->current_res; }
const std::vector<std::string>& cursor::warnings() const noexcept { return s_->warnings; }
std::uint64_t cursor::returned() const noexcept { return s_->returned; }

model::result<cursor> store::query(const query_spec& q) const {
  auto p = detail::make_plan(*impl_, q);
  if (!p) return p.err();
  auto s = std::make_unique<detail::cursor_state>();
  s->warnings = p->warnings;
  s->p = std::move(p.value());
  s->sort = q.sort;
  s->limit = q.limit;
  return detail::cursor_state::make(std::move(s));
}

model::result<query_estimate> store::estimate(const query_spec& q) const {
  auto p = detail::make_plan(*impl_, q);
  if (!p) return p.err();
  return p->estimate;
}

model::result<count_result> store::count(const query_spec& q) const {
  auto p = detail::make_plan(*impl_, q);
  if (!p) return p.err();
  count_result out;
  std::map<std::size_t, std::uint64_t> per_tier;
  detail::scan_scratch scratch;
  std::vector<std::string> warnings;
  for (const auto& c : p->blocks) {
    const resolution& res = p->tiers[c.tier].res;
    detail::scan_block(*p, c, scratch, warnings, [&](const model::event& e) {
      std::uint64_t w = detail::weight_of(e, res);
      out.events += w;
      per_tier[c.tier] += w;
    });
  }
  // A tier read with several row layouts (rules changed) is one resolution.
  for (const auto& [t, n] : per_tier) {
    const resolution& res = p->tiers[t].res;
    auto same = std::find_if(out.by_tier.begin(), out.by_tier.end(),
                             [&](const auto& entry) { return entry.first == res; });
    if (same != out.by_tier.end()) {
      same->second += n;
    } else {
      out.by_tier.emplace_back(res, n);
    }
  }
  return out;
}

model::result<std::vector<group_row>> store::group_by(const query_spec& q,
                                                      const std::vector<std::string>& fields) const {
  auto p = detail::make_plan(*impl_, q);
  if (!p) return p.err();
  // Each field must exist in some type the filter can match.
  auto types = p->tiers[0].types;
  for (const auto& f : fields) {
    bool found = false;
    for (const auto& name : p->tiers[0].match.event_types()) {
      auto s = types->find(name);
      if (s && s->index_of(f)) found = true;
    }
    if (!found) {
      return model::error{model::errc::not_found,
                          "group-by field '" + f + "' is in none of the types the filter matches"};
    }
  }
  std::map<std::vector<model::value>, std::uint64_t> groups;
  detail::scan_scratch scratch;
  std::vector<std::string> warnings;
  std::vector<model::value> key;
  for (const auto& c : p->blocks) {
    const resolution& res = p->tiers[c.tier].res;
    detail::scan_block(*p, c, scratch, warnings, [&](const model::event& e) {
      key.clear();
      for (const auto& f : fields) {
        const auto* v = e.get(f);
        key.push_back(v != nullptr ? *v : model::value{});
      }
      groups[key] += detail::weight_of(e, res);
    });
  }
  std::vector<group_row> rows;
  rows.reserve(groups.size());
  for (auto& [k, n] : groups) rows.push_back(group_row{k, n});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const group_row& a, const group_row& b) { return a.events > b.events; });
  return rows;
}

}  // namespace coop::tm
