// Internal: the result of decoding one frame down to its IP datagram, with
// views into the frame (or into the reassembly buffer for fragments). Valid
// until the decoder's next call. Single-threaded like the sensor.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace coop::sensor::detail {

/// An IP address; IPv4 kept as IPv4-mapped IPv6 (::ffff:a.b.c.d).
struct ip_addr {
  std::array<std::uint8_t, 16> b{};

  static ip_addr from_v4(const std::uint8_t* p) noexcept {
    ip_addr a;
    a.b[10] = 0xff;
    a.b[11] = 0xff;
    std::memcpy(a.b.data() + 12, p, 4);
    return a;
  }
  static ip_addr from_v6(const std::uint8_t* p) noexcept {
    ip_addr a;
    std::memcpy(a.b.data(), p, 16);
    return a;
  }
  friend bool operator==(const ip_addr&, const ip_addr&) = default;
  friend auto operator<=>(const ip_addr&, const ip_addr&) = default;
};

/// One IP datagram found in a frame.
struct decoded {
  std::int64_t ts_ns = 0;
  ip_addr src;
  ip_addr dst;
  bool v6 = false;
  std::uint8_t proto = 0;            ///< Transport protocol number.
  std::uint32_t ip_len = 0;          ///< Datagram length on the wire (IPv6: payload + 40).
  const std::uint8_t* l4 = nullptr;  ///< Transport header and payload.
  std::uint32_t l4_len = 0;          ///< Transport bytes according to the IP header.
  std::uint32_t l4_caplen = 0;       ///< Of those, bytes actually captured (<= l4_len).
  std::uint16_t vlan = 0;            ///< Outer 802.1Q id, 0 if none.
  std::uint16_t inner_vlan = 0;      ///< Inner 802.1Q id (Q-in-Q), 0 if none.
  bool tunnelled = false;            ///< Came out of a GRE or IP-in-IP tunnel.
  ip_addr tunnel_src;                ///< Outer endpoints of the innermost tunnel.
  ip_addr tunnel_dst;
};

inline std::uint16_t rd16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t rd32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

}  // namespace coop::sensor::detail
