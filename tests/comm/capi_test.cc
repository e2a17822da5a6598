// The C API (coop/comm.h) between real sites over mutually authenticated TLS
// 1.3 on loopback: a site run through the C API from a configuration file
// exchanges publications and point-to-point messages with a site run through
// the C++ API, polls a bounded queue that counts what it drops, and reports
// errors as status codes with messages. Only the C header is used on the C
// side; tests/comm/capi_test.c checks that it compiles and works as C.
#include "coop/comm.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <thread>

#include "comm_support.h"

using namespace coop::comm;
using namespace coop::comm::testing;

namespace {

// Writes `text` as `name` in `dir` and returns its path.
std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& text) {
  auto p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// A C++ site `site-a` listening, and `site-c` run through the C API dialling it.
struct c_and_cpp {
  explicit c_and_cpp(const std::string& rules = "allow * * /coop\n") {
    a = started(config_text(pki, "site-a", {{"site-c", 0}}, rules));
    auto conf = write_file(pki.dir(), "site-c.conf",
                           config_text(pki, "site-c", {{"site-a", a->listen_port()}}, rules));
    char err[512];
    c = coop_comm_start(conf.c_str(), err, sizeof err);
    REQUIRE_MESSAGE(c != nullptr, err);
    CHECK(std::string(err).empty());
    REQUIRE(eventually([&] { return state_of(*a, "site-c") == peer_state::up; }));
  }
  ~c_and_cpp() { coop_comm_stop(c); }
  c_and_cpp(const c_and_cpp&) = delete;
  c_and_cpp& operator=(const c_and_cpp&) = delete;

  test_pki pki;
  std::unique_ptr<node> a;
  coop_comm_node* c = nullptr;
};

std::string payload_of(const coop_comm_message& m) {
  return {static_cast<const char*>(m.payload), m.len};
}

}  // namespace

TEST_CASE("capi: a C site receives what a C++ site publishes under its subscription") {
  c_and_cpp s;
  REQUIRE(coop_comm_subscribe(s.c, "/coop/events") == COOP_COMM_OK);
  REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-c", "/coop/events"); }));

  coop_comm_message m{};
  CHECK(coop_comm_poll(s.c, &m, 0) == 0);  // nothing yet
  const std::string binary("ssh\0login\xff", 10);
  REQUIRE(s.a->publish("/coop/eventsx", "text/plain", "other prefix").ok());
  REQUIRE(s.a->publish("/coop/events/ssh", "application/octet-stream", binary).ok());
  REQUIRE(s.a->publish("/coop/events", "", "second").ok());

  REQUIRE(coop_comm_poll(s.c, &m, 20000) == 1);
  CHECK(std::string(m.topic) == "/coop/events/ssh");
  CHECK(std::string(m.origin) == "site-a");
  CHECK(std::string(m.content_type) == "application/octet-stream");
  CHECK(m.len == 10);
  CHECK(payload_of(m) == binary);
  CHECK(static_cast<const char*>(m.payload)[m.len] == '\0');
  CHECK(m.direct == 0);

  REQUIRE(coop_comm_poll(s.c, &m, 20000) == 1);
  CHECK(std::string(m.topic) == "/coop/events");
  CHECK(std::string(m.content_type).empty());
  CHECK(payload_of(m) == "second");
  coop_comm_message_release(s.c, &m);
  CHECK(m.payload == nullptr);
  CHECK(m.len == 0);
  // The message on /coop/eventsx was never queued.
  CHECK(coop_comm_poll(s.c, &m, 200) == 0);
  CHECK(coop_comm_dropped(s.c) == 0);
}

TEST_CASE("capi: a C site publishes and sends to a C++ site") {
  c_and_cpp s;
  inbox got;
  REQUIRE(s.a->subscribe("/coop/events", got.handler()).ok());
  // The C site learns a's subscription before it publishes to it; until
  // then a publication would (correctly) reach nobody, so wait for it by
  // repeating a probe until one arrives.
  REQUIRE(eventually([&] {
    if (coop_comm_publish(s.c, "/coop/events/probe", nullptr, nullptr, 0) != COOP_COMM_OK)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return got.size() > 0;
  }));
  const char body[] = "GET /index.html 200";
  REQUIRE(coop_comm_publish(s.c, "/coop/events/http", "text/plain", body, sizeof body - 1) ==
          COOP_COMM_OK);
  REQUIRE(coop_comm_send(s.c, "site-a", "/coop/events/direct", "application/json", "{}", 2) ==
          COOP_COMM_OK);
  REQUIRE(coop_comm_flush(s.c, 10000) == COOP_COMM_OK);
  auto not_probes = [&] {
    std::vector<message> out;
    for (const auto& x : got.messages())
      if (x.topic != "/coop/events/probe") out.push_back(x);
    return out;
  };
  REQUIRE(eventually([&] { return not_probes().size() >= 2; }));
  auto m = not_probes();
  REQUIRE(m.size() == 2);
  CHECK(m[0].topic == "/coop/events/http");
  CHECK(m[0].origin == "site-c");
  CHECK(m[0].content_type == "text/plain");
  CHECK(m[0].payload == "GET /index.html 200");
  CHECK_FALSE(m[0].direct);
  CHECK(m[1].topic == "/coop/events/direct");
  CHECK(m[1].direct);
  CHECK(m[1].payload == "{}");
}

TEST_CASE("capi: the poll queue is bounded and counts the messages it drops") {
  c_and_cpp s;
  REQUIRE(coop_comm_set_poll_limit(s.c, 3, 1 << 20) == COOP_COMM_OK);
  REQUIRE(coop_comm_subscribe(s.c, "/coop/bulk") == COOP_COMM_OK);
  REQUIRE(eventually([&] { return peer_subscribed(*s.a, "site-c", "/coop/bulk"); }));
  for (int i = 0; i < 10; ++i)
    REQUIRE(s.a->publish("/coop/bulk", "text/plain", "n" + std::to_string(i)).ok());
  REQUIRE(eventually([&] { return coop_comm_dropped(s.c) == 7; }));

  coop_comm_message m{};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(coop_comm_poll(s.c, &m, 1000) == 1);
    CHECK(payload_of(m) == "n" + std::to_string(i));  // the newest were dropped
  }
  CHECK(coop_comm_poll(s.c, &m, 0) == 0);

  // The byte limit: a message larger than the queue's bytes is dropped too.
  REQUIRE(coop_comm_set_poll_limit(s.c, 100, 64) == COOP_COMM_OK);
  REQUIRE(s.a->publish("/coop/bulk", "text/plain", std::string(100, 'x')).ok());
  REQUIRE(s.a->publish("/coop/bulk", "text/plain", "small").ok());
  REQUIRE(coop_comm_poll(s.c, &m, 20000) == 1);
  CHECK(payload_of(m) == "small");
  CHECK(coop_comm_dropped(s.c) == 8);
  CHECK(coop_comm_set_poll_limit(s.c, 0, 64) == COOP_COMM_INVALID_ARGUMENT);
}

TEST_CASE("capi: start failures name the file and line at fault") {
  test_pki pki;
  char err[256];
  CHECK(coop_comm_start(nullptr, err, sizeof err) == nullptr);
  CHECK(std::string(err).find("NULL") != std::string::npos);

  const auto missing = pki.dir() / "missing.conf";
  CHECK(coop_comm_start(missing.c_str(), err, sizeof err) == nullptr);
  CHECK(std::string(err).find(missing.string()) != std::string::npos);

  auto bad = write_file(pki.dir(), "bad.conf",
                        config_text(pki, "site-c", {}, "allow * shout /coop\n"));
  CHECK(coop_comm_start(bad.c_str(), err, sizeof err) == nullptr);
  const std::string e(err);
  CHECK(e.find("bad.conf:") != std::string::npos);
  CHECK(e.find("unknown verb 'shout'") != std::string::npos);

  // A short buffer gets a truncated, NUL-terminated message; none at all is fine.
  char tiny[8];
  CHECK(coop_comm_start(bad.c_str(), tiny, sizeof tiny) == nullptr);
  CHECK(std::string(tiny).size() == 7);
  CHECK(coop_comm_start(bad.c_str(), nullptr, 0) == nullptr);

  // A key that is not there: the node cannot start, and says which file.
  auto nokey = write_file(pki.dir(), "nokey.conf",
                          "site site-c\nkey " + (pki.dir() / "nope.key").string() + "\ncert " +
                              pki.site("site-c").cert.string() + "\n");
  CHECK(coop_comm_start(nokey.c_str(), err, sizeof err) == nullptr);
  CHECK(std::string(err).find("nope.key") != std::string::npos);
}

TEST_CASE("capi: bad arguments return status codes and a per-thread message") {
  c_and_cpp s;
  CHECK(coop_comm_publish(s.c, "no-slash", "", "x", 1) == COOP_COMM_INVALID_ARGUMENT);
  const std::string first = coop_comm_last_error(s.c);
  CHECK(first.find("byte") != std::string::npos);
  CHECK(coop_comm_publish(s.c, nullptr, "", "x", 1) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(std::string(coop_comm_last_error(s.c)) == "publish: topic is NULL");
  CHECK(coop_comm_publish(s.c, "/coop/x", "", nullptr, 3) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_send(s.c, "site-c", "/coop/x", "", "", 0) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(std::string(coop_comm_last_error(s.c)).find("itself") != std::string::npos);
  CHECK(coop_comm_send(s.c, nullptr, "/coop/x", "", "", 0) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_subscribe(s.c, "/coop//x") == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_subscribe(s.c, nullptr) == COOP_COMM_INVALID_ARGUMENT);

  // Another thread's failure does not change this thread's message, and a
  // thread that never failed sees "".
  const std::string mine = coop_comm_last_error(s.c);
  std::string theirs_before, theirs_after;
  std::thread t([&] {
    theirs_before = coop_comm_last_error(s.c);
    CHECK(coop_comm_subscribe(s.c, "bad") == COOP_COMM_INVALID_ARGUMENT);
    theirs_after = coop_comm_last_error(s.c);
  });
  t.join();
  CHECK(theirs_before.empty());
  CHECK_FALSE(theirs_after.empty());
  CHECK(std::string(coop_comm_last_error(s.c)) == mine);

  coop_comm_message m{};
  CHECK(coop_comm_poll(s.c, nullptr, 0) == -COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_poll(nullptr, &m, 0) == -COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_publish(nullptr, "/coop", "", "", 0) == COOP_COMM_INVALID_ARGUMENT);
  CHECK(coop_comm_dropped(nullptr) == 0);
  CHECK(std::string(coop_comm_last_error(nullptr)).find("NULL") != std::string::npos);
  coop_comm_stop(nullptr);
  coop_comm_message_release(nullptr, nullptr);

  CHECK(std::string(coop_comm_strerror(COOP_COMM_OVERLOADED)) == "overloaded");
  CHECK(std::string(coop_comm_strerror(-COOP_COMM_INVALID_ARGUMENT)) == "invalid_argument");
  CHECK(std::string(coop_comm_strerror(99)) == "unknown");
  CHECK(std::string(coop_comm_strerror(COOP_COMM_CLOSED)) == to_string(errc::closed));
}
