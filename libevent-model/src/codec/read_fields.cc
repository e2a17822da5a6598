// Materialising an event's fields from the dense arrays (dense.h) into a
// coop::model::event, validating them against the resolved schema. The
// common case (a field whose kind is the schema's, with a well-formed value)
// takes a straight path with one dispatch on the kind and branch-free
// loads; everything else (unset, containers, a mismatch, malformed bytes)
// goes through the general path, which also words every error.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

#include "codec/dense.h"
#include "codec/wire.h"

namespace coop::model::detail {
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
    case type_kind::integer:
      v.emplace<std::int64_t>(sign_extend(load_le(p, s.size), s.size));
      return {};
    case type_kind::time:
      v.emplace<timestamp>(timestamp{sign_extend(load_le(p, s.size), s.size)});
      return {};
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
      text_slot(out, static_cast<type_kind>(s.kind))
          .assign(reinterpret_cast<const char*>(p), s.size);
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
        return error{errc::corruption,
                     ": subnet length " + std::to_string(len) + " over " + std::to_string(bits)};
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
      v.emplace<port>(
          port{static_cast<std::uint16_t>(p[0] | p[1] << 8), static_cast<transport>(p[2])});
      return {};
    default: return error{errc::corruption, ": not a scalar"};
  }
}

namespace {

// The low `n` (1, 2, 4 or 8) bytes at `p` as a little-endian number, where
// `avail` bytes may be read from `p`: one 8-byte load and a mask when there
// is room, so that the width (random for counters) costs no branch.
inline std::uint64_t load_masked(const unsigned char* p, std::size_t n,
                                 std::size_t avail) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (avail >= 8) [[likely]] {
      std::uint64_t x;
      std::memcpy(&x, p, 8);
      return x & (~std::uint64_t{0} >> (64 - 8 * n));
    }
  }
  return load_le(p, n);
}

// sign_extend() without a branch, for n in 1..8.
inline std::int64_t extend(std::uint64_t v, std::size_t n) noexcept {
  const auto shift = static_cast<unsigned>(64 - 8 * n);
  return static_cast<std::int64_t>(v << shift) >> shift;
}

// Reads a present value of kind `kind` (the field's, `t`) and width code
// `w` at payload offset `pos` into `out`, advancing `pos`. Returns false,
// leaving `pos` as it was, for anything out of the ordinary (a width code
// or a byte the format does not allow, a value past the payload's end, an
// enum label the type lacks, a subnet): the general path reads the field
// again and words the error.
inline bool fast_field(unsigned kind, unsigned w, const dense_fields& d, std::size_t readable,
                       std::size_t& pos, value& out, const type& t) {
  const unsigned char* p = d.payload + pos;
  const std::size_t left = d.payload_size - pos;
  const std::size_t avail = readable - pos;
  auto& v = out.data();
  switch (static_cast<type_kind>(kind)) {
    case type_kind::count:
    case type_kind::integer:
    case type_kind::time:
    case type_kind::interval: {
      if (w > 3) return false;
      const std::size_t n = std::size_t{1} << w;
      if (left < n) return false;
      const std::uint64_t x = load_masked(p, n, avail);
      switch (static_cast<type_kind>(kind)) {
        case type_kind::count: put<std::uint64_t>(v, x); break;
        case type_kind::integer: put<std::int64_t>(v, extend(x, n)); break;
        case type_kind::time: put<timestamp>(v, timestamp{extend(x, n)}); break;
        default: put<interval>(v, interval{extend(x, n)}); break;
      }
      pos += n;
      return true;
    }
    case type_kind::boolean:
      if (w != 0 || left < 1 || p[0] > 1) return false;
      put<bool>(v, p[0] != 0);
      pos += 1;
      return true;
    case type_kind::real: {
      if (w != 0 || left < 8) return false;
      const std::uint64_t bits = load_le(p, 8);
      double x;
      std::memcpy(&x, &bits, sizeof x);
      put<double>(v, x);
      pos += 8;
      return true;
    }
    case type_kind::port:
      if (w != 0 || left < 3 || p[2] > static_cast<unsigned>(transport::icmp)) return false;
      put<port>(v,
                port{static_cast<std::uint16_t>(p[0] | p[1] << 8), static_cast<transport>(p[2])});
      pos += 3;
      return true;
    case type_kind::address:
      if (w > 1 || left < (w ? 4u : 16u)) return false;
      if (w == 1) {
        put<address>(v, address::v4(std::array<std::uint8_t, 4>{p[0], p[1], p[2], p[3]}));
        pos += 4;
      } else {
        std::array<std::uint8_t, 16> b;
        std::memcpy(b.data(), p, 16);
        put<address>(v, address::v6(b));
        pos += 16;
      }
      return true;
    case type_kind::string:
    case type_kind::bytes:
    case type_kind::enumeration: {
      if (w > 2) return false;
      const std::size_t prefix = std::size_t{1} << w;
      if (left < prefix) return false;
      const auto n = static_cast<std::size_t>(load_masked(p, prefix, avail));
      if (left - prefix < n) return false;
      std::string& s = text_slot(out, static_cast<type_kind>(kind));
      s.assign(reinterpret_cast<const char*>(p + prefix), n);
      if (kind == static_cast<unsigned>(type_kind::enumeration) && t.index_of(s) < 0) return false;
      pos += prefix + n;
      return true;
    }
    default: return false;
  }
}

// Field `i` (field `f` of schema `s`, value `v`) the general way: any kind
// byte, containers, and every error. `pos` and `nested` walk the payload
// and the nested list.
result<void> general_field(const schema& s, const field& f, std::size_t i, const dense_fields& d,
                           const read_bounds& bounds, std::size_t& pos, unsigned& nested,
                           value& v) {
  slot sl;
  const std::size_t at = pos;
  if (auto why = read_slot(d.kinds[i], d.payload, d.payload_size, pos, sl);
      why != slot_error::none) {
    return prefixed(s.name() + "." + f.name, slot_failure(why, sl, at, d.payload_size));
  }
  if (sl.kind != 0 && sl.kind != static_cast<unsigned>(f.ty.kind())) {
    std::string m = s.name() + "." + f.name + ": expected ";
    m += f.ty.to_string();
    m += ", got ";
    m += to_string(static_cast<type_kind>(sl.kind));
    return error{errc::invalid_argument, std::move(m)};
  }
  if (is_nested_kind(sl.kind)) {
    try {
      if (nested >= d.nested.size()) {
        return error{errc::corruption, s.name() + "." + f.name + ": nested value " +
                                           std::to_string(nested) + " is missing"};
      }
      auto r = read_value(d.nested[nested++], &f.ty, 0, bounds);
      if (!r) return prefixed(s.name() + "." + f.name, r.err());
      v = std::move(*r);
    } catch (const kj::Exception& ex) {
      return from_exception(ex, s.name() + "." + f.name);
    }
  } else {
    if (auto r = slot_value(sl, v); !r) return prefixed(s.name() + "." + f.name, r.err());
    if (sl.kind == static_cast<unsigned>(type_kind::enumeration) &&
        f.ty.index_of(std::get<enum_value>(v.data()).label) < 0) {
      return error{errc::invalid_argument, s.name() + "." + f.name + ": '" +
                                               std::get<enum_value>(v.data()).label +
                                               "' is not a label of " + f.ty.to_string()};
    }
  }
  if (!f.optional && v.is_none()) {
    return error{errc::invalid_argument, s.name() + "." + f.name + ": required field is unset"};
  }
  return {};
}

}  // namespace

result<void> build_event(const envelope& env, const dense_fields& d, const registry& reg,
                         const read_bounds& bounds, event& out) {
  auto s = reg.find(env.type_name, env.version);
  if (!s) s = reg.find(env.type_name);
  if (!s) {
    return error{errc::not_found, "unknown event type '" + std::string(env.type_name) +
                                      "' (version " + std::to_string(env.version) + ")"};
  }
  try {
    // Reuse `out`'s field vector and string buffers, whatever type it had:
    // every field is written below (value, unset or default).
    if (out.schema_ptr() != s) out.retype(s);
    out.ts = timestamp{env.ts};
    out.id = event_id{env.id_hi, env.id_lo};
    out.from.site.assign(env.site);
    out.from.sensor.assign(env.sensor);
    out.uid.assign(env.uid);
    // Positional evolution: fields past the reader's schema are ignored;
    // fields the writer did not have take their default.
    const schema& sc = *s;
    const std::size_t fields = sc.size();
    const std::size_t present = std::min(d.count, fields);
    const std::size_t readable = std::max(d.payload_readable, d.payload_size);
    std::size_t pos = 0;
    unsigned nested = 0;
    for (std::size_t i = 0; i < present; ++i) {
      const field& f = sc[i];
      value& v = out.field(i);
      const unsigned code = d.kinds[i];
      if (code == 0) {  // unset
        if (!v.is_none()) v.data().emplace<none_t>();
        if (!f.optional) {
          return error{errc::invalid_argument,
                       sc.name() + "." + f.name + ": required field is unset"};
        }
        continue;
      }
      const unsigned kind = code & 31u;
      if (kind == static_cast<unsigned>(f.ty.kind()) &&
          fast_field(kind, code >> 5, d, readable, pos, v, f.ty)) {
        continue;
      }
      if (auto r = general_field(sc, f, i, d, bounds, pos, nested, v); !r) return r;
    }
    for (std::size_t i = present; i < fields; ++i) {
      const field& f = sc[i];
      value& v = out.field(i);
      v = f.default_value;
      if (!f.optional && v.is_none()) {
        return error{errc::invalid_argument,
                     sc.name() + "." + f.name + ": required field is unset"};
      }
    }
    return {};
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory decoding '" + std::string(env.type_name) + "'"};
  }
}

}  // namespace coop::model::detail
