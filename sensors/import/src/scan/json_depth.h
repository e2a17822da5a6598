// Private: a cheap pre-check that JSON text does not nest deeper than a
// limit, run before handing untrusted text to a JSON parser. Thread-safe.
#pragma once

#include <string_view>

namespace coop::importer::scan {

/// True if arrays and objects in `text` nest at most `limit` deep (strings
/// and their escapes are skipped; the text need not be valid JSON).
inline bool json_depth_ok(std::string_view text, unsigned limit) noexcept {
  unsigned depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace coop::importer::scan
