// Apache access logs: the crowdsec hub's expected fields, the 10,000-line
// elastic sample, and malformed lines reported with their line numbers.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <string>

#include "import_support.h"

namespace {

using namespace coop::importer;
using namespace coop::importer::test;
namespace model = coop::model;

// The http_request and http_reply events of the n-th (0-based) imported request.
std::pair<const model::event*, const model::event*> request_pair(const outcome& o, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < o.sink.events.size(); ++i) {
    if (o.sink.events[i].type().name() != "http_request") continue;
    if (seen++ == n) {
      const model::event* reply = nullptr;
      if (i + 1 < o.sink.events.size() && o.sink.events[i + 1].type().name() == "http_reply") {
        reply = &o.sink.events[i + 1];
      }
      return {&o.sink.events[i], reply};
    }
  }
  return {nullptr, nullptr};
}

// `"-"` means absent in the crowdsec expectations.
std::string expected_or_unset(const std::string& v) { return v == "-" ? "-" : v; }

TEST_CASE("apache: the crowdsec hub's expected fields for every access-log line") {
  const fs::path log = shared("apache/crowdsec-hub/apache2-logs.log");
  if (log.empty()) return;
  outcome o;
  run(o, log);
  REQUIRE(o.status.ok());
  // Expectations: results["s01-parse"]["crowdsecurity/apache2-logs"][N].Evt.Parsed["k"] == "v"
  std::ifstream in(log.parent_path() / "apache2-logs.parser.assert");
  const std::string prefix = "results[\"s01-parse\"][\"crowdsecurity/apache2-logs\"][";
  std::map<int, std::map<std::string, std::string>> expect;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto close = line.find(']', prefix.size());
    const int n = std::stoi(line.substr(prefix.size(), close - prefix.size()));
    const auto key_at = line.find(".Evt.Parsed[\"");
    if (key_at == std::string::npos) continue;
    const auto key_end = line.find("\"]", key_at + 13);
    const std::string key = line.substr(key_at + 13, key_end - key_at - 13);
    const auto eq = line.find(" == \"", key_end);
    std::string value = line.substr(eq + 5);
    value.pop_back();
    expect[n][key] = value;
  }
  int checked = 0;
  int request_index = 0;
  for (const auto& [n, kv] : expect) {
    if (!kv.contains("verb")) continue;  // error-log lines: not requests
    CAPTURE(n);
    auto [req, rep] = request_pair(o, static_cast<std::size_t>(request_index++));
    REQUIRE(req != nullptr);
    REQUIRE(rep != nullptr);
    CHECK(field(*req, "orig_h") == kv.at("clientip"));
    CHECK(field(*req, "method") == kv.at("verb"));
    CHECK(field(*req, "uri") == kv.at("request"));
    CHECK(field(*req, "version") == kv.at("httpversion"));
    CHECK(field(*rep, "status_code") == kv.at("response"));
    CHECK(field(*rep, "response_body_len") == kv.at("bytes"));
    if (kv.contains("http_user_agent")) {
      CHECK(field(*req, "user_agent") == expected_or_unset(kv.at("http_user_agent")));
    }
    if (kv.contains("referrer")) CHECK(field(*req, "referrer") == expected_or_unset(kv.at("referrer")));
    if (kv.contains("target_fqdn")) CHECK(field(*req, "host") == kv.at("target_fqdn"));
    if (kv.contains("port")) CHECK(field(*req, "resp_p") == kv.at("port") + "/tcp");
    ++checked;
  }
  CHECK(checked == 7);
  // The two error-log lines are counted as ignored, with one warning.
  CHECK(o.totals.kinds.at("apache").ignored == 2);
  CHECK(o.totals.kinds.at("apache").skipped == 0);
  // 25/Oct/2021:11:05:52 +0200 is 09:05:52 UTC.
  auto [vh, unused] = request_pair(o, 6);
  REQUIRE(vh != nullptr);
  CHECK(vh->ts.to_rfc3339() == "2021-10-25T09:05:52.000000000Z");
}

TEST_CASE("apache: the 10,000-line combined log, every line a request") {
  const fs::path log = shared("apache/elastic-examples/apache_logs");
  if (log.empty()) return;
  outcome o;
  run(o, log);
  REQUIRE(o.status.ok());
  const auto& t = o.totals.kinds.at("apache");
  CHECK(t.lines == 10000);
  CHECK(t.records == 10000);
  CHECK(t.skipped == 0);
  CHECK(o.totals.events.at("http_request") == 10000);
  // Line 8899 is cut inside its User-Agent: imported, with a warning.
  REQUIRE(o.sink.problems.size() == 1);
  CHECK(o.sink.problems[0].line == 8899);
  CHECK_FALSE(o.sink.problems[0].skipped);
  auto [req, rep] = request_pair(o, 0);
  REQUIRE(req != nullptr);
  CHECK(field(*req, "orig_h") == "83.149.9.216");
  CHECK(req->ts.to_rfc3339() == "2015-05-17T10:05:03.000000000Z");
  CHECK(field(*req, "uri") == "/presentations/logstash-monitorama-2013/images/kibana-search.png");
  CHECK(field(*req, "referrer") == "http://semicomplete.com/presentations/logstash-monitorama-2013/");
  CHECK(field(*rep, "response_body_len") == "203023");
}

TEST_CASE("apache: escapes, odd request lines, and malformed lines with their line numbers") {
  outcome o;
  run(o, fixture("apache-edge.log"), format::apache);
  REQUIRE(o.status.ok());
  auto [first, first_reply] = request_pair(o, 0);
  REQUIRE(first != nullptr);
  CHECK(first->get("uri")->get<std::string>() == "/a?q=\"x\"");
  CHECK(first->get("user_agent")->get<std::string>() == "curl/8.0 \"quoted\"");
  CHECK(field(*first, "username") == "alice");
  CHECK(first->get("referrer")->is_none());
  // -0130: local midnight is 01:30 UTC.
  CHECK(first->ts.to_rfc3339() == "2024-01-01T01:30:00.000000000Z");
  REQUIRE(first_reply != nullptr);
  CHECK(field(*first_reply, "response_body_len") == "0");  // "-"
  auto [tls, tls_reply] = request_pair(o, 1);
  REQUIRE(tls != nullptr);
  CHECK(tls->get("method")->is_none());
  CHECK(tls->get("uri")->get<std::string>().substr(0, 3) == "\x16\x03\x01");
  auto [v6, v6_reply] = request_pair(o, 2);
  REQUIRE(v6 != nullptr);
  CHECK(field(*v6, "orig_h") == "2001:db8::5");
  CHECK(field(*v6, "user_agent") == "UA");

  std::map<std::uint64_t, std::string> problems;
  for (const auto& p : o.sink.problems) problems[p.line] = p.to_string();
  REQUIRE(problems.size() == 5);
  CHECK(problems[3] == "" + fixture("apache-edge.log").string() +
                           ":3: client 'not-an-ip' is not an IP address (byte 1)");
  CHECK(problems[5].find(":5: unterminated time at byte 14") != std::string::npos);
  CHECK(problems[6].find(":6: time is not dd/Mon/yyyy") != std::string::npos);
  CHECK(problems[7].find(":7: status is not a three-digit code at byte 60") != std::string::npos);
  CHECK(problems[9].find(":9: the request line has no closing quote at byte 43") != std::string::npos);
  CHECK(o.totals.kinds.at("apache").skipped == 5);
  CHECK(o.totals.kinds.at("apache").lines == 8);  // the empty line is not counted
}

}  // namespace
