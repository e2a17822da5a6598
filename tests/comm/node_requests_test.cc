// Requests under operator approval, and requests across a restart of the
// responding site: each completes once, each handler runs once.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>

#include "comm_support.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

struct approval_case {
  test_pki pki;
  std::unique_ptr<node> a, b;
  std::atomic<int> handled{0};
  approval_case() {
    a = started(config_text(pki, "site-a", {{"site-b", 0}},
                            "allow * * /\napprove /coop/query timeout=1h\napprove /coop/quick timeout=1s\n"));
    b = started(config_text(pki, "site-b", {{"site-a", a->listen_port()}}, "allow * * /\n"));
    REQUIRE(a->on_request("/coop", [this](const message& m) -> result<reply> {
      ++handled;
      return reply{"text/plain", "result for " + m.payload};
    }).ok());
    REQUIRE(eventually([&] { return state_of(*b, "site-a") == peer_state::up; }));
  }

  // The pending approval for `payload`, once it is listed.
  approval pending(const std::string& payload) {
    approval found;
    REQUIRE(eventually([&] {
      for (const auto& x : a->approvals())
        if (x.state == approval_state::pending && x.request.payload == payload) {
          found = x;
          return true;
        }
      return false;
    }));
    return found;
  }
};

struct completion {
  std::mutex m;
  std::optional<result<message>> r;
  response_handler handler() {
    return [this](result<message> x) {
      std::lock_guard l(m);
      r = std::move(x);
    };
  }
  bool done() {
    std::lock_guard l(m);
    return r.has_value();
  }
};

}  // namespace

TEST_CASE("an approved request reaches its handler and the requester gets the answer") {
  approval_case c;
  completion done;
  REQUIRE(c.b->request("site-a", "/coop/query/host", "text/plain", "10.0.0.9", done.handler(),
                       std::chrono::milliseconds(200)).ok());
  auto p = c.pending("10.0.0.9");
  CHECK(p.request.origin == "site-b");
  CHECK(p.request.topic == "/coop/query/host");
  CHECK(p.rule == "test.conf:10");
  CHECK(p.expires_at > p.received_at);
  // Held: the short request timeout does not apply while it waits.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK_FALSE(done.done());
  CHECK(c.handled == 0);
  REQUIRE(c.a->approve(p.id).ok());
  REQUIRE(eventually([&] { return done.done(); }));
  REQUIRE(done.r->ok());
  CHECK(done.r->value().payload == "result for 10.0.0.9");
  CHECK(c.handled == 1);
  CHECK(c.a->approve(p.id).err().code == errc::invalid_argument);
  CHECK(c.a->approve(9999).err().code == errc::not_found);
  auto list = c.a->approvals();
  REQUIRE(list.size() == 1);
  CHECK(list[0].state == approval_state::approved);
}

TEST_CASE("a refused request never reaches the handler, the requester learns why") {
  approval_case c;
  completion done;
  REQUIRE(c.b->request("site-a", "/coop/query/host", "", "10.0.0.10", done.handler()).ok());
  auto p = c.pending("10.0.0.10");
  REQUIRE(c.a->refuse(p.id, "outside the incident's scope").ok());
  REQUIRE(eventually([&] { return done.done(); }));
  REQUIRE_FALSE(done.r->ok());
  CHECK(done.r->err().code == errc::refused);
  CHECK(done.r->err().message.find("outside the incident's scope") != std::string::npos);
  CHECK(c.handled == 0);
  CHECK(c.a->approvals()[0].state == approval_state::refused);
  CHECK(c.a->approvals()[0].note == "outside the incident's scope");
}

TEST_CASE("a request nobody decides on expires, and the requester is told") {
  approval_case c;
  auto r = c.b->request_sync("site-a", "/coop/quick/x", "", "q", std::chrono::milliseconds(100));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::timeout);
  CHECK(r.err().message.find("expired") != std::string::npos);
  CHECK(c.handled == 0);
  CHECK(c.a->approvals()[0].state == approval_state::expired);
}

TEST_CASE("requests complete once across a restart of the responder, and run once") {
  test_pki pki;
  scratch_dir state;
  std::string a_text = config_text(pki, "site-a", {{"site-b", 0}}, "allow * * /\n", state.path());
  std::mutex m;
  std::map<std::string, int> runs;  // payload -> handler runs, over both lives of A
  auto handler = [&](const message& msg) -> result<reply> {
    std::lock_guard l(m);
    ++runs[msg.payload];
    return reply{"", "answer " + msg.payload};
  };
  auto a = started(a_text);
  REQUIRE(a->on_request("/coop", handler).ok());
  const auto port = a->listen_port();
  auto b = started(config_text(pki, "site-b", {{"site-a", port}}, "allow * * /\n"));
  REQUIRE(eventually([&] { return state_of(*b, "site-a") == peer_state::up; }));

  const int n = 40;
  std::vector<std::unique_ptr<completion>> done;
  for (int i = 0; i < n; ++i) {
    done.push_back(std::make_unique<completion>());
    REQUIRE(b->request("site-a", "/coop/q", "", std::to_string(i), done.back()->handler(),
                       std::chrono::seconds(20)).ok());
    if (i == n / 2) {
      // Kill A mid-stream (no grace), then bring it back on the same port
      // with the same state directory.
      a->stop(std::chrono::milliseconds(0));
      a.reset();
      const std::string from = "listen 127.0.0.1:0";
      std::string again = a_text;
      again.replace(again.find(from), from.size(), "listen 127.0.0.1:" + std::to_string(port));
      a = started(again);
      REQUIRE(a->on_request("/coop", handler).ok());
    }
  }
  REQUIRE(eventually([&] {
    for (auto& d : done)
      if (!d->done()) return false;
    return true;
  }, std::chrono::seconds(30)));
  for (int i = 0; i < n; ++i) {
    INFO("request ", i);
    REQUIRE(done[static_cast<std::size_t>(i)]->r->ok());
    CHECK(done[static_cast<std::size_t>(i)]->r->value().payload == "answer " + std::to_string(i));
  }
  std::lock_guard l(m);
  CHECK(runs.size() == static_cast<std::size_t>(n));
  for (const auto& [payload, count] : runs) {
    INFO(payload);
    CHECK(count == 1);
  }
}
