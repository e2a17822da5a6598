// A site's configuration: who it is, which peers it knows (by name, CA and
// pinned SPKI SHA-256), what each peer may do (access rules), which inbound
// requests wait for an operator, how queues overflow, and the protocol
// limits. It is written as text (docs/protocol.md, "Configuration") and
// parsed with errors that give file and line. Plain values: copy freely,
// use from one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/comm/export.h"
#include "coop/comm/result.h"

namespace coop::comm {

/// What a peer does with a topic. Access rules grant verbs; they are checked
/// on receipt, at the site that receives the peer's frame.
enum class verb : std::uint8_t {
  publish = 1,    ///< The peer sends us published or point-to-point messages on the topic.
  subscribe = 2,  ///< The peer receives our messages on the topic.
  request = 4,    ///< The peer sends us requests on the topic.
  respond = 8,    ///< The peer sends us responses (to our requests) on the topic.
};

/// "publish", "subscribe", "request" or "respond".
COOP_COMM_EXPORT const char* to_string(verb v) noexcept;

/// A host and port to connect to or listen on.
struct endpoint {
  std::string host;        ///< Name or address ("127.0.0.1", "::1", "site-b.example").
  std::uint16_t port = 0;  ///< TCP port.
};

/// A known site.
struct peer_config {
  std::string name;                ///< Its site name (the CN of its certificate).
  std::string spki_pin;            ///< SHA-256 of its SubjectPublicKeyInfo, lowercase hex.
  std::optional<endpoint> connect; ///< Set: this site dials it. Unset: it dials us (or never).
  std::filesystem::path ca;        ///< The CA its certificate must chain to (default: the site's `ca`).
  bool neighbour = true;           ///< False for an `origin` line: trusted signer, never connected.
  std::string where;               ///< "file:line" of its definition.
};

/// One access rule: `allow|deny PEERS VERBS PREFIX`.
struct acl_rule {
  bool allow = false;              ///< Allow or deny.
  std::vector<std::string> peers;  ///< Peer names; empty means every peer ("*").
  std::uint8_t verbs = 0;          ///< Bit set of `verb` values.
  std::string prefix;              ///< Topic prefix the rule covers.
  std::string where;               ///< "file:line".
};

/// Inbound requests under `prefix` wait for an operator's decision.
struct approval_rule {
  std::string prefix;                                      ///< Topic prefix.
  std::chrono::seconds timeout{std::chrono::hours(1)};     ///< Pending this long, a request expires.
  std::string where;                                       ///< "file:line".
};

/// What happens when a peer's outbound queue is full.
enum class overflow_policy : std::uint8_t {
  drop_oldest,  ///< Drop the oldest queued message (counted) and queue the new one.
  drop_newest,  ///< Drop the new message (counted). The default.
  disconnect,   ///< Close the connection to the slow peer (it reconnects later).
};

/// `overflow PREFIX POLICY`: the policy for messages on topics under prefix.
struct overflow_rule {
  std::string prefix;                                      ///< Topic prefix.
  overflow_policy policy = overflow_policy::drop_newest;   ///< Its policy.
  std::string where;                                       ///< "file:line".
};

/// `rate PEER msgs=N/s bytes=SIZE/s`: inbound rate limit for a peer ("*": each peer).
/// Reading from a peer over its rate pauses until it is back under it.
struct rate_limit {
  std::string peer = "*";      ///< Peer name or "*".
  double msgs_per_s = 0;       ///< 0: unlimited.
  double bytes_per_s = 0;      ///< 0: unlimited.
  std::string where;           ///< "file:line".
};

/// Protocol and resource limits (`limit NAME VALUE`).
struct limits {
  std::size_t max_frame_bytes = 1 << 20;      ///< frame-bytes: largest frame accepted or sent.
  std::uint32_t max_segments = 16;            ///< segments: Cap'n Proto segments per frame.
  int max_nesting = 16;                       ///< nesting: Cap'n Proto nesting depth.
  std::size_t queue_bytes = 8 << 20;          ///< queue-bytes: outbound queue per peer.
  std::size_t inbox_bytes = 64 << 20;         ///< inbox-bytes: messages the application posted, not yet sent.
  std::chrono::milliseconds handshake_timeout{5000};  ///< handshake-timeout: TLS + hello.
  std::chrono::milliseconds idle_timeout{60000};      ///< idle-timeout: silence before a peer is dropped.
  std::chrono::milliseconds keepalive{15000};         ///< keepalive: ping interval when idle.
  std::chrono::milliseconds request_timeout{30000};   ///< request-timeout: default for requests.
  std::chrono::milliseconds envelope_ttl{300000};     ///< envelope-ttl: lifetime of what we sign.
  std::chrono::milliseconds clock_skew{60000};        ///< clock-skew: tolerated issued-at in the future.
  std::chrono::milliseconds reconnect_min{200};       ///< reconnect-min: first back-off.
  std::chrono::milliseconds reconnect_max{30000};     ///< reconnect-max: largest back-off.
  std::size_t max_pending_handshakes = 64;    ///< pending-handshakes: unauthenticated connections at once.
  std::size_t max_subscriptions = 1024;       ///< subscriptions: prefixes per peer.
  std::size_t max_pending_approvals = 1024;   ///< pending-approvals: queue length.
  std::uint32_t hop_limit = 8;                ///< hop-limit: sites an envelope may cross.
  /// batch-items: messages signed together at most. A batch also stops at
  /// half a frame (about 2,060 messages of 128 bytes in 1 MiB). 2,048
  /// rather than 1,024 halves the signatures under full load: 5% less CPU
  /// per message on the benchmark (docs/performance.md); below full load
  /// the linger, not this, bounds a batch.
  std::size_t batch_items = 2048;
  /// batch-linger: after a flush, how long the next one waits so that
  /// messages published meanwhile share an envelope (one signature, one
  /// verification at each receiver); an idle node flushes at once.
  std::chrono::microseconds batch_linger{500};
};

/// A whole site configuration.
struct site_config {
  std::string site;                       ///< This site's name (must equal its certificate's CN).
  std::filesystem::path key;              ///< Its private key (PEM).
  std::filesystem::path cert;             ///< Its certificate (PEM).
  std::filesystem::path ca;               ///< Default CA for peers.
  std::optional<endpoint> listen;         ///< Where to accept peers; unset: dial only.
  std::filesystem::path state;            ///< Directory for the sequence lease and replay windows.
  bool relay = false;                     ///< Forward between peers (clearing house).
  std::vector<peer_config> peers;         ///< Neighbours and trusted origins.
  std::vector<acl_rule> acl;              ///< Access rules, in file order.
  std::vector<approval_rule> approvals;   ///< Topics whose requests need an operator.
  std::vector<overflow_rule> overflow;    ///< Per-topic overflow policies.
  std::vector<rate_limit> rates;          ///< Inbound rate limits.
  struct limits limits;                   ///< Limits.
  std::string source;                     ///< File the configuration came from.

  /// The peer named `name`, or nullptr.
  [[nodiscard]] const peer_config* find_peer(std::string_view name) const noexcept;
};

/// Parses configuration text. `source` names it in errors ("site-a.conf");
/// relative paths resolve against `base`. Errors: errc::invalid_argument with
/// "source:line: what", for unknown directives, bad values, duplicate peers,
/// missing site/key/cert, or a peer without a pin.
COOP_COMM_EXPORT result<site_config> parse_config(std::string_view text, std::string_view source,
                                                  const std::filesystem::path& base = {});

/// Reads and parses the configuration file `path` (errors name the file).
COOP_COMM_EXPORT result<site_config> load_config(const std::filesystem::path& path);

/// The verdict of the access rules for one (peer, verb, topic).
struct access_decision {
  bool allowed = false;  ///< Whether the action is allowed.
  std::string rule;      ///< "file:line" of the deciding rule, or "default deny".
};

/// Evaluates the access rules: default deny; a matching deny rule wins over
/// any allow. A rule matches when its peers include `peer` (or are "*"), its
/// verbs include `v` and its prefix covers `topic` segment-wise.
COOP_COMM_EXPORT access_decision check_access(const site_config& config, std::string_view peer,
                                              verb v, std::string_view topic);

/// The overflow policy for `topic`: that of the longest matching `overflow`
/// prefix, else drop_newest.
COOP_COMM_EXPORT overflow_policy overflow_for(const site_config& config, std::string_view topic);

/// The approval rule covering `topic` (the longest prefix), or nullptr.
COOP_COMM_EXPORT const approval_rule* approval_for(const site_config& config,
                                                   std::string_view topic);

}  // namespace coop::comm
