// Sorting 64-bit index postings by radix. A commit sorts every posting it
// writes (key rank << 32 | block << 8 | record), hundreds of thousands at
// a time; most of their bytes are the same in every posting (few key ranks,
// a narrow range of blocks), so a least-significant-digit radix sort that
// skips those bytes makes three to five passes over the array where
// std::sort compares about 20 times per element (docs/performance.md,
// "Radix-sorted postings").
//
// Thread-safety: a free function on caller-owned data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace coop::tm::detail {

/// Sorts `v` ascending. `scratch` is working space (resized to v.size(),
/// its capacity kept for the next call). Small inputs go to std::sort.
void radix_sort(std::vector<std::uint64_t>& v, std::vector<std::uint64_t>& scratch);

}  // namespace coop::tm::detail
