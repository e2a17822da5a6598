// Packet sources: capture files (pcap and pcapng, optionally gzip-compressed)
// and live interfaces, both read through libpcap. A `capture` is a resource
// used by one thread at a time; the packet it returns borrows libpcap's
// buffer and stays valid only until the next call to next().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "coop/model/result.h"
#include "coop/sensor/packet.h"

namespace coop::sensor {

/// Options of a live capture.
struct live_options {
  int snaplen = 65535;      ///< Bytes captured per packet.
  bool promiscuous = true;  ///< Put the interface in promiscuous mode.
  int timeout_ms = 200;     ///< Read timeout, so next() returns periodically.
  std::string filter;       ///< Optional BPF filter expression ("" = everything).
};

/// A source of packets. Move-only.
class capture {
 public:
  /// Opens a capture file. The format is recognised by content: pcap (any
  /// byte order, micro- or nanosecond), pcapng, each optionally compressed
  /// with gzip. Errors: io (cannot open, naming the path), invalid_argument
  /// (not a capture file, with libpcap's reason).
  static model::result<capture> open_file(const std::string& path);
  /// Opens interface `iface` for live capture. Errors: io (no such interface,
  /// no permission) and invalid_argument (bad filter), with libpcap's reason.
  static model::result<capture> open_live(const std::string& iface, const live_options& opts = {});

  /// Moves the capture; the moved-from object may only be destroyed or assigned.
  capture(capture&&) noexcept;
  /// Move assignment (same rule as the move constructor).
  capture& operator=(capture&&) noexcept;
  /// Releases everything it holds (the libpcap handle).
  ~capture();

  /// Reads the next packet into `out`. Returns true when a packet was read,
  /// false at the end of a file (for a live capture: when the read timed out
  /// with no packet; call again). Errors: corruption (a damaged file, naming
  /// the packet number and libpcap's reason), io.
  model::result<bool> next(packet_view& out);
  /// LINKTYPE_ number of the packets.
  [[nodiscard]] std::uint32_t link_type() const noexcept;
  /// Packets returned so far.
  [[nodiscard]] std::uint64_t packets() const noexcept;
  /// For a file: compressed bytes consumed so far (for progress); 0 if live.
  [[nodiscard]] std::uint64_t file_offset() const noexcept;
  /// For a file: its size in bytes; 0 if live or unknown.
  [[nodiscard]] std::uint64_t file_size() const noexcept;
  /// Asks a live capture's next() to return soon (async-signal-safe).
  void interrupt() noexcept;

 private:
  struct impl;
  explicit capture(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace coop::sensor
