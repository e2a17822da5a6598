// `coop-tm query`: what to look for from the command line, then the answer
// (events, a count, groups) or what running it would cost.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "answer.h"
#include "cli.h"
#include "output.h"

namespace coop::cli {

namespace {

// A filter error ("column N: ...") shown under the filter with a caret.
// Errors the command line caused exit 2; the store's own exit 1.
int query_error(const std::string& what, const tm::query_spec& q, const model::error& e) {
  const bool caller = e.code == model::errc::invalid_argument || e.code == model::errc::not_found;
  if (!caller) return fail(what + ": " + e.to_string());
  std::cerr << "coop-tm query: " << what << ": " << e.message << "\n";
  std::size_t column = 0;
  if (e.message.starts_with("column ")) {
    column = std::strtoull(e.message.c_str() + 7, nullptr, 10);
  }
  if (column > 0 && q.filter.find('\n') == std::string::npos && q.filter.size() < 200) {
    std::cerr << "  " << q.filter << "\n  " << std::string(column - 1, ' ') << "^\n";
  }
  return exit_usage;
}

int print_estimate(const tm::store& st, const tm::query_spec& q, bool json) {
  auto est = st.estimate(q);
  if (!est) return query_error("--filter", q, est.err());
  const auto& e = *est;
  std::string tiers;
  for (const auto& t : e.tiers) tiers += (tiers.empty() ? "" : ", ") + t;
  if (json) {
    std::string out = "{\"plan\":";
    append_json_string(out, e.plan);
    out += ",\"partitions\":" + std::to_string(e.partitions) +
           ",\"partitions_skipped\":" + std::to_string(e.partitions_skipped) +
           ",\"blocks\":" + std::to_string(e.blocks) +
           ",\"events_scanned\":" + std::to_string(e.events_scanned) +
           ",\"bytes_read\":" + std::to_string(e.bytes_read) +
           ",\"uses_index\":" + (e.uses_index ? "true" : "false") + ",\"tiers\":[";
    for (std::size_t i = 0; i < e.tiers.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, e.tiers[i]);
    }
    std::cout << out << "]}\n";
    return exit_ok;
  }
  std::cout << "plan: " << e.plan << "\n"
            << "partitions: " << e.partitions << " in the time range, " << e.partitions_skipped
            << " skipped by summaries or indexes\n"
            << "blocks: " << e.blocks << (e.uses_index ? " (narrowed by an index)" : " (no index)")
            << "\n"
            << "events scanned: " << e.events_scanned << " (at most this many match)\n"
            << "bytes read: " << e.bytes_read << " (" << human_bytes(e.bytes_read) << ")\n"
            << "resolutions: " << (tiers.empty() ? "none" : tiers) << "\n";
  return exit_ok;
}

std::string resolution_name(const tm::resolution& r) {
  return r.tier == "raw" ? r.tier : r.tier + " (" + r.bucket.to_string() + " s buckets)";
}

int print_count(const tm::store& st, const tm::query_spec& q, bool json) {
  auto n = st.count(q);
  if (!n) return query_error("--filter", q, n.err());
  if (json) {
    std::string out = "{\"events\":" + std::to_string(n->events) + ",\"by_tier\":[";
    for (std::size_t i = 0; i < n->by_tier.size(); ++i) {
      const auto& [res, count] = n->by_tier[i];
      out += i > 0 ? ",{\"tier\":" : "{\"tier\":";
      append_json_string(out, res.tier);
      out += ",\"bucket\":" + res.bucket.to_string() + ",\"events\":" + std::to_string(count) + "}";
    }
    std::cout << out << "]}\n";
    return exit_ok;
  }
  std::cout << "events: " << n->events << "\n";
  for (const auto& [res, count] : n->by_tier) {
    std::cout << "  " << resolution_name(res) << ": " << count << "\n";
  }
  return exit_ok;
}

int print_groups(const tm::store& st, const tm::query_spec& q, const std::string& list, bool json) {
  const auto fields = split_list(list);
  if (fields.empty())
    return usage_error("query", "--group-by needs field names (e.g. orig_h,resp_p)");
  auto groups = st.group_by(q, fields);
  if (!groups)
    return query_error(q.filter.empty() ? "--group-by" : "--filter/--group-by", q, groups.err());
  if (json) {
    for (const auto& g : *groups) {
      std::string out = "{";
      for (std::size_t i = 0; i < fields.size(); ++i) {
        append_json_string(out, fields[i]);
        out += ':';
        append_json_value(out, i < g.key.size() ? g.key[i] : model::value{});
        out += ',';
      }
      std::cout << out << "\"events\":" << g.events << "}\n";
    }
    return exit_ok;
  }
  std::vector<std::string> headers = fields;
  headers.emplace_back("events");
  text_table t(std::move(headers));
  for (const auto& g : *groups) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      row.push_back(i < g.key.size() ? show_value(g.key[i]) : "-");
    }
    row.push_back(std::to_string(g.events));
    t.add(std::move(row));
  }
  t.print(std::cout);
  return exit_ok;
}

}  // namespace

int run_query(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"},        {"filter"},   {"from"},
                                         {"to"},           {"limit"},    {"newest-first", false},
                                         {"format"},       {"out"},      {"estimate", false},
                                         {"count", false}, {"group-by"}, {"raw-only", false}};
  arguments a;
  if (auto stop = parse_command("query", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("query", "unexpected argument '" + a.positional().front() +
                                    "' (give the filter with --filter)");
  }
  tm::query_spec q;
  q.filter = a.get("filter").value_or("");
  q.include_aggregates = !a.has("raw-only");
  if (a.has("newest-first")) q.sort = tm::order::newest_first;
  for (const char* opt : {"from", "to"}) {
    if (auto v = a.get(opt)) {
      auto t = parse_time(opt, *v);
      if (!t) return usage_error("query", t.err().message);
      (std::string_view(opt) == "from" ? q.range.from : q.range.to) = *t;
    }
  }
  if (q.range.to <= q.range.from) {
    return usage_error("query", "--to must be later than --from (the range is [from, to))");
  }
  if (auto v = a.get("limit")) {
    auto n = parse_count(*v);
    if (!n) return usage_error("query", "--limit: " + n.err().message);
    q.limit = *n;
  }
  const std::string format = a.get("format").value_or("jsonl");
  answer_format f = answer_format::jsonl;
  if (format == "table")
    f = answer_format::table;
  else if (format == "pcap")
    f = answer_format::pcap;
  else if (format == "capnp")
    f = answer_format::capnp;
  else if (format != "jsonl") {
    return usage_error("query", "--format '" + format + "': expected jsonl, table, pcap or capnp");
  }
  const int modes = int(a.has("estimate")) + int(a.has("count")) + int(a.has("group-by"));
  if (modes > 1)
    return usage_error("query", "--estimate, --count and --group-by exclude each other");
  const bool binary = f == answer_format::pcap || f == answer_format::capnp;
  if (modes > 0 && binary) {
    return usage_error("query", "--format " + format +
                                    " writes events; it does not apply to "
                                    "--estimate, --count or --group-by");
  }
  const std::string out_path = a.get("out").value_or("-");
  if (binary && out_path == "-" && isatty(1)) {
    return usage_error("query", "--format " + format +
                                    " is binary: give --out FILE (or pipe "
                                    "the output, e.g. `| tcpdump -r -`)");
  }

  int code = exit_ok;
  auto st = open_store("query", a, store_mode::read_only, code);
  if (!st) return code;
  // Events default to JSON lines; counts, groups and estimates to text.
  const bool json = a.get("format") == "jsonl";
  if (a.has("estimate")) return print_estimate(*st, q, json);
  if (a.has("count")) return print_count(*st, q, json);
  if (auto g = a.get("group-by")) return print_groups(*st, q, *g, json);

  if (f == answer_format::pcap) {
    // Check the filter as given (so errors point into it), then ask only
    // for raw packets.
    if (auto est = st->estimate(q); !est) return query_error("--filter", q, est.err());
    q.filter = q.filter.empty() ? "type == packet" : "type == packet && (" + q.filter + ")";
    q.include_aggregates = false;
  }
  auto c = st->query(q);
  if (!c) return query_error("--filter", q, c.err());
  std::ofstream file;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return fail("--out " + out_path + ": cannot create: " + std::strerror(errno));
  }
  std::ostream& out = out_path == "-" ? std::cout : file;
  return write_answer(*c, f, out, out_path);
}

}  // namespace coop::cli
