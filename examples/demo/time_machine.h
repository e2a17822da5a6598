// Step 8 of coop-demo: the connections recorded in a time machine, queried,
// and expired into hourly aggregates.
#pragma once

#include <vector>

#include "coop/model/event.h"
#include "coop/model/schema.h"

namespace coop::demo {

/// Runs the time machine step and prints what happens; returns 0 on
/// success, 1 (after printing why) on failure.
int time_machine_step(const std::vector<model::event>& events, const model::registry& reg);

}  // namespace coop::demo
