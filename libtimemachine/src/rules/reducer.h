// Private: applies a rule_set's volume reduction to each ingested event:
// the rules in order (first match decides: keep, drop, sample 1-in-N,
// project, rate cap per window of event time), then the per-connection
// cut-off for `packet` events. Keeps per-rule counters for stats. Runs on
// every ingested event, so the common path allocates nothing and evaluates
// each rule's filter at most once. Not thread-safe: one per ingest stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "coop/model/event.h"
#include "coop/tm/rules.h"
#include "rules/connection_table.h"

namespace coop::tm::detail {

class reducer {
 public:
  /// A reducer for `rules`, tracking at most `max_connections` connections
  /// for the packet cut-off (least recently used ones are evicted; an
  /// evicted connection that reappears starts again from zero bytes).
  explicit reducer(rule_set rules, std::size_t max_connections = 1 << 20);

  enum class verdict : std::uint8_t { keep, drop };

  /// Decides whether `e` is stored. A `project` rule unsets the optional
  /// fields it does not list (so `e` is modified); rate caps count windows
  /// of `e.ts`. A packet is then subject to the cut-off: per connection (its
  /// uid, else its endpoints in either direction), packets are kept while
  /// the captured bytes before them are below the cut-off, so the packet
  /// crossing it is the last kept. A packet a rule drops counts no bytes.
  verdict apply(model::event& e);

  /// What one rule did: events it decided (it was the first to match) and
  /// how many of those it dropped.
  struct rule_counter {
    std::uint32_t line;  ///< the rule's line in the rules text
    std::uint64_t matched;
    std::uint64_t dropped;
  };
  /// One counter per rule, in rule order.
  [[nodiscard]] std::vector<rule_counter> counters() const;
  /// Packet events dropped by the cut-off.
  [[nodiscard]] std::uint64_t cutoff_dropped() const noexcept { return cutoff_dropped_; }
  /// Connection table entries evicted to make room (bounded table).
  [[nodiscard]] std::uint64_t connection_evictions() const noexcept {
    return connections_.evictions();
  }
  /// The rules applied.
  [[nodiscard]] const rule_set& rules() const noexcept { return rules_; }

 private:
  struct rule_state {
    std::uint64_t matched = 0;
    std::uint64_t dropped = 0;
    std::uint64_t seen = 0;  // sample: matching events so far
    std::int64_t window = std::numeric_limits<std::int64_t>::min();  // rate: current window
    std::uint64_t in_window = 0;                                     // rate: events kept in it
  };
  // Which fields a project rule keeps in events of one schema. Holds the
  // schema, so its address cannot be reused by another while cached.
  struct projection {
    std::shared_ptr<const model::schema> type;
    std::size_t rule;
    std::vector<bool> keep;
  };
  // Positions of the fields of the packet schema the cut-off reads.
  struct packet_fields {
    std::shared_ptr<const model::schema> type;
    std::size_t caplen, data, orig_h, orig_p, resp_h, resp_p;  // npos if absent
  };

  void project(std::size_t rule_index, model::event& e);
  const projection& projection_for(std::size_t rule_index, const model::event& e);
  bool cut_off(const model::event& e);

  rule_set rules_;
  std::vector<rule_state> state_;
  std::vector<projection> projections_;
  packet_fields packet_{};
  connection_table connections_;
  std::uint64_t cutoff_dropped_ = 0;
};

}  // namespace coop::tm::detail
