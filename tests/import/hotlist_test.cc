// Hot lists: Zeek Intel files, plain IP lists, STIX 2.1 bundles and MISP
// events, real feeds and small fixtures with malformed entries.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <string>

#include "import_support.h"

namespace {

using namespace coop::importer;
using namespace coop::importer::test;
namespace model = coop::model;

std::map<std::string, std::string> by_indicator(const outcome& o, std::string_view what) {
  std::map<std::string, std::string> out;
  for (const auto& e : o.sink.events) {
    out[field(e, "indicator")] = field(e, what);
  }
  return out;
}

TEST_CASE("intel: a real CPS feed, every line an indicator") {
  const fs::path feed = shared("intel/zeek-format/cps/drb_ra_ip.intel");
  if (feed.empty()) return;
  outcome o;
  run(o, feed);
  REQUIRE(o.status.ok());
  CHECK(o.totals.kinds.at("intel").lines == 153);
  CHECK(o.sink.events.size() == 153);
  CHECK(o.sink.problems.empty());
  const auto& e = o.sink.events[0];
  CHECK(e.type().name() == "indicator");
  CHECK(field(e, "indicator") == "1.15.76.39");
  CHECK(field(e, "indicator_type") == "ADDR");
  CHECK(field(e, "source") == "DRB-RA");
  CHECK(field(e, "description") == "C2");
  CHECK(e.ts == test_clock().now());  // Intel files carry no time: the import's
}

TEST_CASE("intel: no meta.source, unset markers, CRLF, an unknown type") {
  outcome o;
  run(o, fixture("feed.intel"));
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 3);  // a short row is malformed, as for Zeek's reader
  CHECK(field(o.sink.events[0], "source") == "feed.intel");  // the list's name
  CHECK(field(o.sink.events[0], "url") == "http://source1.com/badhosts/1.2.3.4");
  CHECK(field(o.sink.events[1], "url") == "-");
  CHECK(field(o.sink.events[2], "indicator_type") == "SUBNET");
  REQUIRE(o.sink.problems.size() == 2);
  CHECK(o.sink.problems[0].line == 5);
  CHECK(o.sink.problems[0].message.find("'Intel::NOPE' is not one of the labels") != std::string::npos);
  CHECK(o.sink.problems[1].line == 6);
  CHECK(o.sink.problems[1].message == "2 columns but the header has 4");
}

TEST_CASE("iplist: ipsum's list and a list with counts, prefixes and bad lines") {
  const fs::path ipsum = shared("intel/plain-ip/ipsum/levels-3.txt");
  if (!ipsum.empty()) {
    outcome o;
    run(o, ipsum);
    REQUIRE(o.status.ok());
    CHECK(o.sink.events.size() == 14217);
    CHECK(field(o.sink.events[0], "indicator") == "77.90.185.20");
    CHECK(field(o.sink.events[0], "source") == "levels-3.txt");
  }
  outcome o;
  run(o, fixture("ips.txt"), format::iplist);
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 3);
  CHECK(field(o.sink.events[0], "description") == "count 12");
  CHECK(field(o.sink.events[1], "indicator_type") == "SUBNET");
  CHECK(field(o.sink.events[1], "indicator") == "2001:db8::/32");
  CHECK(field(o.sink.events[2], "indicator") == "203.0.113.0/24");
  REQUIRE(o.sink.problems.size() == 2);
  CHECK(o.sink.problems[0].line == 6);
  CHECK(o.sink.problems[0].message == "'999.1.1.1' is not an IP address or prefix");
  CHECK(o.sink.problems[1].line == 7);
  CHECK(o.totals.kinds.at("iplist").skipped == 2);
}

TEST_CASE("stix: OASIS examples, the misp-stix bundle, and a bundle with every pattern kind") {
  const fs::path c2 = shared("intel/stix21/oasis/indicators-for-C2-with-COA.json");
  if (!c2.empty()) {
    outcome o;
    run(o, c2);
    REQUIRE(o.status.ok());
    REQUIRE(o.sink.events.size() == 2);
    CHECK(field(o.sink.events[0], "indicator") == "10.0.0.0");
    CHECK(field(o.sink.events[0], "source") == "The MITRE Corporation - DHS Support Team");
    CHECK(field(o.sink.events[1], "indicator_type") == "FILE_HASH");
    CHECK(field(o.sink.events[1], "indicator") ==
          "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c");
    outcome mail;
    run(mail, c2.parent_path() / "malicious-email-indicator-with-attachment.json");
    CHECK(mail.sink.events.empty());  // only MATCHES comparisons: nothing exact to watch for
    CHECK(mail.totals.kinds.at("stix").ignored == 2);
    outcome misp;
    run(misp, c2.parent_path().parent_path() / "misp-stix" / "test_events_collection_stix21.json");
    REQUIRE(misp.status.ok());
    const auto types = by_indicator(misp, "indicator_type");
    CHECK(types.at("circl.lu") == "DOMAIN");
    CHECK(types.at("149.13.33.14") == "ADDR");
    CHECK(types.at("test_file_name") == "FILE_NAME");
  }
  outcome o;
  run(o, fixture("bundle.json"));
  REQUIRE(o.status.ok());
  const auto types = by_indicator(o, "indicator_type");
  CHECK(types.size() == 7);
  CHECK(types.at("198.51.100.1") == "ADDR");
  CHECK(types.at("2001:db8::1") == "ADDR");
  CHECK(types.at("bad.example") == "DOMAIN");
  CHECK(types.at("http://bad.example/it's") == "URL");
  CHECK(types.at("aabbcc") == "CERT_HASH");
  CHECK(types.at("a@bad.example") == "EMAIL");
  CHECK(types.at("d41d8cd98f00b204e9800998ecf8427e") == "FILE_HASH");
  const auto& first = o.sink.events[0];
  CHECK(field(first, "source") == "Example CERT");
  CHECK(field(first, "confidence") == "85");
  CHECK(field(first, "tags") == "{\"apt\", \"malicious-activity\"}");
  CHECK(field(first, "external_id") == "indicator--1");
  CHECK(field(first, "description") == "C2 hosts");
  CHECK(first.get("expiry")->get<model::timestamp>().to_rfc3339() == "2025-01-01T00:00:00.000000000Z");
  CHECK(first.ts.to_rfc3339() == "2024-02-01T10:00:00.000000000Z");
  CHECK(by_indicator(o, "removed").at("d41d8cd98f00b204e9800998ecf8427e") == "T");
  REQUIRE(o.sink.problems.size() == 2);
  CHECK(o.sink.problems[0].to_string() == fixture("bundle.json").string() +
                                              ": objects[3] (indicator--3): unterminated string in the pattern");
  CHECK(o.sink.problems[1].message == "objects[5] (indicator--5): no \"pattern\" string");
  CHECK(o.totals.kinds.at("stix").ignored == 1);  // the snort rule

  outcome broken;
  run(broken, fixture("broken-bundle.json"), format::stix);
  REQUIRE(broken.status.ok());
  REQUIRE(broken.sink.problems.size() == 1);
  CHECK(broken.sink.problems[0].message.find("not valid JSON at byte") != std::string::npos);
}

TEST_CASE("misp: real events and an event with composite, deleted and bad attributes") {
  const fs::path sunorcal = shared("intel/misp/pymisp/sunorcal.json");
  if (!sunorcal.empty()) {
    outcome o;
    run(o, sunorcal);
    REQUIRE(o.status.ok());
    // sha256 16, sha1 14, md5 14, filename 4, hostname 4, ip-dst 2; links,
    // registry keys and the comment are not indicators.
    CHECK(o.sink.events.size() == 54);
    CHECK(o.totals.kinds.at("misp").lines == 75);
    CHECK(o.totals.kinds.at("misp").ignored == 21);
    CHECK(field(o.sink.events[0], "source") == "CIRCL");
    outcome coll;
    run(coll, sunorcal.parent_path().parent_path() / "misp-stix" / "test_events_collection_2.json");
    REQUIRE(coll.status.ok());
    const auto types = by_indicator(coll, "indicator_type");
    CHECK(types.at("circl.lu") == "DOMAIN");
    CHECK(types.at("149.13.33.14") == "ADDR");
  }
  outcome o;
  run(o, fixture("misp-event.json"));
  REQUIRE(o.status.ok());
  const auto types = by_indicator(o, "indicator_type");
  CHECK(types.size() == 6);
  CHECK(types.at("198.51.100.9") == "ADDR");
  CHECK(types.at("203.0.113.0/24") == "SUBNET");
  CHECK(types.at("evil.exe") == "FILE_NAME");
  CHECK(types.at("abcdef") == "FILE_HASH");
  CHECK(types.at("bad.example") == "DOMAIN");
  CHECK(types.at("192.0.2.1") == "ADDR");
  const auto& first = o.sink.events[0];
  CHECK(field(first, "source") == "Example CSIRT");
  CHECK(field(first, "description") == "C2");
  CHECK(field(first, "tags") == "{\"kill-chain:c2\", \"tlp:green\"}");
  CHECK(field(first, "external_id") == "u1");
  CHECK(first.ts.to_string() == "1700000000.000000");
  CHECK(first.get("first_seen")->get<model::timestamp>().to_rfc3339() ==
        "2023-11-01T00:00:00.000000000Z");
  CHECK(by_indicator(o, "description").at("203.0.113.0/24") == "Test event");  // no comment
  CHECK(by_indicator(o, "tags").at("203.0.113.0/24") == "{\"misp:to_ids=false\", \"tlp:green\"}");
  CHECK(by_indicator(o, "removed").at("evil.exe") == "T");
  REQUIRE(o.sink.problems.size() == 2);
  CHECK(o.sink.problems[0].message == "event 0 Attribute[4]: 'not-an-ip' is not a valid ip-dst value");
  CHECK(o.sink.problems[1].message == "event 0 Attribute[5]: no \"type\" or \"value\" string");
  CHECK(o.totals.kinds.at("misp").ignored == 1);  // the link
}

}  // namespace

namespace {

TEST_CASE("delta: two versions of a real feed give its additions and withdrawals") {
  const fs::path now = shared("intel/zeek-format/cps/drb_ra_ip.intel");
  if (now.empty()) return;
  const fs::path before = now.parent_path() / "drb_ra_ip.2026-08-16.intel";
  coop::model::registry reg;
  collecting_sink sink;
  options opt;
  opt.id_seed = 3;
  opt.clock = &test_clock();
  auto imp = importer::create(reg, sink, opt);
  REQUIRE(imp.ok());
  REQUIRE(imp->import_delta(before, now).ok());
  // diff of the two files: 21 lines added, 28 removed (each a distinct address).
  std::size_t added = 0, removed = 0;
  for (const auto& e : sink.events) {
    if (field(e, "removed") == "T") {
      ++removed;
      CHECK(e.ts == test_clock().now());
    } else {
      ++added;
    }
  }
  CHECK(added == 21);
  CHECK(removed == 28);
  const auto& delta = imp->totals().kinds.at("delta");
  CHECK(delta.lines == 160);     // entries of the previous version
  CHECK(delta.ignored == 153 - 21);  // unchanged
  CHECK(delta.events == 28);
  CHECK(imp->totals().events.at("indicator") == 49);
  // Nothing changed: nothing to send.
  collecting_sink same;
  coop::model::registry reg2;
  auto again = importer::create(reg2, same, opt);
  REQUIRE(again.ok());
  REQUIRE(again->import_delta(now, now).ok());
  CHECK(same.events.empty());
}

}  // namespace
