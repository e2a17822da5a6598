// Compaction on seal (libtimemachine/src/partition/compact.cc,
// src/store/compact.cc): a sealed raw partition is rewritten into a new
// partition with the same blocks and a packed index (`sidx` chunks) that
// replaces it. The answers stay the same, the store gets smaller, and a
// crash at any step leaves the old partition or the new one in use, never
// both and never neither.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "coop/tm/store.h"
#include "index/chunk.h"
#include "lmdb/lmdb.h"
#include "partition/partition.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

std::string host(std::uint32_t h) {
  return "10.0." + std::to_string(h / 256) + "." + std::to_string(h % 256);
}

// 3,000 connections 10 s apart (8.3 hours): 2,000 distinct hosts
// (h = n * 7 % 2000), servers 192.168.0.1-7, ports 22, 80, 443.
std::vector<model::event> connections() {
  std::vector<model::event> out;
  static const std::uint16_t ports[] = {22, 80, 443};
  for (std::uint64_t n = 0; n < 3000; ++n) {
    out.push_back(conn(epoch + static_cast<std::int64_t>(n) * 10 * sec,
                       static_cast<std::uint32_t>(n * 7 % 2000),
                       static_cast<std::uint32_t>(1 + n % 7), ports[n % 3], n));
  }
  return out;
}

store make_store(const store_options& opts, const std::vector<model::event>& events) {
  return store_with(opts, events, 500);
}

// The partitions on disk, by id, opened read-only.
std::map<std::uint64_t, std::shared_ptr<detail::partition>> on_disk(const store_options& opts) {
  std::map<std::uint64_t, std::shared_ptr<detail::partition>> out;
  for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
    auto p = detail::partition::open(e.path(), opts.partition_map_bytes, true);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
    out[(*p)->meta().id] = *p;
  }
  return out;
}

// What a set of queries answers: ids of the events, in order, per filter.
std::vector<std::vector<std::uint64_t>> answers(const store& s) {
  std::vector<std::string> filters = {"orig_h == " + host(5),
                                      "orig_h == " + host(1999),
                                      "orig_h == " + host(700) + " || resp_h == 192.168.0.3",
                                      "orig_h in 10.0.3.0/24",
                                      "orig_h in 10.0.0.0/16",
                                      "resp_p == 22/tcp",
                                      "orig_h == 10.9.9.9"};
  std::vector<std::vector<std::uint64_t>> out;
  for (const auto& f : filters) {
    query_spec q;
    q.filter = f;
    std::vector<std::uint64_t> ids;
    for (const auto& e : all(s, q)) ids.push_back(e.id.lo);
    out.push_back(std::move(ids));
  }
  return out;
}

}  // namespace

TEST_CASE("chunks: entries round-trip, chunks are cut at the target, keys are checked") {
  detail::chunk_writer w(200);
  std::vector<std::pair<std::string, std::vector<std::uint32_t>>> in;
  for (std::uint32_t i = 0; i < 300; ++i) {
    std::string key =
        "a" + std::string(12, '\0') + static_cast<char>(i / 256) + static_cast<char>(i % 256) + "x";
    std::vector<std::uint32_t> post;
    for (std::uint32_t j = 0; j <= i % 5; ++j) post.push_back(i * 1000 + j * j * 300);
    if (i == 150) post.push_back(0xffffffffu);  // the largest posting
    in.emplace_back(key, post);
    w.add(key, post);
  }
  w.finish();
  std::vector<std::pair<std::string, std::vector<std::uint32_t>>> out;
  std::size_t chunks = 0;
  while (w.ready()) {
    auto [first, value] = w.take();
    ++chunks;
    CHECK(value.size() <= 200 + 40);  // the target, overrun by at most one entry
    auto r = detail::chunk_reader::open(first, value);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
    bool first_entry = true;
    for (;;) {
      auto more = r->next();
      REQUIRE_MESSAGE(more.ok(), (more.ok() ? "" : more.err().message));
      if (!*more) break;
      if (first_entry) CHECK(r->key() == first);
      first_entry = false;
      std::vector<std::uint32_t> post;
      REQUIRE(r->postings(post).ok());
      CHECK(post.size() == r->count());
      out.emplace_back(std::string(r->key()), post);
    }
  }
  CHECK(chunks > 10);
  CHECK(out == in);
}

TEST_CASE("chunks: damage is reported with the chunk's key and the byte offset") {
  detail::chunk_writer w;
  const std::vector<std::uint32_t> post = {7, 9, 300};
  w.add("a1", post);
  w.add("a2", post);
  w.finish();
  auto [first, value] = w.take();
  SUBCASE("a flipped byte fails the CRC") {
    value[value.size() - 1] = static_cast<char>(value[value.size() - 1] ^ 1);
    auto r = detail::chunk_reader::open(first, value);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == model::errc::corruption);
    CHECK(r.err().message == "index chunk a31: CRC-32 mismatch at byte 0");
  }
  SUBCASE("a chunk cut short") {
    auto r = detail::chunk_reader::open(first, value.substr(0, 9));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message == "index chunk a31: chunk of 9 bytes is too short at byte 0");
  }
  SUBCASE("stored under another key than its first entry's") {
    auto r = detail::chunk_reader::open("a0", value);
    REQUIRE(r.ok());  // the CRC covers the value only
    auto more = r->next();
    REQUIRE_FALSE(more.ok());
    CHECK(more.err().message == "index chunk a30: first entry is not the chunk's key at byte 8");
    CHECK(more.err().code == model::errc::corruption);
  }
  SUBCASE("keys out of order, with a valid CRC") {
    // Entry 2 shares 1 byte with "a2" and adds "1": "a1" again.
    std::string bad = value;
    // After the header (8 bytes) and the first entry: shared 0, suffix 2,
    // "a1", 3 postings in 4 bytes (7, +2, +291), then the postings.
    const std::size_t second = 8 + 2 + 2 + 2 + 4;
    REQUIRE(bad[second] == 1);
    REQUIRE(bad[second + 2] == '2');
    bad[second + 2] = '1';
    std::string crc;
    const std::uint32_t c = detail::chunk_crc(std::string_view(bad).substr(4));
    for (int i = 0; i < 4; ++i) crc.push_back(static_cast<char>(c >> (8 * i)));
    bad.replace(0, 4, crc);
    auto r = detail::chunk_reader::open(first, bad);
    REQUIRE(r.ok());
    REQUIRE(r->next().ok());
    auto more = r->next();
    REQUIRE_FALSE(more.ok());
    CHECK(more.err().message ==
          "index chunk a31: key out of order at byte " + std::to_string(second));
  }
}

// The starting point of most tests here: connections() in a closed store
// written with compaction off (8 sealed one-hour partitions and the open
// one), the answers it gave and its size.
struct uncompacted_store {
  temp_dir dir;
  fake_clock clock{epoch + 86400 * sec};
  store_options opts;
  std::vector<std::vector<std::uint64_t>> before;
  std::uint64_t bytes = 0;
  uncompacted_store() : opts(test_options(dir.path(), &clock)) {
    opts.compact_sealed = false;
    store s = make_store(opts, connections());
    before = answers(s);
    bytes = s.stats().bytes;
    REQUIRE(before[0].size() == 1);  // host 5: event 1715
    REQUIRE(before[4].size() == 3000);
    CHECK(s.stats().uncompacted_sealed == 8);
  }
};

TEST_CASE("compaction: with the background committer, a compactor thread rewrites them all") {
  uncompacted_store f;
  auto& opts = f.opts;
  const auto& before = f.before;
  // Background threads: nothing calls commit(); the committer's commits
  // wake the compactor, which rewrites every sealed partition, not one
  // per commit.
  opts.compact_sealed = true;
  opts.commit_interval = model::interval::millis(20);
  {
    auto s = store::open(opts, catalogue());
    REQUIRE(s.ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (s->stats().uncompacted_sealed > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(s->stats().uncompacted_sealed == 0);
    CHECK(answers(*s) == before);
    CHECK(s->stats().problems.empty());
  }
  std::size_t packed = 0;
  for (const auto& [id, p] : on_disk(opts)) packed += p->meta().packed ? 1 : 0;
  CHECK(packed == 8);

  // Closing while the compactor works (a new store, closed at once) stops
  // it between partitions: whatever it did not rewrite stays as written,
  // and a reopened store answers the same and finishes the job.
  uncompacted_store f2;
  auto& opts2 = f2.opts;
  opts2.compact_sealed = true;
  opts2.commit_interval = model::interval::millis(1);
  {
    auto s = store::open(opts2, catalogue());
    REQUIRE(s.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  opts2.commit_interval = {};
  auto s = store::open(opts2, catalogue());
  REQUIRE(s.ok());
  CHECK(answers(*s) == before);
  REQUIRE(s->seal().ok());
  CHECK(s->stats().uncompacted_sealed == 0);
  CHECK(answers(*s) == before);
}

TEST_CASE("compaction: sealed partitions get a packed index, answers stay, the store shrinks") {
  uncompacted_store f;
  auto& opts = f.opts;
  const auto& before = f.before;
  const std::uint64_t bytes_before = f.bytes;
  std::map<std::int64_t, std::uint64_t> keys_before;  // by window
  for (const auto& [id, p] : on_disk(opts)) {
    CHECK_FALSE(p->meta().packed);
    keys_before[p->meta().window_start] = p->key_count().value();
  }
  REQUIRE(keys_before.size() == 9);  // 8.3 hours in one-hour partitions

  opts.compact_sealed = true;
  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  // Each commit rewrites one sealed partition (the open one stays as it is).
  auto packed_now = [&] {
    std::size_t packed = 0;
    for (const auto& [id, p] : on_disk(opts)) {
      auto m = p->meta();
      if (!m.packed) continue;
      ++packed;
      CHECK(m.sealed);
      CHECK(m.replaces != 0);
      CHECK(p->key_count().value() == keys_before[m.window_start]);
    }
    return packed;
  };
  REQUIRE(s->commit().ok());
  CHECK(packed_now() == 1);
  CHECK(answers(*s) == before);
  for (int i = 0; i < 8; ++i) REQUIRE(s->commit().ok());
  CHECK(packed_now() == 8);
  CHECK(answers(*s) == before);
  // seal(): the open partition too.
  REQUIRE(s->seal().ok());
  auto parts = on_disk(opts);
  CHECK(parts.size() == 9);
  for (const auto& [id, p] : parts) CHECK(p->meta().packed);
  CHECK(answers(*s) == before);
  const std::uint64_t bytes_after = s->stats().bytes;
  MESSAGE("store bytes " << bytes_before << " -> " << bytes_after);
  CHECK(bytes_after < bytes_before);
  auto problems = s->verify();
  REQUIRE(problems.ok());
  CHECK(problems->empty());
  // The next event opens a new partition, and the store still answers.
  REQUIRE(s->append(std::vector{conn(epoch + 40000 * sec, 5, 1, 80, 9999)}).ok());
  REQUIRE(s->commit().ok());
  CHECK(answers(*s)[0].size() == 2);
}

TEST_CASE("compaction: a cursor opened before the rewrite reads on to the end") {
  temp_dir dir;
  fake_clock clock(epoch + 86400 * sec);
  auto opts = test_options(dir.path(), &clock);
  opts.compact_sealed = false;
  const auto events = connections();
  { store s = make_store(opts, events); }
  opts.compact_sealed = true;
  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  query_spec q;
  q.filter = "orig_h in 10.0.0.0/16";
  auto c = s->query(q);
  REQUIRE(c.ok());
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 10; ++i) {
    auto e = c->next();
    REQUIRE(e.ok());
    REQUIRE(*e != nullptr);
    ids.push_back((*e)->id.lo);
  }
  // Every sealed partition is rewritten and its old directory deleted
  // while the cursor still holds the old partitions.
  REQUIRE(s->seal().ok());
  for (const auto& [id, p] : on_disk(opts)) CHECK(p->meta().packed);
  for (;;) {
    auto e = c->next();
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.err().message));
    if (*e == nullptr) break;
    ids.push_back((*e)->id.lo);
  }
  CHECK(c->warnings().empty());
  REQUIRE(ids.size() == 3000);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i);
  CHECK(all(*s, q).size() == 3000);  // a new query reads the compact partitions
}

TEST_CASE("compaction crash: the old partition or the new one is in use, never both") {
  uncompacted_store u;
  auto& opts = u.opts;
  const auto& before = u.before;
  // The oldest (sealed) partition, rewritten by hand as compaction would.
  auto parts = on_disk(opts);
  const std::uint64_t old_id = parts.begin()->first;
  const auto old_dir = parts.begin()->second->dir();
  const std::uint64_t new_id = 500;
  const auto new_dir = opts.root / "parts" / detail::partition_dir_name(new_id);
  parts.clear();
  {
    auto src = detail::partition::open(old_dir, opts.partition_map_bytes, true);
    REQUIRE(src.ok());
    auto np = detail::partition::compact(**src, new_dir, new_id, opts.partition_map_bytes);
    REQUIRE_MESSAGE(np.ok(), (np.ok() ? "" : np.err().message));
    CHECK((*np)->meta().replaces == old_id);
    CHECK((*np)->meta().complete);
  }

  SUBCASE("killed before the final commit: the new partition is incomplete") {
    {
      auto np = detail::partition::open(new_dir, opts.partition_map_bytes, false);
      REQUIRE(np.ok());
      auto m = (*np)->meta();
      m.complete = false;
      std::vector<detail::block_in> none;
      REQUIRE((*np)->write(none, m.last_batch, {}, &m).ok());
    }
    auto s = store::open(opts, catalogue());
    REQUIRE(s.ok());
    CHECK_FALSE(std::filesystem::exists(new_dir));
    CHECK(std::filesystem::exists(old_dir));
    CHECK(answers(*s) == before);
  }
  SUBCASE("killed after the final commit, before the old partition was dropped") {
    auto s = store::open(opts, catalogue());
    REQUIRE(s.ok());
    CHECK(std::filesystem::exists(new_dir));
    CHECK_FALSE(std::filesystem::exists(old_dir));
    CHECK(answers(*s) == before);  // every event once
    auto problems = s->verify();
    REQUIRE(problems.ok());
    CHECK(problems->empty());
  }
  SUBCASE("killed while the new partition was being created (.tmp- directory)") {
    const auto tmp = opts.root / "parts" / (".tmp-" + detail::partition_dir_name(new_id));
    std::filesystem::rename(new_dir, tmp);
    auto s = store::open(opts, catalogue());
    REQUIRE(s.ok());
    CHECK_FALSE(std::filesystem::exists(tmp));
    CHECK(std::filesystem::exists(old_dir));
    CHECK(answers(*s) == before);
  }
  SUBCASE("killed while the old partition was being deleted (in trash/)") {
    std::filesystem::create_directories(opts.root / "trash");
    std::filesystem::rename(old_dir, opts.root / "trash" / old_dir.filename());
    auto s = store::open(opts, catalogue());
    REQUIRE(s.ok());
    CHECK(std::filesystem::exists(new_dir));
    CHECK_FALSE(std::filesystem::exists(opts.root / "trash" / old_dir.filename()));
    CHECK(answers(*s) == before);
  }
}

TEST_CASE("compaction crash: killed at random moments of a rewrite, every event is there once") {
  uncompacted_store u;
  auto& opts = u.opts;
  const auto& before = u.before;
  const auto pristine = u.dir.path() / "pristine";
  std::filesystem::rename(opts.root, pristine);
  std::mt19937 rng(20261128);
  int finished = 0, partial = 0;
  const int rounds = 12;
  for (int round = 0; round < rounds; ++round) {
    std::filesystem::remove_all(opts.root);
    std::filesystem::copy(pristine, opts.root, std::filesystem::copy_options::recursive);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // The child compacts every partition (seal()), and is killed on the way.
      auto o = opts;
      o.compact_sealed = true;
      auto s = store::open(o, catalogue());
      if (!s.ok()) ::_exit(2);
      ::_exit(s->seal().ok() ? 0 : 3);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 60000));
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status)) {
      CHECK(WEXITSTATUS(status) == 0);
      ++finished;
    }
    auto s = store::open(opts, catalogue());
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
    CHECK(answers(*s) == before);
    auto problems = s->verify();
    REQUIRE(problems.ok());
    CHECK_MESSAGE(problems->empty(), (problems->empty() ? "" : problems->front()));
    // One partition per hour, each either the old or its compact copy.
    CHECK(std::distance(std::filesystem::directory_iterator(opts.root / "parts"),
                        std::filesystem::directory_iterator{}) == 9);
    std::size_t packed = 0;
    for (const auto& [id, p] : on_disk(opts)) packed += p->meta().packed ? 1 : 0;
    if (packed > 0 && packed < 9) ++partial;
  }
  MESSAGE(rounds << " rounds: " << finished << " finished before the kill, " << partial
                 << " killed with some partitions compacted and others not");
}

TEST_CASE("a damaged index chunk is reported by verify, queries read that partition whole") {
  temp_dir dir;
  fake_clock clock(epoch + 86400 * sec);
  auto opts = test_options(dir.path(), &clock);
  opts.partition_span = model::interval::seconds(86400);  // one partition
  const auto events = connections();
  std::vector<std::vector<std::uint64_t>> before;
  std::filesystem::path part;
  {
    store s = make_store(opts, events);
    before = answers(s);
    REQUIRE(s.seal().ok());
    for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) part = e.path();
  }
  // The first chunk's value, found in the data file and damaged there.
  std::string chunk;
  {
    auto env = tm::lmdb::env::open(
        part,
        {.map_size = opts.partition_map_bytes, .max_dbs = 8, .read_only = true, .create = false});
    REQUIRE(env.ok());
    auto t = tm::lmdb::txn::begin(*env, false);
    REQUIRE(t.ok());
    auto db = t->open_db("sidx", 0);
    REQUIRE(db.ok());
    auto c = tm::lmdb::cursor::open(*t, *db);
    REQUIRE(c.ok());
    std::string_view k, v;
    REQUIRE(c->move(MDB_FIRST, &k, &v).value());
    chunk.assign(v);
    REQUIRE(k.substr(0, 1) == "a");  // address keys sort first
  }
  REQUIRE(chunk.size() > 1000);
  std::string bytes;
  {
    std::ifstream in(part / "data.mdb", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto where = bytes.find(chunk);
  REQUIRE(where != std::string::npos);
  bytes[where + chunk.size() / 2] = static_cast<char>(bytes[where + chunk.size() / 2] ^ 0x5A);
  {
    std::ofstream out(part / "data.mdb", std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
  }
  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  auto problems = s->verify();
  REQUIRE(problems.ok());
  REQUIRE(problems->size() == 1);
  CHECK(problems->front().find(part.string() + ": index chunk #0: index chunk a") == 0);
  CHECK(problems->front().find("CRC-32 mismatch") != std::string::npos);
  // Host 5 is among the first keys: its lookup needs the damaged chunk and
  // reads the partition without the index; the answer is whole.
  query_spec q;
  q.filter = "orig_h == " + host(5);
  auto c = s->query(q);
  REQUIRE(c.ok());
  std::vector<std::uint64_t> ids;
  for (;;) {
    auto e = c->next();
    REQUIRE(e.ok());
    if (*e == nullptr) break;
    ids.push_back((*e)->id.lo);
  }
  CHECK(ids == before[0]);
  REQUIRE(c->warnings().size() == 1);
  CHECK(c->warnings().front().find("(partition read without its index)") != std::string::npos);
  // A lookup that needs only other chunks uses the index as before.
  q.filter = "resp_p == 22/tcp";
  auto est = s->estimate(q);
  REQUIRE(est.ok());
  CHECK(est->uses_index);
}

TEST_CASE("aggregate partitions are written with a packed index") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  REQUIRE(s->set_rules("class conn types connection_end\n"
                       "tier conn raw 1h\n"
                       "tier conn hourly every 1h until 30d key orig_h, resp_p sum orig_bytes\n")
              .ok());
  const auto events = connections();
  REQUIRE(s->append(events).ok());
  REQUIRE(s->commit().ok());
  clock.set(model::timestamp{epoch + 3 * 86400 * sec});
  auto rep = s->expire();
  REQUIRE(rep.ok());
  CHECK(rep->partitions_aggregated > 0);
  std::size_t aggregates = 0;
  for (const auto& [id, p] : on_disk(opts)) {
    auto m = p->meta();
    if (m.tier == "raw") continue;
    ++aggregates;
    CHECK(m.packed);
    CHECK(p->key_count().value() > 0);
  }
  CHECK(aggregates > 0);
  query_spec q;
  q.filter = "orig_h == " + host(5);
  q.include_aggregates = true;
  auto n = s->count(q);
  REQUIRE(n.ok());
  CHECK(n->events == 1);
  auto problems = s->verify();
  REQUIRE(problems.ok());
  CHECK(problems->empty());
}
