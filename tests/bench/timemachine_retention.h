// The retention experiment: the same days of connection events go into two
// stores with the same disk budget, one with aggregation tiers (raw for a
// day, hourly aggregates until 14 days, daily ones until two years) and one
// without (expiry under the budget can only drop the oldest partitions).
// After each simulated day a fake clock moves to midnight and expire() runs
// on both. At the end, a day is answerable when a count over it finds
// events at some resolution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "coop/model/schema.h"

namespace coop::bench::tm {

struct retention_config {
  std::size_t days = 90;
  std::size_t day_events = 100'000;  ///< connection_end events per simulated day
  double budget_days = 5;            ///< disk budget, in days of raw data (measured)
  std::size_t batch = 4096;          ///< events per append and commit
  std::uint64_t seed = 1;
  std::filesystem::path dir;         ///< where the stores are created
  /// store_options::compact_sealed of every store (--no-compact: false, to
  /// compare with stores that keep sealed partitions as written).
  bool compact_sealed = true;
};

/// One resolution of a store at the end (from store::stats()).
struct retention_tier {
  std::string name;
  std::uint64_t partitions = 0, bytes = 0, rows = 0, events = 0;
};

/// What one store kept.
struct retention_side {
  std::vector<retention_tier> tiers;
  std::size_t days_answerable = 0;
  std::vector<std::string> day_resolution;  ///< per day: finest tier holding it, or ""
  std::uint64_t max_bytes = 0;              ///< largest size seen after an expiry pass
  std::uint64_t max_bytes_before_expiry = 0;  ///< largest size seen after a day's ingest
  std::uint64_t final_bytes = 0;
  std::uint64_t partitions_aggregated = 0, partitions_dropped = 0, events_aggregated = 0;
  double ingest_s = 0, ingest_cpu_s = 0;  ///< wall and process CPU time
  double expire_s = 0, expire_cpu_s = 0;
};

struct retention_result {
  std::uint64_t day_bytes = 0;     ///< one raw day, measured in a calibration store
  std::uint64_t budget_bytes = 0;
  std::size_t hosts = 0, servers = 0;
  retention_side aggregation, discard;
  std::string rules;               ///< the tiers of the aggregating store
};

/// Runs the experiment (prints progress on stderr).
retention_result run_retention(const retention_config& cfg, const model::registry& types);

}  // namespace coop::bench::tm
