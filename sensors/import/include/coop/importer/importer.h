// Importers: turn the log files and hot lists sites already have (Zeek TSV
// and JSON logs, Apache access logs, sshd auth logs, Zeek Intel files, plain
// IP lists, STIX 2.1 bundles, MISP events) into catalogue events. An
// `importer` reads files or in-memory buffers, hands each event to a `sink`,
// reports every malformed line with its file and line number (and skips
// only that line), and keeps a `summary` of what it read. Start here; the
// ready-made sinks are in coop/importer/sinks.h and docs/importers.md maps
// every format to the catalogue. An importer is a resource used by one
// thread at a time; distinct importers may run in parallel if each has its
// own registry (or the shared one is no longer modified).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"

namespace coop::importer {

/// The input formats. `automatic` looks at the first bytes and the file name.
enum class format {
  automatic,  ///< Detect (see detect_format).
  zeek,       ///< Zeek logs: TSV with a #fields header, zeek-cut -m / tsv=T, or JSON lines.
  apache,     ///< Apache Common or Combined access log (optionally vhost-prefixed).
  sshd,       ///< syslog / auth.log / journal lines; sshd's become ssh_login.
  intel,      ///< Zeek Intel framework input file.
  stix,       ///< STIX 2.1 bundle (JSON document).
  misp,       ///< MISP event JSON (one event, a list, or a REST "response").
  iplist,     ///< Plain list of addresses or prefixes, one per line (ipsum counts allowed).
};

/// "auto", "zeek", "apache", "sshd", "intel", "stix", "misp", "iplist".
std::string_view to_string(format f) noexcept;
/// Parses a name as printed by to_string. Errors: invalid_argument listing the names.
model::result<format> parse_format(std::string_view name);

/// Guesses the format of an input from its first bytes (after decompression;
/// a few kilobytes are enough) and its file name. Errors: unsupported, with
/// a message naming `name` and suggesting --format.
model::result<format> detect_format(std::string_view head, std::string_view name);

/// One problem found in the input. `line` is 1-based, 0 when the problem is
/// about a whole document (a STIX bundle that is not JSON).
struct problem {
  std::string file;         ///< The input's name as given (path, or "<buffer>").
  std::uint64_t line = 0;   ///< Line number, 0 for whole-document problems.
  std::string message;      ///< What is wrong, naming the field or column.
  bool skipped = true;      ///< True: the line (or object) was skipped. False: a warning only.
  /// "file:line: message" (or "file: message" when line is 0).
  [[nodiscard]] std::string to_string() const;
};

/// Counts for one kind of input ("zeek/dns", "apache", "sshd", "stix", ...).
struct tally {
  std::uint64_t lines = 0;    ///< Lines (or objects) read, headers and comments excluded.
  std::uint64_t records = 0;  ///< Lines that produced at least one event.
  std::uint64_t events = 0;   ///< Events produced.
  std::uint64_t skipped = 0;  ///< Malformed lines skipped (each was reported as a problem).
  std::uint64_t ignored = 0;  ///< Well-formed lines that carry nothing to import (sudo in auth.log).
};

/// What an importer has read so far.
struct summary {
  /// By kind of input, sorted by name.
  std::map<std::string, tally, std::less<>> kinds;
  /// Events produced, by event type name.
  std::map<std::string, std::uint64_t, std::less<>> events;
  /// Sum over all kinds.
  [[nodiscard]] tally total() const noexcept;
};

/// Receives what an importer produces. Called on the importer's thread.
class sink {
 public:
  /// Sinks are used through references to this base.
  virtual ~sink() = default;
  /// One event. The reference is only valid during the call (the importer
  /// reuses the object for the next line): copy it to keep it. An error
  /// stops the import and is returned by the importer's call.
  virtual model::result<void> on_event(const model::event& e) = 0;
  /// One problem. The default does nothing.
  virtual void on_problem(const problem& p);
};

/// How to import. Plain aggregate; every field has a usable default.
struct options {
  /// Site and sensor stamped on every event (a Zeek intel.log `seen.node`
  /// or notice `peer_descr` overrides the sensor). Default: empty.
  model::origin from;
  /// Year for syslog timestamps that have none ("Feb 12 14:10:21"). 0 (the
  /// default): the clock's current year, and a timestamp more than one day
  /// in the future of the clock is taken from the year before (a December
  /// log read in January).
  int year = 0;
  /// Source of "now" for year inference and for hot-list entries that say
  /// nothing about time. Must outlive the importer. Default (null): the system clock.
  const model::clock* clock = nullptr;
  /// Generator part of event ids; 0 (default): random. Fixed values make
  /// ids reproducible (tests, TSV/JSON comparisons).
  std::uint64_t id_seed = 0;
  /// Zeek log path (conn, dns, ...) for inputs that do not say it (zeek-cut
  /// output, JSON without _path). Empty (default): the file name up to its
  /// first '.'.
  std::string zeek_path;
  /// Name of the list, the indicators' `source`, for plain IP lists and
  /// Intel files without meta.source. Empty (default): the file name.
  std::string list_name;
  /// Called after every chunk read (about 1 MiB of text from files, 4 MiB
  /// from buffers) with (bytes of the file consumed, compressed if it is
  /// compressed; the file's size, 0 for buffers). For progress display, so
  /// it should be cheap; may be empty (default).
  std::function<void(std::uint64_t done, std::uint64_t size)> progress;
};

/// Reads inputs into events. A resource: move-only, one thread at a time.
class importer {
 public:
  /// An importer writing to `out`, with the standard catalogue added to
  /// `reg` (add_catalogue) and schemas of Zeek logs the catalogue does not
  /// know registered there as they are met (type `zeek.<path>`, see
  /// docs/importers.md). `reg` and `out` must outlive the importer.
  /// Errors: those of add_catalogue (a registry holding a conflicting type).
  static model::result<importer> create(model::registry& reg, sink& out, options opt = {});

  /// Releases the importer; the registry keeps the types it learnt.
  ~importer();
  /// Moves the importer; the moved-from object may only be destroyed or assigned to.
  importer(importer&&) noexcept;
  /// Move assignment, as the move constructor.
  importer& operator=(importer&&) noexcept;
  importer(const importer&) = delete;             ///< A resource: not copyable.
  importer& operator=(const importer&) = delete;  ///< A resource: not copyable.

  /// Imports one file, plain or gzip-compressed, in format `f` (detected
  /// when automatic). Malformed lines are reported to the sink and skipped;
  /// they are not errors. Errors: io (cannot open or read, naming the file),
  /// unsupported (format not detected), corruption (damaged gzip data, with
  /// the line reached), or the sink's error.
  model::result<void> import_file(const std::filesystem::path& path, format f = format::automatic);

  /// Imports bytes held in memory (plain text; gzip is not recognised here).
  /// `name` names the input in problems. The fast path for benchmarks: no
  /// copy of `data` is made. Errors: as import_file, without io.
  model::result<void> import_buffer(std::string_view data, std::string_view name,
                                    format f = format::automatic);

  /// Imports a hot list as a delta against its previous version: entries
  /// of `current` that are new or changed are emitted, unchanged ones are
  /// not, and every entry of `previous` missing from `current` is emitted
  /// again with `removed` T (catalogue: a withdrawal). Entries are keyed by
  /// indicator value and type. Non-indicator events pass through. The
  /// summary kind "delta" counts the previous entries (lines), the
  /// withdrawals (events) and the unchanged entries (ignored). Errors: as
  /// import_file, for either file.
  model::result<void> import_delta(const std::filesystem::path& previous,
                                   const std::filesystem::path& current,
                                   format f = format::automatic);

  /// What has been read so far, over every call.
  [[nodiscard]] const summary& totals() const noexcept;

 private:
  struct impl;
  explicit importer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// One-shot helper: imports `data` with a fresh importer and returns its
/// summary. This is the function benchmarks call (`coop::importer::parse_buffer(
/// text, format::zeek, reg, sink)`). Errors: as importer::import_buffer.
model::result<summary> parse_buffer(std::string_view data, format f, model::registry& reg,
                                    sink& out, const options& opt = {});

}  // namespace coop::importer
