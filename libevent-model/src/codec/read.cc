// Reading values and events out of capnp readers, validating them against
// their types and schemas as we go.
#include <capnp/any.h>

#include <cstring>
#include <string>
#include <utility>

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

// Reads the common scalar kinds straight into `out` when the value has kind
// `k` (already known to match the field's type); false for anything that
// needs checks or recursion, which then takes the general read_value path.
bool read_scalar(wire::Value::Reader r, type_kind k, value& out) {
  switch (k) {
    case type_kind::boolean: out = r.getBoolean(); return true;
    case type_kind::count: out = r.getCount(); return true;
    case type_kind::integer: out = r.getInteger(); return true;
    case type_kind::real: out = r.getReal(); return true;
    case type_kind::string: {
      auto t = r.getString();
      if (auto* s = std::get_if<std::string>(&out.data())) {
        s->assign(t.begin(), t.size());  // reuses the default's buffer
      } else {
        out.data().emplace<std::string>(t.begin(), t.size());
      }
      return true;
    }
    case type_kind::address: {
      auto g = r.getAddress();
      out = address_of(g.getHi(), g.getLo());
      return true;
    }
    case type_kind::port: {
      auto g = r.getPort();
      if (g.getTransport() > static_cast<unsigned>(transport::icmp)) return false;
      out = port{g.getNumber(), static_cast<transport>(g.getTransport())};
      return true;
    }
    case type_kind::time: out = timestamp{r.getTime()}; return true;
    case type_kind::interval: out = interval{r.getInterval()}; return true;
    default: return false;
  }
}

std::uint64_t le64(const kj::byte* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The data sections of a list of Values, when every element has this
// version's layout (3 data words and 1 pointer: 32 bytes a row), so that
// plain scalars are read without an out-of-line capnp call per element.
// capnp checked the whole list against its segment (and charged it to the
// traversal limit) when the list was read, so every row is in bounds; the
// first and last elements confirm the layout.
class value_rows {
 public:
  static constexpr std::size_t stride = 32;

  explicit value_rows(capnp::List<wire::Value>::Reader list) {
    const unsigned n = list.size();
    if (n == 0) return;
    auto first = capnp::AnyStruct::Reader(list[0]);
    if (first.getDataSection().size() != 24 || first.getPointerSection().size() != 1) return;
    const kj::byte* b = first.getDataSection().begin();
    if (capnp::AnyStruct::Reader(list[n - 1]).getDataSection().begin() != b + (n - 1) * stride) {
      return;
    }
    base_ = b;
  }
  [[nodiscard]] bool usable() const noexcept { return base_ != nullptr; }
  [[nodiscard]] unsigned tag(std::size_t i) const noexcept {
    const kj::byte* r = base_ + i * stride;
    return static_cast<unsigned>(r[0]) | static_cast<unsigned>(r[1]) << 8;
  }
  // Reads row `i` into `out` if it holds kind `k`, a plain scalar needing
  // no pointer; false otherwise.
  bool read(std::size_t i, type_kind k, value& out) const {
    const kj::byte* r = base_ + i * stride;
    auto& v = out.data();  // emplace: no temporary value, no variant move
    switch (k) {
      case type_kind::boolean: v.emplace<bool>((r[2] & 1) != 0); return true;
      case type_kind::count: v.emplace<std::uint64_t>(le64(r + 8)); return true;
      case type_kind::integer:
        v.emplace<std::int64_t>(static_cast<std::int64_t>(le64(r + 8)));
        return true;
      case type_kind::real: {
        const std::uint64_t bits = le64(r + 8);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        v.emplace<double>(d);
        return true;
      }
      case type_kind::address: {
        std::array<std::uint8_t, 16> b;
        std::memcpy(b.data(), r + 8, 16);  // stored in network order (see write.cc)
        v.emplace<address>(address::v6(b));
        return true;
      }
      case type_kind::port:
        if (r[2] > static_cast<unsigned>(transport::icmp)) return false;
        v.emplace<port>(
            port{static_cast<std::uint16_t>(r[8] | r[9] << 8), static_cast<transport>(r[2])});
        return true;
      case type_kind::time:
        v.emplace<timestamp>(timestamp{static_cast<std::int64_t>(le64(r + 8))});
        return true;
      case type_kind::interval:
        v.emplace<interval>(interval{static_cast<std::int64_t>(le64(r + 8))});
        return true;
      default: return false;
    }
  }

 private:
  const kj::byte* base_ = nullptr;
};

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

result<event> build_event(const envelope& env, capnp::List<wire::Value>::Reader fields,
                          const registry& reg, const read_bounds& bounds) {
  auto s = reg.find(env.type_name, env.version);
  if (!s) s = reg.find(env.type_name);
  if (!s) {
    return error{errc::not_found, "unknown event type '" + std::string(env.type_name) +
                                      "' (version " + std::to_string(env.version) + ")"};
  }
  try {
    event e(s);
    e.ts = timestamp{env.ts};
    e.id = event_id{env.id_hi, env.id_lo};
    e.from.site.assign(env.site);
    e.from.sensor.assign(env.sensor);
    e.uid.assign(env.uid);
    // Positional evolution: fields past the reader's schema are ignored;
    // fields the writer did not have keep the default event(s) gave them.
    const std::size_t present = std::min<std::size_t>(fields.size(), s->size());
    const value_rows rows(fields);
    for (std::size_t i = 0; i < s->size(); ++i) {
      const field& f = (*s)[i];
      if (i < present) {
        const type_kind k = f.ty.kind();
        if (rows.usable() && rows.tag(i) == static_cast<unsigned>(k) &&
            rows.read(i, k, e.field(i))) {
          continue;  // the common case: a plain scalar of the right kind (never none)
        }
        try {
          auto r = fields[static_cast<unsigned>(i)];
          const auto tag = static_cast<unsigned>(r.which());
          if (tag == static_cast<unsigned>(f.ty.kind()) &&
              read_scalar(r, f.ty.kind(), e.field(i))) {
            continue;  // the common case: a plain scalar of the right kind (never none)
          }
          auto v = read_value(r, &f.ty, 0, bounds);
          if (!v) return prefixed(s->name() + "." + f.name, v.err());
          e.field(i) = std::move(*v);
        } catch (const kj::Exception& ex) {
          return from_exception(ex, s->name() + "." + f.name);
        }
      }
      if (!f.optional && e.field(i).is_none()) {
        return error{errc::invalid_argument,
                     s->name() + "." + f.name + ": required field is unset"};
      }
    }
    return e;
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory decoding '" + std::string(env.type_name) + "'"};
  }
}

result<event> read_event(wire::Event::Reader r, const registry& reg, const read_bounds& bounds) {
  envelope env;
  capnp::List<wire::Value>::Reader fields;
  try {
    env = read_envelope(r);
    fields = r.getFields();
  } catch (const kj::Exception& ex) {
    return from_exception(ex, "event envelope");
  }
  return build_event(env, fields, reg, bounds);
}

}  // namespace coop::model::detail
