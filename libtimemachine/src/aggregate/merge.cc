// merge_rows: adding one aggregate row into another with the same key.
#include <algorithm>
#include <string>
#include <vector>

#include "aggregate/aggregate.h"
#include "aggregate/sums.h"

namespace coop::tm::detail {
namespace {

using model::errc;

struct weight {
  std::uint64_t events = 0;
  model::timestamp first, last;
};

model::result<weight> weight_of(const model::event& e, std::size_t events_at,
                                std::size_t first_at, std::size_t last_at,
                                const std::string& here) {
  const auto* n = e.field(events_at).get_if<std::uint64_t>();
  const auto* f = e.field(first_at).get_if<model::timestamp>();
  const auto* l = e.field(last_at).get_if<model::timestamp>();
  if (n == nullptr || f == nullptr || l == nullptr) {
    const char* name = n == nullptr ? "events" : f == nullptr ? "first_seen" : "last_seen";
    return {errc::invalid_argument, here + "field " + name + " of an aggregate row is unset"};
  }
  return weight{*n, *f, *l};
}

}  // namespace

model::result<void> merge_rows(model::event& a, const model::event& b, const tier& t) {
  if (!a.has_type() || !b.has_type()) {
    return {errc::invalid_argument, "merge_rows: a row without a type"};
  }
  const auto& s = a.type();
  const std::string here = "tier " + t.name + ", type " + s.name() + ": ";
  if (!is_aggregate_schema(s) || !is_aggregate_schema(b.type())) {
    return {errc::invalid_argument, here + "merge_rows: not an aggregate row"};
  }
  if (a.schema_ptr() != b.schema_ptr() && !(s == b.type())) {
    return {errc::invalid_argument, here + "merge_rows: the rows have different types (" +
                                        s.name() + " v" + std::to_string(s.version()) + ", " +
                                        b.type().name() + " v" +
                                        std::to_string(b.type().version()) + ")"};
  }
  if (a.size() != s.size() || b.size() != s.size()) {
    return {errc::invalid_argument, here + "merge_rows: a row's field count differs from its type's"};
  }
  if (a.ts != b.ts) {
    return {errc::invalid_argument, here + "merge_rows: the rows are in different buckets (" +
                                        a.ts.to_rfc3339() + ", " + b.ts.to_rfc3339() + ")"};
  }
  for (const auto& k : t.keys) {
    auto i = s.index_of(k);
    if (i && a.field(*i) != b.field(*i)) {
      return {errc::invalid_argument, here + "merge_rows: key field " + k + " differs (" +
                                          a.field(*i).to_string() + ", " +
                                          b.field(*i).to_string() + ")"};
    }
  }
  const auto ie = *s.index_of(events_field);
  const auto ifs = *s.index_of(first_seen_field);
  const auto ils = *s.index_of(last_seen_field);
  auto wa = weight_of(a, ie, ifs, ils, here);
  if (!wa) return wa.err();
  auto wb = weight_of(b, ie, ifs, ils, here);
  if (!wb) return wb.err();
  std::vector<std::size_t> sum_at;
  for (const auto& name : t.sums) {
    auto i = s.index_of(name);
    if (!i) continue;
    if (auto ok = sums::check(a.field(*i), b.field(*i), s[*i].ty.kind(), here, name); !ok) {
      return ok;
    }
    sum_at.push_back(*i);
  }
  a.field(ie) = sums::add_saturating(wa->events, wb->events);
  a.field(ifs) = std::min(wa->first, wb->first);
  a.field(ils) = std::max(wa->last, wb->last);
  for (auto i : sum_at) sums::apply(a.field(i), b.field(i));
  // A site or sensor stays only while every contributing event shares it.
  if (a.from.site != b.from.site) a.from.site.clear();
  if (a.from.sensor != b.from.sensor) a.from.sensor.clear();
  return {};
}

}  // namespace coop::tm::detail
