// Tests of src/transform/anonymizer.cc: Crypto-PAn known answers, prefix
// preservation, determinism, key sensitivity and the only/keep options.
#include "coop/model/anonymize.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

using namespace coop::model;
using namespace coop::model::testing;

namespace {

// The sample key of the Crypto-PAn reference distribution (Xu, Fan, Ammar,
// Moon), used with its sample trace.
constexpr std::array<std::uint8_t, 32> reference_key{
    21,  34,  23,  141, 51,  164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
    216, 152, 143, 131, 121, 121, 101, 39,  98, 87, 76, 45, 42, 132, 34,  2};

anonymizer make(std::span<const std::uint8_t> key = reference_key, anonymizer_options o = {}) {
  auto a = anonymizer::make(key, std::move(o));
  REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.err().message));
  return std::move(a).value();
}

// Number of leading bits two addresses share, within their family's width.
unsigned common_prefix(const address& a, const address& b) {
  const unsigned skip = a.is_v4() ? 96 : 0;
  for (unsigned i = skip; i < 128; ++i) {
    const unsigned byte = i / 8;
    const unsigned bit = 7 - i % 8;
    if (((a.bytes()[byte] >> bit) & 1) != ((b.bytes()[byte] >> bit) & 1)) return i - skip;
  }
  return 128 - skip;
}

// An address sharing exactly k leading bits with `a` (k < width).
address partner(const address& a, unsigned k, std::mt19937_64& rng) {
  auto bytes = a.bytes();
  const unsigned skip = a.is_v4() ? 96 : 0;
  const unsigned width = 128 - skip;
  for (unsigned i = k; i < width; ++i) {
    const unsigned pos = skip + i;
    const auto mask = static_cast<std::uint8_t>(1u << (7 - pos % 8));
    const bool flip = i == k || (rng() & 1) != 0;
    if (flip) bytes[pos / 8] ^= mask;
  }
  return address::v6(bytes);
}

address random_v6(std::mt19937_64& rng) {
  std::array<std::uint8_t, 16> b{};
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[10] = 0;  // keep it out of ::ffff:0:0/96
  return address::v6(b);
}

}  // namespace

TEST_CASE("anonymizer reproduces the Crypto-PAn reference sample trace (IPv4)") {
  // Address pairs from the sample trace shipped with the reference
  // implementation (raw and sanitised), for the sample key above.
  const std::vector<std::pair<const char*, const char*>> vectors{
      {"128.11.68.132", "135.242.180.132"},   {"129.118.74.4", "134.136.186.123"},
      {"130.132.252.244", "133.68.164.234"},  {"141.223.7.43", "141.167.8.160"},
      {"141.233.145.108", "141.129.237.235"}, {"152.163.225.39", "151.140.114.167"},
      {"156.29.3.236", "147.225.12.42"},      {"165.247.96.84", "162.9.99.234"},
      {"166.107.77.190", "160.132.178.185"},  {"192.102.249.13", "252.138.62.131"},
      {"192.215.32.125", "252.43.47.189"},    {"192.233.80.103", "252.25.108.8"},
      {"192.41.57.43", "252.222.221.184"},    {"193.150.244.223", "253.169.52.216"},
      {"195.205.63.100", "255.186.223.5"},    {"198.200.171.101", "249.199.68.213"},
      {"198.26.132.101", "249.36.123.202"},   {"198.36.213.5", "249.7.21.132"},
      {"198.51.77.238", "249.18.186.254"},    {"199.217.79.101", "248.38.184.213"},
      {"202.49.198.20", "245.206.7.234"},     {"203.12.160.252", "244.248.163.4"},
      {"204.184.162.189", "243.192.77.90"},   {"204.202.136.230", "243.178.4.198"},
      {"204.29.20.4", "243.33.20.123"},       {"205.178.38.67", "242.108.198.51"},
      {"205.188.147.153", "242.96.16.101"},   {"205.188.248.25", "242.96.88.27"},
      {"205.245.121.43", "242.21.121.163"},   {"207.105.49.5", "241.118.205.138"},
      {"207.135.65.238", "241.202.129.222"},  {"207.155.9.214", "241.220.250.22"},
      {"207.188.7.45", "241.255.249.220"},    {"207.25.71.27", "241.33.119.156"},
      {"207.33.151.131", "241.1.233.131"},    {"208.147.89.59", "227.237.98.191"},
      {"208.234.120.210", "227.154.67.17"},   {"208.28.185.184", "227.39.94.90"},
      {"208.52.56.122", "227.8.63.165"},      {"209.12.231.7", "226.243.167.8"},
      {"209.238.72.3", "226.6.119.243"},      {"209.246.74.109", "226.22.124.76"},
      {"209.68.60.238", "226.184.220.233"},   {"209.85.249.6", "226.170.70.6"},
      {"212.120.124.31", "228.135.163.231"},  {"212.146.8.236", "228.19.4.234"},
      {"212.186.227.154", "228.59.98.98"},    {"212.204.172.118", "228.71.195.169"},
      {"212.206.130.201", "228.69.242.193"},  {"216.148.237.145", "235.84.194.111"},
      {"216.157.30.252", "235.89.31.26"},     {"216.184.159.48", "235.96.225.78"},
      {"216.227.10.221", "235.28.253.36"},    {"216.254.18.172", "235.7.16.162"},
      {"216.32.132.250", "235.192.139.38"},   {"216.35.217.178", "235.195.157.81"},
      {"24.0.250.221", "100.15.198.226"},     {"24.13.62.231", "100.2.192.247"},
      {"24.14.213.138", "100.1.42.141"},      {"24.5.0.80", "100.9.15.210"},
      {"24.7.198.88", "100.10.6.25"},         {"24.94.26.44", "100.88.228.35"},
      {"38.15.67.68", "64.3.66.187"},         {"4.3.88.225", "124.60.155.63"},
      {"63.14.55.111", "95.9.215.7"},         {"63.195.241.44", "95.179.238.44"},
      {"63.97.7.140", "95.97.9.123"},         {"64.14.118.196", "0.255.183.58"},
      {"64.34.154.117", "0.221.154.117"},     {"64.39.15.238", "0.219.7.41"},
      {"10.185.25.118", "117.161.29.118"},
  };
  // Without and with the cache (a second pass answers from the cache).
  for (std::size_t cache : {std::size_t{0}, std::size_t{64}}) {
    anonymizer a = make(reference_key, {.only = {}, .keep = {}, .cache_entries = cache});
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& vec : vectors) {
        // No structured binding: clang 14 cannot capture one in CHECK_MESSAGE.
        const auto& in = vec.first;
        const auto& out = vec.second;
        const address got = a.anonymize(addr(in));
        CHECK_MESSAGE(got.to_string() == out, in << " -> " << got.to_string());
        CHECK(got.is_v4());
      }
    }
  }
}

TEST_CASE("anonymizer matches the IPv6 answers of an independent implementation") {
  // The published test vectors of Yawning Angel's Go Crypto-PAn, which
  // extends the scheme to 128 bits the same way, with the sample key.
  const std::vector<std::pair<const char*, const char*>> vectors{
      {"::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"},
      {"::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef"},
      {"::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838"},
      {"2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e"},
      {"2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c"},
  };
  anonymizer a = make();
  for (const auto& vec : vectors) {
    const auto& in = vec.first;
    const auto& out = vec.second;
    const address got = a.anonymize(addr(in));
    CHECK_MESSAGE(got == addr(out), in << " -> " << got.to_string());
    CHECK_FALSE(got.is_v4());
  }
}

TEST_CASE("anonymizer preserves prefixes exactly, IPv4 and IPv6, 1000 random pairs each") {
  anonymizer a = make();
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 1000; ++i) {
    const address x = address::v4(static_cast<std::uint32_t>(rng()));
    const auto k = static_cast<unsigned>(rng() % 32);
    const address y = partner(x, k, rng);
    REQUIRE(common_prefix(x, y) == k);
    const address ax = a.anonymize(x);
    const address ay = a.anonymize(y);
    REQUIRE(ax.is_v4());
    CHECK_MESSAGE(common_prefix(ax, ay) == k, x.to_string() << " / " << y.to_string());
  }
  for (int i = 0; i < 1000; ++i) {
    const address x = random_v6(rng);
    const auto k = static_cast<unsigned>(rng() % 128);
    const address y = partner(x, k, rng);
    REQUIRE(common_prefix(x, y) == k);
    CHECK_MESSAGE(common_prefix(a.anonymize(x), a.anonymize(y)) == k,
                  x.to_string() << " / " << y.to_string());
  }
}

TEST_CASE("anonymizer is one-to-one over a whole /20") {
  anonymizer a = make();
  std::set<address> images;
  const std::uint32_t base = 0xc0a80000;  // 192.168.0.0
  for (std::uint32_t i = 0; i < 4096; ++i) images.insert(a.anonymize(address::v4(base + i)));
  CHECK(images.size() == 4096);
  // All images share the anonymised /20 prefix.
  const address first = *images.begin();
  for (const auto& x : images) CHECK(common_prefix(first, x) >= 20);
}

TEST_CASE("anonymizer is deterministic for a key and differs across keys") {
  std::mt19937_64 rng(7);
  std::vector<address> sample;
  for (int i = 0; i < 100; ++i) sample.push_back(address::v4(static_cast<std::uint32_t>(rng())));
  for (int i = 0; i < 100; ++i) sample.push_back(random_v6(rng));

  anonymizer a = make();
  anonymizer b = make(reference_key, {.only = {}, .keep = {}, .cache_entries = 0});
  for (const auto& x : sample) CHECK(a.anonymize(x) == b.anonymize(x));

  // One bit flipped in the AES half, then in the pad half, of the key.
  for (std::size_t byte : {std::size_t{3}, std::size_t{20}}) {
    auto other_key = reference_key;
    other_key[byte] ^= 0x01;
    anonymizer c = make(other_key);
    int same = 0;
    for (const auto& x : sample) same += a.anonymize(x) == c.anonymize(x) ? 1 : 0;
    CHECK_MESSAGE(same < 5, "key byte " << byte << ": " << same << " of 200 unchanged");
  }
}

TEST_CASE("anonymizer keeps IPv4-mapped addresses IPv4") {
  anonymizer a = make();
  const address mapped = addr("::ffff:128.11.68.132");
  REQUIRE(mapped.is_v4());
  const address got = a.anonymize(mapped);
  CHECK(got.is_v4());
  CHECK(got.to_string() == "135.242.180.132");
}

TEST_CASE("anonymizer maps subnets by their network address and keeps the length") {
  anonymizer a = make();
  const subnet s = net("128.11.0.0/16");
  const subnet as = a.anonymize(s);
  CHECK(as.length() == 16);
  CHECK(as.to_string() == "135.242.0.0/16");  // 128.11.68.132 -> 135.242.180.132
  CHECK(as.contains(a.anonymize(addr("128.11.68.132"))));
  CHECK(as.contains(a.anonymize(addr("128.11.255.1"))));

  const subnet v6 = net("2001:db8::/32");
  const subnet av6 = a.anonymize(v6);
  CHECK(av6.length() == 32);
  CHECK(av6.network() == av6.network().masked(32));
  CHECK(av6.contains(a.anonymize(addr("2001:db8::1"))));
  CHECK(av6 != v6);
}

TEST_CASE("anonymizer only-internal mode and keep-list") {
  anonymizer_options o;
  o.only = {net("10.0.0.0/8"), net("2001:db8::/32")};
  o.keep = {net("10.1.0.0/16")};
  anonymizer a = make(reference_key, o);
  anonymizer all = make();

  CHECK(a.selects(addr("10.2.3.4")));
  CHECK(a.anonymize(addr("10.2.3.4")) == all.anonymize(addr("10.2.3.4")));
  CHECK(a.anonymize(addr("10.2.3.4")) != addr("10.2.3.4"));
  CHECK(a.anonymize(addr("2001:db8::7")) == all.anonymize(addr("2001:db8::7")));

  // Kept although inside an `only` network.
  CHECK_FALSE(a.selects(addr("10.1.2.3")));
  CHECK(a.anonymize(addr("10.1.2.3")) == addr("10.1.2.3"));
  // Outside every `only` network.
  CHECK(a.anonymize(addr("8.8.8.8")) == addr("8.8.8.8"));
  CHECK(a.anonymize(addr("2001:db9::1")) == addr("2001:db9::1"));
  CHECK(a.anonymize(net("192.168.0.0/16")) == net("192.168.0.0/16"));
  CHECK(a.anonymize(net("10.2.0.0/16")) == all.anonymize(net("10.2.0.0/16")));
  // scramble() ignores the options.
  CHECK(a.scramble(addr("8.8.8.8")) == all.anonymize(addr("8.8.8.8")));

  anonymizer_options keep_only;
  keep_only.keep = {net("192.0.2.0/24")};
  anonymizer k = make(reference_key, keep_only);
  CHECK(k.anonymize(addr("192.0.2.9")) == addr("192.0.2.9"));
  CHECK(k.anonymize(addr("192.0.3.9")) != addr("192.0.3.9"));
}

TEST_CASE("anonymizer rejects bad keys and options") {
  const std::array<std::uint8_t, 31> short_key{};
  auto r = anonymizer::make(short_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(r.err().message.find("expected 32 bytes, got 31") != std::string::npos);

  anonymizer_options o;
  o.cache_entries = anonymizer::max_cache_entries + 1;
  auto big = anonymizer::make(reference_key, o);
  REQUIRE_FALSE(big.ok());
  CHECK(big.err().message.find("cache_entries") != std::string::npos);
}

TEST_CASE("anonymizer cache answers repeats and a moved anonymizer keeps working") {
  anonymizer a = make();
  const address x = addr("198.51.77.238");
  CHECK(a.anonymize(x).to_string() == "249.18.186.254");
  CHECK(a.cache_misses() == 1);
  CHECK(a.anonymize(x).to_string() == "249.18.186.254");
  CHECK(a.cache_hits() == 1);

  anonymizer b = std::move(a);
  CHECK(b.anonymize(x).to_string() == "249.18.186.254");
  CHECK(b.cache_hits() == 2);
}
