// Importer timing: coop::importer::parse_buffer over a log held in memory,
// against two baselines doing less work over the same bytes: an in-process
// line split + field split (the floor of any parser), and an awk process
// printing the columns the importer maps (what zeek-cut and a quick
// analyst's script do).
#include <algorithm>
#include <fstream>

#include "coop/importer/importer.h"
#include "coop/importer/sinks.h"
#include "coop/model/schema.h"
#include "sensors_bench.h"

namespace coop::bench::sensors {
namespace {

// Zeek TSV: skips '#' lines, splits on TAB. Apache: splits on spaces, a
// "quoted" or [bracketed] field being one field. Every field's length and
// the field count feed the checksum.
std::uint64_t split_lines(std::string_view text, bool zeek, std::uint64_t& lines) {
  std::uint64_t sum = 0;
  std::string_view fields[64];
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || (zeek && line[0] == '#')) continue;
    ++lines;
    std::size_t n = 0, i = 0;
    while (i <= line.size() && n < 64) {
      std::size_t j;
      if (zeek) {
        j = std::min(line.find('\t', i), line.size());
        fields[n++] = line.substr(i, j - i);
        i = j + 1;
      } else {
        if (i < line.size() && (line[i] == '"' || line[i] == '[')) {
          const char close = line[i] == '"' ? '"' : ']';
          j = std::min(line.find(close, i + 1), line.size());
          fields[n++] = line.substr(i + 1, j - i - 1);
          i = std::min(j + 1, line.size());
          if (i < line.size() && line[i] == ' ') ++i;
          if (i >= line.size()) break;
          continue;
        }
        j = std::min(line.find(' ', i), line.size());
        fields[n++] = line.substr(i, j - i);
        i = j + 1;
      }
    }
    sum += n;
    for (std::size_t f = 0; f < n; ++f) sum = sum * 31 + fields[f].size();
  }
  return sum;
}

}  // namespace

import_result time_import(const std::string& text, std::uint64_t lines,
                          const std::string& format_name, const std::filesystem::path& dir,
                          const std::string& awk, int iterations) {
  const bool zeek = format_name == "zeek";
  const auto fmt = zeek ? importer::format::zeek : importer::format::apache;
  import_result r;
  r.buffer_bytes = text.size();
  r.importer.units = r.split.units = r.awk.units = lines;
  r.importer.cpu_seconds = r.split.cpu_seconds = r.awk.cpu_seconds = 1e300;

  importer::options opt;
  opt.from = {"bench.example", "coop-bench-sensors"};
  opt.id_seed = 42;
  opt.year = 2026;
  for (int i = 0; i < iterations; ++i) {
    model::registry reg;
    importer::counting_sink sink;
    const auto w0 = mono_ns();
    const auto c0 = thread_cpu_ns();
    auto s = importer::parse_buffer(text, fmt, reg, sink, opt);
    const double cpu = static_cast<double>(thread_cpu_ns() - c0) / 1e9;
    const double wall = static_cast<double>(mono_ns() - w0) / 1e9;
    if (!s) die(format_name + " import failed: " + s.err().to_string());
    const auto total = s->total();
    if (total.lines != lines)
      die(format_name + ": the importer read " + std::to_string(total.lines) +
          " lines, the buffer has " + std::to_string(lines));
    if (cpu < r.importer.cpu_seconds) r.importer.cpu_seconds = cpu, r.importer.wall_seconds = wall;
    r.events = sink.events, r.fields = sink.fields, r.problems = sink.problems;
    r.skipped = total.skipped;
  }
  progress(format_name + ": importer " + std::to_string(static_cast<long long>(r.importer.rate())) +
           " lines/s (" + std::to_string(r.events) + " events, " + std::to_string(r.skipped) +
           " lines skipped)");

  for (int i = 0; i < iterations; ++i) {
    std::uint64_t seen = 0;
    const auto w0 = mono_ns();
    const auto c0 = thread_cpu_ns();
    r.split_checksum = split_lines(text, zeek, seen);
    const double cpu = static_cast<double>(thread_cpu_ns() - c0) / 1e9;
    const double wall = static_cast<double>(mono_ns() - w0) / 1e9;
    if (seen != lines)
      die(format_name + ": the split baseline saw " + std::to_string(seen) + " lines");
    if (cpu < r.split.cpu_seconds) r.split.cpu_seconds = cpu, r.split.wall_seconds = wall;
  }
  progress(format_name + ": split baseline " +
           std::to_string(static_cast<long long>(r.split.rate())) + " lines/s");

  if (awk.empty()) {
    r.awk.cpu_seconds = 0;
    return r;
  }
  // The columns the importer maps: dns.log ts, id.*, proto, query, qtype,
  // rcode, answers; Apache split at double quotes: client, ident, user and
  // time; request; status and size; referer; user agent.
  r.awk_program = zeek ? "BEGIN{FS=OFS=\"\\t\"} !/^#/ {print $1,$3,$4,$5,$6,$7,$10,$13,$15,$22}"
                       : "BEGIN{FS=\"\\\"\"; OFS=\"\\t\"} {print $1,$2,$3,$4,$6}";
  const auto input = dir / (format_name + "-input.txt");
  const auto output = dir / (format_name + "-awk.txt");
  {
    std::ofstream f(input, std::ios::binary);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f) die(input.string() + ": write failed");
  }
  for (int i = 0; i < iterations; ++i) {
    const auto run = run_child({awk, r.awk_program, input.string()}, output, dir / "awk.err");
    if (run.cpu_seconds < r.awk.cpu_seconds)
      r.awk.cpu_seconds = run.cpu_seconds, r.awk.wall_seconds = run.wall_seconds;
  }
  std::ifstream out(output, std::ios::binary);
  r.awk_output_lines = static_cast<std::uint64_t>(
      std::count(std::istreambuf_iterator<char>(out), std::istreambuf_iterator<char>(), '\n'));
  std::filesystem::remove(input);
  std::filesystem::remove(output);
  progress(format_name + ": awk " + std::to_string(static_cast<long long>(r.awk.rate())) +
           " lines/s (" + std::to_string(r.awk_output_lines) + " lines printed)");
  return r;
}

}  // namespace coop::bench::sensors
