// Reading Zeek's side: TSV logs (with btest's canonified variants and
// zeek-cut output), the CMD.txt that says how Zeek was run, and the list of
// baseline/capture pairs in the shared data.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "coop/sensor/fidelity.h"

namespace coop::sensor {

using model::errc;
using model::result;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (;;) {
    auto e = s.find(sep, b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Zeek's TSV escaping: \xNN for separators and non-printables, \\ for '\'.
std::string unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() + 0 && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
        hexval(s[i + 3]) >= 0) {
      out += static_cast<char>(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
      i += 3;
    } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

result<zeek_log> read_zeek_log(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {errc::io, file + ": cannot read"};
  zeek_log log;
  std::filesystem::path p(file);
  std::string base = p.filename().string();
  log.path = base.substr(0, base.find('.'));
  std::string line;
  std::size_t lineno = 0;
  bool have_header = false;
  char sep = '\t';
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("### BTest", 0) == 0) continue;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("#separator", 0) == 0) {
        auto pos = line.find("\\x");
        if (pos != std::string::npos && pos + 3 < line.size())
          sep = static_cast<char>(hexval(line[pos + 2]) * 16 + hexval(line[pos + 3]));
        continue;
      }
      auto parts = split(line, sep);
      if (parts[0] == "#fields") {
        log.fields.assign(parts.begin() + 1, parts.end());
        have_header = true;
      } else if (parts[0] == "#types") {
        log.types.assign(parts.begin() + 1, parts.end());
      } else if (parts[0] == "#path" && parts.size() > 1) {
        log.path = parts[1];
      }
      continue;
    }
    auto parts = split(line, sep);
    if (!have_header) {  // zeek-cut -m: the first line names the columns
      log.fields = parts;
      have_header = true;
      continue;
    }
    if (parts.size() != log.fields.size()) {
      return {errc::invalid_argument, file + ":" + std::to_string(lineno) + ": " +
                                          std::to_string(parts.size()) + " columns, header has " +
                                          std::to_string(log.fields.size())};
    }
    for (auto& v : parts) v = unescape(v);
    log.rows.push_back(std::move(parts));
  }
  if (!have_header) return {errc::invalid_argument, file + ": no #fields header or column line"};
  if (log.types.size() != log.fields.size()) log.types.assign(log.fields.size(), "");
  return log;
}

result<zeek_run> read_zeek_run(const std::string& file) {
  std::ifstream in(file);
  if (!in) return {errc::io, file + ": cannot read"};
  zeek_run run;
  std::string line;
  static const std::regex trace(R"(\$TRACES/(\S+))");
  static const std::regex proto(R"((?:^|[\s/])protocols/([a-z0-9_-]+))");
  while (std::getline(in, line)) {
    std::smatch m;
    bool exec = line.find("@TEST-EXEC:") != std::string::npos;
    if (exec && line.find("zeek ") != std::string::npos && std::regex_search(line, m, trace)) {
      if (run.pcap.empty()) {
        run.pcap = m[1].str();
        std::string cmd = " " + line + " ";
        static const std::regex no_checksums(R"(\s-[a-zA-Z]*C[a-zA-Z]*\s)");
        run.checksums = !std::regex_search(cmd, no_checksums);
        run.bare = cmd.find(" -b ") != std::string::npos;
      }
    }
    if (exec && line.find("zeek ") == std::string::npos) continue;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), proto);
         it != std::sregex_iterator(); ++it) {
      run.scripts.push_back((*it)[1].str());
    }
  }
  return run;
}

sensor_config config_for(const zeek_run& run) {
  sensor_config cfg;
  cfg.verify_checksums = run.checksums;
  if (!run.bare) return cfg;
  // In a -b run only the loaded analyzers registered their ports.
  static const std::map<std::string, std::vector<std::uint16_t>> ports = {
      {"dns", {53, 137, 5353, 5355}},
      {"ftp", {21, 2811}},
      {"http", {80, 81, 631, 1080, 3128, 8000, 8080, 8888}},
      {"ssh", {22}},
      {"smtp", {25, 587}},
      {"ssl", {443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223}},
      {"syslog", {514}},
      {"ntp", {123}},
      {"snmp", {161, 162}},
      {"dhcp", {67, 68}},
  };
  for (const auto& s : run.scripts) {
    auto it = ports.find(s);
    if (it != ports.end())
      cfg.likely_server_ports.insert(cfg.likely_server_ports.end(), it->second.begin(),
                                     it->second.end());
  }
  if (cfg.likely_server_ports.empty()) cfg.likely_server_ports.push_back(0);  // none
  return cfg;
}

result<std::vector<baseline_pair>> find_pairs(const std::string& data_dir) {
  namespace fs = std::filesystem;
  fs::path base = fs::path(data_dir) / "zeek-baselines";
  std::error_code ec;
  if (!fs::is_directory(base, ec)) return {errc::io, base.string() + ": no such directory"};
  std::vector<baseline_pair> out;
  for (const auto& d : fs::directory_iterator(base, ec)) {
    fs::path cmd = d.path() / "CMD.txt";
    if (!fs::exists(cmd)) continue;
    auto run = read_zeek_run(cmd.string());
    if (!run || run.value().pcap.empty()) continue;
    fs::path pcap = fs::path(data_dir) / "pcaps" / "zeek" / run.value().pcap;
    if (!fs::exists(pcap)) continue;
    out.push_back({d.path().string(), pcap.string(), run.value()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.dir < b.dir; });
  return out;
}

}  // namespace coop::sensor
