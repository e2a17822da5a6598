// Exact arithmetic on the values of aggregate rows, shared by the
// aggregator and merge_rows: checking first and applying second lets a
// caller change a row only when every field of the update fits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/result.h"
#include "coop/model/value.h"

namespace coop::tm::detail::sums {

/// Checks that `add` (none, or of kind `kind`: count, int or interval) can
/// be added to `acc` (none or of kind `kind`). Errors: invalid_argument for
/// a value of another kind, overloaded when an int or interval sum would
/// overflow; messages start with `where` and name `field`.
model::result<void> check(const model::value& acc, const model::value& add, model::type_kind kind,
                          std::string_view where, std::string_view field);

/// acc += add, after check() succeeded: counts saturate at 2^64-1; none
/// adds nothing; a none `acc` takes `add`.
void apply(model::value& acc, const model::value& add);

/// a + b for counts, saturating at 2^64-1.
std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) noexcept;

}  // namespace coop::tm::detail::sums
