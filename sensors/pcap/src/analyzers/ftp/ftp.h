// Internal: the FTP control-channel analyzer (ftp_command events).
// One instance per connection; single-threaded.
#pragma once

#include <memory>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A new FTP analyzer.
std::unique_ptr<app_analyzer> make_ftp();

}  // namespace coop::sensor::detail
