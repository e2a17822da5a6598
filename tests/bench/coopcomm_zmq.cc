// coop-bench-coopcomm: ZeroMQ PUB/SUB over TCP on 127.0.0.1, WITHOUT any
// encryption or authentication ("zmq_plain"): a floor for what a message
// bus costs on this machine, not a like-for-like secure alternative. One
// context with one I/O thread; the subscriber reads on a thread of its own.
// High-water marks are raised to 100,000 messages on both sides (the default
// of 1,000 drops most of a burst); PUB still drops silently beyond them.
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "coopcomm_bench.h"

namespace coop::bench::comm {
namespace {

constexpr int high_water_mark = 100000;

class zmq_transport final : public transport {
 public:
  ~zmq_transport() override {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    if (pub_) zmq_close(pub_);
    if (sub_) zmq_close(sub_);
    if (ctx_) zmq_ctx_term(ctx_);
  }

  std::string name() const override { return "zmq_plain"; }
  std::string describe() const override {
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    return "ZeroMQ " + std::to_string(major) + "." + std::to_string(minor) + "." +
           std::to_string(patch) +
           " PUB/SUB over plain TCP (no TLS, no CURVE, no authentication), HWM " +
           std::to_string(high_water_mark) + " messages";
  }

  bool send(std::string_view payload) override {
    return zmq_send(pub_, payload.data(), payload.size(), 0) >= 0;
  }
  void finish() override {}
  void begin_phase() override {}
  nlohmann::ordered_json counters() override { return nlohmann::ordered_json::object(); }

  bool start() {
    ctx_ = zmq_ctx_new();
    if (!ctx_) return say("zmq_ctx_new");
    pub_ = zmq_socket(ctx_, ZMQ_PUB);
    sub_ = zmq_socket(ctx_, ZMQ_SUB);
    if (!pub_ || !sub_) return say("zmq_socket");
    const int hwm = high_water_mark, linger = 0, timeout_ms = 50;
    if (zmq_setsockopt(pub_, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(pub_, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sub_, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(sub_, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sub_, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms) != 0 ||
        zmq_setsockopt(sub_, ZMQ_SUBSCRIBE, "", 0) != 0)
      return say("zmq_setsockopt");
    if (zmq_bind(pub_, "tcp://127.0.0.1:*") != 0) return say("zmq_bind tcp://127.0.0.1:*");
    char endpoint[256] = {};
    std::size_t len = sizeof endpoint;
    if (zmq_getsockopt(pub_, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
      return say("zmq_getsockopt ZMQ_LAST_ENDPOINT");
    if (zmq_connect(sub_, endpoint) != 0) return say(std::string("zmq_connect ") + endpoint);
    reader_ = std::thread([this] { read_loop(); });
    // A subscriber joins a little after connect (the "slow joiner"): probe
    // with messages of phase 0 (never counted) until one arrives.
    std::string probe(header_bytes, '\0');
    for (int i = 0; i < 2000 && !joined_; ++i) {
      zmq_send(pub_, probe.data(), probe.size(), 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!joined_) return say("the subscriber did not receive a probe within 10 s");
    return true;
  }

 private:
  bool say(const std::string& what) {
    progress("zmq: " + what + ": " + zmq_strerror(zmq_errno()));
    return false;
  }

  void read_loop() {
    std::vector<char> buf(1 << 20);
    while (!stop_) {
      const int n = zmq_recv(sub_, buf.data(), buf.size(), 0);
      if (n < 0) continue;  // timeout (checks stop_) or interrupted
      joined_ = true;
      received().on_message(buf.data(), std::min<std::size_t>(static_cast<std::size_t>(n), buf.size()));
    }
  }

  void* ctx_ = nullptr;
  void* pub_ = nullptr;
  void* sub_ = nullptr;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> joined_{false};
};

}  // namespace

std::unique_ptr<transport> make_zmq_plain() {
  auto t = std::make_unique<zmq_transport>();
  if (!t->start()) return nullptr;
  return t;
}

}  // namespace coop::bench::comm
