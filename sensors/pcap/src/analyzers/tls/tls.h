// Internal: the TLS analyzer (tls_handshake events: version and SNI).
// One instance per connection; single-threaded.
#pragma once

#include <memory>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A new TLS analyzer.
std::unique_ptr<app_analyzer> make_tls();

}  // namespace coop::sensor::detail
