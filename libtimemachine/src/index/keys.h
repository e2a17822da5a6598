// Index keys: which keys an event is indexed under, and which key ranges a
// query's filter hints translate to. A key is one kind byte then the value
// in an order-preserving encoding:
//   'a' + 16 address bytes (IPv4-mapped)         every address-typed field
//   'p' + transport byte + 2-byte port (BE)       every port-typed field
//   's' + field name + NUL + the string           configured string fields
//   't' + event type name                         every event
// Connection uids are not in the index: each block carries a Bloom filter
// of its uids instead (docs/timemachine.md, "Indexes").
// Postings (the u32 values under a key) have two granularities, decided by
// the key's kind byte: address and string keys are selective, so they post
// (block << 8 | record) and a lookup decodes only the listed records; type
// and port keys are shared by many events of a block and post the block
// number alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/filter.h"

namespace coop::tm::detail {

/// Which string fields are indexed.
struct index_config {
  std::unordered_set<std::string> strings;
};

/// The block-level keys (type and port keys, whose postings name the
/// block) that a block being filled already has: index_keys collects each
/// of them once per block instead of once per event (a block's 256 events
/// share one type key and a few server ports). Clear it for each new block.
/// Not thread-safe: one per block being filled.
class block_key_set {
 public:
  /// True the first time type key `key` is offered since the last clear().
  bool first_type(std::string_view key);
  /// True the first time port `p` (as `proto << 16 | number`) is offered
  /// since the last clear(), and whenever the set is too full to tell.
  bool first_port(std::uint32_t p) noexcept;
  /// Forgets every key: for the next block.
  void clear() noexcept;

 private:
  static constexpr std::size_t slots = 1024;  // ports: open addressing, 0 = empty
  std::vector<std::string> types_;            // a block holds a few types
  std::vector<std::uint32_t> ports_;          // `slots` entries once used
  std::size_t port_count_ = 0;
};

/// Appends the index keys of `e`, record `record` of its block, to `out`
/// (duplicates possible). A key of record granularity carries `record` as
/// one extra last byte (a "tagged" key: see posting_of). With `seen`, a
/// block-level key the block already has is left out.
void index_keys(const model::event& e, const index_config& cfg, std::uint8_t record,
                std::vector<std::string>& out, block_key_set* seen = nullptr);

/// True for the kinds whose postings name a record ('a', 's').
inline bool record_level_kind(char kind) noexcept { return kind == 'a' || kind == 's'; }

/// Most records a block may hold: a record-level posting has 8 bits for it.
inline constexpr std::uint32_t max_block_records = 256;
/// Blocks a partition may hold: a record-level posting has 24 bits for it.
inline constexpr std::uint32_t max_partition_blocks = std::uint32_t{1} << 24;

/// Splits a tagged key (from index_keys) of block `block` into the key
/// stored in the index (into `key`) and the posting value stored under it.
inline std::uint32_t posting_of(std::string_view tagged, std::uint32_t block,
                                std::string_view* key) noexcept {
  if (tagged.size() >= 2 && record_level_kind(tagged[0])) {
    *key = tagged.substr(0, tagged.size() - 1);
    return (block << 8) | static_cast<unsigned char>(tagged.back());
  }
  *key = tagged;
  return block;
}

/// The key of event type `name`.
std::string type_key(std::string_view name);

/// A lookup: the exact key `lo` (when hi is empty), or every key in
/// [lo, hi] (inclusive), or a connection uid.
struct key_probe {
  std::string lo;
  std::string hi;
  std::optional<std::string> uid;
};

/// True when every probe is a key of record granularity (no uid, no
/// type or port key): their postings name records. False for none.
inline bool record_level(const std::vector<key_probe>& probes) noexcept {
  if (probes.empty()) return false;
  for (const auto& p : probes) {
    if (p.uid || p.lo.empty() || !record_level_kind(p.lo[0])) return false;
  }
  return true;
}

/// Translates the filter's hints into probes whose union contains every
/// block with a match; nullopt when some term is not indexed (scan).
std::optional<std::vector<key_probe>> probes_for(const model::filter_hints& hints,
                                                 const index_config& cfg);

}  // namespace coop::tm::detail
