// Format names and detection of an input's format from its first bytes.
#include <array>
#include <string>

#include "coop/importer/importer.h"
#include "coop/model/address.h"
#include "scan/scalars.h"

namespace coop::importer {

namespace model = coop::model;

namespace {
constexpr std::array<std::pair<format, std::string_view>, 8> names = {{
    {format::automatic, "auto"},
    {format::zeek, "zeek"},
    {format::apache, "apache"},
    {format::sshd, "sshd"},
    {format::intel, "intel"},
    {format::stix, "stix"},
    {format::misp, "misp"},
    {format::iplist, "iplist"},
}};

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

// The lines of `head` (the last one may be cut short).
std::string_view next_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// "[17/May/2015:10:05:03 +0000] \"" somewhere in the line.
bool looks_apache(std::string_view line) {
  const auto open = line.find(" [");
  if (open == std::string_view::npos || open + 14 > line.size()) return false;
  const std::string_view d = line.substr(open + 2);
  return scan::two_digits(d.data()) >= 0 && d[2] == '/' && scan::month_of(d.substr(3, 3)) != 0 &&
         d[6] == '/' && contains(line, "] \"");
}

// "Feb 12 14:10:21 host ..." or "2023-11-14T00:20:42... host ...".
bool looks_syslog(std::string_view line) {
  if (line.size() > 16 && scan::month_of(line.substr(0, 3)) != 0 && line[3] == ' ') return true;
  return line.size() > 20 && line[4] == '-' && line[7] == '-' && line[10] == 'T' &&
         scan::two_digits(line.data()) >= 0;
}

bool looks_address(std::string_view line) {
  line = scan::trim(line);
  const auto end = line.find_first_of(" \t,;");
  const std::string_view first = line.substr(0, end);
  model::address a;
  if (scan::parse_address(first, a)) return true;
  return first.find('/') != std::string_view::npos && model::subnet::parse(first).ok();
}
}  // namespace

std::string_view to_string(format f) noexcept {
  for (const auto& [v, n] : names) {
    if (v == f) return n;
  }
  return "unknown";
}

model::result<format> parse_format(std::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return model::error{model::errc::invalid_argument,
                      "unknown format '" + std::string(name) +
                          "' (expected auto, zeek, apache, sshd, intel, stix, misp or iplist)"};
}

model::result<format> detect_format(std::string_view head, std::string_view name) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  std::size_t skip = 0;
  while (skip < head.size() && (head[skip] == ' ' || head[skip] == '\n' || head[skip] == '\r' ||
                                head[skip] == '\t')) {
    ++skip;
  }
  head.remove_prefix(skip);
  if (contains(head.substr(0, 4096), "#fields\tindicator\tindicator_type")) return format::intel;
  if (!head.empty() && (head[0] == '{' || head[0] == '[')) {
    const std::string_view start = head.substr(0, 8192);
    if (contains(start, "\"bundle\"") || contains(start, "\"spec_version\"")) return format::stix;
    if (contains(start, "\"Event\"") || contains(start, "\"Attribute\"")) return format::misp;
    if (head[0] == '{' && (contains(start, "\"_path\"") || contains(start, "\"ts\"") ||
                           contains(start, "\"uid\"") || contains(start, "\"id.orig_h\""))) {
      return format::zeek;
    }
  } else {
    std::string_view rest = head;
    std::string_view first = next_line(rest);
    if (first.substr(0, 11) == "#separator " || first.substr(0, 8) == "#fields\t") {
      return format::zeek;
    }
    // zeek-cut -m: a line of column names.
    if (first.find('\t') != std::string_view::npos &&
        (first.substr(0, 3) == "ts\t" || contains(first, "\tuid\t") ||
         contains(first, "id.orig_h") || first.substr(0, 4) == "uid\t")) {
      return format::zeek;
    }
    // Comment lines (ipsum, Intel files with a preamble) say nothing yet.
    std::string_view line = first;
    for (int i = 0; i < 64 && !line.empty() && (line[0] == '#' || line[0] == ';'); ++i) {
      line = next_line(rest);
    }
    if (looks_apache(line)) return format::apache;
    if (looks_syslog(line)) return format::sshd;
    if (looks_address(line)) return format::iplist;
  }
  return model::error{model::errc::unsupported,
                      std::string(name) +
                          ": cannot tell the format from its first lines; name it with --format "
                          "(zeek, apache, sshd, intel, stix, misp, iplist)"};
}

}  // namespace coop::importer
