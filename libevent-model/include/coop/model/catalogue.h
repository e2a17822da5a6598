// The standard catalogue: the policy-neutral event types every Coop sensor,
// importer and analyst agrees on (connections, DNS, HTTP, SSH logins, mail,
// files, FTP, TLS, syslog, raw packets, hot-list indicators and sightings,
// notices), and their documented mapping from Zeek's logs. Nothing here is
// global: `add_catalogue` puts the schemas into a registry the caller owns.
// docs/catalogue.md describes every type field by field. All functions are
// thread-safe; the views they return refer to static data and never expire.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"

namespace coop::model {

/// Names of the standard event types, to use instead of string literals.
namespace catalogue {
inline constexpr std::string_view connection_attempt = "connection_attempt";
inline constexpr std::string_view connection_established = "connection_established";
inline constexpr std::string_view connection_end = "connection_end";
inline constexpr std::string_view dns_request = "dns_request";
inline constexpr std::string_view dns_reply = "dns_reply";
inline constexpr std::string_view http_request = "http_request";
inline constexpr std::string_view http_reply = "http_reply";
inline constexpr std::string_view ssh_login = "ssh_login";
inline constexpr std::string_view smtp_message = "smtp_message";
inline constexpr std::string_view file_transfer = "file_transfer";
inline constexpr std::string_view ftp_command = "ftp_command";
inline constexpr std::string_view tls_handshake = "tls_handshake";
inline constexpr std::string_view syslog_message = "syslog_message";
inline constexpr std::string_view packet = "packet";
inline constexpr std::string_view indicator = "indicator";
inline constexpr std::string_view sighting = "sighting";
inline constexpr std::string_view notice = "notice";

/// Every standard event type, in the order docs/catalogue.md lists them.
// clang-format off
inline constexpr std::array<std::string_view, 17> all = {
    connection_attempt, connection_established, connection_end, dns_request, dns_reply,
    http_request, http_reply, ssh_login, smtp_message, file_transfer, ftp_command,
    tls_handshake, syslog_message, packet, indicator, sighting, notice};
// clang-format on

/// The version of every standard schema in this release of the catalogue.
inline constexpr std::uint32_t version = 1;
}  // namespace catalogue

/// Adds every standard event type (version `catalogue::version`) to `r`.
/// All or nothing: either every type is added (types already present in
/// identical form are kept as they are) or `r` is left unchanged.
/// Errors: incompatible when `r` already holds a different schema under a
/// standard name and version (the message names the type and the field);
/// overloaded when `r` cannot take that many more types.
/// Not thread-safe with respect to other modifications of `r`.
COOP_MODEL_EXPORT result<void> add_catalogue(registry& r);

/// What happens to one column of a Zeek log when it becomes catalogue events.
enum class zeek_column_kind : unsigned char {
  field,      ///< Copied into `event`.`field` (Zeek enum values lose their
              ///< module prefix: `Intel::ADDR` becomes `ADDR`).
  envelope,   ///< Goes to the envelope (`ts`, the connection `uid`, `origin.sensor`).
  transport,  ///< A `proto` column: becomes the transport of every port field.
  dropped,    ///< Deliberately not carried; `note` says why.
};

/// How one column of one Zeek log maps into the catalogue. A log row
/// produces one event of each type that appears as `event` among the
/// `field` rows of its log (an http.log row gives an http_request and an
/// http_reply, both with the row's uid).
struct zeek_column {
  std::string_view log;     ///< Zeek's #path ("conn", "dns", ...); "intel-input" is
                            ///< the Intel framework's input file format.
  std::string_view column;  ///< Flattened column name as in #fields ("id.orig_h").
  zeek_column_kind kind = zeek_column_kind::field;  ///< What becomes of it.
  std::string_view event;  ///< Catalogue type, for kind field; empty otherwise.
  std::string_view field;  ///< Field of `event`, for kind field; empty otherwise.
  std::string_view note;   ///< Conversion or reason for dropping; may be empty.
};

/// The documented mapping of every known column of the Zeek logs the
/// catalogue imports (conn, dns, http, ssh, ssl, smtp, files, ftp, notice,
/// intel, syslog and intel input files). Columns whose names start with `_`
/// are log-writer extensions (`_write_ts`, `_path`) and are never listed.
/// Within one log, rows are grouped by column in first-seen order.
COOP_MODEL_EXPORT std::span<const zeek_column> zeek_columns() noexcept;

/// The Zeek log whose rows produce events of type `event` ("conn" for
/// connection_end), or an empty view when no log does.
COOP_MODEL_EXPORT std::string_view zeek_log_of(std::string_view event) noexcept;

/// The reference part of docs/catalogue.md, in Markdown: one section per
/// standard type with a table of its fields (name, type, required or
/// optional, meaning, Zeek column), then the columns each Zeek log does not
/// carry as fields. Generated from a registry filled by `add_catalogue`, so
/// the documentation cannot drift from the schemas. Errors: those of
/// add_catalogue (none unless the built-in tables are broken).
COOP_MODEL_EXPORT result<std::string> catalogue_markdown();

}  // namespace coop::model
