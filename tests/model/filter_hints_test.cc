// Tests of filter::hints (libevent-model/src/filter/hints.cc): the index
// terms and time bounds each construct gives, how && and || combine them,
// what gives nothing, the cap, and a property test that the hints never
// exclude an event the filter matches.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "coop/model/catalogue.h"
#include "coop/model/filter.h"
#include "coop/model/json.h"
#include "test_support.h"

using namespace coop::model;
using coop::model::testing::addr;
using coop::model::testing::net;

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t hour = 3600 * ns_per_s;
const timestamp now{1'700'000'000 * ns_per_s};

field fld(const char* name, const char* t) {
  field f;
  f.name = name;
  auto ty = type::parse(t);
  REQUIRE_MESSAGE(ty.ok(), t);
  f.ty = ty.value();
  f.optional = true;
  return f;
}

// The standard catalogue plus a site-specific type with the field types the
// catalogue lacks, and two names whose type differs from the catalogue's
// (trans_id: int here, count in DNS; query: bytes here, string in DNS).
registry make_registry() {
  registry r;
  REQUIRE(add_catalogue(r).ok());
  REQUIRE(r.add(schema("lab_probe", 1,
                       {fld("orig_h", "addr"), fld("resp_p", "port"), fld("delta", "int"),
                        fld("ratio", "double"), fld("start", "time"), fld("net", "subnet"),
                        fld("proto", "enum { tcp, udp, icmp }"), fld("label", "string"),
                        fld("query", "bytes"), fld("up", "bool"), fld("rtt", "interval"),
                        fld("hits", "count"), fld("trans_id", "int"),
                        fld("server", "record { name: string; version: count; }"),
                        fld("tags", "set[string]")}))
              .ok());
  return r;
}

const registry& reg() {
  static const registry r = make_registry();
  return r;
}

filter compile(const std::string& text) {
  auto f = filter::compile(text, reg());
  REQUIRE_MESSAGE(f.ok(), text << ": " << (f.ok() ? "" : f.err().message));
  return f.value();
}

filter_hints hints_of(const std::string& text, timestamp at = now) {
  return compile(text).hints(at);
}

// The terms as text: "scan" when unset, "none" when empty, else
// "f == v", "f in subnet" and "f in [lo .. hi]" joined by " | ".
std::string terms(const filter_hints& h) {
  if (!h.any_of) return "scan";
  if (h.any_of->empty()) return "none";
  std::string out;
  for (const auto& t : *h.any_of) {
    if (!out.empty()) out += " | ";
    switch (t.what) {
      case index_term::kind::equals: out += t.field + " == " + t.lo.to_string(); break;
      case index_term::kind::subnet: out += t.field + " in " + t.lo.to_string(); break;
      case index_term::kind::range:
        out += t.field + " in [" + t.lo.to_string() + " .. " + t.hi.to_string() + "]";
        break;
    }
  }
  return out;
}

std::string terms_of(const std::string& text) { return terms(hints_of(text)); }

timestamp iso(const char* text) {
  auto t = timestamp::parse(text);
  REQUIRE_MESSAGE(t.ok(), text);
  return t.value();
}

}  // namespace

TEST_CASE("filter hints: equality, sets and subnets give equals and subnet terms") {
  CHECK(terms_of("orig_h == 1.2.3.4") == "orig_h == 1.2.3.4");
  CHECK(terms_of("resp_h in {1.2.3.4, 10.0.0.0/8}") == "resp_h == 1.2.3.4 | resp_h in 10.0.0.0/8");
  CHECK(terms_of("orig_h in 192.168.0.0/16") == "orig_h in 192.168.0.0/16");
  CHECK(terms_of("orig_h in 2001:db8::/32") == "orig_h in 2001:db8::/32");
  CHECK(terms_of("net == 10.0.0.0/8") == "net == 10.0.0.0/8");
  CHECK(terms_of("net in 10.0.0.0/8") == "net in 10.0.0.0/8");
  CHECK(terms_of("net in {10.0.0.0/8, 192.168.0.0/16}") ==
        "net == 10.0.0.0/8 | net == 192.168.0.0/16");
  CHECK(terms_of("uid == \"CHhAvVGS1DHFjwGM9\"") == "uid == CHhAvVGS1DHFjwGM9");
  CHECK(terms_of("uid in {\"C1\", \"C2\"}") == "uid == C1 | uid == C2");
  CHECK(terms_of("server.name == \"nginx\"") == "server.name == nginx");
  CHECK(terms_of("resp_p == 22/tcp") == "resp_p == 22/tcp");
  CHECK(terms_of("resp_p in {22/tcp, 53/udp}") == "resp_p == 22/tcp | resp_p == 53/udp");
  CHECK(terms_of("conn_state in {\"S0\", \"REJ\"}") == "conn_state == REJ | conn_state == S0");

  auto e = hints_of("proto == udp");
  REQUIRE(e.any_of);
  REQUIRE(e.any_of->size() == 1);
  CHECK(e.any_of->front().lo == value(enum_value{"udp"}));
  CHECK(!e.ts_min);
  CHECK(!e.ts_max);
}

TEST_CASE("filter hints: term values have the field's type") {
  // A count literal against an int field becomes an int, as the evaluator converts it.
  auto d = hints_of("delta == 5");
  REQUIRE(d.any_of);
  CHECK(d.any_of->front().lo == value(std::int64_t{5}));
  auto h = hints_of("hits == 5");
  REQUIRE(h.any_of);
  CHECK(h.any_of->front().lo == value(std::uint64_t{5}));
  // One path, two field types (count in DNS events, int in lab_probe): one term each.
  auto t = hints_of("trans_id == 7");
  REQUIRE(t.any_of);
  REQUIRE(t.any_of->size() == 2);
  CHECK(std::count((*t.any_of).begin(), (*t.any_of).end(),
                   index_term{"trans_id", index_term::kind::equals, value(std::uint64_t{7}), {}}) ==
        1);
  CHECK(std::count((*t.any_of).begin(), (*t.any_of).end(),
                   index_term{"trans_id", index_term::kind::equals, value(std::int64_t{7}), {}}) ==
        1);
  auto q = hints_of("query == \"example.com\"");
  REQUIRE(q.any_of);
  CHECK(q.any_of->size() == 2);
  CHECK(std::find((*q.any_of).begin(), (*q.any_of).end(),
                  index_term{"query", index_term::kind::equals, value(bytes{"example.com"}), {}}) !=
        q.any_of->end());
  CHECK(std::find((*q.any_of).begin(), (*q.any_of).end(),
                  index_term{"query", index_term::kind::equals, value("example.com"), {}}) !=
        q.any_of->end());
  // A port literal stays a port; a bare number covers every transport.
  CHECK(terms_of("resp_p == 22") == "resp_p in [22/unknown .. 22/icmp]");
  CHECK(terms_of("resp_p in {22, 80/tcp}") ==
        "resp_p == 80/tcp | resp_p in [22/unknown .. 22/icmp]");
  // Reals against integer fields compare as doubles: no exact term.
  CHECK(terms_of("hits == 5.0") == "scan");
  CHECK(terms_of("hits in {1, 2.5}") == "scan");
  // A real field: both signed zeros equal 0 for the evaluator.
  auto z = hints_of("ratio == 0");
  REQUIRE(z.any_of);
  REQUIRE(z.any_of->size() == 2);
  CHECK(std::signbit(z.any_of->at(0).lo.get<double>()) !=
        std::signbit(z.any_of->at(1).lo.get<double>()));
  // Time and interval fields hold times and intervals.
  auto s = hints_of("start == 2009-11-18T08:00:21Z");
  REQUIRE(s.any_of);
  CHECK(s.any_of->front().lo == value(iso("2009-11-18T08:00:21Z")));
  CHECK(!s.ts_min);  // only the envelope ts gives time bounds
  auto r = hints_of("rtt in [1s .. 5s]");
  REQUIRE(r.any_of);
  CHECK(r.any_of->front().lo == value(interval::seconds(1)));
  CHECK(r.any_of->front().hi == value(interval::seconds(5)));
}

TEST_CASE("filter hints: ranges and orderings use the field type's extremes") {
  CHECK(terms_of("hits in [5 .. 10]") == "hits in [5 .. 10]");
  CHECK(terms_of("hits < 10") == "hits in [0 .. 9]");
  CHECK(terms_of("hits <= 10") == "hits in [0 .. 10]");
  CHECK(terms_of("hits >= 10") == "hits in [10 .. 18446744073709551615]");
  CHECK(terms_of("hits in [-5 .. 3]") == "hits in [0 .. 3]");
  CHECK(terms_of("delta > -3") == "delta in [-2 .. 9223372036854775807]");
  CHECK(terms_of("delta < 0") == "delta in [-9223372036854775808 .. -1]");
  CHECK(terms_of("resp_p < 1024/tcp") == "resp_p in [0/tcp .. 1023/tcp]");
  CHECK(terms_of("resp_p > 1023") == "resp_p in [1024/unknown .. 65535/icmp]");
  CHECK(terms_of("resp_p in [1 .. 1023]") == "resp_p in [1/unknown .. 1023/icmp]");
  CHECK(terms_of("resp_p in [1/udp .. 1023/udp]") == "resp_p in [1/udp .. 1023/udp]");
  CHECK(terms_of("orig_h >= 10.0.0.0") ==
        "orig_h in [10.0.0.0 .. ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]");
  CHECK(terms_of("orig_h < 0.0.0.1") == "orig_h in [:: .. 0.0.0.0]");
  CHECK(terms_of("label <= \"m\"") == "label in [ .. m]");
  CHECK(terms_of("label < \"m\"") == "label in [ .. m]");  // wider than needed, still sound
  CHECK(terms_of("label > \"m\"") == "scan");              // strings have no greatest value
  // Strict comparisons at the type's extreme can never hold: left out.
  CHECK(terms_of("hits < 0") == "scan");
  CHECK(terms_of("resp_p > 65535/tcp") == "scan");

  auto le = hints_of("ratio <= 0");
  REQUIRE(le.any_of);
  CHECK(le.any_of->front().lo.get<double>() == -std::numeric_limits<double>::infinity());
  CHECK(le.any_of->front().hi.get<double>() == 0.0);
  CHECK(!std::signbit(le.any_of->front().hi.get<double>()));  // +0.0 also covers -0.0
  auto gt = hints_of("ratio > 1.5");
  REQUIRE(gt.any_of);
  CHECK(gt.any_of->front().lo.get<double>() == std::nextafter(1.5, 2.0));
  CHECK(gt.any_of->front().hi.get<double>() == std::numeric_limits<double>::infinity());

  const timestamp t = iso("2009-11-18T08:00:21Z");
  auto st = hints_of("start < 2009-11-18T08:00:21Z");
  REQUIRE(st.any_of);
  CHECK(st.any_of->front().lo == value(timestamp{std::numeric_limits<std::int64_t>::min()}));
  CHECK(st.any_of->front().hi == value(timestamp{t.ns - 1}));
  // `now` in a time field's comparison resolves against the argument.
  auto rel = hints_of("start >= now - 1h");
  REQUIRE(rel.any_of);
  CHECK(rel.any_of->front().lo == value(timestamp{now.ns - hour}));
}

TEST_CASE("filter hints: ts comparisons give time bounds and no term") {
  auto h = hints_of("ts > now - 1h");
  CHECK(terms(h) == "scan");
  REQUIRE(h.ts_min);
  CHECK(h.ts_min->ns == now.ns - hour + 1);
  CHECK(!h.ts_max);
  // Relative times follow the `now` passed in.
  auto later = compile("ts > now - 1h").hints(timestamp{now.ns + hour});
  REQUIRE(later.ts_min);
  CHECK(later.ts_min->ns == now.ns + 1);

  const timestamp t = iso("2009-11-18T08:00:21Z");
  auto ge = hints_of("ts >= 2009-11-18T08:00:21Z");
  CHECK(ge.ts_min == t);
  CHECK(!ge.ts_max);
  auto in = hints_of("ts in [2009-11-18T08:00:00Z .. 2009-11-18T09:00:00Z]");
  CHECK(in.ts_min == iso("2009-11-18T08:00:00Z"));
  CHECK(in.ts_max == iso("2009-11-18T09:00:00Z"));
  auto secs = hints_of("ts < 1258531221");
  CHECK(!secs.ts_min);
  CHECK(secs.ts_max == timestamp{1258531221 * ns_per_s - 1});
  auto eq = hints_of("ts == 1258531221.5");
  CHECK(eq.ts_min == timestamp{1258531221 * ns_per_s + ns_per_s / 2});
  CHECK(eq.ts_max == eq.ts_min);
  auto window = hints_of("ts in [now - 2h .. now - 1h]");
  CHECK(window.ts_min == timestamp{now.ns - 2 * hour});
  CHECK(window.ts_max == timestamp{now.ns - hour});
  auto ne = hints_of("ts != 1258531221");
  CHECK(!ne.ts_min);
  CHECK(!ne.ts_max);
  auto out = hints_of("ts !in [now - 2h .. now - 1h]");
  CHECK(!out.ts_min);
  CHECK(!out.ts_max);
}

TEST_CASE("filter hints: && intersects time bounds and keeps the most selective term set") {
  auto h = hints_of("ts > now - 1h && ts <= now && orig_h == 1.2.3.4");
  CHECK(terms(h) == "orig_h == 1.2.3.4");
  CHECK(h.ts_min == timestamp{now.ns - hour + 1});
  CHECK(h.ts_max == now);
  auto tight = hints_of("ts > now - 2h && ts > now - 1h && ts < now && ts < now + 1h");
  CHECK(tight.ts_min == timestamp{now.ns - hour + 1});
  CHECK(tight.ts_max == timestamp{now.ns - 1});

  CHECK(terms_of("hits in [1 .. 5] && orig_h == 1.2.3.4") == "orig_h == 1.2.3.4");
  CHECK(terms_of("orig_h in {1.2.3.4, 5.6.7.8} && resp_h == 9.9.9.9") == "resp_h == 9.9.9.9");
  CHECK(terms_of("orig_h in 10.0.0.0/8 && uid == \"C1\"") == "uid == C1");
  CHECK(terms_of("orig_h in {1.2.3.4, 5.6.7.8} && resp_p < 1024") ==
        "orig_h == 1.2.3.4 | orig_h == 5.6.7.8");
  CHECK(terms_of("label starts_with \"x\" && uid == \"C1\"") == "uid == C1");
  // type tests are neutral.
  CHECK(terms_of("type == connection_end && orig_h == 1.2.3.4") == "orig_h == 1.2.3.4");
  CHECK(terms_of("type in {dns_request, dns_reply} && query == \"a.example\"") ==
        "query == a.example");
  CHECK(terms_of("type == connection_end") == "scan");
}

TEST_CASE("filter hints: || unites term sets only when both sides have one") {
  // The "host" query.
  auto host = hints_of("orig_h == 1.2.3.4 || resp_h == 1.2.3.4");
  CHECK(terms(host) == "orig_h == 1.2.3.4 | resp_h == 1.2.3.4");
  REQUIRE(host.any_of);
  CHECK(host.any_of->size() == 2);

  CHECK(terms_of("orig_h == 1.2.3.4 || orig_h == 1.2.3.4") == "orig_h == 1.2.3.4");
  CHECK(terms_of("orig_h == 1.2.3.4 || label == \"x\"") == "orig_h == 1.2.3.4 | label == x");
  CHECK(terms_of("orig_h == 1.2.3.4 || up") == "scan");
  CHECK(terms_of("orig_h == 1.2.3.4 || ts > now - 1h") == "scan");
  CHECK(terms_of("(orig_h == 1.2.3.4 && hits > 3) || (uid == \"C1\" && up)") ==
        "orig_h == 1.2.3.4 | uid == C1");
  // A type test on one side makes every event of that type a candidate.
  CHECK(terms_of("type == notice || orig_h == 1.2.3.4") == "scan");

  auto hull = hints_of(
      "(ts > now - 1h && orig_h == 1.2.3.4) || (ts in [now - 3h .. now - 2h] && orig_h == "
      "5.6.7.8)");
  CHECK(terms(hull) == "orig_h == 1.2.3.4 | orig_h == 5.6.7.8");
  CHECK(hull.ts_min == timestamp{now.ns - 3 * hour});
  CHECK(!hull.ts_max);  // the first side is unbounded above
  auto both = hints_of("ts in [now - 1h .. now] || ts in [now - 3h .. now - 2h]");
  CHECK(both.ts_min == timestamp{now.ns - 3 * hour});
  CHECK(both.ts_max == now);
  auto one = hints_of("ts > now - 1h || orig_h == 1.2.3.4");
  CHECK(!one.ts_min);
}

TEST_CASE("filter hints: negations, inequalities, string tests, regexes and bools give nothing") {
  for (const char* text :
       {"!(orig_h == 1.2.3.4)", "orig_h != 1.2.3.4", "orig_h !in 10.0.0.0/8",
        "orig_h !in {1.2.3.4}", "hits !in [1 .. 5]", "label contains \"x\"",
        "label starts_with \"x\"", "label ends_with \"x\"", "label ~ /x/", "label !~ /x/", "up",
        "up == T", "!(!(orig_h == 1.2.3.4))", "tags contains \"x\"", "site == \"lbl.gov\"", "T"}) {
    CAPTURE(text);
    auto h = hints_of(text);
    CHECK(terms(h) == "scan");
    CHECK(!h.ts_min);
    CHECK(!h.ts_max);
  }
  auto neg = hints_of("!(ts > now - 1h)");
  CHECK(!neg.ts_min);
  CHECK(!neg.ts_max);
  CHECK(terms_of("!(orig_h == 1.2.3.4) && resp_h == 5.6.7.8") == "resp_h == 5.6.7.8");
  CHECK(terms_of("!(orig_h == 1.2.3.4 || resp_h == 5.6.7.8)") == "scan");
}

TEST_CASE("filter hints: a filter that matches nothing gives an empty term set") {
  CHECK(terms(filter().hints(now)) == "none");
  CHECK(terms_of("F") == "none");
  CHECK(terms_of("type == connection_end && type == dns_request") == "none");
  // No count equals -1: false for every type, with or without the field.
  CHECK(terms_of("orig_bytes == -1") == "none");
}

TEST_CASE("filter hints: more than 256 terms leave the term set unset") {
  auto set_of = [](int n, int offset) {
    std::string s = "{";
    for (int i = 0; i < n; ++i) {
      if (i > 0) s += ", ";
      s += "10.0." + std::to_string((i + offset) / 256) + "." + std::to_string((i + offset) % 256);
    }
    return s + "}";
  };
  auto full = hints_of("orig_h in " + set_of(256, 0));
  REQUIRE(full.any_of);
  CHECK(full.any_of->size() == 256);
  CHECK(terms_of("orig_h in " + set_of(257, 0)) == "scan");
  CHECK(terms_of("orig_h in " + set_of(200, 0) + " || resp_h in " + set_of(56, 0)) != "scan");
  CHECK(terms_of("orig_h in " + set_of(200, 0) + " || resp_h in " + set_of(57, 0)) == "scan");
  // Duplicates count once.
  auto dup = hints_of("orig_h in " + set_of(200, 0) + " || orig_h in " + set_of(200, 56));
  REQUIRE(dup.any_of);
  CHECK(dup.any_of->size() == 256);
}

// --- Soundness: whenever matches() is true, the hints hold. ---

namespace {

// The event's value of the field a term names, or nullptr if unset.
const value* field_value(const event& e, const std::string& name, value& scratch) {
  if (name == "uid") {
    if (e.uid.empty()) return nullptr;
    scratch = value(e.uid);
    return &scratch;
  }
  if (const value* v = e.get(name)) return v;
  const auto dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  const value* rec = e.get(name.substr(0, dot));
  auto top = e.type().index_of(name.substr(0, dot));
  if (rec == nullptr || !top || !rec->is<record_value>()) return nullptr;
  const type& rt = e.type()[*top].ty;
  const int i = rt.index_of(name.substr(dot + 1));
  if (i < 0) return nullptr;
  return &rec->get<record_value>().fields[static_cast<std::size_t>(i)];
}

bool holds(const index_term& t, const event& e) {
  value scratch;
  const value* v = field_value(e, t.field, scratch);
  if (v == nullptr || v->is_none()) return false;
  switch (t.what) {
    case index_term::kind::equals: return *v == t.lo;
    case index_term::kind::subnet: {
      const auto& n = t.lo.get<subnet>();
      if (const auto* a = v->get_if<address>()) return n.contains(*a);
      if (const auto* s = v->get_if<subnet>())
        return s->length_v6() >= n.length_v6() && n.contains(s->network());
      return false;
    }
    case index_term::kind::range: return t.lo <= *v && *v <= t.hi;
  }
  return false;
}

template <class T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

bool chance(std::mt19937& rng, int percent) {
  return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
}

const std::vector<std::string> addrs = {"1.2.3.4",     "10.0.0.1", "10.1.2.3", "192.168.1.10",
                                        "2001:db8::1", "::",       "0.0.0.0"};
const std::vector<std::string> nets = {"10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32",
                                       "1.2.3.0/24", "0.0.0.0/0"};
const std::vector<std::string> ports = {"22/tcp",    "22/udp",    "80/tcp",    "53/udp",
                                        "0/unknown", "65535/tcp", "1023/icmp", "1024/tcp"};
const std::vector<std::string> port_numbers = {"0", "22", "53", "80", "1023", "1024", "65535"};
const std::vector<std::string> counts = {"0", "1", "5", "100", "18446744073709551615"};
const std::vector<std::string> ints = {"-5", "0", "5", "-9223372036854775808",
                                       "9223372036854775807"};
const std::vector<std::string> reals = {"0.0", "-0.0", "1.5", "-1.5", "0", "100"};
const std::vector<std::string> strings = {"\"\"",    "\"a\"",   "\"abc\"",
                                          "\"abd\"", "\"zzz\"", "\"S0\""};
const std::vector<std::string> uids = {"\"C1\"", "\"C2\"", "\"\""};
const std::vector<std::string> times = {"now",      "now - 1h",   "now - 30m",
                                        "now + 1h", "1699996400", "2023-11-14T22:13:20Z"};

struct field_kind {
  const char* name;
  type_kind kind;
};

// Fields over which random predicates are written (some in several types).
const std::vector<field_kind> fields = {{"orig_h", type_kind::address},
                                        {"resp_h", type_kind::address},
                                        {"orig_p", type_kind::port},
                                        {"resp_p", type_kind::port},
                                        {"orig_bytes", type_kind::count},
                                        {"trans_id", type_kind::count},
                                        {"hits", type_kind::count},
                                        {"delta", type_kind::integer},
                                        {"ratio", type_kind::real},
                                        {"start", type_kind::time},
                                        {"ts", type_kind::time},
                                        {"duration", type_kind::interval},
                                        {"net", type_kind::subnet},
                                        {"conn_state", type_kind::string},
                                        {"query", type_kind::string},
                                        {"label", type_kind::string},
                                        {"server.name", type_kind::string},
                                        {"uid", type_kind::string},
                                        {"local_orig", type_kind::boolean},
                                        {"proto", type_kind::enumeration}};

std::string set_of(std::mt19937& rng, const std::vector<std::string>& pool, int n) {
  std::string s = "{";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + pick(rng, pool);
  return s + "}";
}

std::string range_of(std::mt19937& rng, const std::vector<std::string>& sorted_pool) {
  std::size_t a = std::uniform_int_distribution<std::size_t>(0, sorted_pool.size() - 1)(rng);
  std::size_t b = std::uniform_int_distribution<std::size_t>(a, sorted_pool.size() - 1)(rng);
  return "[" + sorted_pool[a] + " .. " + sorted_pool[b] + "]";
}

std::string comparison(std::mt19937& rng) {
  static const std::vector<std::string> ops = {"==", "!=", "<", "<=", ">", ">="};
  return pick(rng, ops);
}

std::string predicate(std::mt19937& rng) {
  const field_kind& f = pick(rng, fields);
  const std::string n = f.name;
  switch (f.kind) {
    case type_kind::address:
      switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
        case 0: return n + " " + comparison(rng) + " " + pick(rng, addrs);
        case 1: return n + " in " + set_of(rng, addrs, 2) + "";
        case 2: return n + " in {" + pick(rng, addrs) + ", " + pick(rng, nets) + "}";
        case 3: return n + (chance(rng, 80) ? " in " : " !in ") + pick(rng, nets);
        default: return n + " in [10.0.0.0 .. 192.168.1.10]";
      }
    case type_kind::port:
      switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
        case 0: return n + " " + comparison(rng) + " " + pick(rng, ports);
        case 1: return n + " " + comparison(rng) + " " + pick(rng, port_numbers);
        case 2: return n + " in {" + pick(rng, ports) + ", " + pick(rng, port_numbers) + "}";
        case 3: return n + " in " + range_of(rng, {"0", "22", "80", "1023", "65535"});
        default: return n + " in [22/tcp .. 1024/tcp]";
      }
    case type_kind::count:
      switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
        case 0: return n + " " + comparison(rng) + " " + pick(rng, counts);
        case 1: return n + " " + comparison(rng) + " " + pick(rng, ints);
        case 2: return n + " in " + set_of(rng, counts, 3);
        default:
          return n + (chance(rng, 80) ? " in " : " !in ") +
                 range_of(rng, {"-5", "0", "1", "5", "100"});
      }
    case type_kind::integer:
      if (chance(rng, 30))
        return n + " in " + range_of(rng, {"-9223372036854775808", "-5", "0", "5"});
      return n + " " + comparison(rng) + " " + pick(rng, chance(rng, 50) ? ints : counts);
    case type_kind::real:
      if (chance(rng, 30)) return n + " in " + range_of(rng, {"-1.5", "-0.0", "0", "1.5", "100"});
      if (chance(rng, 20)) return n + " in " + set_of(rng, reals, 2);
      return n + " " + comparison(rng) + " " + pick(rng, reals);
    case type_kind::time:
      if (chance(rng, 30)) return n + " in [now - 1h .. now]";
      return n + " " + comparison(rng) + " " + pick(rng, times);
    case type_kind::interval:
      return n + " " + comparison(rng) + " " +
             pick(rng, std::vector<std::string>{"0s", "1s", "90s", "1h"});
    case type_kind::subnet: return n + (chance(rng, 50) ? " == " : " in ") + pick(rng, nets);
    case type_kind::string: {
      const auto& pool = n == "uid" ? uids : strings;
      switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
        case 0: return n + " " + comparison(rng) + " " + pick(rng, pool);
        case 1: return n + " in " + set_of(rng, pool, 2);
        case 2: return n + " starts_with " + pick(rng, pool);
        default: return n + " ~ /b/";
      }
    }
    case type_kind::boolean: return chance(rng, 50) ? n : "!" + n;
    default:
      return n + (chance(rng, 70) ? " == " : " != ") +
             pick(rng, std::vector<std::string>{"tcp", "udp"});
  }
}

std::string random_filter(std::mt19937& rng, int depth) {
  const int r = std::uniform_int_distribution<int>(0, 99)(rng);
  if (depth == 0 || r < 35) {
    if (r < 3) return "type in {connection_end, lab_probe}";
    if (r < 5) return "type == dns_request";
    if (r < 12) return "ts " + comparison(rng) + " " + pick(rng, times);
    if (r < 15) return "ts in [now - 1h .. now]";
    return predicate(rng);
  }
  if (r < 65)
    return "(" + random_filter(rng, depth - 1) + " && " + random_filter(rng, depth - 1) + ")";
  if (r < 92)
    return "(" + random_filter(rng, depth - 1) + " || " + random_filter(rng, depth - 1) + ")";
  return "!(" + random_filter(rng, depth - 1) + ")";
}

value random_value(std::mt19937& rng, const type& t) {
  auto from = [&](const std::vector<std::string>& pool) {
    auto v = value::parse(pick(rng, pool), t);
    REQUIRE(v.ok());
    return v.value();
  };
  switch (t.kind()) {
    case type_kind::address: return value(addr(pick(rng, addrs).c_str()));
    case type_kind::subnet:
      return chance(rng, 30) ? value(net("10.1.0.0/16")) : value(net(pick(rng, nets).c_str()));
    case type_kind::port: return from(ports);
    case type_kind::count: return from({"0", "1", "5", "22", "100", "18446744073709551615"});
    case type_kind::integer:
      return from({"-5", "-1", "0", "5", "-9223372036854775808", "9223372036854775807"});
    case type_kind::real: {
      static const std::vector<double> r = {-0.0,
                                            0.0,
                                            1.5,
                                            -1.5,
                                            100.0,
                                            std::nextafter(1.5, 2.0),
                                            std::numeric_limits<double>::infinity(),
                                            std::nan("")};
      return value(pick(rng, r));
    }
    case type_kind::string:
      return value(pick(rng, std::vector<std::string>{"", "a", "abc", "abd", "zzz", "S0"}));
    case type_kind::bytes: return value(bytes{pick(rng, std::vector<std::string>{"", "abc"})});
    case type_kind::boolean: return value(chance(rng, 50));
    case type_kind::time:
      return value(timestamp{now.ns + pick(rng, std::vector<std::int64_t>{
                                                    -2 * hour, -hour, -hour + 1, -1, 0, 1, hour})});
    case type_kind::interval:
      return value(interval::seconds(pick(rng, std::vector<std::int64_t>{0, 1, 90, 3600})));
    case type_kind::enumeration: return value(enum_value{pick(rng, t.names())});
    case type_kind::record: {
      record_value r;
      for (const auto& p : t.params())
        r.fields.push_back(chance(rng, 80) ? random_value(rng, p) : value());
      return value(std::move(r));
    }
    default: return value();  // containers: left unset
  }
}

event random_event(std::mt19937& rng) {
  static const std::vector<std::string> types = {"connection_end", "dns_request", "dns_reply",
                                                 "http_request",   "ssh_login",   "lab_probe",
                                                 "lab_probe"};
  event e(reg().find(pick(rng, types)));
  e.ts = timestamp{now.ns + pick(rng, std::vector<std::int64_t>{-3 * hour, -hour - 1, -hour,
                                                                -hour + 1, -1, 0, 1, hour})};
  e.uid = pick(rng, std::vector<std::string>{"", "C1", "C2"});
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!e.type()[i].optional || chance(rng, 85)) e.field(i) = random_value(rng, e.type()[i].ty);
  }
  return e;
}

}  // namespace

TEST_CASE("filter hints: never exclude an event the filter matches (random filters and events)") {
  std::mt19937 rng(20240611);
  std::vector<event> events;
  for (int i = 0; i < 150; ++i) {
    events.push_back(random_event(rng));
    REQUIRE(events.back().validate().ok());
  }
  int compiled = 0, with_terms = 0, with_bounds = 0, matches = 0, checked_terms = 0;
  for (int i = 0; i < 600; ++i) {
    const std::string text = random_filter(rng, 3);
    auto f = filter::compile(text, reg());
    if (!f) continue;  // e.g. an operand no type accepts
    ++compiled;
    const filter_hints h = f->hints(now);
    if (h.any_of) {
      ++with_terms;
      CHECK_MESSAGE(h.any_of->size() <= 256, text);
    }
    if (h.ts_min || h.ts_max) ++with_bounds;
    for (const event& e : events) {
      if (!f->matches(e, now)) continue;
      ++matches;
      bool ok = true;
      if (h.any_of) {
        ++checked_terms;
        ok = std::any_of(h.any_of->begin(), h.any_of->end(),
                         [&](const index_term& t) { return holds(t, e); });
      }
      if (h.ts_min && e.ts < *h.ts_min) ok = false;
      if (h.ts_max && e.ts > *h.ts_max) ok = false;
      if (!ok) {
        auto json = to_json(e);
        FAIL_CHECK("hints exclude a match: filter `" << text << "`, hints " << terms(h) << " ts ["
                                                     << (h.ts_min ? h.ts_min->ns : 0) << ", "
                                                     << (h.ts_max ? h.ts_max->ns : 0) << "], event "
                                                     << (json ? json.value() : "?"));
      }
    }
  }
  // The run must exercise what it claims to.
  CHECK(compiled > 400);
  CHECK(with_terms > 100);
  CHECK(with_bounds > 50);
  CHECK(matches > 1000);
  CHECK(checked_terms > 300);
}
