#include "rules/text.h"

#include "coop/tm/rules.h"

#include <charconv>
#include <cstring>
#include <limits>

namespace coop::tm::detail {

using model::errc;
using model::error;
using model::interval;
using model::result;

namespace {

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A slash starts a regular expression when it starts a token: at the start
// of the line, after a blank or after an operator or opening bracket. After
// a digit, a letter, '.' or ':' it belongs to a subnet (10.0.0.0/8), a port
// (22/tcp) or a rate (1000/s).
bool slash_starts_regex(std::string_view line, std::size_t i) noexcept {
  if (i == 0) return true;
  const char prev = line[i - 1];
  return is_blank(prev) || std::strchr("~(!=,{[&|", prev) != nullptr;
}

constexpr std::int64_t ns_per_day = 86'400'000'000'000;

}  // namespace

error rules_error(errc code, std::uint32_t line, std::size_t column, std::string_view what) {
  std::string msg = "rules:";
  msg += std::to_string(line);
  msg += ':';
  msg += std::to_string(column);
  msg += ": ";
  msg += what;
  return error{code, std::move(msg)};
}

std::size_t content_length(std::string_view line) noexcept {
  std::size_t end = line.size();
  bool in_string = false;
  bool in_regex = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string || in_regex) {
      if (c == '\\') {
        ++i;  // the escaped character cannot close the literal
      } else if ((in_string && c == '"') || (in_regex && c == '/')) {
        in_string = in_regex = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '/' && slash_starts_regex(line, i)) {
      in_regex = true;
    } else if (c == '#') {
      end = i;
      break;
    }
  }
  while (end > 0 && is_blank(line[end - 1])) --end;
  return end;
}

bool valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_')) return false;
  }
  return true;
}

void line_cursor::skip_blank() noexcept {
  while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
}

bool line_cursor::at_end() noexcept {
  skip_blank();
  return pos_ >= text_.size();
}

std::size_t line_cursor::column() noexcept {
  skip_blank();
  return pos_ + 1;
}

word line_cursor::next() noexcept {
  skip_blank();
  const std::size_t start = pos_;
  if (pos_ < text_.size() && text_[pos_] == ',') {
    ++pos_;  // a stray comma is a word of its own, so errors can show it
  } else {
    while (pos_ < text_.size() && !is_blank(text_[pos_]) && text_[pos_] != ',') ++pos_;
  }
  return word{text_.substr(start, pos_ - start), start + 1};
}

word line_cursor::rest() noexcept {
  skip_blank();
  const std::size_t start = pos_;
  pos_ = text_.size();
  return word{text_.substr(start), start + 1};
}

result<std::vector<word>> line_cursor::list(std::string_view what) {
  std::vector<word> items;
  word w = next();
  while (true) {
    if (w.text.empty() || w.text == ",") {
      std::string msg = items.empty() ? "expected a list of " : "expected another ";
      msg += what;
      msg += items.empty() ? " names" : " name after ','";
      if (!w.text.empty()) msg += ", found ','";
      return rules_error(errc::invalid_argument, line_, w.column, msg);
    }
    items.push_back(w);
    skip_blank();
    if (pos_ >= text_.size() || text_[pos_] != ',') return items;
    ++pos_;
    w = next();
  }
}

std::optional<std::uint64_t> parse_count(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

result<std::uint64_t> parse_size(const word& w, std::uint32_t line) {
  auto n = coop::tm::parse_size(w.text);
  if (!n) return rules_error(errc::invalid_argument, line, w.column, n.err().message);
  return n;
}

result<interval> parse_age(const word& w, std::uint32_t line) {
  const std::string shown(w.text);
  if (!w.text.empty() && w.text.back() == 'y') {
    auto years = parse_count(w.text.substr(0, w.text.size() - 1));
    if (years) {
      // 292 years is the longest span an interval holds (in nanoseconds).
      if (*years > 292) {
        return rules_error(errc::invalid_argument, line, w.column,
                           "interval '" + shown + "' is too long (at most 292y)");
      }
      if (*years == 0) {
        return rules_error(errc::invalid_argument, line, w.column,
                           "interval '" + shown + "' must be positive");
      }
      return interval{static_cast<std::int64_t>(*years) * 365 * ns_per_day};
    }
  }
  auto i = interval::parse(w.text);
  if (!i || w.text.empty() || w.text.front() == '-' || w.text.front() == '+') {
    return rules_error(errc::invalid_argument, line, w.column,
                       "invalid interval '" + shown +
                           "' (expected a number with a unit s, m, h, d or y, as in 90d)");
  }
  if (i->ns <= 0) {
    return rules_error(errc::invalid_argument, line, w.column,
                       "interval '" + shown + "' must be positive");
  }
  return *i;
}

std::string format_age(interval i) {
  struct unit {
    std::int64_t ns;
    const char* suffix;
  };
  static constexpr unit units[] = {
      {ns_per_day, "d"}, {3'600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"}};
  for (const unit& u : units) {
    if (i.ns != 0 && i.ns % u.ns == 0) return std::to_string(i.ns / u.ns) + u.suffix;
  }
  return i.to_string() + "s";
}

}  // namespace coop::tm::detail

namespace coop::tm {

model::result<std::uint64_t> parse_size(std::string_view text) {
  struct unit {
    std::string_view name;
    std::uint64_t factor;
  };
  static constexpr unit units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"TB", 1000'000'000'000},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"TiB", 1ULL << 40},
  };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view suffix = text.substr(digits);
  const std::string shown(text);
  for (const unit& u : units) {
    if (u.name != suffix || digits == 0) continue;
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec != std::errc() || p != text.data() + digits ||
        n > std::numeric_limits<std::uint64_t>::max() / u.factor) {
      return model::error{model::errc::invalid_argument, "size '" + shown + "' is too large"};
    }
    return n * u.factor;
  }
  return model::error{model::errc::invalid_argument,
                      "invalid size '" + shown +
                          "' (expected a number of bytes with an optional unit B, KB, MB, GB, "
                          "TB, KiB, MiB, GiB or TiB, as in 20GiB)"};
}

}  // namespace coop::tm
