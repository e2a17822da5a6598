// aggregate_schema and is_aggregate_schema: the types of aggregate rows.
#include <algorithm>
#include <string>
#include <vector>

#include "aggregate/aggregate.h"

namespace coop::tm::detail {
namespace {

using model::errc;
using model::type_kind;

bool is_scalar(type_kind k) noexcept {
  return k != type_kind::none && k != type_kind::set && k != type_kind::table &&
         k != type_kind::vector && k != type_kind::record;
}

bool is_summable(type_kind k) noexcept {
  return k == type_kind::count || k == type_kind::integer || k == type_kind::interval;
}

bool is_fixed(std::string_view name) noexcept {
  return name == events_field || name == first_seen_field || name == last_seen_field;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// "tier hourly, type connection_end: " for error messages.
std::string where(const model::schema& source, const tier& t) {
  return "tier " + t.name + ", type " + source.name() + ": ";
}

// Refuses a tier whose key and sum names overlap, repeat or shadow the
// fixed fields, whatever the source type.
model::result<void> check_names(const model::schema& source, const tier& t) {
  if (t.bucket.ns <= 0) {
    return {errc::invalid_argument, where(source, t) + "the bucket must be longer than 0"};
  }
  std::vector<std::string> seen;
  for (const auto* list : {&t.keys, &t.sums}) {
    for (const auto& name : *list) {
      if (is_fixed(name)) {
        return {errc::invalid_argument,
                where(source, t) + "field " + name + " is reserved for aggregate rows"};
      }
      if (contains(seen, name)) {
        return {errc::invalid_argument,
                where(source, t) + "field " + name + " is named twice among keys and sums"};
      }
      seen.push_back(name);
    }
  }
  return {};
}

}  // namespace

bool is_aggregate_schema(const model::schema& s) noexcept {
  auto has = [&](std::string_view name, type_kind k) {
    auto i = s.index_of(name);
    return i && s[*i].ty.kind() == k;
  };
  return has(events_field, type_kind::count) && has(first_seen_field, type_kind::time) &&
         has(last_seen_field, type_kind::time);
}

model::result<model::schema> aggregate_schema(const model::schema& source, const tier& t) {
  if (auto ok = check_names(source, t); !ok) return ok.err();
  std::vector<model::field> fields;
  fields.reserve(3 + t.keys.size() + t.sums.size());
  fields.push_back({std::string(events_field), model::type(type_kind::count), false, {},
                    "Raw events this row stands for."});
  fields.push_back({std::string(first_seen_field), model::type(type_kind::time), false, {},
                    "Time of the earliest event the row stands for."});
  fields.push_back({std::string(last_seen_field), model::type(type_kind::time), false, {},
                    "Time of the latest event the row stands for."});
  // Sum docs get a prefix once, so a daily row derived from an hourly one
  // has the same schema as one derived from raw events.
  constexpr std::string_view sum_prefix = "Sum over the row's events: ";
  for (const auto& f : source.fields()) {
    const bool key = contains(t.keys, f.name);
    const bool sum = contains(t.sums, f.name);
    if (!key && !sum) continue;
    if (key && !is_scalar(f.ty.kind())) {
      return {errc::invalid_argument, where(source, t) + "key field " + f.name + " has type " +
                                          f.ty.to_string() + "; keys must be scalars"};
    }
    if (sum && !is_summable(f.ty.kind())) {
      return {errc::invalid_argument, where(source, t) + "sum field " + f.name + " has type " +
                                          f.ty.to_string() +
                                          "; only count, int and interval can be summed"};
    }
    model::field out = f;
    out.optional = true;
    if (sum && !out.doc.starts_with(sum_prefix)) out.doc = std::string(sum_prefix) + out.doc;
    fields.push_back(std::move(out));
  }
  std::string doc = t.name + " aggregate of " + source.name();
  return model::schema(source.name(), source.version(), std::move(fields), std::move(doc));
}

}  // namespace coop::tm::detail
