// timestamp and interval: parsing and printing (Zeek epoch form, RFC 3339,
// numbers with units) with overflow-checked arithmetic.
#include "coop/model/time.h"

#include <charconv>
#include <chrono>
#include <limits>

#include "value/time_format.h"

namespace coop::model {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses "[-]digits[.digits]" as a fixed-point number of `unit` nanoseconds
// per integer unit. Returns false on syntax error or overflow.
// 128-bit arithmetic for overflow-free accumulation (a GCC/Clang extension).
__extension__ typedef __int128 int128;

bool parse_decimal(std::string_view s, std::int64_t unit, std::int64_t& out) {
  bool neg = false;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  // The magnitude is accumulated in 128 bits so INT64_MIN itself parses.
  int128 whole = 0;
  std::size_t digits = 0;
  for (; i < s.size() && is_digit(s[i]); ++i, ++digits) {
    whole = whole * 10 + (s[i] - '0');
    if (whole > (int128{1} << 64)) return false;
  }
  int128 frac = 0;  // in units of `unit`
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int64_t scale = unit;
    for (; i < s.size() && is_digit(s[i]); ++i, ++digits) {
      scale /= 10;
      frac += (s[i] - '0') * scale;  // digits below 1 ns are dropped
    }
  }
  if (digits == 0 || i != s.size()) return false;
  int128 total = whole * unit + frac;
  if (neg) total = -total;
  if (total > std::numeric_limits<std::int64_t>::max() ||
      total < std::numeric_limits<std::int64_t>::min())
    return false;
  out = static_cast<std::int64_t>(total);
  return true;
}

bool leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// well-known civil calendar arithmetic, re-derived here).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool fixed_digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

result<timestamp> parse_rfc3339(std::string_view s) {
  auto bad = [&] {
    return error{errc::invalid_argument, "invalid time '" + std::string(s) +
                                             "': expected epoch seconds or RFC 3339"};
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!fixed_digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !fixed_digits(s, 5, 2, mo) ||
      s[7] != '-' || !fixed_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !fixed_digits(s, 11, 2, h) || s[13] != ':' || !fixed_digits(s, 14, 2, mi) || s[16] != ':' ||
      !fixed_digits(s, 17, 2, sec))
    return bad();
  // Leap seconds (second 60) are refused: nanosecond timestamps have no
  // place for them, and sensors log the following second instead.
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
    return bad();
  std::size_t i = 19;
  std::int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int64_t scale = ns_per_s;
    std::size_t start = i;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      scale /= 10;
      frac += (s[i] - '0') * scale;
    }
    if (i == start) return bad();
  }
  std::int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    unsigned oh = 0, om = 0;
    if (!fixed_digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !fixed_digits(s, i + 4, 2, om) || oh > 23 || om > 59)
      return bad();
    offset_s = (s[i] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  std::int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  // Borrow one second for a negative time with a fraction, so the earliest
  // representable instant does not overflow on the way.
  if (secs < 0 && frac > 0) {
    secs += 1;
    frac -= ns_per_s;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(secs, ns_per_s, &ns) || __builtin_add_overflow(ns, frac, &ns)) {
    return error{errc::invalid_argument,
                 "time '" + std::string(s) + "' is outside 1677-09-21..2262-04-11 (nanoseconds overflow)"};
  }
  return timestamp{ns};
}

// Writes `v` as exactly `width` decimal digits (zero-padded) at `p`.
void put_digits(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

namespace detail {

void append_rfc3339(std::string& out, std::int64_t ns) {
  std::int64_t secs = ns / ns_per_s;
  std::int64_t frac = ns % ns_per_s;
  if (frac < 0) {
    frac += ns_per_s;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[] = "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ";
  const auto r = static_cast<unsigned>(rem);
  put_digits(buf, static_cast<unsigned>(y), 4);
  put_digits(buf + 5, m, 2);
  put_digits(buf + 8, d, 2);
  put_digits(buf + 11, r / 3600, 2);
  put_digits(buf + 14, r / 60 % 60, 2);
  put_digits(buf + 17, r % 60, 2);
  put_digits(buf + 20, static_cast<unsigned>(frac), 9);
  out.append(buf, sizeof buf - 1);
}

void append_seconds(std::string& out, std::int64_t ns, int min_decimals) {
  char buf[32];
  char* p = buf;
  auto mag = static_cast<std::uint64_t>(ns);
  if (ns < 0) {
    *p++ = '-';
    mag = ~mag + 1;  // two's complement magnitude; exact for INT64_MIN too
  }
  p = std::to_chars(p, buf + sizeof buf, mag / ns_per_s).ptr;
  char* const frac = p + 1;
  put_digits(frac, static_cast<unsigned>(mag % ns_per_s), 9);
  int keep = 9;
  while (keep > min_decimals && frac[keep - 1] == '0') --keep;
  if (keep > 0) {
    *p = '.';
    p = frac + keep;
  }
  out.append(buf, static_cast<std::size_t>(p - buf));
}

}  // namespace detail

result<interval> interval::parse(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::size_t unit_pos = s.size();
  while (unit_pos > 0 && ((s[unit_pos - 1] >= 'a' && s[unit_pos - 1] <= 'z'))) --unit_pos;
  std::string_view unit = s.substr(unit_pos);
  std::string_view num = s.substr(0, unit_pos);
  while (!num.empty() && num.back() == ' ') num.remove_suffix(1);
  std::int64_t scale = ns_per_s;
  if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs") scale = ns_per_s;
  else if (unit == "ns" || unit == "nsec" || unit == "nsecs") scale = 1;
  else if (unit == "us" || unit == "usec" || unit == "usecs") scale = 1'000;
  else if (unit == "ms" || unit == "msec" || unit == "msecs") scale = 1'000'000;
  else if (unit == "m" || unit == "min" || unit == "mins") scale = 60 * ns_per_s;
  else if (unit == "h" || unit == "hr" || unit == "hrs") scale = 3600 * ns_per_s;
  else if (unit == "d" || unit == "day" || unit == "days") scale = 86400 * ns_per_s;
  else {
    return error{errc::invalid_argument, "invalid interval '" + std::string(text) + "': unknown unit '" +
                                             std::string(unit) + "'"};
  }
  std::int64_t ns = 0;
  if (!parse_decimal(num, scale, ns)) {
    return error{errc::invalid_argument, "invalid interval '" + std::string(text) + "'"};
  }
  return interval{ns};
}

std::string interval::to_string() const {
  std::string out;
  detail::append_seconds(out, ns, 1);
  return out;
}

result<timestamp> timestamp::parse(std::string_view text) {
  if (text.size() > 10 && text[4] == '-') return parse_rfc3339(text);
  std::int64_t ns = 0;
  if (!parse_decimal(text, ns_per_s, ns)) {
    return error{errc::invalid_argument, "invalid time '" + std::string(text) +
                                             "': expected epoch seconds or RFC 3339"};
  }
  return timestamp{ns};
}

std::string timestamp::to_string() const {
  std::string out;
  detail::append_seconds(out, ns, 6);
  return out;
}

std::string timestamp::to_rfc3339() const {
  std::string out;
  detail::append_rfc3339(out, ns);
  return out;
}

timestamp system_clock::now() const {
  auto d = std::chrono::system_clock::now().time_since_epoch();
  return {std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()};
}

}  // namespace coop::model
