// Fuzz target: a stored time machine block as read back from disk (header
// with checksum, zstd payload, length-prefixed event records), decoded the
// way a query does. Any input must give a clean error or events, never a
// crash, an unbounded allocation or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "block/block.h"
#include "block/endian.h"
#include "coop/model/catalogue.h"
#include "coop/model/codec.h"

namespace {

const coop::model::registry& types() {
  static const coop::model::registry reg = [] {
    coop::model::registry r;
    (void)coop::model::add_catalogue(r);
    return r;
  }();
  return reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stored(reinterpret_cast<const char*>(data), size);
  std::string raw;
  if (!coop::tm::detail::open_block(stored, "fuzz", raw)) return 0;
  coop::model::event e;
  std::size_t pos = 0;
  while (raw.size() - pos >= 4) {
    std::uint32_t len = coop::tm::detail::get_le32(raw, pos);
    pos += 4;
    if (len > raw.size() - pos) break;
    auto bytes = std::as_bytes(std::span<const char>(raw.data() + pos, len));
    (void)coop::model::decode_into(bytes, types(), e);
    pos += len;
  }
  return 0;
}
