// Options of a time machine store: plain aggregates, each field with its
// default and unit. Read once when the store opens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "coop/model/time.h"

namespace coop::tm {

/// How a store is laid out and how it ingests. Every default is usable.
struct store_options {
  /// The store's directory (created by store::create).
  std::filesystem::path root;

  /// Longest time between a batch being appended and it being durable:
  /// a background thread commits at this interval. 0 disables the thread
  /// (only store::commit() commits). Default 1 s.
  model::interval commit_interval = model::interval::millis(1000);

  /// Event time covered by one raw partition before a new one starts.
  /// Expiry works on whole partitions, so this is also its granularity.
  /// Default 1 hour.
  model::interval partition_span = model::interval::seconds(3600);

  /// Size at which a partition is sealed and a new one started, in bytes.
  /// Default 512 MiB.
  std::uint64_t partition_max_bytes = std::uint64_t{512} << 20;

  /// Address space reserved per partition (LMDB map size), in bytes; must
  /// exceed partition_max_bytes. Reaching it (map full) seals the
  /// partition early; it never fails an ingest. Default 2 GiB.
  std::uint64_t partition_map_bytes = std::uint64_t{2} << 30;

  /// Events per stored block (the unit of checksums and of the postings
  /// of type and port keys), 1 to 256. Default 256.
  std::uint32_t block_events = 256;

  /// zstd level for blocks; 0 stores them uncompressed. Default 1.
  int compression_level = 1;

  /// Rewrite each raw partition, once sealed, into its compact form: the
  /// same blocks with a packed index and without the free pages LMDB's
  /// copy-on-write leaves (docs/timemachine.md, "Compaction on seal"), in
  /// the commit after the seal or the next expiry pass. Default true;
  /// false keeps sealed partitions as written (for comparisons and tests).
  bool compact_sealed = true;

  /// The address field records are clustered on: ingest reorders each
  /// group of about 16k appended events by this field's value as it cuts
  /// them into blocks, and compaction reorders each sealed raw partition
  /// again in runs of about 64k, so that a host lookup reads a few frames
  /// per group or run instead of one frame per event (docs/timemachine.md,
  /// "Clustering" and "Ingest"). Events without the field keep their order
  /// after the others. Default "orig_h" (the connection originator of
  /// Zeek-style events); empty keeps arrival order. Answers are the same
  /// either way (events with equal timestamps come out in stored order);
  /// only the cost of reading them changes.
  std::string cluster_field = "orig_h";

  /// String fields indexed by value, by field name in any event type
  /// (address, port, event type and connection uid are always indexed).
  /// Used when the store is created and kept in it: opening an existing
  /// store ignores this and uses the fields it was created with, so that a
  /// lookup never misses events stored before a change.
  std::vector<std::string> indexed_strings = {"user", "username", "host", "query", "server_name",
                                              "mailfrom", "indicator"};

  /// Disk budget for the whole store in bytes; 0 for none. When a commit
  /// would exceed it, expiry aggregates the oldest data early, then drops
  /// the oldest aggregates (lowest class precedence first).
  std::uint64_t disk_budget_bytes = 0;

  /// Run expiry in the background at this interval; 0 (default) runs it
  /// only when store::expire() is called.
  model::interval expiry_interval{};

  /// Read-only: no ingest, no expiry, no background threads (forensics on
  /// a copy, or a second process reading a live store). Default false.
  bool read_only = false;

  /// The clock used for "now" (relative filters, tier ages). nullptr: the
  /// system clock. Not owned; must outlive the store.
  const model::clock* clock = nullptr;
};

}  // namespace coop::tm
