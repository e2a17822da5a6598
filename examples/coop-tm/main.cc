// coop-tm: the command-line tool of the time machine (see `coop-tm help`).
// Dispatches the command word to its file: store_setup.cc (init),
// ingest.cc, query.cc + answer.cc, admin.cc (stats, expire, verify,
// rules), pins.cc.
#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

namespace coop::cli {

namespace {

std::atomic<bool> interrupt_flag{false};

void on_interrupt(int) { interrupt_flag.store(true); }

struct command {
  std::string_view name;
  int (*run)(std::span<const std::string>);
};

constexpr command commands[] = {
    {"init", run_init},     {"ingest", run_ingest}, {"query", run_query}, {"stats", run_stats},
    {"expire", run_expire}, {"pin", run_pin},       {"unpin", run_unpin}, {"pins", run_pins},
    {"rules", run_rules},   {"verify", run_verify},
};

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << help_text("");
    return exit_usage;
  }
  const std::string& word = args.front();
  const std::span<const std::string> rest(args.data() + 1, args.size() - 1);
  if (word == "help" || word == "--help" || word == "-h") {
    std::cout << help_text(rest.empty() ? "" : rest.front());
    return exit_ok;
  }
  for (const auto& c : commands) {
    if (c.name == word) return c.run(rest);
  }
  std::cerr << "coop-tm: unknown command '" << word << "'; run `coop-tm help` for the list\n";
  return exit_usage;
}

}  // namespace

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

const std::atomic<bool>& interrupted() { return interrupt_flag; }

}  // namespace coop::cli

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return coop::cli::dispatch(args);
  } catch (const std::exception& e) {
    // The libraries report errors as values; this is for the unexpected
    // (out of memory), so that it still ends with a message.
    std::cerr << "coop-tm: internal error: " << e.what() << "\n";
    return coop::cli::exit_failed;
  }
}
