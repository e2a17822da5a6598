// Fuzz target: one extent of a packed partition's `blocks` database as read
// back from disk (format 4): directory CRC, block count, offsets, then the
// blocks. Any input must give a clean corruption error or the blocks, never
// a crash, an out-of-bounds view or a hang. An extent that decodes is
// written again from its blocks and must come out byte for byte the same
// (the directory is a function of the blocks). The seeds in
// corpus/tm_extent are valid extents (so the CRC is passed and the offsets
// are reached) and damaged ones.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "partition/extent.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view extent(reinterpret_cast<const char*>(data), size);
  auto n = coop::tm::detail::extent_count(extent, "fuzz");
  if (!n) return 0;
  std::vector<std::string_view> blocks;
  for (std::uint32_t i = 0; i < *n; ++i) {
    auto b = coop::tm::detail::extent_block(extent, i, "fuzz");
    if (!b) std::abort();  // extent_count accepted the directory
    if (b->data() < extent.data() || b->data() + b->size() > extent.data() + extent.size()) {
      std::abort();
    }
    blocks.push_back(*b);
  }
  if (coop::tm::detail::extent_block(extent, *n, "fuzz")) std::abort();
  std::string again;
  if (!coop::tm::detail::write_extent(again, blocks)) std::abort();
  if (again != extent) std::abort();
  return 0;
}
