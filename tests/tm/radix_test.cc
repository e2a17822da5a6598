// radix_sort (libtimemachine/src/index/radix.cc), which orders a commit's
// index postings: the same order as std::sort for every shape of input a
// commit can produce (and some it cannot), at and around the size where it
// stops handing over to std::sort.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "index/radix.h"

using coop::tm::detail::radix_sort;

namespace {

// Sorts a copy both ways and compares.
void same_as_std_sort(const std::vector<std::uint64_t>& in) {
  std::vector<std::uint64_t> want = in;
  std::sort(want.begin(), want.end());
  std::vector<std::uint64_t> got = in;
  std::vector<std::uint64_t> scratch;
  radix_sort(got, scratch);
  REQUIRE(got.size() == want.size());
  CHECK(got == want);
}

}  // namespace

TEST_CASE("radix_sort: the order of std::sort, for every size and shape of postings") {
  std::mt19937_64 r(7);
  for (const std::size_t n : {0u, 1u, 2u, 4095u, 4096u, 4097u, 65536u, 300000u}) {
    CAPTURE(n);
    std::vector<std::uint64_t> v(n);
    // Postings as a commit makes them: a key rank in the high half, a
    // block number and record in the low half, blocks in a narrow range.
    for (auto& x : v) {
      const std::uint64_t rank = r() % 50000;
      const std::uint64_t block = 1000 + r() % 3000;
      x = rank << 32 | block << 8 | (r() % 256);
    }
    same_as_std_sort(v);
    // Any 64 bits.
    for (auto& x : v) x = r();
    same_as_std_sort(v);
    // Every value the same (every byte skipped).
    std::fill(v.begin(), v.end(), 0x0102030405060708ull);
    same_as_std_sort(v);
    // Many duplicates, already sorted, reversed.
    for (auto& x : v) x = r() % 7;
    same_as_std_sort(v);
    std::sort(v.begin(), v.end());
    same_as_std_sort(v);
    std::reverse(v.begin(), v.end());
    same_as_std_sort(v);
    // Only the top byte differs.
    for (auto& x : v) x = (r() % 256) << 56 | 0x00ffffffffffffull;
    same_as_std_sort(v);
  }
}

TEST_CASE("radix_sort: the scratch keeps its capacity and the result is in the caller's vector") {
  std::mt19937_64 r(11);
  std::vector<std::uint64_t> v(10000);
  for (auto& x : v) x = r();
  std::vector<std::uint64_t> scratch;
  radix_sort(v, scratch);
  CHECK(std::is_sorted(v.begin(), v.end()));
  CHECK(v.size() == 10000);
  CHECK(scratch.capacity() >= 10000);
  // A second call reuses it.
  for (auto& x : v) x = r();
  radix_sort(v, scratch);
  CHECK(std::is_sorted(v.begin(), v.end()));
}
