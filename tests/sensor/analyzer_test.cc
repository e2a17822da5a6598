// Application analyzers on synthetic sessions: events and their fields.
#include <doctest/doctest.h>

#include "frames.h"

using namespace coop::sensor;
using namespace coop::sensor::testing;
namespace catalogue = coop::model::catalogue;

namespace {

// A TCP session on `port` carrying the client's and server's lines in turn.
run tcp_dialogue(unsigned port, const std::vector<std::pair<bool, std::string>>& msgs) {
  run r;
  auto c = host(1), s = host(2);
  std::uint32_t cs = 1000, ss = 5000;
  double t = 1.0;
  r.add(t, ether(ipv4(c, s, 6, tcp(50000, port, cs, 0, SYN))));
  r.add(t += 0.01, ether(ipv4(s, c, 6, tcp(port, 50000, ss, cs + 1, SYN | ACK))));
  ++cs;
  ++ss;
  for (const auto& [from_client, text] : msgs) {
    if (from_client) {
      r.add(t += 0.01, ether(ipv4(c, s, 6, tcp(50000, port, cs, ss, ACK | PSH, text))));
      cs += static_cast<std::uint32_t>(text.size());
    } else {
      r.add(t += 0.01, ether(ipv4(s, c, 6, tcp(port, 50000, ss, cs, ACK | PSH, text))));
      ss += static_cast<std::uint32_t>(text.size());
    }
  }
  r.add(t += 0.01, ether(ipv4(c, s, 6, tcp(50000, port, cs, ss, ACK | FIN))));
  r.add(t += 0.01, ether(ipv4(s, c, 6, tcp(port, 50000, ss, cs + 1, ACK | FIN))));
  return r;
}

}  // namespace

TEST_CASE("HTTP: pipelined requests are paired with their replies by trans_depth") {
  auto ev =
      tcp_dialogue(8080, {{true,
                           "GET /a%20b HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t/1\r\n\r\n"
                           "HEAD /c HTTP/1.1\r\nHost: example.org\r\n\r\n"},
                          {false,
                           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                           "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"}})
          .go();
  auto req = of_type(ev, catalogue::http_request);
  auto rep = of_type(ev, catalogue::http_reply);
  REQUIRE(req.size() == 2);
  REQUIRE(rep.size() == 2);
  CHECK(field(req[0], "method") == "GET");
  CHECK(field(req[0], "uri") == "/a b");
  CHECK(field(req[0], "host") == "example.org");
  CHECK(field(req[0], "user_agent") == "t/1");
  CHECK(field(req[1], "method") == "HEAD");
  CHECK(field(rep[0], "status_code") == "200");
  CHECK(field(rep[0], "response_body_len") == "5");
  CHECK(field(rep[1], "status_code") == "404");
  CHECK(field(rep[1], "response_body_len") == "0");  // reply to HEAD has no body
  CHECK(field(rep[1], "trans_depth") == "2");
}

TEST_CASE("FTP: file commands get the full path from the working directory") {
  auto ev = tcp_dialogue(2121, {{false, "220 FTP ready\r\n"},
                                {true, "USER anonymous\r\n"},
                                {false, "331 send password\r\n"},
                                {true, "PASS x@\r\n"},
                                {false, "230-Welcome\r\n230 ok\r\n"},
                                {true, "CWD pub/data/\r\n"},
                                {false, "250 ok\r\n"},
                                {true, "RETR f.gz\r\n"},
                                {false, "150 Opening\r\n226 Transfer complete\r\n"}})
                .go();
  auto ftp = of_type(ev, catalogue::ftp_command);
  REQUIRE(ftp.size() == 1);
  CHECK(field(ftp[0], "command") == "RETR");
  CHECK(field(ftp[0], "arg") == "ftp://10.0.0.2/./pub/data/f.gz");
  CHECK(field(ftp[0], "reply_code") == "226");
  CHECK(field(ftp[0], "user") == "anonymous");
}

TEST_CASE("DNS over UDP: query and reply with answers, names in lower case") {
  // query for Example.ORG A, id 0x1234, and a reply with one A record
  bytes q = {0x12, 0x34, 0x01, 0x00, 0,   1, 0,   0,   0,   0, 0, 0, 7, 'E', 'x',
             'a',  'm',  'p',  'l',  'e', 3, 'O', 'R', 'G', 0, 0, 1, 0, 1};
  bytes a = q;
  a[2] = 0x81;
  a[3] = 0x80;
  a[7] = 1;
  bytes rr = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 7};
  a.insert(a.end(), rr.begin(), rr.end());
  run r;
  r.add(1.0, ether(ipv4(host(1), host(2), 17, udp(40000, 53, std::string(q.begin(), q.end())))));
  r.add(1.1, ether(ipv4(host(2), host(1), 17, udp(53, 40000, std::string(a.begin(), a.end())))));
  auto ev = r.go();
  auto req = of_type(ev, catalogue::dns_request);
  auto rep = of_type(ev, catalogue::dns_reply);
  REQUIRE(req.size() == 1);
  REQUIRE(rep.size() == 1);
  CHECK(field(req[0], "query") == "example.org");
  CHECK(field(req[0], "qtype") == "1");
  CHECK(field(rep[0], "rcode") == "0");
  CHECK(field(rep[0], "answers") == "[\"192.0.2.7\"]");
  CHECK(field(rep[0], "trans_id") == "4660");
}

TEST_CASE("SSH: version strings of both sides, syslog over UDP: facility and severity") {
  auto ev =
      tcp_dialogue(2222, {{false, "SSH-2.0-OpenSSH_9.2\r\n"}, {true, "SSH-2.0-PuTTY\r\n"}}).go();
  auto ssh = of_type(ev, catalogue::ssh_login);
  REQUIRE(ssh.size() == 1);
  CHECK(field(ssh[0], "server") == "SSH-2.0-OpenSSH_9.2");
  CHECK(field(ssh[0], "client") == "SSH-2.0-PuTTY");
  CHECK(field(ssh[0], "auth_success") == "-");

  run r;
  r.add(1.0,
        ether(ipv4(host(1), host(2), 17, udp(5140, 514, "<34>Oct 11 22:14:15 host su: failed"))));
  auto sys = of_type(r.go(), catalogue::syslog_message);
  REQUIRE(sys.size() == 1);
  CHECK(field(sys[0], "facility") == "AUTH");
  CHECK(field(sys[0], "severity") == "CRIT");
  CHECK(field(sys[0], "message") == "Oct 11 22:14:15 host su: failed");
}

TEST_CASE("packet events stop at the per-connection cut-off") {
  auto r = tcp_dialogue(7777, {{true, std::string(1000, 'a')},
                               {false, std::string(1000, 'b')},
                               {true, std::string(1000, 'c')}});
  sensor_config cfg;
  cfg.packet_events = true;
  cfg.packet_cutoff = 1500;
  auto pk = of_type(r.go(cfg), catalogue::packet);
  // SYN, SYN-ACK, the first two data packets; then the cut-off is reached
  CHECK(pk.size() == 4);
  CHECK(field(pk[0], "link_type") == "1");
}

TEST_CASE("protocols are recognised by content on ports nobody registered") {
  auto http = tcp_dialogue(4444, {{true, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"},
                                  {false, "HTTP/1.1 204 No Content\r\n\r\n"}})
                  .go();
  CHECK(of_type(http, catalogue::http_reply).size() == 1);

  auto smtp =
      tcp_dialogue(2526, {{false, "220 mail.example.org ready\r\n"},
                          {true, "EHLO me\r\n"},
                          {false, "250 hi\r\n"},
                          {true, "MAIL FROM:<a@example.org>\r\n"},
                          {false, "250 ok\r\n"},
                          {true, "RCPT TO:<b@example.org>\r\n"},
                          {false, "250 ok\r\n"},
                          {true, "DATA\r\n"},
                          {false, "354 go\r\n"},
                          {true, "Subject: test\r\nFrom: a@example.org\r\n\r\nbody\r\n.\r\n"}})
          .go();
  auto m = of_type(smtp, catalogue::smtp_message);
  REQUIRE(m.size() == 1);
  CHECK(field(m[0], "subject") == "test");
  CHECK(field(m[0], "mailfrom") == "a@example.org");
  CHECK(field(m[0], "rcptto") == "{\"b@example.org\"}");

  // a POP3 login is not FTP even though it starts with USER
  auto pop = tcp_dialogue(
                 2110, {{false, "+OK POP3 ready\r\n"}, {true, "USER bob\r\n"}, {false, "+OK\r\n"}})
                 .go();
  CHECK(of_type(pop, catalogue::ftp_command).empty());
  auto conn = of_type(pop, catalogue::connection_end);
  REQUIRE(conn.size() == 1);
  CHECK(field(conn[0], "service") == "-");
}
