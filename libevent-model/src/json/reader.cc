// The strict JSON cursor: whitespace, strings (UTF-8 checked, surrogate
// escapes), numbers (grammar only; conversion is the caller's), literals,
// containers with depth and element limits, and error bookkeeping.
#include "json/reader.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "json/utf8.h"

namespace coop::model::json {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string hex4(std::uint32_t v) {
  std::string s = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) s.push_back(hex_digits[(v >> shift) & 15]);
  return s;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

std::string quoted(std::string_view s) {
  std::string q = "\"";
  q.append(s.substr(0, 64));
  if (s.size() > 64) q.append("...");
  return q + "\"";
}

reader::reader(std::string_view text, const json_limits& limits) noexcept
    : text_(text),
      max_depth_(std::min(limits.max_depth, hard_max_depth)),
      max_string_(limits.max_string_bytes),
      max_elements_(limits.max_elements) {}

char reader::peek() noexcept {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c;
    ++pos_;
  }
  return '\0';
}

std::string reader::found() {
  char c = peek();
  if (pos_ >= text_.size()) return "end of input";
  switch (c) {
    case '"': return "a string";
    case '{': return "an object";
    case '[': return "an array";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default: break;
  }
  if (c == '-' || is_digit(c)) return "a number";
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  return std::string("byte 0x") + hex_digits[u >> 4] + hex_digits[u & 15];
}

bool reader::fail(std::size_t at, std::string what, errc code) {
  if (!failed_) {
    failed_ = true;
    code_ = code;
    error_at_ = at;
    what_ = std::move(what);
  }
  return false;
}

bool reader::fail_expected(std::string_view what) {
  std::string f = found();
  return fail(pos_, "expected " + std::string(what) + ", found " + f);
}

void reader::prefix_path(std::string_view segment) { path_.insert(0, segment); }

error reader::take_error() const {
  std::string msg;
  std::string_view path = path_;
  if (!path.empty() && path.front() == '.') path.remove_prefix(1);
  if (!path.empty()) msg.append(path).append(": ");
  msg.append(what_).append(" at byte ").append(std::to_string(error_at_));
  return error{code_, std::move(msg)};
}

bool reader::enter(char open) {
  if (peek() != open) return fail_expected(open == '{' ? "an object" : "an array");
  if (depth_ >= max_depth_) {
    return fail(pos_, "nesting deeper than max_depth " + std::to_string(max_depth_),
                errc::overloaded);
  }
  ++depth_;
  ++pos_;
  return true;
}

bool reader::begin_object() { return enter('{'); }
bool reader::begin_array() { return enter('['); }

bool reader::count_element() {
  if (++elements_ > max_elements_) {
    return fail(pos_, "more than max_elements " + std::to_string(max_elements_) +
                          " array elements and object members", errc::overloaded);
  }
  return true;
}

// Before each member or element of a container closed by `close`: the end
// of the container, or (after the first item) the ',' that must precede
// the next item.
reader::step reader::next_item(bool& first, char close) {
  if (peek() == close) {  // an empty container, or the end after an item
    ++pos_;
    --depth_;
    first = false;
    return step::end;
  }
  if (!first) {
    if (peek() != ',') {
      fail_expected(std::string("',' or '") + close + "'");
      return step::fail;
    }
    ++pos_;
    if (peek() == close) {
      fail(pos_, std::string("trailing comma before '") + close + "'");
      return step::fail;
    }
  }
  first = false;
  return step::item;
}

reader::step reader::next_member(bool& first, std::string& key) {
  if (const step s = next_item(first, '}'); s != step::item) return s;
  if (peek() != '"') {
    fail_expected("a member name (a string)");
    return step::fail;
  }
  key_offset_ = pos_;
  if (!parse_string(key)) return step::fail;
  if (peek() != ':') {
    fail_expected("':'");
    return step::fail;
  }
  ++pos_;
  if (!count_element()) return step::fail;
  return step::item;
}

reader::step reader::next_element(bool& first) {
  if (const step s = next_item(first, ']'); s != step::item) return s;
  if (!count_element()) return step::fail;
  return step::item;
}

int reader::known_key(std::string_view key, std::span<const std::string_view> names, unsigned& seen,
                      std::string_view where) {
  std::size_t k = 0;
  while (k < names.size() && names[k] != key) ++k;
  if (k == names.size()) {
    fail(key_offset_, "unknown key " + quoted(key) + " in " + std::string(where));
    return -1;
  }
  const unsigned bit = 1u << k;
  if (seen & bit) {
    fail(key_offset_, "duplicate key " + quoted(key));
    return -1;
  }
  seen |= bit;
  return static_cast<int>(k);
}

bool reader::parse_hex4(std::uint32_t& out) {
  std::size_t at = pos_ - 2;  // the backslash
  if (text_.size() - pos_ < 4) return fail(at, "truncated \\u escape");
  out = 0;
  for (int i = 0; i < 4; ++i) {
    char c = text_[pos_++];
    std::uint32_t d = 0;
    if (is_digit(c)) d = static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<std::uint32_t>(c - 'A' + 10);
    else return fail(at, "invalid \\u escape: expected four hex digits");
    out = out << 4 | d;
  }
  return true;
}

bool reader::parse_string(std::string& out) {
  if (peek() != '"') return fail_expected("a string");
  const std::size_t start = pos_++;
  const char* s = text_.data();
  const std::size_t n = text_.size();
  out.clear();
  for (;;) {
    std::size_t run = pos_;
    while (pos_ < n) {
      auto c = static_cast<unsigned char>(s[pos_]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++pos_;
    }
    out.append(s + run, pos_ - run);
    if (out.size() > max_string_) {
      return fail(start, "string longer than max_string_bytes " + std::to_string(max_string_),
                  errc::overloaded);
    }
    if (pos_ >= n) return fail(start, "unterminated string");
    auto c = static_cast<unsigned char>(s[pos_]);
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c < 0x20) {
      return fail(pos_, "unescaped control character " + hex4(c).replace(0, 2, "U+") +
                            " in string");
    }
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(reinterpret_cast<const unsigned char*>(s + pos_),
                                             reinterpret_cast<const unsigned char*>(s + n));
      if (len == 0) return fail(pos_, "invalid UTF-8 in string");
      out.append(s + pos_, len);
      pos_ += len;
      continue;
    }
    const std::size_t esc = pos_++;
    if (pos_ >= n) return fail(start, "unterminated string");
    char e = s[pos_++];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!parse_hex4(cp)) return false;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          std::uint32_t lo = 0;
          if (n - pos_ >= 2 && s[pos_] == '\\' && s[pos_ + 1] == 'u') {
            pos_ += 2;
            if (!parse_hex4(lo)) return false;
          }
          if (lo < 0xdc00 || lo > 0xdfff) {
            return fail(esc, "high surrogate " + hex4(cp) + " not followed by a low surrogate");
          }
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          if (cp < 0xdc80 || cp > 0xdcff) {
            return fail(esc, "lone low surrogate " + hex4(cp) +
                                 " (only \\udc80..\\udcff, escaped bytes, may stand alone)");
          }
          out.push_back(static_cast<char>(cp & 0xff));  // surrogateescape: one raw byte
          break;
        }
        append_utf8(out, cp);
        break;
      }
      default: {
        auto u = static_cast<unsigned char>(e);
        std::string shown = u >= 0x21 && u < 0x7f ? std::string(1, e) : hex4(u).replace(0, 2, "U+");
        return fail(esc, "invalid escape '\\" + shown + "' in string");
      }
    }
  }
}

bool reader::parse_number(std::string_view& token) {
  char c = peek();
  if (c != '-' && !is_digit(c)) return fail_expected("a number");
  const std::size_t start = pos_;
  const std::size_t n = text_.size();
  auto digits = [&] {
    std::size_t from = pos_;
    while (pos_ < n && is_digit(text_[pos_])) ++pos_;
    return pos_ - from;
  };
  if (text_[pos_] == '-') ++pos_;
  if (pos_ < n && text_[pos_] == '0') {
    ++pos_;
    if (pos_ < n && is_digit(text_[pos_])) return fail(start, "invalid number: leading zero");
  } else if (digits() == 0) {
    return fail(start, "invalid number: expected a digit after '-'");
  }
  if (pos_ < n && text_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) return fail(start, "invalid number: expected a digit after '.'");
  }
  if (pos_ < n && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < n && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (digits() == 0) return fail(start, "invalid number: expected a digit in the exponent");
  }
  token = text_.substr(start, pos_ - start);
  return true;
}

bool reader::parse_bool(bool& out) {
  char c = peek();
  if (c == 't' && text_.substr(pos_, 4) == "true") {
    pos_ += 4;
    out = true;
    return true;
  }
  if (c == 'f' && text_.substr(pos_, 5) == "false") {
    pos_ += 5;
    out = false;
    return true;
  }
  return fail_expected("true or false");
}

bool reader::try_null() {
  if (peek() == 'n' && text_.substr(pos_, 4) == "null") {
    pos_ += 4;
    return true;
  }
  return false;
}

bool reader::skip_value() {
  char c = peek();
  switch (c) {
    case '{': {
      if (!begin_object()) return false;
      std::vector<std::pair<std::string, std::size_t>> keys;
      if (!each_member([&](const std::string& key) {
            keys.emplace_back(key, key_offset_);
            return skip_value();
          })) {
        return false;
      }
      std::sort(keys.begin(), keys.end());
      for (std::size_t i = 1; i < keys.size(); ++i) {
        if (keys[i].first == keys[i - 1].first) {
          return fail(keys[i].second, "duplicate key \"" + keys[i].first + "\"");
        }
      }
      return true;
    }
    case '[':
      if (!begin_array()) return false;
      return each_element([&](std::size_t) { return skip_value(); });
    case '"': {
      std::string scratch;
      return parse_string(scratch);
    }
    case 't':
    case 'f': {
      bool b = false;
      return parse_bool(b);
    }
    case 'n':
      return try_null() || fail_expected("a value");
    default: {
      std::string_view token;
      if (c == '-' || is_digit(c)) return parse_number(token);
      return fail_expected("a value");
    }
  }
}

bool reader::finish() {
  peek();
  if (pos_ != text_.size()) return fail(pos_, "unexpected " + found() + " after the value");
  return true;
}

}  // namespace coop::model::json
