// Type checker of the filter language: derives the event types a filter can
// match from its `type` tests, resolves every field path in each of them
// (positions, nested records, envelope fields), checks operands against
// the field types and binds each predicate, per event type, to an operand.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "coop/model/filter.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "filter/ast.h"
#include "filter/program.h"

namespace coop::model::filter_impl {

/// How one predicate evaluates on events of one type.
struct binding {
  enum class kind : std::uint8_t { never, always, test };
  kind k = kind::never;
  field_ref ref;
  const operand* op = nullptr;  ///< Owned by checked::operands.
};

struct checked {
  /// The registry's newest schemas, sorted by name.
  std::vector<std::shared_ptr<const schema>> all;
  /// Indices into `all` of the types the `type` tests allow.
  std::vector<std::uint32_t> candidates;
  /// Whether types unknown to the registry pass the `type` tests.
  bool unknown_candidate = false;
  /// Per predicate: one binding per candidate, then one for unknown types.
  std::unordered_map<const expr*, std::vector<binding>> bindings;
  std::vector<std::shared_ptr<const operand>> operands;
};

/// Checks `root` against the newest schemas of `types`. Errors carry the
/// column: not_found (unknown field, event type or enum label),
/// invalid_argument (incompatible operands, bad regex), overloaded (limits).
result<checked> check(const expr& root, const registry& types, const filter_limits& limits);

}  // namespace coop::model::filter_impl
