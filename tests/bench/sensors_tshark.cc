// tshark over the replayed capture: the capture written to a pcap file, one
// tshark process extracting the fields the sensor's conn, dns and http events
// carry, timed by its CPU time (wait4), its start-up measured apart.
#include <algorithm>
#include <fstream>

#include "sensors_bench.h"

namespace coop::bench::sensors {
namespace {

namespace fs = std::filesystem;

// The fields tshark is asked for: those the sensor's conn, dns and http
// events carry.
const std::vector<std::string> tshark_fields = {"frame.time_epoch",
                                                "frame.len",
                                                "ip.src",
                                                "ip.dst",
                                                "ipv6.src",
                                                "ipv6.dst",
                                                "ip.proto",
                                                "tcp.srcport",
                                                "tcp.dstport",
                                                "tcp.flags",
                                                "tcp.len",
                                                "tcp.stream",
                                                "udp.srcport",
                                                "udp.dstport",
                                                "udp.stream",
                                                "dns.id",
                                                "dns.flags.response",
                                                "dns.qry.name",
                                                "dns.qry.type",
                                                "dns.flags.rcode",
                                                "dns.a",
                                                "dns.aaaa",
                                                "http.request.method",
                                                "http.host",
                                                "http.request.uri",
                                                "http.user_agent",
                                                "http.response.code"};

std::vector<std::string> tshark_argv(const std::string& tshark, const fs::path& pcap) {
  std::vector<std::string> a = {tshark, "-n", "-r", pcap.string(), "-T", "fields"};
  for (const auto& f : tshark_fields) a.push_back("-e"), a.push_back(f);
  return a;
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Counts tshark's rows and those carrying a DNS query, an HTTP request or
// an HTTP response.
json count_tshark_rows(const fs::path& out) {
  std::ifstream in(out);
  auto column = [](const std::string& name) {
    for (std::size_t i = 0; i < tshark_fields.size(); ++i)
      if (tshark_fields[i] == name) return i;
    return std::size_t{0};
  };
  const std::size_t qname = column("dns.qry.name"), resp = column("dns.flags.response"),
                    method = column("http.request.method"), code = column("http.response.code");
  std::uint64_t rows = 0, dns_q = 0, dns_r = 0, req = 0, rep = 0;
  std::vector<std::string_view> cols;
  for (std::string line; std::getline(in, line);) {
    ++rows;
    cols.clear();
    std::size_t i = 0;
    while (i <= line.size()) {
      const std::size_t j = std::min(line.find('\t', i), line.size());
      cols.emplace_back(line.data() + i, j - i);
      i = j + 1;
    }
    auto has = [&](std::size_t c) { return c < cols.size() && !cols[c].empty(); };
    if (has(qname)) (has(resp) && cols[resp].substr(0, 1) == "1" ? dns_r : dns_q)++;
    if (has(method)) ++req;
    if (has(code)) ++rep;
  }
  return {{"rows", rows},
          {"dns_query_packets", dns_q},
          {"dns_response_packets", dns_r},
          {"http_request_packets", req},
          {"http_response_packets", rep}};
}

}  // namespace

tshark_result run_tshark(const std::string& tshark, const replay& cap, const fs::path& dir,
                         const std::string& keep) {
  const std::uint64_t packets = cap.packets.size();
  if (packets == 0) die("tshark: the capture is empty");
  const fs::path pcap = dir / "replay.pcap";
  progress("writing " + pcap.string() + " ...");
  write_pcap(cap, pcap);
  if (!keep.empty()) write_pcap(cap, keep);
  const auto argv_full = tshark_argv(tshark, pcap);
  // Start-up alone: the same command over a capture of one packet.
  replay one;
  one.packets.assign(cap.packets.begin(), cap.packets.begin() + 1);
  const fs::path one_pcap = dir / "one.pcap";
  write_pcap(one, one_pcap);
  const auto startup =
      run_child(tshark_argv(tshark, one_pcap), dir / "one.txt", dir / "tshark.err");
  progress("tshark: " + join(argv_full) + " > FILE ...");
  const auto run = run_child(argv_full, dir / "tshark.txt", dir / "tshark.err");
  json counted = count_tshark_rows(dir / "tshark.txt");
  if (counted["rows"].get<std::uint64_t>() != packets)
    die("tshark printed " + counted["rows"].dump() + " rows for " + std::to_string(packets) +
        " packets");
  const double tshark_cpu = std::max(run.cpu_seconds - startup.cpu_seconds, 1e-9);
  const double tshark_pps = static_cast<double>(packets) / tshark_cpu;
  const double tshark_pps_all = static_cast<double>(packets) / run.cpu_seconds;
  progress("tshark: " + std::to_string(static_cast<long long>(tshark_pps)) + " packets/s (" +
           std::to_string(run.cpu_seconds) + " s CPU, " + std::to_string(startup.cpu_seconds) +
           " s of it start-up)");
  fs::remove(pcap);
  fs::remove(dir / "tshark.txt");
  // The version, first line of `tshark -v`.
  run_child({tshark, "-v"}, dir / "version.txt", dir / "tshark.err");
  std::ifstream version_file(dir / "version.txt");
  std::string version;
  std::getline(version_file, version);
  tshark_result r;
  r.packets_per_s = tshark_pps;
  r.packets_per_s_with_startup = tshark_pps_all;
  r.report = {{"version", version},
              {"command", join(argv_full) + " > FILE"},
              {"asked",
               "one pass over the pcap file, one line per packet with the fields "
               "given by -e, no name resolution (-n), no display filter, default "
               "preferences (TCP reassembly on, as HTTP needs it)"},
              {"cpu_seconds", run.cpu_seconds},
              {"wall_seconds", run.wall_seconds},
              {"startup_cpu_seconds", startup.cpu_seconds},
              {"max_rss_kb", run.max_rss_kb},
              {"output", counted}};
  return r;
}

}  // namespace coop::bench::sensors
