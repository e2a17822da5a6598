// The mail type: smtp_message (Zeek's smtp.log: one row per message
// transaction, envelope and headers).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec message_fields[] = {
    {"trans_depth", "count", opt, "trans_depth", "Position of the transaction on its connection (1 = first)."},
    {"helo", "string", opt, "helo", "Name the client gave in HELO/EHLO."},
    {"mailfrom", "string", opt, "mailfrom", "Envelope sender (MAIL FROM)."},
    {"rcptto", "set[string]", opt, "rcptto", "Envelope recipients (RCPT TO)."},
    {"date", "string", opt, "date", "Date header, as written."},
    {"from", "string", opt, "from", "From header."},
    {"to", "set[string]", opt, "to", "To header addresses."},
    {"cc", "set[string]", opt, "cc", "Cc header addresses."},
    {"reply_to", "string", opt, "reply_to", "Reply-To header."},
    {"msg_id", "string", opt, "msg_id", "Message-ID header."},
    {"in_reply_to", "string", opt, "in_reply_to", "In-Reply-To header."},
    {"subject", "string", opt, "subject", "Subject header."},
    {"x_originating_ip", "addr", opt, "x_originating_ip", "X-Originating-IP header."},
    {"first_received", "string", opt, "first_received", "The first Received header."},
    {"second_received", "string", opt, "second_received", "The second Received header."},
    {"last_reply", "string", opt, "last_reply", "The server's last reply to the client."},
    {"path", "vector[addr]", opt, "path", "Addresses the message passed through, from Received headers."},
    {"user_agent", "string", opt, "user_agent", "User-Agent or X-Mailer header."},
    {"tls", "bool", opt, "tls", "T if the connection switched to TLS (STARTTLS)."},
    {"fuids", "vector[string]", opt, "fuids", "File ids of the attachments and body parts."},
    {"is_webmail", "bool", opt, "is_webmail", "T if the message came from a known webmail service."},
};

constexpr std::span<const field_spec> message_parts[] = {endpoints_client_required, message_fields};

constexpr schema_spec schemas[] = {
    {catalogue::smtp_message, "A mail message was transferred over SMTP.", "smtp", "", message_parts},
};

// clang-format on

}  // namespace

group_spec smtp_group() noexcept { return {schemas, {}}; }

}  // namespace coop::model::catalogue_spec
