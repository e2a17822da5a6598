// Matching the sensor's events with Zeek's records. Our events are first
// flattened into rows under Zeek's column names (joining request and reply
// events the way Zeek joins them into one log row), then each Zeek record is
// matched with an unused row of the same 5-tuple, choosing the candidate
// that agrees on the most compared fields.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "coop/model/catalogue.h"
#include "coop/sensor/capture.h"
#include "coop/sensor/fidelity.h"

namespace coop::sensor {

using model::errc;
using model::result;

namespace {

using row = std::map<std::string, std::string>;

struct log_spec {
  std::vector<std::string> compared;  // Zeek columns compared (when the log has them)
};

const std::map<std::string, log_spec>& specs() {
  static const std::map<std::string, log_spec> s = {
      {"conn",
       {{"proto", "duration", "orig_bytes", "resp_bytes", "conn_state", "history", "missed_bytes",
         "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"}}},
      {"dns", {{"query", "qtype", "rcode", "answers"}}},
      {"http", {{"method", "host", "uri", "status_code", "user_agent"}}},
      {"ssh", {{"client", "server", "auth_success"}}},
      {"smtp", {{"from", "to", "subject"}}},
      {"ssl", {{"version", "server_name"}}},
      {"ftp", {{"command", "arg", "reply_code"}}},
      {"syslog", {{"facility", "severity", "message"}}},
  };
  return s;
}

const std::vector<std::string> key_columns = {"id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"};

std::string render(const model::value& v) {
  if (v.is_none()) return "-";
  if (const auto* p = v.get_if<model::port>()) return std::to_string(p->number);
  if (const auto* s = v.get_if<std::string>()) return s->empty() ? "(empty)" : *s;
  if (const auto* b = v.get_if<bool>()) return *b ? "T" : "F";
  if (const auto* i = v.get_if<model::interval>()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(i->ns) / 1e9);
    return buf;
  }
  const std::vector<model::value>* elems = nullptr;
  if (const auto* sv = v.get_if<model::set_value>()) elems = &sv->elements;
  if (const auto* vv = v.get_if<model::vector_value>()) elems = &vv->elements;
  if (elems != nullptr) {
    if (elems->empty()) return "(empty)";
    std::string out;
    for (const auto& e : *elems) {
      if (!out.empty()) out += ',';
      out += render(e);
    }
    return out;
  }
  return v.to_string();
}

// Our events, flattened into rows per Zeek log.
struct our_rows {
  std::map<std::string, std::vector<row>> logs;
};

row base_row(const model::event& e) {
  row r;
  auto put = [&](const char* col, const char* field) {
    if (const auto* v = e.get(field)) r[col] = render(*v);
  };
  put("id.orig_h", "orig_h");
  put("id.orig_p", "orig_p");
  put("id.resp_h", "resp_h");
  put("id.resp_p", "resp_p");
  if (const auto* v = e.get("orig_p"); v && v->is<model::port>())
    r["proto"] = std::string(model::to_string(v->get<model::port>().proto));
  r["uid"] = e.uid;
  return r;
}

void copy_fields(row& r, const model::event& e,
                 std::initializer_list<std::pair<const char*, const char*>> m) {
  for (const auto& [col, field] : m) {
    if (const auto* v = e.get(field); v && !v->is_none()) r[col] = render(*v);
  }
}

our_rows flatten(const std::vector<model::event>& events) {
  our_rows out;
  std::map<std::string, std::size_t> http_at, dns_at;  // join keys -> row index
  for (const auto& e : events) {
    const std::string& t = e.type().name();
    row r = base_row(e);
    if (t == model::catalogue::connection_end) {
      copy_fields(r, e,
                  {{"duration", "duration"},
                   {"orig_bytes", "orig_bytes"},
                   {"resp_bytes", "resp_bytes"},
                   {"conn_state", "conn_state"},
                   {"history", "history"},
                   {"orig_pkts", "orig_pkts"},
                   {"missed_bytes", "missed_bytes"},
                   {"orig_ip_bytes", "orig_ip_bytes"},
                   {"resp_pkts", "resp_pkts"},
                   {"resp_ip_bytes", "resp_ip_bytes"},
                   {"service", "service"}});
      out.logs["conn"].push_back(std::move(r));
    } else if (t == model::catalogue::dns_request || t == model::catalogue::dns_reply) {
      // dns.log: one row per request and its reply (a repeated request or
      // an unrequested reply starts a row); qtype comes from the request.
      const auto* id = e.get("trans_id");
      std::string key = e.uid + "/" + (id ? render(*id) : "");
      auto& rows = out.logs["dns"];
      bool reply = t == model::catalogue::dns_reply;
      auto it = dns_at.find(key);
      bool fresh = it == dns_at.end() || (reply ? rows[it->second].count("#reply") > 0
                                                : rows[it->second].count("#request") > 0);
      if (fresh) {
        dns_at[key] = rows.size();
        rows.push_back(r);
        it = dns_at.find(key);
      }
      row& d = rows[it->second];
      d[reply ? "#reply" : "#request"] = "1";
      copy_fields(d, e, {{"query", "query"}, {"trans_id", "trans_id"}});
      if (reply)
        copy_fields(d, e, {{"rcode", "rcode"}, {"answers", "answers"}});
      else
        copy_fields(d, e, {{"qtype", "qtype"}});
    } else if (t == model::catalogue::http_request || t == model::catalogue::http_reply) {
      const auto* d = e.get("trans_depth");
      std::string key = e.uid + "/" + (d ? render(*d) : "");
      auto& rows = out.logs["http"];
      auto it = http_at.find(key);
      if (it == http_at.end()) {
        it = http_at.emplace(key, rows.size()).first;
        rows.push_back(r);
      }
      copy_fields(rows[it->second], e,
                  {{"method", "method"},
                   {"host", "host"},
                   {"uri", "uri"},
                   {"user_agent", "user_agent"},
                   {"status_code", "status_code"}});
    } else if (t == model::catalogue::ssh_login) {
      copy_fields(r, e,
                  {{"client", "client"}, {"server", "server"}, {"auth_success", "auth_success"}});
      out.logs["ssh"].push_back(std::move(r));
    } else if (t == model::catalogue::smtp_message) {
      copy_fields(r, e, {{"from", "from"}, {"to", "to"}, {"subject", "subject"}});
      out.logs["smtp"].push_back(std::move(r));
    } else if (t == model::catalogue::tls_handshake) {
      copy_fields(r, e, {{"version", "version"}, {"server_name", "server_name"}});
      out.logs["ssl"].push_back(std::move(r));
    } else if (t == model::catalogue::ftp_command) {
      copy_fields(r, e, {{"command", "command"}, {"arg", "arg"}, {"reply_code", "reply_code"}});
      out.logs["ftp"].push_back(std::move(r));
    } else if (t == model::catalogue::syslog_message) {
      copy_fields(r, e,
                  {{"facility", "facility"}, {"severity", "severity"}, {"message", "message"}});
      out.logs["syslog"].push_back(std::move(r));
    }
  }
  return out;
}

std::string sorted_set(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t b = 0;
  for (;;) {
    auto e = s.find(',', b);
    parts.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

bool same(const std::string& col, const std::string& type, const std::string& zeek,
          const std::string& ours) {
  std::string o = ours.empty() ? "-" : ours;
  if (zeek == o) return true;
  if (col == "duration" && zeek != "-" && o != "-") {
    return std::fabs(std::strtod(zeek.c_str(), nullptr) - std::strtod(o.c_str(), nullptr)) <=
           0.001 + 1e-9;
  }
  if (type.rfind("set[", 0) == 0) return sorted_set(zeek) == sorted_set(o);
  return false;
}

std::string describe(const zeek_log& log, const std::vector<std::string>& z) {
  auto col = [&](const char* name) -> std::string {
    auto it = std::find(log.fields.begin(), log.fields.end(), name);
    return it == log.fields.end() ? "?" : z[static_cast<std::size_t>(it - log.fields.begin())];
  };
  if (std::find(log.fields.begin(), log.fields.end(), "id.orig_h") == log.fields.end()) {
    return log.path + " record " + (z.empty() ? "" : z[0]);
  }
  return col("id.orig_h") + ":" + col("id.orig_p") + " > " + col("id.resp_h") + ":" +
         col("id.resp_p");
}

void score_log(const zeek_log& log, std::vector<row>& ours, fidelity_report& rep) {
  const auto& spec = specs().at(log.path);
  std::vector<std::pair<std::size_t, std::string>> compared;  // column index, name
  for (const auto& c : spec.compared) {
    auto it = std::find(log.fields.begin(), log.fields.end(), c);
    if (it != log.fields.end())
      compared.emplace_back(static_cast<std::size_t>(it - log.fields.begin()), c);
  }
  std::vector<std::pair<std::size_t, std::string>> keys;
  for (const auto& c : key_columns) {
    auto it = std::find(log.fields.begin(), log.fields.end(), c);
    if (it != log.fields.end())
      keys.emplace_back(static_cast<std::size_t>(it - log.fields.begin()), c);
  }
  std::vector<bool> used(ours.size(), false);
  log_score& sc = rep.logs[log.path];
  for (const auto& z : log.rows) {
    ++sc.zeek;
    std::size_t best = SIZE_MAX;
    std::size_t best_agree = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (used[i]) continue;
      bool key_ok = true;
      for (const auto& [ci, name] : keys) {
        auto it = ours[i].find(name);
        if (it == ours[i].end() || it->second != z[ci]) {
          key_ok = false;
          break;
        }
      }
      if (!key_ok) continue;
      std::size_t agree = 0;
      for (const auto& [ci, name] : compared) {
        auto it = ours[i].find(name);
        if (same(name, log.types[ci], z[ci], it == ours[i].end() ? "-" : it->second)) ++agree;
      }
      if (best == SIZE_MAX || agree > best_agree) {
        best = i;
        best_agree = agree;
      }
    }
    if (best == SIZE_MAX) {
      rep.diffs.push_back({log.path, describe(log, z), "(record)", "present", "(no record)"});
      continue;
    }
    used[best] = true;
    if (best_agree == compared.size()) {
      ++sc.matched;
      continue;
    }
    for (const auto& [ci, name] : compared) {
      auto it = ours[best].find(name);
      std::string o = it == ours[best].end() ? "-" : it->second;
      if (!same(name, log.types[ci], z[ci], o))
        rep.diffs.push_back({log.path, describe(log, z), name, z[ci], o});
    }
  }
}

}  // namespace

log_score fidelity_report::overall() const {
  log_score o;
  for (const auto& [n, s] : logs) {
    o.zeek += s.zeek;
    o.matched += s.matched;
  }
  return o;
}

result<fidelity_report> compare_with_zeek(const std::string& pcap, const std::string& zeek_dir,
                                          const sensor_config& cfg) {
  namespace fs = std::filesystem;
  model::registry reg;
  if (auto r = model::add_catalogue(reg); !r) return r.err();
  std::vector<model::event> events;
  auto s = sensor::make(reg, cfg, [&](const model::event& e) { events.push_back(e); });
  if (!s) return s.err();
  auto cap = capture::open_file(pcap);
  if (!cap) return cap.err();
  packet_view p;
  for (;;) {
    auto n = cap.value().next(p);
    if (!n) return n.err();
    if (!n.value()) break;
    s.value().process(p);
  }
  s.value().flush();
  our_rows ours = flatten(events);

  fidelity_report rep;
  std::error_code ec;
  std::map<std::string, std::string> files;  // log -> file (prefer .log, then .log.tsv)
  for (const auto& d : fs::directory_iterator(zeek_dir, ec)) {
    std::string name = d.path().filename().string();
    auto dot = name.find('.');
    if (dot == std::string::npos) continue;
    std::string log = name.substr(0, dot), rest = name.substr(dot);
    if (!specs().count(log)) continue;
    if (rest != ".log" && rest != ".log.tsv") continue;
    if (!files.count(log) || rest == ".log") files[log] = d.path().string();
  }
  if (ec) return {errc::io, zeek_dir + ": " + ec.message()};
  for (const auto& [log, file] : files) {
    auto zl = read_zeek_log(file);
    if (!zl) return zl.err();
    zl.value().path = log;
    score_log(zl.value(), ours.logs[log], rep);
  }
  return rep;
}

void accumulate(fidelity_report& total, const fidelity_report& r) {
  for (const auto& [n, s] : r.logs) {
    total.logs[n].zeek += s.zeek;
    total.logs[n].matched += s.matched;
  }
  total.diffs.insert(total.diffs.end(), r.diffs.begin(), r.diffs.end());
}

std::string to_json(const fidelity_report& r) {
  auto score = [](const log_score& s) {
    char buf[128];
    double a = s.zeek == 0 ? 1.0 : static_cast<double>(s.matched) / static_cast<double>(s.zeek);
    std::snprintf(buf, sizeof buf, R"({"zeek": %zu, "matched": %zu, "agreement": %.4f})", s.zeek,
                  s.matched, a);
    return std::string(buf);
  };
  std::string out = "{\"logs\": {";
  bool first = true;
  for (const auto& [n, s] : r.logs) {
    if (!first) out += ", ";
    first = false;
    out += "\"" + n + "\": " + score(s);
  }
  out += "}, \"overall\": " + score(r.overall()) + "}";
  return out;
}

}  // namespace coop::sensor
