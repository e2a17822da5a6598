// rule_set's defaults and lookups (parsing is in parse.cc).
#include <algorithm>

#include "coop/tm/rules.h"

namespace coop::tm {

rule_set::rule_set() { classes_.push_back(storage_class{"default", {}, 0, 0}); }

const storage_class& rule_set::class_of(std::string_view type_name) const noexcept {
  // The default class is last and lists no types, so the loop never picks it
  // by name; a handful of classes makes a linear search the fastest lookup.
  for (const storage_class& c : classes_) {
    if (std::find(c.types.begin(), c.types.end(), type_name) != c.types.end()) return c;
  }
  return classes_.back();
}

class_tiers rule_set::tiers_of(std::string_view name) const {
  for (const class_tiers& t : tiers_) {
    if (t.class_name == name) return t;
  }
  class_tiers out;
  out.class_name = std::string(name);
  out.tiers.push_back(tier{"raw", {}, {}, {}, {}});
  return out;
}

}  // namespace coop::tm
