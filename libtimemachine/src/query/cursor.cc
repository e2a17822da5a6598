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
  plan p;
  order sort = order::oldest_first;
  std::uint64_t limit = 0;
  std::uint64_t returned = 0;
  std::size_t next_block = 0;
  // The heap orders small keys; the events themselves stay in `slots`, so
  // that reordering the heap never moves an event.
  struct held {
    std::int64_t ts;
    std::uint64_t seq;   // load order: equal times come out in stored order
    std::uint32_t slot;  // index into slots
    std::uint32_t tier;
  };
  static constexpr std::uint32_t no_slot = ~std::uint32_t{0};
  std::vector<held> heap;
  std::uint64_t seq = 0;
  // Every event decoded and not yet handed out, plus free ones kept for
  // their storage: a match is swapped into a free slot, and the slot's old
  // event becomes the next decode target, so a lookup does not allocate
  // every event's fields and strings anew.
  std::vector<std::unique_ptr<model::event>> slots;
  std::vector<std::uint32_t> free_slots;
  std::uint32_t current = no_slot;  // the slot handed out by the last next()
  resolution current_res;
  scan_scratch scratch;
  std::vector<std::string> warnings;

  bool before(const held& a, const held& b) const {
    // Heap comparator: true if a comes out after b.
    if (a.ts != b.ts) return sort == order::oldest_first ? a.ts > b.ts : a.ts < b.ts;
    return a.seq > b.seq;
  }

  void load(const candidate& c) {
    scan_block(p, c, scratch, warnings, [&](const model::event& match) {
      std::uint32_t slot;
      if (!free_slots.empty()) {
        slot = free_slots.back();
        free_slots.pop_back();
      } else {
        slot = static_cast<std::uint32_t>(slots.size());
        slots.push_back(std::make_unique<model::event>());
      }
      heap.push_back(held{match.ts.ns, seq++, slot, static_cast<std::uint32_t>(c.tier)});
      std::swap(slots[slot], scratch.event);  // `match` is scratch.event
      std::push_heap(heap.begin(), heap.end(),
                     [this](const held& a, const held& b) { return before(a, b); });
    });
  }

  const model::event* next() {
    if (current != no_slot) {
      free_slots.push_back(current);
      current = no_slot;
    }
    if (limit != 0 && returned >= limit) return nullptr;
    auto cmp = [this](const held& a, const held& b) { return before(a, b); };
    while (next_block < p.blocks.size()) {
      const candidate& c = p.blocks[next_block];
      if (!heap.empty()) {
        std::int64_t top = heap.front().ts;
        bool may_precede = sort == order::oldest_first ? c.min_ts <= top : c.max_ts >= top;
        if (!may_precede) break;
      }
      ++next_block;
      load(c);
    }
    if (heap.empty()) return nullptr;
    std::pop_heap(heap.begin(), heap.end(), cmp);
    current = heap.back().slot;
    current_res = p.tiers[heap.back().tier].res;
    heap.pop_back();
    ++returned;
    return slots[current].get();
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
