// Private: allocation-free scanners for the scalar texts of log formats
// (decimal numbers, epoch times, IPv4 addresses, Zeek escapes, civil dates).
// Pure functions over string_views; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "coop/model/address.h"
#include "coop/model/time.h"

namespace coop::importer::scan {

/// Unsigned decimal without sign or spaces; false on anything else or overflow.
bool parse_u64(std::string_view s, std::uint64_t& out) noexcept;
/// Signed decimal (optional leading '-' or '+'); false on anything else or overflow.
bool parse_i64(std::string_view s, std::int64_t& out) noexcept;
/// A floating-point number in C locale notation (from_chars); false otherwise.
bool parse_double(std::string_view s, double& out) noexcept;
/// Decimal seconds with an optional sign and up to nine fraction digits
/// ("1521911720.865716", "-0.5", "3600") as nanoseconds; false otherwise.
bool parse_seconds(std::string_view s, std::int64_t& ns) noexcept;
/// Seconds as a double rounded to the microsecond, as Zeek's TSV writer
/// prints them, in nanoseconds; false if not finite or out of range.
bool seconds_to_ns(double seconds, std::int64_t& ns) noexcept;
/// Dotted-quad IPv4, or IPv6 through address::parse; false otherwise.
bool parse_address(std::string_view s, model::address& out) noexcept;
/// True if `s` is a dotted-quad IPv4 address.
bool is_ipv4(std::string_view s) noexcept;

/// Appends `s` to `out` undoing Zeek's escapes: `\xNN` becomes the byte,
/// `\\` a backslash; any other backslash is kept as is.
void unescape_zeek(std::string_view s, std::string& out);

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;
/// Year of a day count since 1970-01-01.
std::int64_t year_of_days(std::int64_t days) noexcept;
/// Month number 1-12 of an English three-letter abbreviation ("Jan"), 0 if none.
unsigned month_of(std::string_view abbrev) noexcept;
/// Two ASCII digits at `p` as a number, or -1.
inline int two_digits(const char* p) noexcept {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return -1;
  return (p[0] - '0') * 10 + (p[1] - '0');
}

/// Removes ASCII spaces and tabs at both ends.
std::string_view trim(std::string_view s) noexcept;

}  // namespace coop::importer::scan
