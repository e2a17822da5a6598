// Parsing of the value syntaxes used in configuration lines: sizes ("8MiB"),
// durations ("30s", "500ms", "1h"), endpoints ("host:port", "[::1]:4740"),
// pins (64 hex digits) and site names. Each returns nullopt on bad input;
// the caller words the error with file and line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "coop/comm/config.h"

namespace coop::comm::config_values {

/// "1024", "64KiB", "8MiB", "1GiB" (also kB/MB/GB as powers of 1000).
std::optional<std::uint64_t> parse_size(std::string_view s);
/// "250ms", "30s", "5m", "1h", "2d".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);
/// "host:port" or "[v6]:port".
std::optional<endpoint> parse_endpoint(std::string_view s);
/// 64 lowercase or uppercase hex digits, returned lowercase.
std::optional<std::string> parse_pin(std::string_view s);
/// 1-64 chars of [A-Za-z0-9._-].
bool valid_site_name(std::string_view s) noexcept;

}  // namespace coop::comm::config_values
