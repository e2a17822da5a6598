// Compiler of the filter language: from the checked AST to one program per
// event type (constant-folding `type` tests and predicates on fields a type
// lacks), plus the lookup tables by schema pointer and by type name.
#pragma once

#include <memory>

#include "coop/model/filter.h"
#include "coop/model/result.h"
#include "filter/checker.h"
#include "filter/program.h"

namespace coop::model::filter_impl {

/// Fills `p.programs`, `p.by_ptr`, `p.by_name`, `p.unknown`, `p.matchable`
/// and `p.operands` from `c`, the checked form of `p.ast`. Errors:
/// overloaded when the programs exceed limits.max_program_nodes.
result<void> compile(program& p, checked&& c, const filter_limits& limits);

}  // namespace coop::model::filter_impl
