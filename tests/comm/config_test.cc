// The configuration text: every directive, values, and errors that name the
// file and line.
#include <doctest/doctest.h>

#include "coop/comm/config.h"

using namespace coop::comm;

namespace {

const std::string pin_b(64, 'b');
const std::string pin_c(64, 'C');

std::string base() {
  return "site site-a\nkey keys/a.key\ncert keys/a.crt\nca /etc/coop/ca.crt\n";
}

std::string error_of(const std::string& text) {
  auto c = parse_config(text, "a.conf", "/srv/coop");
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == errc::invalid_argument);
  return c.err().message;
}

}  // namespace

TEST_CASE("a full configuration parses into its parts") {
  const std::string text = base() +
                           "# comment line\n"
                           "listen [::1]:4740   # trailing comment\n"
                           "state state/a\n"
                           "relay on\n"
                           "peer site-b spki=" + pin_b + " connect=site-b.example:4741\n"
                           "peer site-c spki=" + pin_c + " ca=other-ca.crt\n"
                           "origin site-d spki=" + pin_b.substr(0, 63) + "d\n"
                           "allow site-b,site-c publish,subscribe /coop/hotlist\n"
                           "deny * * /coop/internal\n"
                           "approve /coop/query timeout=30m\n"
                           "overflow /coop/bulk drop-oldest\n"
                           "rate site-b msgs=1000/s bytes=10MiB/s\n"
                           "limit frame-bytes 256KiB\n"
                           "limit idle-timeout 90s\n"
                           "limit batch-linger 350us\n";
  auto c = parse_config(text, "a.conf", "/srv/coop");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
  CHECK(c->site == "site-a");
  CHECK(c->key == "/srv/coop/keys/a.key");
  CHECK(c->ca == "/etc/coop/ca.crt");
  REQUIRE(c->listen);
  CHECK(c->listen->host == "::1");
  CHECK(c->listen->port == 4740);
  CHECK(c->state == "/srv/coop/state/a");
  CHECK(c->relay);
  REQUIRE(c->peers.size() == 3);
  CHECK(c->peers[0].connect->host == "site-b.example");
  CHECK(c->peers[0].ca == "/etc/coop/ca.crt");
  CHECK(c->peers[1].spki_pin == std::string(64, 'c'));  // lower-cased
  CHECK(c->peers[1].ca == "/srv/coop/other-ca.crt");
  CHECK_FALSE(c->peers[1].connect);
  CHECK_FALSE(c->peers[2].neighbour);
  CHECK(c->peers[0].where == "a.conf:9");
  REQUIRE(c->acl.size() == 2);
  CHECK(c->acl[0].peers == std::vector<std::string>{"site-b", "site-c"});
  CHECK(c->acl[0].verbs == (static_cast<int>(verb::publish) | static_cast<int>(verb::subscribe)));
  CHECK(c->acl[1].peers.empty());
  CHECK(c->acl[1].verbs == 0x0f);
  CHECK(c->approvals[0].timeout == std::chrono::minutes(30));
  CHECK(c->overflow[0].policy == overflow_policy::drop_oldest);
  CHECK(c->rates[0].msgs_per_s == 1000);
  CHECK(c->rates[0].bytes_per_s == 10.0 * 1024 * 1024);
  CHECK(c->limits.max_frame_bytes == 256 * 1024);
  CHECK(c->limits.idle_timeout == std::chrono::seconds(90));
  CHECK(c->limits.batch_linger == std::chrono::microseconds(350));
  CHECK(parse_config(base() + "limit batch-linger 2ms\n", "a.conf", "/srv")->limits.batch_linger ==
        std::chrono::microseconds(2000));
  CHECK(overflow_for(*c, "/coop/bulk/x") == overflow_policy::drop_oldest);
  CHECK(overflow_for(*c, "/coop/bulky") == overflow_policy::drop_newest);
  REQUIRE(approval_for(*c, "/coop/query/host"));
  CHECK(approval_for(*c, "/coop/queryx") == nullptr);
}

TEST_CASE("configuration errors give file and line and say what is wrong") {
  CHECK(error_of(base() + "colour blue\n") .find("a.conf:5: unknown directive 'colour'") == 0);
  CHECK(error_of(base() + "peer site-b spki=abc\n").find("a.conf:5: spki of 'site-b' is not 64 hex") == 0);
  CHECK(error_of(base() + "peer site-b\n").find("a.conf:5: 'peer' expects") == 0);
  CHECK(error_of(base() + "peer site-b connect=h:1\n").find("a.conf:5: site 'site-b' has no spki") == 0);
  CHECK(error_of(base() + "peer site-b spki=" + pin_b + "\npeer site-b spki=" + pin_b + "\n")
            .find("a.conf:6: site 'site-b' defined twice") == 0);
  CHECK(error_of(base() + "peer site-b spki=" + pin_b + " connect=nohost\n").find("a.conf:5: bad endpoint") == 0);
  CHECK(error_of(base() + "peer site-b spki=" + pin_b + " colour=red\n").find("a.conf:5: unknown option 'colour'") == 0);
  CHECK(error_of(base() + "allow * shout /coop\n").find("a.conf:5: unknown verb 'shout'") == 0);
  CHECK(error_of(base() + "allow * * coop\n").find("a.conf:5: topic 'coop': does not start with '/' at byte 0") == 0);
  CHECK(error_of(base() + "allow * * /coop//x\n").find("a.conf:5: topic '/coop//x': empty segment at byte 6") == 0);
  CHECK(error_of(base() + "allow * /coop\n").find("a.conf:5: 'allow' expects") == 0);
  CHECK(error_of(base() + "overflow /coop explode\n").find("a.conf:5: unknown policy 'explode'") == 0);
  CHECK(error_of(base() + "rate site-z msgs=5/s\n").find("a.conf:5: rate for unknown peer 'site-z'") == 0);
  CHECK(error_of(base() + "rate * msgs=5\n").find("a.conf:5: msgs must be a rate per second") == 0);
  CHECK(error_of(base() + "limit frame-bytes 12\n").find("a.conf:5: limit frame-bytes: bad value '12'") == 0);
  CHECK(error_of(base() + "limit idle-timeout soon\n").find("a.conf:5: limit idle-timeout: bad duration") == 0);
  CHECK(error_of(base() + "limit speed 9\n").find("a.conf:5: unknown limit 'speed'") == 0);
  CHECK(error_of(base() + "limit batch-linger 2s\n").find("a.conf:5: limit batch-linger: bad duration '2s' (e.g. 250us, 1ms; at most 1s)") == 0);
  CHECK(error_of(base() + "limit batch-linger 5KiBus\n").find("a.conf:5: limit batch-linger: bad duration") == 0);
  CHECK(error_of(base() + "site site-b\n").find("a.conf:5: 'site' given twice (first at a.conf:1)") == 0);
  CHECK(error_of(base() + "relay maybe\n").find("a.conf:5: relay expects on or off") == 0);
  CHECK(error_of(base() + "approve /coop/q timeout=10ms\n").find("a.conf:5: bad timeout") == 0);
  CHECK(error_of("key k\ncert c\n").find("a.conf: no 'site' line") == 0);
  CHECK(error_of("site a\ncert c\n").find("a.conf: no 'key' line") == 0);
  CHECK(error_of("site site-a\nkey k\ncert c\npeer site-b spki=" + pin_b + "\n")
            .find("a.conf:4: peer 'site-b' has no ca= and there is no 'ca' line") == 0);
  CHECK(error_of(base() + "peer site-a spki=" + pin_b + "\n").find("a.conf:5: a site cannot be its own peer") == 0);
  CHECK(error_of(base() + "limit keepalive 2m\n").find("keepalive must be shorter than idle-timeout") != std::string::npos);
}

TEST_CASE("load_config names an unreadable file") {
  auto c = load_config("/nonexistent/coop/site.conf");
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().code == errc::io);
  CHECK(c.err().message.find("/nonexistent/coop/site.conf") != std::string::npos);
}
