// coop-sensor --bench N -r PATH: loads every capture under PATH (a file or
// a directory, recursively) into memory, shifting captures apart in time,
// then runs the sensor over them N times with coop::sensor::run_packets and
// prints packets/s with and without the application analyzers.
#include "bench.h"

#include <coop/model/catalogue.h>
#include <coop/sensor/capture.h>
#include <coop/sensor/sensor.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

int run_bench(const std::string& path, int rounds) {
  std::vector<std::vector<std::uint8_t>> frames;
  std::vector<coop::sensor::packet_view> packets;
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& d : fs::recursive_directory_iterator(path, ec)) {
      if (d.is_regular_file()) files.push_back(d.path());
    }
  } else {
    files.emplace_back(path);
  }
  std::sort(files.begin(), files.end());
  std::int64_t base = 0;
  int captures = 0;
  for (const auto& f : files) {
    auto cap = coop::sensor::capture::open_file(f.string());
    if (!cap) continue;  // not a capture (licences, tables)
    coop::sensor::packet_view p;
    std::int64_t first = -1, last = 0;
    while (true) {
      auto n = cap.value().next(p);
      if (!n || !n.value()) break;
      if (first < 0) first = p.ts_ns;
      last = p.ts_ns - first;
      frames.emplace_back(p.data.begin(), p.data.end());
      packets.push_back({base + last, p.link_type, p.wirelen, {}});
    }
    ++captures;
    base += last + 3'600'000'000'000;  // an hour apart: no connection spans two captures
  }
  for (std::size_t i = 0; i < packets.size(); ++i)
    packets[i].data = {frames[i].data(), frames[i].size()};
  if (packets.empty()) {
    std::fprintf(stderr, "coop-sensor: --bench: no capture found under %s\n", path.c_str());
    return 1;
  }
  coop::model::registry reg;
  (void)coop::model::add_catalogue(reg);
  std::printf("captures %d packets %zu rounds %d\n", captures, packets.size(), rounds);
  for (int with_analyzers = 0; with_analyzers < 2; ++with_analyzers) {
    coop::sensor::sensor_config cfg;
    cfg.analyzers = with_analyzers ? std::uint32_t{coop::sensor::analyze_all} : 0u;
    std::uint64_t n = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      auto s = coop::sensor::run_packets(packets, reg, cfg, {});
      if (!s) {
        std::fprintf(stderr, "coop-sensor: %s\n", s.err().message.c_str());
        return 1;
      }
      n += s.value().packets;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-16s %.0f packets/s\n", with_analyzers ? "all analyzers" : "tracking only",
                static_cast<double>(n) / secs);
  }
  return 0;
}
