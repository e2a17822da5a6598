// Writing events, values, types and schemas into capnp builders. The value
// writer checks conformance as it goes (one kind comparison per value), so
// whatever the encoder writes, the decoder accepts.
#include <capnp/any.h>

#include <cstring>
#include <string>

#include "codec/wire.h"

namespace coop::model::detail {
namespace {

// The 16 address bytes are stored as two little-endian words, so that the
// encoded message shows them in network order (see docs/format-binary.md).
std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

error mismatch(const type& expected, type_kind got) {
  std::string m = ": expected ";
  m += expected.to_string();
  m += ", got ";
  m += to_string(got);
  return error{errc::invalid_argument, std::move(m)};
}

// `none_ok`: false for set elements, which value::conforms requires set.
result<void> write_list(capnp::List<wire::Value>::Builder list, const std::vector<value>& elements,
                        const type& t, unsigned depth, bool none_ok) {
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (!none_ok && elements[i].is_none()) {
      return error{errc::invalid_argument, index_path(i) + ": a set element cannot be none"};
    }
    auto r = write_value(list[static_cast<unsigned>(i)], elements[i], t, depth + 1);
    if (!r) return prefixed(index_path(i), r.err());
  }
  return {};
}

result<void> write_container(wire::Value::Builder b, const value& v, const type& t,
                             unsigned depth) {
  if (depth >= hard_max_nesting) {
    return error{errc::invalid_argument,
                 ": nested deeper than " + std::to_string(hard_max_nesting) + " containers"};
  }
  switch (v.kind()) {
    case type_kind::set: {
      const auto& e = v.get<set_value>().elements;
      return write_list(b.initSet(static_cast<unsigned>(e.size())), e, t.element(), depth, false);
    }
    case type_kind::vector: {
      const auto& e = v.get<vector_value>().elements;
      return write_list(b.initVector(static_cast<unsigned>(e.size())), e, t.element(), depth, true);
    }
    case type_kind::table: {
      const auto& tv = v.get<table_value>();
      if (tv.keys.size() != tv.mapped.size()) {
        return error{errc::invalid_argument, ": table has " + std::to_string(tv.keys.size()) +
                                                 " keys but " + std::to_string(tv.mapped.size()) +
                                                 " values"};
      }
      auto list = b.initTable(static_cast<unsigned>(tv.keys.size()));
      for (std::size_t i = 0; i < tv.keys.size(); ++i) {
        auto entry = list[static_cast<unsigned>(i)];
        if (tv.keys[i].is_none()) {
          return error{errc::invalid_argument, index_path(i) + ".key: a table key cannot be none"};
        }
        auto k = write_value(entry.initKey(), tv.keys[i], t.element(), depth + 1);
        if (!k) return prefixed(index_path(i) + ".key", k.err());
        auto m = write_value(entry.initValue(), tv.mapped[i], t.mapped(), depth + 1);
        if (!m) return prefixed(index_path(i) + ".value", m.err());
      }
      return {};
    }
    case type_kind::record: {
      const auto& f = v.get<record_value>().fields;
      if (f.size() != t.params().size()) {
        return error{errc::invalid_argument, ": record has " + std::to_string(f.size()) +
                                                 " fields, its type " +
                                                 std::to_string(t.params().size())};
      }
      auto list = b.initRecord(static_cast<unsigned>(f.size()));
      for (std::size_t i = 0; i < f.size(); ++i) {
        auto r = write_value(list[static_cast<unsigned>(i)], f[i], t.params()[i], depth + 1);
        if (!r) return prefixed("." + t.names()[i], r.err());
      }
      return {};
    }
    default: return error{errc::invalid_argument, ": not a container"};
  }
}

// Writes the scalar kinds that cannot fail (boolean .. interval); false for
// any other kind. Kept apart so the event loop can take it inline.
inline bool write_scalar(wire::Value::Builder& b, const value& v) {
  switch (v.kind()) {
    case type_kind::boolean: b.setBoolean(*v.get_if<bool>()); return true;
    case type_kind::count: b.setCount(*v.get_if<std::uint64_t>()); return true;
    case type_kind::integer: b.setInteger(*v.get_if<std::int64_t>()); return true;
    case type_kind::real: b.setReal(*v.get_if<double>()); return true;
    case type_kind::string: b.setString(text_of(*v.get_if<std::string>())); return true;
    case type_kind::bytes: {
      const auto& d = v.get_if<bytes>()->data;
      b.setBytes(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(d.data()), d.size()));
      return true;
    }
    case type_kind::address: {
      auto g = b.initAddress();
      const auto& a = v.get_if<address>()->bytes();
      g.setHi(load_le64(a.data()));
      g.setLo(load_le64(a.data() + 8));
      return true;
    }
    case type_kind::subnet: {
      auto g = b.initSubnet();
      const auto& s = *v.get_if<subnet>();
      const auto& a = s.network().bytes();
      g.setHi(load_le64(a.data()));
      g.setLo(load_le64(a.data() + 8));
      g.setLength(static_cast<std::uint8_t>(s.length_v6()));
      return true;
    }
    case type_kind::port: {
      auto g = b.initPort();
      const auto& p = *v.get_if<port>();
      g.setNumber(p.number);
      g.setTransport(static_cast<std::uint8_t>(p.proto));
      return true;
    }
    case type_kind::time: b.setTime(v.get_if<timestamp>()->ns); return true;
    case type_kind::interval: b.setInterval(v.get_if<interval>()->ns); return true;
    default: return false;
  }
}

void store_le64(std::uint64_t v, kj::byte* p) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<kj::byte>(v >> (8 * i));
}

// The rows of a freshly initialised (zeroed) list of Values, when they have
// this version's layout (3 data words and 1 pointer: 32 bytes a row), so
// that plain scalars are written without an out-of-line capnp call per
// element. The bytes are exactly what the generated setters would write
// (see the layout table in docs/format-binary.md).
class value_rows_out {
 public:
  static constexpr std::size_t stride = 32;

  explicit value_rows_out(capnp::List<wire::Value>::Builder list) {
    const unsigned n = list.size();
    if (n == 0) return;
    auto first = capnp::AnyStruct::Builder(list[0]);
    if (first.getDataSection().size() != 24 || first.getPointerSection().size() != 1) return;
    kj::byte* b = first.getDataSection().begin();
    if (capnp::AnyStruct::Builder(list[n - 1]).getDataSection().begin() != b + (n - 1) * stride) {
      return;
    }
    base_ = b;
  }
  [[nodiscard]] bool usable() const noexcept { return base_ != nullptr; }

  // Writes `v` into row `i` if it is a plain scalar; false otherwise.
  bool write(std::size_t i, const value& v) const {
    kj::byte* r = base_ + i * stride;
    const type_kind k = v.kind();
    switch (k) {
      case type_kind::boolean: r[2] = *v.get_if<bool>() ? 1 : 0; break;
      case type_kind::count: store_le64(*v.get_if<std::uint64_t>(), r + 8); break;
      case type_kind::integer:
        store_le64(static_cast<std::uint64_t>(*v.get_if<std::int64_t>()), r + 8);
        break;
      case type_kind::real: {
        std::uint64_t bits;
        std::memcpy(&bits, v.get_if<double>(), sizeof bits);
        store_le64(bits, r + 8);
        break;
      }
      case type_kind::address: std::memcpy(r + 8, v.get_if<address>()->bytes().data(), 16); break;
      case type_kind::subnet:
        std::memcpy(r + 8, v.get_if<subnet>()->network().bytes().data(), 16);
        r[2] = static_cast<kj::byte>(v.get_if<subnet>()->length_v6());
        break;
      case type_kind::port:
        r[2] = static_cast<kj::byte>(v.get_if<port>()->proto);
        r[8] = static_cast<kj::byte>(v.get_if<port>()->number);
        r[9] = static_cast<kj::byte>(v.get_if<port>()->number >> 8);
        break;
      case type_kind::time:
        store_le64(static_cast<std::uint64_t>(v.get_if<timestamp>()->ns), r + 8);
        break;
      case type_kind::interval:
        store_le64(static_cast<std::uint64_t>(v.get_if<interval>()->ns), r + 8);
        break;
      default: return false;
    }
    r[0] = static_cast<kj::byte>(k);  // the discriminant (its high byte stays 0)
    return true;
  }

 private:
  kj::byte* base_ = nullptr;
};

}  // namespace

result<void> write_value(wire::Value::Builder b, const value& v, const type& t, unsigned depth) {
  const type_kind k = v.kind();
  if (k == type_kind::none) return {};  // a zeroed Value is none
  if (k != t.kind()) return mismatch(t, k);
  if (write_scalar(b, v)) return {};
  switch (k) {
    case type_kind::enumeration: {
      const auto& label = v.get<enum_value>().label;
      if (t.index_of(label) < 0) {
        return error{errc::invalid_argument,
                     ": '" + label + "' is not a label of " + t.to_string()};
      }
      b.setEnum(text_of(label));
      return {};
    }
    case type_kind::set:
    case type_kind::table:
    case type_kind::vector:
    case type_kind::record: return write_container(b, v, t, depth);
    default: return error{errc::invalid_argument, ": unknown value kind"};
  }
}

result<void> write_event(wire::Event::Builder b, const event& e) {
  if (!e.has_type()) return error{errc::invalid_argument, "event has no type"};
  const schema& s = e.type();
  if (e.size() != s.size()) {
    return error{errc::invalid_argument, s.name() + ": event has " + std::to_string(e.size()) +
                                             " fields, its schema " + std::to_string(s.size())};
  }
  b.setTypeName(text_of(s.name()));
  b.setTypeVersion(s.version());
  b.setTs(e.ts.ns);
  b.setIdHi(e.id.hi);
  b.setIdLo(e.id.lo);
  // Empty envelope strings are left unset (a null pointer reads as "").
  if (!e.from.site.empty()) b.setSite(text_of(e.from.site));
  if (!e.from.sensor.empty()) b.setSensor(text_of(e.from.sensor));
  if (!e.uid.empty()) b.setUid(text_of(e.uid));
  auto list = b.initFields(static_cast<unsigned>(s.size()));
  const value_rows_out rows(list);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const field& f = s[i];
    const value& v = e.field(i);
    if (v.is_none()) {
      if (!f.optional) {
        return error{errc::invalid_argument, s.name() + "." + f.name + ": required field is unset"};
      }
      continue;
    }
    // The common case first: a plain scalar of the right kind.
    if (v.kind() == f.ty.kind() && rows.usable() && rows.write(i, v)) continue;
    auto element = list[static_cast<unsigned>(i)];
    if (v.kind() == f.ty.kind() && write_scalar(element, v)) continue;  // the common case
    auto r = write_value(element, v, f.ty, 0);
    if (!r) return prefixed(s.name() + "." + f.name, r.err());
  }
  return {};
}

void write_type(wire::Type::Builder b, const type& t) {
  b.setKind(static_cast<std::uint8_t>(t.kind()));
  switch (t.kind()) {
    case type_kind::set:
    case type_kind::vector: write_type(b.initParams(1)[0], t.element()); break;
    case type_kind::table: {
      auto p = b.initParams(2);
      write_type(p[0], t.element());
      write_type(p[1], t.mapped());
      break;
    }
    case type_kind::enumeration: {
      auto n = b.initNames(static_cast<unsigned>(t.names().size()));
      for (std::size_t i = 0; i < t.names().size(); ++i) {
        n.set(static_cast<unsigned>(i), text_of(t.names()[i]));
      }
      break;
    }
    case type_kind::record: {
      auto p = b.initParams(static_cast<unsigned>(t.params().size()));
      for (std::size_t i = 0; i < t.params().size(); ++i) {
        write_type(p[static_cast<unsigned>(i)], t.params()[i]);
      }
      auto n = b.initNames(static_cast<unsigned>(t.names().size()));
      for (std::size_t i = 0; i < t.names().size(); ++i) {
        n.set(static_cast<unsigned>(i), text_of(t.names()[i]));
      }
      break;
    }
    default: break;
  }
}

result<void> write_schema(wire::Schema::Builder b, const schema& s) {
  if (auto v = s.validate(); !v) return v;
  b.setName(text_of(s.name()));
  b.setVersion(s.version());
  if (!s.doc().empty()) b.setDoc(text_of(s.doc()));
  auto list = b.initFields(static_cast<unsigned>(s.size()));
  for (std::size_t i = 0; i < s.size(); ++i) {
    const field& f = s[i];
    auto fb = list[static_cast<unsigned>(i)];
    fb.setName(text_of(f.name));
    write_type(fb.initType(), f.ty);
    fb.setOptional(f.optional);
    if (!f.default_value.is_none()) {
      auto r = write_value(fb.initDefault(), f.default_value, f.ty, 0);
      if (!r) return prefixed(s.name() + "." + f.name + " (default)", r.err());
    }
    if (!f.doc.empty()) fb.setDoc(text_of(f.doc));
  }
  return {};
}

}  // namespace coop::model::detail
