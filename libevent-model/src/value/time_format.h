// Private to libevent-model: the text forms of timestamp and interval,
// appended to a caller's buffer so that the JSON writer (src/json/) and
// time.cc print times the same way from one implementation. Neither
// function allocates unless `out` must grow. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>

namespace coop::model::detail {

/// Appends `ns` nanoseconds since the epoch as RFC 3339 UTC with nine
/// decimals: "2009-11-18T08:00:21.486539000Z". Every int64 is in range (the
/// years 1677 to 2262 all have four digits).
void append_rfc3339(std::string& out, std::int64_t ns);

/// Appends `ns` nanoseconds as decimal seconds: an optional '-', the whole
/// seconds, then the fraction with trailing zeros dropped but at least
/// `min_decimals` (0 to 9) digits; no '.' when no digit is left. Exact for
/// INT64_MIN too.
void append_seconds(std::string& out, std::int64_t ns, int min_decimals);

}  // namespace coop::model::detail
