// Bloom filters over 64-bit key hashes: the per-block summary of connection
// uids and the per-partition summary of every indexed key, which make a
// lookup for an absent key skip a block or a whole partition unopened.
// Serialised as: u32 LE number of bits (a multiple of 64), then the bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coop::tm::detail {

class bloom {
 public:
  /// A filter sized for `keys` keys at about 1% false positives (10 bits
  /// per key, 4 probes), at least 64 bits, at most `max_bits`.
  static bloom sized_for(std::size_t keys, std::size_t max_bits = std::size_t{1} << 26);

  void add(std::uint64_t h) noexcept;
  [[nodiscard]] bool may_contain(std::uint64_t h) const noexcept;

  /// Appends the serialised form to `out`.
  void write(std::string& out) const;
  /// Checks `bytes` holds a serialised filter (of exactly its size when
  /// `exact`); on success `bits_view` views the bits.
  static bool parse(std::string_view bytes, std::string_view* bits_view, std::size_t* used);
  /// Tests a hash against serialised bits without copying them.
  static bool may_contain(std::string_view bits, std::uint64_t h) noexcept;

 private:
  std::vector<std::uint64_t> words_;
};

}  // namespace coop::tm::detail
