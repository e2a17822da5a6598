// Tokenizer of the filter language (see lexer.h and docs/filter.md).
#include "filter/lexer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include "coop/model/address.h"
#include "coop/model/time.h"

namespace coop::model::filter_impl {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A character as it should appear in a message: printable ones as is,
// others as \xHH, so hostile bytes never reach a log raw.
std::string show_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("\\x") + hex[u >> 4] + hex[u & 15];
}

std::string show_text(std::string_view s) {
  std::string out;
  constexpr std::size_t max_shown = 40;
  for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) out += show_char(s[i]);
  if (s.size() > max_shown) out += "...";
  return out;
}

// Nanoseconds per unit of an interval literal, or 0 if `u` is no unit.
std::int64_t unit_ns(std::string_view u) {
  struct entry {
    std::string_view name;
    std::int64_t ns;
  };
  static constexpr entry units[] = {
      {"ns", 1},
      {"nsec", 1},
      {"nsecs", 1},
      {"us", 1'000},
      {"usec", 1'000},
      {"usecs", 1'000},
      {"ms", 1'000'000},
      {"msec", 1'000'000},
      {"msecs", 1'000'000},
      {"s", 1'000'000'000},
      {"sec", 1'000'000'000},
      {"secs", 1'000'000'000},
      {"m", 60'000'000'000},
      {"min", 60'000'000'000},
      {"mins", 60'000'000'000},
      {"h", 3'600'000'000'000},
      {"hr", 3'600'000'000'000},
      {"hrs", 3'600'000'000'000},
      {"d", 86'400'000'000'000},
      {"day", 86'400'000'000'000},
      {"days", 86'400'000'000'000},
  };
  for (const auto& e : units) {
    if (e.name == u) return e.ns;
  }
  return 0;
}

}  // namespace

error error_at(errc c, std::size_t column, std::string message) {
  return error{c, "column " + std::to_string(column) + ": " + std::move(message)};
}

std::string describe(const token& t) {
  switch (t.kind) {
    case tok::end:
      return "end of input";
    case tok::ident:
      return "identifier '" + show_text(t.text) + "'";
    case tok::literal:
      return "literal '" + show_text(t.text) + "'";
    default:
      return "'" + show_text(t.text) + "'";
  }
}

bool lexer::spaced_unit() const {
  // Zeek also writes `10 mins`. A word after a number is otherwise always a
  // syntax error, so reading it as a unit when it is one is unambiguous.
  std::size_t p = pos_;
  while (p < text_.size() && is_space(text_[p])) ++p;
  if (p == pos_) return false;
  const std::size_t w = p;
  while (p < text_.size() && is_alpha(text_[p])) ++p;
  if (p < text_.size() && is_word(text_[p])) return false;
  return unit_ns(text_.substr(w, p - w)) != 0;
}

token lexer::make(tok k, std::size_t start) const {
  token t;
  t.kind = k;
  t.column = start + 1;
  t.text = text_.substr(start, pos_ - start);
  return t;
}

result<token> lexer::next() {
  while (!at_end() && is_space(peek())) ++pos_;
  const std::size_t start = pos_;
  if (at_end()) return make(tok::end, start);
  const char c = peek();
  auto one = [&](tok k) {
    ++pos_;
    return make(k, start);
  };
  auto two = [&](tok k) {
    pos_ += 2;
    return make(k, start);
  };
  switch (c) {
    case '(': return one(tok::lparen);
    case ')': return one(tok::rparen);
    case '{': return one(tok::lbrace);
    case '}': return one(tok::rbrace);
    case '[': return one(tok::lbracket);
    case ']': return one(tok::rbracket);
    case ',': return one(tok::comma);
    case '~': return one(tok::match);
    case '+': return one(tok::plus);
    case '-': return one(tok::minus);
    case '.':
      if (peek(1) == '.') return two(tok::dotdot);
      return error_at(errc::invalid_argument, start + 1, "unexpected '.'");
    case '&':
      if (peek(1) == '&') return two(tok::and_);
      return error_at(errc::invalid_argument, start + 1, "unexpected '&'; did you mean '&&'?");
    case '|':
      if (peek(1) == '|') return two(tok::or_);
      return error_at(errc::invalid_argument, start + 1, "unexpected '|'; did you mean '||'?");
    case '=':
      if (peek(1) == '=') return two(tok::eq);
      return error_at(errc::invalid_argument, start + 1, "unexpected '='; did you mean '=='?");
    case '<':
      if (peek(1) == '=') return two(tok::le);
      return one(tok::lt);
    case '>':
      if (peek(1) == '=') return two(tok::ge);
      return one(tok::gt);
    case '!':
      if (peek(1) == '=') return two(tok::ne);
      if (peek(1) == '~') return two(tok::not_match);
      if (peek(1) == 'i' && peek(2) == 'n' && !is_word(peek(3))) {
        pos_ += 3;
        return make(tok::not_in, start);
      }
      return one(tok::not_);
    case '"': return string_literal(start);
    case '/': return regex_literal(start);
    case ':':
      if (peek(1) == ':') return ipv6(start);
      return error_at(errc::invalid_argument, start + 1, "unexpected ':'");
    default:
      break;
  }
  if (is_digit(c)) return number(start);
  if (is_alpha(c) || c == '_') return word(start);
  return error_at(errc::invalid_argument, start + 1,
                  "unexpected character '" + show_char(c) + "'");
}

result<token> lexer::word(std::size_t start) {
  while (!at_end() && is_word(peek())) ++pos_;
  if (peek() == ':') {
    // A hex group followed by ':' can only start an IPv6 address (fe80::1).
    bool hex = pos_ - start <= 4;
    for (std::size_t i = start; hex && i < pos_; ++i) hex = is_hex(text_[i]);
    if (hex) {
      pos_ = start;
      return ipv6(start);
    }
  }
  bool dotted = false;
  while (peek() == '.' && (is_alpha(peek(1)) || peek(1) == '_')) {
    dotted = true;
    ++pos_;
    while (!at_end() && is_word(peek())) ++pos_;
  }
  token t = make(tok::ident, start);
  if (dotted) return t;
  const std::string_view w = t.text;
  if (w == "in") t.kind = tok::in;
  else if (w == "starts_with") t.kind = tok::starts_with;
  else if (w == "ends_with") t.kind = tok::ends_with;
  else if (w == "contains") t.kind = tok::contains;
  else if (w == "now") t.kind = tok::now;
  else if (w == "T" || w == "true" || w == "F" || w == "false") {
    t.kind = tok::literal;
    t.lit.kind = lit_kind::boolean;
    t.lit.b = (w == "T" || w == "true");
    t.lit.column = t.column;
  }
  return t;
}

result<token> lexer::number(std::size_t start) {
  // RFC 3339 time: four digits and a dash (2009-11-18T08:00:21Z).
  if (text_.size() - start > 5 && is_digit(peek(1)) && is_digit(peek(2)) && is_digit(peek(3)) &&
      peek(4) == '-' && is_digit(peek(5))) {
    return rfc3339(start);
  }
  {  // IPv6 starting with a decimal-looking group (2001:db8::1).
    std::size_t p = start;
    while (p < text_.size() && is_hex(text_[p])) ++p;
    if (p < text_.size() && text_[p] == ':') return ipv6(start);
  }
  unsigned dots = 0;
  while (is_digit(peek())) ++pos_;
  while (peek() == '.' && is_digit(peek(1))) {
    ++dots;
    ++pos_;
    while (is_digit(peek())) ++pos_;
  }
  token t = make(tok::literal, start);
  literal& l = t.lit;
  l.column = t.column;
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  if (dots == 3) {
    if (peek() == '/' && is_digit(peek(1))) return subnet_literal(start);
    auto a = address::parse(t.text);
    if (!a) {
      return error_at(errc::invalid_argument, start + 1,
                      "invalid address '" + show_text(t.text) + "'");
    }
    l.kind = lit_kind::address;
    l.a = *a;
  } else if (dots <= 1) {
    double real = 0;
    std::uint64_t whole = 0;
    if (dots == 1) {
      auto [p, ec] = std::from_chars(first, last, real);
      if (ec != std::errc() || p != last || !std::isfinite(real)) {
        return error_at(errc::invalid_argument, start + 1, "invalid number '" + show_text(t.text) + "'");
      }
      l.kind = lit_kind::real;
      l.f = real;
    } else {
      auto [p, ec] = std::from_chars(first, last, whole);
      if (ec != std::errc() || p != last) {
        return error_at(errc::invalid_argument, start + 1,
                        "number '" + show_text(t.text) + "' does not fit in 64 bits");
      }
      l.kind = lit_kind::count;
      l.u = whole;
    }
    if (dots == 0 && peek() == '/' && is_alpha(peek(1))) {
      ++pos_;
      while (is_word(peek())) ++pos_;
      t = make(tok::literal, start);
      auto pt = port::parse(t.text);
      if (!pt || whole > 65535) {
        return error_at(errc::invalid_argument, start + 1,
                        "invalid port '" + show_text(t.text) + "' (expected 0-65535 and tcp, udp, icmp or unknown)");
      }
      t.lit.kind = lit_kind::port;
      t.lit.p = *pt;
      t.lit.column = t.column;
    } else if (is_alpha(peek()) || spaced_unit()) {
      while (is_space(peek())) ++pos_;
      const std::size_t unit_start = pos_;
      while (is_alpha(peek())) ++pos_;
      const std::int64_t per = unit_ns(text_.substr(unit_start, pos_ - unit_start));
      if (per == 0) {
        return error_at(errc::invalid_argument, unit_start + 1,
                        "unknown time unit '" + show_text(text_.substr(unit_start, pos_ - unit_start)) +
                            "' (expected ns, us, ms, s, m, h or d)");
      }
      literal iv;
      iv.kind = lit_kind::interval;
      const double limit = static_cast<double>(std::numeric_limits<std::int64_t>::max());
      if (dots == 1) {
        const double ns = real * static_cast<double>(per);
        if (!(ns < limit)) {
          return error_at(errc::invalid_argument, start + 1, "interval out of range");
        }
        iv.i = static_cast<std::int64_t>(std::llround(ns));
      } else {
        if (whole > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / per)) {
          return error_at(errc::invalid_argument, start + 1, "interval out of range");
        }
        iv.i = static_cast<std::int64_t>(whole) * per;
      }
      t = make(tok::literal, start);
      iv.column = t.column;
      t.lit = std::move(iv);
    }
  } else {
    return error_at(errc::invalid_argument, start + 1, "malformed number or address '" + show_text(t.text) + "'");
  }
  return end_literal(std::move(t));
}

result<token> lexer::ipv6(std::size_t start) {
  pos_ = start;
  while (!at_end() && (is_hex(peek()) || peek() == ':' || (peek() == '.' && peek(1) != '.'))) ++pos_;
  token t = make(tok::literal, start);
  auto a = address::parse(t.text);
  if (!a) return error_at(errc::invalid_argument, start + 1, "invalid IPv6 address '" + show_text(t.text) + "'");
  if (peek() == '/' && is_digit(peek(1))) return subnet_literal(start);
  t.lit.kind = lit_kind::address;
  t.lit.a = *a;
  t.lit.column = t.column;
  return end_literal(std::move(t));
}

result<token> lexer::subnet_literal(std::size_t start) {
  ++pos_;  // the '/' before the prefix length
  while (is_digit(peek())) ++pos_;
  token t = make(tok::literal, start);
  auto n = subnet::parse(t.text);
  if (!n) {
    return error_at(errc::invalid_argument, start + 1,
                    "invalid subnet '" + show_text(t.text) + "'");
  }
  t.lit.kind = lit_kind::subnet;
  t.lit.n = *n;
  t.lit.column = t.column;
  return end_literal(std::move(t));
}

result<token> lexer::end_literal(token t) const {
  if (is_word(peek())) {
    return error_at(errc::invalid_argument, pos_ + 1,
                    "unexpected '" + show_char(peek()) + "' after literal '" + show_text(t.text) + "'");
  }
  return t;
}

result<token> lexer::rfc3339(std::size_t start) {
  while (!at_end()) {
    const char c = peek();
    const bool ok = is_digit(c) || c == 'T' || c == 't' || c == 'Z' || c == 'z' || c == ':' ||
                    c == '+' || c == '-' || (c == '.' && peek(1) != '.');
    if (!ok) break;
    ++pos_;
  }
  token t = make(tok::literal, start);
  // Nanoseconds since 1970 in 64 bits span the years 1677 to 2262; check
  // the year here so no time arithmetic downstream can overflow.
  const int year = (text_[start] - '0') * 1000 + (text_[start + 1] - '0') * 100 + (text_[start + 2] - '0') * 10 +
                   (text_[start + 3] - '0');
  if (year < 1678 || year > 2261) {
    return error_at(errc::invalid_argument, start + 1,
                    "time '" + show_text(t.text) + "' out of range (years 1678 to 2261)");
  }
  auto ts = timestamp::parse(t.text);
  if (!ts) {
    return error_at(errc::invalid_argument, start + 1,
                    "invalid time '" + show_text(t.text) + "' (expected RFC 3339, e.g. 2009-11-18T08:00:21Z)");
  }
  t.lit.kind = lit_kind::time;
  t.lit.i = ts->ns;
  t.lit.column = t.column;
  return end_literal(std::move(t));
}

result<token> lexer::string_literal(std::size_t start) {
  ++pos_;  // opening quote
  std::string out;
  while (true) {
    if (at_end()) return error_at(errc::invalid_argument, start + 1, "unterminated string");
    const char c = peek();
    if (c == '"') {
      ++pos_;
      break;
    }
    if (c != '\\') {
      out += c;
      ++pos_;
      continue;
    }
    const std::size_t esc = pos_;
    const char e = peek(1);
    pos_ += 2;
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case 'x': {
        if (!is_hex(peek()) || !is_hex(peek(1))) {
          return error_at(errc::invalid_argument, esc + 1, "'\\x' must be followed by two hex digits");
        }
        unsigned v = 0;
        std::from_chars(text_.data() + pos_, text_.data() + pos_ + 2, v, 16);
        out += static_cast<char>(v);
        pos_ += 2;
        break;
      }
      default:
        if (esc + 1 >= text_.size()) return error_at(errc::invalid_argument, start + 1, "unterminated string");
        return error_at(errc::invalid_argument, esc + 1,
                        "unknown escape '\\" + show_char(e) + "' (expected \\\", \\\\, \\n, \\t, \\r, \\0 or \\xHH)");
    }
  }
  token t = make(tok::literal, start);
  t.lit.kind = lit_kind::string;
  t.lit.s = std::move(out);
  t.lit.column = t.column;
  return t;
}

result<token> lexer::regex_literal(std::size_t start) {
  ++pos_;  // opening slash
  const std::size_t body = pos_;
  while (true) {
    if (at_end()) return error_at(errc::invalid_argument, start + 1, "unterminated regular expression");
    if (peek() == '/') break;
    pos_ += (peek() == '\\' && pos_ + 1 < text_.size()) ? 2 : 1;
  }
  std::string pattern(text_.substr(body, pos_ - body));
  ++pos_;  // closing slash
  bool flag_i = false;
  while (is_word(peek())) {
    if (peek() != 'i') {
      return error_at(errc::invalid_argument, pos_ + 1,
                      "unknown regular expression flag '" + show_char(peek()) + "' (only 'i' exists)");
    }
    flag_i = true;
    ++pos_;
  }
  token t = make(tok::literal, start);
  t.lit.kind = lit_kind::regex;
  t.lit.s = std::move(pattern);
  t.lit.flag_i = flag_i;
  t.lit.column = t.column;
  return t;
}

}  // namespace coop::model::filter_impl
