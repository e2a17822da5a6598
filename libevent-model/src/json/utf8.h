// UTF-8 validation shared by the JSON writer (which must tell valid text
// from bytes to escape) and the reader (which accepts only valid UTF-8).
#pragma once

#include <cstddef>

namespace coop::model::json {

/// Length (1..4) of the well-formed UTF-8 sequence starting at `p`, or 0 if
/// the bytes at `p` are not one (overlong forms, surrogates U+D800..U+DFFF,
/// code points above U+10FFFF, truncated sequences). `p < end`.
inline std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return 1;
  auto left = static_cast<std::size_t>(end - p);
  auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return i < left && p[i] >= lo && p[i] <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 == 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 == 0xee || b0 == 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 == 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 == 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 == 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

}  // namespace coop::model::json
