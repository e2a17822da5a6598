// The FTP type: ftp_command (Zeek's ftp.log: one row per command and its
// reply).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec command_fields[] = {
    {"user", "string", opt, "user", "User name of the session (\"anonymous\", ...)."},
    {"command", "string", opt, "command", "Command verb (\"RETR\", \"STOR\", \"USER\", ...)."},
    {"arg", "string", opt, "arg", "Command argument (for file commands, the full path)."},
    {"mime_type", "string", opt, "mime_type", "MIME type of the file transferred, as sniffed."},
    {"file_size", "count", opt, "file_size", "Size of the file transferred."},
    {"reply_code", "count", opt, "reply_code", "Reply code (226, 530, ...)."},
    {"reply_msg", "string", opt, "reply_msg", "Reply text."},
    {"data_channel_passive", "bool", opt, "data_channel.passive", "T if the data channel was passive (PASV)."},
    {"data_channel_orig_h", "addr", opt, "data_channel.orig_h", "Data channel originator address."},
    {"data_channel_resp_h", "addr", opt, "data_channel.resp_h", "Data channel responder address."},
    {"data_channel_resp_p", "port", opt, "data_channel.resp_p", "Data channel responder port."},
    {"fuid", "string", opt, "fuid", "File id of the file transferred (see file_transfer)."},
};

constexpr std::span<const field_spec> command_parts[] = {endpoints_client_required, command_fields};

constexpr schema_spec schemas[] = {
    {catalogue::ftp_command, "An FTP client sent a command and got a reply.", "ftp", "",
     command_parts},
};

constexpr column_spec columns[] = {
    {"ftp", "password", zeek_column_kind::dropped, "credentials are never carried"},
};

// clang-format on

}  // namespace

group_spec ftp_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
