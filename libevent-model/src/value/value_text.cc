// value: printing and parsing in Zeek's notation.
#include <cctype>
#include <charconv>
#include <cmath>

#include "coop/model/value.h"

namespace coop::model {
namespace {

constexpr unsigned max_value_depth = 32;

void append_escaped(std::string& out, std::string_view s, bool quote) {
  static constexpr char hex[] = "0123456789abcdef";
  if (quote) out += '"';
  for (unsigned char c : s) {
    if (c == '\\' || (quote && c == '"')) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (quote) out += '"';
}

void print(std::string& out, const value& v, bool nested) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, none_t>) {
          out += '-';
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? 'T' : 'F';
        } else if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::int64_t> ||
                             std::is_same_v<T, double>) {
          char buf[64];
          auto r = std::to_chars(buf, buf + sizeof buf, x);
          out.append(buf, r.ptr);
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (nested) append_escaped(out, x, true);
          else if (x == "-") out += "\\x2d";  // as Zeek does: "-" alone means unset
          else out += x;
        } else if constexpr (std::is_same_v<T, bytes>) {
          if (!nested && x.data == "-") out += "\\x2d";
          else append_escaped(out, x.data, nested);
        } else if constexpr (std::is_same_v<T, enum_value>) {
          out += x.label;
        } else if constexpr (std::is_same_v<T, set_value>) {
          out += '{';
          for (std::size_t i = 0; i < x.elements.size(); ++i) {
            if (i) out += ", ";
            print(out, x.elements[i], true);
          }
          out += '}';
        } else if constexpr (std::is_same_v<T, vector_value>) {
          out += '[';
          for (std::size_t i = 0; i < x.elements.size(); ++i) {
            if (i) out += ", ";
            print(out, x.elements[i], true);
          }
          out += ']';
        } else if constexpr (std::is_same_v<T, record_value>) {
          out += '[';
          for (std::size_t i = 0; i < x.fields.size(); ++i) {
            if (i) out += ", ";
            print(out, x.fields[i], true);
          }
          out += ']';
        } else if constexpr (std::is_same_v<T, table_value>) {
          out += '{';
          for (std::size_t i = 0; i < x.keys.size(); ++i) {
            if (i) out += ", ";
            out += '[';
            print(out, x.keys[i], true);
            out += "] = ";
            print(out, x.mapped[i], true);
          }
          out += '}';
        } else {
          out += x.to_string();
        }
      },
      v.data());
}

// Undoes append_escaped: `\\`, `\"` and `\xNN`.
bool unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return false;
    if (s[i] == 'x') {
      if (i + 2 >= s.size()) return false;
      unsigned v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ptr != s.data() + i + 3) return false;
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return true;
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

result<value> parse_scalar(std::string_view s, const type& t) {
  // Messages quote at most 200 bytes of the input and of the expected type.
  auto clip = [](std::string_view text) {
    return text.size() <= 200 ? std::string(text) : std::string(text.substr(0, 200)) + "...";
  };
  auto bad = [&](std::string_view what) {
    return error{errc::invalid_argument, "invalid " + clip(what) + " '" + clip(s) + "'"};
  };
  if (s == "-") return value{};
  switch (t.kind()) {
    case type_kind::none: return bad("none");
    case type_kind::boolean:
      if (s == "T" || s == "true") return value{true};
      if (s == "F" || s == "false") return value{false};
      return bad("bool (expected T or F)");
    case type_kind::count: {
      std::uint64_t v = 0;
      if (s.starts_with('-') || !parse_int(s, v)) return bad("count");
      return value{v};
    }
    case type_kind::integer: {
      std::int64_t v = 0;
      if (!parse_int(s, v)) return bad("int");
      return value{v};
    }
    case type_kind::real: {
      double d = 0;
      if (s == "nan" || s == "NaN") return value{std::nan("")};
      if (s == "inf" || s == "Infinity") return value{HUGE_VAL};
      if (s == "-inf" || s == "-Infinity") return value{-HUGE_VAL};
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return bad("double");
      return value{d};
    }
    case type_kind::string:
      // A string that is exactly "-" is written escaped, as in a Zeek log.
      if (s == "\\x2d") return value{std::string("-")};
      return value{std::string(s)};
    case type_kind::bytes: {
      std::string out;
      if (!unescape(s, out)) return bad("bytes");
      return value{bytes{std::move(out)}};
    }
    case type_kind::address: {
      auto a = address::parse(s);
      if (!a) return a.err();
      return value{*a};
    }
    case type_kind::subnet: {
      auto n = subnet::parse(s);
      if (!n) return n.err();
      return value{*n};
    }
    case type_kind::port: {
      auto p = port::parse(s);
      if (!p) return p.err();
      return value{*p};
    }
    case type_kind::time: {
      auto ts = timestamp::parse(s);
      if (!ts) return ts.err();
      return value{*ts};
    }
    case type_kind::interval: {
      auto i = interval::parse(s);
      if (!i) return i.err();
      return value{*i};
    }
    case type_kind::enumeration:
      if (t.index_of(s) < 0) return bad("label of " + t.to_string());
      return value{enum_value{std::string(s)}};
    default: return bad(to_string(t.kind()));
  }
}

// Parser for container notation; positions are 0-based internally.
class value_parser {
 public:
  explicit value_parser(std::string_view s) : s_(s) {}

  result<value> parse_all(const type& t) {
    auto v = parse(t, 0);
    if (!v) return v;
    skip();
    if (pos_ != s_.size()) return fail("unexpected trailing text");
    return v;
  }

 private:
  error fail(const std::string& what) const {
    return error{errc::invalid_argument, "value '" + std::string(s_.substr(0, 200)) +
                                             "', column " + std::to_string(pos_ + 1) + ": " + what};
  }
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // A scalar token inside a container: quoted, or up to a delimiter.
  result<value> scalar(const type& t) {
    skip();
    std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') pos_ += s_[pos_] == '\\' ? 2 : 1;
      if (pos_ >= s_.size()) return fail("unterminated string");
      std::string text;
      if (!unescape(s_.substr(start + 1, pos_ - start - 1), text)) return fail("bad escape");
      ++pos_;
      if (t.kind() == type_kind::string) return value{std::move(text)};
      if (t.kind() == type_kind::bytes) return value{bytes{std::move(text)}};
      auto v = parse_scalar(text, t);
      if (!v) return fail(v.err().message);
      return v;
    }
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ']' && s_[pos_] != '}' &&
           s_[pos_] != ' ' && s_[pos_] != '=')
      ++pos_;
    auto v = parse_scalar(s_.substr(start, pos_ - start), t);
    if (!v) {
      pos_ = start;
      return fail(v.err().message);
    }
    return v;
  }

  // True if the next token is a lone "-" (an unset element or field).
  bool unset_next() {
    skip();
    if (pos_ >= s_.size() || s_[pos_] != '-') return false;
    std::size_t after = pos_ + 1;
    while (after < s_.size() && (s_[after] == ' ' || s_[after] == '\t')) ++after;
    if (after < s_.size() && s_[after] != ',' && s_[after] != ']' && s_[after] != '}') return false;
    pos_ += 1;
    return true;
  }

  result<value> parse(const type& t, unsigned depth) {
    if (depth > max_value_depth) return fail("nested too deeply");
    switch (t.kind()) {
      case type_kind::set:
      case type_kind::vector:
      case type_kind::table:
      case type_kind::record:
        if (depth > 0 && unset_next()) return value{};
        break;
      default: break;
    }
    switch (t.kind()) {
      case type_kind::set:
      case type_kind::vector: {
        char open = t.kind() == type_kind::set ? '{' : '[';
        char close = t.kind() == type_kind::set ? '}' : ']';
        if (!eat(open)) return fail(std::string("expected '") + open + "'");
        std::vector<value> elems;
        while (!eat(close)) {
          if (!elems.empty() && !eat(',')) return fail(std::string("expected ',' or '") + close + "'");
          auto e = parse(t.element(), depth + 1);
          if (!e) return e;
          elems.push_back(std::move(*e));
        }
        if (t.kind() == type_kind::set) return value::make_set(std::move(elems));
        return value{vector_value{std::move(elems)}};
      }
      case type_kind::table: {
        if (!eat('{')) return fail("expected '{'");
        std::vector<std::pair<value, value>> entries;
        while (!eat('}')) {
          if (!entries.empty() && !eat(',')) return fail("expected ',' or '}'");
          if (!eat('[')) return fail("expected '[' before a table key");
          auto k = parse(t.element(), depth + 1);
          if (!k) return k;
          if (!eat(']')) return fail("expected ']' after a table key");
          if (!eat('=')) return fail("expected '=' after a table key");
          auto v = parse(t.mapped(), depth + 1);
          if (!v) return v;
          entries.emplace_back(std::move(*k), std::move(*v));
        }
        return value::make_table(std::move(entries));
      }
      case type_kind::record: {
        if (!eat('[')) return fail("expected '['");
        record_value r;
        r.fields.resize(t.params().size());
        std::size_t next = 0;
        bool first = true;
        while (!eat(']')) {
          if (!first && !eat(',')) return fail("expected ',' or ']'");
          first = false;
          // Either `name=value` or positional.
          skip();
          std::size_t save = pos_;
          std::size_t idx = next;
          std::size_t end = pos_;
          while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) ++end;
          if (end < s_.size() && s_[end] == '=' && end > pos_) {
            int i = t.index_of(s_.substr(pos_, end - pos_));
            if (i < 0) return fail("unknown record field '" + std::string(s_.substr(pos_, end - pos_)) + "'");
            idx = static_cast<std::size_t>(i);
            pos_ = end + 1;
          } else {
            pos_ = save;
          }
          if (idx >= r.fields.size()) return fail("too many record fields");
          auto v = parse(t.params()[idx], depth + 1);
          if (!v) return v;
          r.fields[idx] = std::move(*v);
          next = idx + 1;
        }
        return value{std::move(r)};
      }
      default: return scalar(t);
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string value::to_string() const {
  std::string out;
  print(out, *this, false);
  return out;
}

result<value> value::parse(std::string_view text, const type& t) {
  switch (t.kind()) {
    case type_kind::set:
    case type_kind::vector:
    case type_kind::table:
    case type_kind::record:
      if (text == "-") return value{};
      return value_parser(text).parse_all(t);
    default: return parse_scalar(text, t);
  }
}

}  // namespace coop::model
