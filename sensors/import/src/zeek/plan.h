// Private: how the columns of one Zeek log section become events. A plan
// is built once per header (TSV #fields/#types, a zeek-cut name line, or
// the keys a JSON log may have) from libevent-model's documented column
// mapping (zeek_columns), or, for logs the catalogue does not define, from
// a `zeek.<path>` schema registered at run time. Used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "session/context.h"

namespace coop::importer::zeek {

/// What a column is for.
enum class role : std::uint8_t { ignored, ts, uid, sensor, transport, field };

/// A field of one of the plan's events.
struct target {
  std::uint16_t slot = 0;   ///< Index into plan::slots.
  std::uint16_t field = 0;  ///< Field index in that slot's schema.
};

/// One column of the log.
struct column {
  std::string name;              ///< As in the header ("id.orig_h").
  role what = role::ignored;     ///< Its use.
  std::vector<target> targets;   ///< For role::field: every field it fills.
  const coop::model::type* ty = nullptr;  ///< Type of the first target (conversion type).
};

/// One event type a row produces.
struct slot {
  std::shared_ptr<const coop::model::schema> schema;
  std::vector<std::uint16_t> ports;     ///< Port fields (their transport is fixed per row).
  std::vector<std::uint16_t> gate;      ///< Emitted only if one of these is set; empty: always.
  std::vector<std::uint16_t> required;  ///< Fields that must be set.
  std::uint64_t* counter = nullptr;     ///< Summary counter of the type.
};

/// The plan of one log section.
struct plan {
  std::string path;                      ///< Zeek's #path.
  std::vector<column> columns;           ///< In header order.
  std::vector<slot> slots;               ///< Event types produced per row.
  coop::model::transport default_transport = coop::model::transport::unknown;
  std::unordered_map<std::string, std::size_t> by_name;  ///< Column index by name.
  tally* counts = nullptr;               ///< "zeek/<path>" in the summary.
};

/// True if the catalogue documents columns of Zeek log `path`.
bool is_catalogue_log(std::string_view path) noexcept;

/// Builds the plan of a section of log `path` whose columns are `fields`,
/// with Zeek types `types` (empty when the input has none: zeek-cut, JSON).
/// For a catalogue log, unmapped columns are reported once (as warnings at
/// `line`) and dropped; for another log, a schema `zeek.<path>` is built
/// from the header and registered. Errors: invalid_argument or
/// incompatible when that schema cannot be registered (naming the column).
coop::model::result<plan> make_plan(std::string_view path, const std::vector<std::string>& fields,
                                    const std::vector<std::string>& types, detail::context& ctx,
                                    std::uint64_t line);

/// The summary kind of log `path`: "zeek/<path>", or "intel" for Intel input files.
std::string kind_name(std::string_view path);

/// The schema name for a log the catalogue does not define ("zeek.x509").
std::string generic_type_name(std::string_view path);
/// The field name a Zeek column gets in a generic schema ("san.dns" -> "san_dns").
std::string generic_field_name(std::string_view column);

}  // namespace coop::importer::zeek
