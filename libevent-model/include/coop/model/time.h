// Time value types: `timestamp` (nanoseconds since the Unix epoch, UTC) and
// `interval` (a signed span in nanoseconds), with Zeek-style and RFC 3339
// text forms. Regular values; thread-safe as any value type.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/export.h"
#include "coop/model/result.h"

namespace coop::model {

/// A signed span of time in nanoseconds.
struct COOP_MODEL_EXPORT interval {
  std::int64_t ns = 0;

  /// `s` whole seconds (|s| must stay below ~292 years).
  static constexpr interval seconds(std::int64_t s) noexcept { return {s * 1'000'000'000}; }
  /// `ms` milliseconds.
  static constexpr interval millis(std::int64_t ms) noexcept { return {ms * 1'000'000}; }

  /// Parses Zeek's seconds form (`3600.000000`, `-0.5`) or a number with a
  /// unit (`500ms`, `1.5s`, `10 mins`, `2h`, `7d`, `1 day`, `250us`, `10ns`).
  /// Errors: invalid_argument naming the text.
  static result<interval> parse(std::string_view text);
  /// Seconds with as many decimals as needed, at most nine (`1.5`, `3600.0`).
  [[nodiscard]] std::string to_string() const;

  /// Ordered by length.
  friend auto operator<=>(const interval&, const interval&) = default;
  friend bool operator==(const interval&, const interval&) = default;
};

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z.
struct COOP_MODEL_EXPORT timestamp {
  std::int64_t ns = 0;  ///< Nanoseconds since the epoch (negative: before 1970).

  /// Parses Zeek's epoch form (`1258531221.486539`) or RFC 3339
  /// (`2009-11-18T08:00:21.486539Z`, with an optional `+hh:mm` offset).
  static result<timestamp> parse(std::string_view text);
  /// Zeek's epoch seconds with six decimals, as in a Zeek log
  /// (`1258531221.486539`); sub-microsecond digits are appended when present.
  [[nodiscard]] std::string to_string() const;
  /// RFC 3339 in UTC with nanoseconds (`2009-11-18T08:00:21.486539000Z`).
  [[nodiscard]] std::string to_rfc3339() const;

  /// Ordered in time.
  friend auto operator<=>(const timestamp&, const timestamp&) = default;
  friend bool operator==(const timestamp&, const timestamp&) = default;
};

/// Time arithmetic in nanoseconds. The caller keeps results inside the
/// representable range (1677..2262); overflow is a programming error.
constexpr timestamp operator+(timestamp t, interval i) noexcept { return {t.ns + i.ns}; }
constexpr timestamp operator-(timestamp t, interval i) noexcept { return {t.ns - i.ns}; }
constexpr interval operator-(timestamp a, timestamp b) noexcept { return {a.ns - b.ns}; }

/// A source of the current time. Passed in wherever "now" matters (relative
/// filters, id generation), so tests can use fake time.
class COOP_MODEL_EXPORT clock {
 public:
  /// Clocks are used through pointers or references to this base.
  virtual ~clock() = default;
  /// The current time.
  [[nodiscard]] virtual timestamp now() const = 0;
};

/// The system's real-time clock.
class COOP_MODEL_EXPORT system_clock final : public clock {
 public:
  [[nodiscard]] timestamp now() const override;
};

}  // namespace coop::model
