// Evaluator of compiled filters (see program.h). Finds the event's program
// by schema pointer, then walks its nodes; a test reads one value by
// position and compares it with a pre-converted literal. Nothing here
// allocates, and nothing is written, so any number of threads may evaluate
// one program at once.
#include <cmath>
#include <re2/re2.h>

#include <algorithm>
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>

#include "filter/program.h"

namespace coop::model::filter_impl {
namespace {

// What a test looks at: the event's value, reduced to what comparisons need.
enum class vk : std::uint8_t { missing, boolean, count, i64, real, str, addr, subnet, port, container, id };

// A union keeps it small and cheap to build on every test: only the
// member selected by `k` is meaningful.
struct view {
  vk k = vk::missing;
  union {
    bool b;
    std::uint64_t u;
    std::int64_t i;
    double f;
    std::string_view s;
    const address* a;
    const subnet* n;
    port p;
    const std::vector<value>* elems;
    const event_id* id;
  };
  view() : u(0) {}
};

view view_of(const value& v) {
  view out;
  switch (v.kind()) {
    case type_kind::boolean: out.k = vk::boolean; out.b = *v.get_if<bool>(); break;
    case type_kind::count: out.k = vk::count; out.u = *v.get_if<std::uint64_t>(); break;
    case type_kind::integer: out.k = vk::i64; out.i = *v.get_if<std::int64_t>(); break;
    case type_kind::real: out.k = vk::real; out.f = *v.get_if<double>(); break;
    case type_kind::string: out.k = vk::str; out.s = *v.get_if<std::string>(); break;
    case type_kind::bytes: out.k = vk::str; out.s = v.get_if<bytes>()->data; break;
    case type_kind::enumeration: out.k = vk::str; out.s = v.get_if<enum_value>()->label; break;
    case type_kind::address: out.k = vk::addr; out.a = v.get_if<address>(); break;
    case type_kind::subnet: out.k = vk::subnet; out.n = v.get_if<subnet>(); break;
    case type_kind::port: out.k = vk::port; out.p = *v.get_if<port>(); break;
    case type_kind::time: out.k = vk::i64; out.i = v.get_if<timestamp>()->ns; break;
    case type_kind::interval: out.k = vk::i64; out.i = v.get_if<interval>()->ns; break;
    case type_kind::set: out.k = vk::container; out.elems = &v.get_if<set_value>()->elements; break;
    case type_kind::vector: out.k = vk::container; out.elems = &v.get_if<vector_value>()->elements; break;
    default: break;  // none, table, record: nothing to compare
  }
  return out;
}

std::int64_t resolve_time(const scalar& x, timestamp now) {
  if (!x.rel_now) return x.i;
  std::int64_t t = 0;
  if (__builtin_add_overflow(now.ns, x.i, &t)) {
    return x.i > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return t;
}

// The order of the event's value relative to the literal; nullopt when the
// value is not of the kind the literal was converted for (an event that
// does not conform to its schema).
std::optional<std::partial_ordering> order(const view& v, repr r, const scalar& x, timestamp now) {
  switch (r) {
    case repr::u64:
      if (v.k != vk::count) return std::nullopt;
      return v.u <=> x.u;
    case repr::i64:
      if (v.k != vk::i64) return std::nullopt;
      return v.i <=> resolve_time(x, now);
    case repr::f64:
      if (v.k == vk::count) return static_cast<double>(v.u) <=> x.f;
      if (v.k == vk::i64) return static_cast<double>(v.i) <=> x.f;
      if (v.k == vk::real) return v.f <=> x.f;
      return std::nullopt;
    case repr::str:
      if (v.k != vk::str) return std::nullopt;
      return v.s <=> std::string_view(x.s);
    case repr::addr:
      if (v.k != vk::addr) return std::nullopt;
      return *v.a <=> x.a;
    case repr::subnet:
      if (v.k != vk::subnet) return std::nullopt;
      return *v.n <=> x.n;
    case repr::port:
      if (v.k != vk::port) return std::nullopt;
      // Ports of different transports are unequal and unordered.
      if (v.p.proto != x.p.proto) return std::partial_ordering::unordered;
      return v.p.number <=> x.p.number;
    case repr::port_num:
      if (v.k != vk::port) return std::nullopt;
      return std::uint64_t{v.p.number} <=> x.u;
    case repr::boolean:
      if (v.k != vk::boolean) return std::nullopt;
      return v.b <=> x.b;
    case repr::id:
      if (v.k != vk::id) return std::nullopt;
      return *v.id <=> x.id;
  }
  return std::nullopt;
}

bool holds(rel r, std::partial_ordering o) {
  switch (r) {
    case rel::eq: return o == 0;
    case rel::ne: return o != 0;
    case rel::lt: return o < 0;
    case rel::le: return o <= 0;
    case rel::gt: return o > 0;
    case rel::ge: return o >= 0;
  }
  return false;
}

template <class V, class T>
bool has(const V& sorted, const T& x) {
  return !sorted.empty() && std::binary_search(sorted.begin(), sorted.end(), x);
}

bool member(const view& v, const set_data& s) {
  switch (v.k) {
    case vk::count: return has(s.u, v.u) || has(s.f, static_cast<double>(v.u));
    case vk::i64: return has(s.i, v.i) || has(s.f, static_cast<double>(v.i));
    case vk::real: return !std::isnan(v.f) && has(s.f, v.f);
    case vk::str: return has(s.s, v.s);
    case vk::addr:
      return has(s.a, *v.a) || std::any_of(s.n.begin(), s.n.end(), [&](const subnet& n) { return n.contains(*v.a); });
    case vk::subnet: return has(s.n, *v.n);
    case vk::port: return has(s.p, v.p) || has(s.pn, v.p.number);
    case vk::boolean: return has(s.u, std::uint64_t{v.b ? 1u : 0u});
    case vk::id: return has(s.ids, *v.id);
    default: return false;
  }
}

bool apply(const operand& o, const view& v, timestamp now) {
  switch (o.code) {
    case opcode::present:
      return true;
    case opcode::compare: {
      auto ord = order(v, o.r, o.lo, now);
      return ord && holds(o.relation, *ord);
    }
    case opcode::range: {
      bool inside = true;
      if (o.lo.present) {
        auto ord = order(v, o.r, o.lo, now);
        if (!ord) return false;
        inside = *ord >= 0;
      }
      if (inside && o.hi.present) {
        auto ord = order(v, o.r, o.hi, now);
        if (!ord) return false;
        inside = *ord <= 0;
      }
      return inside != o.negate;
    }
    case opcode::in_set:
      return member(v, *o.set) != o.negate;
    case opcode::in_subnet:
      if (v.k == vk::addr) return o.lo.n.contains(*v.a) != o.negate;
      if (v.k == vk::subnet) {
        const bool inside = v.n->length_v6() >= o.lo.n.length_v6() && o.lo.n.contains(v.n->network());
        return inside != o.negate;
      }
      return false;
    case opcode::starts_with:
      return v.k == vk::str && v.s.starts_with(o.lo.s);
    case opcode::ends_with:
      return v.k == vk::str && v.s.ends_with(o.lo.s);
    case opcode::contains:
      return v.k == vk::str && v.s.find(o.lo.s) != std::string_view::npos;
    case opcode::regex:
      if (v.k != vk::str) return false;
      return RE2::PartialMatch(re2::StringPiece(v.s.data(), v.s.size()), *o.re) != o.negate;
    case opcode::elem_eq:
      if (v.k != vk::container) return false;
      for (const value& x : *v.elems) {
        const view ev = view_of(x);
        if (ev.k == vk::missing) continue;
        auto ord = order(ev, o.elem->r, o.elem->lo, now);
        if (ord && *ord == 0) return true;
      }
      return false;
  }
  return false;
}

struct context {
  const type_program& p;
  const event& e;
  std::size_t nfields;  // fields readable; 0 when the event's schema disagrees with the registry
  timestamp now;
};

bool run_test(const context& c, const test& t) {
  view v;
  const event& e = c.e;
  switch (t.ref.src) {
    case source::field: {
      if (t.ref.top >= c.nfields) return false;
      const value* x = &e.fields()[t.ref.top];
      for (std::uint32_t s : t.ref.sub) {
        const auto* r = x->get_if<record_value>();
        if (r == nullptr || s >= r->fields.size()) return false;
        x = &r->fields[s];
      }
      v = view_of(*x);
      break;
    }
    case source::ts: v.k = vk::i64; v.i = e.ts.ns; break;
    case source::uid:
      if (e.uid.empty()) return false;
      v.k = vk::str;
      v.s = e.uid;
      break;
    case source::site: v.k = vk::str; v.s = e.from.site; break;
    case source::sensor: v.k = vk::str; v.s = e.from.sensor; break;
    case source::id: v.k = vk::id; v.id = &e.id; break;
  }
  if (v.k == vk::missing) return false;
  return apply(*t.op, v, c.now);
}

bool run(const context& c, std::uint32_t n) {
  const node& x = c.p.nodes[n];
  switch (x.k) {
    case node::kind::constant: return x.value;
    case node::kind::test: return run_test(c, c.p.tests[x.first]);
    case node::kind::negate: return !run(c, c.p.kids[x.first]);
    case node::kind::all:
      for (std::uint32_t i = 0; i < x.count; ++i) {
        if (!run(c, c.p.kids[x.first + i])) return false;
      }
      return true;
    case node::kind::any:
      for (std::uint32_t i = 0; i < x.count; ++i) {
        if (run(c, c.p.kids[x.first + i])) return true;
      }
      return false;
  }
  return false;
}

// True if a schema that is not the registry's own object agrees with it on
// every field the program reads (as an older version of the type does).
bool agrees(const schema& theirs, const type_program& p) {
  const schema& ours = *p.type;
  for (std::uint32_t pos : p.used) {
    if (pos >= theirs.size()) continue;  // absent in theirs: read as missing
    if (theirs[pos].name != ours[pos].name || !(theirs[pos].ty == ours[pos].ty)) return false;
  }
  return true;
}

}  // namespace

bool evaluate(const program& p, const event& e, timestamp now) noexcept {
  if (!e.has_type()) return run(context{p.programs[p.unknown], e, 0, now}, p.programs[p.unknown].root);
  const schema* s = e.schema_ptr().get();
  auto it = std::lower_bound(p.by_ptr.begin(), p.by_ptr.end(), s, [](const auto& entry, const schema* key) {
    return std::less<const schema*>()(entry.first, key);
  });
  if (it != p.by_ptr.end() && it->first == s) {
    const type_program& tp = p.programs[it->second];
    return run(context{tp, e, e.size(), now}, tp.root);
  }
  // A schema object the registry did not hand out: match it by name.
  auto nt = std::lower_bound(p.by_name.begin(), p.by_name.end(), s->name(),
                             [](const auto& entry, const std::string& key) { return entry.first < key; });
  if (nt != p.by_name.end() && nt->first == s->name()) {
    const type_program& tp = p.programs[nt->second];
    if (nt->second == 0) return false;
    const std::size_t nfields = agrees(*s, tp) ? e.size() : 0;
    return run(context{tp, e, nfields, now}, tp.root);
  }
  const type_program& unknown = p.programs[p.unknown];
  return run(context{unknown, e, 0, now}, unknown.root);
}

}  // namespace coop::model::filter_impl
