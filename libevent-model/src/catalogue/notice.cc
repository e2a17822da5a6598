// The notice type: a detector's conclusion worth a person's attention
// (Zeek's notice.log).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec notice_fields[] = {
    {"note", "string", req, "note", "Kind of notice, Zeek's Notice::Type name (\"SSH::Password_Guessing\")."},
    {"msg", "string", opt, "msg", "What was found, for a person."},
    {"sub", "string", opt, "sub", "Further detail."},
    {"src", "addr", opt, "src", "Source address it is about."},
    {"dst", "addr", opt, "dst", "Destination address it is about."},
    {"p", "port", opt, "p", "Port it is about."},
    {"n", "count", opt, "n", "A number it is about (a count of attempts, ...)."},
};

constexpr field_spec file_fields[] = {
    {"fuid", "string", opt, "fuid", "File id, when it is about a file (see file_transfer)."},
    {"file_mime_type", "string", opt, "file_mime_type", "MIME type of that file."},
    {"file_desc", "string", opt, "file_desc", "Description of that file."},
};

constexpr std::span<const field_spec> notice_parts[] = {notice_fields, endpoints_optional,
                                                        file_fields};

constexpr schema_spec schemas[] = {
    {catalogue::notice, "A detector raised a notice.", "notice", "", notice_parts},
};

constexpr std::string_view response_policy =
    "the local site's response policy, not part of the observation";

constexpr column_spec columns[] = {
    {"notice", "proto", zeek_column_kind::transport, proto_note},
    {"notice", "peer_descr", zeek_column_kind::envelope, "origin.sensor"},
    {"notice", "actions", zeek_column_kind::dropped, response_policy},
    {"notice", "email_dest", zeek_column_kind::dropped, response_policy},
    {"notice", "suppress_for", zeek_column_kind::dropped, response_policy},
    {"notice", "remote_location.country_code", zeek_column_kind::dropped, geo_note},
    {"notice", "remote_location.region", zeek_column_kind::dropped, geo_note},
    {"notice", "remote_location.city", zeek_column_kind::dropped, geo_note},
    {"notice", "remote_location.latitude", zeek_column_kind::dropped, geo_note},
    {"notice", "remote_location.longitude", zeek_column_kind::dropped, geo_note},
};

// clang-format on

}  // namespace

group_spec notice_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
