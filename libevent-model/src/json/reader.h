// A strict RFC 8259 JSON cursor for the type-directed decoders: it reads
// one token at a time from a text it does not own, enforces json_limits, and
// records the first error with its byte offset and (built while unwinding)
// the path of the value it occurred in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "coop/model/json.h"
#include "coop/model/result.h"

namespace coop::model::json {

class reader {
 public:
  /// Upper bound applied to json_limits::max_depth, so the recursive
  /// decoders cannot exhaust the stack whatever the caller configures.
  static constexpr unsigned hard_max_depth = 1000;

  /// `text` must outlive the reader.
  reader(std::string_view text, const json_limits& limits) noexcept;

  enum class step { item, end, fail };

  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] unsigned depth() const noexcept { return depth_; }
  /// Moves to `pos` inside `depth` open containers (to revisit a value).
  void seek(std::size_t pos, unsigned depth) noexcept {
    pos_ = pos;
    depth_ = depth;
  }
  /// Elements counted so far against max_elements; a value read twice (once
  /// skipped, then decoded) sets the count back so it is counted once.
  [[nodiscard]] std::size_t elements() const noexcept { return elements_; }
  void set_elements(std::size_t n) noexcept { elements_ = n; }

  /// Skips whitespace and returns the next byte, or '\0' at the end.
  char peek() noexcept;
  /// "a string", "a number", "'{'", "end of input"... for error messages.
  [[nodiscard]] std::string found();

  /// Consumes '{' / '[' (after whitespace) and enters the container.
  bool begin_object();
  bool begin_array();
  /// Advances to the next member or element. `first` must start true. On
  /// `item`, a member's key has been read into `key` (its offset is
  /// key_offset()) along with the ':'; the caller then reads the value.
  /// On `end` the container has been closed.
  step next_member(bool& first, std::string& key);
  step next_element(bool& first);
  [[nodiscard]] std::size_t key_offset() const noexcept { return key_offset_; }

  /// The member loop of an object just entered (begin_object): calls
  /// `each(key)` for every member; `each` reads the member's value and
  /// returns false after recording an error, which stops the loop. True once
  /// the object has been closed.
  template <class F>
  bool each_member(F&& each) {
    std::string key;
    bool first = true;
    for (;;) {
      const step s = next_member(first, key);
      if (s != step::item) return s == step::end;
      if (!each(std::as_const(key))) return false;
    }
  }
  /// The element loop of an array just entered (begin_array), as
  /// each_member: `each(index)` reads the element at that index.
  template <class F>
  bool each_element(F&& each) {
    bool first = true;
    for (std::size_t i = 0;; ++i) {
      const step s = next_element(first);
      if (s != step::item) return s == step::end;
      if (!each(i)) return false;
    }
  }

  /// For an object with a fixed set of keys, each allowed once: the index in
  /// `names` (at most 32) of the member key just read, marked in `seen` (a
  /// bit per name). -1 after failing at the key with `unknown key "<key>" in
  /// <where>` or `duplicate key "<key>"`.
  int known_key(std::string_view key, std::span<const std::string_view> names, unsigned& seen,
                std::string_view where);

  /// A buffer for short-lived string tokens (addresses, labels), reused to
  /// avoid an allocation per token. Valid until the next call that uses it.
  std::string& scratch() noexcept { return scratch_; }

  /// Reads a string, unescaping it into `out` (replaced). Lone surrogates
  /// \udc80..\udcff become the bytes 0x80..0xff; other lone surrogates fail.
  bool parse_string(std::string& out);
  /// Reads a number and returns its text, checked against the grammar.
  bool parse_number(std::string_view& token);
  /// Reads true or false.
  bool parse_bool(bool& out);
  /// Consumes `null` if it is next; false (without error) otherwise.
  bool try_null();
  /// Reads and discards any value (still strict: syntax, duplicate keys,
  /// limits).
  bool skip_value();
  /// Requires that only whitespace remains.
  bool finish();

  /// Records an error (the first one wins) and returns false.
  bool fail(std::size_t at, std::string what, errc code = errc::invalid_argument);
  /// Fails with "expected <what>, found <next token>" at the next token.
  bool fail_expected(std::string_view what);
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Prepends a path segment ("fields", ".resp_p", "[3]") while unwinding.
  void prefix_path(std::string_view segment);
  /// The recorded error: "<path>: <what> at byte <offset>".
  [[nodiscard]] error take_error() const;

 private:
  bool enter(char open);
  step next_item(bool& first, char close);
  bool count_element();
  bool parse_hex4(std::uint32_t& out);

  std::string_view text_;
  std::size_t pos_ = 0;
  unsigned depth_ = 0;
  unsigned max_depth_;
  std::size_t max_string_;
  std::size_t max_elements_;
  std::size_t elements_ = 0;
  std::size_t key_offset_ = 0;

  bool failed_ = false;
  errc code_ = errc::ok;
  std::size_t error_at_ = 0;
  std::string what_;
  std::string path_;
  std::string scratch_;
};

/// `s` as an error message shows it: in double quotes, cut after 64 bytes.
std::string quoted(std::string_view s);

}  // namespace coop::model::json
