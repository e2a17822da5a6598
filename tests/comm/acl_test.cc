// Access control: the rule evaluation against an independent oracle over
// peers x topics x verbs (prefix edge cases included), and enforcement on
// receipt between real sites whose senders filter nothing.
#include <doctest/doctest.h>

#include "comm_support.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

// The oracle: segments compared as lists, written without topic_covers.
std::vector<std::string> segments(const std::string& t) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 1; i <= t.size(); ++i) {
    if (i == t.size() || t[i] == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += t[i];
    }
  }
  return out;
}

bool oracle_covers(const std::string& prefix, const std::string& topic) {
  auto p = segments(prefix), t = segments(topic);
  return p.size() <= t.size() && std::equal(p.begin(), p.end(), t.begin());
}

struct oracle_rule {
  bool allow;
  std::vector<std::string> peers;
  std::vector<verb> verbs;
  std::string prefix;
};

bool oracle(const std::vector<oracle_rule>& rules, const std::string& peer, verb v,
            const std::string& topic) {
  bool allowed = false;
  for (const auto& r : rules) {
    const bool peer_ok = r.peers.empty() || std::count(r.peers.begin(), r.peers.end(), peer);
    const bool verb_ok = std::count(r.verbs.begin(), r.verbs.end(), v) > 0;
    if (!peer_ok || !verb_ok || !oracle_covers(r.prefix, topic)) continue;
    if (!r.allow) return false;  // any deny wins
    allowed = true;
  }
  return allowed;
}

const std::vector<verb> all_verbs = {verb::publish, verb::subscribe, verb::request, verb::respond};

}  // namespace

TEST_CASE("access decisions match an independent oracle over peers x topics x verbs") {
  const std::string rules =
      "allow site-b publish,subscribe /coop/hotlist\n"
      "allow * request /coop/query\n"
      "deny site-c * /coop/query/internal\n"
      "allow site-c respond /coop\n"
      "deny * publish /coop/hotlist/private\n"
      "allow site-d * /\n"
      "deny site-d subscribe /coop/hotlist\n";
  const std::vector<oracle_rule> expected_rules = {
      {true, {"site-b"}, {verb::publish, verb::subscribe}, "/coop/hotlist"},
      {true, {}, {verb::request}, "/coop/query"},
      {false, {"site-c"}, all_verbs, "/coop/query/internal"},
      {true, {"site-c"}, {verb::respond}, "/coop"},
      {false, {}, {verb::publish}, "/coop/hotlist/private"},
      {true, {"site-d"}, all_verbs, "/"},
      {false, {"site-d"}, {verb::subscribe}, "/coop/hotlist"},
  };
  std::string text = "site site-a\nkey k\ncert c\nca ca\n" + rules;
  auto cfg = parse_config(text, "acl.conf");
  REQUIRE(cfg.ok());
  const std::vector<std::string> peers = {"site-b", "site-c", "site-d", "site-e"};
  const std::vector<std::string> topics = {
      "/", "/coop", "/coop/hotlist", "/coop/hotlist/ip", "/coop/hotlistx", "/coop/hotlis",
      "/coop/hotlist/private", "/coop/hotlist/private/x", "/coop/hotlist/privatex",
      "/coop/query", "/coop/query/internal", "/coop/query/internal/x", "/coop/query/internalx",
      "/coopx/hotlist", "/other", "/coop/query2"};
  int allowed = 0, denied = 0;
  for (const auto& p : peers) {
    for (const auto& t : topics) {
      for (verb v : all_verbs) {
        const bool want = oracle(expected_rules, p, v, t);
        const auto got = check_access(*cfg, p, v, t);
        INFO(p, " ", to_string(v), " ", t, " decided by ", got.rule);
        CHECK(got.allowed == want);
        (want ? allowed : denied)++;
      }
    }
  }
  CHECK(allowed > 30);  // the matrix exercises both answers
  CHECK(denied > 100);
  // The deciding rule is named.
  CHECK(check_access(*cfg, "site-c", verb::request, "/coop/query/internal/x").rule == "acl.conf:7");
  CHECK(check_access(*cfg, "site-e", verb::publish, "/coop").rule == "default deny");
  CHECK(check_access(*cfg, "site-b", verb::publish, "/coop/hotlist/ip").rule == "acl.conf:5");
}

TEST_CASE("access rules are enforced on receipt, whatever the sender allows itself") {
  test_pki pki;
  // A: B may publish under /coop but not /coop/secret; B may not receive
  // /coop/internal; requests only under /coop/query.
  auto a = started(config_text(pki, "site-a", {{"site-b", 0}},
                               "allow site-b publish,subscribe /coop\n"
                               "deny site-b publish /coop/secret\n"
                               "deny site-b subscribe /coop/internal\n"
                               "allow site-b request /coop/query\n"));
  // B filters nothing.
  auto b = started(config_text(pki, "site-b", {{"site-a", a->listen_port()}}, "allow * * /\n"));
  inbox at_a, at_b;
  REQUIRE(a->subscribe("/coop", at_a.handler()).ok());
  REQUIRE(b->subscribe("/coop", at_b.handler()).ok());
  REQUIRE(a->on_request("/coop", [](const message&) -> result<reply> { return reply{"", "ok"}; }).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*b, "site-a", "/coop") && peer_subscribed(*a, "site-b", "/coop"); }));

  REQUIRE(b->publish("/coop/secret/plans", "", "no").ok());
  REQUIRE(b->publish("/coop/secretx", "", "yes: another segment").ok());
  REQUIRE(b->publish("/coop/news", "", "yes").ok());
  REQUIRE(a->publish("/coop/internal/x", "", "no").ok());
  REQUIRE(a->publish("/coop/public", "", "yes").ok());
  REQUIRE(eventually([&] { return at_a.size() == 2 && at_b.size() == 1; }));
  auto q_ok = b->request_sync("site-a", "/coop/query/x", "", "");
  CHECK(q_ok.ok());
  auto q_no = b->request_sync("site-a", "/coop/admin", "", "");
  REQUIRE_FALSE(q_no.ok());
  CHECK(q_no.err().code == errc::refused);
  CHECK(q_no.err().message.find("denied") != std::string::npos);
  REQUIRE(a->flush(std::chrono::seconds(5)).ok());
  REQUIRE(b->flush(std::chrono::seconds(5)).ok());
  // Markers: once they arrive, nothing refused is still on its way.
  REQUIRE(b->publish("/coop/zz-end", "", "").ok());
  REQUIRE(a->publish("/coop/zz-end", "", "").ok());
  REQUIRE(eventually([&] { return at_a.size() == 3 && at_b.size() == 2; }));

  auto ma = at_a.messages();
  CHECK(ma[0].topic == "/coop/secretx");
  CHECK(ma[1].topic == "/coop/news");
  CHECK(at_b.messages()[0].topic == "/coop/public");

  // Refusals at A: counted and logged with peer, topic, verb and rule.
  CHECK(a->stats().refused_access == 2);
  bool publish_logged = false, request_logged = false;
  for (const auto& r : a->refusals()) {
    if (r.peer == "site-b" && r.topic == "/coop/secret/plans" && r.what == "publish" &&
        r.reason == "test.conf:10")
      publish_logged = true;
    if (r.peer == "site-b" && r.topic == "/coop/admin" && r.what == "request" && r.reason == "default deny")
      request_logged = true;
  }
  CHECK(publish_logged);
  CHECK(request_logged);
  for (const auto& p : a->peers()) CHECK(p.refused == 2);
}
