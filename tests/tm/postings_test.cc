// Record-level index postings (libtimemachine/src/index/keys.h): address and
// string keys name the record inside the block, so a host lookup decodes
// only the records that hold the host, and still returns exactly the
// matching events. Type and port keys post whole blocks; a query that mixes
// the two kinds falls back to reading whole candidate blocks.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "block/block.h"
#include "coop/tm/store.h"
#include "partition/partition.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

// 3,000 connections over about 8 hours (several partitions of 64-event
// blocks): hosts 10.0.0.0-10.0.0.36 (h = n % 37), servers 192.168.0.1-7
// (s = 1 + n % 7), ports 22, 80 and 443. Host 10.0.0.5 is in nearly every
// block, but in only one record in 37.
std::vector<model::event> connections() {
  std::vector<model::event> out;
  static const std::uint16_t ports[] = {22, 80, 443};
  for (std::uint64_t n = 0; n < 3000; ++n) {
    out.push_back(conn(epoch + static_cast<std::int64_t>(n) * 10 * sec,
                       static_cast<std::uint32_t>(n % 37), static_cast<std::uint32_t>(1 + n % 7),
                       ports[n % 3], n));
  }
  return out;
}

struct stored {
  temp_dir dir;
  fake_clock clock{epoch + 86400 * sec};
  std::vector<model::event> events = connections();
  store s;

  stored() : s(make()) {}

  store make() {
    auto opts = test_options(dir.path(), &clock);
    // Arrival order (no clustering at ingest), so that host 10.0.0.5 stays
    // scattered over the blocks, as the cases below need.
    opts.cluster_field.clear();
    auto st = store::create(opts, catalogue());
    REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.err().message));
    // Appended in four batches, so the postings are spread over commits.
    for (std::size_t i = 0; i < events.size(); i += 750) {
      std::vector<model::event> batch(events.begin() + static_cast<long>(i),
                                      events.begin() + static_cast<long>(i + 750));
      REQUIRE(st->append(batch).ok());
      REQUIRE(st->commit().ok());
    }
    return std::move(st.value());
  }
};

std::string host(std::uint32_t h) { return "10.0.0." + std::to_string(h); }
std::string server(std::uint32_t s) { return "192.168.0." + std::to_string(s); }

// The ids of the events the query returns, in the order returned.
std::vector<std::uint64_t> ids(const store& s, const query_spec& q) {
  std::vector<std::uint64_t> out;
  for (const auto& e : all(s, q)) out.push_back(e.id.lo);
  return out;
}

// The ids of `events` that `keep` selects, oldest first.
template <class F>
std::vector<std::uint64_t> expected(const std::vector<model::event>& events, F keep) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t n = 0; n < events.size(); ++n) {
    if (keep(n)) out.push_back(n);
  }
  return out;
}

// Checks that `filter` returns exactly the events `keep` selects, oldest
// first, and that the plan reads no record but those.
template <class F>
void check_exact(const stored& st, const std::string& filter, F keep) {
  query_spec q;
  q.filter = filter;
  auto want = expected(st.events, keep);
  CHECK(ids(st.s, q) == want);
  auto est = st.s.estimate(q);
  REQUIRE(est.ok());
  CHECK(est->events_scanned == want.size());
}

}  // namespace

TEST_CASE("postings: a host lookup reads only the records that hold the host") {
  stored st;
  query_spec q;
  q.filter = "orig_h == " + host(5) + " || resp_h == " + host(5);
  auto want = expected(st.events, [](std::uint64_t n) { return n % 37 == 5; });
  REQUIRE(want.size() == 81);
  CHECK(ids(st.s, q) == want);
  auto est = st.s.estimate(q);
  REQUIRE(est.ok());
  CHECK(est->uses_index);
  // One record per match, although the host is in most blocks.
  CHECK(est->events_scanned == want.size());
  CHECK(est->blocks >= 40);
  auto n = st.s.count(q);
  REQUIRE(n.ok());
  CHECK(n->events == want.size());
}

TEST_CASE("postings: several hosts, a subnet and newest-first with a limit are exact") {
  stored st;
  SUBCASE("two hosts and a server") {
    check_exact(st, "orig_h == " + host(5) + " || orig_h == " + host(36) + " || resp_h == " + server(3),
                [](std::uint64_t n) { return n % 37 == 5 || n % 37 == 36 || 1 + n % 7 == 3; });
  }
  SUBCASE("a subnet") {
    check_exact(st, "orig_h in 10.0.0.8/30",  // hosts 8 to 11
                [](std::uint64_t n) { return n % 37 >= 8 && n % 37 <= 11; });
  }
  SUBCASE("newest first with a limit") {
    query_spec q;
    q.filter = "resp_h == " + server(6);
    q.sort = order::newest_first;
    q.limit = 4;
    auto want = expected(st.events, [](std::uint64_t n) { return 1 + n % 7 == 6; });
    std::vector<std::uint64_t> last(want.rbegin(), want.rbegin() + 4);
    CHECK(ids(st.s, q) == last);
  }
  SUBCASE("the postings are a superset: the rest of the filter still applies") {
    query_spec q;
    q.filter = "orig_h == " + host(5) + " && resp_p == 443/tcp";
    auto want = expected(st.events, [](std::uint64_t n) { return n % 37 == 5 && n % 3 == 2; });
    REQUIRE(!want.empty());
    CHECK(ids(st.s, q) == want);
  }
}

TEST_CASE("postings: an indexed string (a DNS query name) reads only its records") {
  temp_dir dir;
  fake_clock clock{epoch + 86400 * sec};
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  // 1,000 DNS requests for 13 names, in blocks of 64.
  std::vector<model::event> events;
  for (std::uint64_t n = 0; n < 1000; ++n) {
    model::event e(catalogue().find(model::catalogue::dns_request));
    e.ts = model::timestamp{epoch + static_cast<std::int64_t>(n) * sec};
    e.id = model::event_id{7, n};
    REQUIRE(e.set("orig_h", model::address::v4(0x0a000000u + static_cast<std::uint32_t>(n % 5))).ok());
    REQUIRE(e.set("query", "host" + std::to_string(n % 13) + ".example.org").ok());
    events.push_back(std::move(e));
  }
  REQUIRE(s->append(events).ok());
  REQUIRE(s->commit().ok());
  query_spec q;
  q.filter = "query == \"host7.example.org\"";
  auto want = expected(events, [](std::uint64_t n) { return n % 13 == 7; });
  CHECK(ids(*s, q) == want);
  auto est = s->estimate(q);
  REQUIRE(est.ok());
  CHECK(est->uses_index);
  CHECK(est->events_scanned == want.size());
}

TEST_CASE("postings: a host or a port (mixed granularity) reads whole blocks, still exact") {
  stored st;
  query_spec q;
  q.filter = "orig_h == " + host(5) + " || resp_p == 22/tcp";
  auto want = expected(st.events, [](std::uint64_t n) { return n % 37 == 5 || n % 3 == 0; });
  CHECK(ids(st.s, q) == want);
  auto est = st.s.estimate(q);
  REQUIRE(est.ok());
  CHECK(est->uses_index);
  // Port 22 is in every block: every record of every block is read.
  CHECK(est->events_scanned == st.events.size());
}

TEST_CASE("postings: a store rejects blocks of more records than a posting can name") {
  temp_dir dir;
  fake_clock clock{epoch};
  auto opts = test_options(dir.path(), &clock);
  opts.block_events = 257;
  auto s = store::create(opts, catalogue());
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code == model::errc::invalid_argument);
  CHECK(s.err().message.find("block_events must be 1..256") != std::string::npos);
}

namespace {

// The bytes of `part`'s data file.
std::string read_file(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("postings: a damaged frame is reported with its block and frame, the rest answers") {
  temp_dir dir;
  fake_clock clock{epoch + 86400 * sec};
  auto opts = test_options(dir.path(), &clock);
  opts.cluster_field.clear();  // arrival order: event n is record n % 64 of block n / 64
  // One commit large enough to train the partition's dictionary: blocks
  // of several frames compressed with it.
  std::vector<model::event> events;
  for (std::uint64_t n = 0; n < 4000; ++n) {
    events.push_back(conn(epoch + static_cast<std::int64_t>(n) * sec / 2,
                          static_cast<std::uint32_t>(n % 37),
                          static_cast<std::uint32_t>(1 + n % 7), 443, n));
  }
  std::filesystem::path part;
  std::string block;
  {
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    REQUIRE(s->append(events).ok());
    REQUIRE(s->commit().ok());
    for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
      part = e.path();
    }
    auto p = detail::partition::open(part, opts.partition_map_bytes, true);
    REQUIRE(p.ok());
    REQUIRE((*p)->read_block(0, block).ok());
  }
  detail::block_frames frames;
  REQUIRE(detail::block_codec::frames(block, "test", frames).ok());
  REQUIRE(frames.header.compression == 2);  // with the dictionary
  const std::size_t per = frames.header.frame_records;
  REQUIRE(per > 1);
  REQUIRE(frames.offset.size() == (64 + per - 1) / per);
  // Flip a byte in the middle of the frame holding record 20 of block 0.
  const std::size_t damaged = 20 / per;
  REQUIRE(57 / per != damaged);  // the host's next event is in another frame
  const std::size_t at = frames.offset[damaged] + frames.packed[damaged] / 2;
  std::string bytes = read_file(part / "data.mdb");
  const auto where = bytes.find(block);
  REQUIRE(where != std::string::npos);
  bytes[where + at] = static_cast<char>(bytes[where + at] ^ 0x5A);
  {
    std::ofstream out(part / "data.mdb", std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
  }

  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  // Host 10.0.0.20: events 20 (in the damaged frame), 57, 94, ...
  query_spec q;
  q.filter = "orig_h == " + host(20);
  auto c = s->query(q);
  REQUIRE(c.ok());
  std::vector<std::uint64_t> got;
  for (;;) {
    auto e = c->next();
    REQUIRE(e.ok());
    if (*e == nullptr) break;
    got.push_back((*e)->id.lo);
  }
  auto want = expected(events, [](std::uint64_t n) { return n % 37 == 20 && n != 20; });
  CHECK(got == want);
  REQUIRE(c->warnings().size() == 1);
  const std::string& w = c->warnings().front();
  CHECK_MESSAGE(w.find(part.string() + " block #0 frame " + std::to_string(damaged) + ":") !=
                    std::string::npos,
                w);
  CHECK_MESSAGE(w.find("frame checksum mismatch") != std::string::npos, w);

  // Read whole, the block fails its block checksum, named as before.
  auto everything = s->query({});
  REQUIRE(everything.ok());
  std::size_t n = 0;
  for (;;) {
    auto e = everything->next();
    REQUIRE(e.ok());
    if (*e == nullptr) break;
    ++n;
  }
  CHECK(n == events.size() - 64);
  REQUIRE(!everything->warnings().empty());
  CHECK(everything->warnings().front().find(part.string() + " block #0: damaged block: checksum "
                                            "mismatch") != std::string::npos);
}

TEST_CASE("a block collects each type and port key once, and forgets them for the next block") {
  tm::detail::block_key_set seen;
  CHECK(seen.first_type("connection_end"));
  CHECK(seen.first_type("dns_request"));
  CHECK_FALSE(seen.first_type("connection_end"));
  // tcp/80, udp/80 and tcp/443 are three keys.
  CHECK(seen.first_port(1u << 16 | 80));
  CHECK(seen.first_port(2u << 16 | 80));
  CHECK(seen.first_port(1u << 16 | 443));
  CHECK_FALSE(seen.first_port(1u << 16 | 80));
  CHECK_FALSE(seen.first_port(2u << 16 | 80));
  // Every distinct port of a busy block is kept until the table is half
  // full; after that duplicates pass (they are merged by the commit).
  std::size_t fresh = 0;
  for (std::uint32_t p = 1000; p < 1600; ++p) fresh += seen.first_port(1u << 16 | p) ? 1 : 0;
  CHECK(fresh == 600);
  seen.clear();
  CHECK(seen.first_type("connection_end"));
  CHECK(seen.first_port(1u << 16 | 80));
  CHECK_FALSE(seen.first_port(1u << 16 | 80));

  // index_keys with the set: the second event of the block adds only what
  // is new (its addresses always: they post records).
  const auto a = conn(epoch, 1, 1, 443, 1);
  const auto b = conn(epoch, 2, 1, 443, 2);
  tm::detail::index_config cfg;
  tm::detail::block_key_set block;
  std::vector<std::string> first, second;
  tm::detail::index_keys(a, cfg, 0, first, &block);
  tm::detail::index_keys(b, cfg, 1, second, &block);
  std::vector<std::string> plain;
  tm::detail::index_keys(b, cfg, 1, plain);
  CHECK(std::count_if(first.begin(), first.end(), [](const std::string& k) { return k[0] == 't'; }) == 1);
  CHECK(std::count_if(second.begin(), second.end(), [](const std::string& k) { return k[0] == 't'; }) == 0);
  CHECK(std::count_if(second.begin(), second.end(), [](const std::string& k) { return k[0] == 'a'; }) ==
        std::count_if(plain.begin(), plain.end(), [](const std::string& k) { return k[0] == 'a'; }));
  CHECK(second.size() < plain.size());
}
