// A partition: one LMDB environment holding the blocks of one class and
// resolution over a span of time, their summaries and their index. Raw
// partitions grow by appends until sealed; aggregate partitions are written
// once. Dropping a partition deletes its directory, which gives the space
// back to the file system (docs/timemachine.md, "On-disk format").
//
// Thread-safety: any number of threads may read while one writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "index/keys.h"
#include "lmdb/lmdb.h"

namespace coop::tm::detail {

/// What a partition is; kept in its `info` database (the truth) and cached.
struct partition_meta {
  std::uint64_t id = 0;
  std::string class_name;
  std::string tier = "raw";       ///< "raw" or an aggregation tier's name
  std::int64_t bucket_ns = 0;     ///< aggregation bucket (0 for raw)
  std::int64_t window_start = 0;  ///< start of the time window it was opened for
  std::int64_t min_ts = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ts = std::numeric_limits<std::int64_t>::min();
  std::uint64_t events = 0;       ///< raw events represented
  std::uint64_t rows = 0;         ///< records stored (events, or aggregate rows)
  std::uint32_t blocks = 0;
  std::uint64_t last_batch = 0;   ///< highest ingest batch it holds
  bool sealed = false;
  bool complete = true;           ///< false only while an aggregate partition is written
  std::uint64_t replaces = 0;     ///< aggregate: partition it supersedes (0: none)
  std::vector<std::uint64_t> sources;  ///< aggregate: partitions folded into it
  /// Aggregate: the raw partition holding the pinned events set aside
  /// while its sources were aggregated (0: none). It becomes complete
  /// when this one does.
  std::uint64_t companion = 0;
  bool summary_has_uids = false;  ///< the sealed summary covers every uid
};

/// A block ready to be written.
struct block_in {
  std::string stored;                    ///< seal_block output
  std::uint32_t records = 0;
  std::uint64_t weight = 0;              ///< raw events represented
  std::int64_t min_ts = 0;
  std::int64_t max_ts = 0;
  std::vector<std::string> keys;         ///< index keys (duplicates allowed)
  std::vector<std::uint64_t> uid_hashes; ///< stable_hash of each uid
};

/// The summary of one block, from the `bsum` database.
struct block_summary {
  std::uint32_t number = 0;
  std::int64_t min_ts = 0;
  std::int64_t max_ts = 0;
  std::uint32_t records = 0;
  std::uint32_t stored_bytes = 0;
  std::uint64_t batch = 0;  ///< the batch number of the commit that wrote it
  std::string uid_bloom;  ///< serialised bloom bits (see bloom::parse)
};

class partition {
 public:
  /// Creates a partition in `dir` (which must not exist).
  static model::result<std::shared_ptr<partition>> create(const std::filesystem::path& dir,
                                                          const partition_meta& meta,
                                                          std::uint64_t map_bytes);
  /// Opens an existing partition. Errors: corruption naming the directory
  /// when `info` is unreadable, incompatible for another format version.
  static model::result<std::shared_ptr<partition>> open(const std::filesystem::path& dir,
                                                        std::uint64_t map_bytes, bool read_only);

  [[nodiscard]] partition_meta meta() const;
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return env_.dir(); }
  [[nodiscard]] std::uint64_t file_bytes() const { return env_.file_bytes(); }

  /// Appends `blocks` in one durable transaction, with their summaries,
  /// index postings (sorted first), the schemas not stored yet, and the
  /// updated meta (`last_batch`, and `extra` applied to it when given).
  /// Errors: overloaded (map full: nothing written; seal and roll over),
  /// io (disk full: nothing written).
  model::result<void> write(std::vector<block_in>& blocks, std::uint64_t last_batch,
                            const std::vector<std::shared_ptr<const model::schema>>& schemas,
                            const partition_meta* extra = nullptr);
  /// Removes the blocks written by commits of batches after `batch` (their
  /// index postings too) and fixes the meta: what a crash left of a commit
  /// that was never reported. `types` decode the removed blocks to find
  /// their index keys. Errors: io, corruption.
  model::result<void> truncate_after(std::uint64_t batch, const model::registry& types,
                                     const index_config& cfg);
  /// Marks the partition sealed and writes its key summary.
  model::result<void> seal();

  /// Every block's summary, in block order. A damaged summary is an error,
  /// or, when `problems` is given, reported there and its block skipped.
  [[nodiscard]] model::result<std::vector<block_summary>> summaries(
      std::vector<std::string>* problems = nullptr) const;
  /// Block numbers (sorted, unique) that may hold a key of `probes`.
  [[nodiscard]] model::result<std::vector<std::uint32_t>> lookup(
      const std::vector<key_probe>& probes) const;
  /// False when the sealed summary proves no probe's key is present.
  [[nodiscard]] bool may_contain(const std::vector<key_probe>& probes) const;
  /// Copies block `n`'s stored bytes into `out`. Errors: not_found, io.
  [[nodiscard]] model::result<void> read_block(std::uint32_t n, std::string& out) const;
  /// The schemas stored in this partition.
  [[nodiscard]] model::result<std::vector<model::schema>> schemas() const;
  /// Number of distinct index keys (for estimates and tests).
  [[nodiscard]] model::result<std::uint64_t> key_count() const;

 private:
  partition() = default;
  model::result<void> open_dbs(bool create);
  model::result<void> load_summary();

  /// Bytes of the map in use (pages up to the last one written).
  [[nodiscard]] std::uint64_t used_bytes() const;

  lmdb::env env_;
  std::uint64_t map_bytes_ = 0;
  MDB_dbi info_ = 0, blocks_ = 0, bsum_ = 0, idx_ = 0, schemas_ = 0;
  mutable std::mutex mu_;            // guards meta_, summary_, stored_schemas_, uids_
  partition_meta meta_;
  std::string summary_;              // sealed: bloom bits over keys (and uids)
  std::vector<std::string> stored_schemas_;  // "name\0version" already in `schemas`
  std::vector<std::uint64_t> uids_;  // uid hashes written since open (for the summary)
  bool uids_complete_ = true;        // uids_ covers every block
};

/// Serialises / parses partition_meta (the `info` record).
std::string encode_meta(const partition_meta& m);
model::result<partition_meta> decode_meta(std::string_view s, std::string_view where);

/// Directory name of partition `id` (16 hex digits).
std::string partition_dir_name(std::uint64_t id);

}  // namespace coop::tm::detail
