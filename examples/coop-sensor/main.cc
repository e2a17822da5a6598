// coop-sensor: reads packets from a capture file (-r) or an interface (-i),
// runs the Coop packet sensor and writes catalogue events as JSON lines to
// stdout, or in the binary stream format to a file (-w). Progress goes to
// stderr for long files.
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

namespace model = coop::model;
namespace sensor = coop::sensor;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

void usage(std::ostream& o) {
  o << "usage: coop-sensor (-r FILE | -i IFACE) [options]\n"
       "  -r FILE          read a pcap/pcapng file (gzip allowed)\n"
       "  -i IFACE         capture live from an interface\n"
       "  -w FILE          write events in the binary stream format to FILE\n"
       "                   (default: JSON lines on stdout)\n"
       "  --packets N      emit packet events for the first N payload bytes of\n"
       "                   each connection (Time Machine cut-off; 15K = 15360)\n"
       "  --checksums      drop packets with bad checksums (as Zeek without -C)\n"
       "  --max-conns N    connections tracked at once (default 262144)\n"
       "  --filter EXPR    BPF filter for -i\n"
       "  --site S --sensor NAME   origin put into every event\n"
       "  --stats          print counters to stderr at the end\n"
       "  --bench N        load the captures under -r PATH (file or directory) into\n"
       "                   memory and print packets/s over N runs (no events written)\n";
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
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
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
  std::string line;
  int failures = 0;
  auto sink = [&](const model::event& e) {
    if (writer) {
      if (auto r = writer->write(e); !r && failures++ == 0)
        std::cerr << "coop-sensor: " << out_path << ": " << r.err().to_string() << "\n";
      return;
    }
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
  if (failures > 0) rc = 1;
  return rc;
}
