// The partition `info` record: "key=value" lines, readable with mdb_dump.
#include <charconv>
#include <cstdio>

#include "partition/extent.h"
#include "partition/partition.h"
#include "store/format.h"

namespace coop::tm::detail {

std::string partition_dir_name(std::uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string encode_meta(const partition_meta& m) {
  std::string s;
  auto line = [&](std::string_view k, const std::string& v) {
    s.append(k);
    s.push_back('=');
    s.append(v);
    s.push_back('\n');
  };
  line("format", std::to_string(format_version));
  line("id", std::to_string(m.id));
  line("class", m.class_name);
  line("tier", m.tier);
  line("bucket_ns", std::to_string(m.bucket_ns));
  line("window_start", std::to_string(m.window_start));
  line("min_ts", std::to_string(m.min_ts));
  line("max_ts", std::to_string(m.max_ts));
  line("events", std::to_string(m.events));
  line("rows", std::to_string(m.rows));
  line("blocks", std::to_string(m.blocks));
  line("last_batch", std::to_string(m.last_batch));
  line("sealed", m.sealed ? "1" : "0");
  line("complete", m.complete ? "1" : "0");
  line("replaces", std::to_string(m.replaces));
  line("companion", std::to_string(m.companion));
  std::string src;
  for (auto id : m.sources) {
    if (!src.empty()) src.push_back(',');
    src += std::to_string(id);
  }
  line("sources", src);
  line("summary_has_uids", m.summary_has_uids ? "1" : "0");
  line("packed", m.packed ? "1" : "0");
  line("extent_blocks", std::to_string(m.extent_blocks));
  line("derived_ids", m.derived_ids ? "1" : "0");
  std::string keys;
  for (const auto& k : m.row_keys) {
    if (!keys.empty()) keys.push_back(',');
    keys += k;
  }
  line("row_keys", keys);
  if (!m.clustered_on.empty()) line("clustered_on", m.clustered_on);
  return s;
}

namespace {

template <class T>
bool parse_num(std::string_view v, T& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && p == v.data() + v.size();
}

}  // namespace

model::result<partition_meta> decode_meta(std::string_view s, std::string_view where) {
  partition_meta m;
  bool have_format = false;
  std::size_t line_no = 0;
  while (!s.empty()) {
    ++line_no;
    auto nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    auto eq = line.find('=');
    auto bad = [&](std::string_view why) {
      return model::error{model::errc::corruption, std::string(where) + ": info line " +
                                                       std::to_string(line_no) + ": " +
                                                       std::string(why)};
    };
    if (eq == std::string_view::npos) return bad("no '='");
    std::string_view k = line.substr(0, eq);
    std::string_view v = line.substr(eq + 1);
    bool ok = true;
    if (k == "format") {
      std::uint32_t f = 0;
      ok = parse_num(v, f);
      if (ok && (f < oldest_format_version || f > format_version)) {
        return model::error{model::errc::incompatible,
                            std::string(where) + ": partition format " + std::to_string(f) +
                                ", this build reads " + readable_formats()};
      }
      have_format = true;
    } else if (k == "id") ok = parse_num(v, m.id);
    else if (k == "class") m.class_name = v;
    else if (k == "tier") m.tier = v;
    else if (k == "bucket_ns") ok = parse_num(v, m.bucket_ns);
    else if (k == "window_start") ok = parse_num(v, m.window_start);
    else if (k == "min_ts") ok = parse_num(v, m.min_ts);
    else if (k == "max_ts") ok = parse_num(v, m.max_ts);
    else if (k == "events") ok = parse_num(v, m.events);
    else if (k == "rows") ok = parse_num(v, m.rows);
    else if (k == "blocks") ok = parse_num(v, m.blocks);
    else if (k == "last_batch") ok = parse_num(v, m.last_batch);
    else if (k == "sealed") m.sealed = v == "1";
    else if (k == "complete") m.complete = v == "1";
    else if (k == "replaces") ok = parse_num(v, m.replaces);
    else if (k == "companion") ok = parse_num(v, m.companion);
    else if (k == "summary_has_uids") m.summary_has_uids = v == "1";
    else if (k == "packed") m.packed = v == "1";
    else if (k == "extent_blocks") {
      ok = parse_num(v, m.extent_blocks) && m.extent_blocks <= max_extent_blocks;
    } else if (k == "derived_ids") m.derived_ids = v == "1";
    else if (k == "clustered_on") m.clustered_on = std::string(v);
    else if (k == "row_keys") {
      while (!v.empty()) {
        auto c = v.find(',');
        m.row_keys.emplace_back(v.substr(0, c));
        if (m.row_keys.back().empty()) return bad("empty field name in row_keys");
        v = c == std::string_view::npos ? std::string_view{} : v.substr(c + 1);
      }
    }
    else if (k == "sources") {
      while (!v.empty()) {
        auto c = v.find(',');
        std::uint64_t id = 0;
        if (!parse_num(v.substr(0, c), id)) return bad("bad source id");
        m.sources.push_back(id);
        v = c == std::string_view::npos ? std::string_view{} : v.substr(c + 1);
      }
    }
    // Unknown keys are ignored: a later minor version may add some.
    if (!ok) return bad("bad value for '" + std::string(k) + "'");
  }
  if (!have_format) {
    return model::error{model::errc::corruption, std::string(where) + ": info has no format line"};
  }
  return m;
}

}  // namespace coop::tm::detail
