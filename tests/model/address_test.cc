// Tests of libevent-model/src/value/address.cc.
#include <doctest/doctest.h>

#include <unordered_set>

#include "coop/model/address.h"
#include "coop/model/value.h"

using namespace coop::model;

TEST_CASE("IPv4 and IPv6 addresses parse and print in canonical form") {
  CHECK(address::parse("10.0.0.1")->to_string() == "10.0.0.1");
  CHECK(address::parse("10.0.0.1")->is_v4());
  CHECK(address::parse("10.0.0.1")->v4_host_order() == 0x0a000001u);
  CHECK(address::parse("2001:0db8:0000:0000:0000:0000:0000:0001")->to_string() == "2001:db8::1");
  CHECK_FALSE(address::parse("2001:db8::1")->is_v4());
  // An IPv4-mapped IPv6 address is the IPv4 address.
  CHECK(*address::parse("::ffff:192.168.1.1") == *address::parse("192.168.1.1"));
  CHECK(address::v4(0xc0a80101u) == *address::parse("192.168.1.1"));
}

TEST_CASE("bad addresses are refused with the text in the message") {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "1::2::3", "fe80::1%eth0", "hello",
                          "10.0.0.1 ", "2001:db8:::1"}) {
    auto a = address::parse(bad);
    REQUIRE_FALSE(a.ok());
    CHECK(a.err().code == errc::invalid_argument);
    CHECK(a.err().message.find(std::string("'") + bad + "'") != std::string::npos);
  }
}

TEST_CASE("addresses order IPv4 together and after low IPv6") {
  auto v6low = *address::parse("::1");
  auto a = *address::parse("1.2.3.4");
  auto b = *address::parse("1.2.3.5");
  auto v6high = *address::parse("2001:db8::1");
  CHECK(v6low < a);
  CHECK(a < b);
  CHECK(b < v6high);
}

TEST_CASE("subnets mask host bits and test membership in their own family") {
  auto s = *subnet::parse("10.1.2.3/8");
  CHECK(s.to_string() == "10.0.0.0/8");
  CHECK(s.length() == 8);
  CHECK(s.contains(*address::parse("10.255.0.1")));
  CHECK_FALSE(s.contains(*address::parse("11.0.0.1")));
  CHECK_FALSE(s.contains(*address::parse("2001:db8::1")));
  auto s6 = *subnet::parse("2001:db8::/32");
  CHECK(s6.contains(*address::parse("2001:db8:ffff::1")));
  CHECK_FALSE(s6.contains(*address::parse("2001:db9::1")));
  CHECK(subnet::parse("0.0.0.0/0")->contains(*address::parse("8.8.8.8")));
  CHECK(subnet::parse("10.0.0.1/32")->contains(*address::parse("10.0.0.1")));
  CHECK(subnet::parse("10.0.0.0/25")->contains(*address::parse("10.0.0.127")));
  CHECK_FALSE(subnet::parse("10.0.0.0/25")->contains(*address::parse("10.0.0.128")));
}

TEST_CASE("bad subnets name the problem") {
  CHECK(subnet::parse("10.0.0.0/33").err().message.find("too long") != std::string::npos);
  CHECK(subnet::parse("10.0.0.0").err().message.find("missing '/'") != std::string::npos);
  CHECK(subnet::parse("10.0.0.0/x").err().message.find("prefix length") != std::string::npos);
  CHECK_FALSE(subnet::parse("2001:db8::/129").ok());
  // An IPv4 network written IPv4-mapped counts its length over 128 bits.
  CHECK(*subnet::parse("::ffff:10.0.0.0/104") == *subnet::parse("10.0.0.0/8"));
  CHECK_FALSE(subnet::parse("::ffff:10.0.0.0/64").ok());
}

TEST_CASE("ports carry their transport") {
  CHECK(port::parse("80/tcp")->to_string() == "80/tcp");
  CHECK(port::parse("53/udp")->proto == transport::udp);
  CHECK(port::parse("8/icmp")->number == 8);
  CHECK(port::parse("443")->proto == transport::unknown);
  CHECK(*port::parse("80/tcp") != *port::parse("80/udp"));
  CHECK_FALSE(port::parse("65536/tcp").ok());
  CHECK_FALSE(port::parse("-1/tcp").ok());
  CHECK(port::parse("80/sctp").err().message.find("transport") != std::string::npos);
}

TEST_CASE("hashes of equal network values agree and distinct ones usually differ") {
  std::unordered_set<value> seen;
  for (std::uint32_t i = 0; i < 1000; ++i) seen.insert(value{address::v4(i)});
  CHECK(seen.size() == 1000);
  CHECK(seen.count(value{*address::parse("0.0.3.231")}) == 1);
}
