// Export of recorded `packet` events as a classic pcap capture file, the
// format tcpdump, tshark and Wireshark read. The file uses the
// nanosecond-resolution variant (magic 0xa1b23c4d, little-endian), so an
// event's timestamp is kept to the nanosecond. A `pcap_writer` is a resource:
// move-only, closed by its destructor, and used from one thread at a time;
// distinct writers may be used from distinct threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/tm/export.h"

namespace coop::tm {

/// The snapshot length written when the caller names none: 262144 bytes,
/// tcpdump's default, which keeps whole packets even on loopback with TSO.
inline constexpr std::uint32_t default_pcap_snaplen = 262144;

/// Writes `packet` events (docs/catalogue.md) to a pcap file or stream.
///
/// Each event becomes one record: its `ts` the record time, its `wirelen`
/// the original length and its `data` the captured bytes (cut to the
/// snapshot length, the record's included length then saying so). `caplen`
/// is not written: a capture file only knows what it holds, `data`. A file
/// has one link type, taken from the first packet written; the file header
/// is written with that packet, so a writer closed without packets leaves a
/// valid, empty capture of link type 1 (Ethernet).
class COOP_TM_EXPORT pcap_writer {
 public:
  /// Creates or truncates the file at `path` and writes packets to it.
  /// `snaplen` (bytes, >= 1) goes into the file header and cuts longer data.
  /// Errors: invalid_argument (snaplen 0), io (the file cannot be created;
  /// the message gives the path and the system's reason).
  static model::result<pcap_writer> create(const std::filesystem::path& path,
                                           std::uint32_t snaplen = default_pcap_snaplen);

  /// Writes packets to `out` (for example std::cout, to pipe into
  /// `tcpdump -r -`). `out` is borrowed: it must outlive the writer and not
  /// be written by anyone else meanwhile. Errors: invalid_argument (snaplen 0).
  static model::result<pcap_writer> open(std::ostream& out,
                                         std::uint32_t snaplen = default_pcap_snaplen);

  /// Moves the open file; the moved-from writer is closed.
  pcap_writer(pcap_writer&& other) noexcept;
  /// Closes this writer (errors ignored), then takes `other`'s file.
  pcap_writer& operator=(pcap_writer&& other) noexcept;
  pcap_writer(const pcap_writer&) = delete;
  pcap_writer& operator=(const pcap_writer&) = delete;
  /// Closes the file as close() does, ignoring errors.
  ~pcap_writer();

  /// Appends the packet event `e` (records are buffered; see close()).
  /// When `e` is refused nothing is written and the writer stays usable; after
  /// an io error every later call fails, the output being incomplete.
  /// Errors: invalid_argument when `e` is not a `packet` event, lacks
  /// `data`, `link_type` or `wirelen`, has a `wirelen` smaller than its data
  /// or a timestamp outside pcap's range (1970 to 2106) (the message starts
  /// "packet event <id>: " and names the field), or when the writer is
  /// closed; unsupported when its link type differs from the file's (the
  /// message gives both); io when the write fails (with the path and the
  /// system's reason).
  model::result<void> write(const model::event& e);

  /// Writes what is buffered and closes the file (a stream is flushed, not
  /// closed). Calling it again does nothing. Errors: io (with the path and
  /// the system's reason).
  model::result<void> close();

  /// Number of packets written so far.
  [[nodiscard]] std::uint64_t packets() const noexcept;
  /// The file's link type: that of the first packet, none before it.
  [[nodiscard]] std::optional<std::uint32_t> link_type() const noexcept;
  /// The snapshot length in the file header.
  [[nodiscard]] std::uint32_t snaplen() const noexcept;


 private:
  struct impl;  // the open file and its state (src/pcap/writer.cc)
  explicit pcap_writer(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

/// Writes the `packet` events among `events` to the file `path` as pcap,
/// skipping events of every other type, and closes it; for tools exporting a
/// query answer. Returns the number of packets written. Errors: as
/// pcap_writer::create, write (a link-type mismatch is an error, not skipped)
/// and close; on error the file holds the packets before the failing one.
COOP_TM_EXPORT model::result<std::uint64_t> write_pcap(
    std::span<const model::event> events, const std::filesystem::path& path,
    std::uint32_t snaplen = default_pcap_snaplen);

/// As above, to the borrowed stream `out`.
COOP_TM_EXPORT model::result<std::uint64_t> write_pcap(
    std::span<const model::event> events, std::ostream& out,
    std::uint32_t snaplen = default_pcap_snaplen);

}  // namespace coop::tm
