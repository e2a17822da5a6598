// Private to src/transform: the recursive rewrite of one value (truncation
// of strings and bytes, anonymisation of addresses and subnets) shared by
// every transform plan.
#pragma once

#include <cstddef>
#include <optional>

#include "coop/model/anonymize.h"
#include "coop/model/value.h"

namespace coop::model::transform_detail {

/// What to do to the scalars inside one field.
struct value_ops {
  std::optional<std::size_t> truncate;  ///< Max bytes of string/bytes values.
  anonymizer* anon = nullptr;           ///< Anonymise addresses and subnets.

  [[nodiscard]] bool any() const noexcept { return truncate.has_value() || anon != nullptr; }
};

/// Rewrites `v` (at nesting `depth`, a field being depth 0) and returns true
/// if it changed. Sets and tables whose elements changed are re-normalised.
/// Sets `too_deep` and stops descending below max_type_depth.
bool rewrite(value& v, const value_ops& ops, unsigned depth, bool& too_deep);

}  // namespace coop::model::transform_detail
