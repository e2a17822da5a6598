// The in-memory aggregation engine of the time machine: turns raw events (or
// rows of a finer tier) into the summary rows of one aggregation tier, one
// row per (event type and version, time bucket, key values). The arithmetic
// is exact and order-independent, so aggregating in pieces and merging the
// rows by `row_key` gives the rows of aggregating everything at once; this is
// what lets expiry be interrupted and repeated without losing or
// double-counting data (docs/timemachine.md, "Rules and tiers").
// The free functions are pure and thread-safe; an `aggregator` is a
// single-threaded resource (use one per thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/tm/rules.h"

namespace coop::tm::detail {

/// Names of the fields every aggregate row has besides its keys and sums.
inline constexpr std::string_view events_field = "events";          ///< count, required
inline constexpr std::string_view first_seen_field = "first_seen";  ///< time, required
inline constexpr std::string_view last_seen_field = "last_seen";    ///< time, required

/// The schema of the rows of tier `t` summarising events of type `source`
/// (a raw type, or the aggregate schema of a finer tier). It has the SAME
/// name and version as `source`, so the filter language works on rows
/// wherever the fields exist (each tier keeps its own registry), and the doc
/// "<tier> aggregate of <type>". Fields, in this order:
///   - `events` (count, required): how many raw events the row stands for;
///   - `first_seen`, `last_seen` (time, required): earliest and latest of them;
///   - every field of `source` named in `t.keys` or `t.sums`, in `source`'s
///     order, with the same name and type, made optional. A key holds the
///     group's value (unset: the events had it unset); a sum (count, int or
///     interval) holds the sum of the set values, unset if none was set.
/// Fields named by the tier but absent from `source` are left out.
/// The fixed fields come first and the others keep `source`'s order so that
/// (a) the rows of a newer version of `source` evolve compatibly from those
/// of an older one (fields are only appended, all optional) and (b) the
/// schema derived from a finer tier's schema equals the one derived from the
/// raw type whenever the coarse keys and sums are among the fine ones.
/// Errors: invalid_argument when `t.bucket` is not positive, when a key or
/// sum is named twice or is one of the fixed names, when a key present in
/// `source` is not a scalar (sets, tables, vectors, records) or when a sum
/// present in `source` is not count, int or interval; each message names
/// the tier, the type and the field.
model::result<model::schema> aggregate_schema(const model::schema& source, const tier& t);

/// True if `s` is the schema of aggregate rows (it has `events` of type
/// count and `first_seen` and `last_seen` of type time): events of such a
/// type are weighted by their `events` rather than counted as one.
bool is_aggregate_schema(const model::schema& s) noexcept;

/// The start of the bucket of length `bucket` that contains `ts`: the
/// largest multiple of `bucket` not after `ts` (correct for times before
/// 1970); `ts` itself when `bucket` is not positive. Empty when the start
/// would fall before the earliest representable time.
std::optional<model::timestamp> bucket_start(model::timestamp ts, model::interval bucket) noexcept;

/// The stable byte key of a row of tier `t` (also the key of the row a raw
/// event of `t` falls into): the type name and a NUL, the bucket start
/// (`row.ts` floored to `t.bucket`, 8 bytes big-endian with the sign bit
/// flipped so that keys sort by time, negative times first), the type
/// version (4 bytes big-endian), then for each name of `t.keys` that the
/// row's schema has, the value in an encoding whose byte order is the order
/// of model::value (a kind byte, 0 for unset, then the payload; strings
/// escaped and terminated). Equal keys mean the same type, version, bucket
/// and key values. Used as the LMDB key of aggregate rows. `row` must have a
/// type.
std::string row_key(const model::event& row, const tier& t);

/// The id of the row of tier `t` whose row_key is `key`: a 128-bit hash of
/// the tier name and the key, so aggregating the same data again gives the
/// same ids.
model::event_id row_id(const tier& t, std::string_view key) noexcept;

/// Adds row `b` into row `a`, both rows of tier `t` with the same type
/// (name and version), bucket (ts) and key values: `events` and sums are
/// added (saturating for count, checked for int and interval), first_seen
/// takes the minimum and last_seen the maximum, and a site or sensor that
/// differs between the two becomes empty. `a`'s id stays (equal row keys
/// give equal ids). Errors, leaving `a` unchanged: invalid_argument when
/// either is not an aggregate row, types, buckets or keys differ (naming
/// the field), or a field has the wrong kind; overloaded when an int or
/// interval sum overflows (naming the field).
model::result<void> merge_rows(model::event& a, const model::event& b, const tier& t);

/// Accumulates events into the rows of one tier. Raw events count as one
/// each; rows of a finer tier (see is_aggregate_schema) add their weights,
/// sums and seen times, so a coarser tier can be built from a finer one or
/// from raw events alike (the same rows when the buckets are aligned and
/// the coarse keys and sums are among the fine ones). Row envelopes: ts =
/// bucket start, uid empty, id = row_id(t, row_key), site and sensor those
/// shared by every contributing event (empty where they differ).
/// Not thread-safe; the registry passed in must outlive the aggregator.
class aggregator {
 public:
  /// An aggregator for tier `t`. `types` receives the derived schema
  /// (aggregate_schema) of each type the first time one of its events is
  /// added; the rows refer to the schemas held there. Give each tier its own
  /// registry: rows of every tier have their source's name and version, so
  /// one registry cannot hold two tiers' schemas of a type (add() then
  /// fails with incompatible).
  aggregator(tier t, model::registry& types);
  ~aggregator();
  /// Movable (the registry stays referenced), not copyable.
  aggregator(aggregator&&) noexcept;
  aggregator& operator=(aggregator&&) noexcept;

  /// Adds one event to its row. Errors, leaving the rows unchanged: those of
  /// aggregate_schema and registry::add for the event's type (the first time
  /// it is seen); invalid_argument when the event has no type, a key or sum
  /// value has the wrong kind, a row's `events`/`first_seen`/`last_seen` is
  /// unset, or the bucket start is out of range; overloaded when an int or
  /// interval sum overflows or a 2^32th row would be needed. Messages name
  /// the tier, the type and the field.
  model::result<void> add(const model::event& e);

  /// Number of rows accumulated so far.
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size(); }

  /// The rows, sorted by row_key (type name, ts, version, key values); the
  /// aggregator is left empty and ready for more events (the schemas it
  /// derived stay known).
  std::vector<model::event> take();

  /// The tier this aggregator builds.
  [[nodiscard]] const tier& tier_spec() const noexcept { return tier_; }

 private:
  struct plan;  // how events of one input schema map onto their rows
  // One row being accumulated, kept compact: its sums live in sums_ and its
  // key values in key_values_; the row becomes a model::event in take().
  struct row_state {
    std::uint64_t hash = 0;   // of the row key
    std::size_t key_at = 0;   // the row key is keys_.substr(key_at, key_size)
    std::uint32_t key_size = 0;
    std::uint32_t plan = 0;   // plans_ index; every plan of a row has its schema
    std::uint64_t events = 0;
    std::int64_t bucket = 0, first = 0, last = 0;  // ns
    std::uint32_t site = 0, sensor = 0;  // names_ indexes; 0 is "" (not shared)
    std::size_t sums_at = 0;  // sums_[sums_at...]: a word per sum, then set-bit words
    std::size_t keys_at = 0;  // key_values_[keys_at...]: the key values
  };

  model::result<const plan*> plan_for(const std::shared_ptr<const model::schema>& s);
  // The index of the row whose key is `key` (with hash `h`), or rows_.size().
  std::size_t find(std::uint64_t h, std::string_view key) const noexcept;
  void insert_index(std::uint64_t h, std::size_t row);
  std::uint32_t intern(const std::string& name);
  model::event build(row_state& r);

  tier tier_;
  model::registry* types_;
  std::vector<std::unique_ptr<plan>> plans_;
  std::unordered_map<const model::schema*, const plan*> plan_of_;
  std::vector<row_state> rows_;
  std::vector<std::uint64_t> sums_;
  std::vector<model::value> key_values_;
  std::string keys_;
  // Open addressing over rows_ (a flat table finds a row with one cache miss
  // where a node-based map needs three): each entry is 0 (empty) or the key
  // hash's upper 32 bits above the row index + 1.
  std::vector<std::uint64_t> table_;
  std::vector<std::string> names_;  // interned sites and sensors
  std::unordered_map<std::string, std::uint32_t> name_ids_;
  std::string scratch_;  // key of the event being added, reused
};

}  // namespace coop::tm::detail
