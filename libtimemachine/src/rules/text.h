// Private: the lexical layer of the rules text (docs/timemachine.md, "Rules
// and tiers"). Splits one line into words and comma-separated lists, finds
// where a `#` comment starts (outside strings and regular expressions), reads
// sizes, intervals and counts, and builds the `rules:LINE:COL: ` errors.
// Everything here works on views into the caller's text; nothing is
// retained.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/result.h"
#include "coop/model/time.h"

namespace coop::tm::detail {

/// An error whose message starts `rules:LINE:COL: ` (both 1-based).
model::error rules_error(model::errc code, std::uint32_t line, std::size_t column,
                         std::string_view what);

/// The length of `line` without its `#` comment and trailing whitespace.
/// A `#` inside a string literal ("...") or a regular expression (/.../,
/// a slash that starts a token) does not start a comment.
std::size_t content_length(std::string_view line) noexcept;

/// True for a name of a class or tier: [a-z0-9_]+, at most 64 characters.
bool valid_name(std::string_view name) noexcept;

/// One word of a line, with the 1-based column of its first character.
struct word {
  std::string_view text;
  std::size_t column = 0;
};

/// Reads the words of one line's content (comment already removed). Words
/// are separated by whitespace; in lists, also by commas.
class line_cursor {
 public:
  line_cursor(std::string_view content, std::uint32_t line) noexcept
      : text_(content), line_(line) {}

  /// Skips whitespace; true when nothing is left.
  bool at_end() noexcept;
  /// The column (1-based) of the next character after skipping whitespace
  /// (one past the end when nothing is left).
  std::size_t column() noexcept;
  /// The next word (up to whitespace, a comma or the end); empty at the end.
  word next() noexcept;
  /// The rest of the content from the next non-blank character.
  word rest() noexcept;
  /// A comma-separated list (`a,b, c`) of at least one item. `what` names
  /// the list in errors ("event type", "field").
  model::result<std::vector<word>> list(std::string_view what);
  /// The line number, for errors.
  [[nodiscard]] std::uint32_t line() const noexcept { return line_; }

 private:
  void skip_blank() noexcept;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_;
};

/// A decimal count without sign or unit, or nullopt (overflow included).
std::optional<std::uint64_t> parse_count(std::string_view text) noexcept;

/// A size: a count with an optional unit B, KB, MB, GB, TB (powers of
/// 1000) or KiB, MiB, GiB, TiB (powers of 1024). Errors: invalid_argument
/// at `w`.
model::result<std::uint64_t> parse_size(const word& w, std::uint32_t line);

/// A positive interval as interval::parse reads it (`90s`, `1h`, `7d`), or
/// a count of years `Ny` (365 days each). Errors: invalid_argument at `w`.
model::result<model::interval> parse_age(const word& w, std::uint32_t line);

/// An interval in the largest unit that divides it ("7d", "90m", "1.5s").
std::string format_age(model::interval i);

}  // namespace coop::tm::detail
