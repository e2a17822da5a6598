// Private: the state rule_set::parse builds up while it reads the rules text,
// and the statement parsers that fill it (parse.cc: classes and
// packet_cutoff; statements.cc: the volume-reduction rules; tiers.cc: tier
// lines). Each parser reads one line through a line_cursor and returns an
// error positioned in that line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/tm/rules.h"
#include "rules/text.h"

namespace coop::tm::detail {

struct rules_builder {
  explicit rules_builder(const model::registry& r) : types(r) {}

  const model::registry& types;
  std::vector<rule> rules;
  std::vector<storage_class> classes;      ///< "default" last once pass 1 is done
  std::vector<std::uint32_t> class_lines;  ///< declaring line per class (0: implicit)
  std::vector<class_tiers> tiers;
  std::uint64_t packet_cutoff = 0;
  std::uint32_t packet_cutoff_line = 0;  ///< 0 until a packet_cutoff line is read
  /// The event types of the default class: every type of the registry no
  /// other class names. Filled after the class lines are read.
  std::vector<std::string> default_types;

  /// Index of the class called `name`, or -1.
  [[nodiscard]] int find_class(std::string_view name) const noexcept;
  /// The event types of class `index` (the default's computed list).
  [[nodiscard]] const std::vector<std::string>& types_of(std::size_t index) const noexcept;
};

/// `class NAME [types T,...] [budget SIZE] [precedence INT]`; the cursor is
/// past the keyword.
model::result<void> parse_class(line_cursor& cur, rules_builder& b);

/// `packet_cutoff SIZE`; the cursor is past `keyword`.
model::result<void> parse_packet_cutoff(const word& keyword, line_cursor& cur, rules_builder& b);

/// `drop|keep|sample N|project FIELDS|rate N/UNIT FILTER`; `keyword` is
/// the first word (already read).
model::result<void> parse_rule(const word& keyword, line_cursor& cur, rules_builder& b);

/// True if `keyword` starts a volume-reduction rule.
bool is_rule_keyword(std::string_view keyword) noexcept;

/// `tier CLASS raw AGE` or `tier CLASS NAME every BUCKET until AGE [key F,...]
/// [sum F,...]`; the cursor is past the keyword.
model::result<void> parse_tier(line_cursor& cur, rules_builder& b);

}  // namespace coop::tm::detail
