// Shared pieces of coop-bench-timemachine: fatal errors and the three
// clocks every timed phase reads (wall, this thread's CPU, the whole
// process's CPU, which includes the store's background threads).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "coop/model/result.h"

namespace coop::bench::tm {

/// Prints "coop-bench-timemachine: <what>" on stderr and exits with status 1.
[[noreturn]] void die(const std::string& what);

/// The value of `r`, or die() naming `what` and the error.
template <class T>
T expect(model::result<T> r, std::string_view what) {
  if (!r) die(std::string(what) + ": " + r.err().to_string());
  return std::move(r).value();
}

/// Dies unless `r` succeeded.
void check(const model::result<void>& r, std::string_view what);

/// A reading of the three clocks, in seconds, and of the bytes the process
/// has caused to be written to storage (/proc/self/io write_bytes; 0 where
/// unavailable), which shows write amplification.
struct clocks {
  double wall = 0;
  double thread_cpu = 0;
  double process_cpu = 0;
  double written = 0;
  static clocks now();
  clocks operator-(const clocks& o) const {
    return {wall - o.wall, thread_cpu - o.thread_cpu, process_cpu - o.process_cpu,
            written - o.written};
  }
  clocks& operator+=(const clocks& o) {
    wall += o.wall, thread_cpu += o.thread_cpu, process_cpu += o.process_cpu,
        written += o.written;
    return *this;
  }
};

}  // namespace coop::bench::tm
