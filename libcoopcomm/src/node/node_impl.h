// The private state of a node and the classes behind it. Everything in
// node_impl except the inbox (guarded by inbox_mutex_) and the snapshot
// getters (which run on the I/O thread through run_sync) is touched only by
// the I/O thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "coop/comm/node.h"
#include "crypto/signing.h"
#include "envelope/envelope.h"
#include "state/answers.h"
#include "state/replay.h"
#include "wire/frame_io.h"

typedef struct x509_store_st X509_STORE;

namespace coop::comm {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class session;

/// Nanoseconds since the Unix epoch.
std::int64_t now_ns();

/// Signed bytes shared by every copy of an envelope in the peers' queues.
struct signed_part {
  std::string header_bytes;
  std::string signature;
  std::vector<std::string> hops;  ///< As it will be sent (a relay appended itself).
  /// The serialised items that queued_items point into. Reserved in full
  /// before the first view is taken, so appending never moves it.
  std::string item_bytes;
};

/// One item waiting in a peer's outbound queue: a view into its envelope's
/// item_bytes, which the shared signed_part keeps alive.
struct queued_item {
  std::shared_ptr<const signed_part> env;
  std::string_view bytes;
  overflow_policy policy = overflow_policy::drop_newest;
};

/// What the application (or the I/O thread itself) wants signed and sent.
struct outgoing {
  envelope::item item;
};

/// A configured neighbour and the state of the link to it.
struct link {
  const peer_config* cfg = nullptr;
  std::shared_ptr<session> current;  ///< The authenticated session, if up.
  peer_status status;
  std::chrono::milliseconds backoff{0};
  std::unique_ptr<asio::steady_timer> retry;
  bool dialling = false;
};

/// A request this site sent and waits for.
struct pending_request {
  std::uint64_t id = 0;
  envelope::item item;
  response_handler done;
  std::unique_ptr<asio::steady_timer> deadline;
  bool held = false;  ///< The other site holds it for approval.
};

/// An inbound request held for approval.
struct held_request {
  approval info;
  envelope::item item;
  std::unique_ptr<asio::steady_timer> expiry;
};

class node_impl {
 public:
  explicit node_impl(site_config cfg);
  ~node_impl();

  // A batch of items from application threads, serialised and hashed by
  // the publishing thread, waiting to be signed on the I/O thread.
  struct outgoing_batch {
    std::string bytes;  // the serialised items, one after the other
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;  // (offset, size) per item
    std::vector<std::array<std::uint8_t, 32>> digests;            // per item
    // Per item, what routing needs: kind, and topic and destination as
    // (offset, size) in `names` (consecutive items with one topic share it).
    struct route { envelope::kind k; std::uint32_t topic_at, topic_size, dest_at, dest_size; };
    std::vector<route> routes;
    std::string names;
    std::size_t weight = 0;  // inbox bytes it holds
  };

  result<void> init();   // keys, TLS, state, listener; called before the thread starts
  void run_thread();
  void shutdown(std::chrono::milliseconds grace);

  // Runs f on the I/O thread and waits for its result (directly when called
  // from the I/O thread).
  template <class F>
  auto run_sync(F&& f) -> decltype(f());

  // --- application side (any thread) ---
  result<void> post_outgoing(const envelope::item_view& it, const send_options& opts);

  // --- I/O thread ---
  void flush_outgoing();
  void schedule_flush();       // runs flush_outgoing now, or after the linger
  void flush_full();           // flushes now when a full batch waits (cancels the linger)
  bool has_recipient(const envelope::item& it) const;
  void refresh_recipients();   // recipients_ from the peers' subscriptions now
  // Signs each batch taken from the inbox and routes its items.
  void send_batches(std::vector<outgoing_batch>& batches);
  envelope::header header_for(std::uint64_t sequence) const;  // a new envelope's header
  void update_pressure();      // recomputes pressure_ from the peers' queues
  void stage(envelope::item it);  // queue an item made on the I/O thread
  void route_sealed(envelope::sealed_batch batch, std::span<const envelope::item> items);
  /// Where an item goes, remembered across the items of one envelope.
  struct route_cache {
    bool valid = false;
    envelope::kind k = envelope::kind::publish;
    std::string topic;
    std::string destination;
    overflow_policy policy = overflow_policy::drop_newest;
    std::vector<std::shared_ptr<session>> targets;
  };
  void route_targets(const envelope::item_view& it, const std::string& origin,
                     const std::vector<std::string>& hops, const session* from,
                     std::vector<std::shared_ptr<session>>& out) const;
  void route_item(const std::shared_ptr<const signed_part>& part, std::string_view bytes,
                  const envelope::item_view& it,
                  const std::string& origin, const std::vector<std::string>& hops,
                  const session* from, route_cache* cache = nullptr);
  bool enqueue(session& s, queued_item q);
  /// An envelope a session received, to be checked (see check_envelope): views
  /// into `frame`, which it keeps alive.
  struct checked_envelope {
    std::shared_ptr<wire_io::word_buffer> frame;
    envelope::envelope_view env;
    result<envelope::header> header = error{errc::signature, "not checked"};
    std::vector<result<envelope::item_view>> items;  // when the header verified
    std::vector<wire_io::word_buffer> copies;    // of items that were not word-aligned
  };
  /// Verifies `c`'s signature and each item's digest, then handles it
  /// (on_envelope, then from->envelope_done), in the order of the calls:
  /// on the verifying thread and back, or at once when that thread is idle,
  /// no more input from `from` waits and `c` is small (inline_verify_items).
  /// I/O thread.
  void check_envelope(std::shared_ptr<session> from, checked_envelope c);
  /// Checks the signature, then each item's digest (either thread; the
  /// verifier is used by one thread at a time).
  void verify_checked(checked_envelope& c);
  /// Handles a checked envelope and lets `from` read on. I/O thread.
  void handle_checked(session& from, checked_envelope& c);
  /// Envelopes at most this many items long are verified on the I/O thread
  /// when the verifying thread is idle. Since protocol version 2 an item
  /// costs about 0.3 us in a profile (decode, digest input, three SHA-256
  /// blocks) after the 110 us of the signature, so 1,024 items hold the I/O
  /// thread about 0.4 ms, what 256 did before; the envelopes of a half-loaded link
  /// (a few hundred items) then need no wake-up of the verifying thread
  /// (docs/performance.md: p99 at 400,000 msgs/s 5.8 against 10.7 ms).
  static constexpr std::size_t inline_verify_items = 1024;
  void on_envelope(session& from, checked_envelope& c);
  void deliver(const message& m);
  void handle_request(const message& m, const envelope::item& it);
  void run_handler(const message& m);
  void answer(const message& request, envelope::item answer);
  void handle_answer(const message& m, const envelope::item& it);
  void resend_requests(const std::string& peer);
  void session_up(const std::shared_ptr<session>& s);
  void session_down(session& s, const std::string& reason);
  void peer_subscriptions_changed();
  std::vector<std::pair<std::string, std::uint8_t>> advertised_for(const session& s) const;
  void note_refusal(std::string peer, std::string origin, std::string topic, std::string what,
                    std::string reason);
  void set_status(link& l, peer_state st, std::string reason);
  void dial(link& l);
  void schedule_redial(link& l);
  void accept_next();
  link* link_by_pin(const std::string& pin);
  link* link_by_name(std::string_view name);
  // Checks the peer's certificate after the TLS handshake: its SPKI pin
  // names a configured neighbour (the one dialled, when `expected`), it
  // chains to that neighbour's CA, and its CN is the neighbour's name.
  result<link*> verify_peer_certificate(void* ssl, session& s, link* expected);
  void expire_held(std::uint64_t id);
  void decide(std::uint64_t id, bool approve, std::string note);
  void save_state();
  void housekeeping();  // every second: save the replay marks, forget old answers
  bool idle() const;

  site_config cfg_;
  std::string self_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::thread::id io_thread_id_;
  // The verifying thread: signatures and item digests of received
  // envelopes, so that the I/O thread reads and delivers meanwhile (used
  // when there is something to read meanwhile: see check_envelope). It
  // touches only verifier_ and what is immutable after init().
  asio::io_context verify_io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> verify_work_;
  std::thread verify_thread_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::map<std::string, X509_STORE*> ca_stores_;  // per CA file, for the per-peer check
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::size_t handshaking_ = 0;
  std::unique_ptr<asio::steady_timer> housekeeping_;

  crypto::signing_key key_;
  // The verifying thread's, or the I/O thread's while verifying_ is 0.
  crypto::verifier verifier_;
  std::size_t verifying_ = 0;  // envelopes handed to the verifying thread, not yet handled
  std::optional<state::replay_window> replay_;
  std::optional<state::sequence_lease> lease_;
  std::int64_t started_at_ = 0;
  wire_io::message_limits limits_;

  std::map<std::string, link, std::less<>> links_;      // neighbours by name
  std::vector<std::shared_ptr<session>> sessions_;      // every live session
  // Shared, so that delivery can hold a handler that unsubscribes itself
  // without copying the std::function per message.
  struct subscription { std::string prefix; std::shared_ptr<const message_handler> handler; };
  std::map<std::uint64_t, subscription> subscriptions_;
  std::map<std::string, request_handler> handlers_;     // by prefix
  status_handler status_handler_;
  refusal_handler refusal_handler_;
  std::uint64_t next_local_id_ = 1;

  std::map<std::uint64_t, pending_request> requests_;
  std::optional<state::answer_log> answers_;             // answers given, by origin/id
  std::set<std::string> in_flight_;                      // requests being held
  std::map<std::uint64_t, held_request> held_;
  std::uint64_t next_approval_ = 1;

  node_stats stats_;
  std::deque<refusal> refusals_;

  // Inbox: items from application threads, serialised and hashed by the
  // publishing thread into batches of at most batch_items (the last one
  // still filling), signed and routed on the I/O thread.
  mutable std::mutex inbox_mutex_;
  std::condition_variable inbox_room_;
  std::deque<outgoing_batch> inbox_;
  std::size_t inbox_items_ = 0;
  std::size_t inbox_bytes_ = 0;
  std::uint64_t inbox_published_ = 0;  // taken by the application, not yet in stats_
  std::string digest_scratch_;         // envelope::item_digest's buffer (inbox_mutex_)
  // Topic prefixes some connected peer subscribed to: a publication none
  // covers is counted and dropped at once, without being signed. Written on
  // the I/O thread (refresh_recipients), read by publishers.
  std::vector<std::string> recipients_;
  // The smallest frame limit among the connected peers (their hellos), or
  // 0 when none is up: batches are cut so that a header and its items fit
  // half of it. Written with recipients_.
  std::size_t min_peer_frame_ = 0;
  bool flush_posted_ = false;
  std::vector<envelope::item> staged_;
  std::atomic<bool> stopping_{false};
  // Set while a subscribed peer's queue is over half full: publishers that
  // asked to block wait for it to drain below a quarter.
  bool pressure_ = false;
  std::chrono::steady_clock::time_point last_flush_{};
  std::unique_ptr<asio::steady_timer> flush_timer_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> joined_{false};  // the I/O thread has ended: callers may touch state
  std::mt19937_64 rng_{std::random_device{}()};
};

template <class F>
auto node_impl::run_sync(F&& f) -> decltype(f()) {
  if (std::this_thread::get_id() == io_thread_id_ || joined_) return f();
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto fut = task.get_future();
  asio::post(io_, [&task] { task(); });
  // A node stopping meanwhile may never run the task: once its I/O thread
  // has ended, run it here (the thread can no longer touch the state).
  while (fut.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (joined_) {
      if (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) task();
      break;
    }
  }
  return fut.get();
}

}  // namespace coop::comm
