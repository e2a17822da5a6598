// coop-bench-coopcomm: the pieces shared by the three messaging systems it
// compares (Coop over mutual TLS 1.3, NATS with TLS, ZeroMQ PUB/SUB in
// plain TCP). Each system is a `transport`: one publishing connection and one
// subscribing connection on loopback, whose receiving side reports every
// message to a `tally`. The measuring loops (throughput, paced latency) are
// written once against that interface, so every system is timed the same
// way. Threading: `send` and `finish` are called from the benchmark's main
// thread only; `tally::on_message` from the transport's receiving thread (one
// at a time); everything else from the main thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine_info.h"

namespace coop::bench::comm {

/// Nanoseconds on the monotonic clock (std::chrono::steady_clock), the clock
/// that send timestamps in payloads are taken from.
std::int64_t mono_ns() noexcept;

/// Progress on stderr ("coop-bench-coopcomm: ..."), flushed.
void progress(const std::string& line);

/// Prints "coop-bench-coopcomm: <what>" on stderr and exits with status 1
/// (atexit handlers run, so the nats-server child is killed).
[[noreturn]] void die(const std::string& what);

/// A fresh private directory under the system temp dir, removed on
/// destruction (also when the benchmark exits through die()).
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Payload layout of every benchmark message: bytes 0-7 the send time
/// (mono_ns, host order), byte 8 the phase number, then filler. Messages of
/// another phase (late arrivals) are ignored by the tally.
constexpr std::size_t header_bytes = 9;

/// Counts what a subscriber received in the current phase and, while
/// measuring latency, records each message's one-way latency.
class tally {
 public:
  /// The sample buffer is allocated once (never while messages arrive):
  /// latency is recorded for at most this many messages of a phase.
  static constexpr std::size_t max_samples = 4'000'000;

  tally() : samples_(new std::int64_t[max_samples]) {}

  /// Starts phase `phase`: zeroes the counters; `samples` > 0 also records
  /// the latency of up to that many messages (at most max_samples).
  void reset(std::uint8_t phase, std::size_t samples);
  /// Called by the receiving thread for each message (any size; shorter than
  /// header_bytes is ignored).
  void on_message(const char* data, std::size_t size) noexcept;
  /// Messages of the current phase received so far.
  [[nodiscard]] std::uint64_t delivered() const noexcept {
    return delivered_.load(std::memory_order_acquire);
  }
  /// mono_ns of the latest delivery (0: none yet).
  [[nodiscard]] std::int64_t last_ns() const noexcept {
    return last_ns_.load(std::memory_order_acquire);
  }
  /// The latencies recorded (ns), in arrival order; read once the phase is over.
  [[nodiscard]] std::vector<std::int64_t> samples() const;

 private:
  std::atomic<std::uint8_t> phase_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::int64_t> last_ns_{0};
  std::atomic<std::size_t> sampling_{0};
  std::unique_ptr<std::int64_t[]> samples_;
};

/// One system under test: a publisher and a subscriber already connected.
class transport {
 public:
  virtual ~transport() = default;
  /// Short name used in JSON keys ("coop", "nats_tls", "zmq_plain").
  [[nodiscard]] virtual std::string name() const = 0;
  /// How it is secured, for the report.
  [[nodiscard]] virtual std::string describe() const = 0;
  /// Publishes one message; false when the system refused it (counted as a
  /// send error, never retried).
  virtual bool send(std::string_view payload) = 0;
  /// After a phase's sends: pushes out what the publisher still buffers.
  virtual void finish() = 0;
  /// Counters of the system itself over the last phase (drops, ...), added
  /// to the phase's JSON; called after the phase ends.
  virtual nlohmann::ordered_json counters() = 0;
  /// Starts a phase (snapshots the system's counters).
  virtual void begin_phase() = 0;
  /// The tally its subscriber reports to.
  tally& received() { return tally_; }

 private:
  tally tally_;
};

/// Result of one throughput phase.
struct throughput_result {
  std::size_t size = 0;           ///< Payload bytes.
  std::uint64_t sent = 0;         ///< send() calls that succeeded.
  std::uint64_t send_errors = 0;  ///< send() calls that failed.
  std::uint64_t delivered = 0;    ///< Messages the subscriber got.
  double send_seconds = 0;        ///< First send to the return of the last one.
  double seconds = 0;             ///< First send to the last delivery.
  double msgs_per_s = 0;          ///< delivered / seconds.
  nlohmann::ordered_json counters;  ///< transport::counters().
  std::vector<double> round_rates;  ///< msgs_per_s of every round, in order (median_throughput).
};

/// Result of one paced latency phase.
struct latency_result {
  double offered_per_s = 0;   ///< The rate asked for.
  double achieved_per_s = 0;  ///< Messages sent / sending time.
  std::uint64_t sent = 0, delivered = 0, samples = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  nlohmann::ordered_json counters;
};

/// Sends `count` messages of `size` bytes as fast as send() returns (or until
/// `time_cap` seconds passed), then waits until all arrived or none arrived
/// for `quiet` seconds.
throughput_result measure_throughput(transport& t, std::uint8_t phase, std::size_t size,
                                     std::uint64_t count, double time_cap, double quiet);

/// Sends 128-byte messages paced at `rate` per second for `seconds`, each
/// stamped with its send time, and reports the one-way latency percentiles
/// of those delivered (the first `warmup` fraction of the samples left out).
latency_result measure_latency(transport& t, std::uint8_t phase, double rate, double seconds,
                               double quiet, double warmup);

/// The systems. Each returns nullptr after printing why (on stderr) when it
/// cannot be set up; the benchmark then fails.
/// `limits`: "NAME VALUE" lines added to both sites' configuration as
/// `limit NAME VALUE` (docs/protocol.md), e.g. "inbox-bytes 1MiB".
std::unique_ptr<transport> make_coop(const std::filesystem::path& dir,
                                     const std::vector<std::string>& limits);
std::unique_ptr<transport> make_nats_tls(const std::filesystem::path& dir,
                                         const std::string& server_program);
std::unique_ptr<transport> make_zmq_plain();

using coop::bench::machine_info;  // the "machine" object (machine_info.h)

}  // namespace coop::bench::comm
