// Publish/subscribe and point-to-point messages between real sites over
// mutually authenticated TLS 1.3 on loopback.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "comm_support.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

// Two sites: `a` listens, `b` dials it. Both allow each other everything
// under /coop unless `rules` says otherwise.
struct pair_of_sites {
  explicit pair_of_sites(const std::string& rules_a = "allow * * /coop\n",
                         const std::string& rules_b = "allow * * /coop\n") {
    a = started(config_text(pki, "site-a", {{"site-b", 0}}, rules_a));
    b = started(config_text(pki, "site-b", {{"site-a", a->listen_port()}}, rules_b));
    REQUIRE(eventually([&] { return state_of(*a, "site-b") == peer_state::up &&
                                    state_of(*b, "site-a") == peer_state::up; }));
  }
  test_pki pki;
  std::unique_ptr<node> a, b;
};

}  // namespace

TEST_CASE("a publication reaches a subscriber whose prefix covers it, segment-wise") {
  pair_of_sites s;
  inbox got;
  REQUIRE(s.b->subscribe("/coop/hotlist", got.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-b", "/coop/hotlist"); }));

  REQUIRE(s.a->publish("/coop/hotlistx", "text/plain", "wrong prefix").ok());
  REQUIRE(s.a->publish("/coop/other", "text/plain", "not subscribed").ok());
  REQUIRE(s.a->publish("/coop/hotlist/ip", "text/plain", "192.0.2.7").ok());
  REQUIRE(s.a->publish("/coop/hotlist", "application/json", "{\"n\":1}").ok());
  REQUIRE(eventually([&] { return got.size() >= 2; }));
  REQUIRE(s.a->flush(std::chrono::seconds(5)).ok());
  // A marker after everything else: once it arrives, nothing else is coming.
  REQUIRE(s.a->publish("/coop/hotlist/end", "", "").ok());
  REQUIRE(eventually([&] { return got.size() >= 3; }));

  auto m = got.messages();
  REQUIRE(m.size() == 3);
  CHECK(m[0].topic == "/coop/hotlist/ip");
  CHECK(m[0].payload == "192.0.2.7");
  CHECK(m[0].content_type == "text/plain");
  CHECK(m[0].origin == "site-a");
  CHECK(m[0].from == "site-a");
  CHECK(m[0].hops.empty());
  CHECK_FALSE(m[0].direct);
  CHECK(m[1].topic == "/coop/hotlist");
  CHECK(m[1].payload == "{\"n\":1}");
  CHECK(m[2].topic == "/coop/hotlist/end");
  CHECK(m[0].sequence > 0);
  // Every publication counts as published, including the two nobody
  // subscribed to, which were never signed.
  auto st = s.a->stats();
  CHECK(st.published == 5);
  CHECK(st.envelopes_signed >= 1);
  CHECK(st.envelopes_signed <= 3);
  CHECK(s.b->stats().delivered == 3);
}

TEST_CASE("a subscription handler that throws is logged, and delivery goes on") {
  pair_of_sites s;
  std::atomic<int> thrown{0};
  inbox got;
  REQUIRE(s.b->subscribe("/coop/x", [&](const message& m) {
    if (m.payload == "bad") {
      ++thrown;
      throw std::runtime_error("application bug");
    }
  }).ok());
  REQUIRE(s.b->subscribe("/coop", got.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-b", "/coop/x"); }));
  REQUIRE(s.a->publish("/coop/x", "text/plain", "bad").ok());
  REQUIRE(s.a->publish("/coop/x", "text/plain", "after").ok());
  REQUIRE(eventually([&] { return got.size() >= 2; }));
  CHECK(thrown == 1);
  auto m = got.messages();
  CHECK(m[0].payload == "bad");  // the other subscription still had it
  CHECK(m[1].payload == "after");
  CHECK(state_of(*s.b, "site-a") == peer_state::up);
  CHECK(s.b->stats().protocol_errors == 0);
  bool logged = false;
  for (const auto& r : s.b->refusals())
    logged = logged || (r.what == "deliver" && r.topic == "/coop/x" &&
                        r.reason == "subscription handler threw: application bug");
  CHECK(logged);
}

TEST_CASE("a peer's last messages are delivered before it is reported down") {
  // The envelopes are verified on another thread while the connection's end
  // is read: the end waits for them. Several rounds, as the race is narrow.
  for (int round = 0; round < 30; ++round) {
    CAPTURE(round);
    pair_of_sites s;
    std::mutex mu;
    std::vector<std::string> seen;
    s.b->on_status([&](const peer_status& st) {
      if (st.state != peer_state::down) return;
      std::lock_guard lock(mu);
      seen.push_back("down");
    });
    REQUIRE(s.b->subscribe("/coop/x", [&](const message& m) {
      std::lock_guard lock(mu);
      seen.push_back(m.payload);
    }).ok());
    REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-b", "/coop/x"); }));
    REQUIRE(s.a->publish("/coop/x", "text/plain", "last words").ok());
    s.a->stop(std::chrono::seconds(2));
    REQUIRE(eventually([&] {
      std::lock_guard lock(mu);
      return seen.size() >= 2;
    }));
    std::lock_guard lock(mu);
    CHECK(seen[0] == "last words");
    CHECK(seen[1] == "down");
  }
}

TEST_CASE("a peer's messages are delivered in the order published, in small and large envelopes") {
  // A receiver verifies a small envelope on its I/O thread when its
  // verifying thread is idle and nothing more waits on the connection, and
  // hands the others to that thread: an envelope of one message, then one
  // of 2,048 (over the inline limit of 1,024, node_impl.h), then a small
  // one right behind it (which must wait for the large one), in several
  // rounds. batch-items is set to 2,048 so that the 2,052 messages of a
  // round make exactly that.
  pair_of_sites s("allow * * /coop\nlimit batch-linger 50ms\nlimit batch-items 2048\n");
  std::mutex mu;
  std::vector<int> seen;
  REQUIRE(s.b->subscribe("/coop/seq", [&](const message& m) {
    std::lock_guard lock(mu);
    seen.push_back(std::stoi(m.payload));
  }).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-b", "/coop/seq"); }));
  int n = 0;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 1 + 2048 + 3; ++i)
      REQUIRE(s.a->publish("/coop/seq", "text/plain", std::to_string(n++)).ok());
    REQUIRE(s.a->flush(std::chrono::seconds(20)).ok());
  }
  REQUIRE(eventually([&] {
    std::lock_guard lock(mu);
    return seen.size() >= static_cast<std::size_t>(n);
  }));
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == static_cast<std::size_t>(n));
  int out_of_order = 0;
  for (int i = 0; i < n; ++i) out_of_order += seen[static_cast<std::size_t>(i)] != i;
  CHECK(out_of_order == 0);
  CHECK(s.a->stats().envelopes_signed >= 8);
}

TEST_CASE("publications nobody subscribed to are counted at once and never signed") {
  pair_of_sites s;
  for (int i = 0; i < 3; ++i) REQUIRE(s.a->publish("/coop/nobody", "text/plain", "x").ok());
  const auto st = s.a->stats();
  CHECK(st.published == 3);
  CHECK(st.envelopes_signed == 0);
}

TEST_CASE("point-to-point messages reach the named site's handlers for the topic") {
  pair_of_sites s;
  inbox got;
  REQUIRE(s.a->subscribe("/coop/direct", got.handler()).ok());
  REQUIRE(s.b->send("site-a", "/coop/direct/note", "text/plain", "hello a").ok());
  REQUIRE(eventually([&] { return got.size() == 1; }));
  auto m = got.messages();
  CHECK(m[0].direct);
  CHECK(m[0].origin == "site-b");
  CHECK(m[0].payload == "hello a");
  CHECK(s.b->send("site-b", "/coop/direct", "", "").err().code == errc::invalid_argument);
}

TEST_CASE("requests are answered by the handler of the longest prefix") {
  pair_of_sites s;
  REQUIRE(s.a->on_request("/coop/query", [](const message& m) -> result<reply> {
    return reply{"text/plain", "general:" + m.payload};
  }).ok());
  REQUIRE(s.a->on_request("/coop/query/host", [](const message& m) -> result<reply> {
    if (m.payload.empty()) return error{errc::invalid_argument, "empty host"};
    return reply{"text/plain", "host:" + m.payload};
  }).ok());
  auto r = s.b->request_sync("site-a", "/coop/query/host", "text/plain", "10.0.0.1");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().to_string()));
  CHECK(r->payload == "host:10.0.0.1");
  CHECK(r->origin == "site-a");
  auto g = s.b->request_sync("site-a", "/coop/query/other", "text/plain", "x");
  REQUIRE(g.ok());
  CHECK(g->payload == "general:x");
  auto bad = s.b->request_sync("site-a", "/coop/query/host", "text/plain", "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code == errc::refused);
  CHECK(bad.err().message.find("empty host") != std::string::npos);
  auto none = s.b->request_sync("site-a", "/coop/nothing", "", "");
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().message.find("no handler") != std::string::npos);
}

TEST_CASE("a request to a site that never answers times out") {
  test_pki pki;
  auto a = started(config_text(pki, "site-a", {{"site-b", 0}}, "allow * * /\n"));
  auto r = a->request_sync("site-b", "/coop/q", "", "", std::chrono::milliseconds(200));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::timeout);
  CHECK(r.err().message.find("site-b") != std::string::npos);
}

TEST_CASE("calls from another thread while the node stops return instead of hanging") {
  // Each round races a thread that keeps calling into the node against
  // stop(): every call must return, before or after the I/O thread ends.
  test_pki pki;
  for (int round = 0; round < 20; ++round) {
    auto n = started(config_text(pki, "site-a", {}, "allow * * /coop\n"));
    std::atomic<bool> go{true};
    std::atomic<int> calls{0};
    std::thread caller([&] {
      while (go) {
        (void)n->peers();
        (void)n->approvals();
        auto id = n->subscribe("/coop/x", [](const message&) {});
        if (id) n->unsubscribe(*id);
        ++calls;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 4));
    n->stop(std::chrono::milliseconds(0));
    // The caller keeps going after the stop; joining proves no call hung.
    REQUIRE(eventually([&] { return calls.load() > 0; }));
    const int before = calls.load();
    REQUIRE(eventually([&] { return calls.load() > before; }));
    go = false;
    caller.join();
  }
}

TEST_CASE("batches are cut to fit the smallest frame a connected peer accepts") {
  // site-b accepts frames of 16 KiB. A 2,000-message burst under a long
  // linger would make one batch whose header alone (40 bytes per message)
  // is 80 KB: site-a cuts its batches to half of site-b's frame instead,
  // and site-b never sees a frame over its limit.
  pair_of_sites s("allow * * /coop\nlimit batch-linger 50ms\n",
                  "allow * * /coop\nlimit frame-bytes 16384\n");
  std::atomic<int> got{0};
  REQUIRE(s.b->subscribe("/coop/burst", [&](const message&) { ++got; }).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-b", "/coop/burst"); }));
  const std::string payload(100, 'p');
  for (int i = 0; i < 2000; ++i) REQUIRE(s.a->publish("/coop/burst", "text/plain", payload).ok());
  REQUIRE(s.a->flush(std::chrono::seconds(20)).ok());
  REQUIRE(eventually([&] { return got.load() >= 2000; }));
  CHECK(got.load() == 2000);
  CHECK(s.a->stats().protocol_errors == 0);
  CHECK(s.b->stats().protocol_errors == 0);
  CHECK(s.a->stats().dropped_overflow == 0);
  // About 8 KiB a batch: at least 2,000 / 40 envelopes.
  CHECK(s.a->stats().envelopes_signed >= 50);
  CHECK(state_of(*s.a, "site-b") == peer_state::up);
  CHECK(state_of(*s.b, "site-a") == peer_state::up);
}
