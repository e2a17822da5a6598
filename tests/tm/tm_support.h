// Helpers shared by the libtimemachine tests: a temporary directory removed
// at the end of the test, the catalogue registry, a fake clock and
// connection events built from a few numbers.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <string>

#include "coop/model/catalogue.h"
#include "coop/model/codec.h"
#include "coop/model/event.h"
#include "coop/model/schema.h"
#include "block/endian.h"
#include "coop/tm/store.h"
#include "lmdb/lmdb.h"

namespace coop::tm::testing {

/// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            ("coop-tm-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The standard catalogue.
inline const model::registry& catalogue() {
  static const model::registry reg = [] {
    model::registry r;
    auto ok = model::add_catalogue(r);
    REQUIRE(ok.ok());
    return r;
  }();
  return reg;
}

/// A clock the test sets.
class fake_clock final : public model::clock {
 public:
  explicit fake_clock(std::int64_t ns = 0) : now_(ns) {}
  [[nodiscard]] model::timestamp now() const override { return model::timestamp{now_.load()}; }
  void set(model::timestamp t) { now_ = t.ns; }
  void advance(model::interval i) { now_ += i.ns; }

 private:
  std::atomic<std::int64_t> now_;
};

inline constexpr std::int64_t sec = 1'000'000'000;
/// 2026-01-01T00:00:00Z
inline constexpr std::int64_t epoch = 1767225600LL * sec;

/// A connection_end from host 10.0.(h/256).(h%256) to server 192.168.0.(s)
/// port p/tcp at `ts`, with id lo = `n` and uid "C<n>".
inline model::event conn(std::int64_t ts, std::uint32_t h, std::uint32_t s, std::uint16_t p,
                         std::uint64_t n, std::uint64_t bytes = 100) {
  model::event e(catalogue().find(model::catalogue::connection_end));
  e.ts = model::timestamp{ts};
  e.id = model::event_id{7, n};
  e.uid = "C" + std::to_string(n);
  e.from = {"site-a", "sensor-1"};
  (void)e.set("orig_h", model::address::v4(0x0a000000u + h));
  (void)e.set("orig_p", model::port{static_cast<std::uint16_t>(40000 + n % 20000),
                                    model::transport::tcp});
  (void)e.set("resp_h", model::address::v4(0xc0a80000u + s));
  (void)e.set("resp_p", model::port{p, model::transport::tcp});
  (void)e.set("orig_bytes", bytes);
  (void)e.set("resp_bytes", bytes * 3);
  (void)e.set("orig_pkts", std::uint64_t{3});
  (void)e.set("resp_pkts", std::uint64_t{4});
  (void)e.set("conn_state", "SF");
  (void)e.set("ip_proto", std::uint64_t{6});
  REQUIRE(e.validate().ok());
  return e;
}

/// Appends `e` encoded to `payload` as a stored block's record: its length
/// (u32 little-endian), then the event message.
inline void add_record(std::string& payload, const model::event& e) {
  auto bytes = model::encode(e);
  REQUIRE_MESSAGE(bytes.ok(), (bytes.ok() ? "" : bytes.err().message));
  const auto n = static_cast<std::uint32_t>(bytes->size());
  for (int i = 0; i < 4; ++i) payload.push_back(static_cast<char>((n >> (8 * i)) & 0xffu));
  payload += *bytes;
}

/// The payload of a block of `records` connection events to port 443
/// (record i: conn(epoch + i s, i % 37, 1 + i % 7, 443, i)).
inline std::string conn_payload(std::uint32_t records) {
  std::string p;
  for (std::uint32_t i = 0; i < records; ++i) {
    add_record(p, conn(epoch + i * sec, i % 37, 1 + i % 7, 443, i));
  }
  return p;
}

/// Options for a test store in `dir`: no background threads, small
/// partitions, fake clock.
inline store_options test_options(const std::filesystem::path& dir, const model::clock* clock) {
  store_options o;
  o.root = dir / "store";
  o.commit_interval = {};
  o.clock = clock;
  o.block_events = 64;
  o.partition_max_bytes = 64u << 20;
  o.partition_map_bytes = 256u << 20;
  return o;
}

/// Every event a query returns.
inline std::vector<model::event> all(const store& s, query_spec q = {}) {
  auto c = s.query(q);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  std::vector<model::event> out;
  for (;;) {
    auto e = c->next();
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.err().message));
    if (*e == nullptr) break;
    out.push_back(**e);
  }
  return out;
}

/// A new store with `opts` holding `events`, appended and committed
/// `batch` at a time.
inline store store_with(const store_options& opts, const std::vector<model::event>& events,
                        std::size_t batch) {
  auto st = store::create(opts, catalogue());
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.err().message));
  for (std::size_t i = 0; i < events.size(); i += batch) {
    std::vector<model::event> part(
        events.begin() + static_cast<long>(i),
        events.begin() + static_cast<long>(std::min(events.size(), i + batch)));
    REQUIRE(st->append(part).ok());
    REQUIRE(st->commit().ok());
  }
  return std::move(st.value());
}

/// Calls change(value) on the `blocks` value stored under number `key` in
/// the partition directory `part` (a block, or the extent starting there)
/// and writes it back: how tests damage stored blocks in place.
template <class F>
void edit_stored_block(const std::filesystem::path& part, std::uint64_t map_bytes,
                       std::uint32_t key, F change) {
  auto env = lmdb::env::open(part, {.map_size = map_bytes});
  REQUIRE(env.ok());
  auto t = lmdb::txn::begin(*env, true);
  REQUIRE(t.ok());
  auto dbi = t->open_db("blocks", 0);
  REQUIRE(dbi.ok());
  std::string k;
  detail::put_be32(k, key);
  auto stored = t->get(*dbi, k);
  REQUIRE(stored.ok());
  std::string value(*stored);
  change(value);
  REQUIRE(t->put(*dbi, k, value).ok());
  REQUIRE(t->commit().ok());
}

}  // namespace coop::tm::testing
