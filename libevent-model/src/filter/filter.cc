// The public face of the filter language (coop/model/filter.h): parse,
// check, compile, then evaluate through the shared immutable program.
#include "coop/model/filter.h"

#include <exception>
#include <memory>
#include <new>
#include <utility>

#include "filter/checker.h"
#include "filter/compiler.h"
#include "filter/parser.h"
#include "filter/program.h"

namespace coop::model {

result<filter> filter::compile(std::string_view text, const registry& types, const filter_limits& limits) {
  try {
    auto parsed = filter_impl::parse(text, limits);
    if (!parsed) return parsed.err();
    auto p = std::make_shared<filter_impl::program>();
    p->text = std::string(text);
    p->ast = std::move(parsed->root);
    p->uses_now = parsed->uses_now;
    // The checker keys its results by AST node address: check the tree
    // where the program will keep it.
    auto checked = filter_impl::check(p->ast, types, limits);
    if (!checked) return checked.err();
    auto compiled = filter_impl::compile(*p, std::move(*checked), limits);
    if (!compiled) return compiled.err();
    return filter(std::shared_ptr<const filter_impl::program>(std::move(p)));
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "column 1: out of memory compiling the filter"};
  } catch (const std::exception& e) {
    return error{errc::invalid_argument, std::string("column 1: cannot compile the filter: ") + e.what()};
  }
}

bool filter::matches(const event& e, timestamp now) const noexcept {
  return program_ != nullptr && filter_impl::evaluate(*program_, e, now);
}

const std::string& filter::text() const noexcept {
  static const std::string empty;
  return program_ ? program_->text : empty;
}

std::vector<std::string> filter::event_types() const {
  return program_ ? program_->matchable : std::vector<std::string>{};
}

bool filter::uses_relative_time() const noexcept { return program_ != nullptr && program_->uses_now; }

bool operator==(const filter& a, const filter& b) noexcept { return a.text() == b.text() && a.valid() == b.valid(); }

}  // namespace coop::model
