// The coop-peer console: one command per line on standard input.
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "peer.h"

namespace coop_peer {

using namespace coop::comm;

std::mutex& output_mutex();

namespace {

const char* help_text =
    "commands:\n"
    "  publish TOPIC PAYLOAD...            publish (content type text/plain)\n"
    "  send SITE TOPIC PAYLOAD...          point-to-point message\n"
    "  request SITE TOPIC PAYLOAD...       request; the answer prints when it comes\n"
    "  subscribe PREFIX                    print messages under PREFIX\n"
    "  peers | stats | refusals [N] | approvals\n"
    "  approve ID | refuse ID NOTE...      decide a held request\n"
    "  help | quit\n";

std::string rest_of(std::istringstream& in) {
  std::string rest;
  std::getline(in, rest);
  const auto start = rest.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : rest.substr(start);
}

void say(const std::string& text) {
  std::lock_guard lock(output_mutex());
  std::cout << text << std::flush;
}

void report(const result<void>& r, const std::string& done) {
  say(r ? done + "\n" : "error: " + r.err().to_string() + "\n");
}

}  // namespace

int run_console(node& n, std::atomic<bool>& stop) {
  std::string line;
  while (!stop && std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    if (!(in >> cmd) || cmd[0] == '#') continue;
    if (cmd == "quit" || cmd == "exit") break;
    if (cmd == "help") {
      say(help_text);
    } else if (cmd == "publish") {
      std::string topic;
      in >> topic;
      report(n.publish(topic, "text/plain", rest_of(in)), "published");
    } else if (cmd == "send") {
      std::string site, topic;
      in >> site >> topic;
      report(n.send(site, topic, "text/plain", rest_of(in)), "sent");
    } else if (cmd == "request") {
      std::string site, topic;
      in >> site >> topic;
      auto id = n.request(site, topic, "text/plain", rest_of(in), [](result<message> r) {
        if (r)
          say("{\"response\":" + message_json(*r) + "}\n");
        else
          say("request failed: " + r.err().to_string() + "\n");
      });
      say(id ? "request " + std::to_string(*id) + " sent\n" : "error: " + id.err().to_string() + "\n");
    } else if (cmd == "subscribe") {
      std::string prefix;
      in >> prefix;
      auto id = n.subscribe(prefix, [](const message& m) { say(message_json(m) + "\n"); });
      say(id ? "subscribed to " + prefix + "\n" : "error: " + id.err().to_string() + "\n");
    } else if (cmd == "peers") {
      std::ostringstream out;
      print_peers(out, n);
      say(out.str());
    } else if (cmd == "stats") {
      std::ostringstream out;
      print_stats(out, n);
      say(out.str());
    } else if (cmd == "refusals") {
      std::size_t limit = 20;
      in >> limit;
      std::ostringstream out;
      print_refusals(out, n, limit);
      say(out.str());
    } else if (cmd == "approvals") {
      std::ostringstream out;
      print_approvals(out, n);
      say(out.str());
    } else if (cmd == "approve" || cmd == "refuse") {
      std::uint64_t id = 0;
      if (!(in >> id)) {
        say("usage: " + cmd + " ID" + (cmd == "refuse" ? " NOTE..." : "") + "\n");
        continue;
      }
      report(cmd == "approve" ? n.approve(id) : n.refuse(id, rest_of(in)),
             cmd == "approve" ? "approved " + std::to_string(id) : "refused " + std::to_string(id));
    } else {
      say("unknown command '" + cmd + "' (try help)\n");
    }
  }
  return 0;
}

}  // namespace coop_peer
