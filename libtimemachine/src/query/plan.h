// Query planning: which blocks of which partitions can hold a match, found
// from partition time ranges and summaries, the index (via the filter's
// hints) and block summaries, without reading any block.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "block/block.h"
#include "block/record.h"
#include "coop/model/filter.h"
#include "coop/tm/query.h"
#include "partition/partition.h"

namespace coop::tm::detail {

struct store_impl;

/// The filter as compiled for one resolution (raw, or a tier of a class:
/// aggregate rows have their own schemas).
struct tier_filter {
  std::string key;  ///< class + "/" + tier, or "raw"
  resolution res;
  std::shared_ptr<const model::registry> types;
  model::filter match;
  bool usable = false;   ///< false: the filter does not apply at this resolution
  std::string why;       ///< when not usable
};

/// A block that may hold matches.
struct candidate {
  std::shared_ptr<partition> part;
  std::uint32_t block = 0;
  std::int64_t min_ts = 0;
  std::int64_t max_ts = 0;
  std::uint32_t records = 0;
  std::uint32_t stored_bytes = 0;
  std::size_t tier = 0;  ///< index into plan::tiers
  /// The records to read (sorted, unique), from record-level postings;
  /// empty: every record of the block.
  std::vector<std::uint8_t> wanted;
};

struct plan {
  std::vector<tier_filter> tiers;
  std::vector<candidate> blocks;  ///< sorted for the requested order
  time_range range;               ///< the spec's range narrowed by the filter's ts bounds
  model::timestamp now;
  query_estimate estimate;
  std::vector<std::string> warnings;
};

/// Plans `q` over the store's current partitions.
/// Errors: the filter's compile errors (column), io from a partition.
model::result<plan> make_plan(const store_impl& s, const query_spec& q);

/// Reusable state of block scans: one per thread.
struct scan_scratch {
  block_codec codec;
  std::string raw;      ///< a decompressed block, or one frame
  block_frames frames;  ///< the frame table of the block being read
  /// The record being decoded (a pointer, so that a cursor can keep a
  /// match by swapping in another event's storage).
  std::unique_ptr<model::event> event = std::make_unique<model::event>();
  record_reader records;  ///< decodes records (block/record.h)
};

/// Scans one block: decodes its records (only the candidate's `wanted`
/// ones when listed, decompressing only their frames), keeps those in the
/// plan's range that the tier's filter matches, calling `on_match(event)`
/// for each. Damaged blocks, frames or records are reported into
/// `warnings` (naming the partition, block, frame or record).
template <class F>
void scan_block(const plan& p, const candidate& c, scan_scratch& s,
                std::vector<std::string>& warnings, F&& on_match);

/// The raw events an event stands for: 1, or an aggregate row's `events`.
std::uint64_t weight_of(const model::event& e, const resolution& r);

/// Non-template part of scan_block: fills `s.raw` with the whole block's
/// records; false (with a warning) when the block is unreadable.
bool load_block(const candidate& c, scan_scratch& s, std::vector<std::string>& warnings);

/// "<partition dir> block #<n>", how damage is located.
std::string block_where(const candidate& c);

}  // namespace coop::tm::detail

#include "query/scan.inl"
