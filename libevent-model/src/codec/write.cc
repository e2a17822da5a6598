// Writing events (in the dense layout of dense.h), values, types and schemas
// into capnp builders. The writers check conformance as they go, so
// whatever the encoder writes, the decoder accepts.
#include <cstring>
#include <string>

#include "codec/dense.h"
#include "codec/payload.h"
#include "codec/wire.h"

namespace coop::model::detail {

error kind_mismatch(const type& expected, type_kind got) {
  std::string m = ": expected ";
  m += expected.to_string();
  m += ", got ";
  m += to_string(got);
  return error{errc::invalid_argument, std::move(m)};
}

namespace {

// The 16 address bytes are stored as two little-endian words, so that the
// encoded message shows them in network order (see docs/format-binary.md).
std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
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

}  // namespace

result<void> write_value(wire::Value::Builder b, const value& v, const type& t, unsigned depth) {
  const type_kind k = v.kind();
  if (k == type_kind::none) return {};  // a zeroed Value is none
  if (k != t.kind()) return kind_mismatch(t, k);
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

result<void> write_event(wire::Event::Builder b, const event& e, const encode_omissions& omit) {
  if (!e.has_type()) return error{errc::invalid_argument, "event has no type"};
  const schema& s = e.type();
  if (e.size() != s.size()) {
    return error{errc::invalid_argument, s.name() + ": event has " + std::to_string(e.size()) +
                                             " fields, its schema " + std::to_string(s.size())};
  }
  // The field values are usually cold (an event built a while ago): ask for
  // all their cache lines at once, so the misses overlap instead of being
  // taken one after the other by the loop below.
  {
    const auto* first = reinterpret_cast<const char*>(e.fields().data());
    const std::size_t span_bytes = e.size() * sizeof(value);
    for (std::size_t off = 0; off < span_bytes; off += 64) __builtin_prefetch(first + off);
    __builtin_prefetch(e.uid.data());
    __builtin_prefetch(e.from.site.data());
    __builtin_prefetch(e.from.sensor.data());
  }
  // Pass 1: check every field and size the payload and the nested list,
  // remembering the kind bytes of the first fields for pass 2.
  constexpr std::size_t remembered = 64;
  unsigned char codes[remembered] = {};
  std::size_t payload = 0;
  unsigned nested = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const field& f = s[i];
    const value& v = e.field(i);
    if (v.is_none() || i == omit.field) {
      if (!f.optional) {
        return error{errc::invalid_argument, s.name() + "." + f.name +
                                                 (v.is_none() ? ": required field is unset"
                                                              : ": a required field cannot be omitted")};
      }
      continue;
    }
    if (v.kind() != f.ty.kind()) {
      return prefixed(s.name() + "." + f.name, kind_mismatch(f.ty, v.kind()));
    }
    if (is_nested_kind(static_cast<unsigned>(v.kind()))) {
      ++nested;
      if (i < remembered) codes[i] = static_cast<unsigned char>(v.kind());
      continue;
    }
    if (auto* en = v.get_if<enum_value>(); en && f.ty.index_of(en->label) < 0) {
      return error{errc::invalid_argument, s.name() + "." + f.name + ": '" + en->label +
                                               "' is not a label of " + f.ty.to_string()};
    }
    const unsigned char code = code_of(v, payload);
    if (i < remembered) codes[i] = code;
    // Pass 2 copies the characters: start fetching them now.
    if (auto* str = v.get_if<std::string>()) __builtin_prefetch(str->data());
  }
  b.setTypeName(text_of(s.name()));
  b.setTypeVersion(s.version());
  b.setTs(e.ts.ns);
  b.setIdHi(e.id.hi);
  b.setIdLo(e.id.lo);
  // Empty envelope strings are left unset (a null pointer reads as "").
  if (!e.from.site.empty()) b.setSite(text_of(e.from.site));
  if (!e.from.sensor.empty()) b.setSensor(text_of(e.from.sensor));
  if (!e.uid.empty() && !omit.uid) b.setUid(text_of(e.uid));
  // Pass 2: one kind byte per field, the payload, the nested values.
  auto kinds = b.initKinds(static_cast<unsigned>(s.size()));
  unsigned char* p = payload == 0 ? nullptr : b.initPayload(static_cast<unsigned>(payload)).begin();
  auto list = nested == 0 ? capnp::List<wire::Value>::Builder() : b.initNested(nested);
  unsigned j = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const value& v = e.field(i);
    std::size_t ignored = 0;
    const unsigned char code = i < remembered            ? codes[i]
                               : v.is_none() || i == omit.field ? 0
                                                                : code_of(v, ignored);
    kinds[static_cast<unsigned>(i)] = code;
    if (code == 0) continue;
    if (!is_nested_kind(code & 31u)) {
      p = put_value<false>(p, v, code);
      continue;
    }
    auto r = write_value(list[j++], v, s[i].ty, 0);
    if (!r) return prefixed(s.name() + "." + s[i].name, r.err());
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
