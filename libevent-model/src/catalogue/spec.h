// Private: the catalogue as data. Each group file (connection.cc, dns.cc, ...)
// describes its event types as tables of field_spec rows; catalogue.cc turns
// them into schemas and into the public Zeek column mapping, markdown.cc into
// docs/catalogue.md. Everything here is constant static data.
#pragma once

#include <span>
#include <string_view>

#include "coop/model/catalogue.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"

namespace coop::model::catalogue_spec {

inline constexpr bool req = true;   ///< A required field.
inline constexpr bool opt = false;  ///< An optional field.

/// One field of a standard event type.
struct field_spec {
  std::string_view name;
  std::string_view type;  ///< Zeek notation, parsed by type::parse.
  bool required;
  /// The column in the event's Zeek log, "" if none; alternatives (newer
  /// name first) separated by '|'.
  std::string_view zeek;
  std::string_view doc;                 ///< One line.
  std::string_view default_value = {};  ///< Zeek notation; "" for no default.
};

/// A standard event type; its fields are the concatenation of `parts`.
struct schema_spec {
  std::string_view name;
  std::string_view doc;
  /// The Zeek log whose rows produce this event, "" if none.
  std::string_view zeek_log;
  /// For docs when no log produces the event but its fields follow one.
  std::string_view zeek_note;
  std::span<const std::span<const field_spec>> parts;
};

/// A Zeek column that does not become a field (or needs a conversion).
struct column_spec {
  std::string_view log;
  std::string_view column;
  zeek_column_kind kind;
  std::string_view note;
};

/// One group of related types and the Zeek columns of its logs that are not
/// fields.
struct group_spec {
  std::span<const schema_spec> schemas;
  std::span<const column_spec> columns;
};

// The connection 4-tuple, shared by most types. Ports carry their transport,
// so Zeek's separate `proto` column has no field of its own.
inline constexpr std::string_view orig_h_doc = "Originator (client) address.";
inline constexpr std::string_view orig_p_doc =
    "Originator port, with its transport (tcp, udp, icmp).";
inline constexpr std::string_view resp_h_doc = "Responder (server) address.";
inline constexpr std::string_view resp_p_doc =
    "Responder port, with its transport (tcp, udp, icmp).";

/// The 4-tuple, all required: for events only a wire observer produces.
inline constexpr field_spec endpoints_required[] = {
    {"orig_h", "addr", req, "id.orig_h", orig_h_doc},
    {"orig_p", "port", req, "id.orig_p", orig_p_doc},
    {"resp_h", "addr", req, "id.resp_h", resp_h_doc},
    {"resp_p", "port", req, "id.resp_p", resp_p_doc},
};

/// The 4-tuple with only the client address required: for events that
/// server logs also produce (an Apache access log or sshd's auth log knows
/// the client address but not always its port or the server's address).
inline constexpr field_spec endpoints_client_required[] = {
    {"orig_h", "addr", req, "id.orig_h", orig_h_doc},
    {"orig_p", "port", opt, "id.orig_p", orig_p_doc},
    {"resp_h", "addr", opt, "id.resp_h", resp_h_doc},
    {"resp_p", "port", opt, "id.resp_p", resp_p_doc},
};

/// The 4-tuple, all optional: for events that need not involve a connection.
inline constexpr field_spec endpoints_optional[] = {
    {"orig_h", "addr", opt, "id.orig_h", orig_h_doc},
    {"orig_p", "port", opt, "id.orig_p", orig_p_doc},
    {"resp_h", "addr", opt, "id.resp_h", resp_h_doc},
    {"resp_p", "port", opt, "id.resp_p", resp_p_doc},
};

/// The note on every `proto` column.
inline constexpr std::string_view proto_note = "the transport of every port field";
/// The note on Zeek's remote_location.* columns.
inline constexpr std::string_view geo_note =
    "GeoIP enrichment: each site recomputes it from its own database";

// The groups, one per source file, in catalogue order.
group_spec connection_group() noexcept;
group_spec dns_group() noexcept;
group_spec http_group() noexcept;
group_spec ssh_group() noexcept;
group_spec smtp_group() noexcept;
group_spec files_group() noexcept;
group_spec ftp_group() noexcept;
group_spec tls_group() noexcept;
group_spec syslog_group() noexcept;
group_spec packet_group() noexcept;
group_spec intel_group() noexcept;
group_spec notice_group() noexcept;

/// Every group, in catalogue order.
std::span<const group_spec> groups() noexcept;

/// The spec of the standard type `name`, or nullptr.
const schema_spec* find_schema(std::string_view name) noexcept;

/// The schema a spec describes. Errors: invalid_argument naming the field
/// whose type or default does not parse (a bug in the tables).
result<schema> build_schema(const schema_spec& spec);

}  // namespace coop::model::catalogue_spec
