// Private: builds and emits `indicator` events for the hot-list formats
// (plain lists, STIX, MISP), reusing one event object. Used by one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "session/context.h"

namespace coop::importer::hotlist {

/// One hot-list entry, as the formats describe it.
struct entry {
  std::string value;                      ///< The indicator.
  std::string_view type;                  ///< indicator_type label ("ADDR", ...).
  std::string source;                     ///< Publisher; empty: unset.
  std::string description;                ///< Empty: unset.
  std::string url;                        ///< Empty: unset.
  std::optional<std::uint64_t> confidence;
  std::optional<coop::model::timestamp> first_seen, last_seen, expiry;
  std::vector<std::string> tags;
  std::string external_id;                ///< Empty: unset.
  bool removed = false;
  coop::model::timestamp ts;              ///< Envelope time.
};

/// Emits entries as indicator events, counting them in `counts`.
class indicator_writer {
 public:
  indicator_writer(detail::context& ctx, tally& counts);
  /// Emits `e`. Errors: the sink's.
  coop::model::result<void> emit(const entry& e);

 private:
  detail::context& ctx_;
  tally& counts_;
  coop::model::event event_;
  std::uint64_t& counter_;
};

/// The indicator_type of an address or prefix text: "ADDR", "SUBNET" or
/// empty when it is neither. `normalised` receives Zeek's spelling.
std::string_view address_type(std::string_view text, std::string& normalised);

/// "2024-01-02T03:04:05Z" (RFC 3339) or epoch seconds as text; nullopt otherwise.
std::optional<coop::model::timestamp> parse_time(std::string_view text);

}  // namespace coop::importer::hotlist
