// The "machine" object every benchmark's JSON carries: cores, CPU model,
// kernel, compiler, build type, whether assertions are on, the load average
// when it started, the date and the mode it ran in. The build type comes
// from COOP_BENCH_BUILD_TYPE, which each benchmark target defines.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace coop::bench {

/// The machine description, with `mode` ("quick", "smoke", ...).
nlohmann::ordered_json machine_info(const std::string& mode);

}  // namespace coop::bench
