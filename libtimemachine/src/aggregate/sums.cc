// Checked and saturating sums of aggregate row fields.
#include "aggregate/sums.h"

#include <cstdint>
#include <limits>

namespace coop::tm::detail::sums {
namespace {

std::int64_t signed_of(const model::value& v) {
  if (const auto* i = v.get_if<std::int64_t>()) return *i;
  return v.get<model::interval>().ns;
}

}  // namespace

std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
}

model::result<void> check(const model::value& acc, const model::value& add, model::type_kind kind,
                          std::string_view where, std::string_view field) {
  for (const auto* v : {&acc, &add}) {
    if (!v->is_none() && v->kind() != kind) {
      return {model::errc::invalid_argument,
              std::string(where) + "field " + std::string(field) + " holds a " +
                  std::string(model::to_string(v->kind())) + ", expected " +
                  std::string(model::to_string(kind))};
    }
  }
  if (kind == model::type_kind::count || acc.is_none() || add.is_none()) return {};
  std::int64_t r = 0;
  if (__builtin_add_overflow(signed_of(acc), signed_of(add), &r)) {
    return {model::errc::overloaded, std::string(where) + "field " + std::string(field) +
                                         ": the sum overflows 64 bits"};
  }
  return {};
}

void apply(model::value& acc, const model::value& add) {
  if (add.is_none()) return;
  if (acc.is_none()) {
    acc = add;
    return;
  }
  switch (acc.kind()) {
    case model::type_kind::count:
      acc.get<std::uint64_t>() = add_saturating(acc.get<std::uint64_t>(), add.get<std::uint64_t>());
      return;
    case model::type_kind::integer: acc.get<std::int64_t>() += add.get<std::int64_t>(); return;
    case model::type_kind::interval:
      acc.get<model::interval>().ns += add.get<model::interval>().ns;
      return;
    default: return;  // check() refuses every other kind
  }
}

}  // namespace coop::tm::detail::sums
