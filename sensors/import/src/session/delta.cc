// Hot-list deltas: a list compared with its previous version, so that
// receivers get additions, changes and withdrawals instead of the whole list.
#include <map>
#include <set>
#include <string>
#include <utility>

#include "coop/model/catalogue.h"
#include "session/importer_impl.h"

namespace coop::importer {

namespace model = coop::model;

namespace {

using entry_key = std::pair<std::string, std::string>;  // indicator, indicator_type

bool key_of(const model::event& e, entry_key& key) {
  if (e.type().name() != model::catalogue::indicator) return false;
  const auto* value = e.get("indicator");
  const auto* type = e.get("indicator_type");
  if (value == nullptr || type == nullptr || !value->is<std::string>() ||
      !type->is<model::enum_value>()) {
    return false;
  }
  key = {value->get<std::string>(), type->get<model::enum_value>().label};
  return true;
}

// Keeps the previous version's indicators; problems still reach the user.
class previous_sink final : public sink {
 public:
  explicit previous_sink(sink& real) : real_(real) {}
  model::result<void> on_event(const model::event& e) override {
    entry_key k;
    if (key_of(e, k)) entries.insert_or_assign(std::move(k), e);
    return {};
  }
  void on_problem(const problem& p) override { real_.on_problem(p); }
  std::map<entry_key, model::event> entries;

 private:
  sink& real_;
};

// Passes the current version's new and changed indicators on.
class current_sink final : public sink {
 public:
  current_sink(sink& real, const std::map<entry_key, model::event>& previous, tally& counts)
      : real_(real), previous_(previous), counts_(counts) {}
  model::result<void> on_event(const model::event& e) override {
    entry_key k;
    if (!key_of(e, k)) return real_.on_event(e);
    auto it = previous_.find(k);
    seen.insert(std::move(k));
    if (it != previous_.end() && it->second.fields() == e.fields()) {
      ++counts_.ignored;  // unchanged: nothing to tell
      return {};
    }
    return real_.on_event(e);
  }
  void on_problem(const problem& p) override { real_.on_problem(p); }
  std::set<entry_key> seen;

 private:
  sink& real_;
  const std::map<entry_key, model::event>& previous_;
  tally& counts_;
};

// Points the importer's output at `s` until destroyed.
class redirect {
 public:
  redirect(sink*& slot, sink& s) : slot_(slot), saved_(slot) { slot_ = &s; }
  ~redirect() { slot_ = saved_; }
  redirect(const redirect&) = delete;
  redirect& operator=(const redirect&) = delete;

 private:
  sink*& slot_;
  sink* saved_;
};

}  // namespace

model::result<void> importer::import_delta(const std::filesystem::path& previous,
                                           const std::filesystem::path& current, format f) {
  sink& real = *impl_->out;
  previous_sink before(real);
  {
    // The previous version is only read: its lines are not counted again.
    const summary saved = impl_->sum;
    redirect r(impl_->out, before);
    auto done = import_file(previous, f);
    impl_->sum = saved;
    if (!done) return done;
  }
  tally& counts = impl_->sum.kinds["delta"];
  counts.lines += before.entries.size();
  current_sink after(real, before.entries, counts);
  const std::uint64_t unchanged_before = counts.ignored;
  {
    redirect r(impl_->out, after);
    auto done = import_file(current, f);
    // Unchanged entries were counted as produced; they were not passed on.
    impl_->sum.events[std::string(model::catalogue::indicator)] -= counts.ignored - unchanged_before;
    if (!done) return done;
  }
  auto ctx = impl_->context_for(current.string());
  const model::timestamp now = ctx.now();
  std::uint64_t& indicators = ctx.counter(model::catalogue::indicator);
  for (auto& [key, e] : before.entries) {
    if (after.seen.contains(key)) continue;
    if (auto r = e.set("removed", true); !r) return r;
    e.ts = now;
    if (auto r = ctx.emit(e, counts, indicators); !r) return r;
  }
  return {};
}

}  // namespace coop::importer
