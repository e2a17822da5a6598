// The HTTP types: http_request and http_reply (Zeek's http.log; one row is
// one request/reply pair and gives one of each, correlated by uid and
// trans_depth).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec request_fields[] = {
    {"trans_depth", "count", opt, "trans_depth", "Position of the request on its connection (1 = first)."},
    {"method", "string", opt, "method", "Request method (\"GET\", \"POST\", ...)."},
    {"host", "string", opt, "host", "Host header."},
    {"uri", "string", opt, "uri", "Request target as sent (path and query)."},
    {"referrer", "string", opt, "referrer", "Referer header."},
    {"version", "string", opt, "version", "HTTP version (\"1.1\")."},
    {"user_agent", "string", opt, "user_agent", "User-Agent header."},
    {"origin", "string", opt, "origin", "Origin header."},
    {"request_body_len", "count", opt, "request_body_len", "Uncompressed size of the request body."},
    {"username", "string", opt, "username", "User name of basic authentication."},
    {"proxied", "set[string]", opt, "proxied", "Headers that show the request went through a proxy."},
    {"tags", "set[string]", opt, "tags", "Labels a detector attached to the request (Zeek's HTTP::Tags)."},
    {"orig_fuids", "vector[string]", opt, "orig_fuids", "File ids of bodies the client sent."},
    {"orig_filenames", "vector[string]", opt, "orig_filenames", "File names of bodies the client sent."},
    {"orig_mime_types", "vector[string]", opt, "orig_mime_types", "MIME types of bodies the client sent."},
    {"client_header_names", "vector[string]", opt, "client_header_names", "Names of the request headers, in order."},
};

constexpr field_spec reply_fields[] = {
    {"trans_depth", "count", opt, "trans_depth", "Position of the request answered (1 = first)."},
    {"version", "string", opt, "version", "HTTP version of the reply (\"1.1\")."},
    {"status_code", "count", opt, "status_code", "Status code (200, 404, ...)."},
    {"status_msg", "string", opt, "status_msg", "Reason phrase (\"OK\")."},
    {"info_code", "count", opt, "info_code", "Last interim (1xx) status code."},
    {"info_msg", "string", opt, "info_msg", "Reason phrase of the last interim reply."},
    {"response_body_len", "count", opt, "response_body_len", "Uncompressed size of the reply body."},
    {"resp_fuids", "vector[string]", opt, "resp_fuids", "File ids of bodies the server sent."},
    {"resp_filenames", "vector[string]", opt, "resp_filenames", "File names of bodies the server sent."},
    {"resp_mime_types", "vector[string]", opt, "resp_mime_types", "MIME types of bodies the server sent."},
    {"server_header_names", "vector[string]", opt, "server_header_names", "Names of the reply headers, in order."},
};

constexpr std::span<const field_spec> request_parts[] = {endpoints_client_required, request_fields};
constexpr std::span<const field_spec> reply_parts[] = {endpoints_client_required, reply_fields};

constexpr schema_spec schemas[] = {
    {catalogue::http_request, "An HTTP request was sent.", "http", "", request_parts},
    {catalogue::http_reply, "An HTTP reply was sent to a request.", "http", "", reply_parts},
};

constexpr column_spec columns[] = {
    {"http", "password", zeek_column_kind::dropped,
     "credentials are never carried (Zeek logs it only with HTTP::default_capture_password)"},
};

// clang-format on

}  // namespace

group_spec http_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
