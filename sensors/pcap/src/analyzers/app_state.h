// Internal: per-connection analyzer state: the analyzer (once recognised),
// bytes held while recognising, and in-order reassembly of each TCP
// direction with a bounded out-of-order buffer. Single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// One direction of a TCP byte stream under reassembly.
struct stream_dir {
  bool init = false;
  std::int64_t next = 0;                    ///< Next expected (unwrapped) sequence number.
  std::map<std::int64_t, std::string> ooo;  ///< Segments ahead of `next`.
  std::size_t ooo_bytes = 0;
};

/// Analyzer state of one connection.
struct app_state {
  std::unique_ptr<app_analyzer> a;
  bool given_up = false;                           ///< No analyzer will match.
  std::vector<std::pair<bool, std::string>> held;  ///< (is_orig, bytes) before recognition.
  std::size_t held_bytes = 0;
  stream_dir dir[2];  ///< [0] originator, [1] responder.
};

}  // namespace coop::sensor::detail
