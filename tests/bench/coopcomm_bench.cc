// coop-bench-coopcomm: publish/subscribe throughput and one-way latency of
// libcoopcomm between two sites over mutual TLS 1.3 on loopback, against
// NATS with TLS (a real nats-server, libnats clients) and ZeroMQ PUB/SUB in
// plain TCP, in the same run, with the same payload sizes and the same
// measuring loops. docs/performance.md ("libcoopcomm") explains the figures
// and records the latest ones.
//
//   coop-bench-coopcomm [--quick | --smoke] [--json] [--count N] [--count-1k N]
//                       [--latency-seconds S] [--nats-server PATH] [--only SYSTEM]
//                       [--coop-limit NAME=VALUE ...] [--latency-rate R]
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "coopcomm_bench.h"

namespace {

using namespace coop::bench::comm;
using json = nlohmann::ordered_json;

struct options {
  std::string mode = "default";  // default, quick, smoke
  bool json = false;
  std::uint64_t count_128 = 1'000'000;
  std::uint64_t count_1k = 300'000;
  double latency_seconds = 10;
  double time_cap = 30;   // seconds a throughput phase may send
  double quiet = 2;       // seconds without a delivery that end a phase
  std::string nats_server;
  std::string only;       // "", "coop", "nats", "zmq"
  std::vector<std::string> coop_limits;  // "NAME VALUE" for Coop's `limit` lines
  double latency_rate = 0;  // msgs/s of the paced phases; 0: half Coop's 128 B rate
  int rounds = 3;           // throughput phases per size; the median counts
};

constexpr const char* usage =
    "usage: coop-bench-coopcomm [--quick | --smoke] [--json] [--count N] [--count-1k N]\n"
    "                           [--latency-seconds S] [--nats-server PATH] [--only SYSTEM]\n"
    "                           [--coop-limit NAME=VALUE ...] [--latency-rate R] [--rounds N]\n"
    "  --quick              200,000 + 100,000 messages, 3 s of latency per system (< 60 s)\n"
    "  --smoke              a few thousand messages, half a second of latency (for ctest)\n"
    "  --json               print one JSON object on stdout instead of a table\n"
    "  --count N            128-byte messages per throughput phase (default 1,000,000)\n"
    "  --count-1k N         1 KiB messages per throughput phase (default 300,000)\n"
    "  --latency-seconds S  length of each paced latency phase (default 10)\n"
    "  --nats-server PATH   the nats-server program (default: searched in PATH, /usr/sbin)\n"
    "  --only SYSTEM        run only coop, nats or zmq (for a profiler); the latency rate is\n"
    "                       then 50% of that system's own 128-byte rate, ratios are 0\n"
    "  --coop-limit N=V     adds `limit N V` to both Coop sites' configuration, e.g.\n"
    "                       --coop-limit inbox-bytes=1MiB (repeatable; default: none)\n"
    "  --latency-rate R     pace the latency phases at R msgs/s instead of 50% of Coop's\n"
    "                       measured 128-byte rate (the latency target then does not apply)\n"
    "  --rounds N           throughput phases per payload size and system; the round with the\n"
    "                       median rate is reported, all rates are in the JSON (default 3)\n";

options parse_options(int argc, char** argv) {
  options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", argv[i], usage);
      std::exit(2);
    }
    return argv[++i];
  };
  auto number = [&](int& i) -> double {
    const std::string name = argv[i];
    const std::string v = value(i);
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || !(d > 0)) {
      std::fprintf(stderr, "%s: not a positive number: %s\n%s", name.c_str(), v.c_str(), usage);
      std::exit(2);
    }
    return d;
  };
  std::optional<std::uint64_t> c128, c1k;
  std::optional<double> lat;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") o.mode = "quick";
    else if (a == "--smoke") o.mode = "smoke";
    else if (a == "--json") o.json = true;
    else if (a == "--count") c128 = static_cast<std::uint64_t>(number(i));
    else if (a == "--count-1k") c1k = static_cast<std::uint64_t>(number(i));
    else if (a == "--latency-seconds") lat = number(i);
    else if (a == "--latency-rate") o.latency_rate = number(i);
    else if (a == "--nats-server") o.nats_server = value(i);
    else if (a == "--coop-limit") {
      std::string l = value(i);
      const auto eq = l.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--coop-limit: expected NAME=VALUE, got '%s'\n%s", l.c_str(), usage);
        std::exit(2);
      }
      l[eq] = ' ';
      o.coop_limits.push_back(l);
    }
    else if (a == "--rounds") {
      o.rounds = static_cast<int>(number(i));
      if (o.rounds < 1 || o.rounds > 9) {
        std::fprintf(stderr, "--rounds: expected 1 to 9\n%s", usage);
        std::exit(2);
      }
    } else if (a == "--only") {
      o.only = value(i);
      if (o.only != "coop" && o.only != "nats" && o.only != "zmq") {
        std::fprintf(stderr, "--only: expected coop, nats or zmq, got '%s'\n%s", o.only.c_str(), usage);
        std::exit(2);
      }
    } else if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n%s", a.c_str(), usage);
      std::exit(2);
    }
  }
  if (o.mode == "quick") {
    o.count_128 = 200'000, o.count_1k = 100'000, o.latency_seconds = 3, o.time_cap = 8, o.quiet = 1;
  } else if (o.mode == "smoke") {
    o.count_128 = 3'000, o.count_1k = 1'000, o.latency_seconds = 0.5, o.time_cap = 5, o.quiet = 1;
    o.rounds = 1;
  }
  if (c128) o.count_128 = *c128;
  if (c1k) o.count_1k = *c1k;
  if (lat) o.latency_seconds = *lat;
  return o;
}

std::string find_nats_server(const std::string& given) {
  if (!given.empty()) {
    if (::access(given.c_str(), X_OK) != 0) die("--nats-server " + given + ": not an executable file");
    return given;
  }
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/nats-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  die("nats-server not found in PATH nor /usr/sbin: install the Debian package nats-server "
      "(scripts/install-deps) or pass --nats-server PATH");
}

json phase_json(const throughput_result& r) {
  json j;
  j["payload_bytes"] = r.size;
  j["sent"] = r.sent;
  j["send_errors"] = r.send_errors;
  j["delivered"] = r.delivered;
  j["lost"] = r.sent >= r.delivered ? r.sent - r.delivered : 0;
  j["send_seconds"] = r.send_seconds;
  j["seconds"] = r.seconds;
  j["msgs_per_s"] = r.msgs_per_s;
  j["mbytes_per_s"] = r.msgs_per_s * static_cast<double>(r.size) / 1e6;
  j["system"] = r.counters;
  j["round_msgs_per_s"] = r.round_rates;
  return j;
}

json latency_json(const latency_result& r) {
  json j;
  j["offered_msgs_per_s"] = r.offered_per_s;
  j["achieved_msgs_per_s"] = r.achieved_per_s;
  j["sent"] = r.sent;
  j["delivered"] = r.delivered;
  j["samples"] = r.samples;
  j["p50_us"] = r.p50_us;
  j["p90_us"] = r.p90_us;
  j["p99_us"] = r.p99_us;
  j["p999_us"] = r.p999_us;
  j["max_us"] = r.max_us;
  j["system"] = r.counters;
  return j;
}

struct system_result {
  std::string describe;
  throughput_result t128, t1k;
  latency_result lat;
};

constexpr double warmup_fraction = 0.05;
// The light load at which Coop's latency floor is measured (msgs/s).
constexpr double light_rate = 1000;

// Runs `rounds` throughput phases (phase numbers `phase`, `phase` + 2, ...)
// and returns the one with the median rate, every round's rate recorded in
// it: a short phase on a shared machine swings with the other load.
throughput_result median_throughput(transport& t, const options& o, std::uint8_t phase,
                                    std::size_t size, std::uint64_t count) {
  std::vector<throughput_result> runs;
  for (int round = 0; round < o.rounds; ++round) {
    progress(t.name() + ": throughput, " + std::to_string(count) + " x " + std::to_string(size) +
             " B, round " + std::to_string(round + 1) + " of " + std::to_string(o.rounds) + " ...");
    runs.push_back(measure_throughput(t, static_cast<std::uint8_t>(phase + 2 * round), size,
                                      count, o.time_cap, o.quiet));
    const auto& r = runs.back();
    progress(t.name() + ":   " + std::to_string(static_cast<long long>(r.msgs_per_s)) +
             " msgs/s, delivered " + std::to_string(r.delivered) + " of " +
             std::to_string(r.sent) + " in " + std::to_string(r.seconds) + " s");
  }
  std::vector<double> rates;
  for (const auto& r : runs) rates.push_back(r.msgs_per_s);
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.msgs_per_s < b.msgs_per_s; });
  throughput_result median = runs[runs.size() / 2];
  median.round_rates = std::move(rates);
  return median;
}

system_result run_system(transport& t, const options& o, std::uint8_t first_phase,
                         std::optional<double> latency_rate) {
  system_result r;
  r.describe = t.describe();
  progress(t.name() + ": " + r.describe);
  r.t128 = median_throughput(t, o, first_phase, 128, o.count_128);
  r.t1k = median_throughput(t, o, static_cast<std::uint8_t>(first_phase + 1), 1024, o.count_1k);
  const double rate = latency_rate.value_or(r.t128.msgs_per_s / 2);
  if (rate <= 0) die(t.name() + ": no message arrived in the 128 B phase: nothing to pace at");
  progress(t.name() + ": latency, " + std::to_string(static_cast<long long>(rate)) +
           " msgs/s for " + std::to_string(o.latency_seconds) + " s ...");
  r.lat = measure_latency(t, static_cast<std::uint8_t>(first_phase + 20), rate, o.latency_seconds,
                          o.quiet, warmup_fraction);
  progress(t.name() + ":   p50 " + std::to_string(r.lat.p50_us) + " us, p99 " +
           std::to_string(r.lat.p99_us) + " us, p999 " + std::to_string(r.lat.p999_us) + " us");
  return r;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

void print_table(const json& out) {
  const auto& m = out["machine"];
  std::printf("coop-bench-coopcomm (%s, %s build, %s, %u cores)\n\n",
              m["mode"].get<std::string>().c_str(), m["build_type"].get<std::string>().c_str(),
              m["cpu"].get<std::string>().c_str(), m["nproc"].get<unsigned>());
  std::printf("%-10s %14s %14s %12s %10s %10s %10s\n", "system", "128 B msgs/s", "1 KiB msgs/s",
              "lost 128/1k", "p50 us", "p99 us", "p999 us");
  for (const auto& [name, s] : out["systems"].items()) {
    const auto& a = s["throughput_128"];
    const auto& b = s["throughput_1k"];
    const auto& l = s["latency"];
    const std::string lost = std::to_string(a["lost"].get<std::uint64_t>()) + "/" +
                             std::to_string(b["lost"].get<std::uint64_t>());
    std::printf("%-10s %14.0f %14.0f %12s %10.1f %10.1f %10.1f\n", name.c_str(),
                a["msgs_per_s"].get<double>(), b["msgs_per_s"].get<double>(), lost.c_str(),
                l["p50_us"].get<double>(), l["p99_us"].get<double>(), l["p999_us"].get<double>());
  }
  std::printf("\nlatency paced at %.0f msgs/s (50%% of Coop's 128 B rate); Coop at %.0f msgs/s: "
              "p50 %.1f us, p99 %.1f us, p999 %.1f us\n",
              out["latency_us"]["rate_msgs_per_s"].get<double>(), light_rate,
              out["latency_us"]["p50_at_1k_msgs_per_s"].get<double>(),
              out["latency_us"]["p99_at_1k_msgs_per_s"].get<double>(),
              out["latency_us"]["p999_at_1k_msgs_per_s"].get<double>());
  for (const auto& [name, v] : out["ratios"].items())
    std::printf("%-34s %8.2f\n", name.c_str(), v.get<double>());
  for (const auto& [name, t] : out["targets"].items())
    std::printf("target %-27s %8s (%s)\n", name.c_str(), t["met"].get<bool>() ? "met" : "MISSED",
                t["what"].get<std::string>().c_str());
  for (const auto& [name, d] : out["transports"].items())
    std::printf("%s: %s\n", name.c_str(), d.get<std::string>().c_str());
  std::printf("%.1f s\n", out["seconds"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const auto started = mono_ns();
  // Fine-grained sleeps for the paced latency phases (default slack: 50 us).
  ::prctl(PR_SET_TIMERSLACK, 1UL);
  // A peer closing first must not kill the benchmark (libnats writes with
  // plain write(2)).
  std::signal(SIGPIPE, SIG_IGN);
  json out;
  out["machine"] = machine_info(o.mode);
  scratch_dir dir;
  std::optional<system_result> coop, nats, zmq;
  std::optional<double> rate;
  if (o.latency_rate > 0) rate = o.latency_rate;
  latency_result coop_light;

  if (o.only.empty() || o.only == "coop") {
    auto t = make_coop(dir.path(), o.coop_limits);
    if (!t) die("cannot set up the Coop sites (see above)");
    coop = run_system(*t, o, 1, rate);  // phases 1-18, latency 21
    if (!rate) rate = coop->t128.msgs_per_s / 2;
    // The floor: latency when the sites are far from busy (about one
    // message per signed envelope).
    progress("coop: latency, " + std::to_string(static_cast<int>(light_rate)) + " msgs/s for " +
             std::to_string(std::min(2.0, o.latency_seconds)) + " s ...");
    coop_light = measure_latency(*t, 22, light_rate, std::min(2.0, o.latency_seconds), o.quiet,
                                 warmup_fraction);
    progress("coop:   p50 " + std::to_string(coop_light.p50_us) + " us, p99 " +
             std::to_string(coop_light.p99_us) + " us");
  }
  if (o.only.empty() || o.only == "nats") {
    const std::string program = find_nats_server(o.nats_server);
    auto t = make_nats_tls(dir.path(), program);
    if (!t) die("cannot set up NATS with TLS (see above)");
    nats = run_system(*t, o, 41, rate);
  }
  if (o.only.empty() || o.only == "zmq") {
    auto t = make_zmq_plain();
    if (!t) die("cannot set up ZeroMQ (see above)");
    zmq = run_system(*t, o, 81, rate);
  }

  const system_result none;
  const auto& c = coop ? *coop : none;
  const auto& n = nats ? *nats : none;
  const auto& z = zmq ? *zmq : none;
  json rates;
  rates["msgs_per_s_128"] = c.t128.msgs_per_s;
  rates["msgs_per_s_1k"] = c.t1k.msgs_per_s;
  rates["mbytes_per_s_1k"] = c.t1k.msgs_per_s * 1024 / 1e6;
  rates["nats_tls_msgs_per_s_128"] = n.t128.msgs_per_s;
  rates["nats_tls_msgs_per_s_1k"] = n.t1k.msgs_per_s;
  rates["zmq_msgs_per_s_128"] = z.t128.msgs_per_s;
  rates["zmq_msgs_per_s_1k"] = z.t1k.msgs_per_s;
  out["rates"] = rates;
  json lat;
  lat["p50"] = c.lat.p50_us;
  lat["p90"] = c.lat.p90_us;
  lat["p99"] = c.lat.p99_us;
  lat["p999"] = c.lat.p999_us;
  lat["max"] = c.lat.max_us;
  lat["rate_msgs_per_s"] = rate.value_or(0);
  lat["p50_at_1k_msgs_per_s"] = coop_light.p50_us;
  lat["p99_at_1k_msgs_per_s"] = coop_light.p99_us;
  lat["p999_at_1k_msgs_per_s"] = coop_light.p999_us;
  lat["nats_tls_p50"] = n.lat.p50_us;
  lat["nats_tls_p99"] = n.lat.p99_us;
  lat["nats_tls_p999"] = n.lat.p999_us;
  lat["zmq_p50"] = z.lat.p50_us;
  lat["zmq_p99"] = z.lat.p99_us;
  lat["zmq_p999"] = z.lat.p999_us;
  out["latency_us"] = lat;
  json ratios;
  ratios["throughput_vs_nats_tls_128"] = ratio(c.t128.msgs_per_s, n.t128.msgs_per_s);
  ratios["throughput_vs_nats_tls_1k"] = ratio(c.t1k.msgs_per_s, n.t1k.msgs_per_s);
  ratios["throughput_vs_zmq_128"] = ratio(c.t128.msgs_per_s, z.t128.msgs_per_s);
  ratios["throughput_vs_zmq_1k"] = ratio(c.t1k.msgs_per_s, z.t1k.msgs_per_s);
  ratios["latency_p99_vs_nats_tls"] = ratio(c.lat.p99_us, n.lat.p99_us);
  out["ratios"] = ratios;
  json targets;
  targets["throughput_vs_nats_tls_128"] = {
      {"what", ">= 1.0 (Coop / NATS with TLS, 128 B)"},
      {"value", ratios["throughput_vs_nats_tls_128"]},
      {"met", ratios["throughput_vs_nats_tls_128"].get<double>() >= 1.0}};
  targets["latency_p99_at_half_load"] = {
      {"what", "p99 <= 1000 us at 50% of the peak 128 B rate"},
      {"value", c.lat.p99_us},
      {"met", coop.has_value() && o.latency_rate == 0 && c.lat.samples > 0 &&
                  c.lat.p99_us <= 1000}};
  out["targets"] = targets;
  json systems, transports;
  for (const auto& [name, s] : {std::pair{"coop", &coop}, std::pair{"nats_tls", &nats},
                                std::pair{"zmq_plain", &zmq}}) {
    if (!*s) continue;
    transports[name] = (*s)->describe;
    systems[name] = {{"throughput_128", phase_json((*s)->t128)},
                     {"throughput_1k", phase_json((*s)->t1k)},
                     {"latency", latency_json((*s)->lat)}};
  }
  if (coop) systems["coop"]["latency_light"] = latency_json(coop_light);
  out["systems"] = systems;
  out["transports"] = transports;
  out["latency_warmup_fraction"] = warmup_fraction;
  out["seconds"] = static_cast<double>(mono_ns() - started) / 1e9;
  if (o.json)
    std::cout << out.dump(2) << "\n";
  else
    print_table(out);
  return 0;
}
