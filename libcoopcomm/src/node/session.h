// One TLS connection to a peer: the TLS 1.3 handshake, the hello exchange,
// then frames both ways. Reads and writes are asynchronous on the node's I/O
// thread; the outbound queue is bounded in bytes and overflows by each
// item's policy. Timers cut off a peer that does not finish its handshake,
// stays silent past the idle timeout, or stops in the middle of a frame.
#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <capnp/common.h>

#include <chrono>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "node/node_impl.h"

namespace coop::comm {

class session : public std::enable_shared_from_this<session> {
 public:
  enum class phase { handshaking, hello, up, closing, closed };

  /// `expected`: the link this site dialled (null for an accepted connection).
  session(node_impl& owner, tcp::socket socket, link* expected);

  void start();
  /// Queues an item; applies the overflow policy. False when it was dropped.
  bool enqueue(queued_item q);
  /// Queues a control frame (hello, subscriptions, ping, refusal, bye) ahead of items.
  void send_control(std::string frame);
  /// Sends a refusal frame and closes after it is written.
  void refuse_and_close(std::uint16_t code, const std::string& reason);
  /// An envelope this session read has been handled (I/O thread): `frame`,
  /// its buffer, can be read into again, and reading resumes if it waited.
  void envelope_done(std::shared_ptr<wire_io::word_buffer> frame);
  /// Closes, as close(), once the envelopes already handed over for
  /// checking are handled (so a peer's last messages are delivered before
  /// it is reported down); reads nothing more meanwhile.
  void end_reading(const std::string& reason, bool graceful = false);
  /// Cuts the peer off for a malformed frame or a protocol violation.
  void protocol_error(const std::string& reason);
  /// Closes now (or after the pending writes when `graceful`).
  void close(const std::string& reason, bool graceful = false);

  [[nodiscard]] phase state() const noexcept { return phase_; }
  [[nodiscard]] const std::string& peer() const noexcept { return peer_; }
  [[nodiscard]] link* peer_link() const noexcept { return link_; }
  [[nodiscard]] bool dialled() const noexcept { return dialled_; }
  [[nodiscard]] bool relays() const noexcept { return peer_relays_; }
  [[nodiscard]] std::size_t queue_bytes() const noexcept { return queue_bytes_; }
  /// The largest frame this peer accepts (its hello, within our own limit).
  [[nodiscard]] std::size_t peer_max_frame() const noexcept { return peer_max_frame_; }
  [[nodiscard]] bool writing() const noexcept { return writing_; }
  [[nodiscard]] const std::string& address() const noexcept { return address_; }
  /// True when more of the peer's input is already here (in the socket or
  /// decrypted by TLS), so that verifying meanwhile on another thread pays.
  [[nodiscard]] bool input_waiting();
  /// True when the peer took output recently (or has nothing waiting): a
  /// peer that stopped reading is not waited for.
  [[nodiscard]] bool draining() const noexcept {
    return !writing_ || std::chrono::steady_clock::now() - last_write_ < std::chrono::seconds(1);
  }

  /// The prefixes the peer subscribed to.
  std::vector<std::string> subscriptions;
  /// For each prefix, the relays between the peer and its subscriber (0:
  /// the peer's own subscription).
  std::vector<std::uint8_t> distances;
  /// The set this site last advertised to the peer, with distances.
  std::vector<std::pair<std::string, std::uint8_t>> advertised;

 private:
  void on_handshake(const boost::system::error_code& ec);
  void read_header();
  /// read_header(), unless too many envelopes of this peer are still being
  /// checked (then envelope_done resumes).
  void continue_reading();
  void read_body(std::size_t n);
  void on_frame();
  void handle_hello(const std::string& site, std::uint16_t min_v, std::uint16_t max_v,
                    std::uint32_t max_frame, bool relay);
  void write_next();
  /// Appends frames of queued items to `out`, about `budget` bytes.
  void compose_items(std::size_t budget, std::string& out);
  void arm_idle();
  void arm_keepalive();
  bool rate_allows_read(std::size_t items, std::size_t bytes);

  node_impl& owner_;
  asio::ssl::stream<tcp::socket> stream_;
  asio::steady_timer handshake_timer_;
  asio::steady_timer idle_timer_;
  asio::steady_timer keepalive_timer_;
  asio::steady_timer rate_timer_;
  asio::steady_timer linger_timer_;  // bounds a graceful close
  link* link_ = nullptr;
  bool dialled_ = false;
  bool peer_relays_ = false;
  phase phase_ = phase::handshaking;
  std::string peer_;
  std::string address_;
  std::size_t peer_max_frame_ = 1 << 20;
  // The last envelope refused because its header and one item do not fit
  // the peer's frame (noted once per envelope, not once per item).
  const void* oversized_env_ = nullptr;

  std::uint8_t header_[4] = {};
  // The frame being read, in words so that Cap'n Proto reads it in place
  // (and the items inside, word-aligned too); body_bytes_ of it are used.
  // An envelope's frame goes to the verifying thread with its buffer; the
  // buffers come back for reuse (spare_frames_).
  std::shared_ptr<wire_io::word_buffer> body_;
  std::size_t body_bytes_ = 0;
  std::vector<std::shared_ptr<wire_io::word_buffer>> spare_frames_;
  std::size_t checking_ = 0;   // envelopes handed over, not yet handled
  bool read_waits_ = false;    // reading stopped until checking_ drops
  bool read_ended_ = false;    // end_reading(): close once checking_ is 0
  std::string end_reason_;
  bool end_graceful_ = false;

  std::deque<std::string> control_;
  std::deque<queued_item> items_;
  std::size_t queue_bytes_ = 0;
  std::string out_;
  bool writing_ = false;
  bool write_posted_ = false;  // a write_next is posted
  bool close_after_write_ = false;
  std::string closing_reason_;
  std::chrono::steady_clock::time_point last_write_{};

  // Inbound rate limit (token bucket); zero rates mean unlimited.
  double msg_rate_ = 0, byte_rate_ = 0, msg_tokens_ = 0, byte_tokens_ = 0;
  std::chrono::steady_clock::time_point refill_at_{};
};

}  // namespace coop::comm
