// Hostile and broken peers: oversized frames, absurd segment tables, garbage,
// frames out of order, slowloris at every stage and a storm of connections.
// The offender is cut off with a refusal saying why; the site keeps serving
// its other peers.
#include <doctest/doctest.h>

#include <cstring>

#include "comm_support.h"
#include "raw_peer.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

std::string le32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// A listens with short timeouts and a small handshake limit; site-b's real
// identity is used by the hostile raw peer.
struct hostile_case {
  test_pki pki;
  std::unique_ptr<node> a;
  hostile_case() {
    a = started(config_text(pki, "site-a", {{"site-b", 0}, {"site-c", 0}},
                            "allow * * /\n"
                            "limit handshake-timeout 300ms\n"
                            "limit idle-timeout 400ms\n"
                            "limit keepalive 100ms\n"
                            "limit pending-handshakes 8\n"));
  }

  // An authenticated raw peer as site-b that has said hello.
  void authenticated(raw_peer& p) {
    REQUIRE(p.connect_tls(a->listen_port(), pki.site("site-b"), pki.ca().cert));
    REQUIRE(p.hello("site-b"));
    REQUIRE(eventually([&] { return state_of(*a, "site-b") == peer_state::up; }));
  }

  // The refusals A sent before closing the raw peer.
  std::vector<std::string> cut_off(raw_peer& p) {
    auto bytes = p.read_all(std::chrono::seconds(5));
    CHECK(p.closed());
    return refusals_in(bytes);
  }
};

bool has_refusal(const std::vector<std::string>& r, const std::string& code, const std::string& part) {
  for (const auto& s : r)
    if (s.rfind(code + ":", 0) == 0 && s.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("an oversized frame is refused from its length prefix alone") {
  hostile_case h;
  raw_peer p;
  h.authenticated(p);
  REQUIRE(p.write(le32(64u << 20)));  // announces 64 MiB, sends none of it
  auto r = h.cut_off(p);
  CHECK(has_refusal(r, "2", "exceeds the limit"));
  CHECK(h.a->stats().protocol_errors == 1);
  CHECK(state_of(*h.a, "site-b") == peer_state::down);
}

TEST_CASE("a huge segment count is refused before any parsing") {
  hostile_case h;
  raw_peer p;
  h.authenticated(p);
  std::string frame = le32(16) + le32(999'999) + le32(1) + std::string(8, '\0');
  REQUIRE(p.write(frame));
  auto r = h.cut_off(p);
  CHECK(has_refusal(r, "2", "segment count 1000000"));
}

TEST_CASE("garbage inside a well-sized frame is refused as malformed") {
  hostile_case h;
  raw_peer p;
  h.authenticated(p);
  // One segment of 2 words whose root pointer points far outside it.
  std::string body = le32(0) + le32(2) + std::string("\xfc\xff\xff\x7f\x01\x00\x01\x00", 8) +
                     std::string(8, '\x11');
  REQUIRE(p.write(le32(static_cast<std::uint32_t>(body.size())) + body));
  auto r = h.cut_off(p);
  CHECK(has_refusal(r, "1", "malformed"));
}

TEST_CASE("frames before the hello and a hello naming another site are refused") {
  hostile_case h;
  {
    raw_peer p;
    REQUIRE(p.connect_tls(h.a->listen_port(), h.pki.site("site-b"), h.pki.ca().cert));
    capnp::MallocMessageBuilder mb;
    mb.initRoot<wire::Frame>().setPing(1);
    REQUIRE(p.write(wire_io::serialise_frame(mb)));
    CHECK(has_refusal(h.cut_off(p), "1", "before the hello"));
  }
  {
    raw_peer p;
    REQUIRE(p.connect_tls(h.a->listen_port(), h.pki.site("site-b"), h.pki.ca().cert));
    REQUIRE(p.hello("site-c"));
    CHECK(has_refusal(h.cut_off(p), "4", "hello names site 'site-c'"));
  }
  {
    raw_peer p;
    REQUIRE(p.connect_tls(h.a->listen_port(), h.pki.site("site-b"), h.pki.ca().cert));
    REQUIRE(p.hello("site-b", 3, 4));
    CHECK(has_refusal(h.cut_off(p), "3", "no common protocol version"));
  }
  {
    // A version 1 peer (item digests over the serialised item, signatures
    // over the whole header) cannot check what this one signs: refused.
    raw_peer p;
    REQUIRE(p.connect_tls(h.a->listen_port(), h.pki.site("site-b"), h.pki.ca().cert));
    REQUIRE(p.hello("site-b", 1, 1));
    CHECK(has_refusal(h.cut_off(p), "3", "no common protocol version"));
  }
}

TEST_CASE("slowloris: silence before TLS, before hello and inside a frame is cut off") {
  hostile_case h;
  {
    raw_peer p;  // TCP only, never starts TLS
    REQUIRE(p.connect_tcp(h.a->listen_port()));
    p.read_all(std::chrono::seconds(5));
    CHECK(p.closed());
  }
  {
    raw_peer p;  // TLS, then no hello
    REQUIRE(p.connect_tls(h.a->listen_port(), h.pki.site("site-b"), h.pki.ca().cert));
    p.read_all(std::chrono::seconds(5));
    CHECK(p.closed());
  }
  {
    raw_peer p;  // up, then half a frame header, then nothing
    h.authenticated(p);
    REQUIRE(p.write(std::string("\x10\x00", 2)));
    CHECK(has_refusal(h.cut_off(p), "5", "idle timeout"));
  }
  auto reasons = h.a->refusals();
  int handshake_timeouts = 0;
  for (const auto& r : reasons) handshake_timeouts += r.reason == "handshake timeout";
  CHECK(handshake_timeouts == 2);
}

TEST_CASE("a storm of connections is capped while a real peer keeps exchanging messages") {
  hostile_case h;
  auto c = started(config_text(h.pki, "site-c", {{"site-a", h.a->listen_port()}}, "allow * * /\n"));
  inbox got;
  REQUIRE(h.a->subscribe("/coop", got.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*c, "site-a", "/coop"); }));

  std::vector<std::unique_ptr<raw_peer>> storm;
  for (int i = 0; i < 100; ++i) {
    storm.push_back(std::make_unique<raw_peer>());
    REQUIRE(storm.back()->connect_tcp(h.a->listen_port()));
  }
  // The real peer publishes during the storm and everything arrives.
  for (int i = 0; i < 50; ++i) REQUIRE(c->publish("/coop/during-storm", "", std::to_string(i)).ok());
  REQUIRE(eventually([&] { return got.size() == 50; }));
  // At most `pending-handshakes` (8) storm connections were let in at once.
  REQUIRE(eventually([&] { return h.a->stats().refused_connections >= 92; }));
  CHECK(state_of(*h.a, "site-c") == peer_state::up);
  auto m = got.messages();
  CHECK(m.front().payload == "0");
  CHECK(m.back().payload == "49");
}
