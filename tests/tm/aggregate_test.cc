// Tests of libtimemachine/src/aggregate: aggregate schemas, row keys, the
// aggregator and merge_rows, on the standard catalogue's connection_end.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "aggregate/aggregate.h"
#include "aggregate/key.h"
#include "coop/model/catalogue.h"
#include "coop/model/filter.h"

namespace {

using namespace coop;
using coop::tm::detail::aggregator;
using coop::tm::tier;

constexpr std::int64_t hour_ns = 3600LL * 1'000'000'000;
constexpr std::int64_t day_ns = 24 * hour_ns;

tier hourly() {
  return {"hourly", {hour_ns}, {90 * day_ns},
          {"orig_h", "resp_h", "resp_p", "ip_proto", "proto"},  // connection_end has no proto
          {"orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts", "duration"}};
}

tier daily() {
  return {"daily", {day_ns}, {730 * day_ns}, {"orig_h", "resp_p"},
          {"orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts", "duration"}};
}

model::registry catalogue() {
  model::registry r;
  REQUIRE(model::add_catalogue(r).ok());
  return r;
}

std::uint64_t next(std::uint64_t& s) {  // splitmix64: reproducible inputs
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// `n` connection_end events over three days from `start`, few distinct
// hosts and ports, some fields unset, two sensors.
std::vector<model::event> connections(const model::registry& r, std::size_t n,
                                      std::int64_t start = 1'700'000'000LL * 1'000'000'000) {
  auto s = r.find(model::catalogue::connection_end);
  REQUIRE(s != nullptr);
  std::uint64_t seed = 42;
  const model::port ports[] = {{22, model::transport::tcp}, {80, model::transport::tcp},
                               {53, model::transport::udp}};
  std::vector<model::event> out;
  for (std::size_t i = 0; i < n; ++i) {
    model::event e(s);
    e.ts = {start + static_cast<std::int64_t>(next(seed) % (3 * day_ns))};
    e.from = {"site.example", i % 7 == 0 ? "sensor-2" : "sensor-1"};
    e.uid = "C" + std::to_string(i);
    auto set = [&](const char* f, model::value v) { REQUIRE(e.set(f, std::move(v)).ok()); };
    set("orig_h", model::address::v4(0x0a000001u + static_cast<std::uint32_t>(next(seed) % 4)));
    set("orig_p", model::port{static_cast<std::uint16_t>(1024 + next(seed) % 60000),
                              model::transport::tcp});
    set("resp_h", model::address::v4(0xc0a80001u + static_cast<std::uint32_t>(next(seed) % 3)));
    set("resp_p", ports[next(seed) % 3]);
    if (next(seed) % 5 != 0) set("orig_bytes", next(seed) % 5000);
    set("resp_bytes", next(seed) % 100'000);
    set("orig_pkts", next(seed) % 50);
    set("duration", model::interval{static_cast<std::int64_t>(next(seed) % 10'000'000'000ULL)});
    set("conn_state", i % 2 == 0 ? "SF" : "S0");
    if (next(seed) % 3 != 0) set("ip_proto", std::uint64_t{6});
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<model::event> aggregate(const std::vector<model::event>& in, const tier& t,
                                    model::registry& types) {
  aggregator a(t, types);
  for (const auto& e : in) REQUIRE(a.add(e).ok());
  return a.take();
}

const model::value& field(const model::event& e, const char* name) {
  const auto* v = e.get(name);
  REQUIRE(v != nullptr);
  return *v;
}

std::uint64_t count_or_0(const model::value& v) {
  return v.is_none() ? 0 : v.get<std::uint64_t>();
}

// Rows by row_key, merged with merge_rows where two share a key.
std::vector<model::event> merge_by_key(std::vector<model::event> rows, const tier& t) {
  std::map<std::string, model::event> by_key;
  for (auto& r : rows) {
    auto key = tm::detail::row_key(r, t);
    auto [it, fresh] = by_key.try_emplace(key, r);
    if (!fresh) REQUIRE(tm::detail::merge_rows(it->second, r, t).ok());
  }
  std::vector<model::event> out;
  for (auto& [k, r] : by_key) out.push_back(std::move(r));
  return out;
}

std::string encoded(const model::value& v) {
  std::string out;
  tm::detail::row_keys::append_value(out, v);
  return out;
}

}  // namespace

TEST_CASE("aggregate_schema keeps the type's name and version, its keys and sums") {
  auto r = catalogue();
  auto s = tm::detail::aggregate_schema(*r.find("connection_end"), hourly());
  REQUIRE(s.ok());
  CHECK(s->name() == "connection_end");
  CHECK(s->version() == model::catalogue::version);
  CHECK(s->doc() == "hourly aggregate of connection_end");
  std::vector<std::string> names;
  for (const auto& f : s->fields()) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"events", "first_seen", "last_seen", "orig_h", "resp_h",
                                          "resp_p", "duration", "orig_bytes", "resp_bytes",
                                          "orig_pkts", "resp_pkts", "ip_proto"});
  CHECK_FALSE((*s)[0].optional);
  CHECK((*s)[0].ty.kind() == model::type_kind::count);
  CHECK((*s)[2].ty.kind() == model::type_kind::time);
  CHECK((*s)[3].optional);  // orig_h is required in connection_end, optional in rows
  CHECK((*s)[3].ty.kind() == model::type_kind::address);
  CHECK((*s)[6].ty.kind() == model::type_kind::interval);
  CHECK(tm::detail::is_aggregate_schema(*s));
  CHECK_FALSE(tm::detail::is_aggregate_schema(*r.find("connection_end")));
  model::registry tier_types;
  CHECK(tier_types.add(*s).ok());
}

TEST_CASE("aggregate_schema refuses tiers that cannot summarise the type") {
  auto r = catalogue();
  const auto& conn = *r.find("connection_end");
  auto fails = [&](tier t, const char* needle) {
    auto s = tm::detail::aggregate_schema(conn, t);
    REQUIRE_FALSE(s.ok());
    CHECK(s.err().code == model::errc::invalid_argument);
    CHECK(s.err().message.find(needle) != std::string::npos);
    CHECK(s.err().message.find("tier " + t.name + ", type connection_end") != std::string::npos);
  };
  auto t = hourly();
  t.sums.push_back("service");  // a string
  fails(t, "sum field service has type string");
  t = hourly();
  t.keys.push_back("tunnel_parents");  // a set
  fails(t, "key field tunnel_parents has type set[string]");
  t = hourly();
  t.keys.push_back("events");
  fails(t, "field events is reserved");
  t = hourly();
  t.keys.push_back("orig_bytes");  // also a sum
  fails(t, "field orig_bytes is named twice");
  t = hourly();
  t.bucket = {};
  fails(t, "bucket must be longer than 0");
}

TEST_CASE("rows count every event once and hold exact sums and seen times") {
  auto r = catalogue();
  const auto events = connections(r, 20'000);
  model::registry tier_types;
  const auto t = hourly();
  const auto rows = aggregate(events, t, tier_types);

  struct expected {
    std::uint64_t n = 0, orig_bytes = 0, resp_bytes = 0;
    std::int64_t duration = 0;
    model::timestamp first{std::numeric_limits<std::int64_t>::max()}, last{0};
    const model::event* sample = nullptr;
  };
  std::map<std::string, expected> want;
  for (const auto& e : events) {
    auto& x = want[tm::detail::row_key(e, t)];  // the key of the row it falls into
    ++x.n;
    x.orig_bytes += count_or_0(field(e, "orig_bytes"));
    x.resp_bytes += count_or_0(field(e, "resp_bytes"));
    x.duration += field(e, "duration").get<model::interval>().ns;
    x.first = std::min(x.first, e.ts);
    x.last = std::max(x.last, e.ts);
    x.sample = &e;
  }
  REQUIRE(rows.size() == want.size());
  CHECK(rows.size() < events.size() / 3);  // it did group
  std::uint64_t total = 0;
  std::string previous;
  for (const auto& row : rows) {
    const auto key = tm::detail::row_key(row, t);
    CHECK(previous < key);  // sorted, no duplicates
    previous = key;
    REQUIRE(want.count(key) == 1);
    const auto& x = want[key];
    total += field(row, "events").get<std::uint64_t>();
    CHECK(field(row, "events").get<std::uint64_t>() == x.n);
    CHECK(count_or_0(field(row, "orig_bytes")) == x.orig_bytes);
    CHECK(field(row, "resp_bytes").get<std::uint64_t>() == x.resp_bytes);
    CHECK(field(row, "duration").get<model::interval>().ns == x.duration);
    CHECK(field(row, "first_seen").get<model::timestamp>() == x.first);
    CHECK(field(row, "last_seen").get<model::timestamp>() == x.last);
    CHECK(row.ts.ns % hour_ns == 0);
    CHECK(row.ts <= x.first);
    CHECK(x.last.ns < row.ts.ns + hour_ns);
    for (const char* k : {"orig_h", "resp_h", "resp_p", "ip_proto"}) {
      CHECK(field(row, k) == field(*x.sample, k));
    }
    CHECK(row.uid.empty());
    CHECK(row.from.site == "site.example");
    CHECK(row.get("conn_state") == nullptr);
    CHECK(row.validate().ok());
    CHECK(row.id == tm::detail::row_id(t, key));
  }
  CHECK(total == events.size());
}

TEST_CASE("aggregating raw events into daily rows equals aggregating hourly rows into them") {
  auto r = catalogue();
  const auto events = connections(r, 20'000);
  model::registry hourly_types, daily_direct, daily_via;
  const auto direct = aggregate(events, daily(), daily_direct);
  const auto hours = aggregate(events, hourly(), hourly_types);
  const auto via = aggregate(hours, daily(), daily_via);
  REQUIRE(direct.size() == via.size());
  CHECK(direct.size() < hours.size());
  for (std::size_t i = 0; i < direct.size(); ++i) {
    CHECK(direct[i] == via[i]);
    CHECK(direct[i].type() == via[i].type());
    CHECK(direct[i].from == via[i].from);
  }
  CHECK(daily_direct.find("connection_end")->doc() == "daily aggregate of connection_end");
}

TEST_CASE("aggregating two parts and merging rows by key equals aggregating the whole") {
  auto r = catalogue();
  const auto events = connections(r, 20'000);
  const auto t = hourly();
  model::registry whole_types, part_types;
  const auto whole = aggregate(events, t, whole_types);

  SUBCASE("halves, merged with merge_rows") {
    const std::vector<model::event> first(events.begin(), events.begin() + 7'000);
    const std::vector<model::event> second(events.begin() + 7'000, events.end());
    auto rows = aggregate(first, t, part_types);
    auto more = aggregate(second, t, part_types);
    rows.insert(rows.end(), more.begin(), more.end());
    CHECK(merge_by_key(rows, t) == whole);
  }
  SUBCASE("odd and even events, rows fed back into an aggregator of the same tier") {
    std::vector<model::event> odd, even;
    for (std::size_t i = 0; i < events.size(); ++i) (i % 2 ? odd : even).push_back(events[i]);
    aggregator again(t, part_types);
    for (const auto* part : {&odd, &even}) {
      for (const auto& row : aggregate(*part, t, part_types)) REQUIRE(again.add(row).ok());
    }
    CHECK(again.take() == whole);
  }
  SUBCASE("aggregating again gives the same rows and ids") {
    CHECK(aggregate(events, t, part_types) == whole);
  }
}

TEST_CASE("row origin keeps only the site and sensor every event shares") {
  auto r = catalogue();
  auto events = connections(r, 2);
  for (auto& e : events) {
    REQUIRE(e.set("orig_h", model::address::v4(0x0a000001u)).ok());
    REQUIRE(e.set("resp_h", model::address::v4(0x0a000002u)).ok());
    REQUIRE(e.set("resp_p", model::port{80, model::transport::tcp}).ok());
    e.ts = {0};
  }
  events[0].from = {"a.example", "s1"};
  events[1].from = {"a.example", "s2"};
  model::registry types;
  const auto rows = aggregate(events, daily(), types);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].from == model::origin{"a.example", ""});
  CHECK(field(rows[0], "events").get<std::uint64_t>() == 2);
}

TEST_CASE("filters compiled against a tier's registry run on its rows") {
  auto r = catalogue();
  const auto events = connections(r, 20'000);
  model::registry types;
  const auto rows = aggregate(events, hourly(), types);
  auto f = model::filter::compile("orig_h == 10.0.0.1 && orig_bytes > 1000", types);
  REQUIRE(f.ok());
  const auto host = *model::address::parse("10.0.0.1");
  std::size_t matched = 0, expected = 0;
  for (const auto& row : rows) {
    matched += f->matches(row, {}) ? 1 : 0;
    expected += field(row, "orig_h") == model::value(host) &&
                count_or_0(field(row, "orig_bytes")) > 1000;
  }
  CHECK(matched == expected);
  CHECK(matched > 0);
  CHECK(matched < rows.size());

  auto dropped = model::filter::compile("conn_state == \"SF\"", types);
  REQUIRE_FALSE(dropped.ok());
  CHECK(dropped.err().code == model::errc::not_found);
  CHECK(dropped.err().message.find("conn_state") != std::string::npos);
  CHECK(model::filter::compile("conn_state == \"SF\"", r).ok());  // the raw type has it
}

TEST_CASE("buckets floor times before 1970 and keys sort by time") {
  using tm::detail::bucket_start;
  CHECK(bucket_start({-1}, {hour_ns})->ns == -hour_ns);
  CHECK(bucket_start({-hour_ns}, {hour_ns})->ns == -hour_ns);
  CHECK(bucket_start({hour_ns - 1}, {hour_ns})->ns == 0);
  CHECK(bucket_start({hour_ns + 5}, {hour_ns})->ns == hour_ns);
  CHECK_FALSE(bucket_start({std::numeric_limits<std::int64_t>::min()}, {day_ns}).has_value());

  auto r = catalogue();
  auto events = connections(r, 3, 0);
  events[0].ts = {-1};
  events[1].ts = {0};
  events[2].ts = {-day_ns - 1};
  model::registry types;
  const auto rows = aggregate(events, hourly(), types);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].ts.ns == -day_ns - hour_ns);
  CHECK(rows[1].ts.ns == -hour_ns);
  CHECK(rows[2].ts.ns == 0);

  model::registry daily_types;  // one registry per tier: the schemas share names
  aggregator a(daily(), daily_types);
  events[0].ts = {std::numeric_limits<std::int64_t>::min()};
  auto bad = a.add(events[0]);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code == model::errc::invalid_argument);
  CHECK(bad.err().message.find("no bucket start") != std::string::npos);
  CHECK(a.size() == 0);
}

TEST_CASE("the key encoding orders values as model::value does") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<model::value> values = {
      model::value{}, true, false, std::uint64_t{0}, std::uint64_t{255}, std::uint64_t{256},
      std::int64_t{-5}, std::int64_t{-1}, std::int64_t{0}, std::int64_t{7}, -inf, -1.5, -0.0, 0.0,
      2.5, inf, std::nan(""), -std::nan(""), "", "a", std::string("a\0", 2), "ab", "b",
      model::bytes{"\x01"}, *model::address::parse("10.0.0.1"), *model::address::parse("::1"),
      *model::address::parse("2001:db8::1"), *model::subnet::parse("10.0.0.0/8"),
      *model::subnet::parse("10.0.0.0/16"), model::port{80, model::transport::tcp},
      model::port{80, model::transport::udp}, model::port{443, model::transport::tcp},
      model::timestamp{-3}, model::timestamp{4}, model::interval{-9}, model::interval{9},
      model::enum_value{"ADDR"}, model::enum_value{"DOMAIN"}};
  for (const auto& a : values) {
    for (const auto& b : values) {
      CAPTURE(a.to_string());
      CAPTURE(b.to_string());
      CHECK(((a <=> b) < 0) == (encoded(a) < encoded(b)));
      CHECK((a == b) == (encoded(a) == encoded(b)));
    }
  }
}

namespace {

// A small type with an int sum, to reach the overflow paths.
model::registry counters() {
  model::registry r;
  REQUIRE(r.add(model::schema("counter", 1,
                              {{"k", model::type(model::type_kind::string), true, {}, "key"},
                               {"n", model::type(model::type_kind::integer), true, {}, "int"},
                               {"c", model::type(model::type_kind::count), true, {}, "count"}}))
              .ok());
  return r;
}

model::event counter(const model::registry& r, std::int64_t n, std::uint64_t c) {
  model::event e(r.find("counter"));
  REQUIRE(e.set("k", "x").ok());
  REQUIRE(e.set("n", n).ok());
  REQUIRE(e.set("c", c).ok());
  return e;
}

}  // namespace

TEST_CASE("count sums saturate and int sums refuse to overflow, leaving rows unchanged") {
  const auto r = counters();
  const tier t{"hourly", {hour_ns}, {}, {"k"}, {"n", "c"}};
  model::registry types;
  aggregator a(t, types);
  const auto max_c = std::numeric_limits<std::uint64_t>::max();
  const auto max_n = std::numeric_limits<std::int64_t>::max();
  REQUIRE(a.add(counter(r, max_n - 1, max_c)).ok());
  REQUIRE(a.add(counter(r, 1, 2)).ok());
  auto overflow = a.add(counter(r, 1, 1));
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.err().code == model::errc::overloaded);
  CHECK(overflow.err().message == "tier hourly, type counter: field n: the sum overflows 64 bits");
  auto rows = a.take();
  REQUIRE(rows.size() == 1);
  CHECK(field(rows[0], "events").get<std::uint64_t>() == 2);  // the failed add left no trace
  CHECK(field(rows[0], "n").get<std::int64_t>() == max_n);
  CHECK(field(rows[0], "c").get<std::uint64_t>() == max_c);

  auto wrong = counter(r, 1, 1);
  wrong.field(0) = std::uint64_t{3};  // bypasses event::set's type check
  auto bad = a.add(wrong);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message == "tier hourly, type counter: key field k holds a count, expected string");
  CHECK(a.size() == 0);

  auto plus_one = rows[0];
  plus_one.field(plus_one.type().index_of("n").value()) = std::int64_t{1};
  auto merged = rows[0];
  auto m = tm::detail::merge_rows(merged, plus_one, t);
  REQUIRE_FALSE(m.ok());
  CHECK(m.err().code == model::errc::overloaded);
  CHECK(merged == rows[0]);
}

TEST_CASE("merge_rows refuses rows of different keys, buckets or types") {
  auto r = catalogue();
  model::registry types;
  const auto t = daily();
  auto rows = aggregate(connections(r, 500), t, types);
  REQUIRE(rows.size() > 2);
  auto a = rows[0];
  const auto before = a;

  auto other_key = rows[0];
  REQUIRE(other_key.set("orig_h", *model::address::parse("10.9.9.9")).ok());
  auto e = tm::detail::merge_rows(a, other_key, t);
  REQUIRE_FALSE(e.ok());
  CHECK(e.err().code == model::errc::invalid_argument);
  CHECK(e.err().message.find("key field orig_h differs (10.0.0.1, 10.9.9.9)") != std::string::npos);

  auto other_bucket = rows[0];
  other_bucket.ts = other_bucket.ts + model::interval{day_ns};
  CHECK_FALSE(tm::detail::merge_rows(a, other_bucket, t).ok());

  auto raw = connections(r, 1)[0];
  e = tm::detail::merge_rows(a, raw, t);
  REQUIRE_FALSE(e.ok());
  CHECK(e.err().message.find("not an aggregate row") != std::string::npos);
  CHECK(a == before);

  auto twice = a;
  REQUIRE(tm::detail::merge_rows(twice, a, t).ok());
  CHECK(field(twice, "events").get<std::uint64_t>() == 2 * field(a, "events").get<std::uint64_t>());
  CHECK(field(twice, "first_seen") == field(a, "first_seen"));
  CHECK(twice.id == a.id);
}

TEST_CASE("row ids depend on the tier and the key only") {
  const auto t = hourly();
  auto other = t;
  other.name = "hourly2";
  CHECK(tm::detail::row_id(t, "k") == tm::detail::row_id(t, "k"));
  CHECK_FALSE(tm::detail::row_id(t, "k") == tm::detail::row_id(t, "l"));
  CHECK_FALSE(tm::detail::row_id(t, "k") == tm::detail::row_id(other, "k"));
}
