// Private: the comparisons of a STIX 2.1 pattern that name one exact value
// ("[ipv4-addr:value = '198.51.100.1' OR file:hashes.'SHA-256' = '...']"),
// mapped to Zeek Intel types. Other comparisons (MATCHES, LIKE, !=, ...)
// are not indicators and are counted. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coop::importer::hotlist {

/// One exact-value comparison of a pattern.
struct pattern_value {
  std::string value;      ///< Unquoted (STIX escapes undone), normalised (hashes lower case).
  std::string_view type;  ///< indicator_type label; never empty.
};

/// The result of reading a pattern.
struct pattern_reading {
  std::vector<pattern_value> values;  ///< In pattern order, duplicates removed.
  std::size_t other = 0;              ///< Comparisons that are not exact indicator values.
  std::string error;                  ///< Non-empty if the pattern is malformed.
};

/// Reads `pattern`.
pattern_reading read_pattern(std::string_view pattern);

}  // namespace coop::importer::hotlist
