// coop-tm: the command-line tool over a time machine store. This header is
// what the command files share: exit codes, the parsed command line,
// reporting errors, opening a store, and one entry point per command.
// Single-threaded, like the tool.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"
#include "coop/tm/store.h"

namespace coop::cli {

/// Exit codes: 0 success, 1 the work failed (or found problems), 2 the
/// command line was wrong.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;

/// One option a command accepts: `--name VALUE` (or `--name=VALUE`) when it
/// takes a value, a flag `--name` otherwise.
struct option_spec {
  std::string_view name;  ///< without the leading dashes
  bool takes_value = true;
};

/// A command line after the command word: options and positional arguments.
class arguments {
 public:
  /// Parses `args` against `spec`. `-` alone is positional; `--` ends the
  /// options. Errors (usage): an unknown option, a missing value.
  static model::result<arguments> parse(std::span<const std::string> args,
                                        std::span<const option_spec> spec);

  /// The value of option `name` (the last one given), if given.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  /// True if option or flag `name` was given.
  [[nodiscard]] bool has(std::string_view name) const;
  /// Positional arguments in order.
  [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return pos_; }

 private:
  std::map<std::string, std::string, std::less<>> opts_;
  std::vector<std::string> pos_;
};

/// Parses the command line of `command` (its options in `spec`). Returns
/// an exit code when the command should stop there: its help was asked
/// for (`--help`, `-h`; printed) or the line is wrong (reported).
std::optional<int> parse_command(std::string_view command, std::span<const std::string> args,
                                 std::span<const option_spec> spec, arguments& out);

/// Prints "coop-tm: MESSAGE" to stderr and returns exit_failed.
int fail(std::string_view message);
/// Prints "coop-tm COMMAND: MESSAGE" and a pointer to the command's help
/// to stderr, and returns exit_usage.
int usage_error(std::string_view command, std::string_view message);
/// Prints "coop-tm: warning: MESSAGE" to stderr.
void warn(std::string_view message);

/// Parses a non-negative integer. Errors name the text.
model::result<std::uint64_t> parse_count(std::string_view text);
/// Parses a time as model::timestamp::parse does; the message names `option`.
model::result<model::timestamp> parse_time(std::string_view option, std::string_view text);
/// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> split_list(std::string_view text);
/// Reads a whole file. Errors: io naming the path and the system's reason.
model::result<std::string> read_file(const std::filesystem::path& path);

/// Makes SIGINT and SIGTERM set the flag interrupted() reads instead of
/// killing the process (for commands that can stop cleanly).
void catch_interrupts();
/// True once SIGINT or SIGTERM arrived after catch_interrupts().
const std::atomic<bool>& interrupted();

/// The standard catalogue, the event types every store is created with.
const model::registry& catalogue_types();

/// How a command uses the store.
enum class store_mode { read_only, read_write };

/// Opens the store named by `--store`, with the options `init` saved.
/// On failure prints an actionable message and sets `exit_code`.
std::optional<tm::store> open_store(std::string_view command, const arguments& a, store_mode mode,
                                    int& exit_code);

/// Rewrites a rules error "rules:LINE:COL: ..." as "FILE:LINE:COL: ...".
std::string rules_error_in(const std::filesystem::path& file, const model::error& e);

/// The commands; each returns its exit code. `args` follow the command word.
int run_init(std::span<const std::string> args);
int run_ingest(std::span<const std::string> args);
int run_query(std::span<const std::string> args);
int run_stats(std::span<const std::string> args);
int run_expire(std::span<const std::string> args);
int run_pin(std::span<const std::string> args);
int run_unpin(std::span<const std::string> args);
int run_pins(std::span<const std::string> args);
int run_rules(std::span<const std::string> args);
int run_verify(std::span<const std::string> args);

/// The help text of `command` (the overview when empty or unknown).
std::string_view help_text(std::string_view command);

}  // namespace coop::cli
