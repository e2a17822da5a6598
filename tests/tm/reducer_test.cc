// The volume reducer (libtimemachine/src/rules/reducer.cc): first-match rule
// evaluation, deterministic sampling, rate caps over windows of event time,
// projection, per-rule counters and the per-connection packet cut-off with
// its bounded connection table (checked against a reference LRU model).
#include <doctest/doctest.h>

#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include "coop/model/catalogue.h"
#include "coop/model/event.h"
#include "coop/tm/rules.h"
#include "rules/connection_table.h"
#include "rules/reducer.h"

using namespace coop;
using coop::tm::rule_set;
using coop::tm::detail::connection_table;
using coop::tm::detail::reducer;

namespace {

const model::registry& types() {
  static const model::registry reg = [] {
    model::registry r;
    if (!model::add_catalogue(r)) throw std::runtime_error("catalogue");
    return r;
  }();
  return reg;
}

rule_set rules(std::string_view text) {
  auto r = rule_set::parse(text, types());
  if (!r) FAIL(r.err().message);
  return std::move(r).value();
}

constexpr std::int64_t sec = 1'000'000'000;
constexpr std::int64_t t0 = 1'700'000'000 * sec;

model::event make(std::string_view type, std::int64_t ts_ns = t0) {
  model::event e(types().find(type));
  e.ts = model::timestamp{ts_ns};
  return e;
}

model::event dns_request(std::string_view query, std::int64_t ts_ns = t0) {
  model::event e = make(model::catalogue::dns_request, ts_ns);
  REQUIRE(e.set("orig_h", model::address::parse("10.0.0.1").value()));
  REQUIRE(e.set("query", query));
  return e;
}

model::event packet(std::string_view src, std::uint16_t sport, std::string_view dst,
                    std::uint16_t dport, std::uint64_t caplen) {
  model::event e = make(model::catalogue::packet);
  REQUIRE(e.set("link_type", 1));
  REQUIRE(e.set("caplen", caplen));
  REQUIRE(e.set("wirelen", caplen));
  REQUIRE(e.set("data", model::bytes{std::string(caplen, 'x')}));
  if (!src.empty()) {
    REQUIRE(e.set("orig_h", model::address::parse(src).value()));
    REQUIRE(e.set("orig_p", model::port{sport, model::transport::tcp}));
    REQUIRE(e.set("resp_h", model::address::parse(dst).value()));
    REQUIRE(e.set("resp_p", model::port{dport, model::transport::tcp}));
  }
  return e;
}

bool kept(reducer& r, model::event e) { return r.apply(e) == reducer::verdict::keep; }

}  // namespace

TEST_CASE("without rules every event is kept and nothing is modified") {
  reducer r{rule_set()};
  model::event e = dns_request("example.org");
  const model::event before = e;
  CHECK(r.apply(e) == reducer::verdict::keep);
  CHECK(e == before);
  CHECK(r.counters().empty());
  CHECK(r.cutoff_dropped() == 0);
  CHECK(r.rules().classes().size() == 1);
}

TEST_CASE("the first matching rule decides and unmatched events are kept") {
  reducer r(
      rules("keep type == dns_request && query == \"keep.me\"\n"
            "drop type == dns_request\n"
            "drop type == notice\n"));
  CHECK(kept(r, dns_request("keep.me")));
  CHECK_FALSE(kept(r, dns_request("other.org")));
  CHECK_FALSE(kept(r, dns_request("third.org")));
  CHECK(kept(r, make(model::catalogue::http_request)));  // no rule matches
  const auto c = r.counters();
  REQUIRE(c.size() == 3);
  CHECK(c[0].line == 1);
  CHECK(c[0].matched == 1);
  CHECK(c[0].dropped == 0);
  CHECK(c[1].line == 2);
  CHECK(c[1].matched == 2);
  CHECK(c[1].dropped == 2);
  CHECK(c[2].matched == 0);
}

TEST_CASE("drop uses the filter's fields, as in the PTR example") {
  reducer r(rules("drop type == dns_reply && qtype_name == \"PTR\"\n"));
  model::event ptr = make(model::catalogue::dns_reply);
  REQUIRE(ptr.set("orig_h", model::address::parse("10.0.0.1").value()));
  REQUIRE(ptr.set("qtype_name", "PTR"));
  model::event a = ptr;
  REQUIRE(a.set("qtype_name", "A"));
  CHECK_FALSE(kept(r, ptr));
  CHECK(kept(r, a));
}

TEST_CASE("sample keeps the 1st, 11th, 21st ... matching event, deterministically") {
  for (int run = 0; run < 2; ++run) {
    reducer r(rules("sample 10 type == dns_request\n"));
    std::vector<int> kept_at;
    for (int i = 0; i < 25; ++i) {
      if (kept(r, dns_request("q" + std::to_string(i)))) kept_at.push_back(i);
      // Events the rule does not match do not advance its count.
      CHECK(kept(r, make(model::catalogue::notice)));
    }
    CHECK(kept_at == std::vector<int>{0, 10, 20});
    CHECK(r.counters()[0].matched == 25);
    CHECK(r.counters()[0].dropped == 22);
  }
}

TEST_CASE("rate caps count per second of event time and reset in each new second") {
  reducer r(rules("rate 3/s type == dns_request\n"));
  auto at = [&](std::int64_t ns) { return kept(r, dns_request("x", ns)); };
  // Five events in the first second: three kept.
  CHECK(at(t0 + 100'000'000));
  CHECK(at(t0 + 200'000'000));
  CHECK(at(t0 + 300'000'000));
  CHECK_FALSE(at(t0 + 400'000'000));
  CHECK_FALSE(at(t0 + 999'999'999));
  // The next second starts afresh, whatever the wall clock.
  CHECK(at(t0 + sec));
  CHECK(at(t0 + sec + 1));
  // An event from an earlier second (out of order) counts against the
  // current one.
  CHECK(at(t0 + 500'000'000));
  CHECK_FALSE(at(t0 + sec + 2));
  // A gap of several seconds opens a new window too.
  CHECK(at(t0 + 10 * sec));
  CHECK(r.counters()[0].matched == 10);
  CHECK(r.counters()[0].dropped == 3);
}

TEST_CASE("rate caps per minute and per hour use windows of that length") {
  reducer m(rules("rate 2/m type == dns_request\n"));
  const std::int64_t minute = 60 * sec;
  const std::int64_t m0 = (t0 / minute) * minute;  // start of a minute
  CHECK(kept(m, dns_request("x", m0)));
  CHECK(kept(m, dns_request("x", m0 + 30 * sec)));
  CHECK_FALSE(kept(m, dns_request("x", m0 + 59 * sec)));
  CHECK(kept(m, dns_request("x", m0 + minute)));

  reducer h(rules("rate 1/h type == dns_request\n"));
  const std::int64_t hour = 3600 * sec;
  const std::int64_t h0 = (t0 / hour) * hour;
  CHECK(kept(h, dns_request("x", h0 + 10)));
  CHECK_FALSE(kept(h, dns_request("x", h0 + 59 * minute)));
  CHECK(kept(h, dns_request("x", h0 + hour)));
}

TEST_CASE("rate windows before the epoch are aligned too") {
  reducer r(rules("rate 1/s type == dns_request\n"));
  CHECK(kept(r, dns_request("x", -sec - 1)));  // window -2
  CHECK(kept(r, dns_request("x", -sec + 1)));  // window -1
  CHECK_FALSE(kept(r, dns_request("x", -1)));  // still window -1
  CHECK(kept(r, dns_request("x", 0)));         // window 0
}

TEST_CASE("project unsets unlisted optional fields and keeps required ones and the envelope") {
  reducer r(rules("project ts,host,uri type == http_request\n"));
  model::event e = make(model::catalogue::http_request);
  REQUIRE(e.set("orig_h", model::address::parse("192.0.2.7").value()));  // required
  REQUIRE(e.set("host", "example.org"));
  REQUIRE(e.set("uri", "/index.html"));
  REQUIRE(e.set("user_agent", "curl/8"));
  REQUIRE(e.set("method", "GET"));
  e.uid = "C1";
  e.from = model::origin{"lbl.gov", "zeek-1"};
  e.id = model::event_id{1, 2};
  CHECK(r.apply(e) == reducer::verdict::keep);
  CHECK(e.get("orig_h")->get<model::address>() == model::address::parse("192.0.2.7").value());
  CHECK(e.get("host")->get<std::string>() == "example.org");
  CHECK(e.get("uri")->get<std::string>() == "/index.html");
  CHECK(e.get("user_agent")->is_none());
  CHECK(e.get("method")->is_none());
  CHECK(e.ts.ns == t0);
  CHECK(e.uid == "C1");
  CHECK(e.from.site == "lbl.gov");
  CHECK(e.id == model::event_id{1, 2});
  CHECK(e.validate().ok());
  CHECK(r.counters()[0].matched == 1);
  CHECK(r.counters()[0].dropped == 0);

  // Other types pass untouched; the same rule works again on a second event.
  model::event d = dns_request("example.org");
  const model::event d_before = d;
  CHECK(kept(r, d));
  model::event e2 = make(model::catalogue::http_request);
  REQUIRE(e2.set("orig_h", model::address::parse("192.0.2.8").value()));
  REQUIRE(e2.set("referrer", "x"));
  CHECK(r.apply(e2) == reducer::verdict::keep);
  CHECK(e2.get("referrer")->is_none());
}

TEST_CASE("a project rule spanning two types projects each by its own schema") {
  reducer r(rules("project query,uri type in {dns_request, http_request}\n"));
  model::event d = dns_request("example.org");
  REQUIRE(d.set("qtype_name", "A"));
  model::event h = make(model::catalogue::http_request);
  REQUIRE(h.set("orig_h", model::address::parse("192.0.2.7").value()));
  REQUIRE(h.set("uri", "/"));
  REQUIRE(h.set("host", "h"));
  CHECK(r.apply(d) == reducer::verdict::keep);
  CHECK(r.apply(h) == reducer::verdict::keep);
  CHECK(d.get("query")->get<std::string>() == "example.org");
  CHECK(d.get("qtype_name")->is_none());
  CHECK(h.get("uri")->get<std::string>() == "/");
  CHECK(h.get("host")->is_none());
}

TEST_CASE("packet cut-off: the packet crossing the limit is kept, later ones dropped") {
  reducer r(rules("packet_cutoff 1000\n"));
  // 400 + 400 = 800 < 1000 before the third packet: kept (crosses to 1200).
  CHECK(kept(r, packet("10.0.0.1", 40000, "10.0.0.2", 80, 400)));
  CHECK(kept(r, packet("10.0.0.1", 40000, "10.0.0.2", 80, 400)));
  CHECK(kept(r, packet("10.0.0.1", 40000, "10.0.0.2", 80, 400)));
  CHECK_FALSE(kept(r, packet("10.0.0.1", 40000, "10.0.0.2", 80, 1)));
  // The reply direction belongs to the same connection.
  CHECK_FALSE(kept(r, packet("10.0.0.2", 80, "10.0.0.1", 40000, 60)));
  CHECK(r.cutoff_dropped() == 2);
  // Another connection (another client port) has its own budget.
  CHECK(kept(r, packet("10.0.0.1", 40001, "10.0.0.2", 80, 999)));
  CHECK(kept(r, packet("10.0.0.1", 40001, "10.0.0.2", 80, 5)));
  CHECK_FALSE(kept(r, packet("10.0.0.1", 40001, "10.0.0.2", 80, 5)));
  CHECK(r.cutoff_dropped() == 3);
  CHECK(r.connection_evictions() == 0);
}

TEST_CASE("packet cut-off: the uid identifies the connection when set") {
  reducer r(rules("packet_cutoff 100\n"));
  model::event a = packet("10.0.0.1", 1, "10.0.0.2", 2, 100);
  a.uid = "CAbc";
  CHECK(kept(r, a));
  // Different endpoints, same uid: the same connection.
  model::event b = packet("10.9.9.9", 7, "10.8.8.8", 8, 10);
  b.uid = "CAbc";
  CHECK_FALSE(kept(r, b));
  // The same endpoints without a uid: a connection of its own.
  CHECK(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 10)));
}

TEST_CASE("packet cut-off: packets with neither uid nor endpoints are never cut") {
  reducer r(rules("packet_cutoff 10\n"));
  for (int i = 0; i < 5; ++i) CHECK(kept(r, packet("", 0, "", 0, 100)));
  CHECK(r.cutoff_dropped() == 0);
}

TEST_CASE("packet cut-off: the data size counts when caplen is unset") {
  reducer r(rules("packet_cutoff 100\n"));
  model::event p = packet("10.0.0.1", 1, "10.0.0.2", 2, 150);
  p.field(*p.type().index_of("caplen")) = model::value();
  CHECK(kept(r, p));
  CHECK_FALSE(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 1)));
}

TEST_CASE("packet cut-off: no cut-off configured keeps every packet") {
  reducer r(rules("drop type == notice\n"));
  for (int i = 0; i < 10; ++i) CHECK(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 100'000)));
  CHECK(r.cutoff_dropped() == 0);
}

TEST_CASE("packet cut-off: rules run first and a packet a rule drops counts no bytes") {
  reducer r(rules("packet_cutoff 1000\ndrop type == packet && caplen > 500\n"));
  CHECK_FALSE(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 900)));  // the rule drops it
  CHECK(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 400)));
  CHECK(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 400)));
  CHECK(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 400)));  // 800 before: kept
  CHECK_FALSE(kept(r, packet("10.0.0.1", 1, "10.0.0.2", 2, 400)));
  CHECK(r.cutoff_dropped() == 1);
  CHECK(r.counters()[0].dropped == 1);
}

TEST_CASE("packet cut-off: the connection table is bounded and evicts the least recently used") {
  reducer r(rules("packet_cutoff 100\n"), 2);
  CHECK(kept(r, packet("10.0.0.1", 1, "10.0.0.9", 80, 100)));      // A: at the limit
  CHECK(kept(r, packet("10.0.0.2", 1, "10.0.0.9", 80, 100)));      // B: at the limit
  CHECK_FALSE(kept(r, packet("10.0.0.1", 1, "10.0.0.9", 80, 1)));  // A used: B is now LRU
  CHECK(r.connection_evictions() == 0);
  CHECK(kept(r, packet("10.0.0.3", 1, "10.0.0.9", 80, 100)));  // C evicts B
  CHECK(r.connection_evictions() == 1);
  CHECK_FALSE(kept(r, packet("10.0.0.1", 1, "10.0.0.9", 80, 1)));  // A survived
  // B was forgotten, so it starts again from zero (and evicts C).
  CHECK(kept(r, packet("10.0.0.2", 1, "10.0.0.9", 80, 1)));
  CHECK(r.connection_evictions() == 2);
}

TEST_CASE("connection table matches a reference LRU model under random traffic") {
  // Small capacity and many keys force evictions and backward-shift
  // deletions in every corner of the probe table.
  constexpr std::size_t capacity = 37;
  connection_table table(capacity);
  std::list<std::uint64_t> order;  // most recent first
  std::map<std::uint64_t, std::pair<std::uint64_t, std::list<std::uint64_t>::iterator>> ref;
  std::uint64_t ref_evictions = 0;
  std::mt19937_64 rng(42);
  for (int step = 0; step < 20000; ++step) {
    // Keys that share low bits collide in the index.
    const std::uint64_t key = (rng() % 80) << (step % 2 == 0 ? 0 : 40);
    const std::uint64_t bytes = rng() % 1000;
    std::uint64_t expected = 0;
    if (auto it = ref.find(key); it != ref.end()) {
      expected = it->second.first;
      it->second.first += bytes;
      order.erase(it->second.second);
      order.push_front(key);
      it->second.second = order.begin();
    } else {
      if (ref.size() == capacity) {
        ref.erase(order.back());
        order.pop_back();
        ++ref_evictions;
      }
      order.push_front(key);
      ref[key] = {bytes, order.begin()};
    }
    const std::uint64_t got = table.add(key, bytes);
    if (got != expected) {
      FAIL("step " << step << " key " << key << ": got " << got << ", expected " << expected);
    }
  }
  CHECK(table.size() == ref.size());
  CHECK(table.evictions() == ref_evictions);
  CHECK(ref_evictions > 1000);
}

TEST_CASE("connection table saturates byte counts instead of wrapping") {
  connection_table t(4);
  CHECK(t.add(1, UINT64_MAX - 1) == 0);
  CHECK(t.add(1, 10) == UINT64_MAX - 1);
  CHECK(t.add(1, 0) == UINT64_MAX);
}
