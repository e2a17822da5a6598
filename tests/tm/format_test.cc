#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "coop/model/community_id.h"
#include "coop/tm/store.h"
#include "lmdb/lmdb.h"
#include "old_blocks.h"
#include "partition/extent.h"
#include "partition/partition.h"
#include "store/format.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm::testing;

namespace {

// `e` as a store before format 6 could hold it: without a uid, so that its
// record has no flags (a bare length, as formats 2 to 5 wrote).
model::event before_format6(model::event e) {
  e.uid.clear();
  return e;
}

}  // namespace

TEST_CASE("the store format version is the one documented in docs/timemachine.md") {
  CHECK(coop::tm::detail::current_format_version() == 6);
}

TEST_CASE("a store of format 1 (block postings, whole-block compression) is refused, named") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  {
    auto s = tm::store::create(opts, catalogue());
    REQUIRE(s.ok());
    REQUIRE(s->append(std::vector{conn(epoch, 1, 1, 80, 0)}).ok());
    REQUIRE(s->commit().ok());
  }
  {
    std::ofstream f(opts.root / "FORMAT", std::ios::trunc);
    f << "coop-timemachine\nformat 1\n";
  }
  auto old = tm::store::open(opts, catalogue());
  REQUIRE_FALSE(old.ok());
  CHECK(old.err().code == model::errc::incompatible);
  CHECK_MESSAGE(old.err().message == opts.root.string() +
                                         ": store format 1, this build reads formats 2 to 6",
                old.err().message);
}

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Replaces every value of the partition's `blocks` database (a block, or
// an extent of blocks) by change(value); returns how many there were.
template <class F>
std::size_t rewrite_blocks(tm::lmdb::txn& t, F change) {
  auto blocks = t.open_db("blocks", 0);
  REQUIRE(blocks.ok());
  std::vector<std::pair<std::string, std::string>> rewritten;
  {
    auto c = tm::lmdb::cursor::open(t, *blocks);
    REQUIRE(c.ok());
    std::string_view k, v;
    for (auto more = c->move(MDB_FIRST, &k, &v); more.ok() && *more;
         more = c->move(MDB_NEXT, &k, &v)) {
      rewritten.emplace_back(std::string(k), change(v));
    }
  }
  for (const auto& [k, v] : rewritten) REQUIRE(t.put(*blocks, k, v).ok());
  return rewritten.size();
}

}  // namespace

TEST_CASE("a store of a format newer than this build is refused, named") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  { REQUIRE(tm::store::create(opts, catalogue()).ok()); }
  {
    std::ofstream f(opts.root / "FORMAT", std::ios::trunc);
    f << "coop-timemachine\nformat 7\n";
  }
  auto r = tm::store::open(opts, catalogue());
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == model::errc::incompatible);
  CHECK(r.err().message ==
        opts.root.string() + ": store format 7, this build reads formats 2 to 6");
  CHECK(read_text(opts.root / "FORMAT") == "coop-timemachine\nformat 7\n");  // left alone
}

TEST_CASE("a format 2 store opens, is marked format 6, and its sealed partitions gain sidx") {
  temp_dir dir;
  fake_clock clock(epoch + 86400 * sec);
  auto opts = test_options(dir.path(), &clock);
  opts.compact_sealed = false;
  std::vector<model::event> events;
  for (std::uint64_t n = 0; n < 800; ++n) {
    events.push_back(before_format6(conn(epoch + static_cast<std::int64_t>(n) * 10 * sec,
                                         static_cast<std::uint32_t>(n % 50), 1, 443, n)));
  }
  {
    auto s = tm::store::create(opts, catalogue());
    REQUIRE(s.ok());
    REQUIRE(s->append(events).ok());
    REQUIRE(s->commit().ok());
    REQUIRE(s->stats().classes.front().tiers.front().partitions == 3);
  }
  // Made into what a format 2 build wrote: no sidx database, format=2 and
  // no `packed` line in every partition's info, "format 2" in FORMAT.
  for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
    auto env = tm::lmdb::env::open(e.path(), {.map_size = opts.partition_map_bytes});
    REQUIRE(env.ok());
    auto t = tm::lmdb::txn::begin(*env, true);
    REQUIRE(t.ok());
    auto sidx = t->open_db("sidx", 0);
    REQUIRE(sidx.ok());
    REQUIRE(mdb_drop(t->get(), *sidx, 1) == 0);
    auto info = t->open_db("info", 0);
    REQUIRE(info.ok());
    std::string meta(t->get(*info, "meta").value());
    REQUIRE(meta.find("format=6\n") == 0);
    meta.replace(0, 9, "format=2\n");
    for (std::string line : {"packed=0\n", "extent_blocks=0\n", "derived_ids=0\n", "row_keys=\n"}) {
      REQUIRE(meta.find(line) != std::string::npos);
      meta.erase(meta.find(line), line.size());
    }
    REQUIRE(t->put(*info, "meta", meta).ok());
    // A format 2 writer checked its blocks with zlib's CRC-32.
    REQUIRE(rewrite_blocks(*t, [](std::string_view v) { return as_format4(std::string(v)); }) >
            0);
    REQUIRE(t->commit().ok());
  }
  {
    std::ofstream f(opts.root / "FORMAT", std::ios::trunc);
    f << "coop-timemachine\nformat 2\n";
  }
  SUBCASE("read-only: opened as it is") {
    opts.read_only = true;
    auto s = tm::store::open(opts, catalogue());
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
    CHECK(all(*s).size() == 800);
    CHECK(read_text(opts.root / "FORMAT") == "coop-timemachine\nformat 2\n");
  }
  SUBCASE("read-write: upgraded, then compacted when sealed") {
    opts.compact_sealed = true;
    auto s = tm::store::open(opts, catalogue());
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
    CHECK(read_text(opts.root / "FORMAT") == "coop-timemachine\nformat 6\n");
    tm::query_spec q;
    q.filter = "orig_h == 10.0.0.7";
    CHECK(all(*s, q).size() == 16);
    REQUIRE(s->seal().ok());
    for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
      auto p = tm::detail::partition::open(e.path(), opts.partition_map_bytes, true);
      REQUIRE(p.ok());
      CHECK((*p)->meta().packed);
      CHECK(read_text(e.path() / "data.mdb").size() > 0);
    }
    CHECK(all(*s, q).size() == 16);
    CHECK(all(*s).size() == 800);
    auto problems = s->verify();
    REQUIRE(problems.ok());
    CHECK(problems->empty());
  }
}

TEST_CASE("a format 4 store (extents of zlib-checked blocks) is upgraded, appended to with format 6 records and sealed") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  std::vector<model::event> first, second;
  for (std::uint64_t n = 0; n < 2000; ++n) {
    auto e = conn(epoch + static_cast<std::int64_t>(n) * 5 * sec,
                  static_cast<std::uint32_t>(n % 50), static_cast<std::uint32_t>(1 + n % 4), 443,
                  n);
    if (n >= 1500) {
      // Format 6 records: packed uids, and half of them a derived Community ID.
      std::string id;
      REQUIRE(model::community_id(model::address::v4(0x0a000000u + n % 50),
                                  static_cast<std::uint16_t>(40000 + n % 20000),
                                  model::address::v4(0xc0a80000u + 1 + n % 4), 443, 6, id));
      if (n % 2 == 0) REQUIRE(e.set("community_id", id).ok());
      second.push_back(std::move(e));
    } else {
      first.push_back(before_format6(std::move(e)));
    }
  }
  {
    auto s = tm::store::create(opts, catalogue());
    REQUIRE(s.ok());
    for (std::size_t i = 0; i < first.size(); i += 500) {
      REQUIRE(s->append(std::vector(first.begin() + static_cast<std::ptrdiff_t>(i),
                                    first.begin() + static_cast<std::ptrdiff_t>(i + 500)))
                  .ok());
      REQUIRE(s->commit().ok());
    }
  }
  // Make it what a format 4 build wrote: every block (in extents where the
  // partition has them) checked with zlib's CRC-32, "format=4" in info.
  std::size_t extents = 0;
  for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
    auto env = tm::lmdb::env::open(e.path(), {.map_size = opts.partition_map_bytes});
    REQUIRE(env.ok());
    auto t = tm::lmdb::txn::begin(*env, true);
    REQUIRE(t.ok());
    auto info = t->open_db("info", 0);
    REQUIRE(info.ok());
    std::string meta(t->get(*info, "meta").value());
    REQUIRE(meta.find("format=6\n") == 0);
    meta.replace(0, 9, "format=4\n");
    const bool in_extents = meta.find("extent_blocks=0\n") == std::string::npos;
    REQUIRE(t->put(*info, "meta", meta).ok());
    rewrite_blocks(*t, [&](std::string_view v) {
      if (!in_extents) return as_format4(std::string(v));
      ++extents;
      auto count = tm::detail::extent_count(v, "test");
      REQUIRE(count.ok());
      std::vector<std::string> members;
      for (std::uint32_t i = 0; i < *count; ++i) {
        auto member = tm::detail::extent_block(v, i, "test");
        REQUIRE(member.ok());
        members.push_back(as_format4(std::string(*member)));
      }
      std::vector<std::string_view> views(members.begin(), members.end());
      std::string extent;
      REQUIRE(tm::detail::write_extent(extent, views).ok());
      return extent;
    });
    REQUIRE(t->commit().ok());
  }
  REQUIRE(extents > 0);
  {
    std::ofstream f(opts.root / "FORMAT", std::ios::trunc);
    f << "coop-timemachine\nformat 4\n";
  }
  auto s = tm::store::open(opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  CHECK(read_text(opts.root / "FORMAT") == "coop-timemachine\nformat 6\n");
  REQUIRE(s->append(second).ok());
  REQUIRE(s->commit().ok());
  // Old and new blocks side by side, then in the partitions seal() writes.
  for (bool sealed : {false, true}) {
    CAPTURE(sealed);
    if (sealed) REQUIRE(s->seal().ok());
    tm::query_spec q;
    q.filter = "orig_h == 10.0.0.7";
    auto c = s->query(q);
    REQUIRE(c.ok());
    std::size_t n = 0;
    for (auto e = c->next(); e.ok() && *e != nullptr; e = c->next()) ++n;
    CHECK(n == 40);
    CHECK(c->warnings().empty());
    std::vector<model::event> want = first;
    want.insert(want.end(), second.begin(), second.end());
    CHECK(all(*s) == want);
    auto v = s->verify();
    REQUIRE(v.ok());
    CHECK_MESSAGE(v->empty(), (v->empty() ? "" : v->front()));
  }
}
