// Flow control: a peer that stops reading fills only its own bounded queue;
// its overflow policy decides what is dropped (and counted) or whether it is
// cut off, while the other peers receive everything.
#include <doctest/doctest.h>

#include "comm_support.h"
#include "raw_peer.h"

#include <mutex>

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

std::string subscriptions_frame(const std::string& prefix) {
  capnp::MallocMessageBuilder mb;
  auto list = mb.initRoot<wire::Frame>().initSubscriptions().initPrefixes(1);
  list.set(0, prefix);
  return wire_io::serialise_frame(mb);
}

struct flow_case {
  test_pki pki;
  std::unique_ptr<node> a, c;
  raw_peer stalled;  // site-b: subscribes, then never reads
  inbox at_c;

  explicit flow_case(const std::string& rules) {
    a = started(config_text(pki, "site-a", {{"site-b", 0}, {"site-c", 0}},
                            "allow * * /\nlimit queue-bytes 64KiB\n" + rules));
    c = started(config_text(pki, "site-c", {{"site-a", a->listen_port()}}, "allow * * /\n"));
    REQUIRE(c->subscribe("/coop", at_c.handler()).ok());
    REQUIRE(stalled.connect_tls(a->listen_port(), pki.site("site-b"), pki.ca().cert, TLS1_3_VERSION,
                                TLS1_3_VERSION, 4096));
    REQUIRE(stalled.hello("site-b"));
    REQUIRE(stalled.write(subscriptions_frame("/coop")));
    REQUIRE(eventually([&] { return peer_subscribed(*a, "site-b", "/coop") &&
                                    peer_subscribed(*a, "site-c", "/coop"); }));
  }

  // Publishes `n` messages of 1 KiB in rounds of 50 (less than a queue), waiting after each round for
  // site-c to have them all, so only the stalled peer can fall behind.
  void publish(const std::string& topic, int n) {
    const std::string kib(1024, 'x');
    for (int i = 0; i < n; ++i) {
      REQUIRE(a->publish(topic, "", std::to_string(i) + ":" + kib).ok());
      if (i % 50 == 49) REQUIRE(eventually([&] { return at_c.size() >= static_cast<std::size_t>(i + 1); }));
    }
    REQUIRE(eventually([&] { return at_c.size() >= static_cast<std::size_t>(n); }));
  }

  peer_status status(const std::string& name) {
    for (auto& p : a->peers())
      if (p.name == name) return p;
    FAIL("no peer " << name);
    return {};
  }
};

}  // namespace

TEST_CASE("a stalled peer's queue stays bounded and drops the newest, others get everything") {
  flow_case f("");
  f.publish("/coop/bulk", 6000);
  auto b = f.status("site-b");
  CHECK(b.state == peer_state::up);
  CHECK(b.queue_bytes <= 64 * 1024);
  CHECK(b.dropped > 1000);
  CHECK(f.a->stats().dropped_overflow == b.dropped);
  CHECK(f.status("site-c").dropped == 0);
  CHECK(f.at_c.size() == 6000);
}

TEST_CASE("drop-oldest keeps the newest messages queued for the stalled peer") {
  flow_case f("overflow /coop/bulk drop-oldest\n");
  f.publish("/coop/bulk/x", 6000);
  auto b = f.status("site-b");
  CHECK(b.dropped > 1000);
  CHECK(b.queue_bytes <= 64 * 1024);
  CHECK(f.at_c.size() == 6000);
}

TEST_CASE("the disconnect policy cuts the stalled peer off, the others carry on") {
  flow_case f("overflow /coop/critical disconnect\n");
  f.publish("/coop/critical", 6000);
  REQUIRE(eventually([&] { return f.status("site-b").state != peer_state::up; }));
  bool logged = false;
  for (const auto& r : f.a->refusals())
    logged = logged || (r.peer == "site-b" && r.reason.find("outbound queue overflow") != std::string::npos);
  CHECK(logged);
  CHECK(f.at_c.size() == 6000);
  CHECK(f.status("site-c").state == peer_state::up);
}

TEST_CASE("an inbound rate limit paces a fast peer instead of dropping its messages") {
  test_pki pki;
  auto a = started(config_text(pki, "site-a", {{"site-b", 0}}, "allow * * /\nrate site-b msgs=100/s\n"));
  auto b = started(config_text(pki, "site-b", {{"site-a", a->listen_port()}}, "allow * * /\nlimit batch-items 1\n"));
  inbox got;
  std::vector<refusal> seen;
  std::mutex m;
  a->on_refusal([&](const refusal& r) {
    std::lock_guard l(m);
    seen.push_back(r);
  });
  REQUIRE(a->subscribe("/coop", got.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*b, "site-a", "/coop"); }));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 250; ++i) REQUIRE(b->publish("/coop/fast", "", std::to_string(i)).ok());
  REQUIRE(eventually([&] { return got.size() == 250; }, std::chrono::seconds(30)));
  // A token bucket of 100 messages refilled at 100/s cannot pass 250 one-message
  // envelopes in less than 1.5 s: a lower bound the design guarantees.
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds(1400));
  CHECK(b->stats().dropped_overflow == 0);
  CHECK(a->stats().refused_access == 0);
  // The refusal callback sees what refusals() records.
  REQUIRE(b->publish("/elsewhere", "", "x").ok());  // a is not subscribed: not sent at all
  REQUIRE(a->publish("/coop/x", "", "y").ok());
  std::lock_guard l(m);
  CHECK(seen.size() == a->refusals().size());
}
