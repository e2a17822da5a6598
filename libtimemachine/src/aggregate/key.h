// The byte encoding behind row_key (aggregate.h), shared by the aggregator,
// which builds the key of every event it adds without going through an event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/value.h"

namespace coop::tm::detail::row_keys {

/// Appends the type name, a NUL, the bucket start (sign-flipped big-endian)
/// and the version (big-endian) to `out`.
void append_prefix(std::string& out, std::string_view type_name, std::uint32_t version,
                   std::int64_t bucket_ns);

/// Appends the order-preserving encoding of `v` to `out`: a kind byte, then
/// a self-delimiting payload. For scalars, comparing encodings bytewise
/// orders them as model::value's operator<=> does.
void append_value(std::string& out, const model::value& v);

}  // namespace coop::tm::detail::row_keys
