// Aggregation-based expiry: tiers by age, budgets, pins, interruption, and
// queries that say which resolution answered.
#include <doctest/doctest.h>

#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

constexpr const char* tiers =
    "class connections types connection_end\n"
    "tier connections raw 1d\n"
    "tier connections hourly every 1h until 7d key orig_h,resp_h,resp_p,ip_proto "
    "sum orig_bytes,resp_bytes,orig_pkts,resp_pkts\n"
    "tier connections daily every 1d until 30d key orig_h,resp_p sum orig_bytes,resp_bytes\n";

// `days` days of connections, `per_hour` an hour, hosts 0..9 to servers 1..3.
std::vector<model::event> days_of(int days, int per_hour, std::uint64_t first_id = 0) {
  std::vector<model::event> out;
  std::uint64_t n = first_id;
  for (int h = 0; h < days * 24; ++h) {
    for (int i = 0; i < per_hour; ++i) {
      std::int64_t ts = epoch + h * 3600 * sec + i * (3600 / per_hour) * sec;
      out.push_back(conn(ts, static_cast<std::uint32_t>(i % 10), static_cast<std::uint32_t>(1 + i % 3),
                         443, n++, 1000));
    }
  }
  return out;
}

std::uint64_t total(const store& s, const std::string& filter = {}) {
  query_spec q;
  q.filter = filter;
  auto c = s.count(q);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  return c->events;
}

store make_store(const temp_dir& dir, const fake_clock& clock) {
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  auto r = s->set_rules(tiers);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
  return std::move(s.value());
}

// A store with the tiers and `days` days of `per_hour` connections, committed.
struct filled_store {
  store s;
  std::vector<model::event> events;
};
filled_store filled(const temp_dir& dir, const fake_clock& clock, int days, int per_hour) {
  filled_store f{make_store(dir, clock), days_of(days, per_hour)};
  REQUIRE(f.s.append(f.events).ok());
  REQUIRE(f.s.commit().ok());
  return f;
}

}  // namespace

TEST_CASE("old raw data is aggregated by tier, counts are preserved and answers say their resolution") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = make_store(dir, clock);
  auto events = days_of(3, 60);
  REQUIRE(s.append(events).ok());
  REQUIRE(s.commit().ok());
  // Start the next day's partition so the last one is sealed.
  clock.set(model::timestamp{epoch + 3 * 86400 * sec + 3600 * sec});
  std::vector<model::event> later{conn(clock.now().ns, 1, 1, 22, 999999)};
  REQUIRE(s.append(later).ok());
  REQUIRE(s.commit().ok());
  CHECK(total(s) == events.size() + 1);

  auto rep = s.expire();
  REQUIRE_MESSAGE(rep.ok(), (rep.ok() ? "" : rep.err().message));
  CHECK(rep->events_aggregated > 0);
  CHECK(rep->partitions_aggregated > 0);
  // Nothing lost, nothing counted twice.
  CHECK(total(s) == events.size() + 1);
  CHECK(total(s, "orig_h == 10.0.0.3") == 3 * 24 * 6);

  // Byte sums survive aggregation.
  query_spec q;
  q.filter = "orig_h == 10.0.0.3";
  q.range.to = model::timestamp{epoch + 86400 * sec};
  auto c = s.query(q);
  REQUIRE(c.ok());
  std::uint64_t bytes = 0, rows = 0;
  while (true) {
    auto e = c->next();
    REQUIRE(e.ok());
    if (*e == nullptr) break;
    CHECK(c->current_resolution().tier == "hourly");
    bytes += *(*e)->get("orig_bytes")->get_if<std::uint64_t>();
    ++rows;
  }
  CHECK(rows == 24 * 3);  // one row per hour and server (host 3 talks to all three)
  CHECK(bytes == 24 * 6 * 1000);

  // A field the hourly tier dropped: the raw resolution answers, the
  // aggregates are skipped with a warning naming the field.
  query_spec q2;
  q2.filter = "conn_state == \"SF\"";
  auto c2 = s.query(q2);
  REQUIRE(c2.ok());
  bool warned = false;
  for (const auto& w : c2->warnings()) warned |= w.find("conn_state") != std::string::npos;
  CHECK(warned);

  // Later: hourly rows roll into daily ones, still the same total.
  clock.set(model::timestamp{epoch + 9 * 86400 * sec});
  auto rep2 = s.expire();
  REQUIRE(rep2.ok());
  CHECK(total(s) == events.size() + 1);
  auto st = s.stats();
  bool has_daily = false;
  for (const auto& cl : st.classes) {
    for (const auto& t : cl.tiers) has_daily |= t.tier == "daily" && t.rows > 0;
  }
  CHECK(has_daily);

  // After the last tier, data is dropped.
  clock.set(model::timestamp{epoch + 60 * 86400 * sec});
  REQUIRE(s.expire().ok());
  CHECK(total(s) <= 1);
}

TEST_CASE("a daily tier keeps a week per partition, so a budget drops a week at a time") {
  // 21 days rolled into the daily tier: three weekly partitions (at most
  // four with the calendar), where one 24-day window once held them all
  // and a budget had to drop the three weeks together.
  temp_dir dir;
  fake_clock clock(epoch);
  auto [s, events] = filled(dir, clock, 21, 6);
  clock.set(model::timestamp{epoch + 29 * 86400 * sec});
  REQUIRE(s.expire().ok());
  CHECK(total(s) == events.size());
  std::uint64_t daily_partitions = 0, daily_rows = 0;
  for (const auto& cl : s.stats().classes) {
    for (const auto& t : cl.tiers) {
      if (t.tier != "daily") continue;
      daily_partitions += t.partitions;
      daily_rows += t.rows;
    }
  }
  CHECK(daily_rows >= 21 * 6);  // at least a row per day and host (hosts 0..5 here)
  CHECK(daily_partitions >= 3);
  CHECK(daily_partitions <= 4);
}

TEST_CASE("pinned hosts stay raw through expiry until unpinned") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = make_store(dir, clock);
  auto events = days_of(2, 30);
  REQUIRE(s.append(events).ok());
  REQUIRE(s.commit().ok());
  auto p = s.add_pin(pin{0, model::subnet::parse("10.0.0.4/32").value(), {}, "incident 42"});
  REQUIRE(p.ok());
  CHECK(s.pins().size() == 1);
  clock.set(model::timestamp{epoch + 5 * 86400 * sec});
  std::vector<model::event> later{conn(clock.now().ns, 1, 1, 22, 999999)};
  REQUIRE(s.append(later).ok());
  REQUIRE(s.commit().ok());
  auto rep = s.expire();
  REQUIRE(rep.ok());
  CHECK(rep->events_pinned == 2 * 24 * 3);
  // The pinned host's events are all still raw, with their uids.
  query_spec q;
  q.filter = "orig_h == 10.0.0.4 && conn_state == \"SF\"";
  auto got = all(s, q);
  CHECK(got.size() == 2 * 24 * 3);
  CHECK(total(s) == events.size() + 1);
  // Unpinned, the next pass folds them too.
  REQUIRE(s.remove_pin(p->id).ok());
  CHECK_FALSE(s.remove_pin(p->id).ok());
  REQUIRE(s.expire().ok());
  CHECK(all(s, q).empty());
  CHECK(total(s) == events.size() + 1);
}

TEST_CASE("a budget aggregates the oldest data early, then drops it") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  auto s = store::create(opts, catalogue());
  REQUIRE(s.ok());
  REQUIRE(s->set_rules(tiers).ok());
  auto events = days_of(4, 120);
  REQUIRE(s->append(events).ok());
  REQUIRE(s->commit().ok());
  auto before = s->stats().bytes;
  // Reopen with a budget of half the size.
  s = model::result<store>(model::error{model::errc::ok, ""});
  opts.disk_budget_bytes = before / 2;
  auto s2 = store::open(opts, catalogue());
  REQUIRE(s2.ok());
  auto rep = s2->expire();
  REQUIRE_MESSAGE(rep.ok(), (rep.ok() ? "" : rep.err().message));
  MESSAGE("budget " << opts.disk_budget_bytes << " before " << before << " after " << s2->stats().bytes);
  auto st = s2->stats();
  CHECK(st.bytes <= opts.disk_budget_bytes + opts.partition_max_bytes);
  CHECK(rep->partitions_aggregated > 0);
  // The newest data is still raw.
  query_spec q;
  q.filter = "conn_state == \"SF\"";
  q.range.from = model::timestamp{epoch + 3 * 86400 * sec + 23 * 3600 * sec};
  CHECK(!all(*s2, q).empty());
}

TEST_CASE("an interrupted expiry pass can be repeated without loss or double counting") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto [s, events] = filled(dir, clock, 3, 40);
  clock.set(model::timestamp{epoch + 10 * 86400 * sec});
  std::atomic<bool> stop{true};
  auto rep = s.expire(&stop);
  REQUIRE(rep.ok());
  CHECK(rep->interrupted);
  CHECK(total(s) == events.size());
  stop = false;
  REQUIRE(s.expire(&stop).ok());
  CHECK(total(s) == events.size());
  REQUIRE(s.expire().ok());
  CHECK(total(s) == events.size());
}
