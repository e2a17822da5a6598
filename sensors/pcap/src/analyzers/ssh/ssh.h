// Internal: the SSH analyzer (ssh_login events).
// One instance per connection; single-threaded.
#pragma once

#include <memory>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A new SSH analyzer.
std::unique_ptr<app_analyzer> make_ssh();

}  // namespace coop::sensor::detail
