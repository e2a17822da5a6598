// sshd lines: the crowdsec hub cases, the real auth.log and loghub's
// labelled /var/log/messages, journal exports, and the year rule.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "import_support.h"

namespace {

using namespace coop::importer;
using namespace coop::importer::test;
namespace model = coop::model;

options with_year(int year) {
  options o;
  o.year = year;
  return o;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_CASE("sshd: every crowdsec hub line yields the client address and user the hub expects") {
  const fs::path log = shared("sshd/crowdsec-hub/sshd-logs.log");
  if (log.empty()) return;
  // results["s01-parse"]["crowdsecurity/sshd-logs"][N].Evt.Parsed["sshd_client_ip"] == "..."
  std::map<int, std::map<std::string, std::string>> expect;
  std::ifstream in(log.parent_path() / "sshd-logs.parser.assert");
  const std::string prefix = "results[\"s01-parse\"][\"crowdsecurity/sshd-logs\"][";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const int n = std::stoi(line.substr(prefix.size()));
    for (const char* key : {"sshd_client_ip", "sshd_invalid_user", "sshd_port"}) {
      const std::string k = std::string(".Evt.Parsed[\"") + key + "\"] == \"";
      const auto at = line.find(k);
      if (at != std::string::npos) {
        std::string v = line.substr(at + k.size());
        v.pop_back();
        expect[n][key] = v;
      }
    }
  }
  REQUIRE(expect.size() == 23);  // 24 lines, one the hub does not parse either
  const auto lines = lines_of(log);
  REQUIRE(lines.size() == 24);
  int checked = 0;
  for (const auto& [n, kv] : expect) {
    CAPTURE(lines[static_cast<std::size_t>(n)]);
    outcome o;
    run_text(o, lines[static_cast<std::size_t>(n)], "sshd-logs.log", format::sshd, with_year(2024));
    REQUIRE(o.sink.events.size() == 1);
    const auto& e = o.sink.events[0];
    CHECK(field(e, "orig_h") == kv.at("sshd_client_ip"));
    if (kv.contains("sshd_invalid_user")) CHECK(field(e, "user") == kv.at("sshd_invalid_user"));
    if (kv.contains("sshd_port")) CHECK(field(e, "orig_p") == kv.at("sshd_port") + "/tcp");
    ++checked;
  }
  CHECK(checked == 23);
}

TEST_CASE("sshd: accepted publickey and password lines, as the catalogue documents them") {
  const fs::path log = shared("sshd/crowdsec-hub/sshd-success-logs.log");
  if (log.empty()) return;
  outcome o;
  run(o, log, format::automatic, with_year(2024));
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 4);
  const auto& key = o.sink.events[0];
  CHECK(key.type().name() == "ssh_login");
  CHECK(key.ts.to_rfc3339() == "2024-09-06T09:57:21.000000000Z");
  CHECK(field(key, "auth_success") == "T");
  CHECK(field(key, "auth_method") == "publickey");
  CHECK(field(key, "user") == "vagrant");
  CHECK(field(key, "orig_p") == "56296/tcp");
  CHECK(field(key, "version") == "2");
  CHECK(field(key, "client_key_type") == "RSA");
  CHECK(field(key, "client_key_fingerprint") == "SHA256:1M4RzhMyWuFS/86uPY/ce2prh/dVTHW7iD2RhpquOZA");
  CHECK(field(key, "hostname") == "bullseye");
  const auto& pw = o.sink.events[3];
  CHECK(field(pw, "auth_method") == "password");
  CHECK(field(pw, "user") == "test");
  CHECK(pw.get("client_key_type")->is_none());
}

TEST_CASE("sshd: the real auth.log, counts matching its accepted and failed lines") {
  const fs::path log = shared("sshd/elastic-examples/auth.log");
  if (log.empty()) return;
  outcome o;
  run(o, log, format::automatic, with_year(2017));
  REQUIRE(o.status.ok());
  const auto& t = o.totals.kinds.at("sshd");
  CHECK(t.lines == 7121);
  CHECK(t.skipped == 0);
  CHECK(t.records + t.ignored == 7121);
  // Count from the text what the events must show.
  std::size_t accepted = 0, failed = 0;
  for (const auto& l : lines_of(log)) {
    if (l.find(" sshd[") == std::string::npos) continue;
    if (l.find("]: Accepted ") != std::string::npos) ++accepted;
    if (l.find("]: Failed ") != std::string::npos) ++failed;
    if (l.find("]: message repeated ") != std::string::npos && l.find("[ Failed ") != std::string::npos) {
      failed += static_cast<std::size_t>(std::stoul(l.substr(l.find("repeated ") + 9)));
    }
  }
  std::size_t ok = 0, failed_auth = 0;
  for (const auto& e : o.sink.events) {
    if (field(e, "auth_success") == "T") ++ok;
    const auto reason = field(e, "failure_reason");
    if (reason.rfind("failed ", 0) == 0) ++failed_auth;
  }
  CHECK(accepted == 226);
  CHECK(ok == accepted);
  CHECK(failed_auth == failed);
  CHECK(o.sink.events[0].ts.to_rfc3339().substr(0, 4) == "2017");
}

TEST_CASE("sshd: loghub's labelled messages: every PAM failure naming an address, in order") {
  const fs::path log = shared("sshd/loghub/Linux_2k.log");
  if (log.empty()) return;
  outcome o;
  run(o, log, format::sshd, with_year(2005));
  REQUIRE(o.status.ok());
  // The structured CSV is the ground truth: Component, Content per line.
  std::vector<std::string> expected_hosts;
  for (const auto& row : lines_of(fs::path(log.string() + "_structured.csv"))) {
    if (row.find(",sshd(pam_unix),") == std::string::npos) continue;
    const auto content = row.find("authentication failure;");
    if (content == std::string::npos) continue;
    const auto rhost = row.find("rhost=", content);
    std::string host = row.substr(rhost + 6);
    host = host.substr(0, host.find_first_of(" ,"));
    if (host.find_first_not_of("0123456789.") == std::string::npos) expected_hosts.push_back(host);
  }
  REQUIRE(expected_hosts.size() == o.sink.events.size());
  for (std::size_t i = 0; i < expected_hosts.size(); ++i) {
    CHECK(field(o.sink.events[i], "orig_h") == expected_hosts[i]);
  }
  CHECK(o.totals.kinds.at("sshd").skipped == 0);
  CHECK(o.totals.kinds.at("sshd").lines == 2000);
}

TEST_CASE("sshd: year rule, repeats, odd lines and malformed ones with their line numbers") {
  // "now" is 2027-01-01T00:00:30Z: December lines belong to 2026.
  const fixed_clock new_year(model::timestamp{1'798'761'630'000'000'000});
  options opt;
  opt.clock = &new_year;
  outcome o;
  run(o, fixture("auth-edge.log"), format::automatic, opt);
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 7);
  CHECK(o.sink.events[0].ts.to_rfc3339() == "2026-12-31T23:59:59.000000000Z");
  CHECK(o.sink.events[1].ts.to_rfc3339() == "2027-01-01T00:00:01.000000000Z");
  CHECK(field(o.sink.events[1], "client_key_type") == "ED25519");
  CHECK(field(o.sink.events[2], "user") == "");  // "Invalid user  from": an empty name
  CHECK(field(o.sink.events[2], "invalid_user") == "T");
  for (int i = 3; i < 6; ++i) {  // "message repeated 3 times"
    CHECK(field(o.sink.events[static_cast<std::size_t>(i)], "user") == "admin");
    CHECK(field(o.sink.events[static_cast<std::size_t>(i)], "invalid_user") == "T");
  }
  const auto& last = o.sink.events[6];
  CHECK(last.ts.to_rfc3339() == "2026-11-28T09:00:00.500000000Z");
  CHECK(field(last, "failure_reason") == "disconnecting: Too many authentication failures");
  // A fixed --year overrides the rule.
  outcome fixed;
  run(fixed, fixture("auth-edge.log"), format::sshd, with_year(2019));
  REQUIRE(fixed.sink.events.size() == 7);
  CHECK(fixed.sink.events[0].ts.to_rfc3339() == "2019-12-31T23:59:59.000000000Z");

  REQUIRE(o.sink.problems.size() == 2);
  CHECK(o.sink.problems[0].to_string() ==
        fixture("auth-edge.log").string() + ":6: the day of the syslog timestamp is malformed");
  CHECK(o.sink.problems[1].line == 7);
  const auto& t = o.totals.kinds.at("sshd");
  CHECK(t.skipped == 2);
  CHECK(t.ignored == 2);  // CRON, and a disconnect after login
  CHECK(t.records == 5);
}

TEST_CASE("sshd: journalctl -o json export") {
  outcome o;
  run(o, fixture("journal.json"), format::sshd);
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 2);
  CHECK(field(o.sink.events[0], "orig_h") == "2001:db8::7");
  CHECK(field(o.sink.events[0], "hostname") == "bastion");
  CHECK(o.sink.events[0].ts.to_string() == "1700000000.123456");
  CHECK(field(o.sink.events[1], "user") == "bob");  // MESSAGE as a byte array
  REQUIRE(o.sink.problems.size() == 1);
  CHECK(o.sink.problems[0].line == 4);
  CHECK(o.sink.problems[0].message.find("__REALTIME_TIMESTAMP") != std::string::npos);
}

}  // namespace
