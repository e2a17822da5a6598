// The head-to-head part of coop-bench-timemachine. The first events of a
// stream of campus traffic are generated into memory and ingested, one
// side at a time, by a Coop store with its default options (background
// commits at the commit interval, then a final commit()), by a second Coop
// store that calls commit() after every batch, and by SQLite (one
// transaction per batch, six indexes). The rest of the stream is then
// generated a chunk at a time into the first store (as before) and into
// SQLite (bulk load, indexes rebuilt at the end), and
// every event is also written as Zeek TSV logs. Finally the same hosts are
// looked up on both sides, which must return the same number of events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "coop/model/schema.h"
#include "timemachine_bench.h"
#include "timemachine_workload.h"

namespace coop::bench::tm {

struct compare_config {
  std::size_t events = 10'000'000;    ///< stored in both, then looked up
  /// The first events, ingested by SQLite with its six indexes in place and
  /// timed on both sides. SQLite loads the rest without indexes and builds
  /// them at the end (much faster; the same table and indexes result).
  std::size_t compared_events = 1'000'000;
  std::size_t batch = 4096;           ///< events per append and per SQLite transaction
  std::size_t lookups = 1000;
  /// Stop looking up (after at least 10) once the lookups took this long in
  /// total on both sides; 0: no limit. Keeps --quick short when lookups are
  /// slow; the output says how many ran.
  double lookup_seconds = 0;
  double absent_share = 0.1;          ///< lookups of hosts that never appear
  int sqlite_cache_mib = 256;
  /// store_options::partition_max_bytes for the Coop store; 0: the default.
  std::uint64_t partition_max_bytes = 0;
  std::uint64_t seed = 20240501;
  std::filesystem::path dir;          ///< where the store, the database and the logs go
};

struct compare_result {
  traffic_counts counts;
  std::uint64_t stored = 0;           ///< events in the Coop store (stats().kept)
  clocks coop_compared;               ///< default options: background commits
  clocks coop_each_batch;             ///< commit() after every batch, same events
  clocks coop_fill;                   ///< the rest, default options
  clocks sqlite_compared;             ///< SQLite ingest with indexes
  double sqlite_bulk_s = 0, sqlite_index_s = 0;  ///< the rest without indexes, index build
  double generate_s = 0;
  std::uint64_t coop_bytes = 0, sqlite_bytes = 0, tsv_bytes = 0, tsv_rows = 0;
  std::uint64_t coop_block_bytes = 0;  ///< of coop_bytes: the compressed blocks
  std::uint64_t coop_partitions = 0;
  /// After store::seal() (the compact, sealed form: the steady state).
  std::uint64_t coop_sealed_bytes = 0, coop_sealed_partitions = 0;
  clocks coop_seal;                        ///< store::seal(): commit, seal, rewrite
  std::vector<double> coop_sealed_ms;      ///< the same lookups on the sealed store
  std::vector<double> coop_ms, sqlite_ms;  ///< per lookup, in drawing order
  std::vector<std::uint64_t> matches;      ///< per lookup
  std::vector<std::uint64_t> scanned;      ///< per lookup: events in the blocks read (estimate)
  std::vector<std::uint64_t> blocks;       ///< per lookup: blocks read (estimate)
  std::size_t absent = 0;                  ///< lookups that matched nothing
  std::size_t mismatches = 0;              ///< lookups where the counts differ
  std::uint64_t checksum = 0;
};

/// Runs ingest, sizes and lookups (prints progress on stderr).
compare_result run_compare(const compare_config& cfg, const model::registry& types);

}  // namespace coop::bench::tm
