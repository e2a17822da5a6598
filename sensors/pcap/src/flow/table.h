// Internal: the connection table. A pool of `conn` records, an open-
// addressing hash index (linear probing, backward-shift deletion) and three
// intrusive LRU lists (TCP, UDP, ICMP) so that inactivity timeouts and the
// size limit find the stalest connection in O(1). No allocation per packet
// once the pool and index have grown. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "flow/conn.h"

namespace coop::sensor::detail {

/// Hash of a canonical key.
std::uint64_t hash_key(const conn_key& k) noexcept;

/// Connections by key, with LRU order per protocol class.
class conn_table {
 public:
  explicit conn_table(std::size_t max_conns);

  /// The connection for `k`, or nullptr.
  conn* find(const conn_key& k, std::uint64_t h) noexcept;
  /// Inserts a fresh connection for `k` (the caller checked it is absent and
  /// that size() < max). Returns it, linked at the head of list `lru`.
  conn* insert(const conn_key& k, std::uint64_t h, std::uint8_t lru);
  /// Removes `c` (its record is reset and returned to the pool).
  void erase(conn* c) noexcept;
  /// Marks `c` most recently used.
  void touch(conn* c) noexcept;
  /// Least recently used connection of list `lru`, or nullptr.
  [[nodiscard]] conn* oldest(std::uint8_t lru) noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::size_t max() const noexcept { return max_; }

 private:
  struct slot {
    std::uint32_t idx = 0;  // pool index + 1; 0 = empty
    std::uint32_t tag = 0;  // low bits of the hash
  };
  void grow();
  void unlink(conn* c) noexcept;
  std::uint32_t index_of(const conn* c) const noexcept {
    return static_cast<std::uint32_t>(c - pool_.data());
  }

  std::size_t max_;
  std::size_t count_ = 0;
  std::vector<conn> pool_;
  std::vector<std::uint32_t> free_;
  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::uint32_t head_[3] = {0, 0, 0};
  std::uint32_t tail_[3] = {0, 0, 0};
};

}  // namespace coop::sensor::detail
