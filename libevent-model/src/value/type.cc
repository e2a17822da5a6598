// type: construction, printing and parsing of Zeek type notation.
#include "coop/model/type.h"

#include <cctype>

namespace coop::model {

std::string_view to_string(type_kind k) noexcept {
  switch (k) {
    case type_kind::none: return "none";
    case type_kind::boolean: return "bool";
    case type_kind::count: return "count";
    case type_kind::integer: return "int";
    case type_kind::real: return "double";
    case type_kind::string: return "string";
    case type_kind::bytes: return "bytes";
    case type_kind::address: return "addr";
    case type_kind::subnet: return "subnet";
    case type_kind::port: return "port";
    case type_kind::time: return "time";
    case type_kind::interval: return "interval";
    case type_kind::enumeration: return "enum";
    case type_kind::set: return "set";
    case type_kind::table: return "table";
    case type_kind::vector: return "vector";
    case type_kind::record: return "record";
  }
  return "unknown";
}

type type::set_of(type element) {
  type t(type_kind::set);
  t.params_.push_back(std::move(element));
  return t;
}

type type::vector_of(type element) {
  type t(type_kind::vector);
  t.params_.push_back(std::move(element));
  return t;
}

type type::table_of(type key, type mapped) {
  type t(type_kind::table);
  t.params_.push_back(std::move(key));
  t.params_.push_back(std::move(mapped));
  return t;
}

type type::enum_of(std::vector<std::string> labels) {
  type t(type_kind::enumeration);
  t.names_ = std::move(labels);
  return t;
}

type type::record_of(std::vector<std::pair<std::string, type>> fields) {
  type t(type_kind::record);
  for (auto& [name, ft] : fields) {
    t.names_.push_back(std::move(name));
    t.params_.push_back(std::move(ft));
  }
  return t;
}

const type& type::element() const noexcept {
  static const type none_type;
  return params_.empty() ? none_type : params_[0];
}

const type& type::mapped() const noexcept {
  static const type none_type;
  return params_.size() < 2 ? none_type : params_[1];
}

int type::index_of(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string type::to_string() const {
  switch (kind_) {
    case type_kind::set: return "set[" + element().to_string() + "]";
    case type_kind::vector: return "vector[" + element().to_string() + "]";
    case type_kind::table:
      return "table[" + element().to_string() + "] of " + mapped().to_string();
    case type_kind::enumeration: {
      std::string out = "enum {";
      for (std::size_t i = 0; i < names_.size(); ++i) {
        out += i ? ", " : " ";
        out += names_[i];
      }
      return out + " }";
    }
    case type_kind::record: {
      std::string out = "record {";
      for (std::size_t i = 0; i < names_.size(); ++i) {
        out += " " + names_[i] + ": " + params_[i].to_string() + ";";
      }
      return out + " }";
    }
    default: return std::string(coop::model::to_string(kind_));
  }
}

namespace {

// Recursive-descent parser over Zeek type notation; depth-bounded.
class type_parser {
 public:
  explicit type_parser(std::string_view s) : s_(s) {}

  result<type> parse_all() {
    auto t = parse(0);
    if (!t) return t;
    skip_space();
    if (pos_ != s_.size()) return fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    return t;
  }

 private:
  error fail(const std::string& what) const {
    std::string shown(s_.substr(0, 200));
    if (s_.size() > 200) shown += "...";
    return error{errc::invalid_argument, "type '" + shown + "', column " +
                                             std::to_string(pos_ + 1) + ": " + what};
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  std::string_view ident() {
    skip_space();
    std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '_' || s_[pos_] == ':' || s_[pos_] == '.')) {
      // "::" is allowed inside enum labels (Intel::ADDR) but not a lone ':'.
      if (s_[pos_] == ':' && (pos_ + 1 >= s_.size() || s_[pos_ + 1] != ':')) break;
      pos_ += s_[pos_] == ':' ? 2 : 1;
    }
    return s_.substr(start, pos_ - start);
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  result<type> parse(unsigned depth) {
    if (depth > max_type_depth) return fail("nested too deeply");
    std::size_t at = (skip_space(), pos_);
    auto word = ident();
    if (word.empty()) return fail("expected a type name");
    static constexpr std::pair<std::string_view, type_kind> scalars[] = {
        {"bool", type_kind::boolean},   {"count", type_kind::count},
        {"int", type_kind::integer},    {"double", type_kind::real},
        {"string", type_kind::string},  {"bytes", type_kind::bytes},
        {"addr", type_kind::address},   {"subnet", type_kind::subnet},
        {"port", type_kind::port},      {"time", type_kind::time},
        {"interval", type_kind::interval}, {"none", type_kind::none}};
    for (auto [name, kind] : scalars) {
      if (word == name) return type(kind);
    }
    if (word == "set" || word == "vector") {
      type elem;
      if (eat('[')) {
        auto e = parse(depth + 1);
        if (!e) return e;
        if (!eat(']')) return fail("expected ']'");
        elem = std::move(*e);
      } else if (word == "vector" && ident() == "of") {
        auto e = parse(depth + 1);
        if (!e) return e;
        elem = std::move(*e);
      } else {
        return fail("expected '[' after " + std::string(word));
      }
      return word == "set" ? type::set_of(std::move(elem)) : type::vector_of(std::move(elem));
    }
    if (word == "table") {
      if (!eat('[')) return fail("expected '[' after table");
      auto k = parse(depth + 1);
      if (!k) return k;
      if (!eat(']')) return fail("expected ']'");
      if (ident() != "of") return fail("expected 'of'");
      auto v = parse(depth + 1);
      if (!v) return v;
      return type::table_of(std::move(*k), std::move(*v));
    }
    if (word == "enum") {
      if (!eat('{')) return fail("expected '{' after enum");
      std::vector<std::string> labels;
      while (!eat('}')) {
        if (!labels.empty() && !eat(',')) return fail("expected ',' or '}'");
        if (eat('}')) break;  // trailing comma
        auto l = ident();
        if (l.empty()) return fail("expected an enum label");
        for (const auto& existing : labels) {
          if (existing == l) return fail("duplicate enum label '" + std::string(l) + "'");
        }
        labels.emplace_back(l);
        if (labels.size() > 4096) return fail("too many enum labels");
      }
      return type::enum_of(std::move(labels));
    }
    if (word == "record") {
      if (!eat('{')) return fail("expected '{' after record");
      std::vector<std::pair<std::string, type>> fields;
      while (!eat('}')) {
        auto name = ident();
        if (name.empty()) return fail("expected a field name");
        for (const auto& f : fields) {
          if (f.first == name) return fail("duplicate field '" + std::string(name) + "'");
        }
        if (!eat(':')) return fail("expected ':' after field name");
        auto ft = parse(depth + 1);
        if (!ft) return ft;
        fields.emplace_back(std::string(name), std::move(*ft));
        if (!eat(';') && !eat(',')) {
          if (eat('}')) break;
          return fail("expected ';'");
        }
        if (fields.size() > 256) return fail("too many record fields");
      }
      return type::record_of(std::move(fields));
    }
    pos_ = at;
    return fail("unknown type '" + std::string(word) + "'");
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

result<type> type::parse(std::string_view text) { return type_parser(text).parse_all(); }

}  // namespace coop::model
