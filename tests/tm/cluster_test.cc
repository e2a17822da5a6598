// Clustering on compaction (libtimemachine/src/partition/cluster.cc): a
// sealed raw partition is rewritten with its records reordered by orig_h
// within runs of blocks. Two stores receive the same events, one clustered
// (the default) and one kept in arrival order; every kind of query must
// answer the same, in the same order, while a host lookup in the clustered
// one reads far fewer blocks. A damaged source block makes the rewrite fail
// cleanly: the partition stays as written and readable.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "block/block.h"
#include "block/endian.h"
#include "block/record.h"
#include "coop/tm/store.h"
#include "lmdb/lmdb.h"
#include "partition/partition.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

constexpr std::size_t events_total = 20'000;  // over 256 blocks of 64: two runs

std::string host(std::uint32_t h) { return "10.0.0." + std::to_string(h); }

// Connections from 200 hosts (scattered in arrival order) to 7 servers,
// 0.15 s apart (all in one hour's partition); every 997th to the rare port
// 6667; every 50th event a syslog message without endpoints, which has no
// orig_h to cluster on.
std::vector<model::event> traffic() {
  std::vector<model::event> out;
  static const std::uint16_t ports[] = {22, 80, 443};
  for (std::uint64_t n = 0; n < events_total; ++n) {
    const std::int64_t ts = epoch + static_cast<std::int64_t>(n) * (sec / 100) * 15;
    if (n % 50 == 49) {
      model::event e(catalogue().find(model::catalogue::syslog_message));
      e.ts = model::timestamp{ts};
      e.id = model::event_id{7, n};
      e.from = {"site-a", "sensor-1"};
      (void)e.set("message", "session opened for user " + std::to_string(n % 13));
      REQUIRE(e.validate().ok());
      out.push_back(std::move(e));
      continue;
    }
    const std::uint16_t port = n % 997 == 0 ? 6667 : ports[n % 3];
    out.push_back(conn(ts, static_cast<std::uint32_t>(n * 7919 % 200),
                       static_cast<std::uint32_t>(1 + n % 7), port, n, 100 + n % 1000));
  }
  return out;
}

store fill(const store_options& opts, const std::vector<model::event>& events) {
  return store_with(opts, events, 2000);
}

// The one partition on disk, opened read-only.
std::shared_ptr<detail::partition> only_partition(const store_options& opts) {
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
    dirs.push_back(e.path());
  }
  REQUIRE(dirs.size() == 1);
  auto p = detail::partition::open(dirs.front(), opts.partition_map_bytes, true);
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
  return *p;
}

// What a query answers: (id, ts) of every event, in the cursor's order.
std::vector<std::pair<std::uint64_t, std::int64_t>> answer(const store& s, const query_spec& q) {
  std::vector<std::pair<std::uint64_t, std::int64_t>> out;
  for (const auto& e : all(s, q)) out.emplace_back(e.id.lo, e.ts.ns);
  return out;
}

std::vector<query_spec> queries() {
  std::vector<query_spec> out;
  auto add = [&](std::string filter) {
    query_spec q;
    q.filter = std::move(filter);
    out.push_back(q);
  };
  add("");                                                // everything, syslog included
  add("orig_h == " + host(5));                            // an address key
  add("orig_h == " + host(17) + " || resp_h == 192.168.0.3");
  add("orig_h in 10.0.0.0/28");                           // a range of address keys
  add("resp_p == 6667/tcp");                              // a rare port: block-level key
  add("resp_p == 22/tcp && orig_h == " + host(9));        // block-level and record-level
  add("uid == \"C12345\"");                               // the block uid filters
  add("orig_bytes > 1090");                               // no index: every block
  add("orig_h == 10.9.9.9");                              // absent
  query_spec ranged;
  ranged.filter = "orig_h == " + host(42);
  ranged.range = time_range{model::timestamp{epoch + 600 * sec},
                            model::timestamp{epoch + 1200 * sec}};
  out.push_back(ranged);
  query_spec newest;
  newest.filter = "resp_h == 192.168.0.5";
  newest.sort = order::newest_first;
  newest.limit = 25;
  out.push_back(newest);
  return out;
}

// Every query of queries() answers `clustered` as it answers `plain`: the
// same events in the same order, and the same counts.
void check_same_answers(const store& plain, const store& clustered) {
  for (const auto& q : queries()) {
    CAPTURE(q.filter);
    CHECK(answer(clustered, q) == answer(plain, q));
    auto n_plain = plain.count(q);
    auto n_clustered = clustered.count(q);
    REQUIRE(n_plain.ok());
    REQUIRE(n_clustered.ok());
    CHECK(n_clustered->events == n_plain->events);
  }
}

// The plans of the lookup "orig_h == <host h>" in both stores, after
// checking that they read the same records.
std::pair<query_estimate, query_estimate> host_estimates(const store& plain, const store& clustered,
                                                         std::uint32_t h) {
  query_spec q;
  q.filter = "orig_h == " + host(h);
  auto e_plain = plain.estimate(q);
  auto e_clustered = clustered.estimate(q);
  REQUIRE(e_plain.ok());
  REQUIRE(e_clustered.ok());
  CHECK(e_clustered->events_scanned == e_plain->events_scanned);
  return {*e_plain, *e_clustered};
}

// Options for two stores of the same events: one clustered on orig_h (the
// default), one in arrival order.
struct two_stores {
  temp_dir dir_plain, dir_clustered;
  fake_clock clock{epoch};
  store_options plain_opts = test_options(dir_plain.path(), &clock);
  store_options clustered_opts = test_options(dir_clustered.path(), &clock);
  two_stores() {
    plain_opts.cluster_field.clear();
    REQUIRE(clustered_opts.cluster_field == "orig_h");  // the default
  }
};

}  // namespace

TEST_CASE("clustering: a sealed partition is reordered by orig_h and answers exactly as before") {
  const auto events = traffic();
  two_stores two;
  const auto& plain_opts = two.plain_opts;
  const auto& clustered_opts = two.clustered_opts;
  store plain = fill(plain_opts, events);
  store clustered = fill(clustered_opts, events);
  REQUIRE(plain.seal().ok());
  REQUIRE(clustered.seal().ok());

  {
    auto p = only_partition(plain_opts);
    auto c = only_partition(clustered_opts);
    CHECK(p->meta().packed);
    CHECK(p->meta().clustered_on.empty());
    CHECK(c->meta().packed);
    CHECK(c->meta().clustered_on == "orig_h");
    CHECK(c->meta().rows == events_total);
    CHECK(c->meta().min_ts == p->meta().min_ts);
    CHECK(c->meta().max_ts == p->meta().max_ts);
    CHECK(c->key_count().value() == p->key_count().value());
    // Clustered: the blocks of a run overlap in time; arrival order: they
    // follow one another.
    auto sums = c->summaries();
    REQUIRE(sums.ok());
    REQUIRE(sums->size() > 2);
    CHECK((*sums)[1].min_ts < (*sums)[0].max_ts);
    std::uint64_t records = 0;
    for (const auto& s : *sums) records += s.records;
    CHECK(records == events_total);
  }

  check_same_answers(plain, clustered);
  // The answers are not trivially empty, and time order holds across the
  // reordered blocks.
  {
    query_spec q;
    q.filter = "orig_h == " + host(5);
    const auto a = answer(clustered, q);
    const auto from_5 = std::count_if(events.begin(), events.end(), [](const model::event& e) {
      const auto* v = e.get("orig_h");
      return v != nullptr && *v == model::value(*model::address::parse(host(5)));
    });
    CHECK(from_5 >= 90);
    CHECK(a.size() == static_cast<std::size_t>(from_5));
    CHECK(std::is_sorted(a.begin(), a.end(),
                         [](const auto& x, const auto& y) { return x.second < y.second; }));
    query_spec rare;
    rare.filter = "resp_p == 6667/tcp";
    std::size_t to_6667 = 0;
    for (std::uint64_t n = 0; n < events_total; n += 997) to_6667 += n % 50 != 49 ? 1 : 0;
    CHECK(answer(clustered, rare).size() == to_6667);
  }
  // Group-by over the reordered partition.
  {
    query_spec q;
    q.filter = "resp_p == 22/tcp";
    auto a = plain.group_by(q, {"resp_h"});
    auto b = clustered.group_by(q, {"resp_h"});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->size() == 7);
    REQUIRE(b->size() == a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      CHECK((*a)[i].key == (*b)[i].key);
      CHECK((*a)[i].events == (*b)[i].events);
    }
  }
  // What clustering is for: one host's events share blocks and frames.
  {
    const auto [e_plain, e_clustered] = host_estimates(plain, clustered, 5);
    CHECK(e_plain.blocks >= 90);
    CHECK(e_clustered.blocks <= 4);
    CHECK(e_clustered.bytes_read * 4 < e_plain.bytes_read);
  }
  auto problems = clustered.verify();
  REQUIRE(problems.ok());
  CHECK(problems->empty());
}

TEST_CASE("clustering: a damaged source block leaves the partition as written and readable") {
  const auto events = traffic();
  temp_dir dir;
  fake_clock clock{epoch};
  auto opts = test_options(dir.path(), &clock);
  opts.compact_sealed = false;
  {
    store s = fill(opts, events);
    REQUIRE(s.seal().ok());
  }
  auto before = only_partition(opts);
  const std::filesystem::path part = before->dir();
  REQUIRE_FALSE(before->meta().packed);
  constexpr std::uint32_t damaged = 3;
  // The ids block 3 holds, then a byte of its last frame flipped in place.
  std::vector<std::uint64_t> lost;
  {
    std::string stored, raw;
    REQUIRE(before->read_block(damaged, stored).ok());
    detail::block_codec codec;
    REQUIRE(codec.open(stored, "", before->dictionary().get(), raw).ok());
    detail::record_reader reader;
    std::size_t pos = 0;
    detail::stored_record r;
    model::event e;
    while (pos < raw.size()) {
      REQUIRE(detail::next_record(raw, pos, r) == nullptr);
      REQUIRE(reader.decode(r, catalogue(), e).ok());
      lost.push_back(e.id.lo);
    }
    REQUIRE(lost.size() == 64);
  }
  before.reset();
  edit_stored_block(part, opts.partition_map_bytes, damaged, [](std::string& bytes) {
    bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x40);
  });
  opts.compact_sealed = true;
  auto s = store::open(opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  REQUIRE(s->seal().ok());  // runs the compaction, which fails
  const auto problems = s->stats().problems;
  const std::string where = part.string() + " block #" + std::to_string(damaged);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("compaction of " + part.string() + ": " + where) == 0);
  auto after = only_partition(opts);
  CHECK(after->dir() == part);
  CHECK_FALSE(after->meta().packed);
  CHECK(after->meta().clustered_on.empty());
  // Every event but the damaged block's is still answered, with a warning.
  auto c = s->query(query_spec{});
  REQUIRE(c.ok());
  std::vector<std::uint64_t> ids;
  for (;;) {
    auto e = c->next();
    REQUIRE(e.ok());
    if (*e == nullptr) break;
    ids.push_back((*e)->id.lo);
  }
  CHECK(ids.size() == events_total - lost.size());
  for (auto id : lost) CHECK(std::find(ids.begin(), ids.end(), id) == ids.end());
  REQUIRE_FALSE(c->warnings().empty());
  CHECK(c->warnings().front().find(where) == 0);
}

// Clustering at ingest (libtimemachine/src/store/ingest.cc, cut_group):
// the records of each commit, in groups of at most ingest_group_blocks
// blocks' worth, are cut into blocks in orig_h order, so that the open
// partition, which compaction has not clustered yet, also keeps one host's
// events together.
TEST_CASE("clustering at ingest: the open partition groups a host's events, answers unchanged") {
  const auto events = traffic();
  two_stores two;
  const auto& plain_opts = two.plain_opts;
  const auto& clustered_opts = two.clustered_opts;
  const std::size_t group_events = std::size_t{detail::ingest_group_blocks} * 64;
  // One append and one commit: the 20,000 events are cut in groups of
  // ingest_group_blocks blocks of 64 (the last one shorter).
  store plain = fill(plain_opts, std::vector<model::event>(events));
  store clustered = store_with(clustered_opts, events, events.size());
  {
    auto c = only_partition(clustered_opts);
    CHECK_FALSE(c->meta().sealed);
    CHECK_FALSE(c->meta().packed);
    CHECK(c->meta().clustered_on.empty());  // not compacted: clustered as appended
    CHECK(c->meta().rows == events_total);
    auto sums = c->summaries();
    REQUIRE(sums.ok());
    REQUIRE(sums->size() == (events_total + 63) / 64);
    // Within a group the blocks overlap in time (each spans most of it)...
    CHECK((*sums)[1].min_ts < (*sums)[0].max_ts);
    // ...but no block mixes the first two groups: the cursor never holds
    // more than a group's events at once.
    const std::uint32_t group_blocks = detail::ingest_group_blocks;
    REQUIRE(sums->size() > 2 * group_blocks);
    std::int64_t first_group_max = std::numeric_limits<std::int64_t>::min();
    std::int64_t second_group_min = std::numeric_limits<std::int64_t>::max();
    for (std::uint32_t b = 0; b < sums->size(); ++b) {
      if (b < group_blocks) {
        first_group_max = std::max(first_group_max, (*sums)[b].max_ts);
      } else if (b < 2 * group_blocks) {
        second_group_min = std::min(second_group_min, (*sums)[b].min_ts);
      }
    }
    CHECK(first_group_max < second_group_min);
    CHECK(first_group_max == epoch + static_cast<std::int64_t>(group_blocks * 64 - 1) * (sec / 100) * 15);
    auto p = only_partition(plain_opts);
    auto psums = p->summaries();
    REQUIRE(psums.ok());
    CHECK((*psums)[0].max_ts < (*psums)[1].min_ts);  // arrival order
  }
  check_same_answers(plain, clustered);
  {
    const auto [e_plain, e_clustered] = host_estimates(plain, clustered, 5);
    CHECK(e_plain.blocks >= 90);
    // About 20 of the host's events in each group of 4,096: one or two
    // blocks a group.
    const std::size_t groups = (events_total + group_events - 1) / group_events;
    CHECK(e_clustered.blocks <= 2 * groups);
  }
  auto problems = clustered.verify();
  REQUIRE(problems.ok());
  CHECK(problems->empty());
}

TEST_CASE("clustering at ingest: a commit across a window boundary keeps each window's events apart") {
  // 40 minutes of connections, one a second, from 20 minutes before the
  // hour: one append, one commit, two partition windows.
  std::vector<model::event> events;
  const std::int64_t hour = 3600 * sec;
  for (std::uint64_t n = 0; n < 2400; ++n) {
    events.push_back(conn(epoch + hour - 1200 * sec + static_cast<std::int64_t>(n) * sec,
                          static_cast<std::uint32_t>(n * 7919 % 200),
                          static_cast<std::uint32_t>(1 + n % 7), 443, n));
  }
  temp_dir dir;
  fake_clock clock{epoch};
  auto opts = test_options(dir.path(), &clock);
  store s = store_with(opts, events, events.size());
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
    dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  REQUIRE(dirs.size() == 2);
  auto first = detail::partition::open(dirs[0], opts.partition_map_bytes, true);
  auto second = detail::partition::open(dirs[1], opts.partition_map_bytes, true);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // The first window's partition was sealed and compacted into a new
  // directory, so directory names do not give the order.
  if ((*first)->meta().window_start > (*second)->meta().window_start) std::swap(first, second);
  CHECK((*second)->meta().window_start == epoch + hour);
  CHECK((*first)->meta().rows == 1200);
  CHECK((*first)->meta().max_ts < epoch + hour);
  CHECK((*second)->meta().rows == 1200);
  CHECK((*second)->meta().min_ts == epoch + hour);
  // The open window's events were reordered by host as they were cut into
  // blocks (the first window's by compaction as well).
  CHECK_FALSE((*second)->meta().sealed);
  auto sums = (*second)->summaries();
  REQUIRE(sums.ok());
  REQUIRE(sums->size() > 2);
  CHECK((*sums)[1].min_ts < (*sums)[0].max_ts);
  CHECK(all(s).size() == events.size());
}
