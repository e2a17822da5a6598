// coop-bench-eventmodel: how fast libevent-model encodes, decodes and
// filters a realistic stream of connection_end events, against nlohmann-json
// doing the same work in the same run. Single thread; every figure is the
// best of a few repetitions; every result feeds a checksum that is printed,
// so the optimiser cannot drop the work. docs/performance.md explains the
// figures and records the latest ones.
//
//   coop-bench-eventmodel [--quick] [--json] [--events N] [--iterations N]
//                         [--min-time SECONDS] [--seed N] [--wall] [--only NAME]
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "coop/model/codec.h"
#include "coop/model/filter.h"
#include "coop/model/json.h"
#include "nlohmann_codec.h"
#include "workload.h"

#ifndef COOP_BENCH_BUILD_TYPE
#define COOP_BENCH_BUILD_TYPE "unknown"
#endif

namespace {

namespace m = coop::model;
using coop::bench::workload;

struct options {
  bool quick = false;
  bool json = false;
  std::size_t events = 0;  // 0: the mode's default
  int iterations = 0;      // timed repetitions per figure; 0: the mode's default
  double min_time = -1;    // seconds one repetition lasts at least; < 0: the mode's default
  std::uint64_t seed = 20240501;
  std::string only;  // time only the figure of this name (for a profiler)
  // The timer of the figures: this thread's CPU time by default, so that a
  // busy shared machine (other processes competing for the cores) does not
  // deflate the per-core rates; the wall clock with --wall.
  bool wall = false;
};

constexpr const char* usage =
    "usage: coop-bench-eventmodel [--quick] [--json] [--events N] [--iterations N]\n"
    "                             [--min-time SECONDS] [--seed N] [--wall] [--only NAME]\n"
    "  --quick         fewer events and shorter repetitions (well under 60 s)\n"
    "  --json          print one JSON object on stdout instead of a table\n"
    "  --events N      number of generated connection_end events\n"
    "  --iterations N  timed repetitions per figure (the best one counts)\n"
    "  --min-time S    each repetition repeats passes over the events for at least S seconds\n"
    "  --seed N        seed of the workload generator\n"
    "  --wall          time with the wall clock instead of the thread's CPU time\n"
    "  --only NAME     time only the figure called NAME in the progress output, e.g.\n"
    "                  --only 'binary encode' (for a profiler); the others are reported as 0\n";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "coop-bench-eventmodel: %s\n", what.c_str());
  std::exit(1);
}

options parse_options(int argc, char** argv) {
  options o;
  auto number = [&](int& i, std::string_view name) -> double {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%.*s needs a value\n%s", static_cast<int>(name.size()), name.data(),
                   usage);
      std::exit(2);
    }
    char* end = nullptr;
    const double v = std::strtod(argv[++i], &end);
    if (end == argv[i] || *end != '\0' || !(v >= 0)) {
      std::fprintf(stderr, "%.*s: not a number: %s\n%s", static_cast<int>(name.size()), name.data(),
                   argv[i], usage);
      std::exit(2);
    }
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--quick")
      o.quick = true;
    else if (a == "--json")
      o.json = true;
    else if (a == "--wall")
      o.wall = true;
    else if (a == "--only" && i + 1 < argc)
      o.only = argv[++i];
    else if (a == "--events")
      o.events = static_cast<std::size_t>(number(i, a));
    else if (a == "--iterations")
      o.iterations = static_cast<int>(number(i, a));
    else if (a == "--min-time")
      o.min_time = number(i, a);
    else if (a == "--seed")
      o.seed = static_cast<std::uint64_t>(number(i, a));
    else if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n%s", argv[i], usage);
      std::exit(2);
    }
  }
  if (o.events == 0) o.events = o.quick ? 20'000 : 100'000;
  if (o.iterations <= 0) o.iterations = o.quick ? 3 : 5;
  if (o.min_time < 0) o.min_time = o.quick ? 0.15 : 0.5;
  return o;
}

// Events the in-cache filter figures cycle over (about 1.7 MB of events).
constexpr std::size_t hot_events = 1024;

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double timer_now(const options& o) {
  if (o.wall) {
    return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count();
  }
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `pass` (one pass over `items` items) repeatedly and returns the best
// rate in items per second: a warm-up pass sizes each repetition to last at
// least `min_time`, then `iterations` repetitions are timed.
double measure(const options& o, std::string_view name, std::size_t items,
               const std::function<void()>& pass) {
  if (!o.only.empty() && name != o.only) return 0;
  double t0 = timer_now(o);
  pass();
  const double once = std::max(timer_now(o) - t0, 1e-9);
  const auto passes = static_cast<std::size_t>(std::max(1.0, std::ceil(o.min_time / once)));
  double best = 0;
  for (int rep = 0; rep < o.iterations; ++rep) {
    t0 = timer_now(o);
    for (std::size_t p = 0; p < passes; ++p) pass();
    const double rate = static_cast<double>(items * passes) / std::max(timer_now(o) - t0, 1e-9);
    best = std::max(best, rate);
  }
  std::fprintf(stderr, "  %-26.*s %12.0f /s  (%7.1f ns each)\n", static_cast<int>(name.size()),
               name.data(), best, 1e9 / best);
  return best;
}

template <class T>
T expect(m::result<T> r, std::string_view what) {
  if (!r) die(std::string(what) + ": " + r.err().to_string());
  return std::move(r).value();
}

// Everything timed and what it is compared with.
struct figures {
  nlohmann::ordered_json rates = nlohmann::ordered_json::object();
  nlohmann::ordered_json ratios = nlohmann::ordered_json::object();
  nlohmann::ordered_json sizes = nlohmann::ordered_json::object();
  std::uint64_t checksum = 0;
};

// Before timing: every codec must give back exactly the events it was
// given, so that the rates compare equal work.
void check_round_trips(const workload& w, const std::vector<std::string>& binary,
                       const std::vector<std::string>& text, const std::vector<std::string>& nl) {
  m::event reused, nl_reused;  // the timed loops decode into one reused event
  for (std::size_t i = 0; i < w.events.size(); ++i) {
    const auto& e = w.events[i];
    const auto tag = "event " + std::to_string(i);
    if (auto ok = m::decode_into(m::byte_view(binary[i]), w.types, reused); !ok || reused != e)
      die(tag + ": binary decode_into changed the event");
    coop::bench::nlohmann_decode_into(nl[i], w.types, nl_reused);
    if (nl_reused != e) die(tag + ": nlohmann decode into a reused event changed it");
    if (expect(m::decode(m::byte_view(binary[i]), w.types), tag + ": decode") != e)
      die(tag + ": binary round trip changed the event");
    if (expect(m::from_json(text[i], w.types), tag + ": from_json") != e)
      die(tag + ": JSON round trip changed the event");
    if (coop::bench::nlohmann_decode(nl[i], w.types) != e)
      die(tag + ": nlohmann round trip changed the event");
  }
}

void run_codecs(const options& o, const workload& w, figures& f) {
  const auto n = w.events.size();
  m::encoder enc;
  std::vector<std::string> binary, text, nl;
  binary.reserve(n), text.reserve(n), nl.reserve(n);
  std::size_t binary_bytes = 0, text_bytes = 0, nl_bytes = 0;
  for (const auto& e : w.events) {
    if (auto ok = e.validate(); !ok) die("generated an invalid event: " + ok.err().to_string());
    auto bytes = expect(enc.encode(e), "encode");
    binary.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    text.push_back(expect(m::to_json(e), "to_json"));
    nl.push_back(coop::bench::nlohmann_encode(e));
    binary_bytes += binary.back().size(), text_bytes += text.back().size(),
        nl_bytes += nl.back().size();
  }
  f.sizes["binary_bytes_per_event"] = std::round(10.0 * binary_bytes / n) / 10;
  f.sizes["json_bytes_per_event"] = std::round(10.0 * text_bytes / n) / 10;
  f.sizes["nlohmann_bytes_per_event"] = std::round(10.0 * nl_bytes / n) / 10;
  std::fprintf(stderr, "checking round trips of %zu events...\n", n);
  check_round_trips(w, binary, text, nl);

  std::uint64_t& sum = f.checksum;
  const auto& at = w.at;
  std::fprintf(stderr, "timing (best of %d, >= %.2f s each):\n", o.iterations, o.min_time);
  f.rates["encode_per_s"] = measure(o, "binary encode", n, [&] {
    for (const auto& e : w.events) {
      auto bytes = enc.encode(e);
      if (!bytes) die("encode failed: " + bytes.err().to_string());
      sum += bytes->size() + static_cast<std::uint8_t>(bytes->back());
    }
  });
  // Both codecs decode into one reused event, as a consumer (collector,
  // time machine) does: see docs/performance.md.
  m::event into;
  f.rates["decode_per_s"] = measure(o, "binary decode (validated)", n, [&] {
    for (const auto& b : binary) {
      if (auto ok = m::decode_into(m::byte_view(b), w.types, into); !ok) {
        die("decode failed: " + ok.err().to_string());
      }
      sum += into.size() + static_cast<std::uint64_t>(into.ts.ns);
    }
  });
  f.rates["view_decode_per_s"] = measure(o, "event_view open + 4 fields", n, [&] {
    for (const auto& b : binary) {
      auto v = m::event_view::open(m::byte_view(b));
      if (!v) die("event_view::open failed: " + v.err().to_string());
      auto h = v->address_at(at.orig_h);
      auto p = v->port_at(at.resp_p);
      auto st = v->string_at(at.conn_state);
      auto ob = v->count_at(at.orig_bytes);  // unset for some events: an error, counted
      sum += (h ? h->bytes()[15] : 0u) + (p ? p->number : 0u) + (st ? st->size() : 0u) +
             (ob ? *ob : 1u);
    }
  });
  const double roundtrip = measure(o, "binary encode+decode", n, [&] {
    for (const auto& e : w.events) {
      auto bytes = enc.encode(e);
      if (!bytes) die("encode failed: " + bytes.err().to_string());
      if (auto ok = m::decode_into(*bytes, w.types, into); !ok) {
        die("decode failed: " + ok.err().to_string());
      }
      sum += into.size();
    }
  });
  f.rates["roundtrip_per_s"] = roundtrip;

  std::string out;
  f.rates["json_encode_per_s"] = measure(o, "Coop JSON encode", n, [&] {
    for (const auto& e : w.events) {
      out.clear();
      if (auto ok = m::to_json(e, out); !ok) die("to_json failed: " + ok.err().to_string());
      sum += out.size();
    }
  });
  f.rates["json_decode_per_s"] = measure(o, "Coop JSON decode", n, [&] {
    for (const auto& t : text) {
      auto e = m::from_json(t, w.types);
      if (!e) die("from_json failed: " + e.err().to_string());
      sum += e->size();
    }
  });
  const double json_roundtrip = measure(o, "Coop JSON encode+decode", n, [&] {
    for (const auto& e : w.events) {
      out.clear();
      if (auto ok = m::to_json(e, out); !ok) die("to_json failed: " + ok.err().to_string());
      auto back = m::from_json(out, w.types);
      if (!back) die("from_json failed: " + back.err().to_string());
      sum += back->size();
    }
  });
  f.rates["json_roundtrip_per_s"] = json_roundtrip;

  f.rates["nlohmann_encode_per_s"] = measure(o, "nlohmann encode", n, [&] {
    for (const auto& e : w.events) sum += coop::bench::nlohmann_encode(e).size();
  });
  f.rates["nlohmann_decode_per_s"] = measure(o, "nlohmann decode", n, [&] {
    for (const auto& t : nl) {
      coop::bench::nlohmann_decode_into(t, w.types, into);
      sum += into.size();
    }
  });
  const double nl_roundtrip = measure(o, "nlohmann encode+decode", n, [&] {
    for (const auto& e : w.events) {
      coop::bench::nlohmann_decode_into(coop::bench::nlohmann_encode(e), w.types, into);
      sum += into.size();
    }
  });
  f.rates["nlohmann_roundtrip_per_s"] = nl_roundtrip;

  auto ratio = [](double a, double b) { return b > 0 ? std::round(100.0 * a / b) / 100 : 0.0; };
  f.ratios["codec_vs_json"] = ratio(roundtrip, nl_roundtrip);
  f.ratios["json_vs_nlohmann"] = ratio(json_roundtrip, nl_roundtrip);
  f.ratios["encode_vs_nlohmann"] =
      ratio(f.rates["encode_per_s"].get<double>(), f.rates["nlohmann_encode_per_s"].get<double>());
  f.ratios["decode_vs_nlohmann"] =
      ratio(f.rates["decode_per_s"].get<double>(), f.rates["nlohmann_decode_per_s"].get<double>());
  f.ratios["view_vs_decode"] =
      ratio(f.rates["view_decode_per_s"].get<double>(), f.rates["decode_per_s"].get<double>());
}

void run_filters(const options& o, const workload& w, figures& f) {
  const auto n = w.events.size();
  const m::timestamp now = w.events.empty() ? m::timestamp{} : w.events.back().ts;
  auto compile = [&](std::string_view text) {
    return expect(m::filter::compile(text, w.types), "filter::compile(" + std::string(text) + ")");
  };
  const auto by_port = compile("resp_p == 22/tcp");
  const auto by_subnet = compile("orig_h in 10.0.0.0/8");
  const auto compound = compile(
      "resp_p in {22/tcp, 23/tcp, 445/tcp, 2222/tcp, 3389/tcp} || "
      "(orig_h !in 10.0.0.0/8 && conn_state in {\"S0\", \"REJ\", \"RSTOS0\"} && "
      "history ~ /^S[hR]?r?$/)");

  // The filters must agree with the same predicates written by hand.
  const m::port ssh{22, m::transport::tcp};
  const auto ten = expect(m::subnet::parse("10.0.0.0/8"), "subnet");
  std::size_t want_port = 0, want_subnet = 0, got_port = 0, got_subnet = 0, got_compound = 0;
  for (const auto& e : w.events) {
    want_port += e.field(w.at.resp_p).get<m::port>() == ssh;
    want_subnet += ten.contains(e.field(w.at.orig_h).get<m::address>());
    got_port += by_port.matches(e, now);
    got_subnet += by_subnet.matches(e, now);
    got_compound += compound.matches(e, now);
  }
  if (want_port != got_port || want_subnet != got_subnet)
    die("filters disagree with the hand-written predicates: port " + std::to_string(got_port) +
        " vs " + std::to_string(want_port) + ", subnet " + std::to_string(got_subnet) + " vs " +
        std::to_string(want_subnet));
  std::fprintf(stderr, "filters match: port %zu, subnet %zu, compound %zu of %zu events\n",
               got_port, got_subnet, got_compound, n);

  // A filter runs on an event just built or decoded, so the event is in the
  // cache: the headline figures cycle over a window of events that fits in
  // L2. Sweeping all the events (each a tree of heap blocks, ~1.6 KB) measures
  // the memory system instead; it is reported too, as *_streaming_*.
  const std::span<const m::event> hot(w.events.data(), std::min<std::size_t>(n, hot_events));
  std::uint64_t& sum = f.checksum;
  auto eval = [&](const m::filter& flt, std::span<const m::event> events) {
    return [&sum, &flt, events, now] {
      std::uint64_t hits = 0;
      for (const auto& e : events) hits += flt.matches(e, now);
      sum += hits;
    };
  };
  const double port = measure(o, "filter resp_p == 22/tcp", hot.size(), eval(by_port, hot));
  const double subnet = measure(o, "filter orig_h in 10/8", hot.size(), eval(by_subnet, hot));
  const double both = measure(o, "filter compound (set+regex)", hot.size(), eval(compound, hot));
  const double port_all = measure(o, "filter resp_p, all events", n, eval(by_port, w.events));
  const double subnet_all = measure(o, "filter orig_h, all events", n, eval(by_subnet, w.events));
  // Simple predicates: evaluations per second over both of them together
  // (the harmonic mean of the two rates).
  auto combined = [](double a, double b) {
    return a > 0 && b > 0 ? 2.0 / (1.0 / a + 1.0 / b) : 0.0;
  };
  f.rates["filter_evals_per_s"] = combined(port, subnet);
  f.rates["filter_port_eq_per_s"] = port;
  f.rates["filter_subnet_in_per_s"] = subnet;
  f.rates["filter_compound_per_s"] = both;
  f.rates["filter_evals_streaming_per_s"] = combined(port_all, subnet_all);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

nlohmann::ordered_json machine(const options& o) {
  nlohmann::ordered_json j;
  j["nproc"] = std::thread::hardware_concurrency();
  j["cpu"] = cpu_model();
  utsname u{};
  if (uname(&u) == 0) j["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  j["compiler"] = __VERSION__;
  j["build_type"] = COOP_BENCH_BUILD_TYPE;
#ifdef NDEBUG
  j["asserts"] = false;
#else
  j["asserts"] = true;
#endif
  char date[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  j["date"] = date;
  j["mode"] = o.quick ? "quick" : "default";
  j["threads"] = 1;
  j["timer"] = o.wall ? "wall clock" : "thread CPU time";
  return j;
}

struct target {
  const char* figure;
  const char* group;
  double at_least;
};
constexpr target targets[] = {
    {"encode_per_s", "rates", 2e6},
    {"codec_vs_json", "ratios", 20},
    {"filter_evals_per_s", "rates", 1e7},
};

void print_table(const figures& f, const nlohmann::ordered_json& out) {
  const auto& mc = out["machine"];
  std::printf("coop-bench-eventmodel: %zu connection_end events, 1 thread, %s (%s build)\n",
              out["events"].get<std::size_t>(), mc["cpu"].get<std::string>().c_str(),
              mc["build_type"].get<std::string>().c_str());
  std::printf("%s, timer: %s\n", mc["date"].get<std::string>().c_str(),
              mc["timer"].get<std::string>().c_str());
  std::printf("\n  %-30s %10s %12s\n", "rate (best repetition)", "M/s", "ns each");
  for (const auto& [k, v] : f.rates.items()) {
    const double r = v.get<double>();
    std::printf("  %-30s %10.3f %12.1f\n", k.c_str(), r / 1e6, r > 0 ? 1e9 / r : 0.0);
  }
  std::printf("\n  %-30s %10s\n", "ratio (higher: Coop faster)", "x");
  for (const auto& [k, v] : f.ratios.items())
    std::printf("  %-30s %10.2f\n", k.c_str(), v.get<double>());
  std::printf("\n  %-30s %10s\n", "size", "bytes");
  for (const auto& [k, v] : f.sizes.items())
    std::printf("  %-30s %10.1f\n", k.c_str(), v.get<double>());
  std::printf("\n  %-30s %10s %12s\n", "target", "measured", "at least");
  for (const auto& t : targets) {
    const double v = out[t.group][t.figure].get<double>();
    std::printf("  %-30s %10.4g %12.4g  %s\n", t.figure, v, t.at_least,
                v >= t.at_least ? "met" : "MISSED");
  }
  std::printf("\nchecksum %llu\n", static_cast<unsigned long long>(f.checksum));
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
#ifndef NDEBUG
  std::fprintf(stderr,
               "warning: built with assertions (not Release): figures are not representative\n");
#endif
  try {
    const auto start = clock_type::now();
    std::fprintf(stderr, "generating %zu connection_end events (seed %llu)...\n", o.events,
                 static_cast<unsigned long long>(o.seed));
    const workload w = coop::bench::make_workload(o.events, o.seed);
    figures f;
    run_codecs(o, w, f);
    run_filters(o, w, f);

    nlohmann::ordered_json out;
    out["ratios"] = f.ratios;
    out["rates"] = f.rates;
    for (auto& [k, v] : out["rates"].items()) v = std::llround(v.get<double>());
    out["events"] = w.events.size();
    out["machine"] = machine(o);
    out["sizes"] = f.sizes;
    nlohmann::ordered_json t = nlohmann::ordered_json::object();
    for (const auto& tg : targets) {
      t[tg.figure] = {{"at_least", tg.at_least},
                      {"met", out[tg.group][tg.figure].get<double>() >= tg.at_least}};
    }
    out["targets"] = t;
    out["checksum"] = f.checksum;
    out["seconds"] = std::round(10 * seconds_since(start)) / 10;
    if (o.json)
      std::cout << out.dump() << '\n';
    else
      print_table(f, out);
    std::fprintf(stderr, "done in %.1f s\n", seconds_since(start));
  } catch (const std::exception& e) {
    die(std::string("unexpected exception: ") + e.what());
  }
  return 0;
}
