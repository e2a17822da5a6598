// Clocks, progress, the machine description, scratch directories and the
// running of external programs (tshark, awk) with their resource use.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "sensors_bench.h"

#ifndef COOP_BENCH_BUILD_TYPE
#define COOP_BENCH_BUILD_TYPE "unknown"
#endif

extern char** environ;

namespace coop::bench::sensors {
namespace {

std::int64_t read_clock(clockid_t id) noexcept {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The scratch directory alive now, removed by die() too (exit skips destructors).
const std::filesystem::path* live_scratch = nullptr;

double seconds_of(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

std::int64_t mono_ns() noexcept { return read_clock(CLOCK_MONOTONIC); }
std::int64_t thread_cpu_ns() noexcept { return read_clock(CLOCK_THREAD_CPUTIME_ID); }

void progress(const std::string& line) {
  std::fprintf(stderr, "coop-bench-sensors: %s\n", line.c_str());
  std::fflush(stderr);
}

void die(const std::string& what) {
  std::fprintf(stderr, "coop-bench-sensors: %s\n", what.c_str());
  if (live_scratch != nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(*live_scratch, ec);
  }
  std::exit(1);
}

scratch_dir::scratch_dir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "coop-bench-sensors-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) die("cannot create a directory under " + tmpl);
  path_ = tmpl;
  live_scratch = &path_;
}

scratch_dir::~scratch_dir() {
  live_scratch = nullptr;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string find_program(const std::string& program) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/usr/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + program;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

child_run run_child(const std::vector<std::string>& argv, const std::filesystem::path& out,
                    const std::filesystem::path& err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const auto start = mono_ns();
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) die("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  rusage ru{};
  if (::wait4(pid, &status, 0, &ru) != pid) die("wait4 on " + argv[0] + " failed");
  child_run r;
  r.wall_seconds = static_cast<double>(mono_ns() - start) / 1e9;
  r.cpu_seconds = seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
  r.max_rss_kb = static_cast<std::uint64_t>(ru.ru_maxrss);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream e(err);
    std::stringstream text;
    text << e.rdbuf();
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    die(cmd + " failed (status " + std::to_string(status) + "):\n" + text.str());
  }
  return r;
}

}  // namespace coop::bench::sensors
