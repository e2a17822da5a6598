// Fixed-width integers in the byte orders the on-disk format uses: keys are
// big-endian (so memcmp order is numeric order), headers little-endian.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace coop::tm::detail {

inline void put_be32(std::string& out, std::uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}
inline void put_be64(std::string& out, std::uint64_t v) {
  put_be32(out, static_cast<std::uint32_t>(v >> 32));
  put_be32(out, static_cast<std::uint32_t>(v));
}
inline std::uint32_t get_be32(std::string_view s, std::size_t at = 0) {
  auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}
inline std::uint64_t get_be64(std::string_view s, std::size_t at = 0) {
  return (std::uint64_t{get_be32(s, at)} << 32) | get_be32(s, at + 4);
}
/// Signed 64-bit as big-endian with the sign bit flipped, so keys of
/// negative times sort before positive ones.
inline void put_be64_signed(std::string& out, std::int64_t v) {
  put_be64(out, static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63));
}
inline std::int64_t get_be64_signed(std::string_view s, std::size_t at = 0) {
  return static_cast<std::int64_t>(get_be64(s, at) ^ (std::uint64_t{1} << 63));
}

inline void put_le32(std::string& out, std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 4);
}
inline void put_le64(std::string& out, std::uint64_t v) {
  put_le32(out, static_cast<std::uint32_t>(v));
  put_le32(out, static_cast<std::uint32_t>(v >> 32));
}
inline std::uint32_t get_le32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}
inline std::uint64_t get_le64(std::string_view s, std::size_t at) {
  return std::uint64_t{get_le32(s, at)} | (std::uint64_t{get_le32(s, at + 4)} << 32);
}

}  // namespace coop::tm::detail
