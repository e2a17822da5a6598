// The file type: file_transfer (Zeek's files.log: one row per file seen in
// any protocol, with its name, MIME type and hashes).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec transfer_fields[] = {
    {"fuid", "string", opt, "fuid", "The file's id, unique at the producer (Zeek's fuid)."},
    {"source", "string", opt, "source", "Protocol or source the file came from (\"HTTP\", \"SMTP\", \"FTP_DATA\")."},
    {"depth", "count", opt, "depth", "Nesting depth within its source (e.g. the MIME part number)."},
    {"analyzers", "set[string]", opt, "analyzers", "File analyzers that ran on it (\"MD5\", \"EXTRACT\", ...)."},
    {"mime_type", "string", opt, "mime_type", "MIME type, as sniffed from the content."},
    {"filename", "string", opt, "filename", "File name, as the protocol gave it."},
    {"duration", "interval", opt, "duration", "Time from the first to the last byte."},
    {"local_orig", "bool", opt, "local_orig", "T if the file's sender is in the site's local networks."},
    {"is_orig", "bool", opt, "is_orig", "T if the connection's originator sent the file."},
    {"seen_bytes", "count", opt, "seen_bytes", "Bytes of the file seen."},
    {"total_bytes", "count", opt, "total_bytes", "Size of the file, if the protocol said."},
    {"missing_bytes", "count", opt, "missing_bytes", "Bytes lost to gaps."},
    {"overflow_bytes", "count", opt, "overflow_bytes", "Out-of-order bytes that did not fit the reassembly buffer."},
    {"timedout", "bool", opt, "timedout", "T if analysis timed out."},
    {"parent_fuid", "string", opt, "parent_fuid", "Id of the file this one was extracted from (archive, MIME)."},
    {"md5", "string", opt, "md5", "MD5 of the content, lower-case hex."},
    {"sha1", "string", opt, "sha1", "SHA-1 of the content, lower-case hex."},
    {"sha256", "string", opt, "sha256", "SHA-256 of the content, lower-case hex."},
};

constexpr std::span<const field_spec> transfer_parts[] = {endpoints_optional, transfer_fields};

constexpr schema_spec schemas[] = {
    {catalogue::file_transfer, "A file was transferred (over any protocol) and analysed.", "files",
     "", transfer_parts},
};

constexpr std::string_view extract_note = "where the sensor stored its copy: local to the sensor";

constexpr column_spec columns[] = {
    {"files", "extracted", zeek_column_kind::dropped, extract_note},
    {"files", "extracted_cutoff", zeek_column_kind::dropped, extract_note},
    {"files", "extracted_size", zeek_column_kind::dropped, extract_note},
};

// clang-format on

}  // namespace

group_spec files_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
