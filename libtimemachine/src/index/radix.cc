#include "index/radix.h"

#include <algorithm>

namespace coop::tm::detail {

namespace {

// Below this, std::sort is as fast and needs no scratch.
constexpr std::size_t radix_threshold = 4096;

}  // namespace

void radix_sort(std::vector<std::uint64_t>& v, std::vector<std::uint64_t>& scratch) {
  const std::size_t n = v.size();
  if (n < radix_threshold) {
    std::sort(v.begin(), v.end());
    return;
  }
  // One pass counts every byte position's digits.
  std::vector<std::array<std::size_t, 256>> count(8);
  for (auto& c : count) c.fill(0);
  for (const std::uint64_t x : v) {
    for (unsigned b = 0; b < 8; ++b) ++count[b][(x >> (8 * b)) & 0xff];
  }
  scratch.resize(n);
  std::uint64_t* from = v.data();
  std::uint64_t* to = scratch.data();
  for (unsigned b = 0; b < 8; ++b) {
    auto& c = count[b];
    // A byte that is the same in every posting does not reorder anything.
    if (c[(from[0] >> (8 * b)) & 0xff] == n) continue;
    std::size_t sum = 0;
    for (auto& slot : c) {
      const std::size_t k = slot;
      slot = sum;
      sum += k;
    }
    const unsigned shift = 8 * b;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t x = from[i];
      to[c[(x >> shift) & 0xff]++] = x;
    }
    std::swap(from, to);
  }
  if (from != v.data()) v.swap(scratch);
}

}  // namespace coop::tm::detail
