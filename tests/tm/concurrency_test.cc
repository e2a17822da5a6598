// Ingest, queries and expiry at the same time on one store: readers never
// block the writer, every answer is consistent, nothing is lost.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

TEST_CASE("queries and expiry run while ingest goes on") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  opts.partition_span = model::interval::seconds(600);
  opts.commit_interval = model::interval::millis(20);  // the background committer too
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  REQUIRE(s->set_rules("tier default raw 1h\n"
                       "tier default hourly every 1h until forever key orig_h,resp_p "
                       "sum orig_bytes\n")
              .ok());
  constexpr int batches = 40;
  constexpr int per_batch = 200;
  std::atomic<bool> done{false};
  std::atomic<int> query_errors{0};
  std::atomic<int> queries{0};
  std::thread reader([&] {
    while (!done) {
      query_spec q;
      q.filter = "orig_h == 10.0.0.3";
      auto c = s->count(q);
      if (!c) ++query_errors;
      auto cur = s->query(q);
      if (!cur) {
        ++query_errors;
        continue;
      }
      std::int64_t last = std::numeric_limits<std::int64_t>::min();
      while (true) {
        auto e = cur->next();
        if (!e) {
          ++query_errors;
          break;
        }
        if (*e == nullptr) break;
        if ((*e)->ts.ns < last) ++query_errors;  // out of order
        last = (*e)->ts.ns;
      }
      ++queries;
    }
  });
  // Passes that began after the last commit: one of them sees every
  // partition that is due (however the threads were scheduled meanwhile).
  std::atomic<bool> ingest_over{false};
  std::atomic<int> passes_after{0};
  std::thread expirer([&] {
    while (!done) {
      const bool after = ingest_over;
      if (auto r = s->expire(); !r) ++query_errors;
      if (after) ++passes_after;
      std::this_thread::yield();
    }
  });
  std::uint64_t n = 0;
  for (int b = 0; b < batches; ++b) {
    std::vector<model::event> batch;
    for (int i = 0; i < per_batch; ++i, ++n) {
      batch.push_back(conn(epoch + static_cast<std::int64_t>(n) * 2 * sec,
                           static_cast<std::uint32_t>(n % 10), 1, 443, n));
    }
    REQUIRE(s->append(batch).ok());
    clock.set(model::timestamp{epoch + static_cast<std::int64_t>(n) * 2 * sec});
    if (b % 4 == 0) REQUIRE(s->commit().ok());
  }
  REQUIRE(s->commit().ok());
  ingest_over = true;
  for (int waited = 0; passes_after == 0 && waited < 600; ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  reader.join();
  expirer.join();
  REQUIRE(passes_after > 0);
  CHECK(query_errors == 0);
  CHECK(queries > 0);
  CHECK(s->committed() == batches);
  query_spec all_q;
  auto c = s->count(all_q);
  REQUIRE(c.ok());
  CHECK(c->events == batches * per_batch);
  std::uint64_t hourly_rows = 0;
  for (const auto& cl : s->stats().classes) {
    for (const auto& t : cl.tiers) {
      if (t.tier == "hourly") hourly_rows += t.rows;
    }
  }
  CHECK(hourly_rows > 0);  // expiry folded data, beside ingest and queries
  auto v = s->verify();
  REQUIRE(v.ok());
  CHECK(v->empty());
}
