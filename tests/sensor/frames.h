// Test helper: builds link-layer frames (Ethernet, VLAN tags, IPv4/IPv6,
// TCP/UDP/ICMP, GRE) byte by byte, and runs a sensor over them collecting
// the events. Shared by the sensor tests and the fuzz targets' seed
// generator; everything here is synthesised, no captured bytes.
#pragma once

#include <coop/model/catalogue.h>
#include <coop/model/event.h>
#include <coop/sensor/sensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace coop::sensor::testing {

using bytes = std::vector<std::uint8_t>;

inline void put16(bytes& b, std::size_t at, unsigned v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(bytes& b, std::size_t at, std::uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v & 0xffff);
}

/// TCP flag bits.
enum : std::uint8_t { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

/// A TCP header with `payload`.
inline bytes tcp(unsigned sport, unsigned dport, std::uint32_t seq, std::uint32_t ack,
                 std::uint8_t flags, const std::string& payload = "", unsigned window = 65535) {
  bytes b(20, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, seq);
  put32(b, 8, ack);
  b[12] = 5 << 4;
  b[13] = flags;
  put16(b, 14, window);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// A UDP header with `payload`.
inline bytes udp(unsigned sport, unsigned dport, const std::string& payload) {
  bytes b(8, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<unsigned>(8 + payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// An ICMP header (type, code) with `payload`.
inline bytes icmp(unsigned type, unsigned code, const std::string& payload) {
  bytes b(8, 0);
  b[0] = static_cast<std::uint8_t>(type);
  b[1] = static_cast<std::uint8_t>(code);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// An IPv4 datagram from a.b.c.d-style 32-bit addresses.
inline bytes ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t proto, const bytes& l4,
                  unsigned id = 1, unsigned frag_word = 0) {
  bytes b(20, 0);
  b[0] = 0x45;
  put16(b, 2, static_cast<unsigned>(20 + l4.size()));
  put16(b, 4, id);
  put16(b, 6, frag_word);
  b[8] = 64;
  b[9] = proto;
  put32(b, 12, src);
  put32(b, 16, dst);
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

/// An IPv6 datagram; `ext` is inserted as extension headers (its first
/// byte chain must be right) and `first_next` names the first header.
inline bytes ipv6(std::uint8_t last_byte_src, std::uint8_t last_byte_dst, std::uint8_t first_next,
                  const bytes& ext_and_l4) {
  bytes b(40, 0);
  b[0] = 0x60;
  put16(b, 4, static_cast<unsigned>(ext_and_l4.size()));
  b[6] = first_next;
  b[7] = 64;
  b[8] = 0x20;
  b[9] = 0x01;
  b[23] = last_byte_src;
  b[24] = 0x20;
  b[25] = 0x01;
  b[39] = last_byte_dst;
  b.insert(b.end(), ext_and_l4.begin(), ext_and_l4.end());
  return b;
}

/// An Ethernet frame around `payload` of `ethertype`, with optional VLAN
/// tags (outer first).
inline bytes ether(const bytes& payload, unsigned ethertype = 0x0800,
                   std::vector<unsigned> vlans = {}) {
  bytes b(12, 0);
  b[5] = 1;
  b[11] = 2;
  for (std::size_t i = 0; i < vlans.size(); ++i) {
    b.push_back(i == 0 && vlans.size() > 1 ? 0x88 : 0x81);
    b.push_back(i == 0 && vlans.size() > 1 ? 0xa8 : 0x00);
    b.push_back(static_cast<std::uint8_t>(vlans[i] >> 8));
    b.push_back(static_cast<std::uint8_t>(vlans[i]));
  }
  b.push_back(static_cast<std::uint8_t>(ethertype >> 8));
  b.push_back(static_cast<std::uint8_t>(ethertype));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// A GRE (version 0) header around an IPv4 datagram.
inline bytes gre(const bytes& inner) {
  bytes b = {0x00, 0x00, 0x08, 0x00};
  b.insert(b.end(), inner.begin(), inner.end());
  return b;
}

/// 10.0.0.x
constexpr std::uint32_t host(unsigned x) { return (10u << 24) | x; }

/// Frames with timestamps, fed to a sensor; collects events.
struct run {
  std::vector<std::pair<std::int64_t, bytes>> frames;
  std::uint32_t link = 1;

  void add(double t, bytes f) {
    frames.emplace_back(static_cast<std::int64_t>(t * 1e9), std::move(f));
  }

  std::vector<model::event> go(sensor_config cfg = {}, sensor_stats* stats = nullptr) const {
    model::registry reg;
    (void)model::add_catalogue(reg);
    std::vector<packet_view> views;
    for (const auto& [ts, f] : frames) {
      views.push_back({ts, link, static_cast<std::uint32_t>(f.size()), {f.data(), f.size()}});
    }
    std::vector<model::event> out;
    cfg.id_seed = 42;
    auto r = run_packets(views, reg, cfg, [&](const model::event& e) { out.push_back(e); });
    if (r && stats != nullptr) *stats = r.value();
    return out;
  }
};

/// The events of one type.
inline std::vector<model::event> of_type(const std::vector<model::event>& es,
                                         std::string_view type) {
  std::vector<model::event> out;
  for (const auto& e : es)
    if (e.type().name() == type) out.push_back(e);
  return out;
}

/// A field rendered in Zeek notation ("-" when unset or absent).
inline std::string field(const model::event& e, std::string_view name) {
  const auto* v = e.get(name);
  return v == nullptr ? "-" : v->to_string();
}

}  // namespace coop::sensor::testing
