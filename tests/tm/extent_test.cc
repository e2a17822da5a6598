// Store format 4: blocks of packed partitions in extents, and aggregate rows
// stored without their ids (derived again when read); partitions of the
// format 3 layout (one block per value, ids stored) still read as written.
#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "aggregate/aggregate.h"
#include "block/endian.h"
#include "block/record.h"
#include "coop/model/codec.h"
#include "partition/extent.h"
#include "partition/partition.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

TEST_CASE("extent: every block comes back as written, and a bad index or directory is named") {
  const std::vector<std::string> blocks = {std::string(5000, 'a'), "b", std::string(70000, 'c')};
  std::vector<std::string_view> views(blocks.begin(), blocks.end());
  std::string extent = "prefix";  // appended to: what is there stays
  REQUIRE(detail::write_extent(extent, views).ok());
  REQUIRE(extent.starts_with("prefix"));
  extent.erase(0, 6);
  CHECK(extent.size() == 8 + 3 * 4 + 5000 + 1 + 70000);
  REQUIRE(detail::extent_count(extent, "x").value() == 3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto b = detail::extent_block(extent, i, "x");
    REQUIRE(b.ok());
    CHECK(*b == blocks[i]);
  }
  auto past = detail::extent_block(extent, 3, "parts/7 extent #16");
  REQUIRE_FALSE(past.ok());
  CHECK(past.err().code == model::errc::corruption);
  CHECK(past.err().message == "parts/7 extent #16: extent holds 3 blocks, not block 3 of it");

  SUBCASE("a flipped bit in the directory fails its CRC") {
    for (std::size_t at : {4u, 8u, 12u, 19u}) {
      std::string bad = extent;
      bad[at] = static_cast<char>(bad[at] ^ 1);
      auto r = detail::extent_block(bad, 0, "p");
      REQUIRE_FALSE(r.ok());
      CHECK_MESSAGE((r.err().message.find("CRC") != std::string::npos ||
                     r.err().message.find("announces") != std::string::npos),
                    r.err().message);
    }
  }
  SUBCASE("offsets out of place are refused even with a matching CRC") {
    std::string bad = extent;
    // The second block's offset past the end, CRC recomputed.
    bad.replace(12, 4, std::string(4, '\xff'));
    std::string fixed = bad.substr(4, 16);
    std::string crc;
    detail::put_le32(crc, static_cast<std::uint32_t>(
                              crc32(0, reinterpret_cast<const Bytef*>(fixed.data()), 16)));
    bad.replace(0, 4, crc);
    auto r = detail::extent_block(bad, 0, "p");
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message == "p: extent directory: block 1 at offset 4294967295 is out of place");
  }
  SUBCASE("cut short") {
    auto r = detail::extent_count(std::string_view(extent).substr(0, 10), "p");
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message == "p: extent directory of 3 blocks is cut short");
    CHECK_FALSE(detail::extent_count("", "p").ok());
  }
  SUBCASE("counts out of range are refused when writing") {
    CHECK_FALSE(detail::write_extent(extent, {}).ok());
    std::vector<std::string_view> many(detail::max_extent_blocks + 1, "z");
    CHECK_FALSE(detail::write_extent(extent, many).ok());
  }
}

namespace {

// Blocks of `n` connections each, as partition::write takes them.
std::vector<detail::block_in> blocks_of(std::size_t count, std::uint32_t n) {
  std::vector<detail::block_in> out;
  std::uint64_t id = 0;
  for (std::size_t b = 0; b < count; ++b) {
    detail::block_in in;
    for (std::uint32_t i = 0; i < n; ++i, ++id) {
      auto e = conn(epoch + static_cast<std::int64_t>(id) * sec, static_cast<std::uint32_t>(id % 7),
                    1, 443, id);
      auto bytes = model::encode(e);
      REQUIRE(bytes.ok());
      detail::put_le32(in.payload, static_cast<std::uint32_t>(bytes->size()));
      in.payload.append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    }
    in.records = n;
    in.weight = n;
    in.min_ts = epoch + static_cast<std::int64_t>(id - n) * sec;
    in.max_ts = epoch + static_cast<std::int64_t>(id - 1) * sec;
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace

TEST_CASE("a packed partition reads the same blocks in extents (format 4) and one per value") {
  temp_dir dir;
  std::string first_layout[40];
  for (std::uint32_t per : {0u, 16u, 1u}) {
    CAPTURE(per);
    detail::partition_meta m;
    m.id = 1 + per;
    m.class_name = "c";
    m.packed = true;
    m.sealed = true;
    m.extent_blocks = per;
    auto p = detail::partition::create(dir.path() / std::to_string(per), m, 64 << 20);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
    auto blocks = blocks_of(40, 20);  // 40 blocks: extents of 16, 16 and 8
    REQUIRE((*p)->write(blocks, 1, {}).ok());
    auto again = detail::partition::open(dir.path() / std::to_string(per), 64 << 20, true);
    REQUIRE(again.ok());
    CHECK((*again)->meta().extent_blocks == per);
    for (std::uint32_t n = 0; n < 40; ++n) {
      std::string stored;
      REQUIRE((*again)->read_block(n, stored).ok());
      if (per == 0) first_layout[n] = stored;
      CHECK(stored == first_layout[n]);
    }
    std::string none;
    auto missing = (*again)->read_block(40, none);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.err().code == model::errc::corruption);
  }
}

TEST_CASE("info records without the format 4 lines read as the format 3 layout") {
  detail::partition_meta m;
  m.tier = "hourly";
  m.packed = true;
  m.extent_blocks = 16;
  m.derived_ids = true;
  m.row_keys = {"orig_h", "resp_p"};
  std::string text = detail::encode_meta(m);
  auto back = detail::decode_meta(text, "p");
  REQUIRE(back.ok());
  CHECK(back->extent_blocks == 16);
  CHECK(back->derived_ids);
  CHECK(back->row_keys == m.row_keys);
  for (std::string line : {"extent_blocks=16\n", "derived_ids=1\n", "row_keys=orig_h,resp_p\n"}) {
    REQUIRE(text.find(line) != std::string::npos);
    text.erase(text.find(line), line.size());
  }
  text.replace(0, 9, "format=3\n");
  auto v3 = detail::decode_meta(text, "p");
  REQUIRE(v3.ok());
  CHECK(v3->extent_blocks == 0);
  CHECK_FALSE(v3->derived_ids);
  CHECK(v3->row_keys.empty());
  auto bad = detail::decode_meta(detail::encode_meta(m) + "extent_blocks=100000\n", "parts/9");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.find("parts/9: info line") == 0);
}

namespace {

// The rules of a class with raw data for a day, then an hourly tier.
std::string hourly_rules(std::string_view keys, std::string_view sums) {
  return "class connections types connection_end\n"
         "tier connections raw 1d\n"
         "tier connections hourly every 1h until 60d key " +
         std::string(keys) + " sum " + std::string(sums) + "\n";
}

}  // namespace

TEST_CASE("aggregate rows are stored without ids and read with the ids of their row keys") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  REQUIRE(s->set_rules(hourly_rules("orig_h,resp_p", "orig_bytes")).ok());
  std::vector<model::event> events;
  for (std::uint64_t n = 0; n < 600; ++n) {
    events.push_back(conn(epoch + static_cast<std::int64_t>(n) * 60 * sec,
                          static_cast<std::uint32_t>(n % 5), 1, 443, n, 100));
  }
  REQUIRE(s->append(events).ok());
  REQUIRE(s->commit().ok());
  clock.set(model::timestamp{epoch + 3 * 86400 * sec});
  REQUIRE(s->append(std::vector{conn(clock.now().ns, 1, 1, 22, 9999)}).ok());
  REQUIRE(s->commit().ok());
  REQUIRE(s->expire().ok());

  tier hourly;
  hourly.name = "hourly";
  hourly.bucket = model::interval::seconds(3600);
  hourly.keys = {"orig_h", "resp_p"};
  query_spec q;
  q.range.to = model::timestamp{epoch + 86400 * sec};
  auto rows = all(*s, q);
  REQUIRE(rows.size() == 10 * 5);  // 10 hours, 5 hosts
  std::vector<model::event_id> ids;
  for (const auto& r : rows) {
    CHECK(r.id != model::event_id{});
    CHECK(r.id == detail::row_id(hourly, detail::row_key(r, hourly)));
    ids.push_back(r.id);
  }
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  // The ids the aggregator gives the same rows (what format 3 stored).
  model::registry agg_types;
  detail::aggregator agg(hourly, agg_types);
  for (const auto& e : events) REQUIRE(agg.add(e).ok());
  std::vector<model::event_id> expected;
  for (const auto& r : agg.take()) {
    if (r.ts.ns < epoch + 86400 * sec) expected.push_back(r.id);
  }
  std::sort(expected.begin(), expected.end());
  CHECK(ids == expected);

  // On disk the rows have no id, and the partition says how to derive it.
  bool seen = false;
  for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
    auto p = detail::partition::open(e.path(), opts.partition_map_bytes, true);
    REQUIRE(p.ok());
    auto m = (*p)->meta();
    if (m.tier != "hourly") continue;
    seen = true;
    CHECK(m.derived_ids);
    CHECK(m.row_keys == hourly.keys);
    CHECK(m.extent_blocks == detail::default_extent_blocks);
    std::string stored, raw;
    REQUIRE((*p)->read_block(0, stored).ok());
    detail::block_codec codec;
    REQUIRE(codec.open(stored, "test", (*p)->dictionary_for(stored).get(), raw).ok());
    std::size_t pos = 0;
    detail::stored_record record;
    REQUIRE(detail::next_record(raw, pos, record) == nullptr);
    model::registry types;
    auto stored_types = (*p)->schemas();
    REQUIRE(stored_types.ok());
    for (const auto& sc : *stored_types) REQUIRE(types.add(sc).ok());
    model::event row;
    detail::record_reader reader;
    REQUIRE(reader.decode(record, types, row).ok());
    CHECK(row.id == model::event_id{});
    (*p)->restore_id(row);
    CHECK(row.id == detail::row_id(hourly, detail::row_key(row, hourly)));
  }
  CHECK(seen);
}

TEST_CASE("rows of a tier whose keys changed are read with their own layout and ids") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  // Day 0 under rules A, day 8 under rules B: same tier name, other keys
  // and sums, so the hourly rows of the two weeks have other layouts under
  // the same type name and version.
  const std::string rules_a = hourly_rules("orig_h,resp_p", "orig_bytes");
  const std::string rules_b = hourly_rules("resp_h,resp_p", "resp_bytes");
  auto day_of = [](std::int64_t day, std::uint64_t first) {
    std::vector<model::event> out;
    for (std::uint64_t n = 0; n < 240; ++n) {
      out.push_back(conn(epoch + day * 86400 * sec + static_cast<std::int64_t>(n) * 60 * sec,
                         static_cast<std::uint32_t>(n % 4), static_cast<std::uint32_t>(n % 3), 443,
                         first + n, 100));
    }
    return out;
  };
  REQUIRE(s->set_rules(rules_a).ok());
  REQUIRE(s->append(day_of(0, 0)).ok());
  REQUIRE(s->commit().ok());
  clock.set(model::timestamp{epoch + 3 * 86400 * sec});
  REQUIRE(s->append(std::vector{conn(clock.now().ns, 1, 1, 22, 9000)}).ok());
  REQUIRE(s->commit().ok());
  REQUIRE(s->expire().ok());
  REQUIRE(s->set_rules(rules_b).ok());
  REQUIRE(s->append(day_of(8, 1000)).ok());
  REQUIRE(s->commit().ok());
  clock.set(model::timestamp{epoch + 11 * 86400 * sec});
  REQUIRE(s->append(std::vector{conn(clock.now().ns, 1, 1, 22, 9001)}).ok());
  REQUIRE(s->commit().ok());
  REQUIRE(s->expire().ok());

  tier a{"hourly", model::interval::seconds(3600), {}, {"orig_h", "resp_p"}, {"orig_bytes"}};
  tier b{"hourly", model::interval::seconds(3600), {}, {"resp_h", "resp_p"}, {"resp_bytes"}};
  // One query over both weeks: the plan meets both layouts.
  query_spec both;
  both.filter = "resp_p == 443/tcp";
  std::vector<model::event> week0, week8;
  for (auto& r : all(*s, both)) {
    (r.ts.ns < epoch + 86400 * sec ? week0 : week8).push_back(std::move(r));
  }
  REQUIRE(week0.size() == 4 * 4);  // 4 hours, 4 hosts
  REQUIRE(week8.size() == 4 * 3);  // 4 hours, 3 servers
  std::uint64_t orig_bytes = 0, resp_bytes = 0;
  std::vector<model::event_id> ids;
  for (const auto& r : week0) {
    CHECK(r.get("orig_h") != nullptr);
    CHECK(r.get("resp_h") == nullptr);
    CHECK(r.id == detail::row_id(a, detail::row_key(r, a)));
    REQUIRE(r.get("orig_bytes") != nullptr);
    orig_bytes += *r.get("orig_bytes")->get_if<std::uint64_t>();
    ids.push_back(r.id);
  }
  for (const auto& r : week8) {
    CHECK(r.get("resp_h") != nullptr);
    CHECK(r.get("orig_h") == nullptr);
    CHECK(r.id == detail::row_id(b, detail::row_key(r, b)));
    REQUIRE(r.get("resp_bytes") != nullptr);
    resp_bytes += *r.get("resp_bytes")->get_if<std::uint64_t>();
    ids.push_back(r.id);
  }
  CHECK(orig_bytes == 240 * 100);
  CHECK(resp_bytes == 240 * 300);
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  // One resolution in the counts, with every event once.
  query_spec q;
  q.filter = "resp_p == 443/tcp";  // not the two port-22 connections that closed each week
  auto c = s->count(q);
  REQUIRE(c.ok());
  CHECK(c->events == 480);
  REQUIRE(c->by_tier.size() == 1);
  CHECK(c->by_tier.front().first.tier == "hourly");
}
