// Exact conversions of JSON number and string texts to scalar values.
#include "json/scalars.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace coop::model::json {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A JSON number taken apart: value = [-] digits * 10^(point - digits.size())
// where `digits` has no leading zeros (empty for zero).
struct decimal {
  bool neg = false;
  std::string int_digits;  // significant digits, leading zeros stripped
  std::int64_t point = 0;  // digits before the decimal point (may be < 0 or > size)
};

decimal decompose(std::string_view t) {
  decimal d;
  std::size_t i = 0;
  if (t[i] == '-') {
    d.neg = true;
    ++i;
  }
  std::int64_t before_point = 0;
  bool seen_nonzero = false;
  for (; i < t.size() && is_digit(t[i]); ++i) {
    if (t[i] != '0' || seen_nonzero) {
      seen_nonzero = true;
      d.int_digits.push_back(t[i]);
      ++before_point;
    }
  }
  if (i < t.size() && t[i] == '.') {
    for (++i; i < t.size() && is_digit(t[i]); ++i) {
      if (t[i] != '0' || seen_nonzero) {
        seen_nonzero = true;
        d.int_digits.push_back(t[i]);
      } else {
        --before_point;  // a zero between the point and the first significant digit
      }
    }
  }
  std::int64_t exp = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (t[i] == '+' || t[i] == '-') eneg = t[i++] == '-';
    for (; i < t.size(); ++i) {
      if (exp < 1'000'000'000) exp = exp * 10 + (t[i] - '0');  // saturates: far out of range
    }
    if (eneg) exp = -exp;
  }
  d.point = before_point + exp;
  if (d.int_digits.empty()) d.point = 0;
  return d;
}

bool plain_integer(std::string_view t) {
  for (char c : t) {
    if (c == '.' || c == 'e' || c == 'E') return false;
  }
  return true;
}

unsigned digit_value(char c) { return static_cast<unsigned>(c - '0'); }

bool two_digits(std::string_view s, std::size_t at, unsigned& out) {
  if (at + 2 > s.size() || !is_digit(s[at]) || !is_digit(s[at + 1])) return false;
  out = digit_value(s[at]) * 10 + digit_value(s[at + 1]);
  return true;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(unsigned y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

int base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool number_to_count(std::string_view t, std::uint64_t& out, std::string& why) {
  if (t.front() == '-' || !plain_integer(t)) {
    why = "expected a non-negative integer, found " + std::string(t);
    return false;
  }
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || p != t.data() + t.size()) {
    why = "integer " + std::string(t) + " out of range for count (0..18446744073709551615)";
    return false;
  }
  return true;
}

bool number_to_int(std::string_view t, std::int64_t& out, std::string& why) {
  if (!plain_integer(t)) {
    why = "expected an integer, found " + std::string(t);
    return false;
  }
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || p != t.data() + t.size()) {
    why = "integer " + std::string(t) +
          " out of range for int (-9223372036854775808..9223372036854775807)";
    return false;
  }
  return true;
}

bool number_to_u32(std::string_view t, std::uint32_t& out, std::string& why) {
  std::uint64_t v = 0;
  if (!number_to_count(t, v, why)) return false;
  if (v > std::numeric_limits<std::uint32_t>::max()) {
    why = "integer " + std::string(t) + " out of range (0..4294967295)";
    return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool number_to_real(std::string_view t, double& out, std::string& why) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec == std::errc::result_out_of_range) {
    decimal d = decompose(t);
    if (d.point <= 0) {  // below 1 in magnitude: underflow to zero
      out = d.neg ? -0.0 : 0.0;
      return true;
    }
    why = "number " + std::string(t.substr(0, 40)) + (t.size() > 40 ? "..." : "") +
          " out of range for double";
    return false;
  }
  if (ec != std::errc() || p != t.data() + t.size()) {
    why = "invalid number for double";
    return false;
  }
  return true;
}

bool seconds_to_ns(std::string_view t, std::int64_t& out, std::string& why) {
  decimal d = decompose(t);
  const std::int64_t ns_point = d.point + 9;  // digits before the nanosecond point
  const auto n = static_cast<std::int64_t>(d.int_digits.size());
  std::uint64_t mag = 0;
  if (!d.int_digits.empty()) {
    if (ns_point > 19) {
      why = "number " + std::string(t.substr(0, 40)) + " out of range for nanoseconds";
      return false;
    }
    for (std::int64_t i = 0; i < ns_point; ++i) {
      mag = mag * 10 + (i < n ? digit_value(d.int_digits[static_cast<std::size_t>(i)]) : 0);
    }
    if (ns_point >= 0 && ns_point < n && d.int_digits[static_cast<std::size_t>(ns_point)] >= '5') {
      ++mag;  // round half away from zero at the nanosecond
    }
  }
  const std::uint64_t limit = d.neg ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  if (mag > limit) {
    why = "number " + std::string(t.substr(0, 40)) + " out of range for nanoseconds";
    return false;
  }
  out = d.neg ? static_cast<std::int64_t>(~mag + 1) : static_cast<std::int64_t>(mag);
  return true;
}

bool rfc3339_to_ns(std::string_view s, std::int64_t& out, std::string& why) {
  why = "expected an RFC 3339 time like \"2009-11-18T08:00:21.486539Z\", found \"" +
        std::string(s.substr(0, 64)) + "\"";
  unsigned y_hi = 0, y_lo = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 20 || !two_digits(s, 0, y_hi) || !two_digits(s, 2, y_lo) || s[4] != '-' ||
      !two_digits(s, 5, mo) || s[7] != '-' || !two_digits(s, 8, d) ||
      (s[10] != 'T' && s[10] != 't') || !two_digits(s, 11, h) || s[13] != ':' ||
      !two_digits(s, 14, mi) || s[16] != ':' || !two_digits(s, 17, sec)) {
    return false;
  }
  const unsigned y = y_hi * 100 + y_lo;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) {
    why = "invalid date or time in \"" + std::string(s.substr(0, 64)) + "\"";
    return false;
  }
  std::size_t i = 19;
  std::int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    std::int64_t scale = ns_per_s;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (i - start < 9) {
        scale /= 10;
        frac += digit_value(s[i]) * scale;
      } else if (i - start == 9 && s[i] >= '5') {
        ++frac;  // round half away from zero at the nanosecond
      }
    }
    if (i == start) return false;
  }
  std::int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    unsigned oh = 0, om = 0;
    if (!two_digits(s, i + 1, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !two_digits(s, i + 4, om) || oh > 23 || om > 59) {
      return false;
    }
    offset_s = (s[i] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;
  // Seconds fit easily in int64 for four-digit years; nanoseconds may not.
  std::int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  if (secs < 0 && frac > 0) {  // so that the product cannot overflow at the lower bound
    secs += 1;
    frac -= ns_per_s;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(secs, ns_per_s, &ns) || __builtin_add_overflow(ns, frac, &ns)) {
    why = "time \"" + std::string(s.substr(0, 64)) + "\" outside the representable range (years 1677..2262)";
    return false;
  }
  out = ns;
  return true;
}

bool base64_decode(std::string_view text, std::string& out, std::string& why) {
  out.clear();
  if (text.size() % 4 != 0) {
    why = "invalid base64: length " + std::to_string(text.size()) + " is not a multiple of 4";
    return false;
  }
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      auto c = static_cast<unsigned char>(text[i + static_cast<std::size_t>(j)]);
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      v[j] = base64_value(c);
      if (v[j] < 0 || pad != 0) {
        why = "invalid base64 character at position " + std::to_string(i + static_cast<std::size_t>(j));
        return false;
      }
    }
    std::uint32_t bits = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                         (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    if ((pad == 1 && (bits & 0xff) != 0) || (pad == 2 && (bits & 0xffff) != 0)) {
      why = "invalid base64: non-zero bits in the padding";
      return false;
    }
    out.push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out.push_back(static_cast<char>(bits >> 8));
    if (pad < 1) out.push_back(static_cast<char>(bits));
  }
  return true;
}

bool text_to_port(std::string_view s, port& out, std::string& why) {
  why = "expected a port string like \"80/tcp\", found \"" + std::string(s.substr(0, 40)) + "\"";
  auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 5) return false;
  if (s[0] == '0' && slash != 1) return false;  // no leading zeros
  unsigned n = 0;
  for (std::size_t i = 0; i < slash; ++i) {
    if (!is_digit(s[i])) return false;
    n = n * 10 + digit_value(s[i]);
  }
  if (n > 65535) return false;
  auto proto = s.substr(slash + 1);
  transport t = transport::unknown;
  if (proto == "tcp") t = transport::tcp;
  else if (proto == "udp") t = transport::udp;
  else if (proto == "icmp") t = transport::icmp;
  else if (proto != "unknown") return false;
  out = port{static_cast<std::uint16_t>(n), t};
  return true;
}

bool text_to_event_id(std::string_view s, event_id& out, std::string& why) {
  if (s.size() != 32) {
    why = "expected an event id of 32 hex digits, found " + std::to_string(s.size()) + " characters";
    return false;
  }
  std::uint64_t parts[2] = {0, 0};
  for (std::size_t i = 0; i < 32; ++i) {
    char c = s[i];
    unsigned v = 0;
    if (is_digit(c)) v = digit_value(c);
    else if (c >= 'a' && c <= 'f') v = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v = static_cast<unsigned>(c - 'A' + 10);
    else {
      why = "expected an event id of 32 hex digits, found a non-hex character at position " +
            std::to_string(i);
      return false;
    }
    parts[i / 16] = parts[i / 16] << 4 | v;
  }
  out = event_id{parts[0], parts[1]};
  return true;
}

}  // namespace coop::model::json
