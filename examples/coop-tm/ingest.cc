// `coop-tm ingest`: reads JSON lines, a Cap'n Proto event stream or Zeek
// logs (through the importer of sensors/import) into a store in batches,
// reporting each bad record with its place and skipping it, with progress on
// stderr for long ingests.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli.h"
#include "coop/importer/importer.h"
#include "coop/model/codec.h"
#include "coop/model/json.h"
#include "output.h"

namespace coop::cli {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t batch_size = 4096;
constexpr std::uint64_t max_errors_shown = 20;

enum class input_format { jsonl, capnp, zeek };

// Where an event came from, to name it if the store refuses it.
struct origin_place {
  enum class kind { line, offset, record };
  std::size_t file = 0;
  std::uint64_t pos = 0;  // line (jsonl), byte offset (capnp) or event number (zeek)
  kind k = kind::line;
};

class ingester {
 public:
  ingester(tm::store& st, bool quiet) : st_(st), quiet_(quiet), tty_(isatty(2) != 0) {
    batch_.reserve(batch_size);
    places_.reserve(batch_size);
  }

  // Reads one input; false when ingest must stop (store error, interrupt).
  bool read(const std::string& name, std::istream& in, input_format f) {
    names_.push_back(name == "-" ? "<stdin>" : name);
    switch (f) {
      case input_format::jsonl: return read_jsonl(in);
      case input_format::capnp: return read_capnp(in, name);
      case input_format::zeek: return read_zeek(in, name);
    }
    return false;
  }

  // Stores what is batched and commits. False on a store error.
  bool finish() {
    if (failed_ || !flush()) return false;
    auto c = st_.commit();
    if (!c) {
      fail("commit: " + c.err().message + " (events since the last commit are not durable)");
      return false;
    }
    progress(true);
    return true;
  }

  void summary(std::ostream& out) const {
    const double secs = std::chrono::duration<double>(clock_type::now() - start_).count();
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.1f s, %.0f events/s", secs,
                  secs > 0 ? static_cast<double>(read_) / secs : 0.0);
    out << "ingested " << read_ << " events from " << names_.size()
        << (names_.size() == 1 ? " input" : " inputs") << ": " << accepted_ << " stored, "
        << dropped_ << " dropped by rules, " << skipped_ << " skipped as bad; " << rate << ", "
        << human_bytes(bytes_) << " read; committed through batch " << st_.committed() << "\n";
  }

  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  [[nodiscard]] bool was_interrupted() const noexcept { return interrupted_; }

 private:
  bool read_jsonl(std::istream& in) {
    std::string line;
    std::uint64_t n = 0;
    const auto& types = catalogue_types();
    while (std::getline(in, line)) {
      ++n;
      bytes_ += line.size() + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto e = model::from_json(line, types);
      if (!e) {
        bad(names_.back() + ":" + std::to_string(n) + ": " + e.err().message);
        continue;
      }
      if (!add(std::move(e.value()), {names_.size() - 1, n, origin_place::kind::line})) return false;
    }
    if (in.bad()) {
      bad(names_.back() + ":" + std::to_string(n + 1) + ": read error; the rest is not read");
    }
    return true;
  }

  bool read_capnp(std::istream& in, const std::string& name) {
    model::stream_reader reader(in);
    const auto& types = catalogue_types();
    std::uint64_t last_offset = 0;
    for (;;) {
      auto v = reader.next_view();
      if (!v) {
        // Framing errors are final: nothing after them can be found.
        bad(names_.back() + ": " + v.err().message + "; the rest of the input is not read");
        break;
      }
      if (!v->has_value()) break;
      last_offset = reader.message_offset();
      bytes_ = bytes_base_ + last_offset;
      auto e = (*v)->to_event(types);
      if (!e) {
        bad(names_.back() + ": message at byte offset " + std::to_string(last_offset) + ": " +
            e.err().message);
        continue;
      }
      if (!add(std::move(e.value()), {names_.size() - 1, last_offset, origin_place::kind::offset}))
        return false;
    }
    std::error_code ec;
    auto size = name == "-" ? 0 : std::filesystem::file_size(name, ec);
    bytes_ = bytes_base_ + (ec || size == 0 ? last_offset : size);
    bytes_base_ = bytes_;
    return true;
  }

  // Hands each event the importer makes to add(); a stop of the ingest
  // (store error, interrupt) stops the importer.
  class zeek_sink final : public importer::sink {
   public:
    explicit zeek_sink(ingester& owner) : owner_(owner) {}
    model::result<void> on_event(const model::event& e) override {
      ++events_;
      if (owner_.add(e, {owner_.names_.size() - 1, events_, origin_place::kind::record})) return {};
      stopped_ = true;
      return model::error{model::errc::io, "ingest stopped"};
    }
    void on_problem(const importer::problem& p) override {
      if (p.skipped) owner_.bad(p.to_string());
    }
    [[nodiscard]] bool stopped() const noexcept { return stopped_; }

   private:
    ingester& owner_;
    std::uint64_t events_ = 0;
    bool stopped_ = false;
  };

  // Zeek logs (TSV, zeek-cut output or JSON; gzip too) through the
  // importer: known logs become catalogue events, others `zeek.<path>`
  // events whose schemas the store keeps.
  bool read_zeek(std::istream& in, const std::string& name) {
    zeek_sink sink(*this);
    importer::options opt;
    const std::uint64_t base = bytes_base_;
    opt.progress = [this, base](std::uint64_t done, std::uint64_t) { bytes_ = base + done; };
    auto imp = importer::importer::create(zeek_types_, sink, opt);
    if (!imp) {
      bad(names_.back() + ": " + imp.err().message);
      return true;
    }
    model::result<void> r;
    if (name == "-") {
      const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      bytes_ = base + text.size();
      r = imp->import_buffer(text, names_.back(), importer::format::zeek);
    } else {
      r = imp->import_file(name, importer::format::zeek);
    }
    if (sink.stopped()) return false;
    if (!r) bad(r.err().message + "; the rest of the input is not read");
    std::error_code ec;
    const auto size = name == "-" ? 0 : std::filesystem::file_size(name, ec);
    if (!ec && size > 0) bytes_ = base + size;
    bytes_base_ = bytes_;
    return true;
  }

  bool add(model::event e, origin_place where) {
    batch_.push_back(std::move(e));
    places_.push_back(where);
    ++read_;
    if (interrupted()) {
      interrupted_ = true;
      return false;
    }
    if (batch_.size() >= batch_size && !flush()) return false;
    if (read_ % 256 == 0) progress(false);
    return true;
  }

  bool flush() {
    if (batch_.empty()) return true;
    auto r = st_.append(batch_);
    if (r) {
      accepted_ += r->accepted;
      dropped_ += r->dropped;
    } else if (r.err().code == model::errc::invalid_argument) {
      // One event spoils the batch: store the others one by one and name it.
      for (std::size_t i = 0; i < batch_.size(); ++i) {
        auto one = st_.append(std::span(&batch_[i], 1));
        if (one) {
          accepted_ += one->accepted;
          dropped_ += one->dropped;
          continue;
        }
        if (one.err().code != model::errc::invalid_argument) return store_failed(one.err());
        bad(place(places_[i]) + ": refused by the store: " + one.err().message);
      }
    } else {
      return store_failed(r.err());
    }
    batch_.clear();
    places_.clear();
    return true;
  }

  bool store_failed(const model::error& e) {
    fail("append: " + e.to_string());
    failed_ = true;
    return false;
  }

  [[nodiscard]] std::string place(const origin_place& p) const {
    const std::string& n = names_[p.file];
    switch (p.k) {
      case origin_place::kind::line: return n + ":" + std::to_string(p.pos);
      case origin_place::kind::offset: return n + ": message at byte offset " + std::to_string(p.pos);
      case origin_place::kind::record: return n + ": event " + std::to_string(p.pos);
    }
    return n;
  }

  void bad(const std::string& message) {
    ++skipped_;
    if (skipped_ <= max_errors_shown) {
      if (tty_ && shown_progress_) std::cerr << "\n";
      std::cerr << "coop-tm: " << message << "\n";
    } else if (skipped_ == max_errors_shown + 1) {
      std::cerr << "coop-tm: more bad records; only the count is reported from here on\n";
    }
  }

  // Every second: events, rate and bytes so far.
  void progress(bool last) {
    if (quiet_) return;
    const auto now = clock_type::now();
    if (!last && now - last_report_ < std::chrono::seconds(1)) return;
    if (last && !shown_progress_) return;  // short ingests print only the summary
    last_report_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    char line[160];
    std::snprintf(line, sizeof line, "coop-tm: ingest: %llu events, %.0f events/s, %s read",
                  static_cast<unsigned long long>(read_),
                  secs > 0 ? static_cast<double>(read_) / secs : 0.0, human_bytes(bytes_).c_str());
    std::cerr << (tty_ ? "\r" : "") << line << (tty_ && !last ? "" : "\n") << std::flush;
    shown_progress_ = true;
  }

  tm::store& st_;
  // The types of Zeek inputs: the catalogue and the zeek.<path> schemas
  // learnt from headers. Lives as long as the batches that point into it.
  model::registry zeek_types_;
  bool quiet_;
  bool tty_;
  std::vector<model::event> batch_;
  std::vector<origin_place> places_;
  std::vector<std::string> names_;
  std::uint64_t read_ = 0, accepted_ = 0, dropped_ = 0, skipped_ = 0;
  std::uint64_t bytes_ = 0, bytes_base_ = 0;
  clock_type::time_point start_ = clock_type::now();
  clock_type::time_point last_report_ = start_;
  bool shown_progress_ = false;
  bool failed_ = false;
  bool interrupted_ = false;
};

// The format named by --format, the file's extension, or its first byte.
input_format detect(const std::string& name, std::istream& in,
                    const std::optional<std::string>& given) {
  if (given) {
    if (*given == "capnp") return input_format::capnp;
    return *given == "zeek" ? input_format::zeek : input_format::jsonl;
  }
  const std::filesystem::path path(name);
  const auto ext = path.extension();
  if (ext == ".jsonl" || ext == ".json" || ext == ".ndjson") return input_format::jsonl;
  if (ext == ".capnp" || ext == ".events" || ext == ".bin") return input_format::capnp;
  // conn.log, dns.log.gz, conn.2026-11-28.log: what Zeek writes.
  if (ext == ".log" || (ext == ".gz" && path.stem().extension() == ".log"))
    return input_format::zeek;
  int c = in.peek();
  while (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
    in.get();
    c = in.peek();
  }
  if (c == '#') return input_format::zeek;  // a Zeek TSV header
  return c == '{' || c == EOF ? input_format::jsonl : input_format::capnp;
}

}  // namespace

int run_ingest(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}, {"format"}, {"quiet", false}};
  arguments a;
  if (auto stop = parse_command("ingest", args, spec, a)) return *stop;
  auto format = a.get("format");
  if (format && *format != "jsonl" && *format != "capnp" && *format != "zeek") {
    return usage_error("ingest", "--format '" + *format + "': expected jsonl, capnp or zeek");
  }
  std::vector<std::string> inputs = a.positional();
  if (inputs.empty()) inputs.emplace_back("-");
  for (const auto& name : inputs) {
    std::error_code ec;
    if (name == "-") continue;
    if (!std::filesystem::exists(name, ec)) return fail(name + ": no such file");
    if (std::filesystem::is_directory(name, ec)) {
      return fail(name + ": is a directory; give the event files in it");
    }
  }
  int code = exit_ok;
  auto st = open_store("ingest", a, store_mode::read_write, code);
  if (!st) return code;

  catch_interrupts();
  ingester ing(*st, a.has("quiet"));
  for (const auto& name : inputs) {
    std::ifstream file;
    if (name != "-") {
      file.open(name, std::ios::binary);
      if (!file) return fail(name + ": cannot open");
    }
    std::istream& in = name == "-" ? std::cin : file;
    if (!ing.read(name, in, detect(name, in, format))) break;
  }
  const bool ok = ing.finish();
  ing.summary(std::cout);
  if (!ok) return exit_failed;
  if (ing.was_interrupted()) {
    return fail("interrupted: what was read before the interrupt is stored and committed");
  }
  if (ing.skipped() > 0) {
    return fail(std::to_string(ing.skipped()) +
                " bad records were skipped (see the messages above); the rest is stored");
  }
  return exit_ok;
}

}  // namespace coop::cli
