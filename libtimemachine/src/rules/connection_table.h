// Private: a bounded table of per-connection byte counts for the packet
// cut-off. Connections are identified by a 64-bit key (a hash of the uid or
// of the 5-tuple, computed by the caller); when the table is full, the least
// recently used connection is evicted. Open addressing with linear probing
// over an intrusive LRU list: a lookup or an insert allocates nothing once
// the table has grown to its working size. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace coop::tm::detail {

class connection_table {
 public:
  /// A table holding at most `capacity` connections (at least 1, at most
  /// 2^30). Memory grows with use, up to about 40 bytes per connection.
  explicit connection_table(std::size_t capacity);

  /// Adds `bytes` to connection `key` (inserting it, and evicting the
  /// least recently used connection when full) and makes it the most
  /// recently used. Returns the bytes counted for it before this call.
  std::uint64_t add(std::uint64_t key, std::uint64_t bytes);

  /// Connections held now.
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  /// Connections evicted so far to make room.
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }

 private:
  static constexpr std::uint32_t nil = 0xffff'ffff;
  struct entry {
    std::uint64_t key;
    std::uint64_t bytes;
    std::uint32_t prev;  // towards the most recently used
    std::uint32_t next;  // towards the least recently used
  };

  [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept;
  // Slot of `key` in index_, or the empty slot where it would go.
  [[nodiscard]] std::size_t probe(std::uint64_t key) const noexcept;
  void erase_slot(std::size_t slot) noexcept;
  void rehash(std::size_t slots);
  void unlink(std::uint32_t i) noexcept;
  void push_front(std::uint32_t i) noexcept;

  std::size_t capacity_;
  std::vector<entry> entries_;
  std::vector<std::uint32_t> index_;  // entry index + 1; 0 is an empty slot
  std::uint32_t head_ = nil;          // most recently used
  std::uint32_t tail_ = nil;          // least recently used
  std::uint64_t evictions_ = 0;
};

}  // namespace coop::tm::detail
