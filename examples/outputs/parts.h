// The two outputs behind event_outputs (private to this folder): the store
// part batches events into a time machine, the publish part sends them to
// peer sites. Each is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "coop/model/codec.h"
#include "event_outputs.h"

namespace coop::tm {
class store;
}
namespace coop::comm {
class node;
}

namespace coop::outputs::detail {

/// Events into a time machine store, appended in batches.
struct store_part {
  /// Creates the store in `o.store_dir` when it is missing or empty, else
  /// opens it. Errors as event_outputs::open.
  static model::result<std::unique_ptr<store_part>> open(const output_options& o,
                                                         const model::registry& types,
                                                         const std::string& tool);
  ~store_part();

  /// Copies `e` into the batch; appends the batch when it is full.
  model::result<void> write(const model::event& e);
  /// Appends the rest and commits. Errors: io.
  model::result<void> finish();
  void print_summary(std::FILE* out) const;

  std::unique_ptr<tm::store> st;
  std::string dir;
  std::string tool;  // prefix of messages on stderr
  bool created = false;
  std::size_t batch_limit = 4096;
  std::vector<model::event> batch;
  std::uint64_t written = 0;    // events given to write()
  std::uint64_t stored = 0;     // accepted by the store
  std::uint64_t dropped = 0;    // dropped by the store's rules
  std::uint64_t refused = 0;    // failed the store's validation
  std::uint64_t batches = 0;    // appends made
  std::uint64_t committed = 0;  // committed batch after finish
  bool finished = false;

 private:
  model::result<void> append_batch();
};

/// Events to the peers subscribed to a topic, one message each.
struct publish_part {
  /// Loads the configuration, starts the site and waits (bounded) for a
  /// subscribed peer. Errors as event_outputs::open.
  static model::result<std::unique_ptr<publish_part>> open(const output_options& o,
                                                           const std::string& tool);
  ~publish_part();

  /// Encodes and publishes `e`, waiting up to block_for for inbox room.
  model::result<void> write(const model::event& e);
  /// Flushes and stops the site. Never fails: a flush that times out is
  /// reported on stderr and shows in the counters.
  void finish();
  void print_summary(std::FILE* out) const;

  std::unique_ptr<comm::node> site;
  std::string config;
  std::string topic;
  std::string tool;  // prefix of messages on stderr
  publish_format format = publish_format::json;
  std::chrono::milliseconds block_for{0};
  std::chrono::milliseconds flush_timeout{0};
  std::size_t subscribers = 0;         // peers up and subscribed when publishing began
  std::string text;                    // reused JSON buffer
  model::encoder enc;                  // reused binary encoder
  std::uint64_t written = 0;           // events given to write()
  std::uint64_t not_encoded = 0;       // events the encoder refused
  std::uint64_t not_sent = 0;          // publish calls that gave up (inbox full)
  std::uint64_t published = 0;         // node counter: messages published
  std::uint64_t dropped_overflow = 0;  // node counter: dropped by full peer queues
  std::uint64_t dropped_no_route = 0;  // node counter
  std::uint64_t sent_to_peers = 0;     // sum of the peers' sent counters
  bool flushed = true;
  bool finished = false;
};

}  // namespace coop::outputs::detail
