// Link layers, IP versions, fragments, tunnels and hostile input, on
// synthetic frames.
#include <doctest/doctest.h>

#include <random>

#include "frames.h"

using namespace coop::sensor;
using namespace coop::sensor::testing;
namespace catalogue = coop::model::catalogue;

TEST_CASE("802.1Q and Q-in-Q tags are skipped and reported as vlan and inner_vlan") {
  run r;
  r.add(1.0, ether(ipv4(host(1), host(2), 17, udp(1, 2, "a")), 0x0800, {100}));
  r.add(1.0, ether(ipv4(host(3), host(4), 17, udp(1, 2, "a")), 0x0800, {200, 300}));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 2);
  for (const auto& e : ev) {
    if (field(e, "orig_h") == "10.0.0.1") {
      CHECK(field(e, "vlan") == "100");
      CHECK(field(e, "inner_vlan") == "-");
    } else {
      CHECK(field(e, "vlan") == "200");
      CHECK(field(e, "inner_vlan") == "300");
    }
  }
}

TEST_CASE("raw IP captures (LINKTYPE_RAW) decode IPv4 and IPv6") {
  run r;
  r.link = link::raw;
  r.add(1.0, ipv4(host(1), host(2), 17, udp(7, 8, "abc")));
  r.add(1.0, ipv6(1, 2, 17, udp(7, 8, "abcd")));
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 2);
  CHECK((field(ev[0], "orig_h") == "2001::1" || field(ev[1], "orig_h") == "2001::1"));
}

TEST_CASE("IPv6 extension headers are walked and fragments reassembled") {
  std::string payload(100, 'x');
  bytes whole = udp(5353, 5353, payload);
  // hop-by-hop (8 bytes) then fragment headers carrying two halves
  auto frag = [&](unsigned offset, bool more, const bytes& part) {
    bytes b = {44, 0, 0, 0, 0, 0, 0, 0};        // hop-by-hop: next = fragment
    bytes f = {17, 0, 0, 0, 0, 0, 0x12, 0x34};  // fragment header, id 0x1234
    put16(f, 2, (offset & 0xfff8) | (more ? 1 : 0));
    b.insert(b.end(), f.begin(), f.end());
    b.insert(b.end(), part.begin(), part.end());
    return ipv6(1, 2, 0, b);
  };
  bytes first(whole.begin(), whole.begin() + 56), second(whole.begin() + 56, whole.end());
  run r;
  r.add(1.0, ether(frag(56, false, second), 0x86dd));
  r.add(1.1, ether(frag(0, true, first), 0x86dd));
  sensor_stats st;
  auto ev = of_type(r.go({}, &st), catalogue::connection_end);
  CHECK(st.fragments == 2);
  CHECK(st.reassembled == 1);
  REQUIRE(ev.size() == 1);
  CHECK(field(ev[0], "orig_pkts") == "1");
  CHECK(field(ev[0], "orig_ip_bytes") == std::to_string(40 + whole.size()));
}

TEST_CASE(
    "overlapping IPv4 fragments: consistent overlaps reassemble, conflicting ones are dropped") {
  bytes l4 = udp(1111, 2222, std::string(40, 'A'));  // 48 bytes
  auto frag = [&](unsigned id, unsigned off, bool more, const bytes& part) {
    return ether(ipv4(host(1), host(2), 17, part, id, (more ? 0x2000 : 0) | (off / 8)));
  };
  bytes a(l4.begin(), l4.begin() + 32), b(l4.begin() + 16, l4.end());
  bytes evil = b;
  evil[4] ^= 0xff;  // datagram byte 20: rewrites a byte already received
  run r;
  r.add(1.0, frag(1, 0, true, a));
  r.add(1.1, frag(1, 16, false, b));  // overlap agrees: accepted
  r.add(2.0, frag(2, 0, true, a));
  r.add(2.1, frag(2, 16, false, evil));  // overlap disagrees: refused
  sensor_stats st;
  auto ev = of_type(r.go({}, &st), catalogue::connection_end);
  CHECK(st.reassembled == 1);
  CHECK(st.fragment_drops == 1);
  REQUIRE(ev.size() == 1);
  CHECK(field(ev[0], "orig_bytes") == "-");  // one packet: zero duration
  CHECK(field(ev[0], "orig_ip_bytes") == "68");
}

TEST_CASE("fragments never hold more than the configured memory") {
  run r;
  for (unsigned i = 0; i < 200; ++i) {  // 200 datagrams, each missing its end
    r.add(1.0 + i * 0.001, ether(ipv4(host(1), host(2), 17, bytes(1024, 0), i, 0x2000)));
  }
  sensor_config cfg;
  cfg.max_fragment_bytes = 64 * 1024;
  sensor_stats st;
  r.go(cfg, &st);
  CHECK(st.fragments == 200);
  CHECK(st.reassembled == 0);
  CHECK(st.fragment_drops >= 130);  // at most ~64 KiB of 1 KiB fragments stay
}

TEST_CASE("GRE tunnels are decapsulated, inner connections name their tunnel") {
  run r;
  bytes inner = ipv4(host(5), host(6), 6, tcp(2222, 22, 1, 0, SYN));
  r.add(1.0, ether(ipv4(0xc0000201, 0xc0000202, 47, gre(inner))));
  sensor_stats st;
  auto ev = of_type(r.go({}, &st), catalogue::connection_end);
  CHECK(st.tunnelled == 1);
  REQUIRE(ev.size() == 1);
  CHECK(field(ev[0], "orig_h") == "10.0.0.5");
  CHECK(field(ev[0], "tunnel_parents") != "-");
}

TEST_CASE("truncated frames and lying length fields are counted, never read past their end") {
  bytes good = ether(ipv4(host(1), host(2), 6, tcp(1, 2, 3, 4, ACK, "payload")));
  run r;
  for (std::size_t n = 0; n < good.size(); ++n)
    r.add(1.0, bytes(good.begin(), good.begin() + static_cast<long>(n)));
  bytes liar = good;
  put16(liar, 14 + 2, 9000);  // IP total length far beyond the frame
  r.add(1.0, liar);
  bytes bad_hl = good;
  bad_hl[14] = 0x4f;  // IP header length 60 > what follows
  r.add(1.0, bad_hl);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    bytes g = good;
    for (int k = 0; k < 4; ++k) g[rng() % g.size()] = static_cast<std::uint8_t>(rng());
    g.resize(rng() % (g.size() + 1));
    r.add(1.0, g);
  }
  sensor_stats st;
  r.go({}, &st);
  CHECK(st.packets == good.size() + 2 + 2000);
  CHECK(st.malformed > good.size() / 2);
}

TEST_CASE("Linux cooked captures (SLL and SLL2) carry IP like Ethernet does") {
  bytes sll(16, 0);
  sll[14] = 0x08;  // protocol 0x0800
  bytes one = sll;
  bytes ip = ipv4(host(1), host(2), 17, udp(10, 20, "sll"));
  one.insert(one.end(), ip.begin(), ip.end());
  run r;
  r.link = link::linux_sll;
  r.add(1.0, one);
  auto ev = of_type(r.go(), catalogue::connection_end);
  REQUIRE(ev.size() == 1);
  CHECK(field(ev[0], "orig_p") == "10/udp");

  bytes sll2(20, 0);
  sll2[0] = 0x86;  // protocol 0x86dd
  sll2[1] = 0xdd;
  bytes ip6 = ipv6(1, 2, 17, udp(30, 40, "sll2"));
  sll2.insert(sll2.end(), ip6.begin(), ip6.end());
  run r2;
  r2.link = link::linux_sll2;
  r2.add(1.0, sll2);
  auto ev2 = of_type(r2.go(), catalogue::connection_end);
  REQUIRE(ev2.size() == 1);
  CHECK(field(ev2[0], "resp_h") == "2001::2");
}

TEST_CASE("unknown link types are counted, not guessed") {
  run r;
  r.link = 147;  // LINKTYPE_USER0
  r.add(1.0, ipv4(host(1), host(2), 17, udp(1, 2, "x")));
  sensor_stats st;
  CHECK(r.go({}, &st).empty());
  CHECK(st.unsupported_link == 1);
}
