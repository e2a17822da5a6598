// The sockets of coop-syslogd: UDP and TCP listeners on HOST:PORT, the
// accepted TCP connections with their framers, limits on connections and
// idle time, all driven by one poll(2) loop. Used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "coop/importer/syslog.h"
#include "coop/model/result.h"

namespace coop_syslogd {

/// Limits of the network side. Plain aggregate.
struct limits {
  std::size_t max_message = 64 * 1024;  ///< Bytes per message (UDP and TCP); default 64 KiB.
  std::size_t max_connections = 256;    ///< Open TCP connections; more are refused. Default 256.
  std::chrono::seconds idle{300};       ///< A TCP connection silent this long is closed. Default 300 s.
};

/// Counters of the network side.
struct net_stats {
  std::uint64_t datagrams = 0, connections = 0, refused = 0, idle_closed = 0, framing_errors = 0,
                oversized = 0, truncated = 0;
};

/// Listeners and connections. Messages go to `deliver(text, peer, source)`.
class server {
 public:
  using deliver_fn = std::function<coop::model::result<void>(
      std::string_view, const coop::importer::syslog_peer&, const std::string&)>;
  /// A server with no socket yet; `deliver` is called for every message.
  server(limits l, deliver_fn deliver) : limits_(l), deliver_(std::move(deliver)) {}
  /// Closes every listener and connection.
  ~server();
  server(const server&) = delete;             ///< A resource: not copyable.
  server& operator=(const server&) = delete;  ///< A resource: not copyable.

  /// Binds "HOST:PORT" ("[::1]:514"; port 0 picks one). Returns the bound
  /// address as text. Errors: invalid_argument (bad spec), io (bind failed).
  coop::model::result<std::string> listen(const std::string& spec, bool tcp);
  /// Waits up to `timeout` for traffic and handles it. Errors: the deliver
  /// function's (the output failed).
  coop::model::result<void> run_once(std::chrono::milliseconds timeout);
  /// Open TCP connections.
  [[nodiscard]] std::size_t open_connections() const noexcept { return conns_.size(); }
  /// Counters so far (oversized and truncated include closed connections only).
  [[nodiscard]] const net_stats& stats() const noexcept { return stats_; }

 private:
  struct listener {
    int fd;
    bool tcp;
    coop::model::address addr;
    std::uint16_t port;
  };
  struct connection {
    coop::importer::stream_framer framer;
    coop::importer::syslog_peer peer;
    std::string source;
    std::chrono::steady_clock::time_point last;
  };
  coop::model::result<void> on_udp(const listener& l);
  void on_accept(const listener& l);
  coop::model::result<void> on_tcp(int fd, connection& c, bool& close_it);
  void close_conn(int fd);

  limits limits_;
  deliver_fn deliver_;
  std::vector<listener> listeners_;
  std::map<int, connection> conns_;
  net_stats stats_;
  std::vector<char> buf_;
};

}  // namespace coop_syslogd
