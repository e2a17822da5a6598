// The responder's memory of answered requests: (origin, request id) -> the
// answer it gave, so a request re-sent after a reconnect or a restart gets
// the same answer and never reaches its handler twice. Kept in memory and
// appended to the file `answers` in the state directory (one line per
// answer: origin, id, issued-at, hex of the serialised answer item); the
// file is rewritten without expired lines when the node starts. Writes are
// not fsynced: a killed process keeps them (the page cache survives it), a
// machine crash may lose the last ones, which then run again (requests are
// at-least-once). One thread uses it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "coop/comm/result.h"

namespace coop::comm::state {

class answer_log {
 public:
  /// Loads `dir`/answers keeping entries newer than `horizon` (ns), rewrites
  /// the file with them and opens it for appending. Empty `dir`: memory only.
  /// A damaged line is skipped (it can only be a torn last write).
  static result<answer_log> open(const std::filesystem::path& dir, std::int64_t horizon);

  answer_log() = default;
  answer_log(answer_log&& o) noexcept;
  answer_log& operator=(answer_log&& o) noexcept;
  ~answer_log();

  /// The stored answer to (origin, id), if any.
  [[nodiscard]] const std::string* find(const std::string& origin, std::uint64_t id) const;
  /// Records an answer (serialised item bytes) given at `at` (ns).
  void add(const std::string& origin, std::uint64_t id, std::int64_t at, std::string answer);
  /// Forgets answers older than `horizon` (ns). When the file holds more
  /// than twice the lines still needed (and at least 64 more), it is
  /// rewritten with the live answers, so it stays proportional to them
  /// however long the node runs. Errors: io (the old file stays in use).
  result<void> forget_before(std::int64_t horizon);
  /// Lines in the file (live answers plus superseded ones); 0 in memory.
  [[nodiscard]] std::size_t file_lines() const noexcept { return file_lines_; }
  /// Number of answers kept.
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  result<void> rewrite();

  struct entry {
    std::int64_t at = 0;
    std::string answer;
  };
  std::map<std::string, entry> entries_;  // "origin/id"
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::size_t file_lines_ = 0;
};

}  // namespace coop::comm::state
