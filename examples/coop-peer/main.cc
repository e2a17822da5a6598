// coop-peer: a Coop site from the command line.
//
//   coop-peer check CONFIG
//   coop-peer run CONFIG [--subscribe PREFIX]... [--echo PREFIX]...
//   coop-peer publish CONFIG TOPIC PAYLOAD [--content-type T] [--wait SECONDS]
//   coop-peer subscribe CONFIG PREFIX [--count N] [--timeout SECONDS]
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coop/comm/config.h"
#include "coop/comm/topic.h"
#include "peer.h"

namespace coop_peer {

std::mutex& output_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace coop_peer

namespace {

using namespace coop::comm;
using namespace coop_peer;

const char* usage =
    "usage:\n"
    "  coop-peer check CONFIG\n"
    "      validate a site configuration and print what it sets up\n"
    "  coop-peer run CONFIG [--subscribe PREFIX]... [--echo PREFIX]...\n"
    "      run the site; messages print as JSON lines; commands on standard input\n"
    "      (type 'help'); --echo answers requests under PREFIX with their payload\n"
    "  coop-peer publish CONFIG TOPIC PAYLOAD [--content-type T] [--wait SECONDS]\n"
    "      wait until a peer subscribed to TOPIC is up (default 10 s), publish, flush\n"
    "  coop-peer subscribe CONFIG PREFIX [--count N] [--timeout SECONDS]\n"
    "      print messages under PREFIX until N arrived or the timeout (default: forever)\n"
    "exit status: 0 done, 1 failure (the message says what and where), 2 bad usage\n";

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

int fail(const std::string& what) {
  std::cerr << "coop-peer: " << what << "\n";
  return 1;
}

int bad_usage(const std::string& what) {
  std::cerr << "coop-peer: " << what << "\n" << usage;
  return 2;
}

std::unique_ptr<node> start(const std::string& path, int& status) {
  auto cfg = load_config(path);
  if (!cfg) {
    status = fail(cfg.err().message);
    return nullptr;
  }
  auto n = node::start(std::move(*cfg));
  if (!n) {
    status = fail("cannot start the site: " + n.err().message);
    return nullptr;
  }
  n.value()->on_status([](const peer_status& p) {
    std::lock_guard lock(output_mutex());
    std::cerr << "peer " << p.name << " " << to_string(p.state)
              << (p.reason.empty() ? "" : ": " + p.reason) << "\n";
  });
  n.value()->on_refusal([](const refusal& r) {
    std::lock_guard lock(output_mutex());
    std::cerr << "refused: peer=" << r.peer << " what=" << r.what
              << (r.origin.empty() ? "" : " origin=" + r.origin)
              << (r.topic.empty() ? "" : " topic=" + r.topic) << ": " << r.reason << "\n";
  });
  return std::move(*n);
}

int check(const std::string& path) {
  auto cfg = load_config(path);
  if (!cfg) return fail(cfg.err().message);
  std::cout << "site " << cfg->site << (cfg->relay ? " (relay)" : "") << "\n";
  if (cfg->listen) std::cout << "listens on " << cfg->listen->host << ":" << cfg->listen->port << "\n";
  for (const auto& p : cfg->peers) {
    std::cout << (p.neighbour ? "peer   " : "origin ") << p.name << " pin " << p.spki_pin.substr(0, 16)
              << "...";
    if (p.connect) std::cout << " dialled at " << p.connect->host << ":" << p.connect->port;
    std::cout << "\n";
  }
  std::cout << cfg->acl.size() << " access rules, " << cfg->approvals.size()
            << " approval topics, " << cfg->overflow.size() << " overflow policies\n";
  return 0;
}

int run(const std::string& path, const std::vector<std::string>& subs,
        const std::vector<std::string>& echoes) {
  int status = 0;
  auto n = start(path, status);
  if (!n) return status;
  for (const auto& s : subs) {
    auto r = n->subscribe(s, [](const message& m) {
      std::lock_guard lock(output_mutex());
      std::cout << message_json(m) << std::endl;
    });
    if (!r) return fail(r.err().message);
  }
  for (const auto& e : echoes) {
    auto site = n->site();
    auto r = n->on_request(e, [site](const message& m) -> result<reply> {
      return reply{m.content_type, site + " echoes: " + m.payload};
    });
    if (!r) return fail(r.err().message);
  }
  {
    std::lock_guard lock(output_mutex());
    std::cerr << "site " << n->site() << " running"
              << (n->listen_port() ? " on port " + std::to_string(n->listen_port()) : "")
              << "; type 'help' for commands\n";
  }
  // The console ends at "quit" or end of input; a signal ends the wait too.
  std::thread console([&] {
    run_console(*n, g_stop);
    g_stop = true;
  });
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  n->stop(std::chrono::seconds(2));
  console.detach();  // may be blocked reading a terminal; the process ends
  return 0;
}

int publish(const std::string& path, const std::string& topic, const std::string& payload,
            const std::string& content_type, int wait_s) {
  if (auto v = validate_topic(topic); !v) return bad_usage(v.err().message);
  int status = 0;
  auto n = start(path, status);
  if (!n) return status;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  auto subscribed = [&] {
    for (const auto& p : n->peers())
      if (p.state == peer_state::up)
        for (const auto& s : p.subscriptions)
          if (topic_covers(s, topic)) return true;
    return false;
  };
  while (!subscribed() && std::chrono::steady_clock::now() < until && !g_stop)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!subscribed()) std::cerr << "coop-peer: warning: no peer subscribed to " << topic << " yet\n";
  if (auto r = n->publish(topic, content_type, payload); !r) return fail(r.err().message);
  if (auto r = n->flush(std::chrono::seconds(5)); !r) return fail(r.err().message);
  n->stop(std::chrono::seconds(2));
  return 0;
}

int subscribe(const std::string& path, const std::string& prefix, long count, int timeout_s) {
  int status = 0;
  auto n = start(path, status);
  if (!n) return status;
  std::atomic<long> got{0};
  auto r = n->subscribe(prefix, [&](const message& m) {
    if (count > 0 && got >= count) return;
    {
      std::lock_guard lock(output_mutex());
      std::cout << message_json(m) << std::endl;
    }
    ++got;
  });
  if (!r) return fail(r.err().message);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (!g_stop && (count <= 0 || got < count) &&
         (timeout_s <= 0 || std::chrono::steady_clock::now() < until))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  n->stop(std::chrono::seconds(1));
  if (count > 0 && got < count) return fail("only " + std::to_string(got) + " of " + std::to_string(count) + " messages arrived");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  const std::string cmd = args[0];
  std::vector<std::string> positional, subs, echoes;
  std::string content_type = "text/plain";
  long count = 0;
  int wait_s = 10, timeout_s = 0;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (a == "--subscribe" || a == "--echo" || a == "--content-type" || a == "--count" ||
        a == "--wait" || a == "--timeout") {
      const std::string* v = value();
      if (!v) return bad_usage(a + " needs a value");
      try {
        if (a == "--subscribe") subs.push_back(*v);
        else if (a == "--echo") echoes.push_back(*v);
        else if (a == "--content-type") content_type = *v;
        else if (a == "--count") count = std::stol(*v);
        else if (a == "--wait") wait_s = std::stoi(*v);
        else timeout_s = std::stoi(*v);
      } catch (const std::exception&) {
        return bad_usage(a + " needs a number, got '" + *v + "'");
      }
    } else if (a.rfind("--", 0) == 0) {
      return bad_usage("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (cmd == "check" && positional.size() == 1) return check(positional[0]);
  if (cmd == "run" && positional.size() == 1) return run(positional[0], subs, echoes);
  if (cmd == "publish" && positional.size() == 3)
    return publish(positional[0], positional[1], positional[2], content_type, wait_s);
  if (cmd == "subscribe" && positional.size() == 2)
    return subscribe(positional[0], positional[1], count, timeout_s);
  return bad_usage("bad command line for '" + cmd + "'");
}
