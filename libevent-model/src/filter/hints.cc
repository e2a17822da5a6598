// Index hints (filter::hints, docs/filter.md "Index hints"): what a compiled
// filter implies about every event it matches. Read from the per-type
// programs rather than the AST, so `type` tests are already folded away,
// literals are already converted to each field's representation, and a
// path that names fields of different types in different event types gives
// one term per type. Soundness is the rule throughout: a test contributes
// only what holds whenever the evaluator finds it true, nothing passes
// through a negation, and anything not representable is left out (a weaker
// hint, never a wrong one).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coop/model/filter.h"
#include "filter/program.h"

namespace coop::model {
namespace {

using namespace filter_impl;

constexpr std::size_t max_terms = 256;
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr double inf = std::numeric_limits<double>::infinity();
// Port bounds over every transport: ports order by number, then transport.
// The decoders accept no transport beyond icmp.
constexpr auto first_transport = transport::unknown;
constexpr auto last_transport = transport::icmp;

using terms = std::vector<index_term>;

// What one subexpression implies. Neutral (everything unset) is always sound.
struct derived {
  std::optional<terms> any_of;
  std::optional<std::int64_t> ts_min, ts_max;
};

// The time a literal stands for, saturating as the evaluator does.
std::int64_t resolve(const scalar& x, timestamp now) {
  if (!x.rel_now) return x.i;
  std::int64_t t = 0;
  if (__builtin_add_overflow(now.ns, x.i, &t)) return x.i > 0 ? i64_max : i64_min;
  return t;
}

// Adds `t` unless already present; false once there are too many terms.
bool add(terms& out, index_term t) {
  if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  return out.size() <= max_terms;
}

std::optional<terms> unite(const std::optional<terms>& a, const std::optional<terms>& b) {
  if (!a || !b) return std::nullopt;
  terms out = *a;
  for (const auto& t : *b) {
    if (!add(out, t)) return std::nullopt;
  }
  return out;
}

// Lookup cost order: no range terms beats some, then fewer terms, then no
// subnet terms beats some.
bool cheaper(const terms& a, const terms& b) {
  auto has = [](const terms& v, index_term::kind k) {
    return std::any_of(v.begin(), v.end(), [k](const index_term& t) { return t.what == k; });
  };
  const bool ra = has(a, index_term::kind::range), rb = has(b, index_term::kind::range);
  if (ra != rb) return !ra;
  if (a.size() != b.size()) return a.size() < b.size();
  return !has(a, index_term::kind::subnet) && has(b, index_term::kind::subnet);
}

// The converted literal `x` as a value of the field's kind `k`, when `r`
// represents it exactly (not port_num, booleans, or reals against integer
// fields, which the caller handles or leaves out).
std::optional<value> as_value(type_kind k, repr r, const scalar& x, timestamp now) {
  switch (r) {
    case repr::u64:
      if (k == type_kind::count) return value(x.u);
      break;
    case repr::i64:
      if (k == type_kind::integer) return value(x.i);
      if (k == type_kind::time) return value(timestamp{resolve(x, now)});
      if (k == type_kind::interval) return value(interval{x.i});
      break;
    case repr::f64:
      if (k == type_kind::real) return value(x.f);
      break;
    case repr::str:
      if (k == type_kind::string) return value(x.s);
      if (k == type_kind::bytes) return value(bytes{x.s});
      if (k == type_kind::enumeration) return value(enum_value{x.s});
      break;
    case repr::addr:
      if (k == type_kind::address) return value(x.a);
      break;
    case repr::subnet:
      if (k == type_kind::subnet) return value(x.n);
      break;
    case repr::port:
      if (k == type_kind::port) return value(x.p);
      break;
    default: break;
  }
  return std::nullopt;
}

address step(address a, bool up) {
  auto b = a.bytes();
  for (std::size_t i = b.size(); i-- > 0;) {
    if (up ? b[i]++ != 0xff : b[i]-- != 0x00) break;
  }
  return address::v6(b);
}

// Builds the terms of one test on one field (or the uid).
class term_builder {
 public:
  term_builder(std::string field, type_kind k, timestamp now)
      : field_(std::move(field)), k_(k), now_(now) {}

  derived run(const operand& o) {
    if (o.negate) return {};
    switch (o.code) {
      case opcode::compare: compare(o); break;
      case opcode::range: range(o); break;
      case opcode::in_set: in_set(*o.set); break;
      case opcode::in_subnet:
        if (k_ == type_kind::address || k_ == type_kind::subnet)
          put(index_term::kind::subnet, value(o.lo.n));
        break;
      default: ok_ = false; break;  // present, string ops, regex, container elements
    }
    if (!ok_ || out_.empty()) return {};
    return derived{std::move(out_), std::nullopt, std::nullopt};
  }

 private:
  void put(index_term::kind what, value lo, value hi = {}) {
    if (ok_) ok_ = add(out_, index_term{field_, what, std::move(lo), std::move(hi)});
  }

  void equals(value v) {
    // The evaluator compares reals as IEEE numbers, where -0.0 == +0.0,
    // but values keep the two apart.
    if (const auto* f = v.get_if<double>(); f != nullptr && *f == 0) {
      put(index_term::kind::equals, value(-0.0));
      put(index_term::kind::equals, value(0.0));
      return;
    }
    put(index_term::kind::equals, std::move(v));
  }

  void span(value lo, value hi) { put(index_term::kind::range, std::move(lo), std::move(hi)); }

  // The field's least and greatest values in value order, for its kind and
  // the literal's representation; nullopt when there is none.
  std::optional<value> bound(repr r, bool lowest) const {
    if (r == repr::port_num || r == repr::port) {
      return value(port{lowest ? std::uint16_t{0} : std::uint16_t{65535},
                        lowest ? first_transport : last_transport});
    }
    switch (k_) {
      case type_kind::count: return value(lowest ? std::uint64_t{0} : u64_max);
      case type_kind::integer: return value(lowest ? i64_min : i64_max);
      case type_kind::time: return value(timestamp{lowest ? i64_min : i64_max});
      case type_kind::interval: return value(interval{lowest ? i64_min : i64_max});
      case type_kind::real: return value(lowest ? -inf : inf);
      case type_kind::address: return lowest ? value(address()) : value(step(address(), false));
      case type_kind::string:
        return lowest ? std::optional<value>(value(std::string())) : std::nullopt;
      case type_kind::bytes: return lowest ? std::optional<value>(value(bytes{})) : std::nullopt;
      default: return std::nullopt;
    }
  }

  // The literal as a range end: for bare port numbers every transport of
  // that number; reals at zero widened to cover both signed zeros.
  std::optional<value> end(repr r, const scalar& x, bool lower) const {
    if (r == repr::port_num) {
      return value(port{static_cast<std::uint16_t>(x.u), lower ? first_transport : last_transport});
    }
    if (r == repr::port) return value(port{x.p.number, lower ? first_transport : last_transport});
    auto v = as_value(k_, r, x, now_);
    if (v && v->is<double>() && v->get<double>() == 0) return value(lower ? -0.0 : 0.0);
    return v;
  }

  // The value just above (`up`) or below `v`, when `v` is not the extreme
  // of its kind; nullopt otherwise (the strict comparison never holds).
  std::optional<value> next(const value& v, bool up) const {
    if (const auto* u = v.get_if<std::uint64_t>()) {
      if (*u == (up ? u64_max : 0)) return std::nullopt;
      return value(up ? *u + 1 : *u - 1);
    }
    auto step64 = [up](std::int64_t i) -> std::optional<std::int64_t> {
      if (i == (up ? i64_max : i64_min)) return std::nullopt;
      return up ? i + 1 : i - 1;
    };
    if (const auto* i = v.get_if<std::int64_t>()) {
      auto n = step64(*i);
      return n ? std::optional<value>(value(*n)) : std::nullopt;
    }
    if (const auto* t = v.get_if<timestamp>()) {
      auto n = step64(t->ns);
      return n ? std::optional<value>(value(timestamp{*n})) : std::nullopt;
    }
    if (const auto* t = v.get_if<interval>()) {
      auto n = step64(t->ns);
      return n ? std::optional<value>(value(interval{*n})) : std::nullopt;
    }
    if (const auto* f = v.get_if<double>()) return value(std::nextafter(*f, up ? inf : -inf));
    if (const auto* a = v.get_if<address>()) {
      if (*a == (up ? step(address(), false) : address())) return std::nullopt;
      return value(step(*a, up));
    }
    if (const auto* p = v.get_if<port>()) {
      if (p->number == (up ? 65535 : 0)) return std::nullopt;
      return value(port{static_cast<std::uint16_t>(up ? p->number + 1 : p->number - 1), p->proto});
    }
    return v;  // strings: the inclusive end is a sound, wider bound
  }

  void compare(const operand& o) {
    if (o.r == repr::port_num) {
      if (o.relation == rel::eq)
        span(*end(o.r, o.lo, true), *end(o.r, o.lo, false));
      else if (o.relation != rel::ne)
        ordered(o);
      else
        ok_ = false;
      return;
    }
    if (o.relation == rel::eq) {
      if (auto v = as_value(k_, o.r, o.lo, now_))
        equals(std::move(*v));
      else
        ok_ = false;
      return;
    }
    if (o.relation == rel::ne) {
      ok_ = false;
      return;
    }
    ordered(o);
  }

  // field < x, <= x, > x, >= x as a range with the other side at the
  // field's extreme.
  void ordered(const operand& o) {
    const bool below = o.relation == rel::lt || o.relation == rel::le;
    const bool strict = o.relation == rel::lt || o.relation == rel::gt;
    // A literal with a transport keeps it on both ends; a bare number spans them all.
    auto v = o.r == repr::port ? std::optional<value>(value(o.lo.p)) : end(o.r, o.lo, !below);
    auto far = o.r == repr::port
                   ? std::optional<value>(
                         value(port{below ? std::uint16_t{0} : std::uint16_t{65535}, o.lo.p.proto}))
                   : bound(o.r, below);
    if (!v || !far) {
      ok_ = false;
      return;
    }
    if (strict) {
      v = next(*v, !below);
      if (!v) {
        ok_ = false;  // never true; leaving it out is sound
        return;
      }
    }
    if (below)
      span(std::move(*far), std::move(*v));
    else
      span(std::move(*v), std::move(*far));
  }

  void range(const operand& o) {
    if (o.r == repr::port) {
      if (o.lo.p.proto != o.hi.p.proto) {
        ok_ = false;
        return;
      }
      span(value(o.lo.p), value(o.hi.p));
      return;
    }
    auto lo = o.lo.present ? end(o.r, o.lo, true) : bound(o.r, true);
    auto hi = o.hi.present ? end(o.r, o.hi, false) : bound(o.r, false);
    if (!lo || !hi) {
      ok_ = false;
      return;
    }
    span(std::move(*lo), std::move(*hi));
  }

  void in_set(const set_data& s) {
    const std::size_t n = s.u.size() + s.i.size() + s.f.size() + s.s.size() + s.a.size() +
                          s.n.size() + s.p.size() + s.pn.size() + s.ids.size();
    if (n > max_terms || !s.ids.empty() || k_ == type_kind::boolean) {
      ok_ = false;
      return;
    }
    // Reals against an integer field compare as doubles: not an exact value.
    if (!s.f.empty() && k_ != type_kind::real) {
      ok_ = false;
      return;
    }
    scalar x;
    auto each = [&](repr r) {
      if (auto v = as_value(k_, r, x, now_))
        equals(std::move(*v));
      else
        ok_ = false;
    };
    for (auto u : s.u) {
      x.u = u;
      each(repr::u64);
    }
    for (auto i : s.i) {
      x.i = i;
      each(repr::i64);
    }
    for (auto f : s.f) {
      x.f = f;
      each(repr::f64);
    }
    for (const auto& str : s.s) {
      x.s = str;
      each(repr::str);
    }
    for (const auto& a : s.a) {
      x.a = a;
      each(repr::addr);
    }
    for (const auto& p : s.p) {
      x.p = p;
      each(repr::port);
    }
    for (const auto& sn : s.n) {
      // Subnets in a set: membership for address fields, equality for subnet fields.
      if (k_ == type_kind::address) {
        put(index_term::kind::subnet, value(sn));
      } else {
        x.n = sn;
        each(repr::subnet);
      }
    }
    for (auto pn : s.pn) {
      x.u = pn;
      span(*end(repr::port_num, x, true), *end(repr::port_num, x, false));
    }
  }

  std::string field_;
  type_kind k_;
  timestamp now_;
  terms out_;
  bool ok_ = true;
};

// ts <op> literal: bounds on the envelope timestamp, no term.
derived ts_bounds(const operand& o, timestamp now) {
  derived d;
  if (o.negate || o.r != repr::i64) return d;
  switch (o.code) {
    case opcode::compare: {
      const std::int64_t x = resolve(o.lo, now);
      switch (o.relation) {
        case rel::eq: d.ts_min = d.ts_max = x; break;
        case rel::lt: d.ts_max = x == i64_min ? x : x - 1; break;
        case rel::le: d.ts_max = x; break;
        case rel::gt: d.ts_min = x == i64_max ? x : x + 1; break;
        case rel::ge: d.ts_min = x; break;
        case rel::ne: break;
      }
      break;
    }
    case opcode::range:
      if (o.lo.present) d.ts_min = resolve(o.lo, now);
      if (o.hi.present) d.ts_max = resolve(o.hi, now);
      break;
    case opcode::in_set:
      // Sets hold no relative times; their members are sorted.
      if (!o.set->i.empty() && o.set->f.empty()) {
        d.ts_min = o.set->i.front();
        d.ts_max = o.set->i.back();
      }
      break;
    default: break;
  }
  return d;
}

class deriver {
 public:
  deriver(const type_program& p, timestamp now) : p_(p), now_(now) {}

  derived node_of(std::uint32_t n) const {
    const node& x = p_.nodes[n];
    switch (x.k) {
      case node::kind::constant:
        if (x.value) return {};
        return derived{terms{}, std::nullopt, std::nullopt};  // matches nothing
      case node::kind::test: return leaf(p_.tests[x.first]);
      case node::kind::negate: return {};
      case node::kind::all: {
        derived d;
        for (std::uint32_t i = 0; i < x.count; ++i) {
          derived c = node_of(p_.kids[x.first + i]);
          if (c.ts_min && (!d.ts_min || *c.ts_min > *d.ts_min)) d.ts_min = c.ts_min;
          if (c.ts_max && (!d.ts_max || *c.ts_max < *d.ts_max)) d.ts_max = c.ts_max;
          if (c.any_of && (!d.any_of || cheaper(*c.any_of, *d.any_of)))
            d.any_of = std::move(c.any_of);
        }
        return d;
      }
      case node::kind::any: {
        derived d = node_of(p_.kids[x.first]);
        for (std::uint32_t i = 1; i < x.count; ++i) d = either(d, node_of(p_.kids[x.first + i]));
        return d;
      }
    }
    return {};
  }

  static derived either(const derived& a, const derived& b) {
    derived d;
    d.any_of = unite(a.any_of, b.any_of);
    if (a.ts_min && b.ts_min) d.ts_min = std::min(*a.ts_min, *b.ts_min);
    if (a.ts_max && b.ts_max) d.ts_max = std::max(*a.ts_max, *b.ts_max);
    return d;
  }

 private:
  derived leaf(const test& t) const {
    const operand& o = *t.op;
    switch (t.ref.src) {
      case source::ts: return ts_bounds(o, now_);
      case source::uid: return term_builder("uid", type_kind::string, now_).run(o);
      case source::field: break;
      default: return {};  // id, site, sensor: not index fields
    }
    if (p_.type == nullptr || t.ref.top >= p_.type->size()) return {};
    const field& f = (*p_.type)[t.ref.top];
    std::string name = f.name;
    const type* ty = &f.ty;
    for (std::uint32_t s : t.ref.sub) {
      if (ty->kind() != type_kind::record || s >= ty->names().size()) return {};
      name += '.';
      name += ty->names()[s];
      ty = &ty->params()[s];
    }
    return term_builder(std::move(name), ty->kind(), now_).run(o);
  }

  const type_program& p_;
  timestamp now_;
};

}  // namespace

filter_hints filter::hints(timestamp now) const {
  filter_hints out;
  if (program_ == nullptr) {
    out.any_of.emplace();
    return out;
  }
  // Each event is evaluated by exactly one program ([0] is constant false):
  // what holds for the filter is what holds for every other program.
  std::optional<derived> all;
  for (std::size_t i = 1; i < program_->programs.size(); ++i) {
    const type_program& tp = program_->programs[i];
    derived d = deriver(tp, now).node_of(tp.root);
    all = all ? deriver::either(*all, d) : std::move(d);
  }
  if (!all) {
    out.any_of.emplace();  // no event type can match
    return out;
  }
  out.any_of = std::move(all->any_of);
  if (all->ts_min) out.ts_min = timestamp{*all->ts_min};
  if (all->ts_max) out.ts_max = timestamp{*all->ts_max};
  return out;
}

}  // namespace coop::model
