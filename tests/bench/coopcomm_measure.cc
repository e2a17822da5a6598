// coop-bench-coopcomm: the measuring loops shared by every system (flat-out
// throughput, paced one-way latency), the receive tally, and the machine
// description.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

#include "coopcomm_bench.h"

#ifndef COOP_BENCH_BUILD_TYPE
#define COOP_BENCH_BUILD_TYPE "unknown"
#endif

namespace coop::bench::comm {

std::int64_t mono_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void progress(const std::string& line) {
  std::fprintf(stderr, "coop-bench-coopcomm: %s\n", line.c_str());
  std::fflush(stderr);
}

void die(const std::string& what) {
  std::fprintf(stderr, "coop-bench-coopcomm: %s\n", what.c_str());
  std::exit(1);
}

namespace {
// Scratch directories still to remove if the program exits through die().
std::vector<std::filesystem::path>& live_dirs() {
  static std::vector<std::filesystem::path> dirs;
  return dirs;
}
void remove_live_dirs() {
  for (const auto& d : live_dirs()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}
}  // namespace

scratch_dir::scratch_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "coop-bench-comm-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    die("cannot create a temporary directory " + tmpl + ": " + std::strerror(errno));
  path_ = tmpl;
  // The list is constructed before the handler is registered, so that it
  // is destroyed after the handler ran.
  static const bool registered = [] {
    live_dirs();
    return std::atexit(remove_live_dirs) == 0;
  }();
  (void)registered;
  live_dirs().push_back(path_);
}

scratch_dir::~scratch_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  auto& d = live_dirs();
  d.erase(std::remove(d.begin(), d.end(), path_), d.end());
}

// ------------------------------------------------------------------ tally

void tally::reset(std::uint8_t phase, std::size_t samples) {
  phase_.store(phase, std::memory_order_release);
  sampling_.store(std::min(samples, max_samples), std::memory_order_release);
  last_ns_.store(0, std::memory_order_release);
  delivered_.store(0, std::memory_order_release);
}

void tally::on_message(const char* data, std::size_t size) noexcept {
  if (size < header_bytes) return;
  if (static_cast<std::uint8_t>(data[8]) != phase_.load(std::memory_order_acquire)) return;
  const std::int64_t now = mono_ns();
  // One receiving thread per transport: a plain load and store are enough
  // for the index; the release store publishes the sample to the reader.
  const std::uint64_t i = delivered_.load(std::memory_order_relaxed);
  if (i < sampling_.load(std::memory_order_relaxed)) {
    std::int64_t sent = 0;
    std::memcpy(&sent, data, sizeof sent);
    samples_[i] = now - sent;
  }
  last_ns_.store(now, std::memory_order_relaxed);
  delivered_.store(i + 1, std::memory_order_release);
}

std::vector<std::int64_t> tally::samples() const {
  const auto n = std::min<std::uint64_t>(delivered(), sampling_.load(std::memory_order_acquire));
  return {samples_.get(), samples_.get() + n};
}

// ------------------------------------------------------------------ loops

namespace {

std::string payload_of(std::size_t size, std::uint8_t phase) {
  std::string p(std::max(size, header_bytes), 'x');
  p[8] = static_cast<char>(phase);
  return p;
}

void stamp(std::string& p) {
  const std::int64_t now = mono_ns();
  std::memcpy(p.data(), &now, sizeof now);
}

// Waits until `expected` messages arrived or nothing arrived for `quiet`
// seconds (what is missing then was dropped somewhere).
void await_deliveries(const tally& t, std::uint64_t expected, double quiet) {
  std::uint64_t seen = t.delivered();
  auto changed = mono_ns();
  const auto quiet_ns = static_cast<std::int64_t>(quiet * 1e9);
  while (seen < expected) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const auto now_seen = t.delivered();
    if (now_seen != seen) {
      seen = now_seen;
      changed = mono_ns();
    } else if (mono_ns() - changed > quiet_ns) {
      return;
    }
  }
}

// The shortest sleep of the pacer. On the 2-core virtual machine of
// docs/performance.md a nanosleep costs about 30 us of CPU however short it
// is (35,000 sleeps of 2 us a second keep a core busy): sleeping until each
// message was due (every 2 to 4 us at the rates measured) took most of a core
// from the systems under test. So the pacer sleeps at least 100 us, then
// sends every message whose time has come (at 250,000 msgs/s, bursts of about
// 25), each stamped when it is sent.
constexpr std::int64_t min_pace_sleep_ns = 100'000;

double percentile_us(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  const std::size_t i = std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1);
  return static_cast<double>(sorted[i]) / 1000.0;
}

}  // namespace

throughput_result measure_throughput(transport& t, std::uint8_t phase, std::size_t size,
                                     std::uint64_t count, double time_cap, double quiet) {
  throughput_result r;
  r.size = size;
  std::string p = payload_of(size, phase);
  t.received().reset(phase, 0);
  t.begin_phase();
  const std::int64_t start = mono_ns();
  const auto cap_ns = static_cast<std::int64_t>(time_cap * 1e9);
  for (std::uint64_t i = 0; i < count; ++i) {
    stamp(p);
    if (t.send(p))
      ++r.sent;
    else
      ++r.send_errors;
    if ((i & 1023) == 1023 && mono_ns() - start > cap_ns) break;
  }
  r.send_seconds = static_cast<double>(mono_ns() - start) / 1e9;
  t.finish();
  await_deliveries(t.received(), r.sent, quiet);
  r.delivered = t.received().delivered();
  const auto last = t.received().last_ns();
  r.seconds = last > start ? static_cast<double>(last - start) / 1e9 : 0;
  r.msgs_per_s = r.seconds > 0 ? static_cast<double>(r.delivered) / r.seconds : 0;
  r.counters = t.counters();
  return r;
}

latency_result measure_latency(transport& t, std::uint8_t phase, double rate, double seconds,
                               double quiet, double warmup) {
  latency_result r;
  r.offered_per_s = rate;
  const auto total = static_cast<std::uint64_t>(std::max(1.0, rate * seconds));
  std::string p = payload_of(128, phase);
  t.received().reset(phase, total);
  t.begin_phase();
  const std::int64_t start = mono_ns();
  const double interval_ns = 1e9 / rate;
  std::uint64_t i = 0;
  while (i < total) {
    const std::int64_t now = mono_ns();
    // Every message whose time has come goes now (a burst after each
    // sleep); then sleep until the next one is due, at least
    // min_pace_sleep_ns.
    const auto due = std::min<std::uint64_t>(
        total, static_cast<std::uint64_t>(static_cast<double>(now - start) / interval_ns) + 1);
    for (; i < due; ++i) {
      stamp(p);
      if (t.send(p)) ++r.sent;
    }
    if (i >= total) break;
    const auto next = start + static_cast<std::int64_t>(static_cast<double>(i) * interval_ns);
    auto wait = next - mono_ns();
    if (wait > 0) {
      wait = std::max(wait, min_pace_sleep_ns);
      timespec ts{static_cast<time_t>(wait / 1000000000), static_cast<long>(wait % 1000000000)};
      ::nanosleep(&ts, nullptr);
    }
  }
  const double send_seconds = static_cast<double>(mono_ns() - start) / 1e9;
  r.achieved_per_s = send_seconds > 0 ? static_cast<double>(r.sent) / send_seconds : 0;
  t.finish();
  await_deliveries(t.received(), r.sent, quiet);
  r.delivered = t.received().delivered();
  auto s = t.received().samples();
  const auto skip = static_cast<std::size_t>(warmup * static_cast<double>(s.size()));
  s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(skip));
  std::sort(s.begin(), s.end());
  r.samples = s.size();
  r.p50_us = percentile_us(s, 0.50);
  r.p90_us = percentile_us(s, 0.90);
  r.p99_us = percentile_us(s, 0.99);
  r.p999_us = percentile_us(s, 0.999);
  r.max_us = s.empty() ? 0 : static_cast<double>(s.back()) / 1000.0;
  r.counters = t.counters();
  return r;
}

}  // namespace coop::bench::comm
