// The C API's bounded poll queue.
#include "capi/poll_queue.h"

#include <utility>

namespace coop::comm::capi {

std::size_t poll_queue::bytes_of(const message& m) noexcept {
  return m.topic.size() + m.origin.size() + m.content_type.size() + m.payload.size();
}

bool poll_queue::push(message m) {
  const std::size_t n = bytes_of(m);
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_messages_ || bytes_ + n > max_bytes_) {
      ++dropped_;
      return false;
    }
    bytes_ += n;
    queue_.push_back(std::move(m));
  }
  ready_.notify_one();
  return true;
}

std::optional<message> poll_queue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto has = [this] { return !queue_.empty(); };
  if (timeout.count() < 0) {
    ready_.wait(lock, has);
  } else if (!ready_.wait_for(lock, timeout, has)) {
    return std::nullopt;
  }
  message m = std::move(queue_.front());
  queue_.pop_front();
  bytes_ -= bytes_of(m);
  return m;
}

void poll_queue::set_limits(std::size_t max_messages, std::size_t max_bytes) {
  std::lock_guard lock(mutex_);
  max_messages_ = max_messages;
  max_bytes_ = max_bytes;
}

std::uint64_t poll_queue::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace coop::comm::capi
