// The Community ID flow hash, version 1: the string Zeek's community-id
// package, Suricata, Arkime and others log so that records of one flow can
// be joined across tools. It is "1:" followed by the base64 of the SHA-1 of
// a 2-byte seed, the two addresses, the IP protocol number, a zero byte and
// the two ports, the endpoints in a fixed order (the smaller address first,
// the smaller port first when the addresses are equal), so both directions
// of a flow get the same id. See docs/catalogue.md, "Community ID".
#pragma once

#include <cstdint>
#include <string>

#include "coop/model/address.h"
#include "coop/model/export.h"

namespace coop::model {

/// Length of a version 1 Community ID: "1:" and 28 base64 characters.
inline constexpr std::size_t community_id_length = 30;

/// Writes into `out` (previous contents replaced, capacity reused) the
/// Community ID of the flow between `orig_h`:`orig_p` and `resp_h`:`resp_p`
/// over IP protocol `ip_proto` (6 tcp, 17 udp, 132 sctp), with `seed`
/// (0, the default of every tool, unless the sites agreed on another).
/// The ports are used as given, so ICMP flows, whose ids are computed
/// from mapped type and code, are not covered. Returns false, with `out`
/// emptied, when `ip_proto` is 0 (what community_id_protocol() gives for
/// a transport it does not cover), the two addresses are of different
/// families, or libcrypto cannot provide SHA-1. Thread-safe.
COOP_MODEL_EXPORT bool community_id(const address& orig_h, std::uint16_t orig_p,
                                    const address& resp_h, std::uint16_t resp_p,
                                    std::uint8_t ip_proto, std::string& out,
                                    std::uint16_t seed = 0);

/// The IANA protocol number of a port's transport for community_id(): 6 for
/// tcp, 17 for udp, 0 for icmp and unknown (which community_id() does not
/// cover).
COOP_MODEL_EXPORT std::uint8_t community_id_protocol(transport t) noexcept;

}  // namespace coop::model
