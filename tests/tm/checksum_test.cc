// Block checksums (libtimemachine/src/block/crc32c.cc, block.cc): blocks
// written since store format 5 use CRC-32C and say so in header byte 5;
// blocks of formats 2 to 4 (zlib's CRC-32, byte 5 zero) still read; an
// unknown checksum kind or a flipped kind byte is reported, never decoded.
#include <doctest/doctest.h>

#include <string>

#include "block/block.h"
#include "block/crc32c.h"
#include "block/endian.h"
#include "old_blocks.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

TEST_CASE("checksums: CRC-32C gives the standard check value, by instruction and by table") {
  CHECK(detail::crc32c(0, "123456789") == 0xe3069283u);
  CHECK(detail::crc32c_by_table(0, "123456789") == 0xe3069283u);
  CHECK(detail::crc32c(0, "") == 0u);
  // Every length and alignment the 8-byte loop and its tail can meet,
  // and continuing a CRC equals computing it at once.
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t n = 0; start + n <= bytes.size(); n += 7) {
      std::string_view s = std::string_view(bytes).substr(start, n);
      CHECK(detail::crc32c(0, s) == detail::crc32c_by_table(0, s));
      const std::size_t half = n / 2;
      CHECK(detail::crc32c(detail::crc32c(0, s.substr(0, half)), s.substr(half)) ==
            detail::crc32c(0, s));
    }
  }
}

TEST_CASE("checksums: a new block says CRC-32C in byte 5, and a format 4 block still reads") {
  const std::string payload = conn_payload(40);
  for (int level : {0, 1}) {
    CAPTURE(level);
    const std::string block = detail::seal_block(payload, 40, 0, 39, level);
    REQUIRE(block.size() > detail::block_header::size);
    CHECK(block[5] == static_cast<char>(detail::block_header::checksum_crc32c));
    std::string out;
    REQUIRE(detail::open_block(block, "new", out).ok());
    CHECK(out == payload);

    const std::string old = as_format4(block);
    // Each of the three kinds of CRC was recomputed (byte 5 aside, the two
    // blocks differ only there).
    CHECK(detail::get_le32(old, 20) != detail::get_le32(block, 20));
    CHECK(detail::get_le32(old, 44) != detail::get_le32(block, 44));
    CHECK(detail::get_le32(old, detail::block_header::size + 8) !=
          detail::get_le32(block, detail::block_header::size + 8));
    auto h = detail::check_block(old, "old");
    REQUIRE_MESSAGE(h.ok(), (h.ok() ? "" : h.err().message));
    CHECK(h->checksum == detail::block_header::checksum_crc32);
    out.clear();
    REQUIRE(detail::open_block(old, "old", out).ok());
    CHECK(out == payload);
    // Frame by frame, as a lookup reads it.
    detail::block_frames frames;
    REQUIRE(detail::block_codec::frames(old, "old", frames).ok());
    detail::block_codec codec;
    std::string all;
    for (std::size_t f = 0; f < frames.offset.size(); ++f) {
      std::string one;
      REQUIRE(codec.frame(frames, f, "old", nullptr, one).ok());
      all += one;
    }
    CHECK(all == payload);
  }
}

TEST_CASE("checksums: an unknown or flipped checksum kind is damage, with its place") {
  const std::string block = detail::seal_block(conn_payload(24), 24, 0, 23, 1);
  std::string out;
  SUBCASE("unknown kind") {
    std::string bad = block;
    bad[5] = 2;
    auto r = detail::open_block(bad, "part-7 block #3", out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == model::errc::corruption);
    CHECK(r.err().message == "part-7 block #3: damaged block: unknown checksum 2 at byte 5");
    detail::block_frames frames;
    auto t = detail::block_codec::frames(bad, "part-7 block #3", frames);
    REQUIRE_FALSE(t.ok());
    CHECK(t.err().message == r.err().message);
  }
  SUBCASE("a CRC-32C block whose byte 5 flipped to CRC-32") {
    std::string bad = block;
    bad[5] = 0;
    auto r = detail::open_block(bad, "part-7 block #3", out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message.rfind("part-7 block #3: damaged block: checksum mismatch", 0) == 0);
    detail::block_frames frames;
    auto t = detail::block_codec::frames(bad, "part-7 block #3", frames);
    REQUIRE_FALSE(t.ok());
    CHECK(t.err().message.rfind("part-7 block #3: damaged block: frame table checksum mismatch",
                                0) == 0);
  }
}
