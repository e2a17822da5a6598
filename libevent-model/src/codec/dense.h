// Private to the codec: the dense field layout of an Event message (format
// version 1, docs/format-binary.md section 2.1). Field i is described by
// byte i of `kinds`: the low 5 bits are the type_kind number (0 = unset),
// the high 3 bits a width code. Non-container values follow one another in
// `payload` (little-endian integers, addresses in network order, strings as
// a length of 1, 2 or 4 bytes and then the bytes); containers and records
// are the elements of `nested`, in field order. Everything here works on
// plain bytes: no capnp call, no allocation.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "coop/model/type.h"

namespace coop::model::detail {

/// Highest kind number this version knows (record).
inline constexpr unsigned max_kind = 16;

/// True for the kinds whose values live in `nested`.
inline constexpr bool is_nested_kind(unsigned k) noexcept {
  return k >= static_cast<unsigned>(type_kind::set) && k <= max_kind;
}

/// Why a slot could not be read (no allocation: the caller words the error).
enum class slot_error : std::uint8_t {
  none,
  unknown_kind,  // kind number above max_kind
  bad_width,     // width code not defined for the kind
  truncated,     // payload ends inside the value
};

/// One field as stored: its kind, width code, and the bytes of its value
/// (for strings, bytes and enums: the characters, after the length).
struct slot {
  unsigned kind = 0;
  unsigned width = 0;
  const unsigned char* data = nullptr;
  std::size_t size = 0;
};

/// Little-endian unsigned integer of `n` (1..8) bytes.
inline std::uint64_t load_le(const unsigned char* p, std::size_t n) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    // The usual widths as single loads (a byte loop costs more per field).
    switch (n) {
      case 1: return p[0];
      case 2: { std::uint16_t x; std::memcpy(&x, p, 2); return x; }
      case 4: { std::uint32_t x; std::memcpy(&x, p, 4); return x; }
      case 8: { std::uint64_t x; std::memcpy(&x, p, 8); return x; }
      default: break;
    }
  }
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

/// Sign-extends the low `bytes` bytes of `v`.
inline std::int64_t sign_extend(std::uint64_t v, std::size_t bytes) noexcept {
  if (bytes >= 8) return static_cast<std::int64_t>(v);
  const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
  return static_cast<std::int64_t>(v << shift) >> shift;
}

/// Bytes a fixed-size value of `kind` with width code `w` takes in the
/// payload; -1 when the code is not defined; -2 for length-prefixed kinds.
inline constexpr int fixed_size(unsigned kind, unsigned w) noexcept {
  switch (static_cast<type_kind>(kind)) {
    case type_kind::none: return w == 0 ? 0 : -1;
    case type_kind::boolean: return w == 0 ? 1 : -1;  // 0 or 1
    case type_kind::count:
    case type_kind::integer:
    case type_kind::time:
    case type_kind::interval: return w <= 3 ? 1 << w : -1;  // 1, 2, 4 or 8 bytes
    case type_kind::real: return w == 0 ? 8 : -1;           // IEEE 754 bits
    case type_kind::string:
    case type_kind::bytes:
    case type_kind::enumeration: return w <= 2 ? -2 : -1;   // length of 1 << w bytes
    case type_kind::address: return w == 0 ? 16 : w == 1 ? 4 : -1;  // IPv6 / IPv4
    case type_kind::subnet: return w == 0 ? 17 : w == 1 ? 5 : -1;   // + length byte
    case type_kind::port: return w == 0 ? 3 : -1;  // number (2 bytes), transport
    default: return is_nested_kind(kind) && w == 0 ? 0 : -1;
  }
}

/// fixed_size() for every kind byte (kind in the low 5 bits, width code in
/// the high 3), computed once, so that reading a slot costs a table load
/// rather than a switch; kinds above max_kind map to 0 (read_slot refuses
/// them before looking).
struct slot_size_table {
  signed char size[256];
  constexpr slot_size_table() : size{} {
    for (unsigned code = 0; code < 256; ++code) {
      const unsigned kind = code & 31u;
      size[code] = static_cast<signed char>(kind > max_kind ? 0 : fixed_size(kind, code >> 5));
    }
  }
};
inline constexpr slot_size_table slot_sizes{};

/// Reads the slot of a field described by kind byte `code` at `pos` in
/// `payload` (of `size` bytes) and advances `pos` past it.
inline slot_error read_slot(unsigned char code, const unsigned char* payload, std::size_t size,
                            std::size_t& pos, slot& out) noexcept {
  out.kind = code & 31u;
  out.width = code >> 5;
  if (out.kind > max_kind) return slot_error::unknown_kind;
  const int fixed = slot_sizes.size[code];
  if (fixed == -1) return slot_error::bad_width;
  std::size_t n = 0;
  if (fixed == -2) {
    const std::size_t len_bytes = std::size_t{1} << out.width;
    if (size - pos < len_bytes) return slot_error::truncated;
    n = static_cast<std::size_t>(load_le(payload + pos, len_bytes));
    pos += len_bytes;
  } else {
    n = static_cast<std::size_t>(fixed);
  }
  if (size - pos < n) return slot_error::truncated;
  out.data = payload + pos;
  out.size = n;
  pos += n;
  return slot_error::none;
}

/// The width code of a value that needs `bytes` (1..8) bytes: 1 -> 0,
/// 2 -> 1, 3..4 -> 2, 5..8 -> 3.
inline constexpr unsigned char width_for_bytes[9] = {0, 0, 1, 2, 2, 3, 3, 3, 3};

/// The width code of the smallest little-endian form of `v` (unsigned).
/// Computed without branches: widths of real counters are random, and a
/// mispredicted branch per field costs more than the arithmetic.
constexpr unsigned width_of_unsigned(std::uint64_t v) noexcept {
  return width_for_bytes[(std::bit_width(v | 1) + 7) / 8];
}

/// The width code of the smallest two's-complement form of `v` (its
/// magnitude bits plus a sign bit).
constexpr unsigned width_of_signed(std::int64_t v) noexcept {
  const auto u = static_cast<std::uint64_t>(v ^ (v >> 63));  // v, or ~v when negative
  return width_for_bytes[(std::bit_width(u) + 8) / 8];
}

static_assert(width_of_unsigned(0) == 0 && width_of_unsigned(0xff) == 0 &&
              width_of_unsigned(0x100) == 1 && width_of_unsigned(0xffff) == 1 &&
              width_of_unsigned(0x10000) == 2 && width_of_unsigned(0xffffffff) == 2 &&
              width_of_unsigned(0x100000000) == 3 && width_of_unsigned(~0ull) == 3);
static_assert(width_of_signed(0) == 0 && width_of_signed(-1) == 0 && width_of_signed(127) == 0 &&
              width_of_signed(-128) == 0 && width_of_signed(128) == 1 &&
              width_of_signed(-129) == 1 && width_of_signed(INT16_MAX) == 1 &&
              width_of_signed(INT16_MIN) == 1 && width_of_signed(INT16_MAX + 1) == 2 &&
              width_of_signed(INT16_MIN - 1) == 2 && width_of_signed(INT32_MAX) == 2 &&
              width_of_signed(INT32_MIN) == 2 && width_of_signed(INT32_MAX + 1ll) == 3 &&
              width_of_signed(INT32_MIN - 1ll) == 3 && width_of_signed(INT64_MIN) == 3 &&
              width_of_signed(INT64_MAX) == 3);

/// The width code of a string length prefix.
inline unsigned width_of_length(std::size_t n) noexcept {
  return n <= 0xff ? 0 : n <= 0xffff ? 1 : 2;
}

/// Writes the low `n` bytes of `v` little-endian.
inline void store_le(std::uint64_t v, unsigned char* p, std::size_t n) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    switch (n) {
      case 1: p[0] = static_cast<unsigned char>(v); return;
      case 2: { const auto x = static_cast<std::uint16_t>(v); std::memcpy(p, &x, 2); return; }
      case 4: { const auto x = static_cast<std::uint32_t>(v); std::memcpy(p, &x, 4); return; }
      case 8: std::memcpy(p, &v, 8); return;
      default: break;
    }
  }
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace coop::model::detail
