// Internal: frame decoder. Link layers (Ethernet with 802.1Q/802.1ad tags,
// MPLS, PPPoE, Linux SLL/SLL2, BSD loopback, raw IP), IPv4 and IPv6 with
// extension headers, fragment reassembly, and GRE / IP-in-IP tunnels (up to
// two levels, as Zeek's Tunnel::max_depth). Single-threaded.
#pragma once

#include <cstdint>

#include "coop/sensor/packet.h"
#include "coop/sensor/sensor.h"
#include "decode/decoded.h"
#include "decode/fragments.h"

namespace coop::sensor::detail {

/// Outcome of decoding one frame.
enum class decode_result : std::uint8_t { ip, not_ip, malformed, unsupported_link, pending };

/// Turns frames into IP datagrams.
class decoder {
 public:
  decoder(const sensor_config& cfg, sensor_stats& stats) noexcept
      : frags_(cfg.max_fragment_bytes, cfg.max_fragment_datagrams), stats_(stats) {}

  /// Decodes `p`. On `ip`, `out` describes the (innermost) datagram.
  /// `pending` means a fragment was stored without completing a datagram.
  decode_result decode(const packet_view& p, decoded& out);

 private:
  decode_result link_layer(std::uint32_t type, const std::uint8_t* d, std::uint32_t n, decoded& out,
                           int depth);
  decode_result ethernet(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth);
  decode_result by_ethertype(std::uint16_t type, const std::uint8_t* d, std::uint32_t n,
                             decoded& out, int depth);
  decode_result ip(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth);
  decode_result ipv4(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth);
  decode_result ipv6(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth);
  decode_result transport(decoded& out, int depth);
  decode_result gre(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth);

  reassembler frags_;
  sensor_stats& stats_;
};

}  // namespace coop::sensor::detail
