// coop-sensor: reads packets from a capture file (-r) or an interface (-i),
// runs the Coop packet sensor and writes catalogue events as JSON lines to
// stdout, or in the binary stream format to a file (-w), and/or records them
// in a time machine store (--store) and publishes them to peer sites
// (--publish). Progress goes to stderr for long files.
#include <coop/model/catalogue.h>
#include <coop/model/codec.h>
#include <coop/model/json.h>
#include <coop/sensor/capture.h>
#include <coop/sensor/sensor.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "bench.h"
#include "event_outputs.h"

namespace model = coop::model;
namespace sensor = coop::sensor;
namespace outs = coop::outputs;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

void usage(std::ostream& o) {
  o << "usage: coop-sensor (-r FILE | -i IFACE) [options]\n"
       "  -r FILE          read a pcap/pcapng file (gzip allowed)\n"
       "  -i IFACE         capture live from an interface\n"
       "  -w FILE          write events in the binary stream format to FILE\n"
       "                   (default: JSON lines on stdout, unless --store or\n"
       "                   --publish is given)\n"
    << outs::options_help(19) <<
       "  --packets N      emit packet events for the first N payload bytes of\n"
       "                   each connection (Time Machine cut-off; 15K = 15360)\n"
       "  --checksums      drop packets with bad checksums (as Zeek without -C)\n"
       "  --max-conns N    connections tracked at once (default 262144)\n"
       "  --filter EXPR    BPF filter for -i\n"
       "  --site S --sensor NAME   origin put into every event\n"
       "  --stats          print counters to stderr at the end\n"
       "  --bench N        load the captures under -r PATH (file or directory) into\n"
       "                   memory and print packets/s over N runs (no events written)\n"
       "With --store or --publish, a line per output ends the run on stderr: events\n"
       "stored, dropped by rules and refused, and the committed batch; events\n"
       "published and dropped (from the site's counters).\n"
       "Exit status: 0 done, 1 an input or output failed (the message says which),\n"
       "2 bad command line.\n";
}

std::optional<std::uint64_t> parse_size(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  std::string unit(end);
  if (unit == "") return v;
  if (unit == "K" || unit == "k" || unit == "KB") return v * 1024;
  if (unit == "M" || unit == "MB") return v * 1024 * 1024;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file, iface, out_path, filter;
  bool stats = false;
  int bench_rounds = 0;
  sensor::sensor_config cfg;
  outs::output_options out_opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string bad;
    if (auto o = outs::parse_option(argc, argv, i, out_opts, bad);
        o != outs::parse_outcome::not_ours) {
      if (o == outs::parse_outcome::bad) {
        std::cerr << "coop-sensor: " << bad << "\n";
        return 2;
      }
      continue;
    }
    auto need = [&](const char* what) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "coop-sensor: " << a << " needs " << what << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-r")
      file = need("a file name");
    else if (a == "-i")
      iface = need("an interface name");
    else if (a == "-w")
      out_path = need("a file name");
    else if (a == "--filter")
      filter = need("a BPF expression");
    else if (a == "--site")
      cfg.from.site = need("a name");
    else if (a == "--sensor")
      cfg.from.sensor = need("a name");
    else if (a == "--checksums")
      cfg.verify_checksums = true;
    else if (a == "--stats")
      stats = true;
    else if (a == "--bench") {
      std::string v = need("a number of rounds");
      bench_rounds = std::atoi(v.c_str());
      if (bench_rounds <= 0) {
        std::cerr << "coop-sensor: --bench: not a positive number: '" << v << "'\n";
        return 2;
      }
    } else if (a == "--packets" || a == "--max-conns") {
      std::string v = need("a number");
      auto n = parse_size(v);
      if (!n) {
        std::cerr << "coop-sensor: " << a << ": not a size: '" << v << "' (e.g. 15K, 1000)\n";
        return 2;
      }
      if (a == "--packets") {
        cfg.packet_events = true;
        cfg.packet_cutoff = *n;
      } else {
        cfg.max_connections = *n;
      }
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      return 0;
    } else {
      std::cerr << "coop-sensor: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (file.empty() == iface.empty()) {
    std::cerr << "coop-sensor: give exactly one of -r FILE or -i IFACE\n";
    usage(std::cerr);
    return 2;
  }
  if (auto msg = outs::check_options(out_opts); !msg.empty()) {
    std::cerr << "coop-sensor: " << msg << "\n";
    return 2;
  }
  if (bench_rounds > 0) {
    if (file.empty()) {
      std::cerr << "coop-sensor: --bench needs -r PATH\n";
      return 2;
    }
    return run_bench(file, bench_rounds);
  }
  model::registry reg;
  if (auto r = model::add_catalogue(reg); !r) {
    std::cerr << "coop-sensor: " << r.err().to_string() << "\n";
    return 1;
  }
  auto cap = file.empty() ? sensor::capture::open_live(iface, {65535, true, 200, filter})
                          : sensor::capture::open_file(file);
  if (!cap) {
    std::cerr << "coop-sensor: " << cap.err().message << "\n";
    return 1;
  }
  std::ofstream bin;
  std::optional<model::stream_writer> writer;
  if (!out_path.empty()) {
    bin.open(out_path, std::ios::binary | std::ios::trunc);
    if (!bin) {
      std::cerr << "coop-sensor: " << out_path << ": cannot open for writing\n";
      return 1;
    }
    writer.emplace(bin);
  }
  std::optional<outs::event_outputs> outputs;
  if (out_opts.any()) {
    auto o = outs::event_outputs::open(out_opts, reg, "coop-sensor");
    if (!o) {
      std::cerr << "coop-sensor: " << o.err().message << "\n";
      return 1;
    }
    outputs.emplace(std::move(o.value()));
  }
  // JSON lines on stdout only when no other output is asked for.
  const bool json_stdout = !writer && !outputs;
  std::string line;
  int failures = 0;
  bool output_failed = false;
  auto sink = [&](const model::event& e) {
    if (outputs && !output_failed) {
      if (auto r = outputs->write(e); !r) {
        std::cerr << "coop-sensor: " << r.err().message << "; stopping\n";
        output_failed = true;
        stop_requested = 1;
      }
    }
    if (writer) {
      if (auto r = writer->write(e); !r && failures++ == 0)
        std::cerr << "coop-sensor: " << out_path << ": " << r.err().to_string() << "\n";
      return;
    }
    if (!json_stdout) return;
    line.clear();
    if (auto r = model::to_json(e, line); !r) {
      if (failures++ == 0)
        std::cerr << "coop-sensor: event not written: " << r.err().to_string() << "\n";
      return;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  };
  auto s = sensor::sensor::make(reg, cfg, sink);
  if (!s) {
    std::cerr << "coop-sensor: " << s.err().message << "\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto t0 = std::chrono::steady_clock::now();
  auto next_report = t0 + std::chrono::seconds(2);
  sensor::packet_view p;
  int rc = 0;
  while (stop_requested == 0) {
    auto n = cap->next(p);
    if (!n) {
      std::cerr << "coop-sensor: " << n.err().message << "\n";
      rc = 1;
      break;
    }
    if (!n.value()) {
      if (file.empty()) continue;  // live: read timeout
      break;
    }
    s->process(p);
    if ((cap->packets() & 0xffff) == 0) {
      auto now = std::chrono::steady_clock::now();
      if (now >= next_report) {
        next_report = now + std::chrono::seconds(2);
        std::fprintf(stderr, "coop-sensor: %llu packets",
                     static_cast<unsigned long long>(cap->packets()));
        if (cap->file_size() > 0)
          std::fprintf(stderr, ", %.0f%% of %s",
                       100.0 * static_cast<double>(cap->file_offset()) /
                           static_cast<double>(cap->file_size()),
                       file.c_str());
        std::fprintf(stderr, ", %llu connections open\n",
                     static_cast<unsigned long long>(s->stats().active_connections));
      }
    }
  }
  s->flush();
  if (writer) (void)writer->flush();
  std::fflush(stdout);
  if (outputs) {
    if (auto r = outputs->finish(); !r) {
      std::cerr << "coop-sensor: " << r.err().message << "\n";
      output_failed = true;
    }
    outputs->print_summary(stderr);
  }
  if (stats) {
    const auto& st = s->stats();
    std::fprintf(stderr,
                 "packets %llu ip %llu non-ip %llu malformed %llu fragments %llu reassembled %llu "
                 "fragment-drops %llu tunnelled %llu connections %llu evictions %llu events %llu\n",
                 (unsigned long long)st.packets, (unsigned long long)st.ip_packets,
                 (unsigned long long)st.non_ip, (unsigned long long)st.malformed,
                 (unsigned long long)st.fragments, (unsigned long long)st.reassembled,
                 (unsigned long long)st.fragment_drops, (unsigned long long)st.tunnelled,
                 (unsigned long long)st.connections, (unsigned long long)st.evictions,
                 (unsigned long long)st.events);
  }
  if (failures > 0 || output_failed) rc = 1;
  return rc;
}
