// Syslog receiving and log following: a parser for RFC 3164 (BSD) and RFC
// 5424 messages, the two TCP framings of RFC 6587 (octet counting and
// newline) detected per connection, a `syslog_receiver` that turns each
// message into a catalogue `syslog_message` event (and an `ssh_login` event
// when the message is sshd's, through the sshd importer), and a
// `log_follower` that follows a growing log file with `tail -F` semantics
// (rotation and truncation). Network I/O is the caller's (examples/
// coop-syslogd shows a poll loop). parse_syslog and the name functions are
// pure and thread-safe; framers, receivers and followers are resources
// used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "coop/importer/importer.h"
#include "coop/model/address.h"
#include "coop/model/result.h"
#include "coop/model/time.h"

namespace coop::importer {

/// One syslog message split into its parts. Every view points into the
/// text given to parse_syslog and is valid as long as that text is.
struct syslog_parts {
  int facility = 0;             ///< 0-23 from the PRI ("<34>": 4, AUTH).
  int severity = 0;             ///< 0-7 from the PRI ("<34>": 2, CRIT).
  int version = 0;              ///< 1 for RFC 5424, 0 for RFC 3164.
  bool has_time = false;        ///< False for "-" (5424) or a header without a timestamp (3164).
  model::timestamp ts;          ///< The header's time in UTC, when has_time.
  std::string_view hostname;    ///< Empty when absent or "-".
  std::string_view app_name;    ///< 5424 APP-NAME, 3164 tag up to '[' or ':'; empty when absent.
  std::string_view procid;      ///< 5424 PROCID, 3164 "[pid]"; empty when absent.
  std::string_view msgid;       ///< 5424 MSGID; always empty for 3164.
  std::string_view message;     ///< The text after the header (structured data skipped, BOM removed).
};

/// Parses one message (without framing; a trailing newline or NUL is
/// ignored). RFC 5424 is recognised by the "1 " after the PRI. A 3164
/// message whose header is not "Mmm dd hh:mm:ss host " keeps its whole
/// text after the PRI as message, as RFC 3164 4.3.3 asks; `now` and `year`
/// resolve 3164's year-less timestamps (see options::year). Errors:
/// invalid_argument naming the part that is wrong and its byte offset (a
/// missing or out-of-range PRI, a malformed 5424 header field or
/// structured-data element).
model::result<syslog_parts> parse_syslog(std::string_view text, model::timestamp now,
                                         int year = 0);

/// "KERN", "USER", ... "LOCAL7", upper case as Zeek writes them; "" outside 0-23.
std::string_view facility_name(int facility) noexcept;
/// "EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"; "" outside 0-7.
std::string_view severity_name(int severity) noexcept;

/// The framing of one TCP connection (RFC 6587).
enum class framing {
  unknown,         ///< Nothing received yet.
  octet_counting,  ///< "LEN SP MSG": the first byte was a digit.
  newline,         ///< Messages end at LF (or NUL): the first byte was anything else.
};

/// Splits a TCP byte stream into messages. The framing is detected from
/// the first byte of the connection and then fixed.
class stream_framer {
 public:
  /// Called with each complete message; the view is valid during the call only.
  using message_handler = std::function<model::result<void>(std::string_view)>;

  /// A framer refusing messages over `max_message` bytes (default 64 KiB).
  explicit stream_framer(std::size_t max_message = 64 * 1024);

  /// Feeds the next bytes of the stream; calls `on_message` for each
  /// message completed by them. An oversized message is dropped whole
  /// (counted in oversized()) and framing goes on. Errors: invalid_argument
  /// when an octet count is malformed (not digits, over 9 digits, no space),
  /// naming the stream offset: the stream cannot be resynchronised and the
  /// caller should close it; or the handler's error.
  model::result<void> feed(std::string_view bytes, const message_handler& on_message);
  /// End of stream: a newline-framed message without its final LF is
  /// delivered; a partial octet-counted frame is counted in truncated().
  /// Errors: the handler's.
  model::result<void> finish(const message_handler& on_message);

  /// The framing detected so far.
  [[nodiscard]] framing mode() const noexcept { return mode_; }
  /// Messages dropped because they were over the size limit.
  [[nodiscard]] std::uint64_t oversized() const noexcept { return oversized_; }
  /// Partial frames left at finish().
  [[nodiscard]] std::uint64_t truncated() const noexcept { return truncated_; }
  /// Bytes fed so far.
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }

 private:
  std::size_t max_;
  framing mode_ = framing::unknown;
  std::string pending_;           // bytes of the message being assembled
  std::uint64_t want_ = 0;        // octet counting: bytes still wanted, 0 = reading LEN
  bool reading_len_ = true;       // octet counting: inside the LEN field
  unsigned len_digits_ = 0;       // octet counting: digits of LEN read so far
  bool discarding_ = false;       // the current message is over the limit
  std::uint64_t offset_ = 0;
  std::uint64_t oversized_ = 0;
  std::uint64_t truncated_ = 0;
};

/// Where a message came from and on which of our sockets it arrived.
struct syslog_peer {
  bool known = false;           ///< False: the addresses below are not set (a file).
  model::address orig_h;        ///< Sender address.
  std::uint16_t orig_p = 0;     ///< Sender port.
  model::address resp_h;        ///< Our listening address.
  std::uint16_t resp_p = 0;     ///< Our listening port.
  model::transport proto = model::transport::udp;  ///< udp or tcp.
};

/// How a receiver works. Plain aggregate; every field has a usable default.
struct receiver_options {
  /// Site, sensor, clock, id seed, year for 3164 timestamps (see options).
  options import;
  /// Messages whose header has no time get the clock's time. When true
  /// (default false), every message gets the receive time and the header's
  /// time is ignored.
  bool receive_time = false;
};

/// What a receiver has seen.
struct receiver_stats {
  std::uint64_t messages = 0;    ///< Messages given to the receiver.
  std::uint64_t rfc5424 = 0;     ///< Of which RFC 5424.
  std::uint64_t rfc3164 = 0;     ///< Of which RFC 3164.
  std::uint64_t malformed = 0;   ///< Reported as problems and skipped.
  std::uint64_t events = 0;      ///< syslog_message events produced.
  std::uint64_t ssh_logins = 0;  ///< ssh_login events produced from sshd's messages.
};

/// Turns syslog messages into catalogue events: each message gives one
/// `syslog_message`; a message of sshd ("sshd", "sshd-session",
/// "sshd(pam_unix)") also goes through the sshd importer and gives the
/// `ssh_login` events its text describes. A resource: move-only, one
/// thread at a time.
class syslog_receiver {
 public:
  /// A receiver writing to `out`, with the catalogue added to `reg`. `reg`
  /// and `out` must outlive it. Errors: those of add_catalogue.
  static model::result<syslog_receiver> create(model::registry& reg, sink& out,
                                               receiver_options opt = {});
  ~syslog_receiver();
  /// Moves the receiver; the moved-from object may only be destroyed or assigned to.
  syslog_receiver(syslog_receiver&&) noexcept;
  /// Move assignment, as the move constructor.
  syslog_receiver& operator=(syslog_receiver&&) noexcept;
  syslog_receiver(const syslog_receiver&) = delete;             ///< A resource.
  syslog_receiver& operator=(const syslog_receiver&) = delete;  ///< A resource.

  /// One message (a UDP datagram or a frame of a TCP stream) from `from`;
  /// `source` names it in problems ("udp 10.0.0.1:514"). A malformed
  /// message is reported to the sink as a problem (line 0, the parse
  /// error) and counted; it is not an error. Errors: the sink's.
  model::result<void> on_message(std::string_view text, const syslog_peer& from,
                                 std::string_view source);
  /// Counts so far.
  [[nodiscard]] const receiver_stats& stats() const noexcept;
  /// The sshd importer's summary (kind "sshd": lines, events, ignored).
  [[nodiscard]] const summary& sshd_totals() const noexcept;

 private:
  struct impl;
  explicit syslog_receiver(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// Follows a log file as `tail -F` does: reads what is appended, notices
/// when the file is replaced (rotation: a new inode at the path; the old
/// file is read to its end first) or truncated (size below what was read:
/// reading restarts at 0), and waits for a file that does not exist yet.
/// A resource: move-only, one thread at a time.
class log_follower {
 public:
  /// Called with each complete line (without its LF and a trailing CR);
  /// the view is valid during the call only.
  using line_handler = std::function<model::result<void>(std::string_view)>;

  /// Follows `path`; `from_start` reads what the file already holds,
  /// otherwise only what is appended after the first poll. Never fails:
  /// a missing file is waited for. Lines over `max_line` bytes (default
  /// 64 KiB) are cut there.
  explicit log_follower(std::filesystem::path path, bool from_start = true,
                        std::size_t max_line = 64 * 1024);
  ~log_follower();
  log_follower(log_follower&&) noexcept;             ///< Moves the open file too.
  log_follower& operator=(log_follower&&) noexcept;  ///< Moves the open file too.
  log_follower(const log_follower&) = delete;             ///< A resource.
  log_follower& operator=(const log_follower&) = delete;  ///< A resource.

  /// Reads everything available now and calls `on_line` per complete line.
  /// Returns the number of lines delivered. Call it periodically (every
  /// 100-500 ms). Errors: io when the file exists but cannot be opened or
  /// read (naming it), or the handler's error.
  model::result<std::uint64_t> poll(const line_handler& on_line);

  /// Times the path was found replaced by another file.
  [[nodiscard]] std::uint64_t rotations() const noexcept { return rotations_; }
  /// Times the file was found shorter than what had been read.
  [[nodiscard]] std::uint64_t truncations() const noexcept { return truncations_; }
  /// Lines cut at max_line.
  [[nodiscard]] std::uint64_t cut_lines() const noexcept { return cut_; }

 private:
  model::result<std::uint64_t> drain(const line_handler& on_line);
  std::filesystem::path path_;
  bool from_start_;
  std::size_t max_line_;
  int fd_ = -1;
  std::uint64_t inode_ = 0, device_ = 0, offset_ = 0;
  bool first_ = true;
  std::string partial_;
  bool cutting_ = false;
  std::uint64_t rotations_ = 0, truncations_ = 0, cut_ = 0;
};

}  // namespace coop::importer
