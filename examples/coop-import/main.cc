// coop-import: turns log files and hot lists into catalogue events, written
// as JSON lines or as a binary event stream, recorded in a time machine
// store and/or published to peer sites. Malformed lines are reported on
// stderr with file and line and skipped; a summary ends the run.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coop/importer/importer.h"
#include "coop/importer/sinks.h"
#include "coop/model/json.h"
#include "coop/model/schema.h"
#include "event_outputs.h"

namespace {

namespace imp = coop::importer;
namespace model = coop::model;
namespace outs = coop::outputs;

// Exit codes (documented in --help and docs/importers.md).
constexpr int exit_ok = 0;         // everything imported
constexpr int exit_skipped = 1;    // finished, but some lines were malformed and skipped
constexpr int exit_usage = 2;      // bad command line
constexpr int exit_input = 3;      // an input could not be read or recognised (others were imported)
constexpr int exit_output = 4;     // an output could not be written or opened: stopped

constexpr const char* help_top = R"(usage: coop-import [options] FILE...

Turns log files and hot lists into Coop catalogue events.

Inputs (plain or gzip-compressed; '-' reads standard input):
  Zeek logs (TSV with #fields/#types, zeek-cut -m, JSON lines), Apache
  Common/Combined access logs, sshd lines from auth.log or journal exports,
  Zeek Intel files, plain IP lists (ipsum), STIX 2.1 bundles, MISP events.

Options:
  --format F        auto (default), zeek, apache, sshd, intel, stix, misp, iplist
  --output O        jsonl (default): one JSON event per line;
                    binary: a Cap'n Proto event stream (coop-tm ingest reads both)
  -o FILE           write events to FILE instead of standard output (with
                    --store or --publish, nothing goes to standard output
                    unless -o - says so)
)";

constexpr const char* help_bottom = R"(  --site NAME       origin site stamped on every event
  --sensor NAME     origin sensor stamped on every event
  --year YYYY       year of syslog timestamps that have none (default: this
                    year, or last year for dates more than a day ahead)
  --zeek-path P     Zeek log path for inputs that do not say it (zeek-cut
                    output, JSON without _path); default: the file name
  --list-name N     source name for plain IP lists and Intel files without one
  --previous FILE   hot-list delta: import FILE... against their previous
                    version FILE; only new and changed entries are written,
                    and entries no longer listed are written with removed=T
  --schemas FILE    write the schemas of types learnt from Zeek headers
                    (zeek.<path>, for logs the catalogue does not define) to
                    FILE, one JSON object per line; readers need them
  --max-problems N  problems printed per input (default 20; the rest are counted)
  --progress        show progress on stderr even when it is not a terminal
  -q, --quiet       no progress and no summary
  -h, --help        this text

Problems are printed as FILE:LINE: MESSAGE on stderr. The summary lists,
per kind of input, lines read, events produced, lines skipped as malformed
and lines ignored (well-formed but with nothing to import).

With --store or --publish, the summary adds a line per output: events
stored, dropped by the store's rules and refused, and the committed batch;
events published and dropped (from the site's counters).

Exit status: 0 all imported; 1 some malformed lines were skipped; 2 usage
error; 3 an input could not be read or recognised (the others were
imported); 4 an output could not be opened or written (stopped).
)";

struct cli {
  imp::format fmt = imp::format::automatic;
  bool binary = false;
  std::string output;
  std::string schemas;
  std::string previous;
  imp::options opt;
  std::uint64_t max_problems = 20;
  bool progress = false;
  bool quiet = false;
  std::vector<std::string> files;
  outs::output_options outputs;
};

int usage(const std::string& msg) {
  std::fprintf(stderr, "coop-import: %s\n(see coop-import --help)\n", msg.c_str());
  return exit_usage;
}

// Parses the command line; returns an exit code when the run should stop.
int parse_args(int argc, char** argv, cli& c) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    std::string bad;
    if (auto o = outs::parse_option(argc, argv, i, c.outputs, bad);
        o != outs::parse_outcome::not_ours) {
      if (o == outs::parse_outcome::bad) return usage(bad);
      continue;
    }
    if (a == "-h" || a == "--help") {
      std::fputs(help_top, stdout);
      std::fputs(outs::options_help(20).c_str(), stdout);
      std::fputs(help_bottom, stdout);
      return exit_ok;
    } else if (a == "--format") {
      if (!value(v)) return usage("--format needs a value");
      auto f = imp::parse_format(v);
      if (!f) return usage(f.err().message);
      c.fmt = *f;
    } else if (a == "--output") {
      if (!value(v)) return usage("--output needs a value");
      if (v != "jsonl" && v != "binary") return usage("--output is jsonl or binary, not '" + v + "'");
      c.binary = v == "binary";
    } else if (a == "-o") {
      if (!value(c.output)) return usage("-o needs a file name");
    } else if (a == "--previous") {
      if (!value(c.previous)) return usage("--previous needs a file name");
    } else if (a == "--schemas") {
      if (!value(c.schemas)) return usage("--schemas needs a file name");
    } else if (a == "--site") {
      if (!value(c.opt.from.site)) return usage("--site needs a value");
    } else if (a == "--sensor") {
      if (!value(c.opt.from.sensor)) return usage("--sensor needs a value");
    } else if (a == "--year") {
      if (!value(v)) return usage("--year needs a value");
      char* end = nullptr;
      const long y = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || y < 1970 || y > 2200) {
        return usage("--year must be a year between 1970 and 2200, not '" + v + "'");
      }
      c.opt.year = static_cast<int>(y);
    } else if (a == "--zeek-path") {
      if (!value(c.opt.zeek_path)) return usage("--zeek-path needs a value");
    } else if (a == "--list-name") {
      if (!value(c.opt.list_name)) return usage("--list-name needs a value");
    } else if (a == "--max-problems") {
      if (!value(v)) return usage("--max-problems needs a value");
      c.max_problems = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--progress") {
      c.progress = true;
    } else if (a == "-q" || a == "--quiet") {
      c.quiet = true;
    } else if (a.size() > 1 && a[0] == '-' ) {
      return usage("unknown option '" + a + "'");
    } else {
      c.files.push_back(a);
    }
  }
  if (c.files.empty()) return usage("no input files");
  if (auto msg = outs::check_options(c.outputs); !msg.empty()) return usage(msg);
  return -1;
}

// Prints problems, at most `limit` per input, counting the rest.
struct problem_printer {
  std::uint64_t limit = 20;
  std::uint64_t shown = 0;
  std::uint64_t hidden = 0;
  bool* line_open = nullptr;

  void operator()(const imp::problem& p) {
    if (shown >= limit) {
      ++hidden;
      return;
    }
    ++shown;
    if (line_open != nullptr && *line_open) {
      std::fputc('\n', stderr);
      *line_open = false;
    }
    std::fprintf(stderr, "%s%s\n", p.to_string().c_str(), p.skipped ? " (skipped)" : "");
  }
  void end_input(const std::string& file) {
    if (hidden > 0) {
      std::fprintf(stderr, "%s: %llu more problems not shown (--max-problems)\n", file.c_str(),
                   static_cast<unsigned long long>(hidden));
    }
    shown = hidden = 0;
  }
};

// Gives each event to the stream sink (when there is one) and to the store
// and publishing outputs (once opened). A failing output stops the import.
class tee_sink final : public imp::sink {
 public:
  tee_sink(imp::sink* stream, imp::problem_handler on_problem)
      : stream_(stream), handler_(std::move(on_problem)) {}
  void attach(outs::event_outputs* o) { outputs_ = o; }
  model::result<void> on_event(const model::event& e) override {
    if (stream_ != nullptr) {
      if (auto r = stream_->on_event(e); !r) return r;
    }
    if (outputs_ != nullptr) {
      if (auto r = outputs_->write(e); !r) {
        outputs_failed_ = true;
        return r;
      }
    }
    return {};
  }
  void on_problem(const imp::problem& p) override {
    if (handler_) handler_(p);
  }
  [[nodiscard]] bool outputs_failed() const noexcept { return outputs_failed_; }

 private:
  imp::sink* stream_;
  imp::problem_handler handler_;
  outs::event_outputs* outputs_ = nullptr;
  bool outputs_failed_ = false;
};

void print_summary(const imp::summary& s, double seconds) {
  std::fprintf(stderr, "%-22s %12s %12s %10s %10s\n", "input kind", "lines", "events", "skipped",
               "ignored");
  for (const auto& [kind, t] : s.kinds) {
    std::fprintf(stderr, "%-22s %12llu %12llu %10llu %10llu\n", kind.c_str(),
                 static_cast<unsigned long long>(t.lines), static_cast<unsigned long long>(t.events),
                 static_cast<unsigned long long>(t.skipped),
                 static_cast<unsigned long long>(t.ignored));
  }
  const auto t = s.total();
  std::fprintf(stderr, "%-22s %12llu %12llu %10llu %10llu   (%.2f s)\n", "total",
               static_cast<unsigned long long>(t.lines), static_cast<unsigned long long>(t.events),
               static_cast<unsigned long long>(t.skipped),
               static_cast<unsigned long long>(t.ignored), seconds);
  for (const auto& [type, n] : s.events) {
    std::fprintf(stderr, "  %-20s %12llu\n", type.c_str(), static_cast<unsigned long long>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  cli c;
  if (int rc = parse_args(argc, argv, c); rc >= 0) return rc;

  std::ofstream file_out;
  std::ostream* out = &std::cout;
  // Standard output is the default stream only when no other output is asked for.
  const bool stream_wanted = !c.output.empty() || !c.outputs.any();
  if (!c.output.empty() && c.output != "-") {
    file_out.open(c.output, std::ios::binary | std::ios::trunc);
    if (!file_out) {
      std::fprintf(stderr, "coop-import: cannot write %s\n", c.output.c_str());
      return exit_output;
    }
    out = &file_out;
  }
  std::ios::sync_with_stdio(false);

  bool line_open = false;
  problem_printer printer{c.max_problems, 0, 0, &line_open};
  auto handler = [&printer](const imp::problem& p) { printer(p); };
  std::unique_ptr<imp::sink> stream;
  imp::binary_sink* binary = nullptr;
  if (stream_wanted && c.binary) {
    auto b = std::make_unique<imp::binary_sink>(*out, handler);
    binary = b.get();
    stream = std::move(b);
  } else if (stream_wanted) {
    stream = std::make_unique<imp::json_lines_sink>(*out, handler);
  }
  tee_sink sink(stream.get(), handler);

  const bool show_progress = !c.quiet && (c.progress || isatty(2) != 0);
  std::string current;
  auto last = std::chrono::steady_clock::now();
  if (show_progress) {
    c.opt.progress = [&](std::uint64_t done, std::uint64_t size) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(500) && done != size) return;
      last = now;
      if (size > 0) {
        std::fprintf(stderr, "\rcoop-import: %s %3.0f%% of %.1f MB", current.c_str(),
                     100.0 * static_cast<double>(done) / static_cast<double>(size),
                     static_cast<double>(size) / 1e6);
      } else {
        std::fprintf(stderr, "\rcoop-import: %s %.1f MB", current.c_str(),
                     static_cast<double>(done) / 1e6);
      }
      line_open = true;
    };
  }

  model::registry reg;
  auto importer = imp::importer::create(reg, sink, c.opt);
  if (!importer) {
    std::fprintf(stderr, "coop-import: %s\n", importer.err().to_string().c_str());
    return exit_output;
  }
  // After the importer, so the registry holds the catalogue the store starts with.
  std::optional<outs::event_outputs> outputs;
  if (c.outputs.any()) {
    auto o = outs::event_outputs::open(c.outputs, reg, "coop-import");
    if (!o) {
      std::fprintf(stderr, "coop-import: %s\n", o.err().message.c_str());
      return exit_output;
    }
    outputs.emplace(std::move(o.value()));
    sink.attach(&*outputs);
  }
  const auto start = std::chrono::steady_clock::now();
  int rc = exit_ok;
  for (const auto& f : c.files) {
    current = f;
    const std::string path = f == "-" ? "/dev/stdin" : f;
    auto r = c.previous.empty() ? importer->import_file(path, c.fmt)
                                : importer->import_delta(c.previous, path, c.fmt);
    if (line_open) {
      std::fputc('\n', stderr);
      line_open = false;
    }
    printer.end_input(f);
    if (!r) {
      std::fprintf(stderr, "coop-import: %s\n", r.err().message.c_str());
      if (sink.outputs_failed()) {
        rc = exit_output;
        break;
      }
      if (r.err().code == model::errc::io && !*out) {
        rc = exit_output;
        break;
      }
      if (!*out) {
        rc = exit_output;
        break;
      }
      rc = exit_input;
    }
  }
  if (binary != nullptr && rc != exit_output) {
    if (auto r = binary->flush(); !r) {
      std::fprintf(stderr, "coop-import: %s\n", r.err().message.c_str());
      rc = exit_output;
    }
  }
  out->flush();
  if (!*out && rc != exit_output) {
    std::fprintf(stderr, "coop-import: writing the output failed\n");
    rc = exit_output;
  }
  if (outputs) {
    if (auto r = outputs->finish(); !r) {
      std::fprintf(stderr, "coop-import: %s\n", r.err().message.c_str());
      rc = exit_output;
    }
  }
  if (!c.schemas.empty() && rc != exit_output) {
    // Types learnt at run time (their names contain a dot): readers of the
    // events need them, the catalogue's they already have.
    std::ofstream sf(c.schemas, std::ios::trunc);
    for (const auto& sc : reg.newest()) {
      if (sc->name().find('.') == std::string::npos) continue;
      auto j = model::schema_to_json(*sc);
      if (j) sf << *j << '\n';
    }
    if (!sf) {
      std::fprintf(stderr, "coop-import: cannot write the schemas to %s\n", c.schemas.c_str());
      rc = exit_output;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!c.quiet) {
    print_summary(importer->totals(), secs);
    if (outputs) outputs->print_summary(stderr);
  }
  if (rc == exit_ok && importer->totals().total().skipped > 0) rc = exit_skipped;
  return rc;
}
