// coop-bench-timemachine: libtimemachine against SQLite and Zeek's text
// logs, in the same run, on realistic campus traffic (connection, DNS and
// HTTP events): ingest rate with durable commits, host lookup latency,
// bytes per stored event, and how many days a fixed disk budget keeps
// answerable with aggregation tiers versus discarding the oldest data.
// docs/performance.md ("libtimemachine") explains the figures and records
// the latest ones.
//
//   coop-bench-timemachine [--quick | --smoke] [--json] [--events N] [--compared N]
//       [--batch N] [--lookups N] [--lookup-seconds S] [--days N] [--day-events N]
//       [--budget-days X] [--no-compact] [--seed N] [--dir PATH] [--keep]
//       [--only compare|retention]
#include "timemachine_bench.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "coop/model/catalogue.h"
#include "timemachine_compare.h"
#include "timemachine_report.h"
#include "timemachine_retention.h"

namespace coop::bench::tm {

void die(const std::string& what) {
  std::fprintf(stderr, "coop-bench-timemachine: %s\n", what.c_str());
  std::exit(1);
}

void check(const model::result<void>& r, std::string_view what) {
  if (!r) die(std::string(what) + ": " + r.err().to_string());
}

clocks clocks::now() {
  auto read = [](clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  double written = 0;
  std::ifstream io("/proc/self/io");
  for (std::string line; std::getline(io, line);) {
    if (line.rfind("write_bytes:", 0) == 0) written = std::strtod(line.c_str() + 12, nullptr);
  }
  return {read(CLOCK_MONOTONIC), read(CLOCK_THREAD_CPUTIME_ID), read(CLOCK_PROCESS_CPUTIME_ID),
          written};
}

}  // namespace coop::bench::tm

namespace {

namespace m = coop::model;
using namespace coop::bench::tm;  // NOLINT(google-build-using-namespace)

struct options {
  std::string mode = "default";
  bool json = false;
  bool keep = false;
  std::string only;
  std::string dir;
  compare_config compare;
  retention_config retention;
};

constexpr const char* usage =
    "usage: coop-bench-timemachine [--quick | --smoke] [--json] [options]\n"
    "  --quick           500k events, 100k compared with SQLite with its indexes, lookups\n"
    "                    for at most 8 s, 5k connections a simulated day\n"
    "  --smoke           a tiny run that only checks the program works (seconds)\n"
    "  --json            print one JSON object on stdout instead of a table\n"
    "  --events N        events stored on both sides and looked up (default 10M)\n"
    "  --compared N      of those, the first N are ingested by SQLite with its indexes\n"
    "                    and timed on both sides (default 1M)\n"
    "  --batch N         events per append and per SQLite transaction (default 4096)\n"
    "  --lookups N       host lookups (default 1000)\n"
    "  --lookup-seconds S  stop the lookups after S seconds in all (default 600; 0: never)\n"
    "  --partition-mb N  the Coop store's partition_max_bytes in MiB (default: the\n"
    "                    library's, 512)\n"
    "  --days N          simulated days of the retention experiment (default 90)\n"
    "  --day-events N    connection_end events per simulated day (default 100k)\n"
    "  --budget-days X   the retention disk budget, in days of raw data (default 5)\n"
    "  --no-compact      retention stores keep sealed partitions as written (no\n"
    "                    compaction on seal), for comparison\n"
    "  --seed N          seed of the workload generator\n"
    "  --dir PATH        where the stores and logs are written (default: the temp dir)\n"
    "  --keep            keep them afterwards\n"
    "  --only NAME       run only 'compare' (ingest, sizes, lookups) or 'retention'\n";

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--quick" || a == "--smoke") o.mode = std::string(a.substr(2));
  }
  auto& c = o.compare;
  auto& r = o.retention;
  if (o.mode == "quick") {
    c.events = 500'000, c.compared_events = 100'000, c.lookups = 300, c.lookup_seconds = 8;
    r.day_events = 5'000;
  } else if (o.mode == "default") {
    c.lookup_seconds = 600;
  } else if (o.mode == "smoke") {
    c.events = 20'000, c.compared_events = 8'192, c.lookups = 30;
    r.days = 20, r.day_events = 400;
  }
  auto number = [&](int& i, std::string_view name) -> double {
    char* end = nullptr;
    const double v = i + 1 < argc ? std::strtod(argv[i + 1], &end) : -1;
    if (i + 1 >= argc || end == argv[i + 1] || *end != '\0' || !(v >= 0)) {
      std::fprintf(stderr, "%.*s needs a non-negative number\n%s", static_cast<int>(name.size()),
                   name.data(), usage);
      std::exit(2);
    }
    ++i;
    return v;
  };
  auto count = [&](int& i, std::string_view name) {
    return static_cast<std::size_t>(number(i, name));
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--quick" || a == "--smoke") {
      continue;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--events") {
      c.events = count(i, a);
    } else if (a == "--compared") {
      c.compared_events = count(i, a);
    } else if (a == "--batch") {
      c.batch = r.batch = std::max<std::size_t>(1, count(i, a));
    } else if (a == "--lookups") {
      c.lookups = count(i, a);
    } else if (a == "--lookup-seconds") {
      c.lookup_seconds = number(i, a);
    } else if (a == "--partition-mb") {
      c.partition_max_bytes = std::max<std::uint64_t>(1, count(i, a)) << 20;
    } else if (a == "--days") {
      r.days = std::max<std::size_t>(1, count(i, a));
    } else if (a == "--day-events") {
      r.day_events = std::max<std::size_t>(1, count(i, a));
    } else if (a == "--budget-days") {
      r.budget_days = number(i, a);
    } else if (a == "--no-compact") {
      r.compact_sealed = false;
    } else if (a == "--seed") {
      c.seed = static_cast<std::uint64_t>(number(i, a));
      r.seed = c.seed ^ 0x7e7e;
    } else if ((a == "--dir" || a == "--only") && i + 1 < argc) {
      (a == "--dir" ? o.dir : o.only) = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n%s", argv[i], usage);
      std::exit(2);
    }
  }
  c.compared_events = std::min(c.compared_events, c.events);
  if (!o.only.empty() && o.only != "compare" && o.only != "retention") {
    std::fprintf(stderr, "--only takes 'compare' or 'retention'\n%s", usage);
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse_options(argc, argv);
#ifndef NDEBUG
  std::fprintf(stderr,
               "warning: built with assertions (not Release): figures are not representative\n");
#endif
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path base =
      o.dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(o.dir);
  const auto work = base / ("coop-bench-timemachine-" + std::to_string(::getpid()));
  int status = 0;
  try {
    std::filesystem::remove_all(work);
    std::filesystem::create_directories(work);
    m::registry types;
    check(m::add_catalogue(types), "add_catalogue");
    json out;
    out["ratios"] = json::object();
    out["rates"] = json::object();
    out["latency_ms"] = json::object();
    if (o.only.empty() || o.only == "compare") {
      o.compare.dir = work / "compare";
      std::fprintf(stderr,
                   "%s mode: %zu events (%zu compared with SQLite's indexed ingest), batches of "
                   "%zu; working in %s\n",
                   o.mode.c_str(), o.compare.events, o.compare.compared_events, o.compare.batch,
                   work.c_str());
      const compare_result c = run_compare(o.compare, types);
      add_compare(o.compare, c, out);
      if (c.mismatches > 0) status = 1;
      if (!o.keep) std::filesystem::remove_all(o.compare.dir);
    }
    if (o.only.empty() || o.only == "retention") {
      o.retention.dir = work / "retention";
      const retention_result r = run_retention(o.retention, types);
      add_retention(o.retention, r, out);
    }
    out["machine"] = machine(o.mode);
    out["targets"] = check_targets(out);
    out["seconds"] = std::round(
        10 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()) / 10;
    if (o.json) {
      std::cout << out.dump() << '\n';
    } else {
      print_table(out);
    }
  } catch (const std::exception& e) {
    die(std::string("unexpected exception: ") + e.what());
  }
  if (!o.keep) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  } else {
    std::fprintf(stderr, "kept %s\n", work.c_str());
  }
  if (status != 0) std::fprintf(stderr, "FAILURE: Coop and SQLite disagreed on some lookups\n");
  std::fprintf(stderr, "done in %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return status;
}
