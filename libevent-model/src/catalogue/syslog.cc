// The syslog type: syslog_message, from Zeek's syslog.log (syslog seen on
// the wire) or from a syslog daemon or log file on a host (RFC 3164/5424).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec message_fields[] = {
    {"facility", "string", opt, "facility", "Facility name, upper case as Zeek writes it (\"AUTH\", \"USER\", \"LOCAL0\")."},
    {"severity", "string", opt, "severity", "Severity name, upper case (\"ERR\", \"WARNING\", \"NOTICE\", \"INFO\")."},
    {"hostname", "string", opt, "", "Host name in the message header."},
    {"app_name", "string", opt, "", "Program that logged it (RFC 5424 APP-NAME; \"sshd\")."},
    {"procid", "string", opt, "", "Its process id (RFC 5424 PROCID)."},
    {"msgid", "string", opt, "", "Message type (RFC 5424 MSGID)."},
    {"message", "string", req, "message", "The message text (after the header)."},
};

constexpr std::span<const field_spec> message_parts[] = {endpoints_optional, message_fields};

constexpr schema_spec schemas[] = {
    {catalogue::syslog_message, "A syslog message was sent or logged.", "syslog", "",
     message_parts},
};

constexpr column_spec columns[] = {
    {"syslog", "proto", zeek_column_kind::transport, proto_note},
};

// clang-format on

}  // namespace

group_spec syslog_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
