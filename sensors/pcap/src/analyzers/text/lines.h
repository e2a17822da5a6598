// Internal: splitting a byte stream into lines (LF or CRLF) with a bound on
// the line length, for the line-oriented analyzers (FTP, SMTP, HTTP headers,
// syslog). Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace coop::sensor::detail {

/// Accumulates bytes and calls back once per complete line (without its
/// line ending). A line longer than `max_line` is delivered in pieces.
class line_splitter {
 public:
  explicit line_splitter(std::size_t max_line = 16384) : max_(max_line) {}

  template <class F>
  void feed(std::span<const std::uint8_t> d, F&& on_line) {
    const char* p = reinterpret_cast<const char*>(d.data());
    std::size_t n = d.size();
    std::size_t i = 0;
    while (i < n) {
      const void* nl = std::memchr(p + i, '\n', n - i);
      if (nl == nullptr) {
        buf_.append(p + i, n - i);
        if (buf_.size() > max_) {
          on_line(std::string_view(buf_));
          buf_.clear();
        }
        return;
      }
      std::size_t e = static_cast<std::size_t>(static_cast<const char*>(nl) - p);
      std::string_view line;
      if (buf_.empty()) {
        line = std::string_view(p + i, e - i);
      } else {
        buf_.append(p + i, e - i);
        line = buf_;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      on_line(line);
      buf_.clear();
      i = e + 1;
    }
  }
  /// Bytes waiting for their line end.
  [[nodiscard]] std::string_view pending() const noexcept { return buf_; }
  void clear() noexcept { buf_.clear(); }

 private:
  std::size_t max_;
  std::string buf_;
};

/// ASCII case-insensitive prefix test.
inline bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
    if (b >= 'a' && b <= 'z') b = static_cast<char>(b - 32);
    if (a != b) return false;
  }
  return true;
}

/// Trims spaces and tabs at both ends.
inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace coop::sensor::detail
