// Shared declarations of coop-peer: rendering messages and node state for a
// terminal (JSON lines for messages, aligned text for tables), and the
// console that reads commands from standard input.
#pragma once

#include <atomic>
#include <iosfwd>
#include <string>
#include <string_view>

#include "coop/comm/node.h"

namespace coop_peer {

/// A message as one JSON line (payload as a JSON string; bytes that are not
/// printable ASCII or UTF-8 are escaped as \u00XX).
std::string message_json(const coop::comm::message& m);
/// JSON string literal of `s`.
std::string json_string(std::string_view s);

/// The peers table (name, state, address, queue, counters, subscriptions, reason).
void print_peers(std::ostream& out, const coop::comm::node& n);
/// The counters.
void print_stats(std::ostream& out, const coop::comm::node& n);
/// The last `limit` refusals.
void print_refusals(std::ostream& out, const coop::comm::node& n, std::size_t limit);
/// Held requests.
void print_approvals(std::ostream& out, const coop::comm::node& n);

/// Runs the console on standard input until "quit", end of input or `stop`
/// becomes true. Returns the exit code.
int run_console(coop::comm::node& n, std::atomic<bool>& stop);

}  // namespace coop_peer
