#include "partition/extent.h"

#include <zlib.h>

#include "block/endian.h"

namespace coop::tm::detail {

namespace {

constexpr std::size_t directory_head = 8;  // CRC, count

std::uint32_t crc_of(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

model::error damaged(std::string_view where, const std::string& why) {
  return model::error{model::errc::corruption, std::string(where) + ": extent " + why};
}

}  // namespace

model::result<void> write_extent(std::string& out, const std::vector<std::string_view>& blocks) {
  if (blocks.empty() || blocks.size() > max_extent_blocks) {
    return model::error{model::errc::invalid_argument,
                        "an extent holds 1 to " + std::to_string(max_extent_blocks) +
                            " blocks, not " + std::to_string(blocks.size())};
  }
  const std::size_t dir_bytes = directory_head + 4 * blocks.size();
  std::size_t total = dir_bytes;
  for (auto b : blocks) total += b.size();
  if (total > 0xffffffffu) {
    return model::error{model::errc::invalid_argument,
                        "an extent of " + std::to_string(total) + " bytes passes 4 GiB"};
  }
  const std::size_t start = out.size();
  out.reserve(start + total);
  put_le32(out, 0);  // CRC, filled in below
  put_le32(out, static_cast<std::uint32_t>(blocks.size()));
  std::size_t offset = dir_bytes;
  for (auto b : blocks) {
    put_le32(out, static_cast<std::uint32_t>(offset));
    offset += b.size();
  }
  const std::uint32_t crc = crc_of(std::string_view(out).substr(start + 4, dir_bytes - 4));
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  for (auto b : blocks) out.append(b);
  return {};
}

model::result<std::uint32_t> extent_count(std::string_view extent, std::string_view where) {
  if (extent.size() < directory_head) {
    return damaged(where, "of " + std::to_string(extent.size()) + " bytes has no directory");
  }
  const std::uint32_t n = get_le32(extent, 4);
  if (n == 0 || n > max_extent_blocks) {
    return damaged(where, "directory announces " + std::to_string(n) + " blocks");
  }
  const std::size_t dir_bytes = directory_head + 4 * std::size_t{n};
  if (extent.size() < dir_bytes) {
    return damaged(where, "directory of " + std::to_string(n) + " blocks is cut short");
  }
  if (crc_of(extent.substr(4, dir_bytes - 4)) != get_le32(extent, 0)) {
    return damaged(where, "directory fails its CRC");
  }
  // Offsets: the first right after the directory, then strictly
  // increasing, all inside the extent.
  std::size_t prev = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::size_t off = get_le32(extent, directory_head + 4 * std::size_t{i});
    const bool ok = i == 0 ? off == dir_bytes : off > prev;
    if (!ok || off >= extent.size()) {
      return damaged(where, "directory: block " + std::to_string(i) + " at offset " +
                                std::to_string(off) + " is out of place");
    }
    prev = off;
  }
  return n;
}

model::result<std::string_view> extent_block(std::string_view extent, std::uint32_t index,
                                             std::string_view where) {
  auto n = extent_count(extent, where);
  if (!n) return n.err();
  if (index >= *n) {
    return damaged(where, "holds " + std::to_string(*n) + " blocks, not block " +
                              std::to_string(index) + " of it");
  }
  const std::size_t at = directory_head + 4 * std::size_t{index};
  const std::size_t begin = get_le32(extent, at);
  const std::size_t end = index + 1 < *n ? get_le32(extent, at + 4) : extent.size();
  return extent.substr(begin, end - begin);
}

}  // namespace coop::tm::detail
