// The hot-list types: indicator (an entry of a hot list: Zeek Intel
// framework input, a MISP attribute, a STIX indicator, a line of a plain IP
// list) and sighting (an indicator was seen: Zeek's intel.log, a MISP
// sighting).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
// Zeek's Intel::Type, without the module prefix (Intel::ADDR is ADDR).
constexpr std::string_view indicator_type =
    "enum {ADDR, SUBNET, URL, SOFTWARE, EMAIL, DOMAIN, USER_NAME, CERT_HASH, PUBKEY_HASH, "
    "FILE_HASH, FILE_NAME}";
constexpr std::string_view indicator_types =
    "set[enum {ADDR, SUBNET, URL, SOFTWARE, EMAIL, DOMAIN, USER_NAME, CERT_HASH, PUBKEY_HASH, "
    "FILE_HASH, FILE_NAME}]";

constexpr field_spec indicator_fields[] = {
    {"indicator", "string", req, "indicator", "The value to look for: an address, subnet, domain, URL, hash, e-mail address, ..."},
    {"indicator_type", indicator_type, req, "indicator_type", "What kind of value it is (Zeek's Intel::Type)."},
    {"source", "string", opt, "meta.source", "Who published it (feed or organisation name)."},
    {"description", "string", opt, "meta.desc", "Why it is listed, for a person."},
    {"url", "string", opt, "meta.url", "Where to read more about it."},
    {"confidence", "count", opt, "", "Publisher's confidence, 0 to 100 (STIX confidence)."},
    {"first_seen", "time", opt, "", "When the publisher first saw it in use."},
    {"last_seen", "time", opt, "", "When the publisher last saw it in use."},
    {"expiry", "time", opt, "", "When it stops being valid (STIX valid_until)."},
    {"tags", "set[string]", opt, "", "Labels: MISP tags, STIX indicator_types, feed categories."},
    {"external_id", "string", opt, "", "The publisher's id for it (MISP attribute uuid, STIX id), to match updates."},
    {"removed", "bool", opt, "", "T if the publisher withdraws it (a hot-list delta that removes it).", "F"},
};

constexpr field_spec sighting_fields[] = {
    {"indicator", "string", req, "seen.indicator", "The value that was seen."},
    {"indicator_type", indicator_type, opt, "seen.indicator_type", "What kind of value it is (Zeek's Intel::Type)."},
    {"where", "string", opt, "seen.where", "Where it was seen, Zeek's Intel::Where (\"Conn::IN_ORIG\", \"SMTP::IN_RCPT_TO\")."},
    {"matched", indicator_types, opt, "matched", "Types of the hot-list entries it matched."},
    {"sources", "set[string]", opt, "sources", "Sources of the hot-list entries it matched."},
};

constexpr field_spec sighting_context[] = {
    {"fuid", "string", opt, "fuid", "File id, when it was seen in a file (see file_transfer)."},
    {"file_mime_type", "string", opt, "file_mime_type", "MIME type of that file."},
    {"file_desc", "string", opt, "file_desc", "Description of that file (\"23.92.19.75:443/tcp\")."},
    {"event_id", "string", opt, "", "Id of the event that matched (32 hex digits), when it was an event."},
    {"indicator_id", "string", opt, "", "The publisher's id of the indicator matched (its external_id)."},
    {"site", "string", opt, "", "Site where it was seen, when not the reporting site (a relayed sighting)."},
};

constexpr std::span<const field_spec> indicator_parts[] = {indicator_fields};
constexpr std::span<const field_spec> sighting_parts[] = {sighting_fields, endpoints_optional,
                                                          sighting_context};

constexpr schema_spec schemas[] = {
    {catalogue::indicator, "An entry of a hot list: something to watch for, and why.",
     "intel-input", "", indicator_parts},
    {catalogue::sighting, "An indicator of a hot list was seen in traffic or logs.", "intel", "",
     sighting_parts},
};

constexpr std::string_view receiver_policy = "the receiving site's policy, not the publisher's";

constexpr column_spec columns[] = {
    {"intel-input", "meta.do_notice", zeek_column_kind::dropped, receiver_policy},
    {"intel-input", "meta.whitelist", zeek_column_kind::dropped, receiver_policy},
    {"intel", "seen.node", zeek_column_kind::envelope, "origin.sensor"},
};

// clang-format on

}  // namespace

group_spec intel_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
