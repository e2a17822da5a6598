// Corruption of a store on real LMDB files: bytes flipped in every part of
// a stored block inside a sealed partition's data.mdb, a truncated block, a
// damaged block summary, a damaged partition info record and a damaged
// FORMAT file. The store must open (or refuse with an error naming the
// file), never crash, answer queries from the undamaged data while listing
// the damage in cursor::warnings(), and store::verify() must name the
// damaged block by partition directory and block number; the other
// partitions stay fully readable. Also run in the -DCOOP_SANITIZE=ON build.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "block/block.h"
#include "block/endian.h"
#include "coop/tm/store.h"
#include "lmdb/lmdb.h"
#include "partition/extent.h"
#include "partition/partition.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

// Three hours of connections, one every 10 s, committed an hour at a time:
// three partitions, the first two sealed, about six blocks each.
constexpr std::size_t hours = 3;
constexpr std::size_t per_hour = 360;
constexpr std::size_t total = hours * per_hour;
constexpr std::uint32_t damaged_block = 2;

// Builds the store once per process; each case damages its own copy.
const std::filesystem::path& pristine_store() {
  static temp_dir dir;
  static fake_clock clock{epoch};
  static const std::filesystem::path root = [] {
    auto opts = test_options(dir.path(), &clock);
    // Arrival order (no clustering at ingest): block b holds events
    // b * block_events on, which the checks below rely on.
    opts.cluster_field.clear();
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    for (std::size_t h = 0; h < hours; ++h) {
      std::vector<model::event> batch;
      for (std::size_t i = 0; i < per_hour; ++i) {
        std::size_t n = h * per_hour + i;
        batch.push_back(conn(epoch + static_cast<std::int64_t>(n) * 10 * sec,
                             static_cast<std::uint32_t>(n % 50),
                             static_cast<std::uint32_t>(1 + n % 4), n % 2 == 0 ? 80 : 443, n));
      }
      REQUIRE(s->append(batch).ok());
      REQUIRE(s->commit().ok());
    }
    return opts.root;
  }();
  return root;
}

struct fixture {
  temp_dir dir;
  fake_clock clock{epoch};
  store_options opts = test_options(dir.path(), &clock);
  std::filesystem::path part;  // the first (sealed) partition's directory
  std::string block;           // the stored bytes of its block `damaged_block`
  std::uint32_t block_records = 0;

  fixture() {
    std::filesystem::copy(pristine_store(), opts.root, std::filesystem::copy_options::recursive);
    std::vector<std::filesystem::path> parts;
    for (const auto& e : std::filesystem::directory_iterator(opts.root / "parts")) {
      parts.push_back(e.path());
    }
    std::sort(parts.begin(), parts.end());
    REQUIRE(parts.size() == hours);
    part = parts.front();
    auto p = detail::partition::open(part, opts.partition_map_bytes, true);
    REQUIRE(p.ok());
    REQUIRE((*p)->meta().sealed);
    REQUIRE((*p)->meta().blocks > damaged_block + 1);
    REQUIRE((*p)->read_block(damaged_block, block).ok());
    auto sums = (*p)->summaries();
    REQUIRE(sums.ok());
    block_records = (*sums)[damaged_block].records;
    REQUIRE(block_records > 0);
  }

  [[nodiscard]] std::filesystem::path data_file() const { return part / "data.mdb"; }

  // Applies `change` at every place the partition file holds `needle`
  // (stale copies in free pages included); returns how many there were.
  template <class F>
  std::size_t patch_file(const std::string& needle, F change) const {
    std::string bytes;
    {
      std::ifstream in(data_file(), std::ios::binary);
      REQUIRE(in);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::size_t found = 0;
    for (auto at = bytes.find(needle); at != std::string::npos;
         at = bytes.find(needle, at + needle.size())) {
      change(bytes, at);
      ++found;
    }
    std::ofstream out(data_file(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
    return found;
  }

  // Calls change(extent) on the extent stored under block number `first`
  // and writes it back.
  template <class F>
  void edit_extent(std::uint32_t first, F change) const {
    edit_stored_block(part, opts.partition_map_bytes, first, change);
  }

  // Replaces the stored bytes of block `n`: in its extent when the
  // partition keeps its blocks in extents (format 4, compacted), else as
  // the value of its own key.
  void rewrite_block(std::uint32_t n, std::string_view stored) const {
    std::uint32_t per = 0;
    {
      auto p = detail::partition::open(part, opts.partition_map_bytes, true);
      REQUIRE(p.ok());
      per = (*p)->meta().extent_blocks;
    }
    if (per == 0) return rewrite("blocks", n, stored);
    const std::uint32_t first = detail::extent_first(n, per);
    edit_extent(first, [&](std::string& extent) {
      auto count = detail::extent_count(extent, "test");
      REQUIRE(count.ok());
      std::vector<std::string> members;
      for (std::uint32_t i = 0; i < *count; ++i) {
        members.emplace_back(first + i == n ? stored
                                            : detail::extent_block(extent, i, "test").value());
      }
      std::vector<std::string_view> views(members.begin(), members.end());
      extent.clear();
      REQUIRE(detail::write_extent(extent, views).ok());
    });
  }

  // Replaces the value of `key` in the partition's database `db`.
  void rewrite(const char* db, std::uint32_t key, std::string_view value) const {
    auto env = lmdb::env::open(part, {.map_size = opts.partition_map_bytes});
    REQUIRE(env.ok());
    auto t = lmdb::txn::begin(*env, true);
    REQUIRE(t.ok());
    auto dbi = t->open_db(db, 0);
    REQUIRE(dbi.ok());
    std::string k;
    detail::put_be32(k, key);
    REQUIRE(t->put(*dbi, k, value).ok());
    REQUIRE(t->commit().ok());
  }
};

struct answer {
  std::vector<model::event> events;
  std::vector<std::string> warnings;
};

answer run(const store& s, query_spec q = {}) {
  auto c = s.query(q);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  answer a;
  for (;;) {
    auto e = c->next();
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.err().message));
    if (*e == nullptr) break;
    a.events.push_back(**e);
  }
  a.warnings = c->warnings();
  return a;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  " + x;
  return s;
}

bool mentions(const std::string& s, const std::string& a, const std::string& b = {}) {
  return s.find(a) != std::string::npos && s.find(b) != std::string::npos;
}

// Everything from the second hour on: the partitions that were not damaged.
query_spec later_hours() {
  query_spec q;
  q.range.from = model::timestamp{epoch + static_cast<std::int64_t>(per_hour) * 10 * sec};
  return q;
}

// The checks every damaged-block case shares: the store opens, a query
// returns every event but those of the damaged block and warns about it,
// verify() names the block, the other partitions answer in full.
void check_damaged_block(const fixture& f, const std::string& what) {
  auto s = store::open(f.opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  const std::string where = f.part.string() + " block #" + std::to_string(damaged_block);

  auto a = run(*s);
  CHECK(a.events.size() == total - f.block_records);
  REQUIRE_MESSAGE(!a.warnings.empty(), "no warning for the damaged block");
  CHECK_MESSAGE(mentions(a.warnings.front(), where, what), "warnings:" << joined(a.warnings));
  // The missing events are exactly the damaged block's: blocks are filled
  // in id order, block_events at a time.
  std::vector<bool> present(total);
  for (const auto& e : a.events) present.at(e.id.lo) = true;
  const std::size_t first = std::size_t{damaged_block} * f.opts.block_events;
  for (std::size_t id = 0; id < total; ++id) {
    const bool in_block = id >= first && id < first + f.block_records;
    if (present[id] == in_block)
      FAIL("event " << id << (in_block ? " is" : " is not") << " returned");
  }

  auto n = s->count({});
  REQUIRE(n.ok());
  CHECK(n->events == total - f.block_records);

  auto v = s->verify();
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.err().message));
  REQUIRE_MESSAGE(!v->empty(), "verify() found nothing");
  CHECK_MESSAGE(mentions(v->front(), where, what), "verify:" << joined(*v));
  for (const auto& p : *v) CHECK_MESSAGE(mentions(p, where), "verify blames another place: " << p);

  auto rest = run(*s, later_hours());
  CHECK(rest.events.size() == total - per_hour);
  CHECK_MESSAGE(rest.warnings.empty(), "warnings:" << joined(rest.warnings));
}

}  // namespace

TEST_CASE("corruption: a flipped byte anywhere in a stored block is found and located") {
  struct flip {
    std::size_t offset;
    std::string expect;
  };
  fixture probe;
  const std::size_t size = probe.block.size();
  REQUIRE(size > detail::block_header::size + 2);
  const flip flips[] = {
      {0, "bad magic"},            // magic
      {4, "unknown compression"},  // compression
      {5, "unknown checksum"},     // which CRC
      {16, "stored bytes"},        // stored size
      {20, "checksum mismatch"},   // the CRC itself
      {40, "checksum mismatch"},   // first stored byte
      {40 + (size - 40) / 2, "checksum mismatch"},
      {size - 1, "checksum mismatch"},  // last stored byte
  };
  for (const auto& fl : flips) {
    CAPTURE(fl.offset);
    fixture f;
    auto copies = f.patch_file(f.block, [&](std::string& bytes, std::size_t at) {
      bytes[at + fl.offset] = static_cast<char>(bytes[at + fl.offset] ^ 0xA5);
    });
    REQUIRE(copies >= 1);
    check_damaged_block(f, fl.expect);
  }
}

TEST_CASE("corruption: a lookup reading a damaged frame names the block and the frame") {
  fixture f;
  // The last stored byte is in the block's last frame.
  auto copies = f.patch_file(f.block, [&](std::string& bytes, std::size_t at) {
    bytes[at + f.block.size() - 1] = static_cast<char>(bytes[at + f.block.size() - 1] ^ 0x5A);
  });
  REQUIRE(copies >= 1);
  const std::size_t last = std::size_t{damaged_block} * f.opts.block_events + f.block_records - 1;
  detail::block_frames table;
  REQUIRE(detail::block_codec::frames(f.block, "test", table).ok());
  const std::size_t frames = table.header.frames;
  const std::size_t per = table.header.frame_records;
  auto s = store::open(f.opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  query_spec q;
  q.filter = "orig_h == " + model::address::v4(0x0a000000u + last % 50).to_string();
  auto a = run(*s, q);
  REQUIRE_MESSAGE(a.warnings.size() == 1, "warnings:" << joined(a.warnings));
  const std::string where = f.part.string() + " block #" + std::to_string(damaged_block) +
                            " frame " + std::to_string(frames - 1) +
                            ": damaged block: frame checksum mismatch";
  CHECK_MESSAGE(a.warnings.front().rfind(where, 0) == 0, a.warnings.front());
  // Only that frame's events of the host are missing.
  const std::size_t first_lost = std::size_t{damaged_block} * f.opts.block_events +
                                 (frames - 1) * per;
  std::size_t expected = 0;
  for (std::size_t n = 0; n < total; ++n) {
    if (n % 50 == last % 50 && (n < first_lost || n > last)) ++expected;
  }
  CHECK(a.events.size() == expected);
}

TEST_CASE("corruption: a truncated block is found and located") {
  SUBCASE("half of it") {
    fixture f;
    f.rewrite_block(damaged_block, std::string_view(f.block).substr(0, f.block.size() / 2));
    check_damaged_block(f, "stored bytes");
  }
  SUBCASE("shorter than its header") {
    fixture f;
    f.rewrite_block(damaged_block, std::string_view(f.block).substr(0, 10));
    check_damaged_block(f, "header needs");
  }
}

TEST_CASE("corruption: a damaged extent directory costs its blocks only, and is named") {
  fixture f;
  std::uint32_t blocks = 0;
  {
    auto p = detail::partition::open(f.part, f.opts.partition_map_bytes, true);
    REQUIRE(p.ok());
    REQUIRE((*p)->meta().extent_blocks > 0);  // the sealed partition was compacted
    blocks = (*p)->meta().blocks;
    REQUIRE(blocks <= (*p)->meta().extent_blocks);  // one extent holds them all
  }
  // Byte 9 is in the offset of the extent's first block: the directory's
  // CRC no longer matches.
  f.edit_extent(0, [](std::string& extent) {
    REQUIRE(detail::extent_count(extent, "before").ok());
    extent[9] = static_cast<char>(extent[9] ^ 0x10);
  });
  auto s = store::open(f.opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  auto a = run(*s);
  CHECK(a.events.size() == total - per_hour);
  REQUIRE(a.warnings.size() == blocks);
  for (const auto& w : a.warnings) {
    CHECK_MESSAGE(mentions(w, f.part.string(), "extent #0: extent directory fails its CRC"), w);
  }
  auto v = s->verify();
  REQUIRE(v.ok());
  REQUIRE_MESSAGE(!v->empty(), "verify() found nothing");
  CHECK_MESSAGE(mentions(v->front(), f.part.string() + ": block #0: extent #0",
                         "directory fails its CRC"),
                "verify:" << joined(*v));
  auto rest = run(*s, later_hours());
  CHECK(rest.events.size() == total - per_hour);
  CHECK_MESSAGE(rest.warnings.empty(), "warnings:" << joined(rest.warnings));
}

TEST_CASE(
    "corruption: a damaged block summary is reported and the other partitions stay readable") {
  fixture f;
  f.rewrite("bsum", damaged_block, "junk");
  auto s = store::open(f.opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  auto a = run(*s);
  CHECK(a.events.size() >= total - per_hour);
  CHECK_MESSAGE(std::any_of(a.warnings.begin(), a.warnings.end(),
                            [&](const std::string& w) {
                              return mentions(w, f.part.string(), "summary of block #2");
                            }),
                "warnings:" << joined(a.warnings));
  auto v = s->verify();
  REQUIRE(v.ok());
  CHECK_MESSAGE(std::any_of(v->begin(), v->end(),
                            [&](const std::string& p) {
                              return mentions(p, f.part.string(), "summary of block #2");
                            }),
                "verify:" << joined(*v));
  auto rest = run(*s, later_hours());
  CHECK(rest.events.size() == total - per_hour);
  CHECK(rest.warnings.empty());
}

TEST_CASE("corruption: a partition whose info record is damaged is reported by directory") {
  fixture f;
  // "blocks=6" becomes "blocks=x" in every copy of the record.
  auto copies =
      f.patch_file("\nblocks=", [](std::string& bytes, std::size_t at) { bytes[at + 8] = 'x'; });
  REQUIRE(copies >= 1);
  auto s = store::open(f.opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  auto problems = s->stats().problems;
  REQUIRE(problems.size() == 1);
  CHECK(mentions(problems[0], f.part.string(), "'blocks'"));
  // The damaged partition is left in place for repair, the others answer.
  CHECK(std::filesystem::exists(f.data_file()));
  auto a = run(*s);
  CHECK(a.events.size() == total - per_hour);
  CHECK(a.warnings.empty());
  auto v = s->verify();
  REQUIRE(v.ok());
  // Ingest goes on.
  REQUIRE(s->append(std::vector{conn(epoch + 4 * 3600 * sec, 1, 1, 80, total)}).ok());
  REQUIRE(s->commit().ok());
}

TEST_CASE("corruption: a damaged FORMAT file is refused with an error naming it") {
  fixture f;
  const auto format = f.opts.root / "FORMAT";
  auto write = [&](const std::string& text) {
    std::ofstream out(format, std::ios::binary | std::ios::trunc);
    out << text;
  };
  struct damage {
    std::string name;
    std::string text;
  };
  const damage cases[] = {
      {"empty", ""},
      {"garbage", std::string("\x7f\x01\xfe garbage\n\0\0", 14)},
      {"wrong magic", "coop-timemachinE\nformat 3\n"},
      {"no second line", "coop-timemachine\n"},
      {"no version", "coop-timemachine\nformat\n"},
      {"unreadable version", "coop-timemachine\nformat one\n"},
  };
  for (const auto& d : cases) {
    CAPTURE(d.name);
    write(d.text);
    auto s = store::open(f.opts, catalogue());
    REQUIRE_FALSE(s.ok());
    CHECK(s.err().code == model::errc::corruption);
    CHECK_MESSAGE(mentions(s.err().message, format.string()), s.err().message);
  }
  write("coop-timemachine\nformat 3\n");
  auto s = store::open(f.opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  CHECK(run(*s).events.size() == total);
}

namespace {

// What a child that opens a damaged store found (its exit code).
enum child_result : int {
  child_ok = 0,
  child_open_failed = 2,
  child_query_failed = 3,
  child_rest_incomplete = 4,
  child_verify_failed = 5,
};

// In a forked child (the damage may crash the process): opens the store,
// reads everything, counts and verifies, and checks that the undamaged
// partitions answer in full. Returns the wait status.
int probe_in_child(const fixture& f) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto s = store::open(f.opts, catalogue());
    if (!s) ::_exit(child_open_failed);
    auto c = s->query({});
    if (!c) ::_exit(child_query_failed);
    for (;;) {
      auto e = c->next();
      if (!e) ::_exit(child_query_failed);
      if (*e == nullptr) break;
    }
    if (!s->count({})) ::_exit(child_query_failed);
    auto rest = s->query(later_hours());
    if (!rest) ::_exit(child_query_failed);
    std::size_t n = 0;
    for (;;) {
      auto e = rest->next();
      if (!e) ::_exit(child_query_failed);
      if (*e == nullptr) break;
      ++n;
    }
    if (n != total - per_hour) ::_exit(child_rest_incomplete);
    if (!s->verify()) ::_exit(child_verify_failed);
    ::_exit(child_ok);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit code " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

TEST_CASE("corruption: a byte flipped in any page of a partition file never crashes the store") {
  std::uintmax_t size = 0;
  {
    fixture f;
    size = std::filesystem::file_size(f.data_file());
  }
  constexpr std::uintmax_t page = 4096;
  REQUIRE(size >= 4 * page);
  for (std::uintmax_t p = 0; p < size / page; ++p) {
    // A different place in each page: headers, node tables, keys, values.
    const std::uintmax_t offset = p * page + (p * 1237 + 17) % page;
    CAPTURE(offset);
    fixture f;
    {
      std::fstream io(f.data_file(), std::ios::in | std::ios::out | std::ios::binary);
      io.seekg(static_cast<std::streamoff>(offset));
      char c = 0;
      io.read(&c, 1);
      io.seekp(static_cast<std::streamoff>(offset));
      io.put(static_cast<char>(c ^ 0x5A));
      REQUIRE(io.good());
    }
    int status = probe_in_child(f);
    CHECK_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == child_ok), describe(status));
  }
}

TEST_CASE("corruption: a partition file cut short is reported and does not crash the store") {
  fixture f;
  std::filesystem::resize_file(f.data_file(), std::filesystem::file_size(f.data_file()) / 2);
  int status = probe_in_child(f);
  REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == child_ok), describe(status));
  auto s = store::open(f.opts, catalogue());
  REQUIRE(s.ok());
  auto problems = s->stats().problems;
  REQUIRE(problems.size() == 1);
  CHECK(mentions(problems[0], f.part.string()));
}
