// Value syntaxes of the configuration text.
#include "config/values.h"

#include <cctype>
#include <charconv>
#include <string>

namespace coop::comm::config_values {

namespace {

std::optional<std::uint64_t> leading_number(std::string_view& s) {
  std::uint64_t n = 0;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, n);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(p - s.data()));
  return n;
}

bool mul_ok(std::uint64_t n, std::uint64_t m, std::uint64_t& out) {
  if (m != 0 && n > UINT64_MAX / m) return false;
  out = n * m;
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view s) {
  auto n = leading_number(s);
  if (!n) return std::nullopt;
  std::uint64_t m = 0;
  if (s.empty() || s == "B") m = 1;
  else if (s == "KiB") m = 1ull << 10;
  else if (s == "MiB") m = 1ull << 20;
  else if (s == "GiB") m = 1ull << 30;
  else if (s == "kB") m = 1000;
  else if (s == "MB") m = 1000 * 1000;
  else if (s == "GB") m = 1000 * 1000 * 1000;
  else return std::nullopt;
  std::uint64_t out = 0;
  if (!mul_ok(*n, m, out)) return std::nullopt;
  return out;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  auto n = leading_number(s);
  if (!n) return std::nullopt;
  std::uint64_t m = 0;
  if (s == "ms") m = 1;
  else if (s == "s") m = 1000;
  else if (s == "m") m = 60 * 1000;
  else if (s == "h") m = 3600 * 1000;
  else if (s == "d") m = 86400 * 1000;
  else return std::nullopt;
  std::uint64_t out = 0;
  if (!mul_ok(*n, m, out) || out > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(out));
}

std::optional<endpoint> parse_endpoint(std::string_view s) {
  endpoint e;
  std::string_view port;
  if (s.starts_with('[')) {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    e.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) return std::nullopt;
    e.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  if (e.host.empty()) return std::nullopt;
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535) return std::nullopt;
  e.port = static_cast<std::uint16_t>(p);
  return e;
}

std::optional<std::string> parse_pin(std::string_view s) {
  if (s.size() != 64) return std::nullopt;
  std::string out(s);
  for (char& c : out) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool valid_site_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

}  // namespace coop::comm::config_values
