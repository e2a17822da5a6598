// A minimal Zeek conn.log reader for the demo (see zeek_conn_log.h).
#include "zeek_conn_log.h"

#include <fstream>
#include <sstream>

#include "coop/model/catalogue.h"

namespace coop::demo {
namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

}  // namespace

model::result<std::vector<model::event>> read_conn_log(const std::string& path,
                                                       const model::registry& reg,
                                                       model::timestamp base_ts,
                                                       std::vector<std::string>& skipped) {
  using namespace coop::model;
  std::ifstream in(path);
  if (!in) return error{errc::io, "cannot open " + path};
  auto conn = reg.find(catalogue::connection_end);
  if (!conn) return error{errc::not_found, "registry lacks connection_end"};

  std::vector<std::string> fields, types;
  std::vector<event> out;
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.starts_with("#fields\t")) fields = split(line.substr(8), '\t');
    if (line.starts_with("#types\t")) types = split(line.substr(7), '\t');
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    if (fields.empty() || cols.size() != fields.size() || types.size() != fields.size()) {
      skipped.push_back(path + ":" + std::to_string(lineno) + ": row does not match #fields");
      continue;
    }
    event ev(conn);
    ev.from = {"demo-site", "zeek-conn-log"};
    ev.id = {0x5a65656b, lineno};  // deterministic ids: the demo's output is reproducible
    std::string proto = "unknown";
    std::string bad;
    for (std::size_t i = 0; i < fields.size() && bad.empty(); ++i) {
      if (fields[i] == "proto") proto = cols[i];
    }
    for (std::size_t i = 0; i < fields.size() && bad.empty(); ++i) {
      std::string name = fields[i];
      const std::string& text = cols[i];
      if (name == "ts") {
        auto ts = timestamp::parse(text);
        ev.ts = ts ? *ts : base_ts + interval::seconds(static_cast<std::int64_t>(out.size()));
        continue;
      }
      if (name == "uid") {
        ev.uid = text;
        continue;
      }
      if (name.starts_with("id.")) name = name.substr(3);
      auto idx = conn->index_of(name);
      if (!idx) continue;  // a column the catalogue does not carry
      const auto& f = (*conn)[*idx];
      std::string v = text;
      if (f.ty.kind() == type_kind::port && v != "-") v += "/" + proto;
      if (v == "(empty)") v = "";
      auto parsed = value::parse(v, f.ty);
      if (!parsed) {
        bad = path + ":" + std::to_string(lineno) + ": column " + fields[i] + ": " +
              parsed.err().message;
        break;
      }
      ev.field(*idx) = std::move(*parsed);
    }
    if (bad.empty()) {
      if (auto valid = ev.validate(); !valid) bad = path + ":" + std::to_string(lineno) + ": " + valid.err().message;
    }
    if (!bad.empty()) {
      skipped.push_back(bad);
      continue;
    }
    out.push_back(std::move(ev));
  }
  return out;
}

}  // namespace coop::demo
