#include "scan/scalars.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace coop::importer::scan {

bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t u = 0;
  if (!parse_u64(s, u)) return false;
  const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (neg) {
    if (u > limit + 1) return false;
    out = u == limit + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(u);
  } else {
    if (u > limit) return false;
    out = static_cast<std::int64_t>(u);
  }
  return true;
}

bool parse_double(std::string_view s, double& out) noexcept {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_seconds(std::string_view s, std::int64_t& ns) noexcept {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  std::uint64_t secs = 0;
  // 64-bit nanoseconds hold about 292 years either side of 1970.
  if (whole.empty() || whole.size() > 11 || !parse_u64(whole, secs) || secs > 9'223'372'035) {
    return false;
  }
  std::uint64_t frac = 0;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    if (f.empty() || f.size() > 9) return false;
    for (char c : f) {
      if (c < '0' || c > '9') return false;
      frac = frac * 10 + static_cast<std::uint64_t>(c - '0');
    }
    for (std::size_t i = f.size(); i < 9; ++i) frac *= 10;
  }
  const auto v = static_cast<std::int64_t>(secs * 1'000'000'000ULL + frac);
  ns = neg ? -v : v;
  return true;
}

bool seconds_to_ns(double seconds, std::int64_t& ns) noexcept {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e9) return false;
  const double micros = std::nearbyint(seconds * 1e6);
  ns = static_cast<std::int64_t>(micros) * 1000;
  return true;
}

namespace {
// Parses one IPv4 octet at s[i..]; advances i.
bool octet(std::string_view s, std::size_t& i, unsigned& out) noexcept {
  unsigned v = 0;
  std::size_t n = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 4) {
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
    ++i;
    ++n;
  }
  if (n == 0 || n > 3 || v > 255) return false;
  out = v;
  return true;
}

bool ipv4(std::string_view s, std::uint32_t& out) noexcept {
  if (s.size() < 7 || s.size() > 15) return false;
  std::size_t i = 0;
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) {
    unsigned o = 0;
    if (!octet(s, i, o)) return false;
    v = (v << 8) | o;
    if (k < 3) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  out = v;
  return true;
}
}  // namespace

bool is_ipv4(std::string_view s) noexcept {
  std::uint32_t v = 0;
  return ipv4(s, v);
}

bool parse_address(std::string_view s, model::address& out) noexcept {
  std::uint32_t v = 0;
  if (ipv4(s, v)) {
    out = model::address::v4(v);
    return true;
  }
  if (s.find(':') == std::string_view::npos || s.size() > 64) return false;
  auto a = model::address::parse(s);
  if (!a) return false;
  out = *a;
  return true;
}

namespace {
int hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

void unescape_zeek(std::string_view s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    const void* found = std::memchr(s.data() + i, '\\', s.size() - i);
    if (found == nullptr) {
      out.append(s.data() + i, s.size() - i);
      return;
    }
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(found) - s.data());
    out.append(s.data() + i, at - i);
    if (at + 3 < s.size() && s[at + 1] == 'x' && hex(s[at + 2]) >= 0 && hex(s[at + 3]) >= 0) {
      out.push_back(static_cast<char>(hex(s[at + 2]) * 16 + hex(s[at + 3])));
      i = at + 4;
    } else if (at + 1 < s.size() && s[at + 1] == '\\') {
      out.push_back('\\');
      i = at + 2;
    } else {
      out.push_back('\\');
      i = at + 1;
    }
  }
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  // Shift the year to start in March so the leap day is the year's last.
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t year_of_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

unsigned month_of(std::string_view a) noexcept {
  static constexpr std::string_view names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (a.size() != 3) return 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (a == names[i]) return i + 1;
  }
  return 0;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace coop::importer::scan
