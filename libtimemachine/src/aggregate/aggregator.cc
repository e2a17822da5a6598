// aggregator: accumulating events into the rows of one tier.
#include <algorithm>
#include <bit>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "aggregate/aggregate.h"
#include "aggregate/key.h"
#include "aggregate/sums.h"

namespace coop::tm::detail {

using model::errc;
using model::type_kind;

struct aggregator::plan {
  struct sum_field {
    std::size_t in = 0, out = 0;
    type_kind kind = type_kind::none;
  };
  std::shared_ptr<const model::schema> in;   // keeps the cache key alive
  std::shared_ptr<const model::schema> out;  // held by the registry
  std::uint32_t number = 0;                  // index in plans_
  std::string here;                          // error message prefix
  bool is_row = false;
  std::size_t in_events = 0, in_first = 0, in_last = 0;
  std::vector<std::pair<std::size_t, std::size_t>> keys;  // (in, out), tier order
  std::vector<type_kind> key_kinds;
  // Laid out from `out` alone, so every plan of one row schema agrees.
  std::vector<sum_field> sums;
  std::size_t stride = 0;  // words per row in sums_: the sums, then their set-bits
};

aggregator::aggregator(tier t, model::registry& types)
    : tier_(std::move(t)), types_(&types), names_{std::string()} {}
aggregator::~aggregator() = default;
aggregator::aggregator(aggregator&&) noexcept = default;
aggregator& aggregator::operator=(aggregator&&) noexcept = default;

model::result<const aggregator::plan*> aggregator::plan_for(
    const std::shared_ptr<const model::schema>& s) {
  if (auto it = plan_of_.find(s.get()); it != plan_of_.end()) return it->second;
  auto derived = aggregate_schema(*s, tier_);
  if (!derived) return derived.err();
  auto out = types_->add(std::move(derived.value()));
  if (!out) return out.err();
  auto p = std::make_unique<plan>();
  p->in = s;
  p->out = std::move(out.value());
  p->number = static_cast<std::uint32_t>(plans_.size());
  p->here = "tier " + tier_.name + ", type " + s->name() + ": ";
  p->is_row = is_aggregate_schema(*s);
  if (p->is_row) {
    p->in_events = *s->index_of(events_field);
    p->in_first = *s->index_of(first_seen_field);
    p->in_last = *s->index_of(last_seen_field);
  }
  for (const auto* names : {&tier_.keys, &tier_.sums}) {
    for (const auto& name : *names) {
      auto o = p->out->index_of(name);
      if (!o) continue;
      auto i = s->index_of(name);
      if (!i) {  // the registry holds a row schema this type does not derive
        return {errc::incompatible, p->here + "field " + name + " is in the tier's rows only"};
      }
      if (names == &tier_.keys) {
        p->keys.emplace_back(*i, *o);
        p->key_kinds.push_back((*p->out)[*o].ty.kind());
      } else {
        p->sums.push_back({*i, *o, (*p->out)[*o].ty.kind()});
      }
    }
  }
  p->stride = p->sums.size() + (p->sums.size() + 63) / 64;
  const plan* raw = p.get();
  plans_.push_back(std::move(p));
  plan_of_.emplace(s.get(), raw);
  return raw;
}

namespace {

model::error wrong_kind(const std::string& here, std::string_view what, const std::string& name,
                        type_kind got, type_kind want) {
  return {errc::invalid_argument, here + std::string(what) + " " + name + " holds a " +
                                      std::string(model::to_string(got)) + ", expected " +
                                      std::string(model::to_string(want))};
}

std::int64_t signed_of(const model::value& v) {
  if (const auto* i = v.get_if<std::int64_t>()) return *i;
  return v.get<model::interval>().ns;
}

}  // namespace

model::result<void> aggregator::add(const model::event& e) {
  if (!e.has_type()) return {errc::invalid_argument, "aggregator: an event without a type"};
  if (e.size() != e.type().size()) {
    return {errc::invalid_argument, "tier " + tier_.name + ", type " + e.type().name() +
                                        ": the event's field count differs from its schema's"};
  }
  auto found = plan_for(e.schema_ptr());
  if (!found) return found.err();
  const plan& p = *found.value();

  std::uint64_t weight = 1;
  model::timestamp first = e.ts, last = e.ts;
  if (p.is_row) {
    const auto* n = e.field(p.in_events).get_if<std::uint64_t>();
    const auto* f = e.field(p.in_first).get_if<model::timestamp>();
    const auto* l = e.field(p.in_last).get_if<model::timestamp>();
    if (n == nullptr || f == nullptr || l == nullptr) {
      const char* name = n == nullptr ? "events" : f == nullptr ? "first_seen" : "last_seen";
      return {errc::invalid_argument, p.here + "field " + name + " of an aggregate row is unset"};
    }
    weight = *n;
    first = *f;
    last = *l;
  }
  const auto bucket = bucket_start(e.ts, tier_.bucket);
  if (!bucket) {
    return {errc::invalid_argument,
            p.here + "ts " + std::to_string(e.ts.ns) + " ns has no bucket start in range"};
  }
  scratch_.clear();
  row_keys::append_prefix(scratch_, p.out->name(), p.out->version(), bucket->ns);
  for (std::size_t k = 0; k < p.keys.size(); ++k) {
    const auto& v = e.field(p.keys[k].first);
    if (!v.is_none() && v.kind() != p.key_kinds[k]) {
      return wrong_kind(p.here, "key field", (*p.out)[p.keys[k].second].name, v.kind(),
                        p.key_kinds[k]);
    }
    row_keys::append_value(scratch_, v);
  }
  const std::uint64_t h = std::hash<std::string_view>{}(scratch_);
  const std::size_t at = find(h, scratch_);
  const bool fresh = at == rows_.size();
  if (fresh && rows_.size() >= 0xffffffffU) {  // the index holds row numbers in 32 bits
    return {errc::overloaded, p.here + "more than 2^32-1 rows in one aggregator"};
  }

  // Check every sum before changing anything, so a failed add leaves no trace.
  const std::size_t base = fresh ? sums_.size() : rows_[at].sums_at;
  const std::size_t bits = base + p.sums.size();
  for (std::size_t k = 0; k < p.sums.size(); ++k) {
    const auto& s = p.sums[k];
    const auto& v = e.field(s.in);
    if (v.is_none()) continue;
    if (v.kind() != s.kind) return wrong_kind(p.here, "field", (*p.out)[s.out].name, v.kind(), s.kind);
    if (fresh || s.kind == type_kind::count || (sums_[bits + k / 64] >> (k % 64) & 1) == 0) continue;
    std::int64_t sum = 0;
    if (__builtin_add_overflow(std::bit_cast<std::int64_t>(sums_[base + k]), signed_of(v), &sum)) {
      return {errc::overloaded,
              p.here + "field " + (*p.out)[s.out].name + ": the sum overflows 64 bits"};
    }
  }

  if (fresh) {
    row_state r;
    r.hash = h;
    r.key_at = keys_.size();
    r.key_size = static_cast<std::uint32_t>(scratch_.size());
    r.plan = p.number;
    r.bucket = bucket->ns;
    r.first = first.ns;
    r.last = last.ns;
    r.site = intern(e.from.site);
    r.sensor = intern(e.from.sensor);
    r.sums_at = base;
    r.keys_at = key_values_.size();
    for (const auto& kv : p.keys) key_values_.push_back(e.field(kv.first));
    keys_.append(scratch_);
    sums_.resize(sums_.size() + p.stride, 0);
    rows_.push_back(r);
    insert_index(h, rows_.size() - 1);
  }
  row_state& r = rows_[fresh ? rows_.size() - 1 : at];
  r.events = sums::add_saturating(r.events, weight);
  r.first = std::min(r.first, first.ns);
  r.last = std::max(r.last, last.ns);
  for (std::size_t k = 0; k < p.sums.size(); ++k) {
    const auto& v = e.field(p.sums[k].in);
    if (v.is_none()) continue;
    auto& word = sums_[base + k];
    if (p.sums[k].kind == type_kind::count) {
      word = sums::add_saturating(word, v.get<std::uint64_t>());
    } else {  // checked above; two's complement wraps exactly as int64 adds
      word += static_cast<std::uint64_t>(signed_of(v));
    }
    sums_[bits + k / 64] |= std::uint64_t{1} << (k % 64);
  }
  // A site or sensor stays only while every contributing event shares it.
  if (r.site != 0 && names_[r.site] != e.from.site) r.site = 0;
  if (r.sensor != 0 && names_[r.sensor] != e.from.sensor) r.sensor = 0;
  return {};
}

std::uint32_t aggregator::intern(const std::string& name) {
  if (name.empty()) return 0;
  auto [it, added] = name_ids_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
  if (added) names_.push_back(name);
  return it->second;
}

std::size_t aggregator::find(std::uint64_t h, std::string_view key) const noexcept {
  if (table_.empty()) return rows_.size();
  const std::uint64_t tag = h >> 32;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint64_t entry = table_[i];
    if (entry == 0) return rows_.size();
    if ((entry >> 32) != tag) continue;
    const std::size_t n = (entry & 0xffffffffU) - 1;
    const row_state& r = rows_[n];
    if (r.hash == h && std::string_view(keys_).substr(r.key_at, r.key_size) == key) return n;
  }
}

void aggregator::insert_index(std::uint64_t h, std::size_t row) {
  auto place = [this](std::uint64_t hash, std::size_t n) {
    const std::size_t mask = table_.size() - 1;
    std::size_t i = hash & mask;
    while (table_[i] != 0) i = (i + 1) & mask;
    table_[i] = ((hash >> 32) << 32) | (n + 1);
  };
  // Keep the table at most half full; rebuild it from the rows' hashes.
  if (2 * rows_.size() > table_.size()) {
    table_.assign(std::max<std::size_t>(1024, 2 * table_.size()), 0);
    for (std::size_t n = 0; n < row; ++n) place(rows_[n].hash, n);
  }
  place(h, row);
}

model::event aggregator::build(row_state& r) {
  const plan& p = *plans_[r.plan];
  model::event e(p.out);
  e.ts = {r.bucket};
  e.id = row_id(tier_, std::string_view(keys_).substr(r.key_at, r.key_size));
  e.from = {names_[r.site], names_[r.sensor]};
  e.field(0) = r.events;  // the fixed fields come first (aggregate_schema)
  e.field(1) = model::timestamp{r.first};
  e.field(2) = model::timestamp{r.last};
  for (std::size_t k = 0; k < p.keys.size(); ++k) {
    e.field(p.keys[k].second) = std::move(key_values_[r.keys_at + k]);
  }
  const std::size_t bits = r.sums_at + p.sums.size();
  for (std::size_t k = 0; k < p.sums.size(); ++k) {
    if ((sums_[bits + k / 64] >> (k % 64) & 1) == 0) continue;
    const std::uint64_t word = sums_[r.sums_at + k];
    auto& v = e.field(p.sums[k].out);
    switch (p.sums[k].kind) {
      case type_kind::count: v = word; break;
      case type_kind::integer: v = std::bit_cast<std::int64_t>(word); break;
      default: v = model::interval{std::bit_cast<std::int64_t>(word)}; break;
    }
  }
  return e;
}

std::vector<model::event> aggregator::take() {
  std::vector<std::pair<std::string_view, std::size_t>> order;
  order.reserve(rows_.size());
  const std::string_view keys = keys_;
  for (std::size_t n = 0; n < rows_.size(); ++n) {
    order.emplace_back(keys.substr(rows_[n].key_at, rows_[n].key_size), n);
  }
  std::sort(order.begin(), order.end());
  std::vector<model::event> out;
  out.reserve(rows_.size());
  for (const auto& o : order) out.push_back(build(rows_[o.second]));
  rows_.clear();
  sums_.clear();
  key_values_.clear();
  keys_.clear();
  table_.clear();
  return out;
}

}  // namespace coop::tm::detail
