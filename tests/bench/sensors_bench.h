// coop-bench-sensors: the pieces of the sensors and importers benchmark.
// `replay` builds a large capture in memory from the shared pcaps (copies
// with shifted addresses and times), `measure` times the packet sensor,
// external programs (tshark, awk) and the importers. Everything here runs on
// the benchmark's main thread; nothing is thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine_info.h"

#include "coop/sensor/packet.h"

namespace coop::bench::sensors {

using json = nlohmann::ordered_json;

/// Nanoseconds of the monotonic clock.
std::int64_t mono_ns() noexcept;
/// Nanoseconds of CPU time used by the calling thread.
std::int64_t thread_cpu_ns() noexcept;
/// Progress on stderr ("coop-bench-sensors: ..."), flushed.
void progress(const std::string& line);
/// Prints "coop-bench-sensors: <what>" on stderr and exits with status 1.
[[noreturn]] void die(const std::string& what);
using coop::bench::machine_info;  // the "machine" object (machine_info.h)

/// A fresh private directory under the system temp dir, removed (with
/// everything in it) on destruction and by die(). One at a time.
class scratch_dir {
 public:
  /// Creates the directory; dies if it cannot.
  scratch_dir();
  /// Removes the directory and its contents.
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  /// The directory.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// One packet of an original capture file, its bytes in `source_file::bytes`.
struct source_packet {
  std::int64_t ts_ns = 0;
  std::uint32_t wirelen = 0;
  std::size_t offset = 0;  ///< Into source_file::bytes.
  std::uint32_t caplen = 0;
};

/// One shared capture file, read whole, every packet as Ethernet.
struct source_file {
  std::string name;  ///< Path relative to the pcaps directory.
  std::vector<std::uint8_t> bytes;
  std::vector<source_packet> packets;
  std::uint64_t converted = 0;  ///< Raw-IP packets given an Ethernet header.
};

/// Reads every capture under `dir` (pcap, pcapng, gzip; `_tshark/` excluded)
/// in path order through coop::sensor::capture. Packets of link types other
/// than Ethernet and raw IP are left out and counted in `skipped`. Dies on
/// a damaged file.
std::vector<source_file> load_captures(const std::filesystem::path& dir, std::uint64_t& skipped);

/// The large capture: `copies` copies of the sources one after the other,
/// copy k with every IPv4 address's third octet and every IPv6 address's
/// byte 13 increased by k (mod 256) and checksums updated, and times rebased
/// (see build_replay). Owns its bytes; `packets` views them.
struct replay {
  std::vector<std::uint8_t> bytes;
  std::vector<sensor::packet_view> packets;
  unsigned copies = 0;
  std::uint64_t wire_bytes = 0;
  std::uint64_t shortened_gaps = 0;  ///< Gaps over max_gap_ns shortened to it.
};

/// Gaps between consecutive packets of one file longer than this (10 min,
/// longer than every inactivity timeout of the sensor) are shortened to it,
/// so that copies of captures spanning years fit in the 64-bit nanosecond
/// timeline without changing which connections time out.
inline constexpr std::int64_t max_gap_ns = 600'000'000'000;

/// Builds the replay: at most `max_packets` packets (0: no limit).
replay build_replay(const std::vector<source_file>& sources, unsigned copies,
                    std::uint64_t max_packets);

/// Writes `r` as a nanosecond-resolution pcap file (LINKTYPE_ETHERNET).
void write_pcap(const replay& r, const std::filesystem::path& path);

/// Resource use of an external program run to completion.
struct child_run {
  double cpu_seconds = 0;   ///< User + system time of the child.
  double wall_seconds = 0;  ///< From spawn to exit.
  std::uint64_t max_rss_kb = 0;
};

/// Runs `argv` with stdout to `out` and stderr to `err`, waits for it, and
/// dies (quoting `err`) if it does not exit 0.
child_run run_child(const std::vector<std::string>& argv, const std::filesystem::path& out,
                    const std::filesystem::path& err);

/// Finds `program` in PATH, then /usr/sbin and /usr/bin; "" when absent.
std::string find_program(const std::string& program);

/// The figures of one timed system.
struct timing {
  double cpu_seconds = 0;   ///< Best repetition, CPU time of the working thread or process.
  double wall_seconds = 0;  ///< Wall time of that repetition.
  std::uint64_t units = 0;  ///< Packets or lines per repetition.
  [[nodiscard]] double rate() const {
    return cpu_seconds > 0 ? static_cast<double>(units) / cpu_seconds : 0;
  }
};

/// tshark's figures over the replay (sensors_tshark.cc).
struct tshark_result {
  json report;               ///< The "tshark" object of the JSON (command, times, output counts).
  double packets_per_s = 0;  ///< Packets / (CPU seconds - start-up CPU seconds).
  double packets_per_s_with_startup = 0;  ///< Packets / CPU seconds.
};

/// Writes `cap` to a pcap file under `dir` (and to `keep` unless empty), runs
/// `tshark` over it once (and once over its first packet, for the start-up
/// cost), checks that it printed one row per packet, and counts its rows with
/// DNS and HTTP fields. Dies if tshark fails.
tshark_result run_tshark(const std::string& tshark, const replay& cap,
                         const std::filesystem::path& dir, const std::string& keep);

/// The importer figures (sensors_import.cc).
struct import_result {
  timing importer, split, awk;
  std::uint64_t events = 0, fields = 0, problems = 0, skipped = 0;
  std::uint64_t split_checksum = 0, awk_output_lines = 0;
  std::size_t buffer_bytes = 0;
  std::string awk_program;  ///< The awk script given to the process.
};

/// Times coop::importer::parse_buffer over `text` (`format_name` "zeek" or
/// "apache", `lines` data lines), the in-process split baseline, and an awk
/// process over the same bytes written under `dir`; best of `iterations`.
import_result time_import(const std::string& text, std::uint64_t lines,
                          const std::string& format_name, const std::filesystem::path& dir,
                          const std::string& awk, int iterations);

}  // namespace coop::bench::sensors
