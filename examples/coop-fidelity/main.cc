// coop-fidelity: runs the Coop sensor on a capture and compares its events,
// record by record, with Zeek's logs for the same capture.
//   coop-fidelity --pcap FILE --zeek DIR [--json]
//   coop-fidelity --all DATA_DIR [--json]   every shared pair, with totals
#include <coop/sensor/fidelity.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace sensor = coop::sensor;

namespace {

void usage(std::ostream& o) {
  o << "usage: coop-fidelity --pcap FILE --zeek DIR [--json] [--diffs N]\n"
       "       coop-fidelity --all DATA_DIR [--json] [--diffs N]\n"
       "  --pcap FILE  the capture Zeek read\n"
       "  --zeek DIR   Zeek's logs for it (a CMD.txt there says how Zeek ran:\n"
       "               -C turns checksum checks off, -b limits server ports)\n"
       "  --all DIR    every pair under DIR/zeek-baselines with its pcap in DIR/pcaps/zeek\n"
       "  --json       print the agreement as JSON\n"
       "  --default-ports  do not mirror the server ports of a -b run (use the defaults)\n"
       "  --diffs N    text mode: list at most N disagreements (default 200)\n";
}

void print_text(const sensor::fidelity_report& r, std::size_t max_diffs) {
  for (const auto& [n, s] : r.logs) {
    std::printf(
        "%-7s zeek %5zu matched %5zu agreement %6.2f%%\n", n.c_str(), s.zeek, s.matched,
        s.zeek == 0 ? 100.0 : 100.0 * static_cast<double>(s.matched) / static_cast<double>(s.zeek));
  }
  auto o = r.overall();
  std::printf(
      "overall zeek %5zu matched %5zu agreement %6.2f%%\n", o.zeek, o.matched,
      o.zeek == 0 ? 100.0 : 100.0 * static_cast<double>(o.matched) / static_cast<double>(o.zeek));
  std::size_t shown = 0;
  for (const auto& d : r.diffs) {
    if (shown++ >= max_diffs) {
      std::printf("... %zu more disagreements\n", r.diffs.size() - max_diffs);
      break;
    }
    std::printf("  %s %s: %s zeek=%s ours=%s\n", d.log.c_str(), d.record.c_str(), d.field.c_str(),
                d.zeek.c_str(), d.ours.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string pcap, zeek, all;
  bool json = false;
  bool default_ports = false;
  std::size_t max_diffs = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "coop-fidelity: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--pcap")
      pcap = need();
    else if (a == "--zeek")
      zeek = need();
    else if (a == "--all")
      all = need();
    else if (a == "--json")
      json = true;
    else if (a == "--default-ports")
      default_ports = true;
    else if (a == "--diffs") {
      std::string v = need();
      char* end = nullptr;
      max_diffs = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') {
        std::cerr << "coop-fidelity: --diffs: not a number: '" << v << "'\n";
        return 2;
      }
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      return 0;
    } else {
      std::cerr << "coop-fidelity: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (!all.empty()) {
    auto pairs = sensor::find_pairs(all);
    if (!pairs) {
      std::cerr << "coop-fidelity: " << pairs.err().message << "\n";
      return 1;
    }
    sensor::fidelity_report total;
    for (const auto& p : pairs.value()) {
      auto cfg = sensor::config_for(p.run);
      if (default_ports) cfg.likely_server_ports.clear();
      auto r = sensor::compare_with_zeek(p.pcap, p.dir, cfg);
      if (!r) {
        std::cerr << "coop-fidelity: " << p.dir << ": " << r.err().message << "\n";
        return 1;
      }
      if (r.value().logs.empty()) continue;
      auto o = r.value().overall();
      if (!json) {
        std::printf("%-60s %4zu/%-4zu\n", std::filesystem::path(p.dir).filename().c_str(),
                    o.matched, o.zeek);
      }
      sensor::accumulate(total, r.value());
    }
    if (json)
      std::printf("%s\n", sensor::to_json(total).c_str());
    else
      print_text(total, max_diffs);
    return 0;
  }
  if (pcap.empty() || zeek.empty()) {
    usage(std::cerr);
    return 2;
  }
  sensor::sensor_config cfg;
  std::filesystem::path cmd = std::filesystem::path(zeek) / "CMD.txt";
  if (std::filesystem::exists(cmd)) {
    auto run = sensor::read_zeek_run(cmd.string());
    if (run) cfg = sensor::config_for(run.value());
  }
  if (default_ports) cfg.likely_server_ports.clear();
  auto r = sensor::compare_with_zeek(pcap, zeek, cfg);
  if (!r) {
    std::cerr << "coop-fidelity: " << r.err().message << "\n";
    return 1;
  }
  if (json)
    std::printf("%s\n", sensor::to_json(r.value()).c_str());
  else
    print_text(r.value(), max_diffs);
  return 0;
}
