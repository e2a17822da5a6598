// The packet sensor: decodes packets (link layer, IP, fragments, GRE),
// tracks connections with Zeek's conn.log semantics, runs application
// analyzers recognised by content, and hands catalogue events to a callback.
// A `sensor` is single-threaded: feed it from one thread (run one sensor per
// core on disjoint traffic). Events passed to the sink are valid only during
// the call; copy them to keep them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/sensor/packet.h"

namespace coop::sensor {

/// Application analyzers, as bits of `sensor_config::analyzers`.
enum analyzer_bits : std::uint32_t {
  analyze_dns = 1u << 0,     ///< dns_request, dns_reply (UDP and TCP).
  analyze_http = 1u << 1,    ///< http_request, http_reply.
  analyze_ssh = 1u << 2,     ///< ssh_login.
  analyze_smtp = 1u << 3,    ///< smtp_message.
  analyze_tls = 1u << 4,     ///< tls_handshake.
  analyze_ftp = 1u << 5,     ///< ftp_command.
  analyze_syslog = 1u << 6,  ///< syslog_message (UDP and TCP).
  analyze_all = 0x7fu,       ///< All of the above (the default).
};

/// What the sensor does and the limits it keeps to.
struct sensor_config {
  /// Connections tracked at once; beyond it the least recently active one is
  /// ended early (emitted as usual) and counted in `sensor_stats::evictions`.
  std::size_t max_connections = 1u << 18;
  /// Bytes of IP fragments held for reassembly at once, over all datagrams;
  /// beyond it the oldest datagram is dropped and counted.
  std::size_t max_fragment_bytes = std::size_t{16} << 20;
  /// Datagrams under reassembly at once.
  std::size_t max_fragment_datagrams = 4096;
  /// Inactivity timeouts, Zeek's defaults (tcp/udp/icmp_inactivity_timeout):
  /// a connection idle this long (in packet time) ends.
  std::int64_t tcp_timeout_ns = 300'000'000'000;  ///< TCP: 5 min.
  std::int64_t udp_timeout_ns = 60'000'000'000;   ///< UDP: 1 min.
  std::int64_t icmp_timeout_ns = 60'000'000'000;  ///< ICMP: 1 min.
  /// Drop packets whose TCP/UDP/ICMP checksum is wrong, as Zeek does unless
  /// run with -C (offloaded checksums make captured outgoing packets look bad).
  bool verify_checksums = false;
  /// Ports that likely belong to servers: a connection first seen without a
  /// SYN from such a port is turned around (history '^'), as in Zeek's
  /// likely_server_ports. Empty means: the default list (default_server_ports()).
  std::vector<std::uint16_t> likely_server_ports;
  /// Analyzers to run (analyzer_bits).
  std::uint32_t analyzers = analyze_all;
  /// Emit a `packet` event for each packet within the first `packet_cutoff`
  /// payload bytes of its connection (the Time Machine's cut-off).
  bool packet_events = false;
  /// Per-connection cut-off for packet events, in bytes (default 15 KB).
  std::uint64_t packet_cutoff = 15 * 1024;
  /// Site and sensor names put into every event's origin.
  model::origin from;
  /// Generator part of event ids; 0 picks a random one.
  std::uint64_t id_seed = 0;
};

/// Counters the sensor keeps; read them any time from the feeding thread.
struct sensor_stats {
  std::uint64_t packets = 0;             ///< Packets given to process().
  std::uint64_t bytes = 0;               ///< Their captured bytes.
  std::uint64_t ip_packets = 0;          ///< Packets that reached IP (after tunnels, reassembly).
  std::uint64_t non_ip = 0;              ///< Frames without IP (ARP, LLDP, ...).
  std::uint64_t malformed = 0;           ///< Truncated or inconsistent headers, dropped.
  std::uint64_t unsupported_link = 0;    ///< Link types the decoder does not know.
  std::uint64_t bad_checksums = 0;       ///< Dropped for a wrong checksum (verify_checksums).
  std::uint64_t fragments = 0;           ///< IP fragments received.
  std::uint64_t reassembled = 0;         ///< Datagrams completed from fragments.
  std::uint64_t fragment_drops = 0;      ///< Datagrams dropped: limits, overlaps, timeouts.
  std::uint64_t tunnelled = 0;           ///< Packets decapsulated from GRE.
  std::uint64_t connections = 0;         ///< Connections created.
  std::uint64_t evictions = 0;           ///< Connections ended early for max_connections.
  std::uint64_t events = 0;              ///< Events handed to the sink.
  std::uint64_t active_connections = 0;  ///< Connections tracked now.
};

/// The default likely-server ports: those Zeek's default scripts register
/// analyzers for (21, 22, 25, 53, 80, 443, ...).
[[nodiscard]] std::vector<std::uint16_t> default_server_ports();

/// Receives each event the sensor produces; the reference is valid only
/// during the call.
using event_sink = std::function<void(const model::event&)>;

/// The sensor. Move-only; one thread at a time.
class sensor {
 public:
  /// A sensor producing events of the catalogue types found in `reg`
  /// (fill it with model::add_catalogue). `reg` must outlive the sensor.
  /// Errors: not_found when `reg` lacks a catalogue type.
  static model::result<sensor> make(const model::registry& reg, sensor_config cfg, event_sink sink);

  /// Moves the sensor; the moved-from object may only be destroyed or assigned.
  sensor(sensor&&) noexcept;
  /// Move assignment (same rule as the move constructor).
  sensor& operator=(sensor&&) noexcept;
  /// Releases everything it holds without emitting events (call flush() first).
  ~sensor();

  /// Processes one packet. Packets should come in time order; an older one
  /// is processed with its own timestamp but does not move the clock back.
  /// Never fails: malformed input is counted in stats() and dropped.
  void process(const packet_view& p);
  /// Ends every connection (end of capture): emits their events.
  void flush();
  /// Counters so far.
  [[nodiscard]] const sensor_stats& stats() const noexcept;

 private:
  struct impl;
  explicit sensor(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

/// Runs a fresh sensor over `packets` in order, flushes it, and returns its
/// counters: the entry point for benchmarks and tests. `sink` may be empty
/// (events are then built and dropped). Errors: as sensor::make.
model::result<sensor_stats> run_packets(std::span<const packet_view> packets,
                                        const model::registry& reg, const sensor_config& cfg,
                                        const event_sink& sink);

}  // namespace coop::sensor
