// Stored blocks (libtimemachine/src/block/block.cc) and the partition's
// zstd dictionary (src/partition/dictionary.cc): frames read one at a time
// give back exactly the records a whole read gives, damage is located by
// frame, and a slow stream (small commits) still gets its dictionary.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "block/block.h"
#include "block/endian.h"
#include "coop/model/codec.h"
#include "coop/tm/store.h"
#include "partition/partition.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

// The literals-section types (0 raw, 1 RLE, 2 Huffman with its table,
// 3 Huffman reusing a table) of the compressed zstd blocks in one zstd
// frame, as RFC 8878 lays them out; a damaged frame fails the test.
std::vector<int> literal_types(std::string_view z) {
  std::vector<int> out;
  REQUIRE(z.size() >= 6);
  REQUIRE(detail::get_le32(z, 0) == 0xFD2FB528u);  // the zstd magic
  const auto fhd = static_cast<unsigned char>(z[4]);
  const bool single = ((fhd >> 5) & 1u) != 0;
  std::size_t p = 5 + (single ? 0 : 1);
  p += std::array<std::size_t, 4>{0, 1, 2, 4}[fhd & 3u];               // dictionary id
  p += std::array<std::size_t, 4>{single ? 1u : 0u, 2, 4, 8}[fhd >> 6];  // content size
  for (bool last = false; !last;) {
    REQUIRE(p + 3 <= z.size());
    const std::uint32_t bh = static_cast<unsigned char>(z[p]) |
                             static_cast<unsigned char>(z[p + 1]) << 8 |
                             static_cast<unsigned char>(z[p + 2]) << 16;
    p += 3;
    last = (bh & 1u) != 0;
    const unsigned type = (bh >> 1) & 3u;
    const std::size_t size = bh >> 3;
    if (type == 2) {
      REQUIRE(p < z.size());
      out.push_back(static_cast<unsigned char>(z[p]) & 3);
    }
    p += type == 1 ? 1 : size;
  }
  return out;
}

}  // namespace

TEST_CASE("blocks: frames of a block of several keep zstd literals uncoded, one frame codes them") {
  // Records with random uids, like Zeek's, compress better with
  // Huffman-coded literals; only a block read a frame at a time trades
  // that for faster frames.
  const std::uint32_t records = 64;
  std::string p;
  std::mt19937_64 random(7);
  const std::string_view base62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (std::uint32_t i = 0; i < records; ++i) {
    auto e = conn(epoch + i * sec, i % 37, 1 + i % 7, 443, i);
    e.uid = "C";
    for (int k = 0; k < 17; ++k) e.uid += base62[random() % base62.size()];
    add_record(p, e);
  }
  detail::block_codec codec;
  for (std::uint16_t per : {std::uint16_t{8}, std::uint16_t{records}}) {
    CAPTURE(per);
    const std::string stored = codec.seal(p, records, 0, 1, 1, nullptr, per);
    detail::block_frames frames;
    REQUIRE(detail::block_codec::frames(stored, "b", frames).ok());
    REQUIRE(frames.header.compression == 1);
    std::vector<int> types;
    for (std::size_t f = 0; f < frames.offset.size(); ++f) {
      auto t = literal_types(std::string_view(stored).substr(frames.offset[f], frames.packed[f]));
      types.insert(types.end(), t.begin(), t.end());
    }
    REQUIRE_FALSE(types.empty());
    const bool coded = std::any_of(types.begin(), types.end(), [](int t) { return t >= 2; });
    CHECK(coded == (per == records));
  }
}

TEST_CASE("blocks: the frames of a block, read one by one, are the block read whole") {
  for (int level : {0, 1, 3}) {
    for (std::uint32_t records : {1u, 7u, 8u, 9u, 64u, 256u}) {
      CAPTURE(level);
      CAPTURE(records);
      const std::string p = conn_payload(records);
      detail::block_codec codec;
      const std::string stored = codec.seal(p, records, 5, 6, level, nullptr);
      std::string whole;
      REQUIRE(codec.open(stored, "b", nullptr, whole).ok());
      CHECK(whole == p);
      detail::block_frames frames;
      REQUIRE(detail::block_codec::frames(stored, "b", frames).ok());
      CHECK(frames.header.events == records);
      CHECK(frames.header.min_ts == 5);
      CHECK(frames.header.max_ts == 6);
      CHECK(frames.offset.size() == (records + 7) / 8);
      std::string joined, frame;
      for (std::size_t f = 0; f < frames.offset.size(); ++f) {
        REQUIRE(codec.frame(frames, f, "b", nullptr, frame).ok());
        joined += frame;
      }
      CHECK(joined == p);
    }
  }
}

TEST_CASE("blocks: damage to the frame table or a frame is reported with its place") {
  const std::string p = conn_payload(40);
  detail::block_codec codec;
  const std::string stored = codec.seal(p, 40, 0, 0, 1, nullptr);
  detail::block_frames frames;
  REQUIRE(detail::block_codec::frames(stored, "part block #3", frames).ok());
  SUBCASE("the frame table") {
    std::string bad = stored;
    bad[detail::block_header::size + 1] ^= 0x10;
    auto r = detail::block_codec::frames(bad, "part block #3", frames);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == model::errc::corruption);
    CHECK(r.err().message.find("part block #3: damaged block: frame table checksum mismatch") == 0);
  }
  SUBCASE("a frame") {
    std::string bad = stored;
    bad[frames.offset[2] + 3] ^= 0x10;
    detail::block_frames bad_frames;
    REQUIRE(detail::block_codec::frames(bad, "part block #3", bad_frames).ok());
    std::string out;
    CHECK(codec.frame(bad_frames, 1, "part block #3", nullptr, out).ok());
    auto r = codec.frame(bad_frames, 2, "part block #3", nullptr, out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message.find("part block #3 frame 2: damaged block: frame checksum mismatch") ==
          0);
    // Read whole, the block CRC catches it first.
    auto whole = codec.open(bad, "part block #3", nullptr, out);
    REQUIRE_FALSE(whole.ok());
    CHECK(whole.err().message.find("part block #3: damaged block: checksum mismatch") == 0);
  }
  SUBCASE("a block that needs a dictionary it does not get") {
    std::vector<std::string_view> samples;
    const std::string many = conn_payload(256);
    auto cuts = detail::frame_cuts(many, 256);
    for (int copy = 0; copy < 12; ++copy) {
      for (std::size_t f = 0; f + 1 < cuts.size(); ++f) {
        samples.push_back(std::string_view(many).substr(cuts[f], cuts[f + 1] - cuts[f]));
      }
    }
    auto trained = detail::block_dictionary::train(samples, 8 << 10);
    REQUIRE(trained);
    auto dict = detail::block_dictionary::make(*trained, 1);
    REQUIRE(dict.ok());
    const std::string with = codec.seal(p, 40, 0, 0, 1, dict->get());
    std::string out;
    REQUIRE(codec.open(with, "b", dict->get(), out).ok());
    CHECK(out == p);
    auto r = codec.open(with, "b", nullptr, out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message.find("dictionary, which is missing or damaged") != std::string::npos);
  }
}

namespace {

// `count` connections two a second from 37 hosts to 7 servers: a slow
// stream, all within the first hour's partition.
std::vector<model::event> slow_stream(std::uint64_t count) {
  std::vector<model::event> events;
  for (std::uint64_t n = 0; n < count; ++n) {
    events.push_back(conn(epoch + static_cast<std::int64_t>(n) * sec / 2,
                          static_cast<std::uint32_t>(n % 37), static_cast<std::uint32_t>(1 + n % 7),
                          443, n));
  }
  return events;
}

// A new store in a scratch directory, on a fake clock a day after epoch.
struct fresh_store {
  temp_dir dir;
  fake_clock clock{epoch + 86400 * sec};
  store_options opts = test_options(dir.path(), &clock);
  model::result<store> s = store::create(opts, catalogue());
  fresh_store() { REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message)); }
};

}  // namespace

TEST_CASE("blocks: a slow stream of small commits still gets its partition dictionary") {
  fresh_store f;
  auto& s = f.s;
  // 40 commits of 100 events (each far too small to train on), two events
  // a second: 2,000 s, all in the first hour's partition.
  std::vector<model::event> events = slow_stream(4000);
  for (std::size_t i = 0; i < events.size(); i += 100) {
    std::vector<model::event> batch(events.begin() + static_cast<long>(i),
                                    events.begin() + static_cast<long>(i + 100));
    REQUIRE(s->append(batch).ok());
    REQUIRE(s->commit().ok());
  }
  std::filesystem::path part;
  for (const auto& e : std::filesystem::directory_iterator(f.opts.root / "parts")) part = e.path();
  auto p = detail::partition::open(part, f.opts.partition_map_bytes, true);
  REQUIRE(p.ok());
  REQUIRE((*p)->dictionary() != nullptr);
  // The first blocks were written without it (one frame each), the last
  // with it (several frames).
  std::string first, last;
  const auto blocks = (*p)->meta().blocks;
  REQUIRE((*p)->read_block(0, first).ok());
  REQUIRE((*p)->read_block(blocks - 1, last).ok());
  detail::block_frames a, b;
  REQUIRE(detail::block_codec::frames(first, "first", a).ok());
  REQUIRE(detail::block_codec::frames(last, "last", b).ok());
  CHECK(a.header.compression == 1);
  CHECK(a.offset.size() == 1);
  CHECK(b.header.compression == 2);
  CHECK(b.offset.size() > 1);
  // Everything reads back, whole and by lookup.
  CHECK(all(*s).size() == events.size());
  query_spec q;
  q.filter = "orig_h == 10.0.0.3";
  auto got = all(*s, q);
  CHECK(got.size() == (events.size() - 3 + 36) / 37);  // n % 37 == 3
  CHECK(s->verify()->empty());
}

TEST_CASE("blocks: a reader opened before the writer trained the dictionary reads its blocks") {
  fresh_store f;
  auto& writer = f.s;
  std::vector<model::event> events = slow_stream(4100);
  // A first small commit creates the partition, without a dictionary.
  REQUIRE(writer->append(std::span(events).first(100)).ok());
  REQUIRE(writer->commit().ok());
  auto ro = f.opts;
  ro.read_only = true;
  auto reader = store::open(ro, catalogue());
  REQUIRE(reader.ok());
  // The next commit is large enough to train it.
  REQUIRE(writer->append(std::span(events).subspan(100)).ok());
  REQUIRE(writer->commit().ok());
  for (const char* filter : {"", "orig_h == 10.0.0.3"}) {
    CAPTURE(filter);
    query_spec q;
    q.filter = filter;
    auto c = reader->query(q);
    REQUIRE(c.ok());
    std::size_t n = 0;
    for (;;) {
      auto e = c->next();
      REQUIRE(e.ok());
      if (*e == nullptr) break;
      ++n;
    }
    CHECK(n == (q.filter.empty() ? events.size() : (events.size() - 3 + 36) / 37));
    CHECK_MESSAGE(c->warnings().empty(), (c->warnings().empty() ? "" : c->warnings().front()));
  }
}
