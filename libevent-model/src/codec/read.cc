// Reading values and events out of capnp readers, validating them against
// their types and schemas as we go. (An event's dense field arrays become
// values in read_fields.cc.)
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
  d.payload_readable = 8 * ((p.size() + 7) / 8);  // capnp checked the whole words
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
