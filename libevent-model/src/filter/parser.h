// Recursive-descent parser of the filter language: text to AST. Bounded on
// hostile input: the text length, nesting depth, set sizes and regular
// expressions are checked against filter_limits, so parsing never
// overflows the stack and runs in time linear in the text.
#pragma once

#include <string_view>

#include "coop/model/filter.h"
#include "coop/model/result.h"
#include "filter/ast.h"

namespace coop::model::filter_impl {

struct parsed {
  expr root;
  bool uses_now = false;
};

/// Parses `text`. Errors: invalid_argument (syntax, with the column),
/// overloaded (a limit, with the column where it was exceeded).
result<parsed> parse(std::string_view text, const filter_limits& limits);

}  // namespace coop::model::filter_impl
