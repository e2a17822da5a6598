// Output helpers: sizes, times, values, JSON strings, text tables.
#include "output.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace coop::cli {

std::string human_bytes(std::uint64_t n) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (n < 1024) return std::to_string(n) + " B";
  auto v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string show_time(model::timestamp t) {
  std::string s = t.to_rfc3339();  // ...SS.nnnnnnnnnZ
  // Drop the last three digits when they are zeros (microsecond sources).
  if (s.size() > 4 && s.compare(s.size() - 4, 3, "000") == 0) s.erase(s.size() - 4, 3);
  return s;
}

std::string show_value(const model::value& v) {
  constexpr std::size_t longest = 80;
  if (v.is_none()) return "-";
  // Payloads are unreadable in a table; their size says enough.
  if (const auto* b = v.get_if<model::bytes>())
    return "(" + std::to_string(b->data.size()) + " bytes)";
  std::string s = v.to_string();
  if (s.empty()) return "(empty)";
  if (s.size() > longest) s = s.substr(0, longest - 3) + "...";
  return s;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_value(std::string& out, const model::value& v) {
  if (v.is_none()) {
    out += "null";
  } else if (const auto* c = v.get_if<std::uint64_t>()) {
    out += std::to_string(*c);
  } else if (const auto* i = v.get_if<std::int64_t>()) {
    out += std::to_string(*i);
  } else if (const auto* b = v.get_if<bool>()) {
    out += *b ? "true" : "false";
  } else {
    append_json_string(out, v.to_string());
  }
}

void text_table::print(std::ostream& out, bool with_header) {
  const std::size_t columns = rows_.front().size();
  widths_.resize(columns, 0);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < columns && i < row.size(); ++i) {
      widths_[i] = std::max(widths_[i], row[i].size());
    }
  }
  for (std::size_t r = with_header ? 0 : 1; r < rows_.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < columns; ++i) {
      const std::string empty;
      const std::string& cell = i < rows_[r].size() ? rows_[r][i] : empty;
      line += cell;
      if (i + 1 < columns) line.append(widths_[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  rows_.resize(1);
}

}  // namespace coop::cli
