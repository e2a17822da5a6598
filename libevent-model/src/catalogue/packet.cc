// The packet type: raw bytes with their link type, for packet recording in
// the time machine. The optional 4-tuple lets a store index packets by host
// and connection without parsing them again.
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec packet_fields[] = {
    {"link_type", "count", req, "", "Link-layer header type: a LINKTYPE_ number (1 = Ethernet, 101 = raw IP)."},
    {"caplen", "count", req, "", "Bytes the sensor captured (data may be shorter if a transformation truncated it)."},
    {"wirelen", "count", req, "", "Length of the packet on the wire."},
    {"data", "bytes", req, "", "The captured bytes, starting with the link-layer header."},
    {"interface", "string", opt, "", "Capture interface name."},
};

constexpr std::span<const field_spec> packet_parts[] = {packet_fields, endpoints_optional};

constexpr schema_spec schemas[] = {
    {catalogue::packet, "A packet was captured.", "", "", packet_parts},
};

// clang-format on

}  // namespace

group_spec packet_group() noexcept { return {schemas, {}}; }

}  // namespace coop::model::catalogue_spec
