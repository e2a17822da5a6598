// The importer facade: opens inputs (plain or gzip, through zlib), detects
// their format, splits them into lines without copying where it can, and
// dispatches to the format parsers.
#include "coop/importer/importer.h"

#include <zlib.h>

#include <cstring>
#include <system_error>
#include <utility>

#include "coop/model/catalogue.h"
#include "session/context.h"
#include "session/importer_impl.h"

namespace coop::importer {

namespace model = coop::model;

std::string problem::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

tally summary::total() const noexcept {
  tally t;
  for (const auto& [name, k] : kinds) {
    t.lines += k.lines;
    t.records += k.records;
    t.events += k.events;
    t.skipped += k.skipped;
    t.ignored += k.ignored;
  }
  return t;
}

void sink::on_problem(const problem&) {}

namespace {

constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
constexpr std::uint64_t progress_every = std::uint64_t{4} << 20;
// Whole-document formats (STIX, MISP) are read into memory up to this size.
constexpr std::size_t max_document_bytes = std::size_t{256} << 20;

bool whole_document(format f) { return f == format::stix || f == format::misp; }

std::unique_ptr<detail::line_parser> make_parser(format f, detail::context& ctx) {
  switch (f) {
    case format::zeek:
      return detail::make_zeek_parser(ctx, {});
    case format::intel:
      return detail::make_zeek_parser(ctx, "intel-input");
    case format::apache:
      return detail::make_apache_parser(ctx);
    case format::sshd:
      return detail::make_sshd_parser(ctx);
    case format::iplist:
      return detail::make_iplist_parser(ctx);
    default:
      return nullptr;
  }
}

// A line longer than this is skipped rather than held in memory.
constexpr std::size_t max_line_bytes = std::size_t{16} << 20;

// The unterminated end of the previous chunk.
struct carry {
  std::string text;
  bool oversized = false;  // the line has grown past max_line_bytes: dropped
};

void report_oversized(detail::context& ctx, format f, std::uint64_t line) {
  ctx.skip(ctx.kind(to_string(f)), line,
           "line longer than " + std::to_string(max_line_bytes >> 20) + " MiB; skipped");
}

// Feeds the complete lines of `data` to `p`; the unterminated rest is kept
// in `rest` (and fed too when `final`).
model::result<void> feed_lines(std::string_view data, detail::line_parser& p, std::uint64_t& line,
                               carry& rest, bool final, detail::context& ctx, format f) {
  std::size_t start = 0;
  while (start < data.size()) {
    const void* hit = std::memchr(data.data() + start, '\n', data.size() - start);
    if (hit == nullptr) break;
    const auto nl = static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
    std::string_view text = data.substr(start, nl - start);
    start = nl + 1;
    ++line;
    model::result<void> r;
    if (rest.oversized) {
      report_oversized(ctx, f, line);
      rest.oversized = false;
      continue;
    }
    if (!rest.text.empty()) {
      rest.text.append(text);
      std::string_view whole = rest.text;
      if (!whole.empty() && whole.back() == '\r') whole.remove_suffix(1);
      r = p.line(whole, line);
      rest.text.clear();
    } else {
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      r = p.line(text, line);
    }
    if (!r) return r;
  }
  const std::string_view tail = data.substr(start);
  if (!rest.oversized && rest.text.size() + tail.size() > max_line_bytes) {
    rest.oversized = true;
    rest.text.clear();
    rest.text.shrink_to_fit();
  }
  if (!rest.oversized) rest.text.append(tail);
  if (final && rest.oversized) {
    report_oversized(ctx, f, ++line);
    rest.oversized = false;
  } else if (final && !rest.text.empty()) {
    ++line;
    std::string_view whole = rest.text;
    if (whole.back() == '\r') whole.remove_suffix(1);
    auto r = p.line(whole, line);
    rest.text.clear();
    if (!r) return r;
  }
  return {};
}

}  // namespace

model::result<importer> importer::create(model::registry& reg, sink& out, options opt) {
  if (auto r = model::add_catalogue(reg); !r) return r.err();
  return importer(std::make_unique<impl>(reg, out, std::move(opt)));
}

importer::importer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
importer::~importer() = default;
importer::importer(importer&&) noexcept = default;
importer& importer::operator=(importer&&) noexcept = default;

const summary& importer::totals() const noexcept { return impl_->sum; }

model::result<void> importer::import_buffer(std::string_view data, std::string_view name,
                                            format f) {
  if (f == format::automatic) {
    auto d = detect_format(data.substr(0, 65536), name);
    if (!d) return d.err();
    f = *d;
  }
  auto ctx = impl_->context_for(name);
  if (whole_document(f)) return impl_->document(data, f, ctx);
  auto parser = make_parser(f, ctx);
  std::uint64_t line = 0;
  carry pending;
  // Progress in slices, so a large buffer still reports.
  std::size_t done = 0;
  while (done < data.size()) {
    const std::size_t n = std::min(data.size() - done, static_cast<std::size_t>(progress_every));
    const bool last = done + n == data.size();
    if (auto r = feed_lines(data.substr(done, n), *parser, line, pending, last, ctx, f); !r) return r;
    done += n;
    if (impl_->opt.progress) impl_->opt.progress(done, 0);
  }
  return parser->finish();
}

model::result<void> importer::import_file(const std::filesystem::path& path, format f) {
  const std::string name = path.string();
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  gzFile gz = gzopen(name.c_str(), "rb");
  if (gz == nullptr) {
    return model::error{model::errc::io, name + ": cannot open: " + std::strerror(errno)};
  }
  struct closer {
    gzFile g;
    ~closer() { gzclose(g); }
  } guard{gz};
  gzbuffer(gz, 256 * 1024);
  std::string chunk(chunk_bytes, '\0');
  auto read_some = [&](std::string& into, std::uint64_t line) -> model::result<std::size_t> {
    const int n = gzread(gz, into.data(), static_cast<unsigned>(into.size()));
    // Data read before damage is delivered first; the error comes with the next read.
    if (n > 0) return static_cast<std::size_t>(n);
    int code = Z_OK;
    const char* msg = gzerror(gz, &code);
    if (n < 0 || (code != Z_OK && code != Z_STREAM_END)) {
      if (code == Z_ERRNO) {
        return model::error{model::errc::io, name + ": read failed: " + std::strerror(errno)};
      }
      return model::error{model::errc::corruption,
                          name + ": damaged compressed data after line " + std::to_string(line) +
                              ": " + (msg != nullptr ? msg : "unknown zlib error")};
    }
    return static_cast<std::size_t>(n);
  };

  auto first = read_some(chunk, 0);
  if (!first) return first.err();
  std::size_t have = *first;
  if (f == format::automatic) {
    auto d = detect_format(std::string_view(chunk.data(), std::min<std::size_t>(have, 65536)), name);
    if (!d) return d.err();
    f = *d;
  }
  auto ctx = impl_->context_for(name);
  if (whole_document(f)) {
    std::string doc(chunk.data(), have);
    while (have != 0) {
      if (doc.size() > max_document_bytes) {
        return model::error{model::errc::overloaded,
                            name + ": larger than " + std::to_string(max_document_bytes >> 20) +
                                " MiB, the limit for whole JSON documents"};
      }
      auto more = read_some(chunk, 0);
      if (!more) return more.err();
      have = *more;
      doc.append(chunk.data(), have);
    }
    return impl_->document(doc, f, ctx);
  }
  auto parser = make_parser(f, ctx);
  std::uint64_t line = 0;
  carry pending;
  while (have != 0) {
    if (auto r = feed_lines(std::string_view(chunk.data(), have), *parser, line, pending, false,
                            ctx, f);
        !r) {
      return r;
    }
    if (impl_->opt.progress) impl_->opt.progress(static_cast<std::uint64_t>(gzoffset(gz)), size);
    auto more = read_some(chunk, line);
    if (!more) {
      // Import what was read before the damage, then report it.
      (void)feed_lines({}, *parser, line, pending, true, ctx, f);
      (void)parser->finish();
      return more.err();
    }
    have = *more;
  }
  if (auto r = feed_lines({}, *parser, line, pending, true, ctx, f); !r) return r;
  if (impl_->opt.progress) impl_->opt.progress(size, size);
  return parser->finish();
}

model::result<summary> parse_buffer(std::string_view data, format f, model::registry& reg,
                                    sink& out, const options& opt) {
  auto imp = importer::create(reg, out, opt);
  if (!imp) return imp.err();
  if (auto r = imp->import_buffer(data, "<buffer>", f); !r) return r.err();
  return imp->totals();
}

}  // namespace coop::importer
