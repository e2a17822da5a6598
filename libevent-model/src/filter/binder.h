// Binding of one predicate to one field type: decides whether the operator
// and literal are compatible with the field (the type rules of
// docs/filter.md), converts the literal to the field's representation and
// compiles regular expressions (RE2, bounded by filter_limits).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "coop/model/filter.h"
#include "coop/model/result.h"
#include "coop/model/type.h"
#include "filter/ast.h"
#include "filter/program.h"

namespace coop::model::filter_impl {

/// What a predicate's left side is: a field of type `*ty`, or an envelope
/// member (ts: time; uid, site, sensor: string; id: the event id).
struct shape {
  type_kind kind = type_kind::none;
  const type* ty = nullptr;  ///< For enums (labels) and containers (element); may be null.
  bool is_id = false;        ///< The envelope's event id.
};

/// "port", "set[addr]", "enum", "id", ... for messages.
std::string shape_name(const shape& s);

/// Compiled regular expressions by the literal they came from, so a regex
/// is compiled once however many event types use it.
using regex_cache = std::map<const literal*, std::shared_ptr<const re2::RE2>>;

/// Binds predicate `p` (not a `type` test) to a left side of shape `s`.
/// Returns the operand, or nullopt when the predicate can never be true
/// for this shape (e.g. `count_field == -1`). Errors (with the column):
/// invalid_argument for incompatible operands and invalid regexes,
/// not_found for unknown enum labels, overloaded for regex memory.
result<std::optional<operand>> bind(const shape& s, const expr& p, const filter_limits& limits,
                                    regex_cache& regexes);

}  // namespace coop::model::filter_impl
