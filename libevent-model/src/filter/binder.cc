// Type rules of the filter language: which operators and literals apply to
// which field types, and the conversion of literals to field
// representations (see binder.h and the table in docs/filter.md).
#include "filter/binder.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "filter/lexer.h"

namespace coop::model::filter_impl {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

// Whether a converted literal lies inside the field's domain, or entirely
// below or above it (`count_field > -1`: every count is above -1).
enum class fit : std::uint8_t { ok, below, above };

struct conv {
  fit st = fit::ok;
  repr r = repr::u64;
  scalar v;
};

std::string lit_name(const literal& l) {
  switch (l.kind) {
    case lit_kind::count: return "count";
    case lit_kind::integer: return "int";
    case lit_kind::real: return "double";
    case lit_kind::string: return "string";
    case lit_kind::boolean: return "bool";
    case lit_kind::address: return "addr";
    case lit_kind::subnet: return "subnet";
    case lit_kind::port: return "port";
    case lit_kind::interval: return "interval";
    case lit_kind::time:
    case lit_kind::now: return "time";
    case lit_kind::ident: return "identifier '" + l.s + "' (the right side must be a value, not a field)";
    case lit_kind::regex: return "regex";
    case lit_kind::set: return "set";
    case lit_kind::range: return "range";
  }
  return "?";
}

error mismatch(const shape& s, const literal& l) {
  return error_at(errc::invalid_argument, l.column, "cannot compare " + shape_name(s) + " with " + lit_name(l));
}

bool is_stringish(type_kind k) {
  return k == type_kind::string || k == type_kind::bytes || k == type_kind::enumeration;
}

// Seconds (a Zeek time or interval written as a number) to nanoseconds.
result<std::int64_t> seconds_to_ns(const literal& l) {
  double ns = 0;
  switch (l.kind) {
    case lit_kind::count: ns = static_cast<double>(l.u) * ns_per_s; break;
    case lit_kind::integer: ns = static_cast<double>(l.i) * ns_per_s; break;
    default: ns = l.f * ns_per_s; break;
  }
  constexpr double limit = 9.2e18;
  if (!(ns > -limit && ns < limit)) return error_at(errc::invalid_argument, l.column, "time value out of range");
  if (l.kind == lit_kind::count) return static_cast<std::int64_t>(l.u) * ns_per_s;
  if (l.kind == lit_kind::integer) return l.i * ns_per_s;
  return static_cast<std::int64_t>(std::llround(ns));
}

bool is_number(const literal& l) {
  return l.kind == lit_kind::count || l.kind == lit_kind::integer || l.kind == lit_kind::real;
}

// Converts literal `l` for comparison with a left side of shape `s`.
result<conv> convert(const shape& s, const literal& l) {
  conv c;
  if (s.is_id) {
    if (l.kind != lit_kind::string) return mismatch(s, l);
    auto id = event_id::parse(l.s);
    if (!id) return error_at(errc::invalid_argument, l.column, "invalid event id (expected 32 hex digits)");
    c.r = repr::id;
    c.v.id = *id;
    return c;
  }
  switch (s.kind) {
    case type_kind::count:
    case type_kind::integer:
      if (l.kind == lit_kind::real) {
        c.r = repr::f64;
        c.v.f = l.f;
      } else if (l.kind != lit_kind::count && l.kind != lit_kind::integer) {
        return mismatch(s, l);
      } else if (s.kind == type_kind::count) {
        c.r = repr::u64;
        if (l.kind == lit_kind::integer && l.i < 0) c.st = fit::below;
        else c.v.u = l.kind == lit_kind::count ? l.u : static_cast<std::uint64_t>(l.i);
      } else {
        constexpr std::uint64_t int_max = std::numeric_limits<std::int64_t>::max();
        c.r = repr::i64;
        if (l.kind == lit_kind::count && l.u > int_max) c.st = fit::above;
        else c.v.i = l.kind == lit_kind::integer ? l.i : static_cast<std::int64_t>(l.u);
      }
      return c;
    case type_kind::real:
      if (!is_number(l)) return mismatch(s, l);
      c.r = repr::f64;
      c.v.f = l.kind == lit_kind::count     ? static_cast<double>(l.u)
              : l.kind == lit_kind::integer ? static_cast<double>(l.i)
                                            : l.f;
      return c;
    case type_kind::boolean:
      if (l.kind != lit_kind::boolean) return mismatch(s, l);
      c.r = repr::boolean;
      c.v.b = l.b;
      return c;
    case type_kind::string:
    case type_kind::bytes:
      if (l.kind != lit_kind::string) return mismatch(s, l);
      c.r = repr::str;
      c.v.s = l.s;
      return c;
    case type_kind::enumeration: {
      if (l.kind != lit_kind::ident && l.kind != lit_kind::string) return mismatch(s, l);
      if (s.ty != nullptr && s.ty->index_of(l.s) < 0) {
        std::string labels;
        for (const auto& n : s.ty->names()) labels += (labels.empty() ? "" : ", ") + n;
        return error_at(errc::not_found, l.column, "unknown enum label '" + l.s + "' (labels: " + labels + ")");
      }
      c.r = repr::str;
      c.v.s = l.s;
      return c;
    }
    case type_kind::address:
      if (l.kind != lit_kind::address) {
        if (l.kind == lit_kind::subnet) {
          return error_at(errc::invalid_argument, l.column,
                          "cannot compare addr with subnet (use 'in' for subnet membership)");
        }
        return mismatch(s, l);
      }
      c.r = repr::addr;
      c.v.a = l.a;
      return c;
    case type_kind::subnet:
      if (l.kind != lit_kind::subnet) return mismatch(s, l);
      c.r = repr::subnet;
      c.v.n = l.n;
      return c;
    case type_kind::port:
      if (l.kind == lit_kind::port) {
        c.r = repr::port;
        c.v.p = l.p;
      } else if (l.kind == lit_kind::count) {
        c.r = repr::port_num;
        if (l.u > 65535) {
          // No port can ever equal it: a typo, not a filter that never matches.
          return error_at(errc::invalid_argument, l.column,
                          "port number " + std::to_string(l.u) + " is out of range (0..65535)");
        }
        c.v.u = l.u;
      } else {
        return mismatch(s, l);
      }
      return c;
    case type_kind::time:
    case type_kind::interval: {
      const bool time = s.kind == type_kind::time;
      c.r = repr::i64;
      if ((time && l.kind == lit_kind::time) || (!time && l.kind == lit_kind::interval)) {
        c.v.i = l.i;
      } else if (time && l.kind == lit_kind::now) {
        c.v.i = l.i;
        c.v.rel_now = true;
      } else if (is_number(l)) {
        auto ns = seconds_to_ns(l);
        if (!ns) return ns.err();
        c.v.i = *ns;
      } else {
        return mismatch(s, l);
      }
      return c;
    }
    default:
      return mismatch(s, l);
  }
}

rel to_rel(op o) {
  switch (o) {
    case op::ne: return rel::ne;
    case op::lt: return rel::lt;
    case op::le: return rel::le;
    case op::gt: return rel::gt;
    case op::ge: return rel::ge;
    default: return rel::eq;
  }
}

// True if values of this shape only support == and !=.
bool equality_only(const shape& s) {
  return s.is_id || s.kind == type_kind::boolean || s.kind == type_kind::enumeration ||
         s.kind == type_kind::subnet;
}

// The binding of a test whose answer is the same for every value the field
// can hold: an operand that always holds, or none (it never holds).
std::optional<operand> constant(bool truth) {
  if (truth) return operand{};
  return std::nullopt;
}

result<std::optional<operand>> bind_compare(const shape& s, const expr& p) {
  const rel r = to_rel(p.o);
  if (r != rel::eq && r != rel::ne && equality_only(s)) {
    return error_at(errc::invalid_argument, p.op_column,
                    "cannot order " + shape_name(s) + " values (only == and != apply)");
  }
  auto c = convert(s, p.rhs);
  if (!c) return c.err();
  if (c->st != fit::ok) {
    // The literal lies outside the field's domain: the answer is the same
    // for every value the field can hold.
    const bool below = c->st == fit::below;
    const bool truth = r == rel::ne || (below ? (r == rel::gt || r == rel::ge) : (r == rel::lt || r == rel::le));
    return constant(truth);
  }
  operand o;
  o.code = opcode::compare;
  o.r = c->r;
  o.relation = r;
  o.lo = std::move(c->v);
  return std::optional<operand>(std::move(o));
}

double as_double(const conv& c) {
  switch (c.r) {
    case repr::u64:
    case repr::port_num: return static_cast<double>(c.v.u);
    case repr::i64: return static_cast<double>(c.v.i);
    default: return c.v.f;
  }
}

result<std::optional<operand>> bind_range(const shape& s, const expr& p) {
  const literal& l = p.rhs;
  if (equality_only(s)) {
    return error_at(errc::invalid_argument, l.column, "cannot use a range on " + shape_name(s) + " values");
  }
  auto lo = convert(s, l.elems[0]);
  if (!lo) return lo.err();
  auto hi = convert(s, l.elems[1]);
  if (!hi) return hi.err();
  const bool negate = p.o == op::not_in;
  if (lo->st == fit::above || hi->st == fit::below) return constant(negate);  // an empty range
  if (lo->r != hi->r) {
    auto numeric = [](repr r) { return r == repr::u64 || r == repr::i64 || r == repr::f64; };
    if (!numeric(lo->r) || !numeric(hi->r)) {
      return error_at(errc::invalid_argument, l.column,
                      "range ends must be of one kind (both ports with a transport, or both bare numbers)");
    }
    lo->v.f = as_double(*lo);
    hi->v.f = as_double(*hi);
    lo->r = hi->r = repr::f64;
  }
  if (lo->r == repr::port && lo->v.p.proto != hi->v.p.proto) {
    return error_at(errc::invalid_argument, l.column, "range ends have different transports");
  }
  if (lo->st == fit::ok && hi->st == fit::ok && lo->r == hi->r) {
    bool reversed = false;
    switch (lo->r) {
      case repr::u64: case repr::port_num: reversed = lo->v.u > hi->v.u; break;
      case repr::i64: reversed = lo->v.i > hi->v.i; break;
      case repr::f64: reversed = lo->v.f > hi->v.f; break;
      case repr::port: reversed = lo->v.p.number > hi->v.p.number; break;
      default: break;
    }
    if (reversed) {
      return error_at(errc::invalid_argument, l.column,
                      "empty range: the lower end is above the upper end");
    }
  }
  operand o;
  o.code = opcode::range;
  o.r = lo->r;
  o.negate = negate;
  o.lo = std::move(lo->v);
  o.lo.present = lo->st == fit::ok;
  o.hi = std::move(hi->v);
  o.hi.present = hi->st == fit::ok;
  return std::optional<operand>(std::move(o));
}

template <class T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

result<std::optional<operand>> bind_set(const shape& s, const expr& p) {
  auto data = std::make_shared<set_data>();
  bool any = false;
  for (const literal& e : p.rhs.elems) {
    if (s.kind == type_kind::address && !s.is_id && e.kind == lit_kind::subnet) {
      data->n.push_back(e.n);
      any = true;
      continue;
    }
    auto c = convert(s, e);
    if (!c) return c.err();
    if (c->st != fit::ok) continue;  // can never be equal
    any = true;
    switch (c->r) {
      case repr::u64: data->u.push_back(c->v.u); break;
      case repr::i64: data->i.push_back(c->v.i); break;
      case repr::f64:
        if (!std::isnan(c->v.f)) data->f.push_back(c->v.f);
        break;
      case repr::str: data->s.push_back(std::move(c->v.s)); break;
      case repr::addr: data->a.push_back(c->v.a); break;
      case repr::subnet: data->n.push_back(c->v.n); break;
      case repr::port: data->p.push_back(c->v.p); break;
      case repr::port_num: data->pn.push_back(static_cast<std::uint16_t>(c->v.u)); break;
      case repr::boolean: data->u.push_back(c->v.b ? 1 : 0); break;
      case repr::id: data->ids.push_back(c->v.id); break;
    }
  }
  const bool negate = p.o == op::not_in;
  if (!any) return constant(negate);
  sort_unique(data->u);
  sort_unique(data->i);
  sort_unique(data->f);
  sort_unique(data->s);
  sort_unique(data->a);
  sort_unique(data->n);
  sort_unique(data->p);
  sort_unique(data->pn);
  sort_unique(data->ids);
  operand o;
  o.code = opcode::in_set;
  o.negate = negate;
  o.set = std::move(data);
  return std::optional<operand>(std::move(o));
}

result<std::optional<operand>> bind_membership(const shape& s, const expr& p) {
  const literal& l = p.rhs;
  if (l.kind == lit_kind::set) return bind_set(s, p);
  if (l.kind == lit_kind::range) return bind_range(s, p);
  // A subnet.
  if (s.is_id || (s.kind != type_kind::address && s.kind != type_kind::subnet)) {
    return error_at(errc::invalid_argument, l.column,
                    "cannot test " + shape_name(s) + " for membership in a subnet (only addr and subnet can)");
  }
  operand o;
  o.code = opcode::in_subnet;
  o.negate = p.o == op::not_in;
  o.lo.n = l.n;
  return std::optional<operand>(std::move(o));
}

result<std::optional<operand>> bind_string_op(const shape& s, const expr& p) {
  const bool container = !s.is_id && (s.kind == type_kind::set || s.kind == type_kind::vector);
  if (p.o == op::contains && container && s.ty != nullptr) {
    const shape elem{s.ty->element().kind(), &s.ty->element(), false};
    auto c = convert(elem, p.rhs);
    if (!c) return c.err();
    if (c->st != fit::ok) return constant(false);
    auto e = std::make_shared<operand>();
    e->code = opcode::compare;
    e->r = c->r;
    e->relation = rel::eq;
    e->lo = std::move(c->v);
    operand o;
    o.code = opcode::elem_eq;
    o.elem = std::move(e);
    return std::optional<operand>(std::move(o));
  }
  if (s.is_id || !is_stringish(s.kind)) {
    return error_at(errc::invalid_argument, p.op_column,
                    std::string("'") + spelling(p.o) + "' applies to string, bytes and enum fields" +
                        (p.o == op::contains ? " (and sets and vectors)" : "") + ", not " + shape_name(s));
  }
  if (p.rhs.kind != lit_kind::string) {
    return error_at(errc::invalid_argument, p.rhs.column,
                    std::string("'") + spelling(p.o) + "' needs a string, found " + lit_name(p.rhs));
  }
  operand o;
  o.code = p.o == op::starts_with ? opcode::starts_with
           : p.o == op::ends_with ? opcode::ends_with
                                  : opcode::contains;
  o.r = repr::str;
  o.lo.s = p.rhs.s;
  return std::optional<operand>(std::move(o));
}

// Keeps RE2's message printable: it quotes parts of a hostile pattern.
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
    if (out.size() >= 200) break;
  }
  return out;
}

result<std::optional<operand>> bind_regex(const shape& s, const expr& p, const filter_limits& limits,
                                          regex_cache& regexes) {
  if (s.is_id || !is_stringish(s.kind)) {
    return error_at(errc::invalid_argument, p.op_column,
                    std::string("'") + spelling(p.o) + "' applies to string, bytes and enum fields, not " +
                        shape_name(s));
  }
  auto& re = regexes[&p.rhs];
  if (!re) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_never_capture(true);
    options.set_max_mem(limits.max_regex_memory);
    options.set_case_sensitive(!p.rhs.flag_i);
    auto compiled = std::make_shared<const RE2>(p.rhs.s, options);
    if (!compiled->ok()) {
      if (compiled->error_code() == RE2::ErrorPatternTooLarge) {
        return error_at(errc::overloaded, p.rhs.column,
                        "regular expression needs more memory than the limit of " +
                            std::to_string(limits.max_regex_memory) + " bytes");
      }
      return error_at(errc::invalid_argument, p.rhs.column,
                      "invalid regular expression: " + printable(compiled->error()));
    }
    re = std::move(compiled);
  }
  operand o;
  o.code = opcode::regex;
  o.r = repr::str;
  o.negate = p.o == op::not_match;
  o.re = re;
  return std::optional<operand>(std::move(o));
}

}  // namespace

std::string shape_name(const shape& s) {
  if (s.is_id) return "id";
  switch (s.kind) {
    case type_kind::enumeration: return "enum";
    case type_kind::record: return "record";
    case type_kind::set:
    case type_kind::vector:
    case type_kind::table:
      if (s.ty != nullptr) return s.ty->to_string();
      break;
    default:
      break;
  }
  return std::string(to_string(s.kind));
}

result<std::optional<operand>> bind(const shape& s, const expr& p, const filter_limits& limits,
                                    regex_cache& regexes) {
  switch (p.o) {
    case op::truth: {
      if (s.is_id || s.kind != type_kind::boolean) {
        return error_at(errc::invalid_argument, p.column,
                        "field '" + p.path + "' is " + shape_name(s) + ", not bool; compare it with a value");
      }
      operand o;
      o.code = opcode::compare;
      o.r = repr::boolean;
      o.lo.b = true;
      return std::optional<operand>(std::move(o));
    }
    case op::in:
    case op::not_in: return bind_membership(s, p);
    case op::starts_with:
    case op::ends_with:
    case op::contains: return bind_string_op(s, p);
    case op::match:
    case op::not_match: return bind_regex(s, p, limits, regexes);
    default: return bind_compare(s, p);
  }
}

}  // namespace coop::model::filter_impl
