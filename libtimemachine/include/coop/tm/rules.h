// Volume-reduction rules, storage classes and aggregation tiers: what the
// time machine keeps, in which class (with its own disk budget) and how old
// data is summarised before it is dropped. A `rule_set` is parsed from text
// (the format is specified in docs/timemachine.md, "Rules and tiers") and is
// a regular value: immutable once parsed, safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/filter.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"
#include "coop/tm/export.h"

namespace coop::tm {

/// What a volume-reduction rule does with the events it matches.
enum class rule_action : std::uint8_t {
  keep,     ///< store the event as it is (stops rule evaluation)
  drop,     ///< do not store it
  sample,   ///< store one event in `every`
  project,  ///< store it with only `fields` (and required fields) set
  rate,     ///< store at most `per_second` events per `rate_window` of event time
};

/// One volume-reduction rule. Rules are tried in order; the first whose
/// filter matches decides. An event no rule matches is kept.
struct rule {
  rule_action action = rule_action::keep;
  model::filter match;              ///< which events (compiled against the store's registry)
  std::uint64_t every = 1;          ///< sample: keep 1 in `every` (>= 1)
  /// rate: events kept per `rate_window` of event time; with the default
  /// window of one second (`N/s`) this is events per second.
  std::uint64_t per_second = 0;
  /// rate: the window the cap counts over: 1 s, 1 min or 1 h for `N/s`,
  /// `N/m`, `N/h`. Windows are aligned on multiples of their length since
  /// the epoch.
  model::interval rate_window = model::interval::seconds(1);
  std::vector<std::string> fields;  ///< project: fields kept (others unset)
  std::uint32_t line = 0;           ///< line in the rules text (for stats and errors)
};

/// A storage class: a set of event types stored in their own partitions,
/// with their own disk budget and aggregation tiers.
struct storage_class {
  std::string name;                ///< [a-z0-9_]+; "default" holds every unlisted type
  std::vector<std::string> types;  ///< event type names (empty for "default")
  std::uint64_t budget_bytes = 0;  ///< 0: only the global budget applies
  /// Under the global budget, classes with lower precedence give up space
  /// (are aggregated early, then dropped) first.
  int precedence = 0;
};

/// One aggregation tier of a class. Tiers are ordered by age: data younger
/// than the first tier's `until` is raw, then each tier holds data until its
/// `until` age; data older than the last tier's `until` is dropped.
struct tier {
  std::string name;                 ///< "raw" for the first tier, else e.g. "hourly"
  model::interval bucket{};         ///< aggregation bucket (0 for raw)
  model::interval until{};          ///< age at which data leaves this tier (0: never)
  std::vector<std::string> keys;    ///< group-by fields (empty for raw)
  std::vector<std::string> sums;    ///< count/int/interval fields summed (empty for raw)
};

/// The tiers of one class, raw first.
struct class_tiers {
  std::string class_name;
  std::vector<tier> tiers;
};

/// Parses a size as the rules text writes it: a number of bytes with an
/// optional unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
/// (powers of 1024), e.g. `20GiB`. Errors: invalid_argument naming the
/// text (not a size, or too large for 64 bits).
COOP_TM_EXPORT model::result<std::uint64_t> parse_size(std::string_view text);

/// A parsed, validated rules text.
class COOP_TM_EXPORT rule_set {
 public:
  /// The built-in default: one class "default" with no budget, raw forever,
  /// no rules, no packet cut-off.
  rule_set();

  /// Parses and validates `text` against the event types of `types` (every
  /// filter is compiled, every type and field name checked). Errors:
  /// invalid_argument / not_found with a message starting `rules:LINE:COL: `.
  static model::result<rule_set> parse(std::string_view text, const model::registry& types);

  /// The text this set was parsed from (empty for the default).
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// Volume-reduction rules, in evaluation order.
  [[nodiscard]] const std::vector<rule>& rules() const noexcept { return rules_; }
  /// Classes; always contains "default" (last).
  [[nodiscard]] const std::vector<storage_class>& classes() const noexcept { return classes_; }
  /// Tiers per class (a class without a `tier` line keeps raw data forever).
  [[nodiscard]] const std::vector<class_tiers>& tiers() const noexcept { return tiers_; }
  /// Per-connection cut-off for `packet` events in bytes of captured data
  /// (0: none).
  [[nodiscard]] std::uint64_t packet_cutoff() const noexcept { return packet_cutoff_; }

  /// The class storing events of type `type_name` ("default" if none names it).
  [[nodiscard]] const storage_class& class_of(std::string_view type_name) const noexcept;
  /// The tiers of class `name`; a single raw tier kept forever if none given.
  [[nodiscard]] class_tiers tiers_of(std::string_view name) const;

 private:
  std::string text_;
  std::vector<rule> rules_;
  std::vector<storage_class> classes_;
  std::vector<class_tiers> tiers_;
  std::uint64_t packet_cutoff_ = 0;
};

}  // namespace coop::tm
