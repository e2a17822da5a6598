// Extents: the blocks of a packed partition (format 4) stored back to back,
// `extent_blocks` consecutive blocks to an LMDB value keyed by the first
// one's number, behind a small directory of their offsets. An LMDB value
// occupies whole 4 KiB pages, so one block per value wastes half a page on
// average (about 10% of a 20 KB block, 17% of a small aggregate block); an
// extent wastes that once for all its blocks (docs/timemachine.md,
// "Extents"). The codec only: no LMDB here.
//
// Thread-safety: free functions on caller-owned data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/result.h"

namespace coop::tm::detail {

/// Blocks per extent in new packed partitions: 16 blocks of about 20 KB
/// (raw traffic) or 12 KB (aggregates) waste about 0.6% to 1% of a page
/// each, and a reader finds a block through the directory, not by walking.
inline constexpr std::uint32_t default_extent_blocks = 16;
/// Most blocks an extent may hold (a larger count in a partition's info, or
/// in an extent's directory, is corruption).
inline constexpr std::uint32_t max_extent_blocks = 256;

/// The number of the first block of the extent holding block `n`.
constexpr std::uint32_t extent_first(std::uint32_t n, std::uint32_t extent_blocks) noexcept {
  return n - n % extent_blocks;
}

/// Appends to `out` the extent holding `blocks` (stored blocks, at least
/// one and at most max_extent_blocks, in block order): CRC-32 of the
/// directory (u32 LE), the block count (u32 LE), each block's byte offset
/// from the start of the extent (u32 LE), then the blocks. Errors:
/// invalid_argument when the count is out of range or the extent would
/// pass 4 GiB.
model::result<void> write_extent(std::string& out, const std::vector<std::string_view>& blocks);

/// Block `index` (0-based) of the extent `extent`, viewed in place. Checks
/// the directory's CRC and that the offsets increase and stay inside the
/// extent (the block's own CRCs are checked by its reader). Errors:
/// corruption naming `where` and what is wrong (a damaged directory, an
/// index past the blocks it holds).
model::result<std::string_view> extent_block(std::string_view extent, std::uint32_t index,
                                             std::string_view where);

/// The number of blocks the extent's directory announces, after the same
/// checks as extent_block. Errors: as extent_block.
model::result<std::uint32_t> extent_count(std::string_view extent, std::string_view where);

}  // namespace coop::tm::detail
