// A Coop site on the network: `node` connects to its configured peers over
// mutually authenticated TLS 1.3, publishes and subscribes on topics, sends
// point-to-point messages and requests, enforces the access rules on
// everything it receives, verifies the signed envelope of every message,
// holds requests that need an operator's approval, and (when configured as a
// relay) forwards between sites.
//
// Threading: a node runs one internal I/O thread, and a second thread that
// only verifies the signatures and digests of received envelopes. Every public member
// function may be called from any thread. Handlers and status callbacks run
// on the I/O thread, one at a time: they must return quickly and must not
// call the blocking members (`request_sync`, `flush`, `stop`); everything
// else may be called from them. Publishing never blocks unless asked to.
//
// Delivery: publish and send are at-most-once: every message dropped on the
// way (full queue, no route, refused) is counted in `stats()`; a publication
// goes to the peers subscribed when publish() is called. Requests are
// at-least-once: re-sent when the link to the destination comes back, and
// de-duplicated by the responder, so a handler sees a request once and the
// caller gets one answer. See docs/protocol.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coop/comm/config.h"
#include "coop/comm/export.h"
#include "coop/comm/result.h"

namespace coop::comm {

class node_impl;

/// A message delivered to the application (a publication, a point-to-point
/// message, a request given to a handler, or the response to a request).
struct message {
  std::string origin;        ///< The site that signed it.
  std::string from;          ///< The neighbour that delivered it (== origin unless relayed).
  std::string topic;         ///< Its topic.
  std::string content_type;  ///< What the payload is ("application/json", ...); may be empty.
  std::string payload;       ///< The bytes, untouched.
  std::uint64_t sequence = 0;          ///< The origin's envelope sequence number.
  std::int64_t issued_at = 0;          ///< When the origin signed it, ns since the Unix epoch.
  std::vector<std::string> hops;       ///< Relays it crossed, in order.
  std::uint64_t request_id = 0;        ///< For requests and responses: the requester's id.
  bool direct = false;                 ///< Point-to-point (true) or published (false).
};

/// What a request handler answers.
struct reply {
  std::string content_type;  ///< Content type of the payload.
  std::string payload;       ///< The response bytes.
};

/// Per-call options for publish and send.
struct send_options {
  /// Wait (up to this long) for room in the node's inbox instead of failing
  /// with errc::overloaded when it is full. Zero: never wait.
  std::chrono::milliseconds block_for{0};
};

/// The state of a link to a peer.
enum class peer_state : std::uint8_t {
  down,        ///< Not connected (never was, or lost; see `reason`).
  connecting,  ///< Dialling or handshaking.
  up,          ///< Authenticated and exchanging frames.
  refused,     ///< The last attempt was refused (TLS, pin, version); see `reason`.
};

/// "down", "connecting", "up" or "refused".
COOP_COMM_EXPORT const char* to_string(peer_state s) noexcept;

/// A neighbour's link, as `peers()` reports it and status callbacks receive it.
struct peer_status {
  std::string name;            ///< The peer's site name.
  peer_state state = peer_state::down;
  std::string reason;          ///< Why it is down or refused ("" when up).
  std::string address;         ///< Remote address of the current or last connection.
  bool dials = false;          ///< This site dials it (its config has connect=).
  bool relay = false;          ///< The peer announced that it relays.
  std::uint64_t sent = 0;      ///< Messages queued to it and written.
  std::uint64_t received = 0;  ///< Messages received from it and accepted.
  std::uint64_t dropped = 0;   ///< Messages to it dropped by its overflow policy.
  std::uint64_t refused = 0;   ///< Messages from it refused (access, signature, replay).
  std::size_t queue_bytes = 0; ///< Bytes waiting in its outbound queue.
  std::vector<std::string> subscriptions;  ///< The prefixes it subscribed to.
};

/// Counters over the node's life.
struct node_stats {
  std::uint64_t published = 0;          ///< Messages the application published or sent.
  std::uint64_t delivered = 0;          ///< Messages given to local handlers.
  std::uint64_t relayed = 0;            ///< Messages forwarded to another site.
  std::uint64_t dropped_overflow = 0;   ///< Dropped by a full outbound queue.
  std::uint64_t dropped_no_route = 0;   ///< Point-to-point messages with no way to their site.
  std::uint64_t refused_access = 0;     ///< Refused by access rules.
  std::uint64_t refused_signature = 0;  ///< Bad signature, unknown origin, expired, hop limit.
  std::uint64_t replays = 0;            ///< Envelopes older than the replay window.
  std::uint64_t duplicates = 0;         ///< Items already accepted (loops, re-sends).
  std::uint64_t refused_connections = 0;///< TLS, pin, hello or handshake-limit refusals.
  std::uint64_t protocol_errors = 0;    ///< Peers cut off for malformed frames or timeouts.
  std::uint64_t envelopes_signed = 0;   ///< Batches signed (each covers one or more messages).
};

/// One refusal, as logged: who, what, which topic, and why.
struct refusal {
  std::int64_t at = 0;      ///< When, ns since the Unix epoch.
  std::string peer;         ///< Neighbour name, or the remote address before identification.
  std::string origin;       ///< Signing site, when known.
  std::string topic;        ///< Topic, when known.
  std::string what;         ///< The verb ("publish", ...), or "connect", "envelope", "frame".
  std::string reason;       ///< Why (the deciding rule "file:line", "default deny", ...).
};

/// The state of an inbound request held for approval.
enum class approval_state : std::uint8_t { pending, approved, refused, expired };

/// "pending", "approved", "refused" or "expired".
COOP_COMM_EXPORT const char* to_string(approval_state s) noexcept;

/// An inbound request that waits (or waited) for an operator.
struct approval {
  std::uint64_t id = 0;        ///< Local id, for approve()/refuse().
  approval_state state = approval_state::pending;
  message request;             ///< The request as it would reach the handler.
  std::int64_t received_at = 0;///< ns since the Unix epoch.
  std::int64_t expires_at = 0; ///< When it expires if nobody decides.
  std::string rule;            ///< "file:line" of the approve rule.
  std::string note;            ///< The operator's reason when refused.
};

/// Callback for messages; runs on the I/O thread.
using message_handler = std::function<void(const message&)>;
/// Handler for inbound requests; runs on the I/O thread. An error answer is
/// sent to the requester as a failure with the error's message.
using request_handler = std::function<result<reply>(const message&)>;
/// Completion of a request: the response, or an error (errc::refused when
/// access rules or the operator said no, errc::timeout, errc::closed).
using response_handler = std::function<void(result<message>)>;
/// Peer status changes; runs on the I/O thread.
using status_handler = std::function<void(const peer_status&)>;
/// Every refusal as it happens (for a log); runs on the I/O thread.
using refusal_handler = std::function<void(const refusal&)>;

/// A running site.
class COOP_COMM_EXPORT node {
 public:
  /// Loads the key and certificates, opens the state directory, starts the
  /// I/O thread, listens (when configured) and dials the peers that have
  /// connect=. Errors name the file or address at fault.
  static result<std::unique_ptr<node>> start(site_config config);

  /// Stops (as stop() with a one-second grace).
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// This site's name.
  [[nodiscard]] const std::string& site() const noexcept;
  /// The port it listens on (useful when the configuration said port 0), or 0.
  [[nodiscard]] std::uint16_t listen_port() const noexcept;

  /// Publishes to every peer subscribed to `topic` and allowed to receive it.
  /// Never blocks unless `opts.block_for` says so. Errors: invalid topic,
  /// errc::overloaded when the inbox is full, errc::closed after stop().
  result<void> publish(std::string_view topic, std::string_view content_type,
                       std::string_view payload, const send_options& opts = {});

  /// Sends a point-to-point message to site `to` (directly, or through a relay).
  result<void> send(std::string_view to, std::string_view topic, std::string_view content_type,
                    std::string_view payload, const send_options& opts = {});

  /// Sends a request to site `to`; `done` runs once, with the response or an
  /// error. `timeout` zero means the configured request-timeout; a request
  /// held for approval at the other site waits up to that site's approval
  /// timeout more. Returns the request id.
  result<std::uint64_t> request(std::string_view to, std::string_view topic,
                                std::string_view content_type, std::string_view payload,
                                response_handler done,
                                std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// Blocking form of request(); must not be called from a handler.
  result<message> request_sync(std::string_view to, std::string_view topic,
                               std::string_view content_type, std::string_view payload,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// Subscribes to `prefix` (segment-aware); the peers learn the new set.
  /// Returns an id for unsubscribe().
  result<std::uint64_t> subscribe(std::string_view prefix, message_handler handler);
  /// Removes a subscription (unknown ids are ignored).
  void unsubscribe(std::uint64_t id);

  /// Installs the handler for requests under `prefix` (the longest prefix
  /// wins); requests with no handler are answered with a failure.
  result<void> on_request(std::string_view prefix, request_handler handler);

  /// Installs a callback for peer status changes (replacing any earlier one).
  void on_status(status_handler handler);

  /// Installs a callback that sees every refusal as it is recorded (replacing
  /// any earlier one), e.g. to write it to the site's log.
  void on_refusal(refusal_handler handler);

  /// Requests held for approval, pending ones first, then recent decisions.
  [[nodiscard]] std::vector<approval> approvals() const;
  /// Approves pending request `id`: it reaches its handler and the requester
  /// is told. Errors: errc::not_found, or errc::invalid_argument if decided.
  result<void> approve(std::uint64_t id);
  /// Refuses pending request `id` with `note`; the requester is told.
  result<void> refuse(std::uint64_t id, std::string_view note);

  /// Every configured neighbour's link.
  [[nodiscard]] std::vector<peer_status> peers() const;
  /// The counters.
  [[nodiscard]] node_stats stats() const;
  /// The most recent refusals (at most 1000), oldest first.
  [[nodiscard]] std::vector<refusal> refusals() const;

  /// Waits until everything published so far has been written to the peers
  /// (or dropped), or `timeout` passes. Errors: errc::timeout.
  result<void> flush(std::chrono::milliseconds timeout);

  /// Flushes for up to `grace`, says bye to every peer, closes the links and
  /// joins the I/O thread. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

  /// The private state (libcoopcomm/src/node/node_impl.h).
  using impl = node_impl;

 private:
  explicit node(std::unique_ptr<node_impl> p);
  std::unique_ptr<node_impl> impl_;
};

}  // namespace coop::comm
