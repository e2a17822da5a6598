// Ready-made sinks for importers: JSON lines and binary event streams
// (through libevent-model's JSON encoder and stream_writer), an in-memory
// collector and a counter. Problems go to an optional callback. Each sink
// is a resource used by one thread at a time; the streams they write to
// must outlive them.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "coop/importer/importer.h"
#include "coop/model/codec.h"
#include "coop/model/event.h"
#include "coop/model/result.h"

namespace coop::importer {

/// Called with every problem a sink receives; may be empty.
using problem_handler = std::function<void(const problem&)>;

/// Writes each event as one JSON line (coop::model::to_json) to a stream.
class json_lines_sink final : public sink {
 public:
  /// Writes to `out`, which must outlive the sink; problems go to `on_problem`.
  explicit json_lines_sink(std::ostream& out, problem_handler on_problem = {});
  /// Errors: those of to_json (an event that does not conform), io when the
  /// stream fails.
  model::result<void> on_event(const model::event& e) override;
  void on_problem(const problem& p) override;

 private:
  std::ostream& out_;
  problem_handler handler_;
  std::string buffer_;
};

/// Writes events as a binary event stream (coop::model::stream_writer) that
/// stream_reader and `coop-tm ingest` read.
class binary_sink final : public sink {
 public:
  /// Writes to `out`, which must outlive the sink; problems go to `on_problem`.
  explicit binary_sink(std::ostream& out, problem_handler on_problem = {});
  /// Errors: those of stream_writer::write.
  model::result<void> on_event(const model::event& e) override;
  void on_problem(const problem& p) override;
  /// Flushes the stream. Errors: io.
  model::result<void> flush();

 private:
  model::stream_writer writer_;
  problem_handler handler_;
};

/// Keeps copies of every event and problem, for tests and small inputs.
class collecting_sink final : public sink {
 public:
  model::result<void> on_event(const model::event& e) override;
  void on_problem(const problem& p) override;
  std::vector<model::event> events;    ///< In the order produced.
  std::vector<problem> problems;       ///< In the order reported.
};

/// Counts events and problems without keeping them (benchmarks).
class counting_sink final : public sink {
 public:
  model::result<void> on_event(const model::event& e) override;
  void on_problem(const problem& p) override;
  std::uint64_t events = 0;    ///< Events received.
  std::uint64_t problems = 0;  ///< Problems received.
  std::uint64_t fields = 0;    ///< Fields set (not none) over all events, so work is not optimised away.
};

}  // namespace coop::importer
