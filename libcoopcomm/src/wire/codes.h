// Refusal codes carried in Refusal frames (docs/protocol.md, "Error codes").
#pragma once

#include <cstdint>

namespace coop::comm::wire_codes {

inline constexpr std::uint16_t malformed = 1;          ///< A frame or message broke the format.
inline constexpr std::uint16_t too_large = 2;          ///< A frame exceeded the size or segment limits.
inline constexpr std::uint16_t unsupported_version = 3;///< No protocol version in common.
inline constexpr std::uint16_t not_authorised = 4;     ///< Certificate, pin or hello name not accepted.
inline constexpr std::uint16_t timeout = 5;            ///< Handshake, hello or idle timeout.
inline constexpr std::uint16_t overloaded = 6;         ///< Too many handshakes, or a queue overflowed.
inline constexpr std::uint16_t duplicate = 7;          ///< Already connected to this peer.
inline constexpr std::uint16_t going_away = 8;         ///< The site is shutting down.
inline constexpr std::uint16_t out_of_order = 9;       ///< A frame that is not valid at this point.

}  // namespace coop::comm::wire_codes
