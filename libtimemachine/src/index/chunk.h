// The packed index of a sealed partition: its (key, postings) entries in
// key order, cut into chunks of a few KB stored in the `sidx` database
// under the chunk's first key. Within a chunk the first key is whole, each
// later key is prefix-compressed against the one before it, the postings
// are delta-encoded varints, and a CRC-32 covers the chunk
// (docs/timemachine.md, "On-disk format (version 3)"). The codec only: no
// LMDB here.
//
// Thread-safety: a chunk_writer or chunk_reader belongs to one thread;
// distinct objects are independent.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coop/model/result.h"

namespace coop::tm::detail {

/// Bytes a chunk is cut at: two LMDB overflow pages of 4 KiB minus their
/// 16-byte header, so a chunk wastes little of the pages it occupies. A
/// single entry larger than this makes a chunk of its own.
inline constexpr std::size_t chunk_target_bytes = 2 * 4096 - 16;
/// Longest index key (LMDB's key limit is 511 bytes).
inline constexpr std::size_t chunk_max_key = 511;

/// Builds chunks from entries given in strictly increasing key order.
class chunk_writer {
 public:
  explicit chunk_writer(std::size_t target = chunk_target_bytes) : target_(target) {}

  /// Adds the entry `key` -> `postings` (sorted, unique, not empty). Keys
  /// must be given in strictly increasing byte order and be at most
  /// chunk_max_key bytes (the caller checks; a violation is a bug).
  void add(std::string_view key, std::span<const std::uint32_t> postings);
  /// Closes the chunk being filled (if any), so that take() returns it.
  void finish();
  /// True when a finished chunk waits to be taken.
  [[nodiscard]] bool ready() const noexcept { return !done_.empty(); }
  /// The oldest finished chunk: (its first key: the LMDB key, its value).
  std::pair<std::string, std::string> take();

 private:
  void start(std::string_view key);
  void encode_entry(std::string& out, std::string_view prev, std::string_view key,
                    std::span<const std::uint32_t> postings);

  std::size_t target_;
  std::string first_;  // first key of the open chunk
  std::string last_;   // last key added to it
  std::string body_;   // open chunk: header placeholder, then entries
  std::uint32_t entries_ = 0;
  std::string scratch_;
  std::deque<std::pair<std::string, std::string>> done_;
};

/// Reads the entries of one chunk, checking everything before use.
class chunk_reader {
 public:
  /// Checks the chunk stored under `first_key` with value `value` (its
  /// CRC-32 and header). Both views must outlive the reader. Errors:
  /// corruption, saying what is wrong and at which byte offset of the value.
  static model::result<chunk_reader> open(std::string_view first_key, std::string_view value);

  /// Moves to the next entry: false after the last. Errors: corruption (a
  /// malformed entry, a key out of order, bytes left after the last entry),
  /// naming the byte offset.
  model::result<bool> next();
  /// The current entry's key; valid until the next call to next().
  [[nodiscard]] std::string_view key() const noexcept { return key_; }
  /// Number of postings of the current entry.
  [[nodiscard]] std::uint32_t count() const noexcept { return count_; }
  /// Appends the current entry's postings, each shifted right by `shift`
  /// (record postings read as block numbers), to `out`. Errors: corruption
  /// (a malformed varint, postings not increasing, a length mismatch).
  model::result<void> postings(std::vector<std::uint32_t>& out, unsigned shift = 0) const;
  /// Entries the header announces.
  [[nodiscard]] std::uint32_t entries() const noexcept { return entries_; }

 private:
  chunk_reader() = default;
  model::error bad(std::size_t at, std::string_view why) const;

  std::string_view first_;
  std::string_view v_;
  std::size_t pos_ = 0;
  std::uint32_t entries_ = 0;
  std::uint32_t seen_ = 0;
  std::string key_;
  std::uint32_t count_ = 0;
  std::size_t post_at_ = 0;  // offset of the current entry's postings
  std::size_t post_len_ = 0;
};

/// CRC-32 (zlib polynomial) as chunks store it.
std::uint32_t chunk_crc(std::string_view s);

/// Bytes 4..7 of a chunk value (its entry count) without checking the
/// chunk; 0 when too short. For counting keys cheaply.
std::uint32_t chunk_entry_count(std::string_view value) noexcept;

/// A printable name for an index key in messages: the kind byte, then the
/// rest in hex.
std::string printable_key(std::string_view key);

}  // namespace coop::tm::detail
