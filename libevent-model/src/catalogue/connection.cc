// The connection types: connection_attempt, connection_established and
// connection_end (Zeek's conn.log).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
// Facts about a connection that any of its three events may carry.
constexpr field_spec context[] = {
    {"ip_proto", "count", opt, "ip_proto", "IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6, ...)."},
    {"local_orig", "bool", opt, "local_orig", "T if the originator is in the site's local networks."},
    {"local_resp", "bool", opt, "local_resp", "T if the responder is in the site's local networks."},
    {"vlan", "count", opt, "vlan", "Outer 802.1Q VLAN id."},
    {"inner_vlan", "count", opt, "inner_vlan", "Inner 802.1Q VLAN id (Q-in-Q)."},
    {"orig_l2_addr", "string", opt, "orig_l2_addr", "Link-layer (MAC) address of the originator, as the sensor saw it."},
    {"resp_l2_addr", "string", opt, "resp_l2_addr", "Link-layer (MAC) address of the responder, as the sensor saw it."},
    {"community_id", "string", opt, "community_id", "Community ID flow hash (\"1:...\"), to correlate with other tools."},
};

constexpr field_spec attempt_fields[] = {
    {"history", "string", opt, "history", "Zeek's state history letters so far (S syn, h syn-ack, ...)."},
    {"orig_pkts", "count", opt, "orig_pkts", "Packets the originator sent without an answer."},
};

constexpr field_spec established_fields[] = {
    {"history", "string", opt, "history", "Zeek's state history letters so far (S syn, h syn-ack, ...)."},
};

constexpr field_spec end_fields[] = {
    {"service", "string", opt, "service", "Application protocols detected, comma-separated (\"ssl,http\")."},
    {"duration", "interval", opt, "duration", "Time from the first to the last packet."},
    {"orig_bytes", "count", opt, "orig_bytes", "Payload bytes the originator sent."},
    {"resp_bytes", "count", opt, "resp_bytes", "Payload bytes the responder sent."},
    {"conn_state", "string", opt, "conn_state", "Final state: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR or OTH."},
    {"missed_bytes", "count", opt, "missed_bytes", "Payload bytes lost to gaps in the capture."},
    {"history", "string", opt, "history", "State history letters: upper case originator, lower case responder."},
    {"orig_pkts", "count", opt, "orig_pkts", "Packets the originator sent."},
    {"orig_ip_bytes", "count", opt, "orig_ip_bytes", "IP bytes (headers included) the originator sent."},
    {"resp_pkts", "count", opt, "resp_pkts", "Packets the responder sent."},
    {"resp_ip_bytes", "count", opt, "resp_ip_bytes", "IP bytes (headers included) the responder sent."},
    {"tunnel_parents", "set[string]", opt, "tunnel_parents", "Uids of the tunnels this connection was carried in."},
};

constexpr std::span<const field_spec> attempt_parts[] = {endpoints_required, attempt_fields, context};
constexpr std::span<const field_spec> established_parts[] = {endpoints_required, established_fields,
                                                             context};
constexpr std::span<const field_spec> end_parts[] = {endpoints_required, end_fields, context};

constexpr schema_spec schemas[] = {
    {catalogue::connection_attempt,
     "A connection was attempted but not answered (a TCP SYN without reply, a lone UDP packet).",
     "", "the connection_attempt event; columns as in conn.log", attempt_parts},
    {catalogue::connection_established,
     "A connection was established (TCP handshake completed, first reply for UDP).", "",
     "the connection_established event; columns as in conn.log", established_parts},
    {catalogue::connection_end, "A connection ended; the event summarises it.", "conn",
     "", end_parts},
};

constexpr column_spec columns[] = {
    {"conn", "proto", zeek_column_kind::transport, proto_note},
};

// clang-format on

}  // namespace

group_spec connection_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
