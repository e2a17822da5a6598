// The bounded queue behind coop_comm_poll: the node's I/O thread pushes the
// messages of the C API's subscriptions, the polling thread takes them. Full
// (by count or by bytes), it drops the newest message and counts the drop,
// so a program that polls slowly never holds up the node. All members are
// thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "coop/comm/node.h"

namespace coop::comm::capi {

class poll_queue {
 public:
  /// An empty queue holding at most `max_messages` messages and `max_bytes`
  /// bytes (as counted by bytes_of()).
  poll_queue(std::size_t max_messages, std::size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  /// Queues `m`, or drops it (counted) when the queue is full. Returns
  /// whether it was queued.
  bool push(message m);

  /// Takes the oldest message, waiting up to `timeout` (negative: forever,
  /// until a message arrives). Empty when none arrived in time.
  std::optional<message> pop(std::chrono::milliseconds timeout);

  /// Changes the capacity; queued messages stay even if over it.
  void set_limits(std::size_t max_messages, std::size_t max_bytes);

  /// Messages dropped because the queue was full.
  [[nodiscard]] std::uint64_t dropped() const;

  /// What a message counts against the byte limit: its strings and payload.
  static std::size_t bytes_of(const message& m) noexcept;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<message> queue_;
  std::size_t bytes_ = 0;
  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::uint64_t dropped_ = 0;
};

}  // namespace coop::comm::capi
