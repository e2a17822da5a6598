// The TLS matrix: every way of connecting without the right identity is
// refused, the refusal is counted and logged with its reason, and the site
// keeps serving its legitimate peers.
#include <doctest/doctest.h>

#include <cstdio>

#include "comm_support.h"
#include "raw_peer.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

// Site A listens and pins site-b; `b_identity` is what actually connects.
struct tls_case {
  test_pki pki;
  std::unique_ptr<node> a;
  tls_case() { a = started(config_text(pki, "site-a", {{"site-b", 0}}, "allow * * /\n")); }

  // The reason of the last refusal A logged for a connection, once it has one.
  std::string last_connect_refusal(std::uint64_t before) {
    REQUIRE(eventually([&] { return a->stats().refused_connections > before; }));
    auto r = a->refusals();
    REQUIRE_FALSE(r.empty());
    CHECK(r.back().what == "connect");
    return r.back().reason;
  }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a certificate from an unknown CA is refused") {
  tls_case t;
  test_pki other("other-ca");
  raw_peer p;
  p.connect_tls(t.a->listen_port(), other.site("site-b"), t.pki.ca().cert);
  p.read_all(std::chrono::milliseconds(500));
  CHECK(p.closed());
  auto why = t.last_connect_refusal(0);
  CHECK(contains(why, "certificate"));
  CHECK(state_of(*t.a, "site-b") != peer_state::up);
}

TEST_CASE("a certificate from the right CA with a key nobody pinned is refused") {
  tls_case t;
  t.pki.site("site-b");  // the pinned one
  scratch_dir elsewhere;
  auto impostor = create_site(t.pki.ca(), elsewhere.path(), "site-b");
  REQUIRE(impostor.ok());
  raw_peer p;
  REQUIRE(p.connect_tls(t.a->listen_port(), *impostor, t.pki.ca().cert));
  auto bytes = p.read_all(std::chrono::seconds(2));
  CHECK(p.closed());
  auto why = t.last_connect_refusal(0);
  CHECK(contains(why, "no peer line pins"));
  auto refusals = refusals_in(bytes);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].rfind("4:", 0) == 0);  // not_authorised, told to the peer
}

TEST_CASE("an expired certificate is refused") {
  test_pki pki;
  validity expired;
  expired.not_before = std::chrono::hours(-48);
  expired.valid_for = std::chrono::hours(24);
  pki.site("site-b", expired);
  auto a = started(config_text(pki, "site-a", {{"site-b", 0}}, "allow * * /\n"));
  raw_peer p;
  p.connect_tls(a->listen_port(), pki.site("site-b"), pki.ca().cert);
  p.read_all(std::chrono::milliseconds(500));
  CHECK(p.closed());
  REQUIRE(eventually([&] { return a->stats().refused_connections > 0; }));
  INFO(a->refusals().back().reason);
  CHECK(contains(a->refusals().back().reason, "expired"));
}

TEST_CASE("a client without a certificate is refused") {
  tls_case t;
  raw_peer p;
  p.connect_tls(t.a->listen_port(), identity_files{}, t.pki.ca().cert);
  p.read_all(std::chrono::milliseconds(500));
  CHECK(p.closed());
  auto why = t.last_connect_refusal(0);
  CHECK(contains(why, "certificate"));
}

TEST_CASE("a TLS 1.2-only client is refused, by our client and by openssl s_client") {
  tls_case t;
  raw_peer p;
  CHECK_FALSE(p.connect_tls(t.a->listen_port(), t.pki.site("site-b"), t.pki.ca().cert,
                            TLS1_2_VERSION, TLS1_2_VERSION));
  auto why = t.last_connect_refusal(0);
  INFO(why);
  CHECK(contains(why, "version"));

  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    std::printf("COOP-SKIP: openssl(1) is not installed; the s_client half is skipped\n");
    return;
  }
  const auto& b = t.pki.site("site-b");
  std::string cmd = "openssl s_client -tls1_2 -connect 127.0.0.1:" +
                    std::to_string(t.a->listen_port()) + " -cert " + b.cert.string() + " -key " +
                    b.key.string() + " -CAfile " + t.pki.ca().cert.string() +
                    " </dev/null 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  REQUIRE(f);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  const int status = ::pclose(f);
  CHECK(status != 0);
  CHECK(contains(out, "alert protocol version"));
  CHECK(eventually([&] { return t.a->stats().refused_connections >= 2; }));
}

TEST_CASE("a node refuses a peer that presents the wrong key, and reports it refused") {
  test_pki pki;
  test_pki other("other-ca");
  // A pins other's site-b key, but B uses pki's site-b.
  auto a_text = config_text(pki, "site-a", {}, "allow * * /\n");
  a_text += "peer site-b spki=" + pki.pin("site-b") + "\n";
  auto a = started(a_text);
  std::string b_text = config_text(pki, "site-b", {}, "allow * * /\n");
  b_text += "peer site-a spki=" + other.pin("site-a") + " connect=127.0.0.1:" +
            std::to_string(a->listen_port()) + "\n";
  auto b = started(b_text);
  REQUIRE(eventually([&] { return state_of(*b, "site-a") == peer_state::refused; }));
  auto peers = b->peers();
  REQUIRE(peers.size() == 1);
  CHECK(contains(peers[0].reason, "pins"));
  CHECK(state_of(*a, "site-b") != peer_state::up);
}

TEST_CASE("after refusing impostors the site still serves its real peer") {
  tls_case t;
  for (int i = 0; i < 3; ++i) {
    raw_peer p;
    p.connect_tls(t.a->listen_port(), identity_files{}, t.pki.ca().cert);
    p.read_all(std::chrono::milliseconds(200));
  }
  auto b = started(config_text(t.pki, "site-b", {{"site-a", t.a->listen_port()}}, "allow * * /\n"));
  inbox got;
  REQUIRE(t.a->subscribe("/coop", got.handler()).ok());
  REQUIRE(eventually([&] { return peer_subscribed(*b, "site-a", "/coop"); }));
  REQUIRE(b->publish("/coop/x", "", "still here").ok());
  REQUIRE(eventually([&] { return got.size() == 1; }));
  CHECK(t.a->stats().refused_connections >= 3);
}
