// The syslog receiver of coop_import: RFC 5424 and 3164 parsing, RFC 6587
// framing, events (syslog_message, ssh_login through the sshd parser) and
// the tail -F follower on real files in a temporary directory.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "coop/importer/sinks.h"
#include "coop/importer/syslog.h"
#include "coop/model/schema.h"

namespace imp = coop::importer;
namespace model = coop::model;

namespace {

// 2026-11-28T12:00:00Z
const model::timestamp noon{1'795'867'200'000'000'000};

class fixed_clock final : public model::clock {
 public:
  [[nodiscard]] model::timestamp now() const override { return noon; }
};

std::string text_of(const model::event& e, std::string_view field) {
  const auto* v = e.get(field);
  REQUIRE(v != nullptr);
  if (!v->is<std::string>()) return "<unset>";
  return v->get<std::string>();
}

std::vector<std::string> frames(imp::stream_framer& f, std::string_view bytes, bool finish = false) {
  std::vector<std::string> out;
  auto h = [&](std::string_view m) -> model::result<void> {
    out.emplace_back(m);
    return {};
  };
  auto r = f.feed(bytes, h);
  REQUIRE(r.ok());
  if (finish) REQUIRE(f.finish(h).ok());
  return out;
}

// Removes the directory at the end of a test, whether it passed or not.
struct dir_guard {
  std::filesystem::path path;
  ~dir_guard() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::filesystem::path temp_dir(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("coop-integ-") + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("syslog: an RFC 5424 message gives every header field and skips structured data") {
  const std::string msg =
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"App\\]lication\"][b x=\"y\"] \xEF\xBB\xBF"
      "An application event";
  auto p = imp::parse_syslog(msg, noon);
  REQUIRE(p.ok());
  CHECK(p->version == 1);
  CHECK(imp::facility_name(p->facility) == "LOCAL4");
  CHECK(imp::severity_name(p->severity) == "NOTICE");
  CHECK(p->has_time);
  CHECK(p->ts.to_rfc3339().substr(0, 23) == "2003-10-11T22:14:15.003");
  CHECK(p->hostname == "mymachine.example.com");
  CHECK(p->app_name == "evntslog");
  CHECK(p->procid == "1234");
  CHECK(p->msgid == "ID47");
  CHECK(p->message == "An application event");
}

TEST_CASE("syslog: RFC 5424 nil values and a message without MSG") {
  auto p = imp::parse_syslog("<13>1 - - - - - -", noon);
  REQUIRE(p.ok());
  CHECK_FALSE(p->has_time);
  CHECK(p->hostname.empty());
  CHECK(p->app_name.empty());
  CHECK(p->message.empty());
}

TEST_CASE("syslog: RFC 3164 with and without a host name") {
  auto p = imp::parse_syslog("<38>Nov 28 09:10:58 gw sshd[812]: Accepted password for a from 10.0.0.1 port 2 ssh2",
                             noon);
  REQUIRE(p.ok());
  CHECK(p->version == 0);
  CHECK(imp::facility_name(p->facility) == "AUTH");
  CHECK(imp::severity_name(p->severity) == "INFO");
  CHECK(p->hostname == "gw");
  CHECK(p->app_name == "sshd");
  CHECK(p->procid == "812");
  CHECK(p->message == "Accepted password for a from 10.0.0.1 port 2 ssh2");
  CHECK(p->ts.to_rfc3339().substr(0, 19) == "2026-11-28T09:10:58");

  auto q = imp::parse_syslog("<13>Nov  2 01:02:03 cron[7]: job done", noon);
  REQUIRE(q.ok());
  CHECK(q->hostname.empty());
  CHECK(q->app_name == "cron");
  CHECK(q->procid == "7");
  CHECK(q->message == "job done");

  // RFC 3164 4.3.3: no valid header -> the whole text is the message.
  auto r = imp::parse_syslog("<0>just some text", noon);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_time);
  CHECK(imp::facility_name(r->facility) == "KERN");
  CHECK(imp::severity_name(r->severity) == "EMERG");
  CHECK(r->message == "just some text");
}

TEST_CASE("syslog: malformed messages are refused with what and where") {
  auto a = imp::parse_syslog("hello", noon);
  REQUIRE_FALSE(a.ok());
  CHECK(a.err().message == "no PRI ('<' expected) at byte 0");
  auto b = imp::parse_syslog("<192>x", noon);
  REQUIRE_FALSE(b.ok());
  CHECK(b.err().message.find("PRI 192 is over 191") != std::string::npos);
  auto c = imp::parse_syslog("<13>1 2003-13-45T99:00:00Z h a p m - x", noon);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err().message.find("TIMESTAMP") != std::string::npos);
  CHECK(c.err().message.find("at byte 6") != std::string::npos);
  auto d = imp::parse_syslog("<13>1 - h a p m [unclosed x=\"]\" msg", noon);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().message == "malformed RFC 5424 STRUCTURED-DATA at byte 16");
  auto e = imp::parse_syslog("<13>2 - h a p m - x", noon);
  REQUIRE_FALSE(e.ok());
  CHECK(e.err().message.find("VERSION 2") != std::string::npos);
}

TEST_CASE("framing: octet counting split anywhere, newline framing, detection per stream") {
  imp::stream_framer oc;
  const std::string stream = "11 <13>1 - - -12 <14>1 - - - \n";
  std::vector<std::string> got;
  for (char ch : stream) {
    for (auto& m : frames(oc, std::string_view(&ch, 1))) got.push_back(m);
  }
  CHECK(oc.mode() == imp::framing::octet_counting);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == "<13>1 - - -");
  CHECK(got[1] == "<14>1 - - - ");

  imp::stream_framer nl;
  auto m = frames(nl, "<13>one\r\n<13>two\n\n<13>thr", true);
  CHECK(nl.mode() == imp::framing::newline);
  REQUIRE(m.size() == 3);
  CHECK(m[0] == "<13>one");
  CHECK(m[2] == "<13>thr");
}

TEST_CASE("framing: oversized messages are dropped and counted, a bad length is an error") {
  imp::stream_framer nl(8);
  auto m = frames(nl, "<13>0123456789\n<13>ok\n");
  REQUIRE(m.size() == 1);
  CHECK(m[0] == "<13>ok");
  CHECK(nl.oversized() == 1);

  imp::stream_framer oc(8);
  auto n = frames(oc, "12 <13>123456785 <13>x");
  REQUIRE(n.size() == 1);
  CHECK(n[0] == "<13>x");
  CHECK(oc.oversized() == 1);

  imp::stream_framer bad;
  auto r = bad.feed("12x<13>", [](std::string_view) -> model::result<void> { return {}; });
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("malformed octet count") != std::string::npos);
  CHECK(r.err().message.find("stream offset 2") != std::string::npos);

  imp::stream_framer cut;
  frames(cut, "20 <13>short", true);
  CHECK(cut.truncated() == 1);
}

TEST_CASE("receiver: syslog_message per message, ssh_login for sshd, problems for garbage") {
  fixed_clock clock;
  model::registry reg;
  imp::collecting_sink sink;
  imp::receiver_options opt;
  opt.import.clock = &clock;
  opt.import.id_seed = 7;
  opt.import.from = {"site.example", "syslog-1"};
  auto rx = imp::syslog_receiver::create(reg, sink, opt);
  REQUIRE(rx.ok());
  imp::syslog_peer peer;
  peer.known = true;
  peer.orig_h = *model::address::parse("192.0.2.10");
  peer.orig_p = 40000;
  peer.resp_h = *model::address::parse("192.0.2.1");
  peer.resp_p = 514;
  peer.proto = model::transport::tcp;
  REQUIRE(rx->on_message("<86>1 2026-11-28T10:00:00Z bastion sshd 4242 - - Failed password for "
                         "invalid user admin from 203.0.113.5 port 51182 ssh2",
                         peer, "tcp 192.0.2.10:40000")
              .ok());
  REQUIRE(rx->on_message("not syslog", peer, "tcp 192.0.2.10:40000").ok());
  REQUIRE(rx->on_message("<14>Nov 28 10:00:01 web nginx: started", peer, "udp x").ok());

  REQUIRE(sink.events.size() == 3);
  const auto& m = sink.events[0];
  CHECK(m.type().name() == "syslog_message");
  CHECK(text_of(m, "facility") == "AUTHPRIV");
  CHECK(text_of(m, "severity") == "INFO");
  CHECK(text_of(m, "hostname") == "bastion");
  CHECK(text_of(m, "app_name") == "sshd");
  CHECK(text_of(m, "procid") == "4242");
  CHECK(m.get("orig_h")->get<model::address>() == peer.orig_h);
  CHECK(m.get("resp_p")->get<model::port>() == model::port{514, model::transport::tcp});
  CHECK(m.from.site == "site.example");
  CHECK(m.validate().ok());

  const auto& s = sink.events[1];
  CHECK(s.type().name() == "ssh_login");
  CHECK(s.ts == m.ts);
  CHECK(text_of(s, "user") == "admin");
  CHECK(s.get("orig_h")->get<model::address>() == *model::address::parse("203.0.113.5"));
  CHECK(s.get("auth_success")->get<bool>() == false);
  CHECK(text_of(s, "auth_method") == "password");
  CHECK(text_of(s, "hostname") == "bastion");
  CHECK(s.id != m.id);

  CHECK(text_of(sink.events[2], "message") == "started");
  REQUIRE(sink.problems.size() == 1);
  CHECK(sink.problems[0].to_string() == "tcp 192.0.2.10:40000: no PRI ('<' expected) at byte 0");
  CHECK(rx->stats().messages == 3);
  CHECK(rx->stats().malformed == 1);
  CHECK(rx->stats().ssh_logins == 1);
}

TEST_CASE("follower: appended lines, partial lines, rotation and truncation") {
  const auto dir = temp_dir("follow");
  const dir_guard guard{dir};
  const auto path = dir / "auth.log";
  imp::log_follower f(path);
  std::vector<std::string> lines;
  auto take = [&](std::string_view l) -> model::result<void> {
    lines.emplace_back(l);
    return {};
  };
  REQUIRE(f.poll(take).ok());  // the file does not exist yet: waits
  CHECK(lines.empty());
  {
    std::ofstream o(path);
    o << "one\r\ntwo\nthr";
  }
  REQUIRE(f.poll(take).ok());
  CHECK(lines == std::vector<std::string>{"one", "two"});
  {
    std::ofstream o(path, std::ios::app);
    o << "ee\n";
  }
  REQUIRE(f.poll(take).ok());
  CHECK(lines.back() == "three");
  // Rotation: rename and recreate; the old file's last words are read first.
  {
    std::ofstream o(path, std::ios::app);
    o << "last of old\n";
  }
  std::filesystem::rename(path, dir / "auth.log.1");
  {
    std::ofstream o(path);
    o << "first of new\n";
  }
  REQUIRE(f.poll(take).ok());
  CHECK(f.rotations() == 1);
  // One poll reads the old file to its end, then the new one from its start.
  REQUIRE(lines.size() == 5);
  CHECK(lines[3] == "last of old");
  CHECK(lines[4] == "first of new");
  // Truncation in place (copytruncate).
  { std::ofstream o(path, std::ios::trunc); }
  {
    std::ofstream o(path, std::ios::app);
    o << "x\n";
  }
  REQUIRE(f.poll(take).ok());
  CHECK(f.truncations() == 1);
  CHECK(lines.back() == "x");
}
