// Reading values and events out of capnp readers, validating them against
// their types and schemas as we go.
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "codec/dense.h"
#include "codec/wire.h"

namespace coop::model::detail {
namespace {

// Inverse of write.cc's load_le64: the little-endian bytes of `v`.
void store_le64(std::uint64_t v, std::uint8_t* p) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

address address_of(std::uint64_t hi, std::uint64_t lo) {
  std::array<std::uint8_t, 16> b{};
  store_le64(hi, b.data());
  store_le64(lo, b.data() + 8);
  return address::v6(b);
}

result<void> check_list(std::size_t n, unsigned depth, const read_bounds& bounds) {
  if (depth + 1 > bounds.max_nesting) {
    return error{errc::overloaded, ": containers nested deeper than max_nesting (" +
                                       std::to_string(bounds.max_nesting) + ")"};
  }
  if (n > bounds.max_elements) {
    return error{errc::corruption,
                 ": a list of " + std::to_string(n) + " elements is longer than the message"};
  }
  return {};
}

bool strictly_sorted(const std::vector<value>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (!(v[i - 1] < v[i])) return false;
  }
  return true;
}

// `none_ok`: false for set elements (value::conforms requires them set).
result<std::vector<value>> read_list(capnp::List<wire::Value>::Reader list, const type* t,
                                     unsigned depth, const read_bounds& bounds, bool none_ok) {
  if (auto c = check_list(list.size(), depth, bounds); !c) return c.err();
  std::vector<value> out;
  out.reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    auto v = read_value(list[i], t, depth + 1, bounds);
    if (!v) return prefixed(index_path(i), v.err());
    if (!none_ok && v->is_none()) {
      return error{errc::invalid_argument, index_path(i) + ": a set element cannot be none"};
    }
    out.push_back(std::move(*v));
  }
  return out;
}

result<value> read_table(capnp::List<wire::Entry>::Reader list, const type* t, unsigned depth,
                         const read_bounds& bounds) {
  if (auto c = check_list(list.size(), depth, bounds); !c) return c.err();
  table_value tv;
  tv.keys.reserve(list.size());
  tv.mapped.reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    auto entry = list[i];
    auto k = read_value(entry.getKey(), t ? &t->element() : nullptr, depth + 1, bounds);
    if (!k) return prefixed(index_path(i) + ".key", k.err());
    if (k->is_none()) {
      return error{errc::invalid_argument, index_path(i) + ".key: a table key cannot be none"};
    }
    auto m = read_value(entry.getValue(), t ? &t->mapped() : nullptr, depth + 1, bounds);
    if (!m) return prefixed(index_path(i) + ".value", m.err());
    tv.keys.push_back(std::move(*k));
    tv.mapped.push_back(std::move(*m));
  }
  if (strictly_sorted(tv.keys)) return value(std::move(tv));
  // Not canonical (another writer, or a hand-built table): sort by key, a
  // later duplicate key wins, exactly as value::make_table does.
  std::vector<std::pair<value, value>> entries;
  entries.reserve(tv.keys.size());
  for (std::size_t i = 0; i < tv.keys.size(); ++i) {
    entries.emplace_back(std::move(tv.keys[i]), std::move(tv.mapped[i]));
  }
  return value::make_table(std::move(entries));
}

result<value> read_record(capnp::List<wire::Value>::Reader list, const type* t, unsigned depth,
                          const read_bounds& bounds) {
  if (!t) {
    auto fields = read_list(list, nullptr, depth, bounds, true);
    if (!fields) return fields.err();
    return value(record_value{std::move(*fields)});
  }
  if (list.size() != t->params().size()) {
    return error{errc::invalid_argument, ": record has " + std::to_string(list.size()) +
                                             " fields, its type " +
                                             std::to_string(t->params().size())};
  }
  if (auto c = check_list(list.size(), depth, bounds); !c) return c.err();
  record_value rv;
  rv.fields.reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    auto v = read_value(list[i], &t->params()[i], depth + 1, bounds);
    if (!v) return prefixed("." + t->names()[i], v.err());
    rv.fields.push_back(std::move(*v));
  }
  return value(std::move(rv));
}

}  // namespace

result<value> read_value(wire::Value::Reader r, const type* t, unsigned depth,
                         const read_bounds& bounds) {
  const auto tag = static_cast<unsigned>(r.which());
  if (tag > static_cast<unsigned>(type_kind::record)) {
    return error{errc::unsupported, ": unknown value kind " + std::to_string(tag) +
                                        " (written by a newer format version?)"};
  }
  const auto k = static_cast<type_kind>(tag);
  if (k == type_kind::none) return value{};
  if (t && t->kind() != k) {
    std::string m = ": expected ";
    m += t->to_string();
    m += ", got ";
    m += to_string(k);
    return error{errc::invalid_argument, std::move(m)};
  }
  switch (k) {
    case type_kind::none: return value{};
    case type_kind::boolean: return value(r.getBoolean());
    case type_kind::count: return value(r.getCount());
    case type_kind::integer: return value(r.getInteger());
    case type_kind::real: return value(r.getReal());
    case type_kind::string: {
      auto s = r.getString();
      return value(std::string(s.begin(), s.size()));
    }
    case type_kind::bytes: {
      auto d = r.getBytes();
      return value(bytes{std::string(reinterpret_cast<const char*>(d.begin()), d.size())});
    }
    case type_kind::address: {
      auto g = r.getAddress();
      return value(address_of(g.getHi(), g.getLo()));
    }
    case type_kind::subnet: {
      auto g = r.getSubnet();
      const unsigned len = g.getLength();
      if (len > 128) {
        return error{errc::corruption, ": subnet length " + std::to_string(len) + " over 128"};
      }
      const address net = address_of(g.getHi(), g.getLo()).masked(len);
      // Lengths are stored over 128 bits; subnet::make wants the family's.
      auto s = net.is_v4() ? subnet::make(net, len - 96) : subnet::make(net, len);
      if (!s) return error{errc::corruption, ": " + s.err().message};
      return value(*s);
    }
    case type_kind::port: {
      auto g = r.getPort();
      const unsigned proto = g.getTransport();
      if (proto > static_cast<unsigned>(transport::icmp)) {
        return error{errc::corruption, ": unknown transport " + std::to_string(proto)};
      }
      return value(port{g.getNumber(), static_cast<transport>(proto)});
    }
    case type_kind::time: return value(timestamp{r.getTime()});
    case type_kind::interval: return value(interval{r.getInterval()});
    case type_kind::enumeration: {
      auto s = r.getEnum();
      std::string label(s.begin(), s.size());
      if (t && t->index_of(label) < 0) {
        return error{errc::invalid_argument,
                     ": '" + label + "' is not a label of " + t->to_string()};
      }
      return value(enum_value{std::move(label)});
    }
    case type_kind::set: {
      auto e = read_list(r.getSet(), t ? &t->element() : nullptr, depth, bounds, false);
      if (!e) return e.err();
      if (strictly_sorted(*e)) return value(set_value{std::move(*e)});
      return value::make_set(std::move(*e));  // not canonical: sort and dedupe
    }
    case type_kind::table: return read_table(r.getTable(), t, depth, bounds);
    case type_kind::vector: {
      auto e = read_list(r.getVector(), t ? &t->element() : nullptr, depth, bounds, true);
      if (!e) return e.err();
      return value(vector_value{std::move(*e)});
    }
    case type_kind::record: return read_record(r.getRecord(), t, depth, bounds);
  }
  return value{};
}

envelope read_envelope(wire::Event::Reader r) {
  envelope env;
  env.type_name = view_of(r.getTypeName());
  env.version = r.getTypeVersion();
  env.ts = r.getTs();
  env.id_hi = r.getIdHi();
  env.id_lo = r.getIdLo();
  env.site = view_of(r.getSite());
  env.sensor = view_of(r.getSensor());
  env.uid = view_of(r.getUid());
  return env;
}

dense_fields read_dense(wire::Event::Reader r) {
  dense_fields d;
  auto k = r.getKinds();
  d.kinds = k.begin();
  d.count = k.size();
  auto p = r.getPayload();
  d.payload = p.begin();
  d.payload_size = p.size();
  d.nested = r.getNested();
  return d;
}

error slot_failure(slot_error why, const slot& s, std::size_t pos, std::size_t size) {
  switch (why) {
    case slot_error::unknown_kind:
      return error{errc::unsupported, ": unknown value kind " + std::to_string(s.kind) +
                                          " (written by a newer format version?)"};
    case slot_error::bad_width:
      return error{errc::corruption, ": width code " + std::to_string(s.width) +
                                         " is not defined for " +
                                         std::string(to_string(static_cast<type_kind>(s.kind)))};
    default:
      return error{errc::corruption,
                   ": the " + std::string(to_string(static_cast<type_kind>(s.kind))) +
                       " value at payload byte " + std::to_string(pos) +
                       " runs past the payload's end (" + std::to_string(size) + " bytes)"};
  }
}

namespace {

std::string& text_slot(value& out, type_kind k) {
  auto& v = out.data();
  switch (k) {
    case type_kind::bytes:
      if (!std::holds_alternative<bytes>(v)) v.emplace<bytes>();
      return std::get<bytes>(v).data;
    case type_kind::enumeration:
      if (!std::holds_alternative<enum_value>(v)) v.emplace<enum_value>();
      return std::get<enum_value>(v).label;
    default:
      if (!std::holds_alternative<std::string>(v)) v.emplace<std::string>();
      return std::get<std::string>(v);
  }
}

// Sets `v` to `x`, assigning in place when it already holds a T (skips the
// variant's destroy-and-construct of emplace).
template <class T, class V>
inline void put(V& v, T x) {
  if (auto* cur = std::get_if<T>(&v)) {
    *cur = x;
  } else {
    v.template emplace<T>(x);
  }
}

// The fixed-width kinds that need no check, written straight into `out`;
// false for everything else (slot_value then handles it).
inline bool fast_scalar(const slot& s, value& out) {
  auto& v = out.data();
  const unsigned char* p = s.data;
  switch (static_cast<type_kind>(s.kind)) {
    case type_kind::count: put<std::uint64_t>(v, load_le(p, s.size)); return true;
    case type_kind::integer:
      put<std::int64_t>(v, sign_extend(load_le(p, s.size), s.size));
      return true;
    case type_kind::time:
      put<timestamp>(v, timestamp{sign_extend(load_le(p, s.size), s.size)});
      return true;
    case type_kind::interval:
      put<interval>(v, interval{sign_extend(load_le(p, s.size), s.size)});
      return true;
    case type_kind::boolean:
      if (p[0] > 1) return false;
      put<bool>(v, p[0] != 0);
      return true;
    case type_kind::port:
      if (p[2] > static_cast<unsigned>(transport::icmp)) return false;
      put<port>(v,
          port{static_cast<std::uint16_t>(p[0] | p[1] << 8), static_cast<transport>(p[2])});
      return true;
    default: return false;
  }
}

}  // namespace

result<void> slot_value(const slot& s, value& out) {
  auto& v = out.data();
  const unsigned char* p = s.data;
  switch (static_cast<type_kind>(s.kind)) {
    case type_kind::none: v.emplace<none_t>(); return {};
    case type_kind::boolean:
      if (p[0] > 1) {
        return error{errc::corruption, ": boolean byte " + std::to_string(p[0]) + " is not 0 or 1"};
      }
      v.emplace<bool>(p[0] != 0);
      return {};
    case type_kind::count: v.emplace<std::uint64_t>(load_le(p, s.size)); return {};
    case type_kind::integer: v.emplace<std::int64_t>(sign_extend(load_le(p, s.size), s.size)); return {};
    case type_kind::time: v.emplace<timestamp>(timestamp{sign_extend(load_le(p, s.size), s.size)}); return {};
    case type_kind::interval:
      v.emplace<interval>(interval{sign_extend(load_le(p, s.size), s.size)});
      return {};
    case type_kind::real: {
      const std::uint64_t bits = load_le(p, 8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      v.emplace<double>(d);
      return {};
    }
    case type_kind::string:
    case type_kind::bytes:
    case type_kind::enumeration:
      text_slot(out, static_cast<type_kind>(s.kind)).assign(reinterpret_cast<const char*>(p), s.size);
      return {};
    case type_kind::address:
      if (s.width == 1) {
        put<address>(v, address::v4(std::array<std::uint8_t, 4>{p[0], p[1], p[2], p[3]}));
      } else {
        std::array<std::uint8_t, 16> b;
        std::memcpy(b.data(), p, 16);
        put<address>(v, address::v6(b));
      }
      return {};
    case type_kind::subnet: {
      const unsigned len = p[s.size - 1];
      const unsigned bits = s.width == 1 ? 32 : 128;
      if (len > bits) {
        return error{errc::corruption, ": subnet length " + std::to_string(len) + " over " +
                                           std::to_string(bits)};
      }
      result<subnet> sn = error{errc::corruption, ""};
      if (s.width == 1) {
        const address net =
            address::v4(std::array<std::uint8_t, 4>{p[0], p[1], p[2], p[3]}).masked(96 + len);
        sn = subnet::make(net, len);
      } else {
        std::array<std::uint8_t, 16> b;
        std::memcpy(b.data(), p, 16);
        const address net = address::v6(b).masked(len);
        // Lengths are stored over 128 bits; subnet::make wants the family's.
        sn = net.is_v4() ? subnet::make(net, len - 96) : subnet::make(net, len);
      }
      if (!sn) return error{errc::corruption, ": " + sn.err().message};
      v.emplace<subnet>(*sn);
      return {};
    }
    case type_kind::port:
      if (p[2] > static_cast<unsigned>(transport::icmp)) {
        return error{errc::corruption, ": unknown transport " + std::to_string(p[2])};
      }
      v.emplace<port>(port{static_cast<std::uint16_t>(p[0] | p[1] << 8), static_cast<transport>(p[2])});
      return {};
    default: return error{errc::corruption, ": not a scalar"};
  }
}

result<void> build_event(const envelope& env, const dense_fields& d, const registry& reg,
                         const read_bounds& bounds, event& out) {
  auto s = reg.find(env.type_name, env.version);
  if (!s) s = reg.find(env.type_name);
  if (!s) {
    return error{errc::not_found, "unknown event type '" + std::string(env.type_name) +
                                      "' (version " + std::to_string(env.version) + ")"};
  }
  try {
    // Reuse `out` (its field vector and string buffers) when it already has
    // this type; otherwise start from a fresh event of it.
    if (out.schema_ptr() != s) out = event(s);
    out.ts = timestamp{env.ts};
    out.id = event_id{env.id_hi, env.id_lo};
    out.from.site.assign(env.site);
    out.from.sensor.assign(env.sensor);
    out.uid.assign(env.uid);
    // Positional evolution: fields past the reader's schema are ignored;
    // fields the writer did not have take their default.
    const std::size_t present = std::min(d.count, s->size());
    std::size_t pos = 0;
    unsigned nested = 0;
    for (std::size_t i = 0; i < s->size(); ++i) {
      const field& f = (*s)[i];
      value& v = out.field(i);
      if (i >= present) {
        v = f.default_value;
      } else {
        slot sl;
        const std::size_t at = pos;
        if (auto why = read_slot(d.kinds[i], d.payload, d.payload_size, pos, sl);
            why != slot_error::none) {
          return prefixed(s->name() + "." + f.name, slot_failure(why, sl, at, d.payload_size));
        }
        if (sl.kind != 0 && sl.kind != static_cast<unsigned>(f.ty.kind())) {
          std::string m = s->name() + "." + f.name + ": expected ";
          m += f.ty.to_string();
          m += ", got ";
          m += to_string(static_cast<type_kind>(sl.kind));
          return error{errc::invalid_argument, std::move(m)};
        }
        if (is_nested_kind(sl.kind)) {
          try {
            if (nested >= d.nested.size()) {
              return error{errc::corruption, s->name() + "." + f.name + ": nested value " +
                                                 std::to_string(nested) + " is missing"};
            }
            auto r = read_value(d.nested[nested++], &f.ty, 0, bounds);
            if (!r) return prefixed(s->name() + "." + f.name, r.err());
            v = std::move(*r);
          } catch (const kj::Exception& ex) {
            return from_exception(ex, s->name() + "." + f.name);
          }
        } else if (!fast_scalar(sl, v)) {
          if (auto r = slot_value(sl, v); !r) return prefixed(s->name() + "." + f.name, r.err());
          if (sl.kind == static_cast<unsigned>(type_kind::enumeration) &&
              f.ty.index_of(std::get<enum_value>(v.data()).label) < 0) {
            return error{errc::invalid_argument, s->name() + "." + f.name + ": '" +
                                                     std::get<enum_value>(v.data()).label +
                                                     "' is not a label of " + f.ty.to_string()};
          }
        }
      }
      if (!f.optional && v.is_none()) {
        return error{errc::invalid_argument,
                     s->name() + "." + f.name + ": required field is unset"};
      }
    }
    return {};
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory decoding '" + std::string(env.type_name) + "'"};
  }
}

result<void> read_event(wire::Event::Reader r, const registry& reg, const read_bounds& bounds,
                        event& out) {
  envelope env;
  dense_fields d;
  try {
    env = read_envelope(r);
    d = read_dense(r);
  } catch (const kj::Exception& ex) {
    return from_exception(ex, "event envelope");
  }
  return build_event(env, d, reg, bounds, out);
}

}  // namespace coop::model::detail
