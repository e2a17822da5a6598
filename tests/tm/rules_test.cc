// The rules text (docs/timemachine.md, "Rules and tiers"): every statement,
// comments, the default class, tiers, and every validation error with the
// exact `rules:LINE:COL:` it reports. Parsed against the real catalogue.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "coop/model/catalogue.h"
#include "coop/model/event.h"
#include "coop/tm/rules.h"

using namespace coop;
using coop::tm::rule_action;
using coop::tm::rule_set;

namespace {

const model::registry& catalogue() {
  static const model::registry reg = [] {
    model::registry r;
    if (!model::add_catalogue(r)) throw std::runtime_error("catalogue");
    return r;
  }();
  return reg;
}

rule_set parse_ok(std::string_view text) {
  auto r = rule_set::parse(text, catalogue());
  if (!r) FAIL_CHECK(r.err().message);
  REQUIRE(r.ok());
  return std::move(r).value();
}

model::error parse_error(std::string_view text) {
  auto r = rule_set::parse(text, catalogue());
  REQUIRE_FALSE(r.ok());
  return r.err();
}

std::string message_of(std::string_view text) { return parse_error(text).message; }

constexpr model::interval days(std::int64_t n) { return model::interval::seconds(n * 86400); }

constexpr std::string_view example = R"(# Volume reduction for a campus border sensor.
class connections types connection_attempt,connection_established,connection_end budget 20GiB precedence 10
class packets types packet budget 50GiB precedence 1
class default budget 10GiB              # every type no other class names

drop    type == dns_reply && qtype_name == "PTR"
sample  10 type == dns_request          # keep 1 in 10
project ts,orig_h,host,uri type == http_request
rate    1000/s type == syslog_message
keep    type == notice
packet_cutoff 15KiB
tier connections raw 7d
tier connections hourly every 1h until 90d key orig_h,resp_h,resp_p,ip_proto sum orig_bytes,resp_bytes,orig_pkts,resp_pkts
tier connections daily every 1d until 2y key orig_h,resp_p sum orig_bytes,resp_bytes
)";

}  // namespace

TEST_CASE("the default rule set has one default class kept raw forever, no rules, no cut-off") {
  const rule_set d;
  CHECK(d.text().empty());
  CHECK(d.rules().empty());
  REQUIRE(d.classes().size() == 1);
  CHECK(d.classes()[0].name == "default");
  CHECK(d.classes()[0].budget_bytes == 0);
  CHECK(d.tiers().empty());
  CHECK(d.packet_cutoff() == 0);
  CHECK(d.class_of("connection_end").name == "default");
  const auto t = d.tiers_of("default");
  CHECK(t.class_name == "default");
  REQUIRE(t.tiers.size() == 1);
  CHECK(t.tiers[0].name == "raw");
  CHECK(t.tiers[0].until.ns == 0);
  CHECK(t.tiers[0].bucket.ns == 0);
}

TEST_CASE("an empty text or one of comments and blank lines gives the default set") {
  for (std::string_view text : {"", "\n\n", "# nothing\n   \n\t# more\n"}) {
    const rule_set r = parse_ok(text);
    CHECK(r.rules().empty());
    REQUIRE(r.classes().size() == 1);
    CHECK(r.classes()[0].name == "default");
    CHECK(r.text() == text);
  }
}

TEST_CASE("the documented example parses into classes, rules, cut-off and tiers") {
  const rule_set r = parse_ok(example);
  CHECK(r.text() == example);

  REQUIRE(r.classes().size() == 3);
  const auto& conns = r.classes()[0];
  CHECK(conns.name == "connections");
  CHECK(conns.types ==
        std::vector<std::string>{"connection_attempt", "connection_established", "connection_end"});
  CHECK(conns.budget_bytes == 20ULL << 30);
  CHECK(conns.precedence == 10);
  CHECK(r.classes()[1].name == "packets");
  CHECK(r.classes()[1].budget_bytes == 50ULL << 30);
  CHECK(r.classes()[1].precedence == 1);
  CHECK(r.classes()[2].name == "default");
  CHECK(r.classes()[2].types.empty());
  CHECK(r.classes()[2].budget_bytes == 10ULL << 30);

  REQUIRE(r.rules().size() == 5);
  CHECK(r.rules()[0].action == rule_action::drop);
  CHECK(r.rules()[0].line == 6);
  CHECK(r.rules()[0].match.text() == "type == dns_reply && qtype_name == \"PTR\"");
  CHECK(r.rules()[1].action == rule_action::sample);
  CHECK(r.rules()[1].every == 10);
  CHECK(r.rules()[1].match.text() == "type == dns_request");
  CHECK(r.rules()[2].action == rule_action::project);
  // Envelope fields (ts) are always kept and not listed.
  CHECK(r.rules()[2].fields == std::vector<std::string>{"orig_h", "host", "uri"});
  CHECK(r.rules()[3].action == rule_action::rate);
  CHECK(r.rules()[3].per_second == 1000);
  CHECK(r.rules()[3].rate_window == model::interval::seconds(1));
  CHECK(r.rules()[4].action == rule_action::keep);
  CHECK(r.rules()[4].line == 10);
  CHECK(r.packet_cutoff() == 15 * 1024);

  REQUIRE(r.tiers().size() == 1);
  const auto t = r.tiers_of("connections");
  CHECK(t.class_name == "connections");
  REQUIRE(t.tiers.size() == 3);
  CHECK(t.tiers[0].name == "raw");
  CHECK(t.tiers[0].until == days(7));
  CHECK(t.tiers[0].bucket.ns == 0);
  CHECK(t.tiers[0].keys.empty());
  CHECK(t.tiers[1].name == "hourly");
  CHECK(t.tiers[1].bucket == model::interval::seconds(3600));
  CHECK(t.tiers[1].until == days(90));
  CHECK(t.tiers[1].keys == std::vector<std::string>{"orig_h", "resp_h", "resp_p", "ip_proto"});
  CHECK(t.tiers[1].sums ==
        std::vector<std::string>{"orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts"});
  CHECK(t.tiers[2].name == "daily");
  CHECK(t.tiers[2].bucket == days(1));
  CHECK(t.tiers[2].until == days(730));  // 2y: a year is 365 days
  CHECK(t.tiers[2].keys == std::vector<std::string>{"orig_h", "resp_p"});
}

TEST_CASE("class_of and tiers_of: named types, the default class, classes without tiers") {
  const rule_set r = parse_ok(example);
  CHECK(r.class_of("connection_end").name == "connections");
  CHECK(r.class_of("connection_attempt").name == "connections");
  CHECK(r.class_of("packet").name == "packets");
  CHECK(r.class_of("http_request").name == "default");
  CHECK(r.class_of("no_such_type").name == "default");
  const auto p = r.tiers_of("packets");
  CHECK(p.class_name == "packets");
  REQUIRE(p.tiers.size() == 1);
  CHECK(p.tiers[0].name == "raw");
  CHECK(p.tiers[0].until.ns == 0);  // kept forever
}

TEST_CASE("the default class is appended last, or moved last when declared earlier") {
  const rule_set a = parse_ok("class web types http_request,http_reply\n");
  REQUIRE(a.classes().size() == 2);
  CHECK(a.classes()[1].name == "default");
  CHECK(a.classes()[1].budget_bytes == 0);

  const rule_set b = parse_ok(
      "class default budget 1GB precedence -3\n"
      "class web types http_request\n");
  REQUIRE(b.classes().size() == 2);
  CHECK(b.classes()[0].name == "web");
  CHECK(b.classes()[1].name == "default");
  CHECK(b.classes()[1].budget_bytes == 1000'000'000);
  CHECK(b.classes()[1].precedence == -3);
}

TEST_CASE("sizes take decimal and binary units, intervals take years") {
  struct sc {
    const char* text;
    std::uint64_t bytes;
  };
  for (const sc& c :
       {sc{"0", 0}, sc{"512", 512}, sc{"512B", 512}, sc{"2KB", 2000}, sc{"3MB", 3000'000},
        sc{"1GB", 1000'000'000}, sc{"1TB", 1000'000'000'000}, sc{"2KiB", 2048},
        sc{"3MiB", 3ULL << 20}, sc{"4GiB", 4ULL << 30}, sc{"5TiB", 5ULL << 40}}) {
    CAPTURE(c.text);
    CHECK(parse_ok(std::string("packet_cutoff ") + c.text).packet_cutoff() == c.bytes);
  }
  const rule_set r = parse_ok(
      "tier default raw 36h\n"
      "tier default a every 30m until 1y\n"
      "tier default b every 90m until 400d\n"
      "tier default c every 3h until forever\n");
  const auto t = r.tiers_of("default");
  REQUIRE(t.tiers.size() == 4);
  CHECK(t.tiers[0].until == model::interval::seconds(36 * 3600));
  CHECK(t.tiers[1].bucket == model::interval::seconds(1800));
  CHECK(t.tiers[1].until == days(365));
  CHECK(t.tiers[2].until == days(400));
  CHECK(t.tiers[3].until.ns == 0);
}

TEST_CASE("rates per second, minute and hour, sample 1, project with spaces after commas") {
  const rule_set r = parse_ok(
      "rate 5/m type == ssh_login\n"
      "rate 7/h type == notice\n"
      "sample 1 type == dns_request\n"
      "project orig_h, uri,  host   type == http_request\n");
  REQUIRE(r.rules().size() == 4);
  CHECK(r.rules()[0].per_second == 5);
  CHECK(r.rules()[0].rate_window == model::interval::seconds(60));
  CHECK(r.rules()[1].per_second == 7);
  CHECK(r.rules()[1].rate_window == model::interval::seconds(3600));
  CHECK(r.rules()[2].every == 1);
  CHECK(r.rules()[3].fields == std::vector<std::string>{"orig_h", "uri", "host"});
  CHECK(r.rules()[3].match.text() == "type == http_request");
}

TEST_CASE("a # inside a string or a regular expression does not start a comment") {
  const rule_set r = parse_ok(
      "drop uri == \"/a#b\" # a comment\n"
      "drop uri ~ /#frag$/ && resp_h in 10.0.0.0/8 # another\n"
      "drop uri ~ /a\\/#b/\n"
      "keep host == \"x\\\"#\"\n"
      "drop resp_p == 22/tcp#comment right after a port\n");
  REQUIRE(r.rules().size() == 5);
  CHECK(r.rules()[0].match.text() == "uri == \"/a#b\"");
  CHECK(r.rules()[1].match.text() == "uri ~ /#frag$/ && resp_h in 10.0.0.0/8");
  CHECK(r.rules()[2].match.text() == "uri ~ /a\\/#b/");
  CHECK(r.rules()[3].match.text() == "host == \"x\\\"#\"");
  CHECK(r.rules()[4].match.text() == "resp_p == 22/tcp");
}

TEST_CASE("CRLF line ends and tabs are accepted and line numbers count every line") {
  const rule_set r = parse_ok("# c\r\n\r\n\tdrop\ttype == notice\r\nkeep type == sighting\r\n");
  REQUIRE(r.rules().size() == 2);
  CHECK(r.rules()[0].line == 3);
  CHECK(r.rules()[0].match.text() == "type == notice");
  CHECK(r.rules()[1].line == 4);
  CHECK(message_of("\r\n\r\nbogus\r\n") ==
        "rules:3:1: unknown statement 'bogus' (expected class, tier, packet_cutoff, drop, keep, "
        "sample, project or rate)");
}

TEST_CASE("a tier may name a class declared further down") {
  const rule_set r = parse_ok(
      "tier web raw 1d\n"
      "class web types http_request\n"
      "tier web daily every 1d until 30d key host sum request_body_len\n");
  const auto t = r.tiers_of("web");
  REQUIRE(t.tiers.size() == 2);
  CHECK(t.tiers[1].keys == std::vector<std::string>{"host"});
}

TEST_CASE("the default class's tiers may use fields of every type no class names") {
  const rule_set r = parse_ok(
      "class conns types connection_end\n"
      "tier default raw 30d\n"
      "tier default daily every 1d until forever key orig_h,query sum trans_id\n");
  CHECK(r.tiers_of("default").tiers.size() == 2);
  // connection_end belongs to conns, so its fields are not the default's.
  CHECK(message_of("class conns types connection_end\n"
                   "tier default raw 30d\n"
                   "tier default daily every 1d until 1y sum resp_bytes\n") ==
        "rules:3:42: field 'resp_bytes' is not in any event type of class 'default' "
        "(connection_attempt, connection_established, dns_reply, dns_request, file_transfer, "
        "ftp_command, http_reply, http_request, indicator, notice, packet, sighting, "
        "smtp_message, ssh_login, syslog_message, tls_handshake)");
}

TEST_CASE("class errors give line, column and what was wrong") {
  CHECK(message_of("class conns types conection_end") ==
        "rules:1:19: unknown event type 'conection_end'");
  CHECK(parse_error("class conns types conection_end").code == model::errc::not_found);
  CHECK(message_of("class a types notice\nclass a types sighting") ==
        "rules:2:7: class 'a' is already declared on line 1");
  CHECK(message_of("class a types notice\n\nclass b types sighting,notice") ==
        "rules:3:24: event type 'notice' already belongs to class 'a' (line 1)");
  CHECK(message_of("class a types notice, notice") ==
        "rules:1:23: event type 'notice' is listed twice");
  CHECK(message_of("class default types notice") ==
        "rules:1:15: class 'default' takes no types: it holds every type no other class names");
  CHECK(message_of("class lonely budget 1GB") ==
        "rules:1:7: class 'lonely' lists no event types (add 'types TYPE,...')");
  CHECK(message_of("class Conns types notice") ==
        "rules:1:7: invalid class name 'Conns' (expected [a-z0-9_]+, at most 64 characters)");
  CHECK(message_of("class") == "rules:1:6: expected a class name");
  CHECK(message_of("class a types notice budget 20XB") ==
        "rules:1:29: invalid size '20XB' (expected a number of bytes with an optional unit B, "
        "KB, MB, GB, TB, KiB, MiB, GiB or TiB, as in 20GiB)");
  CHECK(message_of("class a types notice budget 20000000TiB") ==
        "rules:1:29: size '20000000TiB' is too large");
  CHECK(message_of("class a types notice budget") == "rules:1:28: expected a value after 'budget'");
  CHECK(message_of("class a types notice precedence high") ==
        "rules:1:33: invalid precedence 'high' (expected an integer)");
  CHECK(message_of("class a types notice budget 1GB budget 2GB") ==
        "rules:1:33: 'budget' is given twice");
  CHECK(message_of("class a types notice colour blue") ==
        "rules:1:22: unexpected 'colour' (expected types, budget or precedence)");
  CHECK(message_of("class a types") == "rules:1:14: expected a list of event type names");
  CHECK(message_of("class a types notice,") ==
        "rules:1:22: expected another event type name after ','");
  CHECK(message_of("class a types notice,,sighting") ==
        "rules:1:22: expected another event type name after ',', found ','");
}

TEST_CASE("rule errors: missing filter, bad counts, bad rates, projections, filter errors") {
  CHECK(message_of("drop") ==
        "rules:1:5: missing filter: 'drop' needs an expression saying which events it applies to");
  CHECK(message_of("keep    # only a comment") ==
        "rules:1:5: missing filter: 'keep' needs an expression saying which events it applies to");
  CHECK(message_of("sample 10") ==
        "rules:1:10: missing filter: 'sample' needs an expression saying which events it applies "
        "to");
  CHECK(message_of("sample 0 type == dns_request") ==
        "rules:1:8: sample 0 is invalid: N must be at least 1 (keep 1 in N events; use 'drop' "
        "to drop every matching event)");
  CHECK(message_of("sample type == dns_request") ==
        "rules:1:8: invalid sample rate 'type' (expected a whole number N: keep 1 in N events)");
  CHECK(message_of("sample") == "rules:1:7: expected N after 'sample' (keep 1 in N events)");
  CHECK(message_of("rate 1000 type == notice") ==
        "rules:1:6: invalid rate '1000' (expected N/s, N/m or N/h, as in 1000/s)");
  CHECK(message_of("rate 10/d type == notice") ==
        "rules:1:6: invalid rate '10/d' (expected N/s, N/m or N/h, as in 1000/s)");
  CHECK(message_of("rate 0/s type == notice") ==
        "rules:1:6: rate '0/s' keeps nothing: use 'drop' to drop every matching event");
  CHECK(message_of("project uri,colour type == http_request") ==
        "rules:1:13: field 'colour' is not in any event type the filter can match "
        "(http_request)");
  CHECK(parse_error("project uri,colour type == http_request").code == model::errc::not_found);
  CHECK(message_of("project query type == http_request") ==
        "rules:1:9: field 'query' is not in any event type the filter can match (http_request)");
  CHECK(message_of("project uri,uri type == http_request") ==
        "rules:1:13: field 'uri' is listed twice");
  CHECK(message_of("project type == http_request").rfind("rules:1:", 0) == 0);
  // Filter errors are re-based from the filter's column onto the line.
  CHECK(message_of("\ndrop    type == dns_reply && qtype_name = \"PTR\"") ==
        "rules:2:41: unexpected '='; did you mean '=='?");
  CHECK(message_of("drop qtype_nme == \"PTR\"")
            .rfind("rules:1:6: unknown field 'qtype_nme', did you mean 'qtype_name'?", 0) == 0);
  CHECK(parse_error("drop qtype_nme == \"PTR\"").code == model::errc::not_found);
  CHECK(message_of("drop type == conection_end")
            .rfind("rules:1:14: unknown event type 'conection_end'", 0) == 0);
  CHECK(message_of("drop resp_p == 22/tcp &&") ==
        "rules:1:25: expected a field name, '(' or '!', found end of input");
  // Trailing garbage after a filter is a filter syntax error.
  CHECK(message_of("keep type == notice notice").rfind("rules:1:21: ", 0) == 0);
  CHECK(message_of("drop ts > now - 1h") ==
        "rules:1:6: a rule's filter cannot use 'now': rules see events as they are ingested, so "
        "compare ts with absolute times instead");
}

TEST_CASE("packet_cutoff and unknown statement errors") {
  CHECK(message_of("packet_cutoff 15KiB\npacket_cutoff 20KiB") ==
        "rules:2:1: packet_cutoff is already set on line 1");
  CHECK(message_of("packet_cutoff") ==
        "rules:1:14: expected a size after packet_cutoff (e.g. 15KiB)");
  CHECK(message_of("packet_cutoff 15 KiB") ==
        "rules:1:18: unexpected 'KiB' after the cut-off size");
  CHECK(message_of("packet_cutoff -1") ==
        "rules:1:15: invalid size '-1' (expected a number of bytes with an optional unit B, KB, "
        "MB, GB, TB, KiB, MiB, GiB or TiB, as in 20GiB)");
  CHECK(message_of("  Drop type == notice") ==
        "rules:1:3: unknown statement 'Drop' (expected class, tier, packet_cutoff, drop, keep, "
        "sample, project or rate)");
}

TEST_CASE("tier errors: unknown class, chain order, ages, buckets, keys and sums") {
  const std::string conns = "class c types connection_end\n";
  CHECK(message_of("tier conns raw 7d") == "rules:1:6: unknown class 'conns' (classes: default)");
  CHECK(parse_error("tier conns raw 7d").code == model::errc::not_found);
  CHECK(message_of("tier") == "rules:1:5: expected a class name after 'tier' (classes: default)");
  CHECK(message_of(conns + "tier c") ==
        "rules:2:7: expected a tier name ('raw', or e.g. 'hourly')");
  CHECK(message_of(conns + "tier c Hourly every 1h until 1d") ==
        "rules:2:8: invalid tier name 'Hourly' (expected [a-z0-9_]+, at most 64 characters)");
  CHECK(message_of(conns + "tier c hourly every 1h until 90d") ==
        "rules:2:8: the first tier of class 'c' must be 'raw AGE' (e.g. 'tier c raw 7d')");
  CHECK(message_of(conns + "tier c raw 7d\ntier c raw 8d") ==
        "rules:3:8: class 'c' already has tiers: 'raw' can only be its first");
  CHECK(message_of(conns + "tier c raw") ==
        "rules:2:11: expected how long raw data is kept after 'raw' (e.g. 7d, or forever)");
  CHECK(message_of(conns + "tier c raw 7d please") ==
        "rules:2:15: unexpected 'please' after the raw tier's age");
  CHECK(message_of(conns + "tier c raw 7x") ==
        "rules:2:12: invalid interval '7x' (expected a number with a unit s, m, h, d or y, as in "
        "90d)");
  CHECK(message_of(conns + "tier c raw 0d") == "rules:2:12: interval '0d' must be positive");
  CHECK(message_of(conns + "tier c raw -1d") ==
        "rules:2:12: invalid interval '-1d' (expected a number with a unit s, m, h, d or y, as "
        "in 90d)");
  CHECK(message_of(conns + "tier c raw 0y") == "rules:2:12: interval '0y' must be positive");
  CHECK(message_of(conns + "tier c raw 300y") ==
        "rules:2:12: interval '300y' is too long (at most 292y)");
  CHECK(message_of(conns + "tier c raw forever\ntier c daily every 1d until 1y") ==
        "rules:3:8: tier 'daily' follows tier 'raw', which keeps its data forever");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly until 90d") ==
        "rules:3:24: tier 'hourly' needs 'every INTERVAL' (its bucket)");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h") ==
        "rules:3:23: tier 'hourly' needs 'until AGE' (or 'until forever')");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h every 2h") ==
        "rules:3:24: 'every' is given twice");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every") ==
        "rules:3:20: expected an interval after 'every'");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d by orig_h") ==
        "rules:3:34: unexpected 'by' (expected every, until, key or sum)");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 5d") ==
        "rules:3:30: 'until 5d' must be later than the previous tier's ('raw' until 7d)");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 7d") ==
        "rules:3:30: 'until 7d' must be later than the previous tier's ('raw' until 7d)");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d\n"
                           "tier c daily every 90m until 1y") ==
        "rules:4:20: bucket 90m is not a multiple of the previous tier's bucket ('hourly' every "
        "1h)");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d\n"
                           "tier c hourly every 1d until 1y") ==
        "rules:4:8: class 'c' already has a tier 'hourly'");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d key orig_h,host") ==
        "rules:3:45: field 'host' is not in any event type of class 'c' (connection_end)");
  CHECK(parse_error(conns + "tier c raw 7d\ntier c hourly every 1h until 90d key host").code ==
        model::errc::not_found);
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d sum conn_state") ==
        "rules:3:38: cannot sum field 'conn_state': it is string in connection_end (sums need "
        "count, int or interval)");
  CHECK(
      message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d key orig_h sum orig_h") ==
      "rules:3:49: field 'orig_h' cannot be both a key and a sum");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until 90d key orig_h,orig_h") ==
        "rules:3:45: field 'orig_h' is listed twice");
  CHECK(message_of(conns +
                   "tier c raw 7d\ntier c hourly every 1h until 90d key orig_h sum orig_bytes\n"
                   "tier c daily every 1d until 1y key resp_h") ==
        "rules:4:36: key 'resp_h' is not a key of the previous tier 'hourly', so this tier cannot "
        "be computed from it");
  CHECK(message_of(conns +
                   "tier c raw 7d\ntier c hourly every 1h until 90d key orig_h sum orig_bytes\n"
                   "tier c daily every 1d until 1y key orig_h sum orig_bytes,resp_bytes") ==
        "rules:4:58: sum 'resp_bytes' is not a sum of the previous tier 'hourly', so this tier "
        "cannot be computed from it");
  CHECK(message_of(conns + "tier c raw 7d\ntier c hourly every 1h until forever\n"
                           "tier c daily every 1d until 1y") ==
        "rules:4:8: tier 'daily' follows tier 'hourly', which keeps its data forever");
}

TEST_CASE("ages that are no whole number of seconds are shown in seconds in errors") {
  CHECK(message_of("tier default raw 1500ms\ntier default a every 1s until 1s") ==
        "rules:2:31: 'until 1s' must be later than the previous tier's ('raw' until 1.5s)");
}

TEST_CASE("a rules text over 16 MiB is refused before it is read") {
  const std::string huge((16 << 20) + 1, ' ');
  const model::error e = parse_error(huge);
  CHECK(e.code == model::errc::overloaded);
  CHECK(e.message == "rules:1:1: the rules text is 16777217 bytes, more than the limit of 16 MiB");
}

TEST_CASE("tier keys must be single values and may not use the aggregate rows' own names") {
  CHECK(message_of("class c types connection_end\ntier c raw 7d\n"
                   "tier c hourly every 1h until 90d key tunnel_parents") ==
        "rules:3:38: cannot group by field 'tunnel_parents': it is set[string] in connection_end "
        "(keys must be single values, not containers or records)");
  CHECK(message_of("class c types connection_end\ntier c raw 7d\n"
                   "tier c hourly every 1h until 90d key orig_h sum events") ==
        "rules:3:49: field 'events' is reserved: every aggregate row has events, first_seen and "
        "last_seen");
}

TEST_CASE("sums accept count, int and interval fields") {
  const rule_set r = parse_ok(
      "class c types connection_end\n"
      "tier c raw 1d\n"
      "tier c agg every 1h until 30d key resp_p sum duration,orig_bytes,missed_bytes\n");
  CHECK(r.tiers_of("c").tiers[1].sums ==
        std::vector<std::string>{"duration", "orig_bytes", "missed_bytes"});
}

TEST_CASE("a parsed rule set is a value: copies keep their rules and filters") {
  const rule_set a = parse_ok(example);
  const rule_set b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  REQUIRE(b.rules().size() == a.rules().size());
  CHECK(b.rules()[0].match == a.rules()[0].match);
  CHECK(b.text() == a.text());
  model::event e(catalogue().find("dns_reply"));
  REQUIRE(e.set("qtype_name", "PTR"));
  CHECK(b.rules()[0].match.matches(e, {}));
}
