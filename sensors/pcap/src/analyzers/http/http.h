// Internal: the HTTP/1.x analyzer (http_request and http_reply events).
// One instance per connection; single-threaded.
#pragma once

#include <memory>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A new HTTP analyzer.
std::unique_ptr<app_analyzer> make_http();

}  // namespace coop::sensor::detail
