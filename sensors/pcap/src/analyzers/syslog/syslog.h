// Internal: the syslog analyzer, UDP and TCP (syslog_message events).
// One instance per connection; single-threaded.
#pragma once

#include <memory>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A new syslog analyzer.
std::unique_ptr<app_analyzer> make_syslog();

}  // namespace coop::sensor::detail
