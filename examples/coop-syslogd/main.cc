// coop-syslogd: receives syslog over UDP and TCP (RFC 3164 and 5424, RFC
// 6587 octet counting or newline framing) and follows auth logs, writing
// catalogue events (syslog_message, ssh_login) as JSON lines or a binary
// event stream until SIGINT/SIGTERM or --count events.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coop/importer/sinks.h"
#include "coop/importer/syslog.h"
#include "coop/model/schema.h"
#include "network.h"

namespace {

namespace imp = coop::importer;
namespace model = coop::model;

constexpr int exit_usage = 2;   // bad command line
constexpr int exit_listen = 3;  // a socket could not be bound or a file not followed
constexpr int exit_output = 4;  // the output could not be written

constexpr const char* help_text = R"(usage: coop-syslogd [options]

Receives syslog messages and follows sshd logs, writing Coop catalogue events:
syslog_message for every message, ssh_login for sshd's login messages.

  --udp HOST:PORT       receive UDP datagrams (repeatable; port 0 picks one)
  --tcp HOST:PORT       receive TCP, octet-counted or newline-framed (repeatable)
  --follow FILE         follow FILE like tail -F (repeatable)
  --format F            how followed files are written: sshd (auth.log or
                        journal lines, the default) or sshd-stderr (the bare
                        lines of `sshd -E FILE`, stamped with the read time)
  --from-end            followed files: skip what they hold at start
  -o FILE               write to FILE (default: standard output)
  --output jsonl|binary event encoding (default jsonl); --jsonl = --output jsonl
  --count N             stop after N events
  --site S, --sensor S  origin stamped on every event
  --max-message BYTES   longest message accepted (default 65536)
  --max-connections N   open TCP connections (default 256)
  --idle-timeout SEC    close silent TCP connections (default 300)
  --receive-time        stamp events with the receive time, not the header's

The bound addresses are printed on stderr ("listening on udp 127.0.0.1:5514"),
then progress every 5 s, and a summary on exit (SIGINT, SIGTERM, --count).
Exit status: 0 ok; 1 some messages were malformed; 2 usage error; 3 a socket
could not be bound; 4 the output could not be written.
)";

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

int usage(const std::string& msg) {
  std::fprintf(stderr, "coop-syslogd: %s\n(see coop-syslogd --help)\n", msg.c_str());
  return exit_usage;
}

// Forwards to the real sink, counting events and problems, and numbering
// problems of followed files by their line in the file.
class tool_sink final : public imp::sink {
 public:
  explicit tool_sink(imp::sink& inner) : inner_(inner) {}
  model::result<void> on_event(const model::event& e) override {
    ++events;
    ++by_type[e.type().name()];
    return inner_.on_event(e);
  }
  void on_problem(const imp::problem& p) override {
    ++problems;
    if (problems > 100) return;  // a flood of garbage must not flood stderr
    imp::problem q = p;
    if (line_override != 0) q.line = line_override;
    std::fprintf(stderr, "coop-syslogd: %s%s\n", q.to_string().c_str(),
                 problems == 100 ? " (further problems are only counted)" : "");
  }
  std::uint64_t events = 0, problems = 0, line_override = 0;
  std::map<std::string, std::uint64_t> by_type;

 private:
  imp::sink& inner_;
};

struct followed {
  std::string path;
  imp::log_follower follower;
  std::uint64_t lines = 0;
  std::string last_error;  // printed once, not at every poll
};

struct config {
  std::vector<std::string> udp, tcp, follow;
  bool bare_sshd = false, from_end = false, binary = false, receive_time = false;
  std::string output;
  std::uint64_t count = 0;
  imp::options opt;
  coop_syslogd::limits lim;
};

bool parse_u64(const std::string& s, std::uint64_t& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) return false;
  out = std::stoull(s);
  return true;
}

int parse_args(int argc, char** argv, config& c) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    std::uint64_t n = 0;
    if (a == "-h" || a == "--help") {
      std::fputs(help_text, stdout);
      std::exit(0);
    } else if (a == "--udp" || a == "--tcp" || a == "--follow") {
      if (!value(v)) return usage(a + " needs a value");
      (a == "--udp" ? c.udp : a == "--tcp" ? c.tcp : c.follow).push_back(v);
    } else if (a == "--format") {
      if (!value(v)) return usage("--format needs a value");
      if (v != "sshd" && v != "sshd-stderr") return usage("--format is sshd or sshd-stderr, not '" + v + "'");
      c.bare_sshd = v == "sshd-stderr";
    } else if (a == "--from-end") {
      c.from_end = true;
    } else if (a == "--receive-time") {
      c.receive_time = true;
    } else if (a == "-o") {
      if (!value(c.output)) return usage("-o needs a file name");
    } else if (a == "--jsonl") {
      c.binary = false;
    } else if (a == "--output") {
      if (!value(v) || (v != "jsonl" && v != "binary")) return usage("--output is jsonl or binary");
      c.binary = v == "binary";
    } else if (a == "--site") {
      if (!value(c.opt.from.site)) return usage("--site needs a value");
    } else if (a == "--sensor") {
      if (!value(c.opt.from.sensor)) return usage("--sensor needs a value");
    } else if (a == "--count" || a == "--max-message" || a == "--max-connections" ||
               a == "--idle-timeout") {
      if (!value(v) || !parse_u64(v, n) || n == 0) return usage(a + " needs a positive number");
      if (a == "--count") c.count = n;
      if (a == "--max-message") c.lim.max_message = n;
      if (a == "--max-connections") c.lim.max_connections = n;
      if (a == "--idle-timeout") c.lim.idle = std::chrono::seconds(n);
    } else {
      return usage("unknown argument '" + a + "'");
    }
  }
  if (c.udp.empty() && c.tcp.empty() && c.follow.empty()) {
    return usage("nothing to do: give --udp, --tcp or --follow");
  }
  return 0;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

void print_summary(const tool_sink& ts, const imp::receiver_stats& rs,
                   const coop_syslogd::net_stats& ns, const std::vector<followed>& fs) {
  std::fprintf(stderr,
               "coop-syslogd: summary: %llu messages (%llu RFC 5424, %llu RFC 3164), %llu "
               "malformed, %llu oversized, %llu truncated, %llu framing errors; %llu datagrams, "
               "%llu connections (%llu refused, %llu closed idle)\n",
               static_cast<unsigned long long>(rs.messages), static_cast<unsigned long long>(rs.rfc5424),
               static_cast<unsigned long long>(rs.rfc3164), static_cast<unsigned long long>(rs.malformed),
               static_cast<unsigned long long>(ns.oversized), static_cast<unsigned long long>(ns.truncated),
               static_cast<unsigned long long>(ns.framing_errors),
               static_cast<unsigned long long>(ns.datagrams), static_cast<unsigned long long>(ns.connections),
               static_cast<unsigned long long>(ns.refused), static_cast<unsigned long long>(ns.idle_closed));
  for (const auto& f : fs) {
    std::fprintf(stderr, "coop-syslogd: summary: followed %s: %llu lines, %llu rotations, %llu truncations\n",
                 f.path.c_str(), static_cast<unsigned long long>(f.lines),
                 static_cast<unsigned long long>(f.follower.rotations()),
                 static_cast<unsigned long long>(f.follower.truncations()));
  }
  std::string types;
  for (const auto& [t, n] : ts.by_type) types += " " + t + " " + std::to_string(n);
  std::fprintf(stderr, "coop-syslogd: summary: %llu events:%s; %llu problems\n",
               static_cast<unsigned long long>(ts.events), types.c_str(),
               static_cast<unsigned long long>(ts.problems));
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  if (int rc = parse_args(argc, argv, cfg); rc != 0) return rc;

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!cfg.output.empty()) {
    file.open(cfg.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "coop-syslogd: cannot write %s\n", cfg.output.c_str());
      return exit_output;
    }
    out = &file;
  }
  std::unique_ptr<imp::sink> inner;
  if (cfg.binary) {
    inner = std::make_unique<imp::binary_sink>(*out);
  } else {
    inner = std::make_unique<imp::json_lines_sink>(*out);
  }
  tool_sink sink(*inner);
  model::registry reg;
  imp::receiver_options ropt;
  ropt.import = cfg.opt;
  ropt.receive_time = cfg.receive_time;
  auto receiver = imp::syslog_receiver::create(reg, sink, ropt);
  if (!receiver) {
    std::fprintf(stderr, "coop-syslogd: %s\n", receiver.err().message.c_str());
    return exit_usage;
  }
  auto follow_importer = imp::importer::create(reg, sink, cfg.opt);
  if (!follow_importer) {
    std::fprintf(stderr, "coop-syslogd: %s\n", follow_importer.err().message.c_str());
    return exit_usage;
  }

  model::result<void> failure;
  coop_syslogd::server srv(cfg.lim, [&](std::string_view text, const imp::syslog_peer& peer,
                                        const std::string& source) {
    return receiver->on_message(text, peer, source);
  });
  for (const auto& [specs, tcp] : {std::pair{&cfg.udp, false}, std::pair{&cfg.tcp, true}}) {
    for (const auto& spec : *specs) {
      auto bound = srv.listen(spec, tcp);
      if (!bound) {
        std::fprintf(stderr, "coop-syslogd: %s\n", bound.err().message.c_str());
        return exit_listen;
      }
      std::fprintf(stderr, "coop-syslogd: listening on %s %s\n", tcp ? "tcp" : "udp", bound->c_str());
    }
  }
  std::vector<followed> follows;
  for (const auto& path : cfg.follow) {
    follows.push_back({path, imp::log_follower(path, !cfg.from_end), 0, {}});
    std::fprintf(stderr, "coop-syslogd: following %s (%s)\n", path.c_str(),
                 cfg.bare_sshd ? "sshd-stderr" : "sshd");
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  const std::string host = host_name();
  std::string line;
  int rc = 0;
  auto last_progress = std::chrono::steady_clock::now();
  std::uint64_t last_events = 0;
  while (stop_requested == 0 && (cfg.count == 0 || sink.events < cfg.count)) {
    auto r = srv.run_once(std::chrono::milliseconds(follows.empty() ? 500 : 200));
    for (auto& f : follows) {
      if (!r) break;
      auto polled = f.follower.poll([&](std::string_view text) -> model::result<void> {
        ++f.lines;
        sink.line_override = f.lines;
        if (cfg.bare_sshd) {
          // "Accepted publickey for ..." -> "<now> host sshd: Accepted ...".
          line = model::system_clock().now().to_rfc3339() + " " + host + " sshd: ";
          line += text;
          text = line;
        }
        auto done = follow_importer->import_buffer(text, f.path, imp::format::sshd);
        sink.line_override = 0;
        return done;
      });
      if (!polled) {
        if (polled.err().code == model::errc::io) {
          if (polled.err().message != f.last_error) {
            std::fprintf(stderr, "coop-syslogd: %s (retrying)\n", polled.err().message.c_str());
            f.last_error = polled.err().message;
          }
          continue;
        }
        r = polled.err();
      }
    }
    if (!r) {
      std::fprintf(stderr, "coop-syslogd: output failed: %s\n", r.err().message.c_str());
      rc = exit_output;
      break;
    }
    out->flush();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress > std::chrono::seconds(5) && sink.events != last_events) {
      std::fprintf(stderr, "coop-syslogd: %llu events, %llu messages, %llu malformed, %zu connections open\n",
                   static_cast<unsigned long long>(sink.events),
                   static_cast<unsigned long long>(receiver->stats().messages),
                   static_cast<unsigned long long>(receiver->stats().malformed), srv.open_connections());
      last_progress = now;
      last_events = sink.events;
    }
  }
  if (auto* b = dynamic_cast<imp::binary_sink*>(inner.get())) {
    if (auto f = b->flush(); !f && rc == 0) rc = exit_output;
  }
  out->flush();
  if (!*out && rc == 0) {
    std::fprintf(stderr, "coop-syslogd: cannot write the output\n");
    rc = exit_output;
  }
  print_summary(sink, receiver->stats(), srv.stats(), follows);
  if (rc == 0 && sink.problems > 0) rc = 1;
  return rc;
}
