// The time machine store: records events at high rates into time-partitioned
// LMDB environments, answers queries while it ingests, reduces volume with
// rules, expires old data by aggregating it under a disk budget, keeps pinned
// data raw, and serves standing queries on live ingest. This is also the
// control interface a NIDS drives (rules, pins, queries, subscriptions,
// statistics). Start here; docs/timemachine.md explains the design.
//
// Thread-safety: a store is a resource (move-only). All member functions may
// be called from any thread concurrently: appends are serialised inside,
// queries run in parallel with them and with each other (LMDB readers never
// block the writer).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/tm/export.h"
#include "coop/tm/options.h"
#include "coop/tm/query.h"
#include "coop/tm/rules.h"

namespace coop::tm {

/// What append() did with a batch.
struct ingest_receipt {
  std::uint64_t batch = 0;     ///< the batch number; durable once committed() >= batch
  std::uint64_t accepted = 0;  ///< events stored (after rules)
  std::uint64_t dropped = 0;   ///< events the rules dropped
};

/// Keeps matching data raw whatever the tiers say, until removed.
struct pin {
  std::uint64_t id = 0;                 ///< assigned by store::add_pin
  std::optional<model::subnet> hosts;   ///< events with any address field inside (unset: all)
  time_range range;                     ///< events whose ts lies inside
  std::string reason;                   ///< free text for the operator ("incident 42")
};

/// Size and age of one resolution of one class.
struct tier_stats {
  std::string tier;                  ///< "raw" or the tier name
  std::uint64_t partitions = 0;
  std::uint64_t bytes = 0;           ///< on disk
  std::uint64_t events = 0;          ///< raw events, or the events aggregate rows stand for
  std::uint64_t rows = 0;            ///< stored records (events, or aggregate rows)
  std::optional<model::timestamp> oldest;  ///< oldest event time held
};

/// Statistics of one storage class.
struct class_stats {
  std::string name;
  std::uint64_t budget_bytes = 0;
  std::vector<tier_stats> tiers;     ///< raw first
};

/// Statistics of a store.
struct store_stats {
  std::vector<class_stats> classes;
  std::uint64_t bytes = 0;               ///< all partitions and metadata on disk
  std::uint64_t disk_budget_bytes = 0;
  std::uint64_t appended = 0;            ///< events offered since open
  std::uint64_t kept = 0;                ///< of those, stored
  std::uint64_t dropped = 0;             ///< of those, dropped by rules
  std::uint64_t committed_batch = 0;     ///< see store::committed()
  std::uint64_t pending_events = 0;      ///< appended, not yet committed
  std::uint64_t cutoff_dropped = 0;      ///< packet events past the per-connection cut-off
  std::vector<std::pair<std::uint32_t, std::uint64_t>> rule_drops;  ///< (rules line, dropped)
  std::vector<std::string> problems;     ///< damaged partitions found at open, etc.
  /// Sealed raw partitions still in their live form: waiting to be
  /// rewritten compact (by the compactor thread, or by the next commit
  /// without background threads), or left so by a compaction that failed
  /// (named in `problems`). With compact_sealed off: every sealed raw
  /// partition.
  std::uint64_t uncompacted_sealed = 0;
};

/// What one expiry pass did.
struct expiry_report {
  std::uint64_t partitions_aggregated = 0;  ///< raw or aggregate partitions summarised
  std::uint64_t partitions_dropped = 0;     ///< partitions removed (after aggregation or by age)
  std::uint64_t events_aggregated = 0;      ///< raw events folded into aggregate rows
  std::uint64_t events_pinned = 0;          ///< raw events kept raw because of a pin
  std::uint64_t bytes_freed = 0;            ///< returned to the file system
  bool interrupted = false;                 ///< stopped early by the stop flag
};

namespace detail {
struct store_impl;
struct store_access;
struct subscription_state;
}

/// A standing query: matches of a filter among events ingested from now
/// on, queued until taken. Cancelled by destruction or cancel(); ends by
/// itself at its expiry time (event time).
class COOP_TM_EXPORT subscription {
 public:
  subscription(subscription&&) noexcept;
  subscription& operator=(subscription&&) noexcept;
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  ~subscription();

  /// Moves up to `max` queued matches into `out` (appended). Waits up to
  /// `wait` for the first one when none is queued. Returns how many.
  std::size_t take(std::vector<model::event>& out, std::size_t max,
                   model::interval wait = {});
  /// Matches dropped because the queue was full (bounded: see subscribe).
  [[nodiscard]] std::uint64_t overflowed() const noexcept;
  /// False once cancelled or expired (queued matches can still be taken).
  [[nodiscard]] bool active() const noexcept;
  /// Stops delivery.
  void cancel() noexcept;

 private:
  friend class store;
  explicit subscription(std::shared_ptr<detail::subscription_state> s);
  std::shared_ptr<detail::subscription_state> s_;
};

/// A time machine store.
class COOP_TM_EXPORT store {
 public:
  /// Creates a new store in `opts.root` (which must not hold one) and opens
  /// it. `types` are the event types it can store; schemas of stored events
  /// are also kept in the store, so a reader learns them.
  /// Errors: invalid_argument (bad options), io, incompatible.
  static model::result<store> create(const store_options& opts, const model::registry& types);
  /// Opens an existing store, recovering from any crash (incomplete expiry
  /// steps are finished or undone). Errors: not_found (no store there),
  /// incompatible (another format version: the message names both), io,
  /// corruption (the metadata is unreadable; damaged partitions are only
  /// reported in stats().problems).
  static model::result<store> open(const store_options& opts, const model::registry& types);

  store(store&&) noexcept;
  store& operator=(store&&) noexcept;
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  /// Commits what is pending and stops the background threads.
  ~store();

  /// Applies the rules to `events` and queues the kept ones for the next
  /// commit; delivers them to matching subscriptions. Events must have a
  /// type the store knows (or learns: it is added to the store's types).
  /// Errors: invalid_argument (an event fails validation, or encodes to
  /// more than 16 MiB, which queries could not read back: nothing of the
  /// batch is stored), unsupported (read-only store).
  model::result<ingest_receipt> append(std::span<const model::event> events);
  /// Commits everything pending, durably. Returns committed().
  /// Errors: io (disk full: pending data stays pending and is retried at
  /// the next commit; the store is unchanged), corruption.
  model::result<std::uint64_t> commit();
  /// The highest batch number such that it and every batch before it are
  /// durable (they survive a crash).
  [[nodiscard]] std::uint64_t committed() const noexcept;

  /// Runs a query. Errors: invalid_argument / not_found from the filter
  /// (with its column).
  model::result<cursor> query(const query_spec& q) const;
  /// The cost of running `q`, without running it.
  model::result<query_estimate> estimate(const query_spec& q) const;
  /// Counts the events matching `q` (aggregate rows count their events).
  model::result<count_result> count(const query_spec& q) const;
  /// Counts matching events grouped by the values of `fields`, largest
  /// group first. Errors: not_found for a field no matching type has.
  model::result<std::vector<group_row>> group_by(const query_spec& q,
                                                 const std::vector<std::string>& fields) const;

  /// Subscribes `filter` to live ingest until `expires` (event time; unset:
  /// until cancelled). At most `queue_limit` matches wait in the queue;
  /// more are counted as overflowed and dropped.
  model::result<subscription> subscribe(std::string_view filter,
                                        std::optional<model::timestamp> expires = {},
                                        std::size_t queue_limit = 65536);

  /// Replaces the rules (parsed against the store's types, see rule_set).
  /// Kept across restarts. Errors: as rule_set::parse.
  model::result<void> set_rules(std::string_view text);
  /// The rules in force.
  [[nodiscard]] rule_set rules() const;

  /// Pins data; returns the pin with its id. Kept across restarts.
  model::result<pin> add_pin(pin p);
  /// Removes pin `id`. Errors: not_found.
  model::result<void> remove_pin(std::uint64_t id);
  /// The pins in force.
  [[nodiscard]] std::vector<pin> pins() const;

  /// One expiry pass: aggregates partitions past their tier's age (or
  /// early, under the budget), drops what is past the last tier. Safe to
  /// interrupt (set *stop, or kill the process) and to repeat: no data is
  /// lost or counted twice. Errors: io, corruption.
  model::result<expiry_report> expire(const std::atomic<bool>* stop = nullptr);

  /// Commits what is pending, then seals every open raw partition now (the
  /// next event opens a new one) and rewrites every sealed raw partition
  /// that is not compact yet into its compact form (packed index, no free
  /// pages), waiting for a running expiry pass first. For an operator who
  /// archives or copies a store, and for measuring the steady state (a
  /// running store seals a partition when its time window ends). Queries
  /// may run meanwhile. Errors: as commit(); unsupported (read-only store).
  /// A partition that cannot be rewritten (disk full) stays as it is.
  model::result<void> seal();

  /// Sizes, ages and counters.
  [[nodiscard]] store_stats stats() const;
  /// Reads every block of every partition and reports those that fail
  /// their checksum or do not decode, with their location.
  model::result<std::vector<std::string>> verify() const;

 private:
  friend struct detail::store_access;
  explicit store(std::unique_ptr<detail::store_impl> impl);
  std::unique_ptr<detail::store_impl> impl_;
};

}  // namespace coop::tm
