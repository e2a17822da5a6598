// The state behind coop::tm::store: the partition catalogue, the ingest
// pipeline (pending blocks per class), the committer and expiry threads,
// subscriptions, pins and rules. Split over src/store/*.cc by concern.
#pragma once

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "coop/model/codec.h"
#include "coop/model/filter.h"
#include "block/record.h"
#include "coop/tm/store.h"
#include "index/keys.h"
#include "lmdb/lmdb.h"
#include "partition/partition.h"
#include "rules/reducer.h"

namespace coop::tm::detail {

/// A block being filled by append(): stored records (block/record.h).
struct filling_block {
  std::string payload;
  std::uint32_t records = 0;
  std::int64_t min_ts = 0;
  std::int64_t max_ts = 0;
  std::vector<std::string> keys;
  block_key_set block_keys;  // the block-level keys already in `keys`
  std::vector<std::uint64_t> uids;
};

/// The records append() took since the last cut, before they are cut into
/// blocks: by the commit, when the group holds ingest_group_blocks blocks'
/// worth (or `group_bytes_limit`), or when an event of a later partition
/// window arrives. With a cluster field the cut first orders the records by
/// its value, arrival order kept among equals, so that one host's events
/// share frames in the open partition too, not only once compaction has
/// clustered it (docs/timemachine.md, "Clustering").
struct filling_group {
  struct record {
    std::uint64_t hi = 0, lo = 0;  // the cluster address as big-endian halves
    bool unset = true;             // no cluster address: sorts after the others
    bool has_uid = false;
    std::size_t begin = 0, size = 0;             // the stored record in `buffer`
    std::uint32_t keys_begin = 0, keys_end = 0;  // its index keys in `keys`
    std::int64_t ts = 0;
    std::uint64_t uid_hash = 0;  // stable_hash of the uid
  };
  std::string buffer;             // stored records, back to back
  std::vector<record> records;    // in arrival order
  std::vector<std::string> keys;  // index_keys of each record, tagged as record 0
  std::int64_t window = 0;        // the partition window of the first record
  // Scratch of the cut, kept for its storage.
  std::vector<std::uint32_t> order;
  block_key_set seen;
};

/// Largest group of stored records cut at once (besides the
/// ingest_group_blocks blocks' worth of events).
inline constexpr std::size_t group_bytes_limit = std::size_t{64} << 20;

/// What one storage class has pending for the next commit.
struct class_pending {
  std::vector<block_in> blocks;   // finished blocks, in append order
  filling_group group;            // records not cut into blocks yet
  std::vector<std::shared_ptr<const model::schema>> schemas;  // types seen in pending blocks
};

struct subscription_state {
  model::filter match;
  std::optional<model::timestamp> expires;
  std::size_t limit = 0;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<model::event> queue;
  std::uint64_t overflowed = 0;
  std::atomic<bool> active{true};
};

struct store_impl {
  store_options opts;
  model::system_clock system_clock;
  const model::clock* clock = nullptr;
  index_config index;
  lmdb::env meta_env;
  MDB_dbi meta_db = 0;

  // Types: an immutable snapshot replaced when a new type is learned.
  mutable std::mutex types_mu;
  std::shared_ptr<const model::registry> types;

  // Schema objects already checked against the types (append()).
  std::mutex known_mu;
  std::vector<std::shared_ptr<const model::schema>> known_schemas;

  // Partition catalogue.
  mutable std::shared_mutex parts_mu;
  std::vector<std::shared_ptr<partition>> parts;      // every live partition
  std::map<std::string, std::shared_ptr<partition>> current;  // class -> open raw partition
  std::mutex id_mu;                       // guards next_partition_id
  std::uint64_t next_partition_id = 1;
  std::vector<std::string> problems;

  // Rules and pins.
  mutable std::mutex rules_mu;
  rule_set rules;
  bool rules_project = false;
  std::vector<pin> pin_list;
  std::uint64_t next_pin_id = 1;

  // Ingest (append side).
  std::mutex ingest_mu;
  std::unique_ptr<reducer> reduce;
  record_writer records;  // encodes appended events (block/record.h)
  std::map<std::string, class_pending> pending;   // by class name
  // Where the cluster field is, per schema seen (cluster_field_of); the
  // pointers keep the schemas alive, so an address is never reused.
  std::vector<std::pair<std::shared_ptr<const model::schema>, std::optional<std::size_t>>>
      cluster_at;
  std::unordered_map<std::string, std::string> class_of_type;
  std::uint64_t next_batch = 0;     // last batch number handed out
  std::uint64_t pending_events = 0;
  std::uint64_t appended = 0, kept = 0, dropped = 0;

  // Commit side.
  std::mutex commit_mu;
  std::atomic<std::uint64_t> committed{0};

  // Expiry: one pass at a time.
  std::mutex expiry_mu;

  // Subscriptions.
  std::mutex subs_mu;
  std::vector<std::shared_ptr<subscription_state>> subs;

  // Background threads.
  std::mutex bg_mu;
  std::condition_variable bg_cv;
  bool stopping = false;
  std::thread committer;
  std::thread expirer;
  // The compactor rewrites sealed partitions (compact_due) when a commit
  // asks, so that a rewrite of seconds never holds up the committer and
  // with it the commit interval. Runs only with the committer.
  std::condition_variable compact_cv;
  bool compact_wanted = false;  // guarded by bg_mu
  bool compact_in_background = false;  // set before any commit, then read only
  std::thread compactor;

  [[nodiscard]] model::timestamp now() const { return clock->now(); }
  [[nodiscard]] std::shared_ptr<const model::registry> types_snapshot() const {
    std::lock_guard lock(types_mu);
    return types;
  }
  /// Adds `s` to the types (copy-on-write) if its (name, version) is new.
  model::result<void> learn(const model::schema& s);

  // open.cc
  model::result<void> load(bool create);
  model::result<void> save_setting(std::string_view key, std::string_view value);
  std::filesystem::path parts_dir() const { return opts.root / "parts"; }
  std::uint64_t allocate_partition_id();

  // ingest.cc
  model::result<ingest_receipt> append(std::span<const model::event> events);
  model::result<std::uint64_t> commit();
  /// Cuts the class's filling group into blocks (clustered on
  /// opts.cluster_field when set), appended to cp.blocks. Under ingest_mu.
  void cut_group(class_pending& cp);
  /// Where opts.cluster_field is in `s` (cached per schema); nullopt when
  /// clustering is off or the type has no such address field.
  std::optional<std::size_t> cluster_field_of(const std::shared_ptr<const model::schema>& s);
  model::result<void> seal_or_retire(partition& p);
  model::result<void> write_class(const std::string& cls, class_pending& cp, std::uint64_t batch);
  model::result<std::shared_ptr<partition>> open_partition_for(const std::string& cls,
                                                               std::int64_t ts);
  void start_threads();
  void stop_threads();
  void rebuild_routing();
  /// One expiry pass (expiry.cc); `stop` may interrupt it.
  model::result<expiry_report> expire(const std::atomic<bool>* stop);
  /// One pass that stops when the store is closing.
  model::result<void> run_expiry();
  std::atomic<bool> stop_expiry{false};

  // compact.cc: sealed raw partitions rewritten compact (packed index, no
  // free pages), one at a time, under expiry_mu (so never while expiry
  // folds or drops the same partition).
  /// Compacts at most `most` of the partitions that are due; with `wait`
  /// false, gives up at once when an expiry pass or another compaction
  /// holds expiry_mu.
  void compact_sealed(bool wait, std::size_t most = SIZE_MAX);
  /// After a commit point: wakes the compactor, or (no background
  /// threads) compacts one sealed partition on the calling thread.
  void request_compaction();
  /// The same with expiry_mu held.
  void compact_due(std::size_t most = SIZE_MAX);
  /// Seals every open raw partition (the next event opens a new one).
  model::result<void> seal_open();
  std::set<std::uint64_t> compact_failed;  // ids not retried until reopen (expiry_mu)

  // subscriptions.cc
  void deliver(const model::event& e);

  // stats/pins/rules
  [[nodiscard]] std::vector<std::shared_ptr<partition>> snapshot() const {
    std::shared_lock lock(parts_mu);
    return parts;
  }
  void drop_partition(const std::shared_ptr<partition>& p);
  /// Bytes on disk of the metadata and every partition.
  [[nodiscard]] std::uint64_t disk_bytes() const;
};

}  // namespace coop::tm::detail
