// Disk full and map full on real LMDB files. Disk full is simulated with
// RLIMIT_FSIZE and SIGXFSZ ignored: a write past the limit then fails with
// EFBIG, which the store must treat like ENOSPC (a clear io error, nothing
// written, the data kept pending and committed once space returns). Map
// full comes from a tiny partition map: the store must roll over to a new
// partition and never fail the ingest.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "coop/tm/store.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

// Lowers this process's file size limit for its lifetime (or until lift()).
class file_size_limit {
 public:
  explicit file_size_limit(std::uint64_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit r = old_;
    r.rlim_cur = static_cast<rlim_t>(bytes);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &r) == 0);
  }
  file_size_limit(const file_size_limit&) = delete;
  file_size_limit& operator=(const file_size_limit&) = delete;
  ~file_size_limit() { lift(); }
  void lift() {
    if (!active_) return;
    active_ = false;
    (void)::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
  bool active_ = true;
};

// Batch b: `per_batch` connections with id lo = b * 10000 + i, all in the
// first hour (one partition).
constexpr std::uint64_t ids_per_batch = 10000;

std::vector<model::event> batch_of(std::uint64_t b, std::size_t per_batch) {
  std::vector<model::event> out;
  for (std::size_t i = 0; i < per_batch; ++i) {
    std::uint64_t n = b * ids_per_batch + i;
    out.push_back(conn(epoch + static_cast<std::int64_t>(n % 3'000'000) * 1'000'000,
                       static_cast<std::uint32_t>(n % 997), static_cast<std::uint32_t>(n % 250),
                       static_cast<std::uint16_t>(1 + n % 4000), n, n % 100000));
  }
  return out;
}

// Every stored event's (batch -> count), failing on a duplicate id.
std::map<std::uint64_t, std::size_t> batches_in(const store& s) {
  std::map<std::uint64_t, std::size_t> out;
  std::vector<std::uint64_t> ids;
  for (const auto& e : all(s)) {
    ids.push_back(e.id.lo);
    ++out[e.id.lo / ids_per_batch];
  }
  std::sort(ids.begin(), ids.end());
  CHECK_MESSAGE(std::adjacent_find(ids.begin(), ids.end()) == ids.end(),
                "an event is stored twice");
  return out;
}

std::uint64_t partitions_of(const store& s) {
  std::uint64_t n = 0;
  for (const auto& c : s.stats().classes) {
    for (const auto& t : c.tiers) n += t.partitions;
  }
  return n;
}

std::string partition_dir(const store_options& opts, int id) {
  return (opts.root / "parts" / ("000000000000000" + std::to_string(id))).string();
}

std::uint64_t largest_file(const std::filesystem::path& root) {
  std::uint64_t m = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) m = std::max<std::uint64_t>(m, e.file_size());
  }
  return m;
}

std::vector<std::string> verify_problems(const store& s) {
  auto v = s.verify();
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.err().message));
  return *v;
}

constexpr std::size_t per_batch = 500;
constexpr std::uint64_t before_limit = 3;

struct filled {
  std::uint64_t last_ok = 0;  // the last batch committed before the disk filled
  std::uint64_t last_appended = 0;
  model::error failure;
  std::unique_ptr<file_size_limit> limit;  // still in force
};

// Commits `before_limit` batches, then, with the file size limited, appends
// and commits batches until a commit fails.
filled fill_until_full(store& s, const store_options& opts) {
  filled f;
  for (std::uint64_t b = 1; b <= before_limit; ++b) {
    REQUIRE(s.append(batch_of(b, per_batch)).ok());
    auto c = s.commit();
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  }
  // Not a multiple of the page size: like a file system that fills up,
  // the write that reaches the limit is cut short.
  f.limit = std::make_unique<file_size_limit>(largest_file(opts.root) + (128u << 10) + 100);
  f.last_ok = before_limit;
  for (std::uint64_t b = before_limit + 1; b < before_limit + 200; ++b) {
    auto rc = s.append(batch_of(b, per_batch));
    REQUIRE(rc.ok());
    REQUIRE(rc->batch == b);
    f.last_appended = b;
    auto c = s.commit();
    if (!c) {
      f.failure = c.err();
      return f;
    }
    f.last_ok = b;
  }
  FAIL("200 commits of " << per_batch << " events fit under a 128 KiB file size margin");
  return f;
}

}  // namespace

TEST_CASE("disk full: commit fails with a clear error and commits the pending data on retry") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  auto f = fill_until_full(*s, opts);

  INFO("commit error: " << f.failure.message);
  CHECK(f.failure.code == model::errc::io);
  CHECK(f.failure.message.find((opts.root / "parts").string()) != std::string::npos);
  CHECK(s->committed() == f.last_ok);
  CHECK(s->stats().pending_events == per_batch);

  // While the disk stays full: retries fail the same way and change nothing;
  // queries see exactly the committed batches.
  auto again = s->commit();
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == model::errc::io);
  CHECK(s->committed() == f.last_ok);
  auto seen = batches_in(*s);
  CHECK(seen.size() == f.last_ok);
  CHECK(seen.rbegin()->first == f.last_ok);
  CHECK(verify_problems(*s).empty());

  // Space returns: the pending batch is committed by the next commit, once.
  f.limit->lift();
  auto c = s->commit();
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  CHECK(*c == f.last_appended);
  CHECK(s->stats().pending_events == 0);
  seen = batches_in(*s);
  CHECK(seen.size() == f.last_appended);
  for (const auto& [b, n] : seen) {
    INFO("batch " << b);
    CHECK(n == per_batch);
  }
  CHECK(verify_problems(*s).empty());

  // And it is all there after a reopen.
  s = model::error{model::errc::io, "closed"};
  auto r = store::open(opts, catalogue());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
  CHECK(r->committed() == f.last_appended);
  CHECK(batches_in(*r).size() == f.last_appended);
}

TEST_CASE("disk full: a store closed while the disk is full reopens with every committed batch") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  filled f;
  {
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    f = fill_until_full(*s, opts);
    REQUIRE(f.failure.code == model::errc::io);
    // The store is destroyed while the disk is full: its final commit
    // fails too, and the pending batch is lost (it was never committed).
    s = model::error{model::errc::io, "closed"};
    f.limit->lift();
  }
  auto s = store::open(opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  CHECK(s->stats().problems.empty());
  CHECK(verify_problems(*s).empty());
  CHECK(s->committed() == f.last_ok);
  auto seen = batches_in(*s);
  CHECK(seen.size() == f.last_ok);
  for (const auto& [b, n] : seen) {
    INFO("batch " << b);
    CHECK(b <= f.last_ok);
    CHECK(n == per_batch);
  }
  // Ingest continues after the committed batches.
  auto rc = s->append(batch_of(f.last_ok + 1, per_batch));
  REQUIRE(rc.ok());
  CHECK(rc->batch == f.last_ok + 1);
  auto c = s->commit();
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  CHECK(batches_in(*s).size() == f.last_ok + 1);
}

namespace {

// Batch 1: 200 events in the first hour. Batch 2: 10 more in the first
// hour, then 9800 in the second, so that its commit writes a run into
// partition 1, rolls over and writes the rest into a new partition 2.
std::vector<model::event> spanning_batch(std::uint64_t b) {
  std::vector<model::event> out;
  auto add = [&](std::int64_t ts, std::uint64_t i) {
    std::uint64_t n = b * ids_per_batch + i;
    out.push_back(conn(ts, static_cast<std::uint32_t>(n % 997), static_cast<std::uint32_t>(n % 250),
                       static_cast<std::uint16_t>(1 + n % 4000), n));
  };
  if (b == 1) {
    for (std::uint64_t i = 0; i < 200; ++i) add(epoch + static_cast<std::int64_t>(i) * 10 * sec, i);
  } else {
    for (std::uint64_t i = 0; i < 10; ++i)
      add(epoch + (2000 + static_cast<std::int64_t>(i)) * sec, i);
    for (std::uint64_t i = 10; i < 9810; ++i) {
      add(epoch + 3600 * sec + static_cast<std::int64_t>(i) * (sec / 4), i);
    }
  }
  return out;
}

// Commits batch 1, then fails the commit of batch 2 half-way with the file
// size limited (returned, still in force).
std::unique_ptr<file_size_limit> fail_spanning_commit(store& s, const store_options& opts) {
  REQUIRE(s.append(spanning_batch(1)).ok());
  REQUIRE(s.commit().ok());
  auto limit = std::make_unique<file_size_limit>(largest_file(opts.root) + (128u << 10) + 100);
  REQUIRE(s.append(spanning_batch(2)).ok());
  auto c = s.commit();
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == model::errc::io);
  // The first run went into partition 1; the write into partition 2 failed.
  REQUIRE_MESSAGE(partitions_of(s) == 2, c.err().message);
  REQUIRE_MESSAGE(c.err().message.find(partition_dir(opts, 2)) != std::string::npos,
                  c.err().message);
  CHECK(s.committed() == 1);
  return limit;
}

}  // namespace

TEST_CASE("disk full in a commit that spans two partitions: a retry completes it exactly once") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  auto limit = fail_spanning_commit(*s, opts);
  limit->lift();
  auto c = s->commit();
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  CHECK(*c == 2);
  auto seen = batches_in(*s);
  CHECK(seen[1] == 200);
  CHECK(seen[2] == 9810);
  CHECK(partitions_of(*s) == 2);
  CHECK(verify_problems(*s).empty());
}

TEST_CASE("disk full in a commit that spans two partitions: a reopen does not claim the batch") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  {
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    auto limit = fail_spanning_commit(*s, opts);
    s = model::error{model::errc::io, "closed"};  // its last commit fails too
  }
  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  auto seen = batches_in(*s);
  INFO("committed() " << s->committed() << ", batch 2 has " << seen[2] << " of 9810 events");
  CHECK(s->committed() == 1);
  CHECK(seen[1] == 200);
  if (s->committed() >= 2) CHECK(seen[2] == 9810);
}

TEST_CASE("disk full: the commit error says the disk is full") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  auto f = fill_until_full(*s, opts);
  INFO("commit error: " << f.failure.message);
  CHECK(f.failure.message.find("disk full") != std::string::npos);
}

namespace {

store_options tiny_map_options(const std::filesystem::path& dir, const model::clock* clock) {
  auto o = test_options(dir, clock);
  o.partition_map_bytes = 512u << 10;
  // Never reached before the map is full: only map full rolls over.
  o.partition_max_bytes = o.partition_map_bytes - 1;
  return o;
}

}  // namespace

TEST_CASE("map full: a tiny partition map rolls over to new partitions and never fails ingest") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = tiny_map_options(dir.path(), &clock);
  constexpr std::uint64_t batches = 40;
  {
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    for (std::uint64_t b = 1; b <= batches; ++b) {
      REQUIRE(s->append(batch_of(b, 300)).ok());
      auto c = s->commit();
      INFO("batch " << b);
      REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
      CHECK(*c == b);
    }
    CHECK(partitions_of(*s) >= 3);
    auto seen = batches_in(*s);
    CHECK(seen.size() == batches);
    CHECK(verify_problems(*s).empty());
  }
  auto s = store::open(opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  CHECK(s->stats().problems.empty());
  CHECK(s->committed() == batches);
  auto seen = batches_in(*s);
  CHECK(seen.size() == batches);
  for (const auto& [b, n] : seen) {
    INFO("batch " << b);
    CHECK(n == 300);
  }
}

TEST_CASE("map full: one commit larger than a whole partition map is spread over partitions") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = tiny_map_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  // 20000 events: several times what one 512 KiB map holds.
  for (std::uint64_t b = 1; b <= 20; ++b) REQUIRE(s->append(batch_of(b, 1000)).ok());
  auto c = s->commit();
  CHECK_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  CHECK(s->committed() == 20);
  CHECK(partitions_of(*s) >= 3);
  auto seen = batches_in(*s);
  CHECK(seen.size() == 20);
  for (const auto& [b, n] : seen) {
    INFO("batch " << b);
    CHECK(n == 1000);
  }
  CHECK(verify_problems(*s).empty());
  // Whatever happened, a small batch afterwards commits.
  REQUIRE(s->append(batch_of(21, 10)).ok());
  auto small = s->commit();
  CHECK_MESSAGE(small.ok(), (small.ok() ? "" : small.err().message));
}
