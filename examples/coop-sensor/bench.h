// The --bench mode of coop-sensor (see bench.cc). Single-threaded.
#pragma once

#include <string>

/// Loads the captures under `path` and prints the sensor's packets/s over
/// `rounds` runs; returns the exit status.
int run_bench(const std::string& path, int rounds);
