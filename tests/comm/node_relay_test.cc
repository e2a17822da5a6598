// Relaying: sites in a ring and in a full mesh, every one a relay. Every
// message reaches every subscriber exactly once, and nothing loops.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <set>

#include "comm_support.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

// Sites named s1..sN; `links` lists (dialler, listener) pairs. Each site
// knows every other: neighbours as peers, the rest as trusted origins.
struct topology {
  test_pki pki;
  std::map<std::string, std::unique_ptr<node>> sites;

  topology(int n, const std::vector<std::pair<int, int>>& links) {
    auto name = [](int i) { return "s" + std::to_string(i); };
    // Sites start in order; a site dials only sites started before it.
    for (int i = 1; i <= n; ++i) {
      std::vector<test_peer> peers;
      std::set<int> neighbours;
      for (auto [d, l] : links) {
        if (d == i) {
          REQUIRE(l < i);
          peers.push_back({name(l), sites[name(l)]->listen_port()});
          neighbours.insert(l);
        } else if (l == i) {
          peers.push_back({name(d), 0});
          neighbours.insert(d);
        }
      }
      std::string extra = "relay on\nallow * * /\n";
      for (int j = 1; j <= n; ++j)
        if (j != i && !neighbours.count(j)) extra += "origin " + name(j) + " spki=" + pki.pin(name(j)) + "\n";
      sites[name(i)] = started(config_text(pki, name(i), peers, extra));
    }
    for (auto [d, l] : links) {
      REQUIRE(eventually([&] { return state_of(*sites[name(d)], name(l)) == peer_state::up &&
                                      state_of(*sites[name(l)], name(d)) == peer_state::up; }));
    }
  }

  node& operator[](const std::string& s) { return *sites.at(s); }
};

// Sites s1..sn in a line, each dialling the one before it, every one a
// relay allowing everything and knowing the sites past its neighbours as
// origins; `extra(i)` is added to site i's configuration.
std::vector<std::unique_ptr<node>> chain(test_pki& pki, int n,
                                         const std::function<std::string(int)>& extra) {
  std::vector<std::unique_ptr<node>> s;
  for (int i = 1; i <= n; ++i) {
    std::vector<test_peer> peers;
    if (i > 1) peers.push_back({"s" + std::to_string(i - 1), s.back()->listen_port()});
    if (i < n) peers.push_back({"s" + std::to_string(i + 1), 0});
    std::string text = "relay on\nallow * * /\n" + extra(i);
    for (int j = 1; j <= n; ++j)
      if (std::abs(j - i) > 1)
        text += "origin s" + std::to_string(j) + " spki=" + pki.pin("s" + std::to_string(j)) + "\n";
    s.push_back(started(config_text(pki, "s" + std::to_string(i), peers, text)));
  }
  return s;
}

// Every payload exactly once.
void check_exactly_once(const inbox& box, int n) {
  std::map<std::string, int> seen;
  for (const auto& m : box.messages()) ++seen[m.payload];
  CHECK(seen.size() == static_cast<std::size_t>(n));
  for (const auto& [p, count] : seen) {
    INFO(p);
    CHECK(count == 1);
  }
}

}  // namespace

TEST_CASE("in a ring of relays every message arrives once and none loops") {
  topology t(4, {{2, 1}, {3, 2}, {4, 3}, {4, 1}});  // s1-s2-s3-s4-s1
  inbox at3;
  REQUIRE(t["s3"].subscribe("/coop/alerts", at3.handler()).ok());
  // s1 learns the subscription through both of its neighbours.
  REQUIRE(eventually([&] { return peer_subscribed(t["s1"], "s2", "/coop/alerts") &&
                                  peer_subscribed(t["s1"], "s4", "/coop/alerts"); }));
  const int n = 200;
  for (int i = 0; i < n; ++i) REQUIRE(t["s1"].publish("/coop/alerts/x", "", "m" + std::to_string(i)).ok());
  REQUIRE(eventually([&] { return at3.size() >= static_cast<std::size_t>(n); }));
  for (auto& [name, s] : t.sites) REQUIRE(s->flush(std::chrono::seconds(5)).ok());
  // A marker: when it is in, any copy still travelling has been processed.
  REQUIRE(t["s1"].publish("/coop/alerts/end", "", "end").ok());
  REQUIRE(eventually([&] { return at3.size() >= static_cast<std::size_t>(n + 1); }));
  for (auto& [name, s] : t.sites) REQUIRE(s->flush(std::chrono::seconds(5)).ok());
  check_exactly_once(at3, n + 1);
  for (const auto& m : at3.messages()) {
    CHECK(m.origin == "s1");
    REQUIRE(m.hops.size() == 1);  // through s2 or s4
    CHECK((m.hops[0] == "s2" || m.hops[0] == "s4"));
  }
  // Each message went both ways round the ring, so somewhere (at s3, or at
  // s4 when s3's forward won the race) a second copy was dropped as a
  // duplicate; and every relay forwarded each message at most once per
  // neighbour.
  std::uint64_t relayed = 0, duplicates = 0;
  for (auto& [name, s] : t.sites) {
    relayed += s->stats().relayed;
    duplicates += s->stats().duplicates;
  }
  CHECK(duplicates >= static_cast<std::uint64_t>(n + 1));
  CHECK(relayed <= static_cast<std::uint64_t>(4 * (n + 1)));
  CHECK(t["s1"].stats().delivered == 0);  // its own messages never came back to it as new
}

TEST_CASE("in a ring of relays a withdrawn subscription disappears from every site") {
  topology t(4, {{2, 1}, {3, 2}, {4, 3}, {4, 1}});  // s1-s2-s3-s4-s1
  auto id = t["s3"].subscribe("/coop/alerts", [](const message&) {});
  REQUIRE(id.ok());
  REQUIRE(eventually([&] { return peer_subscribed(t["s1"], "s2", "/coop/alerts") &&
                                  peer_subscribed(t["s1"], "s4", "/coop/alerts"); }));
  t["s3"].unsubscribe(*id);
  // Relays kept advertising it to each other around the ring; its distance
  // grows each time round until it passes the hop limit and is dropped.
  auto anywhere = [&] {
    for (auto& [name, s] : t.sites)
      for (const auto& p : s->peers())
        for (const auto& sub : p.subscriptions)
          if (sub == "/coop/alerts") return true;
    return false;
  };
  REQUIRE(eventually([&] { return !anywhere(); }));
  // And it stays gone: nothing is left circulating.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(anywhere());
  // A publication now reaches no other site.
  REQUIRE(t["s1"].publish("/coop/alerts/x", "", "nobody").ok());
  REQUIRE(t["s1"].flush(std::chrono::seconds(5)).ok());
  CHECK(t["s1"].stats().envelopes_signed == 0);  // nobody subscribed: nothing signed
}

TEST_CASE("point-to-point messages and requests cross relays to a site that is not a neighbour") {
  topology t(4, {{2, 1}, {3, 2}, {4, 3}, {4, 1}});
  inbox at3;
  REQUIRE(t["s3"].subscribe("/coop/direct", at3.handler()).ok());
  REQUIRE(t["s3"].on_request("/coop/query", [](const message& m) -> result<reply> {
    return reply{"text/plain", "s3 saw " + m.payload + " from " + m.origin};
  }).ok());
  REQUIRE(t["s1"].send("s3", "/coop/direct/note", "", "hello s3").ok());
  REQUIRE(eventually([&] { return at3.size() == 1; }));
  auto r = t["s1"].request_sync("s3", "/coop/query/host", "", "10.1.2.3");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().to_string()));
  CHECK(r->payload == "s3 saw 10.1.2.3 from s1");
  CHECK(r->origin == "s3");
  CHECK(r->hops.size() == 1);
  for (auto& [name, s] : t.sites) REQUIRE(s->flush(std::chrono::seconds(5)).ok());
  REQUIRE(t["s1"].send("s3", "/coop/direct/end", "", "end").ok());
  REQUIRE(eventually([&] { return at3.size() == 2; }));
  check_exactly_once(at3, 2);
}

TEST_CASE("in a full mesh of relays every subscriber gets each message once") {
  topology t(4, {{2, 1}, {3, 1}, {3, 2}, {4, 1}, {4, 2}, {4, 3}});
  inbox at2, at4;
  REQUIRE(t["s2"].subscribe("/coop", at2.handler()).ok());
  REQUIRE(t["s4"].subscribe("/coop/hotlist", at4.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(t["s1"], "s2", "/coop") &&
                                  peer_subscribed(t["s1"], "s4", "/coop/hotlist"); }));
  const int n = 100;
  for (int i = 0; i < n; ++i) REQUIRE(t["s1"].publish("/coop/hotlist/ip", "", std::to_string(i)).ok());
  REQUIRE(eventually([&] { return at2.size() >= static_cast<std::size_t>(n) && at4.size() >= static_cast<std::size_t>(n); }));
  for (auto& [name, s] : t.sites) REQUIRE(s->flush(std::chrono::seconds(5)).ok());
  REQUIRE(t["s1"].publish("/coop/hotlist/end", "", "end").ok());
  REQUIRE(eventually([&] { return at2.size() > static_cast<std::size_t>(n) && at4.size() > static_cast<std::size_t>(n); }));
  for (auto& [name, s] : t.sites) REQUIRE(s->flush(std::chrono::seconds(5)).ok());
  check_exactly_once(at2, n + 1);
  check_exactly_once(at4, n + 1);
}

TEST_CASE("the hop limit stops forwarding in a long chain") {
  // s1-s2-s3-s4 in a line with hop-limit 1: s1's message may cross one relay.
  test_pki pki;
  auto s = chain(pki, 4, [](int) { return std::string("limit hop-limit 1\n"); });
  inbox at3, at4;
  REQUIRE(s[2]->subscribe("/coop", at3.handler()).ok());
  REQUIRE(s[3]->subscribe("/coop", at4.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*s[0], "s2", "/coop"); }));
  REQUIRE(s[0]->publish("/coop/x", "", "limited").ok());
  REQUIRE(eventually([&] { return at3.size() == 1; }));
  for (auto& n : s) REQUIRE(n->flush(std::chrono::seconds(5)).ok());
  // s3 received it after one relay (s2) and did not forward it to s4.
  CHECK(at4.size() == 0);
  CHECK(s[2]->stats().relayed == 0);
}

TEST_CASE("a relay drops an envelope whose header does not fit the next site's frame, and says so") {
  // s1 - s2 (relay) - s3, where s3 accepts frames of 16 KiB. s1 batches for
  // s2's 1 MiB frames: a 1,500-message burst makes headers of about 60 KB,
  // which s2 cannot pass on to s3 in any frame. s2 drops those items and
  // notes why instead of sending a frame s3 would cut it off for; small
  // envelopes still cross.
  test_pki pki;
  auto s = chain(pki, 3, [](int i) {
    return std::string("limit batch-linger 50ms\n") + (i == 3 ? "limit frame-bytes 16384\n" : "");
  });
  REQUIRE(eventually([&] { return state_of(*s[1], "s3") == peer_state::up; }));
  inbox at3;
  REQUIRE(s[2]->subscribe("/coop", at3.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*s[0], "s2", "/coop"); }));
  for (int i = 0; i < 1500; ++i) REQUIRE(s[0]->publish("/coop/burst", "", std::to_string(i)).ok());
  REQUIRE(s[0]->flush(std::chrono::seconds(20)).ok());
  REQUIRE(eventually([&] { return s[1]->stats().dropped_overflow >= 1; }));
  // A lone message after the burst is a small envelope: it crosses.
  REQUIRE(s[0]->publish("/coop/after", "", "small").ok());
  REQUIRE(eventually([&] {
    for (const auto& m : at3.messages())
      if (m.payload == "small") return true;
    return false;
  }));
  CHECK(s[1]->stats().protocol_errors == 0);
  CHECK(s[2]->stats().protocol_errors == 0);
  CHECK(state_of(*s[1], "s3") == peer_state::up);
  bool noted = false;
  for (const auto& r : s[1]->refusals())
    noted = noted || (r.peer == "s3" && r.reason.find("do not fit the peer's frame limit") !=
                                            std::string::npos);
  CHECK(noted);
}
