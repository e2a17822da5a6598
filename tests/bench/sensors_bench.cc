// coop-bench-sensors: packets per second of the Coop packet sensor over a
// large capture built by replaying the shared pcaps, against tshark
// extracting the same fields from the same packets in the same run, and
// lines per second of the Zeek TSV and Apache importers, against an awk
// process and an in-process line/field split over the same bytes.
// docs/performance.md ("Sensors and importers") explains the figures.
//
//   coop-bench-sensors [--quick | --smoke] [--json] [--copies N] [--iterations N]
//                      [--zeek-repeat N] [--apache-repeat N] [--data DIR] [--tshark PATH]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include <zlib.h>

#include "coop/model/catalogue.h"
#include "coop/model/schema.h"
#include "coop/sensor/sensor.h"
#include "sensors_bench.h"

#ifndef COOP_BENCH_SOURCE_DIR
#define COOP_BENCH_SOURCE_DIR "."
#endif

namespace {

using namespace coop::bench::sensors;
namespace fs = std::filesystem;

struct options {
  std::string mode = "default";
  bool json = false;
  unsigned copies = 10;
  std::uint64_t max_packets = 0;
  int iterations = 3;
  unsigned zeek_repeat = 10, apache_repeat = 50;
  std::string data, tshark;
  std::string keep_pcap;  // also write the capture here, and keep it
};

constexpr const char* usage =
    "usage: coop-bench-sensors [--quick | --smoke] [--json] [--copies N] [--iterations N]\n"
    "                          [--zeek-repeat N] [--apache-repeat N] [--data DIR] [--tshark PATH]\n"
    "                          [--keep-pcap FILE]\n"
    "  --quick            4 copies of the pcaps, 3 repetitions, smaller logs (< 60 s)\n"
    "  --smoke            20,000 packets, one repetition (for ctest)\n"
    "  --json             one JSON object on stdout instead of a table\n"
    "  --copies N         copies of the shared pcaps in the capture (default 10, at most 255)\n"
    "  --iterations N     timed repetitions of the in-process figures; the best counts (3)\n"
    "  --zeek-repeat N    copies of dns.log's rows in the Zeek TSV buffer (default 10)\n"
    "  --apache-repeat N  copies of the Apache log in its buffer (default 50)\n"
    "  --data DIR         the shared data (default: $COOP_DATA, else <source>/../shared/data)\n"
    "  --tshark PATH      the tshark program (default: searched in PATH)\n"
    "  --keep-pcap FILE   also write the replayed capture to FILE and keep it\n";

options parse_options(int argc, char** argv) {
  options o;
  auto number = [&](int& i) -> unsigned long {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", argv[i], usage);
      std::exit(2);
    }
    char* end = nullptr;
    const unsigned long v = std::strtoul(argv[i + 1], &end, 10);
    if (*end != '\0' || v == 0) {
      std::fprintf(stderr, "%s: not a positive integer: %s\n%s", argv[i], argv[i + 1], usage);
      std::exit(2);
    }
    ++i;
    return v;
  };
  auto text = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", argv[i], usage);
      std::exit(2);
    }
    return argv[++i];
  };
  long copies = -1, iterations = -1, zr = -1, ar = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick")
      o.mode = "quick";
    else if (a == "--smoke")
      o.mode = "smoke";
    else if (a == "--json")
      o.json = true;
    else if (a == "--copies")
      copies = static_cast<long>(number(i));
    else if (a == "--iterations")
      iterations = static_cast<long>(number(i));
    else if (a == "--zeek-repeat")
      zr = static_cast<long>(number(i));
    else if (a == "--apache-repeat")
      ar = static_cast<long>(number(i));
    else if (a == "--data")
      o.data = text(i);
    else if (a == "--tshark")
      o.tshark = text(i);
    else if (a == "--keep-pcap")
      o.keep_pcap = text(i);
    else if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n%s", a.c_str(), usage);
      std::exit(2);
    }
  }
  if (o.mode == "quick") o.copies = 4, o.iterations = 3, o.zeek_repeat = 4, o.apache_repeat = 20;
  if (o.mode == "smoke")
    o.copies = 1, o.max_packets = 20'000, o.iterations = 1, o.zeek_repeat = 1, o.apache_repeat = 1;
  if (copies > 0) o.copies = static_cast<unsigned>(copies);
  if (iterations > 0) o.iterations = static_cast<int>(iterations);
  if (zr > 0) o.zeek_repeat = static_cast<unsigned>(zr);
  if (ar > 0) o.apache_repeat = static_cast<unsigned>(ar);
  if (o.copies > 255) {
    std::fprintf(stderr, "--copies: at most 255 (addresses are shifted by the copy number)\n");
    std::exit(2);
  }
  return o;
}

[[noreturn]] void skip(const std::string& why) {
  std::printf("COOP-SKIP: %s\n", why.c_str());
  std::fprintf(stderr, "coop-bench-sensors: COOP-SKIP: %s\n", why.c_str());
  std::exit(0);
}

std::string read_file(const fs::path& p) {
  gzFile f = ::gzopen(p.c_str(), "rb");  // reads plain files as they are
  if (f == nullptr) die(p.string() + ": cannot open");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = ::gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  const bool bad = n < 0;
  ::gzclose(f);
  if (bad) die(p.string() + ": damaged gzip data");
  return out;
}

// dns.log with its data rows repeated: the header once, rows `repeat` times,
// the #close line once.
std::string zeek_buffer(const std::string& log, unsigned repeat, std::uint64_t& lines) {
  std::string head, rows, tail;
  std::size_t pos = 0;
  while (pos < log.size()) {
    std::size_t end = log.find('\n', pos);
    end = end == std::string::npos ? log.size() : end + 1;
    const std::string_view line(log.data() + pos, end - pos);
    if (line.rfind("#", 0) != 0)
      rows.append(line), ++lines;
    else
      (rows.empty() ? head : tail).append(line);
    pos = end;
  }
  if (!rows.empty() && rows.back() != '\n') rows += '\n';
  lines *= repeat;
  std::string out = head;
  for (unsigned i = 0; i < repeat; ++i) out += rows;
  return out + tail;
}

std::string apache_buffer(std::string log, unsigned repeat, std::uint64_t& lines) {
  if (!log.empty() && log.back() != '\n') log += '\n';
  std::uint64_t n = 0;
  for (char c : log) n += c == '\n';
  for (std::size_t i = 0; i < log.size();) {  // blank lines are not records
    const std::size_t end = log.find('\n', i);
    if (end == i) --n;
    i = end + 1;
  }
  lines = n * repeat;
  std::string out;
  out.reserve(log.size() * repeat);
  for (unsigned i = 0; i < repeat; ++i) out += log;
  return out;
}

json timing_json(const timing& t) {
  return {{"cpu_seconds", t.cpu_seconds},
          {"wall_seconds", t.wall_seconds},
          {"units", t.units},
          {"per_s", t.rate()}};
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

json target(const std::string& what, double value, double at_least) {
  return {{"what", what}, {"value", value}, {"met", value >= at_least}};
}

void print_table(const json& out) {
  const auto& m = out["machine"];
  std::printf("coop-bench-sensors (%s, %s build, %s, %u cores)\n\n",
              m["mode"].get<std::string>().c_str(), m["build_type"].get<std::string>().c_str(),
              m["cpu"].get<std::string>().c_str(), m["nproc"].get<unsigned>());
  std::printf("capture: %s\n", out["capture"]["how"].get<std::string>().c_str());
  std::printf("tshark:  %s\n\n", out["tshark"]["command"].get<std::string>().c_str());
  for (const auto& [name, v] : out["rates"].items())
    std::printf("%-36s %14.0f\n", name.c_str(), v.get<double>());
  std::printf("\n");
  for (const auto& [name, v] : out["ratios"].items())
    std::printf("%-36s %14.2f\n", name.c_str(), v.get<double>());
  for (const auto& [name, t] : out["targets"].items())
    std::printf("target %-29s %14s (%s)\n", name.c_str(), t["met"].get<bool>() ? "met" : "MISSED",
                t["what"].get<std::string>().c_str());
  std::printf("%.1f s\n", out["seconds"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const auto started = mono_ns();
  fs::path data = o.data;
  if (data.empty()) {
    const char* env = std::getenv("COOP_DATA");
    data = env && *env ? fs::path(env) : fs::path(COOP_BENCH_SOURCE_DIR) / ".." / "shared" / "data";
  }
  const fs::path pcaps = data / "pcaps";
  const fs::path dns_log = data / "zeek-logs/zed-sample-data/zeek-default/dns.log.gz";
  const fs::path apache_log = data / "apache/elastic-examples/apache_logs";
  for (const auto& p : {pcaps, dns_log, apache_log})
    if (!fs::exists(p))
      skip("shared data not found: " + p.string() + " (set COOP_DATA or pass --data DIR)");
  if (!o.tshark.empty() && ::access(o.tshark.c_str(), X_OK) != 0)
    die("--tshark " + o.tshark + ": not an executable file");
  const std::string tshark = o.tshark.empty() ? find_program("tshark") : o.tshark;
  if (tshark.empty()) skip("tshark not found in PATH (Debian package tshark; or --tshark PATH)");
  const std::string awk = find_program("awk");

  json out;
  out["machine"] = machine_info(o.mode);
  scratch_dir dir;

  // The capture.
  progress("reading the pcaps under " + pcaps.string() + " ...");
  std::uint64_t skipped = 0;
  const auto sources = load_captures(pcaps, skipped);
  if (sources.empty()) skip("no capture file under " + pcaps.string());
  std::uint64_t per_copy = 0, converted = 0;
  for (const auto& f : sources) per_copy += f.packets.size(), converted += f.converted;
  progress(std::to_string(sources.size()) + " files, " + std::to_string(per_copy) +
           " packets; building " + std::to_string(o.copies) + " cop" +
           (o.copies == 1 ? "y" : "ies") + " ...");
  const replay cap = build_replay(sources, o.copies, o.max_packets);
  const std::uint64_t packets = cap.packets.size();
  json files = json::array();
  for (const auto& f : sources) files.push_back(f.name);
  out["capture"] = {
      {"how", std::to_string(sources.size()) + " shared capture files (" +
                  std::to_string(per_copy) + " packets) in path order, " +
                  std::to_string(o.copies) + " cop" + (o.copies == 1 ? "y" : "ies") +
                  " one after the other; copy k adds k to the third octet of every IPv4 "
                  "address and to byte 13 of every IPv6 address (outer header; IP, TCP and UDP "
                  "checksums updated) and starts 1 ms after the previous copy; gaps over 10 min "
                  "within a file shortened to 10 min" +
                  (o.max_packets ? "; cut at " + std::to_string(o.max_packets) + " packets" : "")},
      {"files", files},
      {"packets_per_copy", per_copy},
      {"copies", o.copies},
      {"packets", packets},
      {"captured_bytes", cap.bytes.size()},
      {"wire_bytes", cap.wire_bytes},
      {"raw_ip_given_ethernet_header", converted * o.copies},
      {"skipped_other_link_types", skipped},
      {"shortened_gaps", cap.shortened_gaps}};

  // The sensor: one thread, the whole capture per repetition.
  coop::model::registry reg;
  if (auto r = coop::model::add_catalogue(reg); !r) die(r.err().to_string());
  coop::sensor::sensor_config cfg;
  cfg.from = {"bench.example", "coop-bench-sensors"};
  cfg.id_seed = 7;
  std::map<std::string, std::uint64_t, std::less<>> by_type;
  const coop::model::schema* last_type = nullptr;
  std::uint64_t* last_count = nullptr;
  const coop::sensor::event_sink sink = [&](const coop::model::event& e) {
    if (&e.type() != last_type) {
      last_type = &e.type();
      last_count = &by_type[e.type().name()];
    }
    ++*last_count;
  };
  timing sensor;
  sensor.units = packets;
  sensor.cpu_seconds = 1e300;
  coop::sensor::sensor_stats stats;
  for (int i = 0; i < o.iterations; ++i) {
    progress("sensor: " + std::to_string(packets) + " packets, repetition " +
             std::to_string(i + 1) + " of " + std::to_string(o.iterations) + " ...");
    by_type.clear();
    last_type = nullptr;
    const auto w0 = mono_ns();
    const auto c0 = thread_cpu_ns();
    auto r = coop::sensor::run_packets(cap.packets, reg, cfg, sink);
    const double cpu = static_cast<double>(thread_cpu_ns() - c0) / 1e9;
    const double wall = static_cast<double>(mono_ns() - w0) / 1e9;
    if (!r) die("sensor: " + r.err().to_string());
    stats = *r;
    if (stats.packets != packets)
      die("sensor: processed " + std::to_string(stats.packets) + " packets");
    if (cpu < sensor.cpu_seconds) sensor.cpu_seconds = cpu, sensor.wall_seconds = wall;
  }
  progress("sensor: " + std::to_string(static_cast<long long>(sensor.rate())) + " packets/s");
  // The same without echo-connections.pcap.gz (500 TCP connections of tiny
  // packets, most of the packets): the application protocols alone.
  std::vector<source_file> app_sources;
  for (const auto& f : sources)
    if (f.name.find("echo-connections") == std::string::npos) app_sources.push_back(f);
  const replay app = build_replay(app_sources, o.copies, 0);
  timing app_mix;
  app_mix.units = app.packets.size();
  app_mix.cpu_seconds = 1e300;
  for (int i = 0; i < o.iterations && !app.packets.empty(); ++i) {
    const auto w0 = mono_ns();
    const auto c0 = thread_cpu_ns();
    auto r = coop::sensor::run_packets(app.packets, reg, cfg, {});
    const double cpu = static_cast<double>(thread_cpu_ns() - c0) / 1e9;
    if (!r) die("sensor: " + r.err().to_string());
    if (cpu < app_mix.cpu_seconds)
      app_mix.cpu_seconds = cpu, app_mix.wall_seconds = static_cast<double>(mono_ns() - w0) / 1e9;
  }
  progress("sensor, without echo-connections: " + std::to_string(app_mix.units) + " packets, " +
           std::to_string(static_cast<long long>(app_mix.rate())) + " packets/s");
  out["sensor"] = timing_json(sensor);
  out["sensor"]["config"] = "defaults (all analyzers, checksums not verified, no packet events)";
  out["sensor"]["stats"] = {{"packets", stats.packets},
                            {"ip_packets", stats.ip_packets},
                            {"non_ip", stats.non_ip},
                            {"malformed", stats.malformed},
                            {"fragments", stats.fragments},
                            {"tunnelled", stats.tunnelled},
                            {"connections", stats.connections},
                            {"evictions", stats.evictions},
                            {"events", stats.events}};
  out["sensor"]["events"] = by_type;
  out["sensor"]["without_echo_connections"] = timing_json(app_mix);
  out["sensor"]["without_echo_connections"]["captured_bytes"] = app.bytes.size();

  // tshark over the same packets, written to a pcap file.
  const tshark_result ts = run_tshark(tshark, cap, dir.path(), o.keep_pcap);
  out["tshark"] = ts.report;
  const double tshark_pps = ts.packets_per_s, tshark_pps_all = ts.packets_per_s_with_startup;

  // The importers.
  progress("importers: reading " + dns_log.string() + " and " + apache_log.string() + " ...");
  std::uint64_t zeek_lines = 0, apache_lines = 0;
  const std::string zeek_text = zeek_buffer(read_file(dns_log), o.zeek_repeat, zeek_lines);
  const std::string apache_text =
      apache_buffer(read_file(apache_log), o.apache_repeat, apache_lines);
  const auto zeek = time_import(zeek_text, zeek_lines, "zeek", dir.path(), awk, o.iterations);
  const auto apache =
      time_import(apache_text, apache_lines, "apache", dir.path(), awk, o.iterations);
  auto import_json = [&](const import_result& r, const std::string& source, unsigned repeat) {
    json j;
    j["source"] = source;
    j["repeat"] = repeat;
    j["lines"] = r.importer.units;
    j["buffer_bytes"] = r.buffer_bytes;
    j["importer"] = timing_json(r.importer);
    j["importer"]["events"] = r.events;
    j["importer"]["fields_set"] = r.fields;
    j["importer"]["skipped_lines"] = r.skipped;
    j["split"] = timing_json(r.split);
    j["split"]["checksum"] = r.split_checksum;
    j["awk"] = timing_json(r.awk);
    j["awk"]["program"] = awk + " '" + r.awk_program + "' FILE > FILE";
    j["awk"]["output_lines"] = r.awk_output_lines;
    return j;
  };
  out["importers"] = {
      {"zeek_tsv",
       import_json(zeek, "zeek-logs/zed-sample-data/zeek-default/dns.log.gz (rows repeated)",
                   o.zeek_repeat)},
      {"apache",
       import_json(apache, "apache/elastic-examples/apache_logs (repeated)", o.apache_repeat)}};

  json rates;
  rates["packets_per_s"] = sensor.rate();
  rates["captured_mbytes_per_s"] =
      ratio(static_cast<double>(cap.bytes.size()) / 1e6, sensor.cpu_seconds);
  rates["packets_per_s_without_echo_connections"] = app_mix.rate();
  rates["tshark_packets_per_s"] = tshark_pps;
  rates["tshark_packets_per_s_with_startup"] = tshark_pps_all;
  rates["zeek_tsv_lines_per_s"] = zeek.importer.rate();
  rates["apache_lines_per_s"] = apache.importer.rate();
  rates["zeek_tsv_split_lines_per_s"] = zeek.split.rate();
  rates["apache_split_lines_per_s"] = apache.split.rate();
  rates["zeek_tsv_awk_lines_per_s"] = zeek.awk.rate();
  rates["apache_awk_lines_per_s"] = apache.awk.rate();
  out["rates"] = rates;
  json ratios;
  ratios["sensor_vs_tshark"] = ratio(sensor.rate(), tshark_pps);
  ratios["sensor_vs_tshark_with_startup"] = ratio(sensor.rate(), tshark_pps_all);
  ratios["zeek_tsv_vs_awk"] = ratio(zeek.importer.rate(), zeek.awk.rate());
  ratios["apache_vs_awk"] = ratio(apache.importer.rate(), apache.awk.rate());
  ratios["zeek_tsv_vs_split"] = ratio(zeek.importer.rate(), zeek.split.rate());
  ratios["apache_vs_split"] = ratio(apache.importer.rate(), apache.split.rate());
  out["ratios"] = ratios;
  out["targets"] = {
      {"packets_per_s", target(">= 1,000,000 packets/s on one core", sensor.rate(), 1e6)},
      {"zeek_tsv_lines_per_s", target(">= 500,000 lines/s on one core", zeek.importer.rate(), 5e5)},
      {"apache_lines_per_s",
       target(">= 500,000 lines/s on one core", apache.importer.rate(), 5e5)}};
  out["timer"] =
      "CPU time: the benchmark thread's (CLOCK_THREAD_CPUTIME_ID) for in-process work, "
      "user+system of the child (wait4) for tshark and awk; best of the repetitions";
  out["seconds"] = static_cast<double>(mono_ns() - started) / 1e9;
  if (o.json)
    std::cout << out.dump(2) << "\n";
  else
    print_table(out);
  return 0;
}
