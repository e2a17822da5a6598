#include "block/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define COOP_CRC32C_SSE42 1
#endif

namespace coop::tm::detail {

namespace {

// The reflected Castagnoli polynomial.
constexpr std::uint32_t polynomial = 0x82f63b78u;

// Slicing by 8: table k maps a byte to its CRC contribution k bytes
// further on, so eight bytes are folded with eight lookups at once
// (about zlib's CRC-32 speed; a byte at a time was about 6 times slower).
using tables_t = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr tables_t make_tables() {
  tables_t t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? (c >> 1) ^ polynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xffu];
  }
  return t;
}

constexpr tables_t tables = make_tables();

std::uint32_t by_table(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  for (; n >= 8; n -= 8, p += 8) {
    // Little-endian by construction: the bytes are read one by one.
    const std::uint32_t lo = crc ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 |
                                    std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    crc = tables[7][lo & 0xffu] ^ tables[6][(lo >> 8) & 0xffu] ^ tables[5][(lo >> 16) & 0xffu] ^
          tables[4][lo >> 24] ^ tables[3][p[4]] ^ tables[2][p[5]] ^ tables[1][p[6]] ^
          tables[0][p[7]];
  }
  for (; n > 0; --n, ++p) crc = tables[0][(crc ^ *p) & 0xffu] ^ (crc >> 8);
  return crc;
}

#ifdef COOP_CRC32C_SSE42
__attribute__((target("sse4.2"))) std::uint32_t by_instruction(std::uint32_t crc,
                                                                const unsigned char* p,
                                                                std::size_t n) noexcept {
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

// Asked once, on first use (__builtin_cpu_init first: this may run before
// the runtime's own constructor has filled in the CPU model).
bool have_sse42() noexcept {
  static const bool have = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return have;
}
#endif

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  crc = ~crc;
#ifdef COOP_CRC32C_SSE42
  if (have_sse42()) return ~by_instruction(crc, p, bytes.size());
#endif
  return ~by_table(crc, p, bytes.size());
}

std::uint32_t crc32c_by_table(std::uint32_t crc, std::string_view bytes) noexcept {
  return ~by_table(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

}  // namespace coop::tm::detail
