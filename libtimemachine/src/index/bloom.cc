#include "index/bloom.h"

#include <algorithm>

#include "block/endian.h"

namespace coop::tm::detail {

namespace {
constexpr int probes = 4;

inline std::uint64_t probe(std::uint64_t h, int i, std::uint64_t nbits) noexcept {
  // Double hashing: h1 + i*h2 over the bit count.
  std::uint64_t h1 = h;
  std::uint64_t h2 = (h >> 32) | (h << 32) | 1;
  return (h1 + static_cast<std::uint64_t>(i) * h2) % nbits;
}
}  // namespace

bloom bloom::sized_for(std::size_t keys, std::size_t max_bits) {
  std::size_t bits = std::clamp<std::size_t>(keys * 10, 64, std::max<std::size_t>(64, max_bits));
  bloom b;
  b.words_.assign((bits + 63) / 64, 0);
  return b;
}

void bloom::add(std::uint64_t h) noexcept {
  std::uint64_t n = words_.size() * 64;
  for (int i = 0; i < probes; ++i) {
    std::uint64_t bit = probe(h, i, n);
    words_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
}

bool bloom::may_contain(std::uint64_t h) const noexcept {
  std::uint64_t n = words_.size() * 64;
  for (int i = 0; i < probes; ++i) {
    std::uint64_t bit = probe(h, i, n);
    if ((words_[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) return false;
  }
  return true;
}

void bloom::write(std::string& out) const {
  put_le32(out, static_cast<std::uint32_t>(words_.size() * 64));
  for (std::uint64_t w : words_) put_le64(out, w);
}

bool bloom::parse(std::string_view bytes, std::string_view* bits_view, std::size_t* used) {
  if (bytes.size() < 4) return false;
  std::uint32_t nbits = get_le32(bytes, 0);
  if (nbits == 0 || nbits % 64 != 0) return false;
  std::size_t nbytes = nbits / 8;
  if (bytes.size() - 4 < nbytes) return false;
  *bits_view = bytes.substr(4, nbytes);
  *used = 4 + nbytes;
  return true;
}

bool bloom::may_contain(std::string_view bits, std::uint64_t h) noexcept {
  std::uint64_t n = bits.size() * 8;
  if (n == 0) return true;
  for (int i = 0; i < probes; ++i) {
    std::uint64_t bit = probe(h, i, n);
    auto byte = static_cast<unsigned char>(bits[bit / 8]);
    if ((byte & (1u << (bit % 8))) == 0) return false;
  }
  return true;
}

}  // namespace coop::tm::detail
