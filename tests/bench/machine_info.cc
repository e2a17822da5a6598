// The "machine" object of the benchmarks' JSON (see machine_info.h).
#include "machine_info.h"

#include <sys/utsname.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

namespace coop::bench {

nlohmann::ordered_json machine_info(const std::string& mode) {
  nlohmann::ordered_json j;
  j["nproc"] = std::thread::hardware_concurrency();
  std::string cpu = "unknown";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) cpu = line.substr(colon + 2);
      break;
    }
  }
  j["cpu"] = cpu;
  utsname u{};
  if (::uname(&u) == 0) j["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
#if defined(__clang__)
  j["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  j["compiler"] = std::string("gcc ") + __VERSION__;
#endif
  j["build_type"] = COOP_BENCH_BUILD_TYPE;
#ifdef NDEBUG
  j["assertions"] = false;
#else
  j["assertions"] = true;
#endif
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3) j["loadavg_1min_at_start"] = load[0];
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  j["date"] = date;
  j["mode"] = mode;
  return j;
}

}  // namespace coop::bench
