// Steps 9-12 of coop-demo: three sites over mutual TLS 1.3 (libcoopcomm), a
// hot list shared through a clearing house, and an incident query that the
// answering site's operator approves before its time machine is asked.
#pragma once

#include <vector>

#include "coop/model/event.h"
#include "coop/model/schema.h"

namespace coop::demo {

/// Runs the cooperation steps over `events` (the campus site's recorded
/// connections) and prints what happens; returns 0 on success, 1 after
/// printing why on failure.
int cooperation_step(const std::vector<model::event>& events, const model::registry& reg);

}  // namespace coop::demo
