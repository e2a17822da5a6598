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
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "block/block.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/tm/rules.h"
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
  /// The index is packed (`sidx` chunks, written once) instead of the
  /// `idx` DUPSORT database: sealed partitions rewritten by compact() and
  /// aggregate partitions.
  bool packed = false;
  /// Blocks per extent (format 4): a packed partition stores its blocks
  /// back to back in LMDB values of `extent_blocks` consecutive blocks
  /// (partition/extent.h), so a block wastes no partial page; 0: one block
  /// per value (live partitions, and every partition of formats 2 and 3).
  std::uint32_t extent_blocks = 0;
  /// Aggregate rows are stored without their ids (format 4): a row's id is
  /// row_id() of its tier and row_key(), derived again when it is read from
  /// the tier name, `bucket_ns` and `row_keys` kept here. False: ids are
  /// stored (raw partitions, and every partition of formats 2 and 3).
  bool derived_ids = false;
  std::vector<std::string> row_keys;  ///< the tier's key fields when derived_ids
  /// The address field a compacted raw partition's records are clustered
  /// on (compact_options::cluster_field); empty: arrival order.
  std::string clustered_on;
};

/// A block ready to be written: its records, sealed by partition::write
/// (with the partition's dictionary).
struct block_in {
  std::string payload;                   ///< stored records (block/record.h)
  int level = 1;                         ///< zstd level (0: stored uncompressed)
  /// Records per compressed frame; 0: the default (small frames when the
  /// partition has a dictionary, else one frame for the block).
  std::uint16_t frame_records = 0;
  std::uint32_t records = 0;
  std::uint64_t weight = 0;              ///< raw events represented
  std::int64_t min_ts = 0;
  std::int64_t max_ts = 0;
  std::vector<std::string> keys;         ///< tagged index keys (index_keys; duplicates allowed)
  std::vector<std::uint64_t> uid_hashes; ///< stable_hash of each uid
};

/// How partition::compact rewrites a raw partition.
struct compact_options {
  /// The address field to cluster records on: within each run of
  /// cluster_group_blocks blocks, records are reordered by its value
  /// (records without it last), arrival order kept among equals, so that
  /// one host's events share frames (docs/timemachine.md, "Clustering").
  /// Empty: the blocks are copied as they are. Only a partition with a
  /// dictionary (blocks of several frames) is clustered.
  std::string cluster_field;
  /// zstd level of the blocks a clustered rewrite seals again.
  int level = 1;
};

/// Where clustering moved the records of a partition.
struct record_moves {
  std::vector<std::uint64_t> first_row;  ///< per source block: records before it (+ the total)
  std::vector<std::uint32_t> moved;      ///< per source record: its new posting (~0: none)

  /// The new posting of source posting `p` (block << 8 | record); ~0 when
  /// `p` names no record (a posting left by a rolled-back commit).
  [[nodiscard]] std::uint32_t operator()(std::uint32_t p) const noexcept {
    const std::uint32_t b = p >> 8;
    if (b + 1 >= first_row.size()) return ~std::uint32_t{0};
    const std::uint64_t row = first_row[b] + (p & 0xffu);
    return row < first_row[b + 1] ? moved[row] : ~std::uint32_t{0};
  }
};

/// Source blocks reordered together when a partition is clustered: 256
/// blocks of 256 events, about 64k events. Larger runs gather more of a
/// host's events into its frames but let more blocks overlap in time
/// (a time-ordered cursor holds the matches of overlapping blocks).
inline constexpr std::uint32_t cluster_group_blocks = 256;

/// Blocks' worth of events the store's ingest clusters at once (a filling
/// group, src/store/ingest.cc): 64 blocks of 256, about 16k events, a
/// quarter of what compaction reorders. The cut runs on the ingest path,
/// and reading a group's records back in host order misses the caches
/// more the larger the group: measured on the benchmark's traffic, append
/// and commit took about 10% more CPU with groups of 16k events and 20%
/// with 64k, while the median host lookup in --quick's open partition
/// read 33 blocks with 16k and 14 with 64k (74 in arrival order).
inline constexpr std::uint32_t ingest_group_blocks = 64;

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

/// What an index lookup found, at one granularity.
struct posting_set {
  /// True: `values` are record postings (block << 8 | record); false:
  /// block numbers.
  bool records = false;
  std::vector<std::uint32_t> values;  ///< sorted, unique
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

  /// Seals `blocks` (training the partition's zstd dictionary on the first
  /// write that has enough records) and appends them in one durable
  /// transaction, with their summaries,
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

  /// Writes a compact copy of `src` (blocks as stored with the same
  /// numbers, or clustered as `how` asks, block summaries, schemas,
  /// dictionary, key summary, and its index packed into `sidx` chunks) as a new partition in `dir` with id
  /// `id` and `replaces` = src's id, in one transaction that also sets
  /// `complete`: until then the new partition is discarded by recovery,
  /// after it src is (docs/timemachine.md, "Compaction on seal"). `src`
  /// must not be written meanwhile. On error nothing is left in `dir`.
  /// Errors: io, overloaded (map full), corruption (src's index unreadable).
  static model::result<std::shared_ptr<partition>> compact(const partition& src,
                                                           const std::filesystem::path& dir,
                                                           std::uint64_t id,
                                                           std::uint64_t map_bytes,
                                                           const compact_options& how = {});
  /// Clustered compaction: writes the blocks of `src` (read in `rt`) into
  /// `np` (in `wt`) reordered by `field` as compact_options describes,
  /// with their summaries, in extents. Fills `moved_to` (where each
  /// source record went) and `block_keys`
  /// (every type and port key -> the new blocks holding it, ascending).
  /// Returns the number of blocks written. Errors: corruption naming the
  /// source block, LMDB's.
  static model::result<std::uint32_t> cluster_into(
      const partition& src, const lmdb::txn& rt, partition& np, lmdb::txn& wt,
      std::string_view field, int level, record_moves& moved_to,
      std::map<std::string, std::vector<std::uint32_t>>& block_keys);
  /// Checks every chunk of a packed index (CRC, structure, order between
  /// chunks) and appends what is damaged to `problems`, naming the
  /// partition and the chunk. Nothing to check for an `idx` index.
  void verify_index(std::vector<std::string>& problems) const;

  /// Every block's summary, in block order; with `only` (sorted block
  /// numbers), only those blocks' (absent ones skipped), without their uid
  /// Bloom filters. A damaged summary is an error, or, when `problems` is
  /// given, reported there and its block skipped.
  [[nodiscard]] model::result<std::vector<block_summary>> summaries(
      std::vector<std::string>* problems = nullptr,
      const std::vector<std::uint32_t>* only = nullptr) const;
  /// The records or blocks that may hold a key of `probes`: record
  /// postings when every probe is of a record-level kind (address or
  /// string keys, no uid), else block numbers. Errors: io, corruption.
  [[nodiscard]] model::result<posting_set> lookup(const std::vector<key_probe>& probes) const;
  /// False when the sealed summary proves no probe's key is present.
  [[nodiscard]] bool may_contain(const std::vector<key_probe>& probes) const;
  /// Copies block `n`'s stored bytes into `out`. Errors: corruption (a
  /// missing block), io.
  [[nodiscard]] model::result<void> read_block(std::uint32_t n, std::string& out) const;
  /// Calls `use(stored)` with block `n`'s stored bytes viewed in place in
  /// the map, without a copy; the view is valid only during the call.
  /// Errors: as read_block.
  template <class F>
  model::result<void> view_block(std::uint32_t n, F&& use) const;
  /// The partition's zstd dictionary; nullptr when it has none, or when it
  /// is damaged (then blocks that need it report so).
  [[nodiscard]] std::shared_ptr<const block_dictionary> dictionary() const;
  /// The dictionary to read the block `stored` with: dictionary(), read
  /// again from the partition when the block needs one this object has not
  /// loaded (a reader in another process than the writer).
  [[nodiscard]] std::shared_ptr<const block_dictionary> dictionary_for(
      std::string_view stored) const;
  /// Gives a record read from this partition the id it was stored
  /// without: for partitions with derived ids (partition_meta::derived_ids),
  /// a row whose stored id is zero gets row_id() of the partition's tier
  /// and its row_key(); otherwise nothing changes. Thread-safe.
  void restore_id(model::event& row) const;
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
  MDB_dbi sidx_ = 0;
  bool has_sidx_ = false;  // the `sidx` database exists (format 3)
  // Fixed when the partition is opened (immutable afterwards, read without
  // a lock): blocks per extent (0: none), and the tier rows derive ids from.
  std::uint32_t extent_blocks_ = 0;
  std::unique_ptr<const tier> id_tier_;

  /// lookup() on a packed index: `out` gets the postings of every probe
  /// (uid probes excepted), shifted right by 8 for record postings when
  /// `to_blocks`, merged sorted (duplicates possible).
  [[nodiscard]] model::result<void> lookup_packed(const std::vector<key_probe>& probes,
                                                  bool to_blocks,
                                                  std::vector<std::uint32_t>& out) const;
  /// Calls `f(key)` for every key of the index (either kind), in order,
  /// within transaction `t`. Errors: io, corruption.
  model::result<void> each_key(const lmdb::txn& t,
                               const std::function<void(std::string_view)>& f) const;
  /// Writes sorted `postings` ((key index << 32) | value, keys in `keys`
  /// sorted order) as `sidx` chunks in `t`. Errors: as LMDB puts.
  model::result<void> write_packed(lmdb::txn& t, const std::vector<std::string_view>& keys,
                                   const std::vector<std::uint64_t>& postings);
  /// Seals `blocks` for write(): with the partition's dictionary (into
  /// `dict`), trained first when it has none and there is enough to learn
  /// from (then `new_dict` holds the record to store with them).
  std::vector<std::string> seal_blocks(const std::vector<block_in>& blocks,
                                       std::shared_ptr<const block_dictionary>& dict,
                                       std::string& new_dict);
  /// Trains a dictionary for blocks sealed at `level` on the records of
  /// `blocks`, and of the blocks already stored when those are too few;
  /// nullptr when there is still too little to learn from. On success
  /// `stored` holds the `dict` record to write with the blocks.
  std::shared_ptr<const block_dictionary> train_dictionary(const std::vector<block_in>& blocks,
                                                           int level, std::string& stored);

  /// The `dict` record of `info` as a dictionary; nullptr when absent or
  /// damaged.
  [[nodiscard]] std::shared_ptr<const block_dictionary> read_dictionary(const lmdb::txn& t) const;

  /// A read transaction on block `n`; errors as read_block.
  [[nodiscard]] model::result<std::pair<lmdb::txn, std::string_view>> block_view(
      std::uint32_t n) const;

  mutable std::mutex mu_;            // guards meta_, summary_, stored_schemas_, uids_, dict_
  mutable std::shared_ptr<const block_dictionary> dict_;
  std::mutex write_mu_;              // one write() at a time
  std::uint64_t dict_failed_rows_ = 0;  // rows when training last failed (write_mu_)
  partition_meta meta_;
  std::string summary_;              // sealed: bloom bits over keys (and uids)
  std::vector<std::string> stored_schemas_;  // "name\0version" already in `schemas`
  std::vector<std::uint64_t> uids_;  // uid hashes written since open (for the summary)
  bool uids_complete_ = true;        // uids_ covers every block
};

template <class F>
model::result<void> partition::view_block(std::uint32_t n, F&& use) const {
  auto v = block_view(n);
  if (!v) return v.err();
  use(v->second);
  return {};
}

/// The key of the dictionary record in a partition's `info` database.
inline constexpr std::string_view dictionary_key = "dict";

/// CRC-32 (zlib) of `s`, as the `dict` record stores it.
std::uint32_t dictionary_crc(std::string_view s);

/// Serialises / parses partition_meta (the `info` record).
std::string encode_meta(const partition_meta& m);
model::result<partition_meta> decode_meta(std::string_view s, std::string_view where);

/// Directory name of partition `id` (16 hex digits).
std::string partition_dir_name(std::uint64_t id);

}  // namespace coop::tm::detail
