// Blocks as stores of formats 2 to 4 wrote them (zlib's CRC-32, header
// byte 5 zero), made from a block this build sealed: for the tests that an
// old store still reads. Pure functions.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

#include "block/block.h"
#include "block/endian.h"

namespace coop::tm::testing {

inline std::uint32_t zlib_crc(std::uint32_t crc, std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

inline void set_le32(std::string& s, std::size_t at, std::uint32_t v) {
  std::string b;
  detail::put_le32(b, v);
  s.replace(at, 4, b);
}

// `block` as a format 4 writer wrote it: byte 5 zero and every checksum
// zlib's CRC-32 (the layout docs/timemachine.md gives, computed here
// independently of block.cc).
inline std::string as_format4(std::string block) {
  const std::size_t header = detail::block_header::size;
  block[5] = 0;
  const std::size_t frames = static_cast<unsigned char>(block[40]) |
                             (static_cast<std::size_t>(static_cast<unsigned char>(block[41])) << 8);
  const std::size_t table = frames * detail::block_header::frame_entry;
  std::size_t at = header + table;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t e = header + f * detail::block_header::frame_entry;
    const std::uint32_t packed = detail::get_le32(block, e);
    set_le32(block, e + 8, zlib_crc(0, std::string_view(block).substr(at, packed)));
    at += packed;
  }
  std::string_view v(block);
  std::uint32_t t = zlib_crc(zlib_crc(zlib_crc(0, v.substr(4, 16)), v.substr(24, 20)),
                             v.substr(header, table));
  set_le32(block, 44, t);
  v = block;
  std::uint32_t whole = zlib_crc(zlib_crc(zlib_crc(0, v.substr(4, 16)), v.substr(24, 24)),
                                 v.substr(header));
  set_le32(block, 20, whole);
  return block;
}

}  // namespace coop::tm::testing
