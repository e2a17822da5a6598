// Internal: the SMTP analyzer (smtp_message events; hands STARTTLS sessions to TLS).
// One instance per connection; single-threaded.
#pragma once

#include <memory>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A new SMTP analyzer.
std::unique_ptr<app_analyzer> make_smtp();

}  // namespace coop::sensor::detail
