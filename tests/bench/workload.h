// The benchmark's workload: a registry holding the standard catalogue and a
// reproducible mix of connection_end events, the most common event at a
// site (one per conn.log row). Generated from a fixed seed before any
// timing starts, so every run and every codec sees the same events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/schema.h"

namespace coop::bench {

/// Positions of the connection_end fields the benchmark reads directly.
struct conn_fields {
  std::size_t orig_h = 0, orig_p = 0, resp_h = 0, resp_p = 0;
  std::size_t orig_bytes = 0, resp_bytes = 0, conn_state = 0, duration = 0;
};

struct workload {
  model::registry types;                      ///< The standard catalogue.
  std::shared_ptr<const model::schema> conn;  ///< connection_end.
  conn_fields at;                             ///< Field positions in `conn`.
  std::vector<model::event> events;           ///< The events, in time order.
};

/// `count` connection_end events generated from `seed`; identical on every
/// platform for the same arguments. Aborts the program (with a message on
/// stderr) if the catalogue lacks a field the generator needs.
workload make_workload(std::size_t count, std::uint64_t seed);

}  // namespace coop::bench
