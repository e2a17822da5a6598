// A minimal reader of Zeek conn.log (TSV with #fields/#types headers) that
// turns rows into catalogue connection_end events, for the demo. The full
// importer of every Zeek log arrives with the importers issue.
#pragma once

#include <string>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/result.h"

namespace coop::demo {

/// Reads `path` and returns one connection_end event per row. Rows that do
/// not parse are reported in `skipped` ("file:line: why") and left out.
/// Zeek's test baselines mask the ts column (XXXXXXXXXX.XXXXXX); such rows
/// get `base_ts` plus their row number in seconds.
model::result<std::vector<model::event>> read_conn_log(const std::string& path,
                                                       const model::registry& reg,
                                                       model::timestamp base_ts,
                                                       std::vector<std::string>& skipped);

}  // namespace coop::demo
