#include "session/context.h"

#include <utility>

namespace coop::importer::detail {

tally& context::kind(std::string_view name) {
  auto it = sum.kinds.find(name);
  if (it == sum.kinds.end()) it = sum.kinds.emplace(std::string(name), tally{}).first;
  return it->second;
}

std::uint64_t& context::counter(std::string_view name) {
  auto it = sum.events.find(name);
  if (it == sum.events.end()) it = sum.events.emplace(std::string(name), 0).first;
  return it->second;
}

std::shared_ptr<const model::schema> context::schema(std::string_view name) const {
  return reg.find(name);
}

void context::skip(tally& t, std::uint64_t line, std::string message) {
  ++t.skipped;
  out.on_problem(problem{file, line, std::move(message), true});
}

void context::warn(std::uint64_t line, std::string message) {
  out.on_problem(problem{file, line, std::move(message), false});
}

model::timestamp context::now() const {
  if (opt.clock != nullptr) return opt.clock->now();
  return model::system_clock().now();
}

}  // namespace coop::importer::detail
