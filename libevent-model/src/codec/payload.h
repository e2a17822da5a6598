// Private to the codec: how a non-container value becomes its kind byte and
// payload bytes (the dense layout of dense.h, docs/format-binary.md section
// 2.1). Shared by the capnp writer (write.cc) and the direct writer
// (flat_write.cc), so both produce the same bytes by construction.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "codec/dense.h"
#include "coop/model/result.h"
#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::model::detail {

/// The error for a value of kind `got` where `expected` is required; the
/// message starts with ": " so the caller can prefix the field.
error kind_mismatch(const type& expected, type_kind got);

// The kind byte of non-container value `v` (see dense.h), adding the
// bytes its payload takes to `bytes`.
inline unsigned char code_of(const value& v, std::size_t& bytes) {
  const auto k = v.kind();
  unsigned w = 0;
  switch (k) {
    case type_kind::boolean: bytes += 1; break;
    case type_kind::count: w = width_of_unsigned(*v.get_if<std::uint64_t>()); break;
    case type_kind::integer: w = width_of_signed(*v.get_if<std::int64_t>()); break;
    case type_kind::time: w = width_of_signed(v.get_if<timestamp>()->ns); break;
    case type_kind::interval: w = width_of_signed(v.get_if<interval>()->ns); break;
    case type_kind::real: bytes += 8; break;
    case type_kind::string:
    case type_kind::bytes:
    case type_kind::enumeration: {
      const std::size_t n = k == type_kind::string  ? v.get_if<std::string>()->size()
                            : k == type_kind::bytes ? v.get_if<coop::model::bytes>()->data.size()
                                                    : v.get_if<enum_value>()->label.size();
      w = width_of_length(n);
      bytes += (std::size_t{1} << w) + n;
      break;
    }
    case type_kind::address:
      w = v.get_if<address>()->is_v4() ? 1 : 0;
      bytes += w ? 4 : 16;
      break;
    case type_kind::subnet: {
      const auto& sn = *v.get_if<subnet>();
      w = sn.network().is_v4() && sn.length_v6() >= 96 ? 1 : 0;
      bytes += w ? 5 : 17;
      break;
    }
    case type_kind::port: bytes += 3; break;
    default: return static_cast<unsigned char>(k);  // containers: no payload
  }
  if (k == type_kind::count || k == type_kind::integer || k == type_kind::time ||
      k == type_kind::interval) {
    bytes += std::size_t{1} << w;
  }
  return static_cast<unsigned char>(static_cast<unsigned>(k) | w << 5);
}

/// Stores the low `n` (1, 2, 4 or 8) bytes of `v` little-endian at `p`.
/// With `wide`, the caller has room for 8 bytes at `p` and does not mind
/// the bytes after the first `n` (it overwrites or zeroes them later): one
/// 8-byte store then replaces a switch on `n`.
template <bool wide>
inline void store_n(std::uint64_t v, unsigned char* p, std::size_t n) noexcept {
  if constexpr (wide && std::endian::native == std::endian::little) {
    (void)n;
    std::memcpy(p, &v, 8);
  } else {
    store_le(v, p, n);
  }
}

template <bool wide>
inline unsigned char* put_text(unsigned char* p, const char* s, std::size_t n, unsigned w) {
  const std::size_t len = std::size_t{1} << w;
  store_n<wide>(n, p, len);
  if (n != 0) std::memcpy(p + len, s, n);
  return p + len + n;
}

/// Writes the payload of non-container value `v` whose kind byte is `code`
/// at `p`; returns the end. `wide`: as for store_n (the caller has 8 bytes
/// of room past the end).
template <bool wide>
inline unsigned char* put_value(unsigned char* p, const value& v, unsigned char code) {
  const unsigned w = code >> 5;
  const std::size_t n = std::size_t{1} << w;
  switch (v.kind()) {
    case type_kind::boolean: *p = *v.get_if<bool>() ? 1 : 0; return p + 1;
    case type_kind::count: store_n<wide>(*v.get_if<std::uint64_t>(), p, n); return p + n;
    case type_kind::integer:
      store_n<wide>(static_cast<std::uint64_t>(*v.get_if<std::int64_t>()), p, n);
      return p + n;
    case type_kind::time:
      store_n<wide>(static_cast<std::uint64_t>(v.get_if<timestamp>()->ns), p, n);
      return p + n;
    case type_kind::interval:
      store_n<wide>(static_cast<std::uint64_t>(v.get_if<interval>()->ns), p, n);
      return p + n;
    case type_kind::real: {
      std::uint64_t bits;
      std::memcpy(&bits, v.get_if<double>(), sizeof bits);
      store_le(bits, p, 8);
      return p + 8;
    }
    case type_kind::string: {
      const auto& t = *v.get_if<std::string>();
      return put_text<wide>(p, t.data(), t.size(), w);
    }
    case type_kind::bytes: {
      const auto& t = v.get_if<coop::model::bytes>()->data;
      return put_text<wide>(p, t.data(), t.size(), w);
    }
    case type_kind::enumeration: {
      const auto& t = v.get_if<enum_value>()->label;
      return put_text<wide>(p, t.data(), t.size(), w);
    }
    case type_kind::address: {
      const auto& a = v.get_if<address>()->bytes();
      std::memcpy(p, w ? a.data() + 12 : a.data(), w ? 4 : 16);
      return p + (w ? 4 : 16);
    }
    case type_kind::subnet: {
      const auto& sn = *v.get_if<subnet>();
      const auto& a = sn.network().bytes();
      std::memcpy(p, w ? a.data() + 12 : a.data(), w ? 4 : 16);
      p += w ? 4 : 16;
      *p = static_cast<unsigned char>(w ? sn.length_v6() - 96 : sn.length_v6());
      return p + 1;
    }
    case type_kind::port: {
      const auto& pt = *v.get_if<port>();
      store_le(pt.number, p, 2);
      p[2] = static_cast<unsigned char>(pt.proto);
      return p + 3;
    }
    default: return p;
  }
}

}  // namespace coop::model::detail
