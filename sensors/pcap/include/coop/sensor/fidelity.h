// Fidelity against Zeek: runs the sensor over a capture and matches its
// events, record by record, with the logs Zeek wrote for the same capture
// (by 5-tuple and content, never by uid). Reads Zeek TSV logs, btest
// baselines (header line, canonified timestamps) and `zeek-cut -m` output.
// Functions are reentrant; results are plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coop/model/result.h"
#include "coop/sensor/sensor.h"

namespace coop::sensor {

/// One Zeek log: column names and rows of raw (unescaped) text values.
struct zeek_log {
  std::string path;                 ///< "conn", "dns", ... (from #path or the file name).
  std::vector<std::string> fields;  ///< Column names.
  std::vector<std::string> types;   ///< Column types ("" when the file has none).
  std::vector<std::vector<std::string>> rows;  ///< Values, "-" for unset.
};

/// Reads a Zeek TSV log, a btest baseline of one, or a `zeek-cut -m` file.
/// Errors: io (cannot read, naming the file), invalid_argument (no column
/// header, or a row with the wrong number of columns: file and line).
model::result<zeek_log> read_zeek_log(const std::string& file);

/// What a Zeek run was told, recovered from a baseline's CMD.txt so the
/// sensor can be configured the same way.
struct zeek_run {
  std::string pcap;       ///< Trace path relative to Zeek's Traces directory ("" if none).
  bool checksums = true;  ///< False when run with -C.
  bool bare = false;      ///< -b: only the named scripts were loaded.
  std::vector<std::string> scripts;  ///< Protocol scripts loaded ("http", "dns", ...).
};

/// Parses a CMD.txt. Errors: io.
model::result<zeek_run> read_zeek_run(const std::string& file);

/// The sensor configuration mirroring a Zeek run (checksum checking, and
/// likely-server ports limited to the analyzers loaded in a -b run).
sensor_config config_for(const zeek_run& run);

/// One field on which a Zeek record and the sensor's best candidate differ.
struct field_diff {
  std::string log;     ///< "conn", ...
  std::string record;  ///< The Zeek record's 5-tuple ("10.0.0.1:80 > 10.0.0.2:1234 tcp").
  std::string field;   ///< Zeek column.
  std::string zeek;    ///< Zeek's value.
  std::string ours;    ///< Ours ("(no record)" when nothing matched the 5-tuple).
};

/// Agreement of one log.
struct log_score {
  std::size_t zeek = 0;     ///< Zeek records.
  std::size_t matched = 0;  ///< Of those, reproduced exactly on every compared field.
};

/// The outcome of one comparison.
struct fidelity_report {
  std::map<std::string, log_score> logs;  ///< By log name.
  std::vector<field_diff> diffs;          ///< Every disagreement.
  [[nodiscard]] log_score overall() const;
};

/// Runs the sensor on `pcap` (configured by `cfg`) and compares its events
/// with the logs in `zeek_dir` that it knows (conn, dns, http, ssh, smtp,
/// ssl, ftp, syslog). Errors: io / invalid_argument from reading either side.
model::result<fidelity_report> compare_with_zeek(const std::string& pcap,
                                                 const std::string& zeek_dir,
                                                 const sensor_config& cfg);

/// Adds `r` into `total` (for totals over many pairs).
void accumulate(fidelity_report& total, const fidelity_report& r);

/// {"logs": {"conn": {"zeek": N, "matched": M, "agreement": M/N}, ...},
///  "overall": {"zeek": N, "matched": M, "agreement": M/N}}
std::string to_json(const fidelity_report& r);

/// A baseline directory and the shared capture it was produced from.
struct baseline_pair {
  std::string dir;
  std::string pcap;
  zeek_run run;
};

/// Every baseline under `data_dir`/zeek-baselines whose CMD.txt names a
/// trace present under `data_dir`/pcaps/zeek, sorted by directory.
/// Errors: io when `data_dir` has no zeek-baselines.
model::result<std::vector<baseline_pair>> find_pairs(const std::string& data_dir);

}  // namespace coop::sensor
