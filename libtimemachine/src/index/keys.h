// Index keys: which keys an event is indexed under, and which key ranges a
// query's filter hints translate to. A key is one kind byte then the value
// in an order-preserving encoding:
//   'a' + 16 address bytes (IPv4-mapped)         every address-typed field
//   'p' + transport byte + 2-byte port (BE)       every port-typed field
//   's' + field name + NUL + the string           configured string fields
//   't' + event type name                         every event
// Connection uids are not in the index: each block carries a Bloom filter
// of its uids instead (docs/timemachine.md, "Indexes").
#pragma once

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

/// Appends the index keys of `e` to `out` (duplicates possible).
void index_keys(const model::event& e, const index_config& cfg, std::vector<std::string>& out);

/// The key of event type `name`.
std::string type_key(std::string_view name);

/// A lookup: the exact key `lo` (when hi is empty), or every key in
/// [lo, hi] (inclusive), or a connection uid.
struct key_probe {
  std::string lo;
  std::string hi;
  std::optional<std::string> uid;
};

/// Translates the filter's hints into probes whose union contains every
/// block with a match; nullopt when some term is not indexed (scan).
std::optional<std::vector<key_probe>> probes_for(const model::filter_hints& hints,
                                                 const index_config& cfg);

}  // namespace coop::tm::detail
