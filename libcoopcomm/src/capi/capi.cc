// The C API (coop/comm.h) over coop::comm::node: opaque handles, integer
// status codes, and no exception out of any function.
#include "coop/comm.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "capi/poll_queue.h"
#include "coop/comm/config.h"
#include "coop/comm/node.h"

namespace cc = coop::comm;

// The status codes are errc's numbers: keep them in step.
static_assert(COOP_COMM_OK == static_cast<int>(cc::errc::ok));
static_assert(COOP_COMM_INVALID_ARGUMENT == static_cast<int>(cc::errc::invalid_argument));
static_assert(COOP_COMM_NOT_FOUND == static_cast<int>(cc::errc::not_found));
static_assert(COOP_COMM_IO == static_cast<int>(cc::errc::io));
static_assert(COOP_COMM_PROTOCOL == static_cast<int>(cc::errc::protocol));
static_assert(COOP_COMM_REFUSED == static_cast<int>(cc::errc::refused));
static_assert(COOP_COMM_TIMEOUT == static_cast<int>(cc::errc::timeout));
static_assert(COOP_COMM_OVERLOADED == static_cast<int>(cc::errc::overloaded));
static_assert(COOP_COMM_TLS == static_cast<int>(cc::errc::tls));
static_assert(COOP_COMM_SIGNATURE == static_cast<int>(cc::errc::signature));
static_assert(COOP_COMM_CLOSED == static_cast<int>(cc::errc::closed));
static_assert(COOP_COMM_UNSUPPORTED == static_cast<int>(cc::errc::unsupported));

struct coop_comm_node {
  coop_comm_node() : queue(COOP_COMM_POLL_QUEUE_MESSAGES, COOP_COMM_POLL_QUEUE_BYTES) {}

  // Declared before `site`, so it outlives the node whose handlers push to it.
  cc::capi::poll_queue queue;
  // The message last polled; the coop_comm_message handed out points into it.
  std::optional<cc::message> current;
  // Last error per calling thread (coop_comm_last_error).
  mutable std::mutex errors_mutex;
  std::map<std::thread::id, std::string> errors;
  std::unique_ptr<cc::node> site;

  int fail(cc::errc code, std::string message) {
    std::lock_guard lock(errors_mutex);
    errors[std::this_thread::get_id()] = std::move(message);
    return static_cast<int>(code);
  }
  int fail(const cc::error& e) { return fail(e.code, e.message); }
};

namespace {

constexpr const char* null_node = "the node is NULL";

void copy_error(const std::string& message, char* err, std::size_t errlen) {
  if (err == nullptr || errlen == 0) return;
  const std::size_t n = std::min(message.size(), errlen - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

std::string_view view_or_empty(const char* s) { return s ? std::string_view(s) : std::string_view(); }

// Runs `f`, turning an escaping exception into a status (it should not
// happen: the C++ API does not throw, but allocation may).
template <class F>
int guarded(coop_comm_node* node, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    try {
      return node->fail(cc::errc::overloaded, "out of memory");
    } catch (...) {
      return COOP_COMM_OVERLOADED;
    }
  } catch (...) {
    try {
      return node->fail(cc::errc::invalid_argument, "unexpected internal error");
    } catch (...) {
      return COOP_COMM_INVALID_ARGUMENT;
    }
  }
}

int status_of(coop_comm_node* node, const cc::result<void>& r) {
  return r.ok() ? COOP_COMM_OK : node->fail(r.err());
}

}  // namespace

extern "C" {

coop_comm_node* coop_comm_start(const char* config_path, char* err, size_t errlen) {
  try {
    if (config_path == nullptr) {
      copy_error("coop_comm_start: config_path is NULL", err, errlen);
      return nullptr;
    }
    auto config = cc::load_config(config_path);
    if (!config) {
      copy_error(config.err().message, err, errlen);
      return nullptr;
    }
    auto handle = std::make_unique<coop_comm_node>();
    auto started = cc::node::start(std::move(*config));
    if (!started) {
      copy_error(started.err().message, err, errlen);
      return nullptr;
    }
    handle->site = std::move(*started);
    copy_error("", err, errlen);
    return handle.release();
  } catch (...) {
    copy_error("coop_comm_start: out of memory", err, errlen);
    return nullptr;
  }
}

int coop_comm_publish(coop_comm_node* node, const char* topic, const char* content_type,
                      const void* payload, size_t len) {
  if (node == nullptr) return COOP_COMM_INVALID_ARGUMENT;
  return guarded(node, [&]() -> int {
    if (topic == nullptr) return node->fail(cc::errc::invalid_argument, "publish: topic is NULL");
    if (payload == nullptr && len != 0)
      return node->fail(cc::errc::invalid_argument, "publish: payload is NULL but len is " +
                                                        std::to_string(len));
    const std::string_view bytes(static_cast<const char*>(payload), payload ? len : 0);
    return status_of(node, node->site->publish(topic, view_or_empty(content_type), bytes));
  });
}

int coop_comm_send(coop_comm_node* node, const char* site, const char* topic,
                   const char* content_type, const void* payload, size_t len) {
  if (node == nullptr) return COOP_COMM_INVALID_ARGUMENT;
  return guarded(node, [&]() -> int {
    if (site == nullptr) return node->fail(cc::errc::invalid_argument, "send: site is NULL");
    if (topic == nullptr) return node->fail(cc::errc::invalid_argument, "send: topic is NULL");
    if (payload == nullptr && len != 0)
      return node->fail(cc::errc::invalid_argument, "send: payload is NULL but len is " +
                                                        std::to_string(len));
    const std::string_view bytes(static_cast<const char*>(payload), payload ? len : 0);
    return status_of(node, node->site->send(site, topic, view_or_empty(content_type), bytes));
  });
}

int coop_comm_subscribe(coop_comm_node* node, const char* prefix) {
  if (node == nullptr) return COOP_COMM_INVALID_ARGUMENT;
  return guarded(node, [&]() -> int {
    if (prefix == nullptr)
      return node->fail(cc::errc::invalid_argument, "subscribe: prefix is NULL");
    cc::capi::poll_queue* queue = &node->queue;
    auto id = node->site->subscribe(prefix, [queue](const cc::message& m) { queue->push(m); });
    return id ? COOP_COMM_OK : node->fail(id.err());
  });
}

int coop_comm_poll(coop_comm_node* node, coop_comm_message* out, int timeout_ms) {
  if (node == nullptr) return -COOP_COMM_INVALID_ARGUMENT;
  if (out == nullptr)
    return -node->fail(cc::errc::invalid_argument, "poll: out is NULL");
  try {
    node->current.reset();
    *out = coop_comm_message{};
    auto m = node->queue.pop(std::chrono::milliseconds(timeout_ms));
    if (!m) return 0;
    node->current = std::move(*m);
    const cc::message& c = *node->current;
    out->topic = c.topic.c_str();
    out->origin = c.origin.c_str();
    out->content_type = c.content_type.c_str();
    out->payload = c.payload.c_str();  // NUL-terminated, as documented
    out->len = c.payload.size();
    out->direct = c.direct ? 1 : 0;
    return 1;
  } catch (...) {
    // Only allocation can throw here (moving a message does not).
    return -COOP_COMM_OVERLOADED;
  }
}

void coop_comm_message_release(coop_comm_node* node, coop_comm_message* msg) {
  if (msg != nullptr) *msg = coop_comm_message{};
  if (node != nullptr) node->current.reset();
}

int coop_comm_set_poll_limit(coop_comm_node* node, size_t max_messages, size_t max_bytes) {
  if (node == nullptr) return COOP_COMM_INVALID_ARGUMENT;
  return guarded(node, [&]() -> int {
    if (max_messages == 0 || max_bytes == 0)
      return node->fail(cc::errc::invalid_argument,
                        "set_poll_limit: max_messages and max_bytes must be positive");
    node->queue.set_limits(max_messages, max_bytes);
    return COOP_COMM_OK;
  });
}

uint64_t coop_comm_dropped(const coop_comm_node* node) {
  return node ? node->queue.dropped() : 0;
}

int coop_comm_flush(coop_comm_node* node, int timeout_ms) {
  if (node == nullptr) return COOP_COMM_INVALID_ARGUMENT;
  return guarded(node, [&]() -> int {
    return status_of(node, node->site->flush(std::chrono::milliseconds(std::max(timeout_ms, 0))));
  });
}

const char* coop_comm_last_error(const coop_comm_node* node) {
  if (node == nullptr) return null_node;
  std::lock_guard lock(node->errors_mutex);
  auto it = node->errors.find(std::this_thread::get_id());
  // std::map never moves its elements, so the pointer survives other
  // threads' errors; only this thread's next failure replaces it.
  return it == node->errors.end() ? "" : it->second.c_str();
}

const char* coop_comm_strerror(int status) {
  if (status < 0 && status > -1000) status = -status;
  if (status < COOP_COMM_OK || status > COOP_COMM_UNSUPPORTED) return "unknown";
  return cc::to_string(static_cast<cc::errc>(status));
}

void coop_comm_stop(coop_comm_node* node) {
  if (node == nullptr) return;
  try {
    node->site->stop(std::chrono::seconds(1));
  } catch (...) {
    // stop() does not throw; nothing to report to C if it did.
  }
  delete node;
}

}  // extern "C"
