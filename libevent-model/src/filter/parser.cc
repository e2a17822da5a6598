// Recursive-descent parser of the filter language (grammar in docs/filter.md).
#include "filter/parser.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "filter/lexer.h"

namespace coop::model::filter_impl {

const char* spelling(op o) noexcept {
  switch (o) {
    case op::eq: return "==";
    case op::ne: return "!=";
    case op::lt: return "<";
    case op::le: return "<=";
    case op::gt: return ">";
    case op::ge: return ">=";
    case op::in: return "in";
    case op::not_in: return "!in";
    case op::starts_with: return "starts_with";
    case op::ends_with: return "ends_with";
    case op::contains: return "contains";
    case op::match: return "~";
    case op::not_match: return "!~";
    case op::truth: return "(test)";
  }
  return "?";
}

namespace {

constexpr unsigned max_supported_depth = 256;

// Propagates an error from an expression yielding result<T>.
#define COOP_FILTER_TRY(var, expr_)  \
  auto var##_r = (expr_);            \
  if (!var##_r) return var##_r.err(); \
  auto var = std::move(*var##_r)

#define COOP_FILTER_CHECK(expr_)          \
  do {                                    \
    auto check_r_ = (expr_);              \
    if (!check_r_) return check_r_.err(); \
  } while (0)

class parser {
 public:
  parser(std::string_view text, const filter_limits& limits) : lex_(text), limits_(limits) {}

  result<parsed> run() {
    COOP_FILTER_CHECK(advance());
    COOP_FILTER_TRY(root, expression());
    if (cur_.kind != tok::end) {
      return syntax(cur_.kind == tok::rparen ? "unbalanced ')'"
                                             : "expected '&&', '||' or end of input, found " + describe(cur_));
    }
    parsed p;
    p.root = std::move(root);
    p.uses_now = uses_now_;
    return p;
  }

 private:
  result<void> advance() {
    auto t = lex_.next();
    if (!t) return t.err();
    cur_ = std::move(*t);
    return {};
  }

  error syntax(const std::string& msg) const {
    return error_at(errc::invalid_argument, cur_.column, msg);
  }

  result<void> enter(std::size_t column) {
    // The stack bound holds whatever the caller asks for.
    const unsigned limit = std::min(limits_.max_depth, max_supported_depth);
    if (++depth_ > limit) {
      return error_at(errc::overloaded, column,
                      "expression nested deeper than the limit of " + std::to_string(limit));
    }
    return {};
  }

  // Builds an n-ary node, flattening children of the same kind so that long
  // chains stay shallow.
  static expr join(expr::kind k, std::vector<expr> parts, std::size_t column) {
    expr e;
    e.k = k;
    e.column = column;
    for (auto& p : parts) {
      if (p.k == k) {
        for (auto& c : p.children) e.children.push_back(std::move(c));
      } else {
        e.children.push_back(std::move(p));
      }
    }
    return e;
  }

  // One level of binary operators: operands read by `next`, separated
  // by `sep`, joined into a node of kind `k` when there are several.
  result<expr> chain(result<expr> (parser::*next)(), tok sep, expr::kind k) {
    const std::size_t column = cur_.column;
    std::vector<expr> parts;
    while (true) {
      COOP_FILTER_TRY(e, (this->*next)());
      parts.push_back(std::move(e));
      if (cur_.kind != sep) break;
      COOP_FILTER_CHECK(advance());
    }
    if (parts.size() == 1) return std::move(parts.front());
    return join(k, std::move(parts), column);
  }

  result<expr> expression() {  // or_expr = and_expr { "||" and_expr }
    return chain(&parser::conjunction, tok::or_, expr::kind::any);
  }

  result<expr> conjunction() {  // and_expr = unary { "&&" unary }
    return chain(&parser::unary, tok::and_, expr::kind::all);
  }

  result<expr> unary() {  // unary = "!" unary | primary
    if (cur_.kind != tok::not_) return primary();
    const std::size_t column = cur_.column;
    COOP_FILTER_CHECK(enter(column));
    COOP_FILTER_CHECK(advance());
    COOP_FILTER_TRY(inner, unary());
    --depth_;
    expr e;
    e.k = expr::kind::negate;
    e.column = column;
    e.children.push_back(std::move(inner));
    return e;
  }

  result<expr> primary() {
    if (cur_.kind == tok::lparen) {
      const std::size_t column = cur_.column;
      COOP_FILTER_CHECK(enter(column));
      COOP_FILTER_CHECK(advance());
      COOP_FILTER_TRY(inner, expression());
      if (cur_.kind != tok::rparen) {
        return syntax("expected ')' to close the '(' at column " + std::to_string(column) + ", found " +
                      describe(cur_));
      }
      COOP_FILTER_CHECK(advance());
      --depth_;
      return inner;
    }
    if (cur_.kind == tok::literal && cur_.lit.kind == lit_kind::boolean) {
      expr e;
      e.k = expr::kind::constant;
      e.column = cur_.column;
      e.value = cur_.lit.b;
      COOP_FILTER_CHECK(advance());
      return e;
    }
    if (cur_.kind == tok::ident) return predicate();
    if (cur_.kind == tok::end) return syntax("expected a field name, '(' or '!', found end of input");
    return syntax("expected a field name, '(' or '!', found " + describe(cur_));
  }

  result<expr> predicate() {
    expr e;
    e.k = expr::kind::predicate;
    e.column = cur_.column;
    e.path = std::string(cur_.text);
    COOP_FILTER_CHECK(advance());
    e.op_column = cur_.column;
    switch (cur_.kind) {
      case tok::eq: e.o = op::eq; break;
      case tok::ne: e.o = op::ne; break;
      case tok::lt: e.o = op::lt; break;
      case tok::le: e.o = op::le; break;
      case tok::gt: e.o = op::gt; break;
      case tok::ge: e.o = op::ge; break;
      case tok::in: e.o = op::in; break;
      case tok::not_in: e.o = op::not_in; break;
      case tok::starts_with: e.o = op::starts_with; break;
      case tok::ends_with: e.o = op::ends_with; break;
      case tok::contains: e.o = op::contains; break;
      case tok::match: e.o = op::match; break;
      case tok::not_match: e.o = op::not_match; break;
      case tok::ident:
      case tok::literal:
      case tok::now:
        return syntax("expected an operator (==, !=, <, <=, >, >=, in, !in, ~, !~, starts_with, "
                      "ends_with, contains) after '" + e.path + "', found " + describe(cur_));
      default:
        e.o = op::truth;  // a bare (bool) field
        return e;
    }
    COOP_FILTER_CHECK(advance());
    switch (e.o) {
      case op::in:
      case op::not_in: {
        COOP_FILTER_TRY(rhs, collection(e.o));
        e.rhs = std::move(rhs);
        break;
      }
      case op::match:
      case op::not_match: {
        if (cur_.kind != tok::literal || (cur_.lit.kind != lit_kind::regex && cur_.lit.kind != lit_kind::string)) {
          return syntax(std::string("expected a regular expression /.../ or a string after '") + spelling(e.o) +
                        "', found " + describe(cur_));
        }
        COOP_FILTER_TRY(rhs, regex());
        e.rhs = std::move(rhs);
        break;
      }
      default: {
        COOP_FILTER_TRY(rhs, operand(true));
        e.rhs = std::move(rhs);
        break;
      }
    }
    return e;
  }

  result<literal> regex() {
    literal l = std::move(cur_.lit);
    if (l.s.size() > limits_.max_regex_length) {
      return error_at(errc::overloaded, l.column,
                      "regular expression longer than the limit of " + std::to_string(limits_.max_regex_length) +
                          " bytes");
    }
    if (++regexes_ > limits_.max_regexes) {
      return error_at(errc::overloaded, l.column,
                      "more regular expressions than the limit of " + std::to_string(limits_.max_regexes));
    }
    l.kind = lit_kind::regex;
    COOP_FILTER_CHECK(advance());
    return l;
  }

  // in / !in: a set, a range or a subnet.
  result<literal> collection(op o) {
    if (cur_.kind == tok::lbrace) return set();
    if (cur_.kind == tok::lbracket) return range();
    if (cur_.kind == tok::literal && cur_.lit.kind == lit_kind::subnet) return operand(false);
    return syntax(std::string("expected a set {...}, a range [... .. ...] or a subnet after '") + spelling(o) +
                  "', found " + describe(cur_));
  }

  result<literal> set() {
    literal l;
    l.kind = lit_kind::set;
    l.column = cur_.column;
    COOP_FILTER_CHECK(enter(l.column));
    COOP_FILTER_CHECK(advance());
    while (cur_.kind != tok::rbrace) {
      if (l.elems.size() >= limits_.max_set_elements) {
        return error_at(errc::overloaded, cur_.column,
                        "set has more elements than the limit of " + std::to_string(limits_.max_set_elements));
      }
      COOP_FILTER_TRY(elem, operand(false));
      l.elems.push_back(std::move(elem));
      if (cur_.kind == tok::comma) {
        COOP_FILTER_CHECK(advance());
      } else if (cur_.kind != tok::rbrace) {
        return syntax("expected ',' or '}' in the set opened at column " + std::to_string(l.column) +
                      ", found " + describe(cur_));
      }
    }
    COOP_FILTER_CHECK(advance());
    --depth_;
    return l;
  }

  result<literal> range() {
    literal l;
    l.kind = lit_kind::range;
    l.column = cur_.column;
    COOP_FILTER_CHECK(advance());
    COOP_FILTER_TRY(lo, operand(true));
    if (cur_.kind != tok::dotdot) {
      return syntax("expected '..' in the range opened at column " + std::to_string(l.column) + ", found " +
                    describe(cur_));
    }
    COOP_FILTER_CHECK(advance());
    COOP_FILTER_TRY(hi, operand(true));
    if (cur_.kind != tok::rbracket) {
      return syntax("expected ']' to close the range opened at column " + std::to_string(l.column) +
                    ", found " + describe(cur_));
    }
    COOP_FILTER_CHECK(advance());
    l.elems.push_back(std::move(lo));
    l.elems.push_back(std::move(hi));
    return l;
  }

  // A single value: a literal, `-` literal, an identifier (type name or
  // enum label) or, where `allow_now`, `now` followed by +/- intervals.
  result<literal> operand(bool allow_now) {
    if (cur_.kind == tok::now) {
      if (!allow_now) return syntax("'now' is not allowed in a set");
      return relative_time();
    }
    if (cur_.kind == tok::ident) {
      literal l;
      l.kind = lit_kind::ident;
      l.column = cur_.column;
      l.s = std::string(cur_.text);
      COOP_FILTER_CHECK(advance());
      return l;
    }
    if (cur_.kind == tok::minus) {
      const std::size_t column = cur_.column;
      COOP_FILTER_CHECK(advance());
      if (cur_.kind != tok::literal) return syntax("expected a number or interval after '-', found " + describe(cur_));
      literal l = std::move(cur_.lit);
      l.column = column;
      switch (l.kind) {
        case lit_kind::count:
          if (l.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) {
            return error_at(errc::invalid_argument, column, "number out of range for int");
          }
          l.kind = lit_kind::integer;
          l.i = static_cast<std::int64_t>(0 - l.u);
          break;
        case lit_kind::real: l.f = -l.f; break;
        case lit_kind::interval: l.i = -l.i; break;
        default:
          return syntax("expected a number or interval after '-', found " + describe(cur_));
      }
      COOP_FILTER_CHECK(advance());
      return l;
    }
    if (cur_.kind != tok::literal) return syntax("expected a value, found " + describe(cur_));
    if (cur_.lit.kind == lit_kind::regex) {
      return syntax("a regular expression is only allowed after '~' or '!~'");
    }
    literal l = std::move(cur_.lit);
    COOP_FILTER_CHECK(advance());
    return l;
  }

  result<literal> relative_time() {
    uses_now_ = true;
    literal l;
    l.kind = lit_kind::now;
    l.column = cur_.column;
    COOP_FILTER_CHECK(advance());
    while (cur_.kind == tok::plus || cur_.kind == tok::minus) {
      const bool minus = cur_.kind == tok::minus;
      COOP_FILTER_CHECK(advance());
      if (cur_.kind != tok::literal || cur_.lit.kind != lit_kind::interval) {
        return syntax(std::string("expected an interval (e.g. 1h, 30m, 500ms) after '") + (minus ? "-" : "+") +
                      "', found " + describe(cur_));
      }
      const std::int64_t d = cur_.lit.i;
      std::int64_t sum = 0;
      if (minus ? __builtin_sub_overflow(l.i, d, &sum) : __builtin_add_overflow(l.i, d, &sum)) {
        return syntax("relative time out of range");
      }
      l.i = sum;
      COOP_FILTER_CHECK(advance());
    }
    return l;
  }

  lexer lex_;
  const filter_limits& limits_;
  token cur_;
  unsigned depth_ = 0;
  std::size_t regexes_ = 0;
  bool uses_now_ = false;
};

#undef COOP_FILTER_TRY
#undef COOP_FILTER_CHECK

}  // namespace

result<parsed> parse(std::string_view text, const filter_limits& limits) {
  if (text.size() > limits.max_length) {
    return error_at(errc::overloaded, limits.max_length + 1,
                    "filter is longer than the limit of " + std::to_string(limits.max_length) + " bytes");
  }
  return parser(text, limits).run();
}

}  // namespace coop::model::filter_impl
