// Signed envelopes end to end: a peer (played by hand) sends envelopes as a
// real site would, then tampered, expired, misattributed, over-hopped and
// replayed ones — also across a restart of the receiving site. Only the
// genuine ones reach the application.
#include <doctest/doctest.h>

#include "comm_support.h"
#include "envelope/envelope.h"
#include "node/node_impl.h"
#include "raw_peer.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

struct envelope_case {
  test_pki pki;
  scratch_dir state;
  std::string text;
  std::unique_ptr<node> a;
  inbox got;
  crypto::signing_key b_key;

  envelope_case() {
    text = config_text(pki, "site-a", {{"site-b", 0}}, "allow * * /\n", state.path());
    text += "origin site-c spki=" + pki.pin("site-c") + "\n";
    start();
    auto k = crypto::signing_key::load(pki.site("site-b").key);
    REQUIRE(k.ok());
    b_key = *k;
  }

  void start(std::uint16_t port = 0) {
    std::string t = text;
    if (port) {
      const std::string from = "listen 127.0.0.1:0";
      t.replace(t.find(from), from.size(), "listen 127.0.0.1:" + std::to_string(port));
    }
    a = started(t);
    REQUIRE(a->subscribe("/coop", got.handler()).ok());
  }

  envelope::wire_envelope seal(std::uint64_t seq, std::vector<std::string> payloads,
                               const std::string& origin = "site-b",
                               std::int64_t ttl_ns = 60'000'000'000) {
    envelope::header h;
    h.origin = origin;
    h.sequence = seq;
    h.issued_at = now_ns();
    h.expires_at = h.issued_at + ttl_ns;
    h.hop_limit = 4;
    std::vector<envelope::item> items;
    for (auto& p : payloads) {
      envelope::item it;
      it.k = envelope::kind::publish;
      it.topic = "/coop/test";
      it.payload = p;
      items.push_back(it);
    }
    return envelope::seal(b_key, h, items);
  }

  void connect(raw_peer& p) {
    REQUIRE(p.connect_tls(a->listen_port(), pki.site("site-b"), pki.ca().cert));
    REQUIRE(p.hello("site-b"));
    REQUIRE(eventually([&] { return state_of(*a, "site-b") == peer_state::up; }));
  }

  // Sends a marker envelope and waits for it, so everything sent before it
  // has been processed.
  void settle(raw_peer& p, std::uint64_t seq) {
    REQUIRE(p.write(envelope_frame(seal(seq, {"marker"}))));
    REQUIRE(eventually([&] {
      for (const auto& m : got.messages())
        if (m.payload == "marker" && m.sequence == seq) return true;
      return false;
    }));
  }

  std::vector<std::string> payloads() {
    std::vector<std::string> out;
    for (auto& m : got.messages())
      if (m.payload != "marker") out.push_back(m.payload);
    return out;
  }

  std::string last_refusal() { return a->refusals().empty() ? "" : a->refusals().back().reason; }
};

}  // namespace

TEST_CASE("a genuine envelope is delivered once, its copy is a counted duplicate") {
  envelope_case c;
  raw_peer p;
  c.connect(p);
  auto e = c.seal(100, {"one", "two"});
  REQUIRE(p.write(envelope_frame(e)));
  REQUIRE(p.write(envelope_frame(e)));
  c.settle(p, 101);
  CHECK(c.payloads() == std::vector<std::string>{"one", "two"});
  CHECK(c.a->stats().duplicates == 2);
  auto m = c.got.messages()[0];
  CHECK(m.origin == "site-b");
  CHECK(m.sequence == 100);
}

TEST_CASE("a subset of a signed batch verifies item by item (what relays forward)") {
  envelope_case c;
  raw_peer p;
  c.connect(p);
  auto e = c.seal(200, {"zero", "one", "two"});
  REQUIRE(p.write(envelope_frame(e, {2})));
  REQUIRE(p.write(envelope_frame(e, {0})));
  c.settle(p, 201);
  CHECK(c.payloads() == std::vector<std::string>{"two", "zero"});
}

TEST_CASE("tampered, expired, misattributed and over-hopped envelopes are refused") {
  envelope_case c;
  raw_peer p;
  c.connect(p);

  auto item_tampered = c.seal(300, {"pay me"});
  // A payload byte: the digest covers the item's fields, not the padding
  // of its encoding (docs/protocol.md, "Item digest").
  item_tampered.items[0][item_tampered.items[0].find("pay me")] ^= 0x01;
  REQUIRE(p.write(envelope_frame(item_tampered)));
  c.settle(p, 301);
  CHECK(c.last_refusal().find("does not match its signed digest") != std::string::npos);

  auto header_tampered = c.seal(302, {"x"});
  header_tampered.header_bytes[header_tampered.header_bytes.size() / 2] ^= 0x40;
  REQUIRE(p.write(envelope_frame(header_tampered)));
  c.settle(p, 303);
  const auto r1 = c.last_refusal();
  CHECK((r1.find("bad signature") != std::string::npos || r1.find("malformed") != std::string::npos ||
         r1.find("origin") != std::string::npos));

  REQUIRE(p.write(envelope_frame(c.seal(304, {"old"}, "site-b", -1'000'000'000))));
  c.settle(p, 305);
  CHECK(c.last_refusal().find("expired") != std::string::npos);

  REQUIRE(p.write(envelope_frame(c.seal(306, {"not c"}, "site-c"))));
  c.settle(p, 307);
  CHECK(c.last_refusal().find("does not match its pin") != std::string::npos);

  REQUIRE(p.write(envelope_frame(c.seal(308, {"who"}, "site-x"))));
  c.settle(p, 309);
  CHECK(c.last_refusal().find("unknown origin 'site-x'") != std::string::npos);

  auto hopped = c.seal(310, {"far"});
  hopped.hops = {"r1", "r2", "r3", "r4", "r5"};  // hop limit 4
  REQUIRE(p.write(envelope_frame(hopped)));
  c.settle(p, 311);
  CHECK(c.last_refusal().find("over its limit 4") != std::string::npos);

  CHECK(c.payloads().empty());
  CHECK(c.a->stats().refused_signature >= 6);
}

TEST_CASE("the replay window survives a restart of the receiving site") {
  envelope_case c;
  const auto port = c.a->listen_port();
  auto first = c.seal(400, {"before restart"});
  {
    raw_peer p;
    c.connect(p);
    REQUIRE(p.write(envelope_frame(first)));
    c.settle(p, 401);
  }
  CHECK(c.payloads() == std::vector<std::string>{"before restart"});
  c.a->stop();
  c.a.reset();
  c.start(port);
  raw_peer p;
  c.connect(p);
  REQUIRE(p.write(envelope_frame(first)));  // the captured envelope, again
  c.settle(p, 402);
  CHECK(c.payloads() == std::vector<std::string>{"before restart"});
  CHECK(c.a->stats().replays == 1);
  CHECK(c.last_refusal().find("replayed") != std::string::npos);
}
