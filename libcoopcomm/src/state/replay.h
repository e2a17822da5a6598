// The replay window: which (origin, sequence, item) a site has already
// accepted. In memory it keeps, per origin, the item sets of its newest
// `window` sequences and a floor below which everything is refused. On disk
// (file `replay` in the state directory) it keeps each origin's highest
// accepted sequence and the instant this process started; after a restart,
// every envelope issued before that instant or at or below a saved
// sequence is refused. One thread uses it (the node's I/O thread).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "coop/comm/result.h"

namespace coop::comm::state {

/// The verdict for one item.
enum class replay_verdict { fresh, duplicate, too_old };

class replay_window {
 public:
  /// Loads the saved marks from `dir` (missing file: empty), and records
  /// `started_at` (ns) as the restart instant. An empty `dir` keeps nothing
  /// on disk. A damaged file is an error naming it and its line.
  static result<replay_window> open(const std::filesystem::path& dir, std::int64_t started_at,
                                    std::size_t window = 4096);

  /// Checks item `index` (of `items` in all) of envelope (origin, sequence,
  /// issued_at) and records it when fresh.
  replay_verdict check(const std::string& origin, std::uint64_t sequence, std::int64_t issued_at,
                       std::uint32_t index, std::uint32_t items);

  /// Writes the marks when they changed since the last save (temp file,
  /// fsync, rename). Errors: errc::io naming the file.
  result<void> save();

 private:
  struct per_origin {
    std::uint64_t floor = 0;   // sequences <= floor are refused
    std::uint64_t highest = 0;
    std::map<std::uint64_t, std::vector<bool>> seen;
  };
  std::filesystem::path file_;
  std::int64_t started_at_ = 0;
  std::size_t window_ = 4096;
  bool dirty_ = false;
  std::unordered_map<std::string, per_origin> origins_;
};

/// The sender's sequence numbers, strictly increasing across restarts: the
/// file `sequence` in the state directory holds a ceiling reserved ahead;
/// a restart continues from the ceiling, so a crash skips numbers but never
/// reuses one. One thread uses it.
class sequence_lease {
 public:
  /// Opens (or creates) the lease in `dir`; empty `dir`: starts from the
  /// current time in microseconds, which also never goes back in practice.
  static result<sequence_lease> open(const std::filesystem::path& dir);

  /// The next sequence number; extends the lease on disk when needed.
  result<std::uint64_t> next();

 private:
  result<void> reserve(std::uint64_t ceiling);
  std::filesystem::path file_;
  std::uint64_t next_ = 1;
  std::uint64_t ceiling_ = 0;
};

/// Writes `text` to `path` atomically and durably (temp file, fsync, rename,
/// fsync of the directory).
result<void> write_file_durably(const std::filesystem::path& path, const std::string& text);

}  // namespace coop::comm::state
