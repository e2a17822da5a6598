// The output of coop-bench-timemachine: the figures of each part as one
// JSON object (the keys docs/performance.md documents and the smoke test
// checks), the machine it ran on, the targets of the issue, and the same
// as a table for people.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "timemachine_compare.h"
#include "timemachine_retention.h"

namespace coop::bench::tm {

using json = nlohmann::ordered_json;

/// Adds the ingest, lookup and size figures to `out` (rates, latency_ms,
/// ratios, sizes, events, lookups, phases, checksum).
void add_compare(const compare_config& cfg, const compare_result& c, json& out);
/// Adds ratios.retention_vs_discard and the retention details.
void add_retention(const retention_config& cfg, const retention_result& r, json& out);
/// CPU, cores, kernel, compiler, build type, SQLite version, date, mode.
json machine(const std::string& mode);
/// Each target of the issue that was measured, with `met`.
json check_targets(const json& out);
/// The figures as a table on stdout.
void print_table(const json& out);

}  // namespace coop::bench::tm
