// Connection tracking with Zeek's conn.log semantics, on synthetic frames.
#include <doctest/doctest.h>

#include "frames.h"

using namespace coop::sensor;
using namespace coop::sensor::testing;
namespace catalogue = coop::model::catalogue;

namespace {

// A full TCP session: handshake, request, retransmitted request, reply, FINs.
run tcp_session() {
  run r;
  auto c = host(1), s = host(2);
  r.add(1.0, ether(ipv4(c, s, 6, tcp(40000, 80, 100, 0, SYN))));
  r.add(1.1, ether(ipv4(s, c, 6, tcp(80, 40000, 500, 101, SYN | ACK))));
  r.add(1.2, ether(ipv4(c, s, 6, tcp(40000, 80, 101, 501, ACK))));
  r.add(1.3, ether(ipv4(c, s, 6, tcp(40000, 80, 101, 501, ACK | PSH, "GET / HTTP/1.1\r\n\r\n"))));
  r.add(1.35, ether(ipv4(c, s, 6, tcp(40000, 80, 101, 501, ACK | PSH, "GET / HTTP/1.1\r\n\r\n"))));
  r.add(1.4, ether(ipv4(s, c, 6,
                        tcp(80, 40000, 501, 119, ACK | PSH,
                            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))));
  r.add(1.5, ether(ipv4(c, s, 6, tcp(40000, 80, 119, 541, ACK | FIN))));
  r.add(1.6, ether(ipv4(s, c, 6, tcp(80, 40000, 541, 120, ACK | FIN))));
  r.add(1.7, ether(ipv4(c, s, 6, tcp(40000, 80, 120, 542, ACK))));
  return r;
}

}  // namespace

TEST_CASE("a complete TCP session is SF with Zeek's history and sequence-space sizes") {
  auto ev = of_type(tcp_session().go(), catalogue::connection_end);
  REQUIRE(ev.size() == 1);
  const auto& e = ev[0];
  CHECK(field(e, "orig_h") == "10.0.0.1");
  CHECK(field(e, "orig_p") == "40000/tcp");
  CHECK(field(e, "resp_p") == "80/tcp");
  CHECK(field(e, "conn_state") == "SF");
  CHECK(field(e, "history") == "ShADTdFf");
  CHECK(field(e, "orig_bytes") == "18");  // the retransmission is not counted twice
  CHECK(field(e, "resp_bytes") ==
        std::to_string(std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi").size()));
  CHECK(field(e, "orig_pkts") == "6");
  CHECK(field(e, "resp_pkts") == "3");
  CHECK(field(e, "orig_ip_bytes") == std::to_string(6 * 40 + 2 * 18));
  CHECK(field(e, "duration") == "0.6");  // the last ACK after both FINs does not count
  CHECK(field(e, "service") == "http");
  CHECK(e.ts.ns == 1'000'000'000);
  CHECK(e.validate().ok());
}

TEST_CASE("a SYN answered by a RST is REJ, an unanswered SYN is S0") {
  run r;
  r.add(1.0, ether(ipv4(host(1), host(2), 6, tcp(1234, 23, 7, 0, SYN))));
  r.add(1.1, ether(ipv4(host(2), host(1), 6, tcp(23, 1234, 0, 8, RST | ACK))));
  r.add(2.0, ether(ipv4(host(1), host(3), 6, tcp(1235, 23, 9, 0, SYN))));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 2);
  for (const auto& e : ev) {
    if (field(e, "resp_h") == "10.0.0.2") {
      CHECK(field(e, "conn_state") == "REJ");
      CHECK(field(e, "history") == "Sr");
    } else {
      CHECK(field(e, "conn_state") == "S0");
      CHECK(field(e, "history") == "S");
      CHECK(field(e, "duration") == "-");  // Zeek leaves a zero duration unset
    }
  }
}

TEST_CASE("an unanswered connection attempt ends 5 s after its SYN (Zeek's attempt timer)") {
  run r;
  r.add(1.0, ether(ipv4(host(1), host(2), 6, tcp(5000, 22, 100, 0, SYN))));
  r.add(2.0, ether(ipv4(host(1), host(2), 6, tcp(5000, 22, 101, 1, ACK, "abc"))));
  r.add(7.0, ether(ipv4(host(1), host(2), 6, tcp(5000, 22, 104, 1, ACK, "def"))));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 2);
  CHECK(field(ev[0], "conn_state") == "S0");
  CHECK(field(ev[0], "history") == "SD");  // data with ACK is D, not A
  CHECK(field(ev[1], "history") == "D");
  CHECK(field(ev[1], "conn_state") == "OTH");
}

TEST_CASE("a SYN-ACK seen first from a server port is turned around ('^')") {
  run r;
  r.add(1.0, ether(ipv4(host(2), host(1), 6, tcp(80, 40001, 500, 101, SYN | ACK))));
  r.add(1.1, ether(ipv4(host(1), host(2), 6, tcp(40001, 80, 101, 501, ACK))));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 1);
  CHECK(field(ev[0], "orig_h") == "10.0.0.1");
  CHECK(field(ev[0], "history") == "^hA");
}

TEST_CASE("UDP flows: request and reply SF 'Dd', one-way S0 'D', split by the 1 min timeout") {
  run r;
  r.add(1.0, ether(ipv4(host(1), host(2), 17, udp(3333, 9999, "ping"))));
  r.add(1.5, ether(ipv4(host(2), host(1), 17, udp(9999, 3333, "pong!"))));
  r.add(2.0, ether(ipv4(host(1), host(3), 17, udp(4444, 9999, "x"))));
  r.add(100.0, ether(ipv4(host(1), host(3), 17, udp(4444, 9999, "y"))));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 3);
  int sf = 0, s0 = 0;
  for (const auto& e : ev) {
    if (field(e, "conn_state") == "SF") {
      ++sf;
      CHECK(field(e, "history") == "Dd");
      CHECK(field(e, "orig_bytes") == "4");
      CHECK(field(e, "resp_bytes") == "5");
      CHECK(field(e, "duration") == "0.5");
    } else {
      ++s0;
      CHECK(field(e, "conn_state") == "S0");
      CHECK(field(e, "orig_pkts") == "1");
    }
  }
  CHECK(sf == 1);
  CHECK(s0 == 2);
}

TEST_CASE("ICMP echo request and reply share one connection, type and counterpart as ports") {
  run r;
  r.add(1.0, ether(ipv4(host(1), host(2), 1, icmp(8, 0, std::string(56, 'a')))));
  r.add(1.1, ether(ipv4(host(2), host(1), 1, icmp(0, 0, std::string(56, 'a')))));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 1);
  CHECK(field(ev[0], "orig_p") == "8/icmp");
  CHECK(field(ev[0], "resp_p") == "0/icmp");
  CHECK(field(ev[0], "orig_bytes") == "56");
  CHECK(field(ev[0], "conn_state") == "OTH");
}

TEST_CASE(
    "the connection table never exceeds its limit, evictions are counted and still reported") {
  run r;
  for (unsigned i = 0; i < 500; ++i) {
    r.add(1.0 + i * 0.001, ether(ipv4(host(1), host(2), 17, udp(1000 + i, 53, "q"))));
  }
  sensor_config cfg;
  cfg.max_connections = 50;
  sensor_stats st;
  auto ev = r.go(cfg, &st);
  CHECK(st.connections == 500);
  CHECK(st.evictions == 450);
  CHECK(of_type(ev, catalogue::connection_end).size() == 500);
}
