// Tests of the filter language (libevent-model/src/filter/*): every
// operator, precedence, literals, type selection, missing-field semantics,
// relative time, foreign schemas, limits and error messages with columns.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "coop/model/filter.h"

using namespace coop::model;

namespace {

type ty(const char* text) { return type::parse(text).value(); }

field fld(const char* name, const char* t) {
  field f;
  f.name = name;
  f.ty = ty(t);
  f.optional = true;
  return f;
}

std::vector<field> conn_fields() {
  return {fld("orig_h", "addr"),      fld("orig_p", "port"),         fld("resp_h", "addr"),
          fld("resp_p", "port"),      fld("proto", "enum { tcp, udp, icmp }"),
          fld("duration", "interval"), fld("orig_bytes", "count"),   fld("delta", "int"),
          fld("ratio", "double"),     fld("conn_state", "string"),   fld("local_orig", "bool"),
          fld("tags", "set[string]"), fld("hops", "vector of addr"), fld("start", "time"),
          fld("net", "subnet"),       fld("server", "record { name: string; version: count; }"),
          fld("id.orig_h", "addr")};
}

registry make_registry() {
  registry r;
  REQUIRE(r.add(schema("connection_end", 1, conn_fields())).ok());
  REQUIRE(r.add(schema("dns_request", 1,
                       {fld("orig_h", "addr"), fld("resp_h", "addr"), fld("resp_p", "port"),
                        fld("query", "string"), fld("qtype", "count"), fld("status", "count")}))
              .ok());
  REQUIRE(r.add(schema("dns_reply", 1,
                       {fld("query", "string"), fld("answers", "vector of addr"), fld("rcode", "count"),
                        fld("status", "string")}))
              .ok());
  REQUIRE(r.add(schema("http_request", 1,
                       {fld("orig_h", "addr"), fld("host", "string"), fld("uri", "string"),
                        fld("method", "string"), fld("body", "bytes")}))
              .ok());
  return r;
}

address addr(const char* s) { return address::parse(s).value(); }
subnet net(const char* s) { return subnet::parse(s).value(); }
port prt(const char* s) { return port::parse(s).value(); }
timestamp at(std::int64_t seconds) { return timestamp{seconds * 1'000'000'000}; }

struct fixture {
  registry reg = make_registry();
  timestamp now = at(1'700'000'000);

  event make(const char* type_name) {
    event e(reg.find(type_name));
    e.ts = now;
    e.from = origin{"lbl.gov", "zeek-1"};
    e.id = event_id{1, 2};
    return e;
  }

  // A connection 10.1.2.3:49152 -> 192.168.1.10:22/tcp.
  event conn() {
    event e = make("connection_end");
    REQUIRE(e.set("orig_h", addr("10.1.2.3")).ok());
    REQUIRE(e.set("orig_p", prt("49152/tcp")).ok());
    REQUIRE(e.set("resp_h", addr("192.168.1.10")).ok());
    REQUIRE(e.set("resp_p", prt("22/tcp")).ok());
    REQUIRE(e.set("proto", enum_value{"tcp"}).ok());
    REQUIRE(e.set("duration", interval::seconds(90)).ok());
    REQUIRE(e.set("orig_bytes", std::uint64_t{1500}).ok());
    REQUIRE(e.set("delta", std::int64_t{-7}).ok());
    REQUIRE(e.set("ratio", 0.25).ok());
    REQUIRE(e.set("conn_state", "SF").ok());
    REQUIRE(e.set("local_orig", true).ok());
    REQUIRE(e.set("tags", value::make_set({value("scan"), value("ssh")})).ok());
    REQUIRE(e.set("hops", vector_value{{value(addr("10.0.0.1")), value(addr("2001:db8::1"))}}).ok());
    REQUIRE(e.set("start", at(1'699'999'900)).ok());
    REQUIRE(e.set("net", net("10.1.0.0/16")).ok());
    REQUIRE(e.set("server", record_value{{value("OpenSSH_9.2"), value(std::uint64_t{9})}}).ok());
    REQUIRE(e.set("id.orig_h", addr("10.1.2.3")).ok());
    e.uid = "CHhAvVGS1DHFjwGM9";
    return e;
  }

  event http(const char* host, const char* uri) {
    event e = make("http_request");
    REQUIRE(e.set("orig_h", addr("2001:db8::7")).ok());
    REQUIRE(e.set("host", host).ok());
    REQUIRE(e.set("uri", uri).ok());
    REQUIRE(e.set("method", "GET").ok());
    REQUIRE(e.set("body", bytes{std::string("ab\0cd", 5)}).ok());
    return e;
  }

  filter compile(std::string_view text) {
    auto f = filter::compile(text, reg);
    INFO(text);
    if (!f) FAIL(f.err().to_string());
    return f.value();
  }

  bool match(std::string_view text, const event& e) { return compile(text).matches(e, now); }

  // The error message of a filter that must not compile.
  std::string fails(std::string_view text, errc code = errc::invalid_argument) {
    auto f = filter::compile(text, reg);
    INFO(text);
    REQUIRE_FALSE(f.ok());
    CHECK(f.err().code == code);
    return f.err().message;
  }
};

}  // namespace

TEST_CASE_FIXTURE(fixture, "filter: comparison operators on counts, ints and doubles") {
  const event e = conn();
  CHECK(match("orig_bytes == 1500", e));
  CHECK_FALSE(match("orig_bytes == 1501", e));
  CHECK(match("orig_bytes != 1501", e));
  CHECK(match("orig_bytes < 1501", e));
  CHECK_FALSE(match("orig_bytes < 1500", e));
  CHECK(match("orig_bytes <= 1500", e));
  CHECK(match("orig_bytes > 1499", e));
  CHECK_FALSE(match("orig_bytes > 1500", e));
  CHECK(match("orig_bytes >= 1500", e));
  // A negative literal against a count: every count is above it.
  CHECK(match("orig_bytes > -1", e));
  CHECK_FALSE(match("orig_bytes == -1", e));
  CHECK(match("orig_bytes != -1", e));
  CHECK(match("orig_bytes >= 1499.5", e));
  CHECK(match("delta == -7", e));
  CHECK(match("delta < 0", e));
  CHECK_FALSE(match("delta > 18446744073709551615", e));
  CHECK(match("ratio == 0.25", e));
  CHECK(match("ratio < 1", e));
  CHECK(match("ratio > -1", e));
}

TEST_CASE_FIXTURE(fixture, "filter: strings, enums, bools, bytes") {
  const event e = conn();
  CHECK(match("conn_state == \"SF\"", e));
  CHECK(match("conn_state != \"S0\"", e));
  CHECK(match("conn_state < \"T\"", e));
  CHECK(match("proto == tcp", e));
  CHECK(match("proto == \"tcp\"", e));
  CHECK(match("proto != udp", e));
  CHECK(match("local_orig", e));
  CHECK(match("local_orig == T", e));
  CHECK(match("local_orig == true", e));
  CHECK_FALSE(match("local_orig == F", e));
  CHECK_FALSE(match("!local_orig", e));
  const event h = http("www.example.com", "/index.php?x=1");
  CHECK(match("host ends_with \".example.com\"", h));
  CHECK(match("host starts_with \"www.\"", h));
  CHECK(match("host contains \"example\"", h));
  CHECK_FALSE(match("host contains \"exomple\"", h));
  CHECK(match("body contains \"\\x00c\"", h));
  CHECK(match("body starts_with \"ab\\0\"", h));
  CHECK(match("method == \"G\\x45T\"", h));
}

TEST_CASE_FIXTURE(fixture, "filter: precedence of !, && and ||") {
  const event e = conn();  // orig_bytes == 1500, delta == -7, local_orig
  // && binds tighter than ||: true || (false && false).
  CHECK(match("orig_bytes == 1500 || delta == 1 && ratio == 9", e));
  // (true || false) && false would be false.
  CHECK_FALSE(match("(orig_bytes == 1500 || delta == 1) && ratio == 9", e));
  // ! binds tighter than &&: (!false) && true.
  CHECK(match("!delta == 1 && local_orig", e));
  CHECK_FALSE(match("!(delta == -7 && local_orig)", e));
  CHECK(match("!!local_orig", e));
  CHECK(match("((((local_orig))))", e));
  CHECK(match("T", e));
  CHECK_FALSE(match("F", e));
  CHECK(match("F || T && !F", e));
}

TEST_CASE_FIXTURE(fixture, "filter: addresses and v4/v6 subnets") {
  const event e = conn();
  CHECK(match("orig_h == 10.1.2.3", e));
  CHECK(match("orig_h in 10.0.0.0/8", e));
  CHECK(match("orig_h in 10.1.2.3/32", e));
  CHECK_FALSE(match("orig_h in 10.1.2.4/32", e));
  CHECK(match("orig_h !in 192.168.0.0/16", e));
  CHECK_FALSE(match("orig_h !in 10.0.0.0/8", e));
  CHECK_FALSE(match("orig_h in 2001:db8::/32", e));
  CHECK(match("orig_h < 10.1.2.4 && orig_h > 10.1.2.2", e));
  CHECK(match("net == 10.1.0.0/16", e));
  CHECK(match("net in 10.0.0.0/8", e));       // a subnet inside a subnet
  CHECK_FALSE(match("net in 10.1.2.0/24", e));  // wider than the literal
  const event h = http("a", "/");
  CHECK(match("orig_h in 2001:db8::/32", h));
  CHECK(match("orig_h == 2001:db8::7", h));
  CHECK(match("orig_h == 2001:0db8:0:0::7", h));
  CHECK_FALSE(match("orig_h in 10.0.0.0/8", h));
  CHECK(match("orig_h in ::/0", h));
}

TEST_CASE_FIXTURE(fixture, "filter: ports") {
  const event e = conn();
  CHECK(match("resp_p == 22/tcp", e));
  CHECK_FALSE(match("resp_p == 22/udp", e));
  CHECK(match("resp_p != 22/udp", e));
  CHECK(match("resp_p < 1024/tcp", e));
  // Ports of different transports are unordered.
  CHECK_FALSE(match("resp_p < 1024/udp", e));
  CHECK_FALSE(match("resp_p > 1/udp", e));
  // A bare number matches the port number whatever the transport.
  CHECK(match("resp_p == 22", e));
  CHECK(match("resp_p < 23", e));
  // A port number no port can have is a typo, caught at compile time.
  CHECK(fails("resp_p == 70000") == "column 11: port number 70000 is out of range (0..65535)");
  CHECK(fails("resp_p in [1024/tcp .. 22/tcp]") == "column 11: empty range: the lower end is above the upper end");
}

TEST_CASE_FIXTURE(fixture, "filter: set membership") {
  const event e = conn();
  CHECK(match("resp_p in {22/tcp, 2222/tcp}", e));
  CHECK_FALSE(match("resp_p in {22/udp, 2222/tcp}", e));
  CHECK(match("resp_p in {80, 22}", e));
  CHECK(match("resp_p !in {80/tcp, 443/tcp}", e));
  CHECK_FALSE(match("resp_p !in {22/tcp}", e));
  CHECK(match("orig_h in {192.168.0.1, 10.1.2.3}", e));
  CHECK(match("orig_h in {192.168.0.1, 10.0.0.0/8}", e));
  CHECK_FALSE(match("orig_h in {192.168.0.1, 2001:db8::/32}", e));
  CHECK(match("conn_state in {\"S0\", \"SF\", \"REJ\",}", e));
  CHECK(match("proto in {udp, tcp}", e));
  CHECK(match("orig_bytes in {1, 1500, 3}", e));
  CHECK(match("orig_bytes in {-1, 1500}", e));
  CHECK(match("delta in {-7, 7}", e));
  CHECK(match("ratio in {0.5, 0.25}", e));
  CHECK(match("duration in {90s, 1m}", e));
  CHECK_FALSE(match("orig_bytes in {}", e));
  CHECK(match("orig_bytes !in {}", e));
  CHECK(match("net in {10.1.0.0/16}", e));
}

TEST_CASE_FIXTURE(fixture, "filter: ranges") {
  const event e = conn();
  CHECK(match("resp_p in [1/tcp .. 1023/tcp]", e));
  CHECK(match("resp_p in [22/tcp..22/tcp]", e));
  CHECK_FALSE(match("resp_p in [1/udp .. 1023/udp]", e));
  CHECK(match("resp_p !in [1/udp .. 1023/udp]", e));
  CHECK_FALSE(match("resp_p in [23/tcp .. 1023/tcp]", e));
  CHECK(match("resp_p in [1 .. 1023]", e));
  CHECK(match("orig_bytes in [1000 .. 2000]", e));
  CHECK(match("orig_bytes in [-5 .. 2000]", e));
  CHECK_FALSE(match("orig_bytes in [1501 .. 2000]", e));
  CHECK(match("orig_bytes !in [1501 .. 2000]", e));
  CHECK(match("orig_bytes in [1499.5 .. 1500]", e));
  CHECK(match("delta in [-10 .. -5]", e));
  CHECK(match("orig_h in [10.0.0.0 .. 10.255.255.255]", e));
  CHECK(match("conn_state in [\"A\" .. \"Z\"]", e));
  CHECK(match("duration in [1m .. 2m]", e));
  CHECK(match("ts in [now - 1h .. now]", e));
  CHECK_FALSE(match("ts in [now - 2h .. now - 1h]", e));
}

TEST_CASE_FIXTURE(fixture, "filter: regular expressions") {
  const event h = http("WWW.Example.com", "/wp-admin/index.php");
  CHECK(match("uri ~ /\\.php$/", h));
  CHECK_FALSE(match("uri !~ /\\.php$/", h));
  CHECK(match("uri !~ /\\.asp$/", h));
  CHECK(match("uri ~ /^\\/wp-admin\\//", h));  // \/ stands for a slash
  CHECK_FALSE(match("host ~ /example/", h));
  CHECK(match("host ~ /example/i", h));
  CHECK(match("uri ~ \"index\"", h));  // a string pattern
  CHECK(match("uri ~ //", h));          // the empty pattern matches everything
  const event e = conn();
  CHECK(match("proto ~ /^t/", e));
  CHECK(match("server.name ~ /OpenSSH_[0-8]\\./ || server.name ~ /OpenSSH_9\\./", e));
}

TEST_CASE_FIXTURE(fixture, "filter: relative and absolute time with a fixed now") {
  event e = conn();
  e.ts = now - interval::seconds(30 * 60);  // 30 minutes ago
  auto last_hour = compile("ts > now - 1h");
  CHECK(last_hour.uses_relative_time());
  CHECK(last_hour.matches(e, now));
  CHECK_FALSE(last_hour.matches(e, now + interval::seconds(2 * 3600)));
  CHECK(match("ts < now - 29m", e));
  CHECK(match("ts > now - 1800001ms", e));
  CHECK_FALSE(match("ts > now - 1800s", e));
  CHECK(match("ts > now - 1d + 23h", e));
  CHECK(match("ts >= now - 30 mins", e));
  CHECK(match("ts > now - 0.5h - 1us", e));
  CHECK(match("start < now - 1m", e));
  CHECK(match("ts > 2023-11-14T00:00:00Z && ts < 2023-11-15T00:00:00Z", e));
  CHECK(match("ts > 1699998199.5", e));
  CHECK_FALSE(match("ts > 1699998200", e));
  CHECK(match("ts > 2023-11-14T22:30:00+01:00", e));  // 21:30 UTC
  CHECK_FALSE(match("ts > 2023-11-14T22:30:00Z", e));
}

TEST_CASE_FIXTURE(fixture, "filter: intervals") {
  const event e = conn();  // duration 90 s
  CHECK(match("duration > 1m", e));
  CHECK(match("duration == 1.5m", e));
  CHECK(match("duration == 90", e));  // seconds, as Zeek writes intervals
  CHECK(match("duration < 90001ms", e));
  CHECK(match("duration > 89999999999ns", e));
  CHECK(match("duration > -1h", e));
  CHECK_FALSE(match("duration > 1d", e));
  CHECK_FALSE(compile("duration > 1m").uses_relative_time());
}

TEST_CASE_FIXTURE(fixture, "filter: type selection and the types a filter can match") {
  const event c = conn();
  event q = make("dns_request");
  REQUIRE(q.set("query", "evil.example").ok());
  CHECK(match("type == connection_end", c));
  CHECK_FALSE(match("type == connection_end", q));
  CHECK(match("type != connection_end", q));
  CHECK(match("type in {dns_request, dns_reply}", q));
  CHECK_FALSE(match("type !in {dns_request, dns_reply}", q));
  CHECK(match("type == \"dns_request\"", q));

  using names = std::vector<std::string>;
  CHECK(compile("type == connection_end").event_types() == names{"connection_end"});
  CHECK(compile("type in {dns_request, dns_reply} && query ends_with \".com\"").event_types() ==
        names{"dns_reply", "dns_request"});
  CHECK(compile("type != connection_end").event_types() == names{"dns_reply", "dns_request", "http_request"});
  CHECK(compile("ts > now - 1h").event_types() ==
        names{"connection_end", "dns_reply", "dns_request", "http_request"});
  // Without a type test, the types having the fields a match needs.
  CHECK(compile("resp_p == 22/tcp").event_types() == names{"connection_end", "dns_request"});
  CHECK(compile("uri ~ /x/").event_types() == names{"http_request"});
  CHECK(compile("!(uri ~ /x/)").event_types().size() == 4);
  CHECK(compile("type == connection_end && type == dns_request").event_types().empty());
  CHECK(compile("F").event_types().empty());
  // `status` is a count in dns_request and a string in dns_reply.
  CHECK(compile("status == 3").event_types() == names{"dns_request"});
  CHECK(compile("status == \"NXDOMAIN\"").event_types() == names{"dns_reply"});
  CHECK(compile("(type == dns_request && query == \"a\") || (type == http_request && uri == \"/\")")
            .event_types() == names{"dns_request", "http_request"});
}

TEST_CASE_FIXTURE(fixture, "filter: a field the event's type lacks or leaves unset") {
  const event h = http("a", "/");
  // http_request has no resp_p: every comparison on it is false...
  CHECK_FALSE(match("resp_p == 22/tcp", h));
  CHECK_FALSE(match("resp_p != 22/tcp", h));
  CHECK_FALSE(match("resp_p !in {22/tcp}", h));
  CHECK_FALSE(match("resp_p !in [1 .. 2]", h));
  // ...while its negation is true.
  CHECK(match("!(resp_p == 22/tcp)", h));
  CHECK(match("resp_p == 22/tcp || host == \"a\"", h));
  // A field of an incompatible type in this event type behaves the same.
  event r = make("dns_reply");
  REQUIRE(r.set("status", "NOERROR").ok());
  CHECK_FALSE(match("status == 3", r));
  CHECK_FALSE(match("status != 3", r));
  // An unset optional field too.
  event e = make("connection_end");
  CHECK_FALSE(match("orig_bytes == 0", e));
  CHECK_FALSE(match("orig_bytes != 0", e));
  CHECK_FALSE(match("conn_state !~ /x/", e));
  CHECK(match("!(orig_bytes == 0)", e));
  CHECK_FALSE(match("uid == \"\"", e));  // no uid
}

TEST_CASE_FIXTURE(fixture, "filter: envelope fields") {
  const event e = conn();
  CHECK(match("site == \"lbl.gov\" && sensor == \"zeek-1\"", e));
  CHECK(match("origin.site ends_with \".gov\" && origin.sensor starts_with \"zeek\"", e));
  CHECK(match("uid == \"CHhAvVGS1DHFjwGM9\"", e));
  CHECK(match("id == \"00000000000000010000000000000002\"", e));
  CHECK(match("id != \"00000000000000010000000000000003\"", e));
  CHECK(match("ts == 1700000000", e));
  const event h = http("a", "/");
  CHECK(match("site in {\"lbl.gov\", \"ucb.edu\"}", h));
}

TEST_CASE_FIXTURE(fixture, "filter: record subfields, dotted names and containers") {
  const event e = conn();
  CHECK(match("server.name == \"OpenSSH_9.2\"", e));
  CHECK(match("server.version >= 9", e));
  CHECK(match("id.orig_h == 10.1.2.3", e));  // a field whose name has a dot
  CHECK(match("tags contains \"ssh\"", e));
  CHECK_FALSE(match("tags contains \"http\"", e));
  CHECK(match("hops contains 2001:db8::1", e));
  CHECK_FALSE(match("hops contains 10.0.0.2", e));
  event r = make("dns_reply");
  REQUIRE(r.set("answers", vector_value{{value(addr("1.2.3.4"))}}).ok());
  CHECK(match("answers contains 1.2.3.4", r));
}

TEST_CASE_FIXTURE(fixture, "filter: events whose schema object is not the registry's") {
  // Same type, schema built separately (e.g. decoded from a peer).
  auto copy = std::make_shared<const schema>(*reg.find("connection_end"));
  event e(copy);
  REQUIRE(e.set("resp_p", prt("22/tcp")).ok());
  CHECK(match("resp_p == 22/tcp && type == connection_end", e));
  // An older version with fewer fields: the missing ones are false.
  std::vector<field> old_fields = conn_fields();
  old_fields.resize(4);
  event old(std::make_shared<const schema>("connection_end", 1, old_fields));
  REQUIRE(old.set("resp_p", prt("22/tcp")).ok());
  CHECK(match("resp_p == 22/tcp", old));
  CHECK_FALSE(match("orig_bytes == 0", old));
  // A same-named type that disagrees about a field: its fields are not read.
  event odd(std::make_shared<const schema>("connection_end", 7,
                                           std::vector<field>{fld("resp_p", "string"), fld("x", "count")}));
  REQUIRE(odd.set("resp_p", "22/tcp").ok());
  CHECK_FALSE(match("conn_state == \"SF\" || orig_h == 1.2.3.4", odd));
  CHECK(match("type == connection_end", odd));
  // A type the registry does not know: only envelope and type tests apply.
  event stranger(std::make_shared<const schema>("stranger", 1, std::vector<field>{fld("resp_p", "port")}));
  REQUIRE(stranger.set("resp_p", prt("22/tcp")).ok());
  stranger.from.site = "lbl.gov";
  CHECK_FALSE(match("resp_p == 22/tcp", stranger));
  CHECK(match("type != connection_end && site == \"lbl.gov\"", stranger));
  CHECK_FALSE(match("type in {connection_end, dns_request}", stranger));
  // An event without a type.
  CHECK(match("!(resp_p == 22/tcp)", event{}));
  CHECK_FALSE(match("resp_p == 22/tcp", event{}));
}

TEST_CASE_FIXTURE(fixture, "filter: value semantics and concurrent evaluation") {
  filter f = compile("resp_p in {22/tcp, 2222/tcp} && orig_h in 10.0.0.0/8");
  filter g = f;
  CHECK(g == f);
  CHECK(g.text() == "resp_p in {22/tcp, 2222/tcp} && orig_h in 10.0.0.0/8");
  CHECK_FALSE(g.uses_relative_time());
  filter empty;
  CHECK_FALSE(empty.valid());
  CHECK(empty.text().empty());
  CHECK_FALSE(empty.matches(conn(), now));
  CHECK(empty.event_types().empty());
  CHECK_FALSE(empty == f);

  const event e = conn();
  const event h = http("a", "/");
  std::vector<int> hits(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) hits[t] += (g.matches(e, now) ? 1 : 0) + (g.matches(h, now) ? 100 : 0);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(hits == std::vector<int>(4, 2000));
}

TEST_CASE_FIXTURE(fixture, "filter: literal syntax") {
  const event e = conn();
  CHECK(match("  resp_p==22/tcp&&orig_h in 10.0.0.0/8  ", e));
  CHECK(match("resp_p\n==\t22/tcp", e));
  CHECK(match("orig_h !in {::1, fe80::/10, 2001:db8::}", e));
  CHECK(match("resp_p != 0/unknown && resp_p != 8/icmp && resp_p != 53/udp", e));
  CHECK(match("conn_state != \"a\\\"b\\\\c\\n\\t\\r\"", e));
}

TEST_CASE_FIXTURE(fixture, "filter: error messages point at the column") {
  // Syntax.
  CHECK(fails("resp_p == 22/tcp &&") == "column 20: expected a field name, '(' or '!', found end of input");
  CHECK(fails("(resp_p == 22/tcp") == "column 18: expected ')' to close the '(' at column 1, found end of input");
  CHECK(fails("resp_p = 22/tcp") == "column 8: unexpected '='; did you mean '=='?");
  CHECK(fails("resp_p == 22/tcp)") == "column 17: unbalanced ')'");
  CHECK(fails("query == \"x\" resp_p") == "column 14: expected '&&', '||' or end of input, found identifier 'resp_p'");
  CHECK(fails("resp_p 22/tcp") ==
        "column 8: expected an operator (==, !=, <, <=, >, >=, in, !in, ~, !~, starts_with, ends_with, "
        "contains) after 'resp_p', found literal '22/tcp'");
  CHECK(fails("resp_p in 22/tcp") ==
        "column 11: expected a set {...}, a range [... .. ...] or a subnet after 'in', found literal '22/tcp'");
  CHECK(fails("resp_p in {22/tcp 23/tcp}") ==
        "column 19: expected ',' or '}' in the set opened at column 11, found literal '23/tcp'");
  CHECK(fails("resp_p in [1/tcp, 2/tcp]") ==
        "column 17: expected '..' in the range opened at column 11, found ','");
  CHECK(fails("x == 1 || && y") == "column 11: expected a field name, '(' or '!', found '&&'");
  CHECK(fails("uri == /x/") == "column 8: a regular expression is only allowed after '~' or '!~'");
  CHECK(fails("ts > now - 5") == "column 12: expected an interval (e.g. 1h, 30m, 500ms) after '-', found literal '5'");
  CHECK(fails("resp_p in {now}") == "column 12: 'now' is not allowed in a set");
  CHECK(fails("") == "column 1: expected a field name, '(' or '!', found end of input");
  // Literals.
  CHECK(fails("resp_p == 22/tcpx") ==
        "column 11: invalid port '22/tcpx' (expected 0-65535 and tcp, udp, icmp or unknown)");
  CHECK(fails("orig_h == 10.0.0.256") == "column 11: invalid address '10.0.0.256'");
  CHECK(fails("orig_h == 10.0.0") == "column 11: malformed number or address '10.0.0'");
  CHECK(fails("orig_h == ::g") == "column 13: unexpected 'g' after literal '::'");
  CHECK(fails("host == \"abc") == "column 9: unterminated string");
  CHECK(fails("host == \"a\\q\"") ==
        "column 11: unknown escape '\\q' (expected \\\", \\\\, \\n, \\t, \\r, \\0 or \\xHH)");
  CHECK(fails("ts > now - 1x") == "column 13: unknown time unit 'x' (expected ns, us, ms, s, m, h or d)");
  CHECK(fails("orig_bytes == 99999999999999999999") ==
        "column 15: number '99999999999999999999' does not fit in 64 bits");
  CHECK(fails("host == 'a'") == "column 9: unexpected character '''");
  CHECK(fails("host == \"a\" & uri == \"b\"") == "column 13: unexpected '&'; did you mean '&&'?");
  CHECK(fails("uri ~ /x/q") == "column 10: unknown regular expression flag 'q' (only 'i' exists)");
  CHECK(fails("uri ~ /abc") == "column 7: unterminated regular expression");
  // Types.
  CHECK(fails("resp_pp == 22/tcp && type == connection_end", errc::not_found).starts_with(
      "column 1: unknown field 'resp_pp', did you mean 'resp_p'? (connection_end has: orig_h, orig_p, resp_h, "
      "resp_p, proto,"));
  CHECK(fails("type == dns_request && resp_pp == 1", errc::not_found) ==
        "column 24: unknown field 'resp_pp', did you mean 'resp_p'? (dns_request has: orig_h, resp_h, resp_p, "
        "query, qtype, status)");
  CHECK(fails("server.nam == \"x\"", errc::not_found) ==
        "column 1: unknown field 'server.nam', did you mean 'server.name'? (in none of the 4 event types "
        "connection_end, dns_reply, dns_request, http_request)");
  CHECK(fails("orig_bytes > 0 && resp_p == \"ssh\"") == "column 29: cannot compare port with string");
  CHECK(fails("orig_h == 10.0.0.0/8") == "column 11: cannot compare addr with subnet (use 'in' for subnet membership)");
  CHECK(fails("orig_bytes == \"x\"") == "column 15: cannot compare count with string");
  CHECK(fails("orig_bytes == ssh") ==
        "column 15: cannot compare count with identifier 'ssh' (the right side must be a value, not a field)");
  CHECK(fails("type == dns_requets", errc::not_found) ==
        "column 9: unknown event type 'dns_requets' (known: connection_end, dns_reply, dns_request, http_request)");
  CHECK(fails("local_orig && type") ==
        "column 15: 'type' must be compared with event types: type == <name> or type in {...}");
  CHECK(fails("type < dns_request") == "column 6: 'type' supports ==, !=, in {...} and !in {...}, not '<'");
  CHECK(fails("query starts_with 5") == "column 19: 'starts_with' needs a string, found count");
  CHECK(fails("resp_p ~ /x/") == "column 8: '~' applies to string, bytes and enum fields, not port");
  CHECK(fails("resp_p in [1/tcp .. 1023/udp]") == "column 11: range ends have different transports");
  CHECK(fails("local_orig && orig_bytes") ==
        "column 15: field 'orig_bytes' is count, not bool; compare it with a value");
  CHECK(fails("proto < tcp") == "column 7: cannot order enum values (only == and != apply)");
  CHECK(fails("proto == tpc", errc::not_found) == "column 10: unknown enum label 'tpc' (labels: tcp, udp, icmp)");
  CHECK(fails("orig_h in {10.0.0.1, \"x\"}") == "column 22: cannot compare addr with string");
  CHECK(fails("tags contains 5") == "column 15: cannot compare string with count");
  CHECK(fails("tags starts_with \"x\"") ==
        "column 6: 'starts_with' applies to string, bytes and enum fields, not set[string]");
  CHECK(fails("id == \"xyz\"") == "column 7: invalid event id (expected 32 hex digits)");
  CHECK(fails("orig_bytes in 10.0.0.0/8") ==
        "column 15: cannot test count for membership in a subnet (only addr and subnet can)");
  CHECK(fails("uri ~ /(/").starts_with("column 7: invalid regular expression: missing ):"));
  CHECK(fails("uri ~ /a/ && host ~ /[z-a]/").starts_with("column 21: invalid regular expression: "));
}

TEST_CASE_FIXTURE(fixture, "filter: limits on hostile input") {
  // Nesting: the parser stops at the depth limit instead of recursing on.
  std::string deep(100'000, '(');
  CHECK(fails(deep, errc::overloaded) == "column 65: expression nested deeper than the limit of 64");
  std::string nots(100'000, '!');
  nots += "local_orig";
  CHECK(fails(nots, errc::overloaded) == "column 65: expression nested deeper than the limit of 64");
  filter_limits tight;
  tight.max_depth = 3;
  CHECK(filter::compile("(!(local_orig))", reg, tight).ok());
  auto too_deep = filter::compile("(!(!local_orig))", reg, tight);
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.err().message == "column 4: expression nested deeper than the limit of 3");
  // Length.
  tight = {};
  tight.max_length = 10;
  auto too_long = filter::compile("orig_bytes == 1", reg, tight);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.err().code == errc::overloaded);
  CHECK(too_long.err().message == "column 11: filter is longer than the limit of 10 bytes");
  // Sets.
  tight = {};
  tight.max_set_elements = 2;
  auto big_set = filter::compile("orig_bytes in {1, 2, 3}", reg, tight);
  REQUIRE_FALSE(big_set.ok());
  CHECK(big_set.err().message == "column 22: set has more elements than the limit of 2");
  // Regular expressions: length, count and memory.
  tight = {};
  tight.max_regex_length = 4;
  auto long_re = filter::compile("uri ~ /abcde/", reg, tight);
  REQUIRE_FALSE(long_re.ok());
  CHECK(long_re.err().message == "column 7: regular expression longer than the limit of 4 bytes");
  tight = {};
  tight.max_regexes = 1;
  auto two = filter::compile("uri ~ /a/ || host ~ /b/", reg, tight);
  REQUIRE_FALSE(two.ok());
  CHECK(two.err().message == "column 21: more regular expressions than the limit of 1");
  tight = {};
  tight.max_regex_memory = 1 << 16;
  auto hungry = filter::compile("uri ~ /.{900}/", reg, tight);
  REQUIRE_FALSE(hungry.ok());
  CHECK(hungry.err().code == errc::overloaded);
  CHECK(hungry.err().message.starts_with("column 7: regular expression needs more memory than the limit"));
  // A pathological pattern still matches in linear time.
  std::string long_uri(50'000, 'a');
  CHECK_FALSE(match("uri ~ /(a+)+b/ || uri ~ /(a|aa)*c$/", http("h", long_uri.c_str())));
  // Program size across event types.
  tight = {};
  tight.max_program_nodes = 5;
  auto wide = filter::compile("orig_bytes == 1 || orig_bytes == 2 || orig_bytes == 3", reg, tight);
  REQUIRE_FALSE(wide.ok());
  CHECK(wide.err().code == errc::overloaded);
}
