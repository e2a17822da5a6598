// Raw captured packets as the sensor consumes them: a timestamp, the
// link-layer type and a view of the captured bytes. A plain value type whose
// `data` view borrows memory owned elsewhere (a capture's buffer, a test's
// vector); thread-safety is that of the memory it points to.
#pragma once

#include <cstdint>
#include <span>

namespace coop::sensor {

/// LINKTYPE_ numbers (tcpdump.org/linktypes.html) the decoder understands.
namespace link {
inline constexpr std::uint32_t null_bsd = 0;      ///< BSD loopback: 4-byte family, host order.
inline constexpr std::uint32_t ethernet = 1;      ///< Ethernet II, 802.1Q/802.1ad tags.
inline constexpr std::uint32_t raw = 101;         ///< Raw IPv4 or IPv6 (version nibble).
inline constexpr std::uint32_t loop = 108;        ///< OpenBSD loopback: family in network order.
inline constexpr std::uint32_t linux_sll = 113;   ///< Linux cooked capture v1.
inline constexpr std::uint32_t ipv4 = 228;        ///< Raw IPv4.
inline constexpr std::uint32_t ipv6 = 229;        ///< Raw IPv6.
inline constexpr std::uint32_t linux_sll2 = 276;  ///< Linux cooked capture v2.
}  // namespace link

/// One captured packet. `data` starts with the link-layer header and holds
/// `data.size()` captured bytes of a `wirelen`-byte frame.
struct packet_view {
  std::int64_t ts_ns = 0;                    ///< Capture time, nanoseconds since the epoch.
  std::uint32_t link_type = link::ethernet;  ///< LINKTYPE_ number of `data`.
  std::uint32_t wirelen = 0;                 ///< Length on the wire (>= data.size() normally).
  std::span<const std::uint8_t> data;        ///< Captured bytes; borrowed, not owned.
};

}  // namespace coop::sensor
