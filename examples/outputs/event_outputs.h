// Where the command-line sensors put their events besides a stream: a time
// machine store (`--store DIR`) and a peer site over libcoopcomm
// (`--publish CONFIG TOPIC`). coop-import and coop-sensor share the option
// parsing, the help text, the writing and the summary through this header;
// libtimemachine and libcoopcomm stay hidden behind it.
//
// Thread-safety: an event_outputs is a resource (move-only) used by one
// thread at a time. The options and parse_option are plain values and
// functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"

namespace coop::outputs {

/// Content type of a published event in JSON (coop::model::to_json).
inline constexpr std::string_view json_content_type = "application/vnd.coop.event+json";
/// Content type of a published event in the binary single-event encoding
/// (coop::model::encode; read back with coop::model::decode).
inline constexpr std::string_view binary_content_type = "application/vnd.coop.event+capnp";

/// How each published event is encoded.
enum class publish_format : std::uint8_t {
  json,    ///< One JSON object per message (the default).
  binary,  ///< One binary event message per message.
};

/// The output options of a tool. Plain aggregate; the defaults write nowhere.
struct output_options {
  /// `--store DIR`: the time machine's directory, created when missing or
  /// empty, opened otherwise. Empty (default): no store.
  std::string store_dir;
  /// Events per store append (one batch each). Default 4096.
  std::size_t store_batch = 4096;
  /// `--publish CONFIG TOPIC`: the site configuration file. Empty
  /// (default): no publishing.
  std::string publish_config;
  /// The topic every event is published on (with publish_config).
  std::string publish_topic;
  /// `--publish-format json|binary`. Default json.
  publish_format format = publish_format::json;
  /// `--wait-peers SECONDS`: how long to wait at start for a peer subscribed
  /// to the topic; publishing starts anyway afterwards. Default 10 s.
  std::chrono::seconds wait_peers{10};
  /// How long one publish may wait for room in the node's inbox (peers that
  /// read slowly hold it back) before the event is counted as not sent.
  /// Default 60 s.
  std::chrono::milliseconds block_for{60000};
  /// How long the final flush may wait for the peers to take what is
  /// queued. Default 60 s.
  std::chrono::milliseconds flush_timeout{60000};

  /// True when a store or publishing is asked for.
  [[nodiscard]] bool any() const noexcept { return !store_dir.empty() || !publish_config.empty(); }
};

/// What parse_option did with an argument.
enum class parse_outcome : std::uint8_t {
  not_ours,  ///< Not an output option: the tool handles it.
  taken,     ///< An output option, stored in the options; `i` points at its last value.
  bad,       ///< An output option with a missing or bad value; `error` says which.
};

/// Looks at argv[i]; when it is --store, --publish, --publish-format or
/// --wait-peers, stores it (and its values, advancing `i` past them) in `o`.
/// On parse_outcome::bad, `error` says what was wrong ("--wait-peers needs a
/// number of seconds, not 'x'"). `argv` must hold `argc` strings.
parse_outcome parse_option(int argc, char** argv, int& i, output_options& o, std::string& error);

/// Checks option combinations that parse_option cannot see one by one
/// (--publish-format without --publish). Returns an error message or "".
std::string check_options(const output_options& o);

/// The help lines of the output options, for a tool's --help: each option
/// indented by two spaces, its description starting at `column` (so it
/// lines up with the tool's own options); ends in a newline.
std::string options_help(std::size_t column);

namespace detail {
struct store_part;
struct publish_part;
}  // namespace detail

/// The open outputs: a store, a publishing site, or both. Events written
/// are copied (the caller's event may be reused right after write()).
class event_outputs {
 public:
  /// Opens what `o` asks for. `types` are the event types the store knows
  /// at first (it learns others from the events); `tool` prefixes the
  /// messages printed on stderr (waiting for peers, warnings). With
  /// publishing, waits up to o.wait_peers for a subscribed peer.
  /// Errors: invalid_argument (a bad configuration file or topic, naming
  /// the file and line), not_found (DIR holds files but no store), io.
  static model::result<event_outputs> open(const output_options& o, const model::registry& types,
                                           std::string tool);

  event_outputs(event_outputs&&) noexcept;
  event_outputs& operator=(event_outputs&&) noexcept;
  event_outputs(const event_outputs&) = delete;
  event_outputs& operator=(const event_outputs&) = delete;
  /// Finishes (as finish()) if that was not done, ignoring errors.
  ~event_outputs();

  /// Sends one event to every open output. Errors: io (the store failed,
  /// naming it), unsupported (the site has stopped). An event the store
  /// refuses, or that waited too long to be published, is counted, not an
  /// error.
  model::result<void> write(const model::event& e);

  /// Appends what is batched and commits the store; flushes the site to
  /// its peers and stops it. Idempotent. Errors: io (commit failed: the
  /// events since the last commit are not durable).
  model::result<void> finish();

  /// Prints what each output did on `out` (one or two lines each): the
  /// store's events stored, refused and dropped by rules and its committed
  /// batch; the site's events published and dropped (from its counters).
  void print_summary(std::FILE* out) const;

 private:
  event_outputs(std::unique_ptr<detail::store_part> s, std::unique_ptr<detail::publish_part> p);
  std::unique_ptr<detail::store_part> store_;
  std::unique_ptr<detail::publish_part> publish_;
};

}  // namespace coop::outputs
