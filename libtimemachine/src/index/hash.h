// A stable 64-bit hash for on-disk summaries (Bloom filters). Stable means
// the same bytes hash the same on every build and machine, unlike std::hash.
#pragma once

#include <cstdint>
#include <string_view>

namespace coop::tm::detail {

/// FNV-1a over the bytes, then a SplitMix64 finaliser for good bit mixing.
inline std::uint64_t stable_hash(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace coop::tm::detail
