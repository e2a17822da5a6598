// The DNS types: dns_request and dns_reply (Zeek's dns.log; one row gives
// one of each, the reply only when the row has an answer section or rcode).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec request_fields[] = {
    {"trans_id", "count", opt, "trans_id", "DNS transaction id (16 bits)."},
    {"query", "string", opt, "query", "The name queried."},
    {"qclass", "count", opt, "qclass", "Query class number (1 = IN)."},
    {"qclass_name", "string", opt, "qclass_name", "Query class name (\"C_INTERNET\")."},
    {"qtype", "count", opt, "qtype", "Query type number (1 = A, 28 = AAAA, ...)."},
    {"qtype_name", "string", opt, "qtype_name", "Query type name (\"A\", \"AAAA\", \"TXT\", ...)."},
    {"opcode", "count", opt, "opcode", "Opcode number (0 = query, 4 = notify, 5 = update)."},
    {"opcode_name", "string", opt, "opcode_name", "Opcode name (\"query\", \"notify\", ...)."},
    {"rd", "bool", opt, "RD", "Recursion desired."},
};

constexpr field_spec reply_fields[] = {
    {"trans_id", "count", opt, "trans_id", "DNS transaction id (16 bits)."},
    {"query", "string", opt, "query", "The name the answer is for."},
    {"qtype", "count", opt, "qtype", "Query type number (1 = A, 28 = AAAA, ...)."},
    {"qtype_name", "string", opt, "qtype_name", "Query type name (\"A\", \"AAAA\", \"TXT\", ...)."},
    {"rcode", "count", opt, "rcode", "Response code number (0 = NOERROR, 3 = NXDOMAIN, ...)."},
    {"rcode_name", "string", opt, "rcode_name", "Response code name (\"NOERROR\", \"NXDOMAIN\", ...)."},
    {"aa", "bool", opt, "AA", "Authoritative answer."},
    {"tc", "bool", opt, "TC", "Truncated."},
    {"ra", "bool", opt, "RA", "Recursion available."},
    {"z", "count", opt, "Z", "The reserved Z bits of the header."},
    {"answers", "vector[string]", opt, "answers", "Answer records' data, in order (addresses, names, text)."},
    {"ttls", "vector[interval]", opt, "TTLs", "Time to live of each answer, parallel to answers."},
    {"rejected", "bool", opt, "rejected", "T if the server rejected the query."},
    {"rtt", "interval", opt, "rtt", "Time from the request to this reply."},
};

constexpr std::span<const field_spec> request_parts[] = {endpoints_client_required, request_fields};
constexpr std::span<const field_spec> reply_parts[] = {endpoints_client_required, reply_fields};

constexpr schema_spec schemas[] = {
    {catalogue::dns_request, "A DNS query was sent.", "dns", "", request_parts},
    {catalogue::dns_reply, "A DNS reply was received (or a query was answered).", "dns", "",
     reply_parts},
};

constexpr column_spec columns[] = {
    {"dns", "proto", zeek_column_kind::transport, proto_note},
};

// clang-format on

}  // namespace

group_spec dns_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
