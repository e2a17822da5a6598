// The store on real LMDB files: create/open, append/commit, queries by
// host, port, uid, type and time, order and limit, reopen, stats.
#include "coop/tm/store.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

std::vector<model::event> day_of_connections(std::size_t n) {
  std::vector<model::event> out;
  for (std::size_t i = 0; i < n; ++i) {
    // 1 event per 10 s; hosts 0..99, servers 1..5, ports 22/80/443
    static const std::uint16_t ports[] = {22, 80, 443};
    out.push_back(conn(epoch + static_cast<std::int64_t>(i) * 10 * sec, static_cast<std::uint32_t>(i % 100),
                       static_cast<std::uint32_t>(1 + i % 5), ports[i % 3], i));
  }
  return out;
}

}  // namespace

TEST_CASE("a new store takes events, commits them durably and answers queries") {
  temp_dir dir;
  fake_clock clock(epoch + 86400 * sec);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  auto events = day_of_connections(2000);
  auto rc = s->append(events);
  REQUIRE(rc.ok());
  CHECK(rc->batch == 1);
  CHECK(rc->accepted == 2000);
  CHECK(s->committed() == 0);
  auto c = s->commit();
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  CHECK(*c == 1);

  SUBCASE("everything comes back, oldest first") {
    auto got = all(*s);
    REQUIRE(got.size() == 2000);
    CHECK(got.front() == events.front());
    CHECK(got.back() == events.back());
    CHECK(std::is_sorted(got.begin(), got.end(),
                         [](const auto& a, const auto& b) { return a.ts < b.ts; }));
  }
  SUBCASE("a host lookup uses the index and finds exactly that host's events") {
    query_spec q;
    q.filter = "orig_h == 10.0.0.42 || resp_h == 10.0.0.42";
    auto est = s->estimate(q);
    REQUIRE(est.ok());
    CHECK(est->uses_index);
    CHECK(est->events_scanned < 2000);
    auto got = all(*s, q);
    CHECK(got.size() == 20);
    for (const auto& e : got) {
      CHECK(e.get("orig_h")->get_if<model::address>()->to_string() == "10.0.0.42");
    }
  }
  SUBCASE("newest first with a limit") {
    query_spec q;
    q.filter = "resp_p == 443/tcp";
    q.sort = order::newest_first;
    q.limit = 5;
    auto got = all(*s, q);
    REQUIRE(got.size() == 5);
    CHECK(got[0].ts.ns > got[4].ts.ns);
    CHECK(got[0] == events[1997]);  // the last 443 connection (i % 3 == 2)
  }
  SUBCASE("a uid lookup goes through the block summaries") {
    query_spec q;
    q.filter = "uid == \"C1234\"";
    auto got = all(*s, q);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == events[1234]);
    auto est = s->estimate(q);
    REQUIRE(est.ok());
    CHECK(est->blocks < 4);
  }
  SUBCASE("a time range and a relative time") {
    query_spec q;
    q.range = {model::timestamp{epoch + 100 * sec}, model::timestamp{epoch + 200 * sec}};
    CHECK(all(*s, q).size() == 10);
    query_spec r;
    r.filter = "ts >= now - 1000s";  // clock: epoch + 1 day; events end at epoch + 19990 s
    CHECK(all(*s, r).empty());
  }
  SUBCASE("counting and grouping") {
    query_spec q;
    q.filter = "resp_p == 22/tcp";
    auto n = s->count(q);
    REQUIRE(n.ok());
    CHECK(n->events == 667);
    auto g = s->group_by({}, {"resp_h"});
    REQUIRE(g.ok());
    REQUIRE(g->size() == 5);
    CHECK((*g)[0].events == 400);
  }
  SUBCASE("an absent host is answered without reading any block") {
    query_spec q;
    q.filter = "orig_h == 172.16.1.1";
    auto est = s->estimate(q);
    REQUIRE(est.ok());
    CHECK(est->blocks == 0);
    CHECK(all(*s, q).empty());
  }
  SUBCASE("a filter error names the column") {
    query_spec q;
    q.filter = "orig_h == \"x\"";
    auto c2 = s->query(q);
    REQUIRE_FALSE(c2.ok());
    CHECK(c2.err().message.find("column") != std::string::npos);
  }
}

TEST_CASE("a reopened store has every committed batch and continues numbering") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto events = day_of_connections(500);
  {
    auto s = store::create(test_options(dir.path(), &clock), catalogue());
    REQUIRE(s.ok());
    REQUIRE(s->append(std::span(events).first(300)).ok());
    REQUIRE(s->commit().ok());
    REQUIRE(s->append(std::span(events).subspan(300)).ok());
    // destroyed: the destructor commits batch 2
  }
  auto s = store::open(test_options(dir.path(), &clock), catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  CHECK(s->committed() == 2);
  CHECK(all(*s).size() == 500);
  auto rc = s->append(std::span(events).first(1));
  REQUIRE(rc.ok());
  CHECK(rc->batch == 3);
}

TEST_CASE("opening is refused with a clear error when there is no store or another format") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto none = store::open(test_options(dir.path(), &clock), catalogue());
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().code == model::errc::not_found);
  {
    auto s = store::create(test_options(dir.path(), &clock), catalogue());
    REQUIRE(s.ok());
  }
  auto again = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE_FALSE(again.ok());
  {
    std::ofstream f(dir.path() / "store" / "FORMAT", std::ios::trunc);
    f << "coop-timemachine\nformat 99\n";
  }
  auto old = store::open(test_options(dir.path(), &clock), catalogue());
  REQUIRE_FALSE(old.ok());
  CHECK(old.err().code == model::errc::incompatible);
  CHECK(old.err().message.find("format 99") != std::string::npos);
}

TEST_CASE("events spanning several hours go to several partitions and stay answerable") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  opts.partition_span = model::interval::seconds(3600);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  auto events = day_of_connections(8640);  // one day
  for (std::size_t i = 0; i < events.size(); i += 1000) {
    auto n = std::min<std::size_t>(1000, events.size() - i);
    REQUIRE(s->append(std::span(events).subspan(i, n)).ok());
    REQUIRE(s->commit().ok());
  }
  auto st = s->stats();
  std::uint64_t partitions = 0, stored = 0;
  for (const auto& c : st.classes) {
    for (const auto& t : c.tiers) {
      partitions += t.partitions;
      stored += t.events;
    }
  }
  CHECK(partitions >= 24);
  CHECK(stored == 8640);
  query_spec q;
  q.filter = "orig_h == 10.0.0.7";
  q.range = {model::timestamp{epoch + 3600 * sec}, model::timestamp{epoch + 7200 * sec}};
  auto got = all(*s, q);
  CHECK(got.size() == 4);  // 360 events in that hour, every 100th is host 7... +-1
  auto est = s->estimate(q);
  REQUIRE(est.ok());
  CHECK(est->partitions <= 3);
}

namespace {

// Creates a store indexing `created_with`, stores events 0-299, reopens it
// asking for `opened_with`, stores 300-499, and returns how many records a
// lookup of conn_state == "SF" (the even events: 250) reads, after
// checking that it finds all 250.
std::uint64_t records_read_after_reopen(std::vector<std::string> created_with,
                                        std::vector<std::string> opened_with) {
  temp_dir dir;
  fake_clock clock{epoch + 86400 * sec};
  auto opts = test_options(dir.path(), &clock);
  std::vector<model::event> first, second;
  for (std::uint64_t n = 0; n < 500; ++n) {
    auto e = conn(epoch + static_cast<std::int64_t>(n) * sec, 1, 2, 443, n);
    if (n % 2 == 1) REQUIRE(e.set("conn_state", "S0").ok());
    (n < 300 ? first : second).push_back(std::move(e));
  }
  opts.indexed_strings = std::move(created_with);
  {
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    REQUIRE(s->append(first).ok());
    REQUIRE(s->commit().ok());
  }
  opts.indexed_strings = std::move(opened_with);
  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  REQUIRE(s->append(second).ok());
  REQUIRE(s->commit().ok());
  query_spec q;
  q.filter = "conn_state == \"SF\"";
  CHECK(all(*s, q).size() == 250);
  auto est = s->estimate(q);
  REQUIRE(est.ok());
  return est->events_scanned;
}

}  // namespace

TEST_CASE("store: the indexed string fields are the store's own, whatever a later open says") {
  // Created without conn_state, reopened asking for it: an index on it
  // would miss the 150 matches stored before. The store keeps reading
  // every connection_end (by type).
  CHECK(records_read_after_reopen({}, {"conn_state"}) == 500);
  // Created indexing conn_state, reopened without it: the store goes on
  // indexing and looking it up, reading only the records the postings name.
  CHECK(records_read_after_reopen({"conn_state"}, {}) == 250);
}
