// Tests of the Community ID (libevent-model/src/value/community_id.cc)
// against the published values of the Community ID specification's
// examples, which every implementation (Zeek, Suricata, the Python and C
// libraries) reproduces.
#include <doctest/doctest.h>

#include <string>

#include "coop/model/community_id.h"

using namespace coop::model;

namespace {

std::string id_of(const char* a, std::uint16_t ap, const char* b, std::uint16_t bp,
                  std::uint8_t proto, std::uint16_t seed = 0) {
  std::string out;
  REQUIRE(community_id(address::parse(a).value(), ap, address::parse(b).value(), bp, proto, out,
                       seed));
  CHECK(out.size() == community_id_length);
  return out;
}

}  // namespace

TEST_CASE("community_id: the specification's examples, in both directions") {
  CHECK(id_of("128.232.110.120", 34855, "66.35.250.204", 80, 6) ==
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK(id_of("66.35.250.204", 80, "128.232.110.120", 34855, 6) ==
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK(id_of("192.168.1.52", 54585, "8.8.8.8", 53, 17) == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(id_of("8.8.8.8", 53, "192.168.1.52", 54585, 17) == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(id_of("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 6) ==
        "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  // SCTP, equal ports.
  CHECK(id_of("192.168.170.8", 7, "192.168.170.56", 7, 132) == "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
}

TEST_CASE("community_id: equal addresses order by port, and the seed is big-endian") {
  // Values of an independent implementation (Python's hashlib and base64,
  // following the specification).
  CHECK(id_of("10.0.0.1", 40000, "10.0.0.1", 443, 6) == "1:gIyhpNOMnzpVuu+jN7qkN5atzK8=");
  CHECK(id_of("10.0.0.1", 443, "10.0.0.1", 40000, 6) == "1:gIyhpNOMnzpVuu+jN7qkN5atzK8=");
  CHECK(id_of("10.0.0.1", 40000, "10.0.0.2", 443, 6, 1) == "1:Q7H1j4969kQjqAOVK58jFFqfvj4=");
}

TEST_CASE("community_id: the seed, the protocol and the ports change the id") {
  const std::string base = id_of("10.0.0.1", 40000, "10.0.0.2", 443, 6);
  CHECK(id_of("10.0.0.1", 40000, "10.0.0.2", 443, 6, 1) != base);
  CHECK(id_of("10.0.0.1", 40000, "10.0.0.2", 443, 17) != base);
  CHECK(id_of("10.0.0.1", 40001, "10.0.0.2", 443, 6) != base);
  CHECK(id_of("10.0.0.1", 443, "10.0.0.1", 40000, 6) == id_of("10.0.0.1", 40000, "10.0.0.1", 443, 6));
  CHECK(community_id_protocol(transport::tcp) == 6);
  CHECK(community_id_protocol(transport::udp) == 17);
  CHECK(community_id_protocol(transport::icmp) == 0);
}

TEST_CASE("community_id: addresses of two families, or protocol 0, have no id") {
  std::string out = "left over";
  CHECK_FALSE(community_id(address::parse("10.0.0.1").value(), 1, address::parse("::1").value(), 2,
                           6, out));
  CHECK(out.empty());
  out = "left over";
  CHECK_FALSE(community_id(address::parse("10.0.0.1").value(), 8, address::parse("10.0.0.2").value(),
                           0, community_id_protocol(transport::icmp), out));
  CHECK(out.empty());
}
