// The operator's commands: stats, expire, verify and rules.
#include <iostream>
#include <set>

#include "cli.h"
#include "output.h"

namespace coop::cli {

namespace {

std::string oldest_of(const tm::tier_stats& t) { return t.oldest ? show_time(*t.oldest) : "-"; }

void stats_json(const tm::store_stats& s, std::ostream& out) {
  std::string j = "{\"bytes\":" + std::to_string(s.bytes) +
                  ",\"disk_budget_bytes\":" + std::to_string(s.disk_budget_bytes) +
                  ",\"committed_batch\":" + std::to_string(s.committed_batch) + ",\"classes\":[";
  for (std::size_t c = 0; c < s.classes.size(); ++c) {
    const auto& cs = s.classes[c];
    j += c > 0 ? ",{\"name\":" : "{\"name\":";
    append_json_string(j, cs.name);
    j += ",\"budget_bytes\":" + std::to_string(cs.budget_bytes) + ",\"tiers\":[";
    for (std::size_t t = 0; t < cs.tiers.size(); ++t) {
      const auto& ts = cs.tiers[t];
      j += t > 0 ? ",{\"tier\":" : "{\"tier\":";
      append_json_string(j, ts.tier);
      j += ",\"partitions\":" + std::to_string(ts.partitions) +
           ",\"bytes\":" + std::to_string(ts.bytes) + ",\"events\":" + std::to_string(ts.events) +
           ",\"rows\":" + std::to_string(ts.rows) + ",\"oldest\":";
      if (ts.oldest)
        append_json_string(j, ts.oldest->to_rfc3339());
      else
        j += "null";
      j += '}';
    }
    j += "]}";
  }
  j += "],\"uncompacted_sealed\":" + std::to_string(s.uncompacted_sealed);
  j += ",\"problems\":[";
  for (std::size_t i = 0; i < s.problems.size(); ++i) {
    if (i > 0) j += ',';
    append_json_string(j, s.problems[i]);
  }
  out << j << "]}\n";
}

void stats_text(const std::string& dir, const tm::store_stats& s, std::ostream& out) {
  out << "store " << dir << ": " << human_bytes(s.bytes) << " on disk, disk budget "
      << (s.disk_budget_bytes == 0 ? std::string("none") : human_bytes(s.disk_budget_bytes))
      << ", committed through batch " << s.committed_batch << "\n\n";
  text_table t({"class", "budget", "tier", "partitions", "bytes", "events", "rows", "oldest"});
  std::uint64_t parts = 0, events = 0, rows = 0, bytes = 0;
  for (const auto& cs : s.classes) {
    bool first = true;
    for (const auto& ts : cs.tiers) {
      std::string budget = !first ? "" : cs.budget_bytes == 0 ? "-" : human_bytes(cs.budget_bytes);
      t.add({first ? cs.name : "", std::move(budget), ts.tier, std::to_string(ts.partitions),
             human_bytes(ts.bytes), std::to_string(ts.events), std::to_string(ts.rows),
             oldest_of(ts)});
      first = false;
      parts += ts.partitions;
      events += ts.events;
      rows += ts.rows;
      bytes += ts.bytes;
    }
  }
  t.add({"total", "", "", std::to_string(parts), human_bytes(bytes), std::to_string(events),
         std::to_string(rows)});
  t.print(out);
  out << "\n";
  if (s.uncompacted_sealed > 0) {
    out << "sealed partitions not compacted yet: " << s.uncompacted_sealed
        << " (a running store compacts them in the background; see the problems if that "
           "failed)\n";
  }
  if (s.problems.empty()) {
    out << "problems: none\n";
  } else {
    out << "problems:\n";
    for (const auto& p : s.problems) out << "  " << p << "\n";
  }
}

}  // namespace

int run_stats(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}, {"json", false}};
  arguments a;
  if (auto stop = parse_command("stats", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("stats", "unexpected argument '" + a.positional().front() + "'");
  }
  int code = exit_ok;
  auto st = open_store("stats", a, store_mode::read_only, code);
  if (!st) return code;
  const auto s = st->stats();
  if (a.has("json"))
    stats_json(s, std::cout);
  else
    stats_text(*a.get("store"), s, std::cout);
  return exit_ok;
}

int run_expire(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}};
  arguments a;
  if (auto stop = parse_command("expire", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("expire", "unexpected argument '" + a.positional().front() + "'");
  }
  int code = exit_ok;
  auto st = open_store("expire", a, store_mode::read_write, code);
  if (!st) return code;
  catch_interrupts();
  auto r = st->expire(&interrupted());
  if (!r) return fail("expire: " + r.err().to_string());
  const auto& e = *r;
  std::cout << "expiry pass " << (e.interrupted ? "interrupted" : "complete") << "\n"
            << "  partitions aggregated: " << e.partitions_aggregated << "\n"
            << "  partitions dropped:    " << e.partitions_dropped << "\n"
            << "  events aggregated:     " << e.events_aggregated << "\n"
            << "  events kept raw (pinned): " << e.events_pinned << "\n"
            << "  space freed:           " << human_bytes(e.bytes_freed) << "\n";
  if (e.interrupted)
    return fail("expire was interrupted; run it again to finish (nothing is lost)");
  return exit_ok;
}

int run_verify(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}};
  arguments a;
  if (auto stop = parse_command("verify", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("verify", "unexpected argument '" + a.positional().front() + "'");
  }
  int code = exit_ok;
  auto st = open_store("verify", a, store_mode::read_only, code);
  if (!st) return code;
  auto r = st->verify();
  if (!r) return fail("verify: " + r.err().to_string());
  // Problems found when the store opened (unreadable partitions) count too.
  std::vector<std::string> problems = st->stats().problems;
  std::set<std::string> seen(problems.begin(), problems.end());
  for (auto& p : *r) {
    if (seen.insert(p).second) problems.push_back(std::move(p));
  }
  const auto s = st->stats();
  std::uint64_t parts = 0, rows = 0;
  for (const auto& cs : s.classes) {
    for (const auto& t : cs.tiers) {
      parts += t.partitions;
      rows += t.rows;
    }
  }
  if (problems.empty()) {
    std::cout << "verified " << parts << " partitions, " << rows << " records, "
              << human_bytes(s.bytes) << ": no problems\n";
    return exit_ok;
  }
  for (const auto& p : problems) std::cout << "problem: " << p << "\n";
  return fail(std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems") +
              " found in " + *a.get("store"));
}

int run_rules(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}, {"set"}};
  arguments a;
  if (auto stop = parse_command("rules", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("rules", "unexpected argument '" + a.positional().front() +
                                    "' (set rules with --set FILE)");
  }
  const auto file = a.get("set");
  int code = exit_ok;
  auto st = open_store("rules", a, file ? store_mode::read_write : store_mode::read_only, code);
  if (!st) return code;
  if (!file) {
    const auto rules = st->rules();
    if (rules.text().empty()) {
      std::cout << "# default rules: every event kept raw, forever, in class 'default'\n";
    } else {
      std::cout << rules.text();
      if (rules.text().back() != '\n') std::cout << "\n";
    }
    return exit_ok;
  }
  auto text = read_file(*file);
  if (!text) return fail("--set " + text.err().message);
  if (auto r = st->set_rules(*text); !r) return fail(rules_error_in(*file, r.err()));
  const auto rules = st->rules();
  std::cout << "rules set from " << *file << ": " << rules.rules().size() << " rules, "
            << rules.classes().size() << " classes";
  if (rules.packet_cutoff() > 0) {
    std::cout << ", packet cut-off " << human_bytes(rules.packet_cutoff()) << " per connection";
  }
  std::cout << "\n";
  return exit_ok;
}

}  // namespace coop::cli
