#include "rules/connection_table.h"

#include <algorithm>
#include <limits>

namespace coop::tm::detail {

connection_table::connection_table(std::size_t capacity)
    : capacity_(std::clamp<std::size_t>(capacity, 1, std::size_t{1} << 30)) {}

std::size_t connection_table::home(std::uint64_t key) const noexcept {
  // Keys are hashes already; a multiplicative mix spreads sequential ones.
  return static_cast<std::size_t>((key * 0x9e37'79b9'7f4a'7c15ULL) >> 32) & (index_.size() - 1);
}

std::size_t connection_table::probe(std::uint64_t key) const noexcept {
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = home(key);
  while (index_[slot] != 0 && entries_[index_[slot] - 1].key != key) slot = (slot + 1) & mask;
  return slot;
}

// Backward-shift deletion: entries after the hole that may move into it do,
// so that every probe sequence stays unbroken without tombstones.
void connection_table::erase_slot(std::size_t slot) noexcept {
  const std::size_t mask = index_.size() - 1;
  std::size_t hole = slot;
  std::size_t next = slot;
  while (true) {
    index_[hole] = 0;
    while (true) {
      next = (next + 1) & mask;
      if (index_[next] == 0) return;
      const std::size_t h = home(entries_[index_[next] - 1].key);
      // The entry stays if its home lies cyclically in (hole, next].
      const bool stays = hole <= next ? (hole < h && h <= next) : (hole < h || h <= next);
      if (!stays) break;
    }
    index_[hole] = index_[next];
    hole = next;
  }
}

void connection_table::rehash(std::size_t slots) {
  index_.assign(slots, 0);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    index_[probe(entries_[i].key)] = static_cast<std::uint32_t>(i + 1);
  }
}

void connection_table::unlink(std::uint32_t i) noexcept {
  entry& e = entries_[i];
  (e.prev == nil ? head_ : entries_[e.prev].next) = e.next;
  (e.next == nil ? tail_ : entries_[e.next].prev) = e.prev;
}

void connection_table::push_front(std::uint32_t i) noexcept {
  entry& e = entries_[i];
  e.prev = nil;
  e.next = head_;
  (head_ == nil ? tail_ : entries_[head_].prev) = i;
  head_ = i;
}

std::uint64_t connection_table::add(std::uint64_t key, std::uint64_t bytes) {
  // Keep the load factor at or below one half.
  if ((entries_.size() + 1) * 2 > index_.size())
    rehash(std::max<std::size_t>(16, index_.size() * 2));
  std::size_t slot = probe(key);
  if (index_[slot] != 0) {
    const std::uint32_t i = index_[slot] - 1;
    entry& e = entries_[i];
    const std::uint64_t before = e.bytes;
    e.bytes = bytes > std::numeric_limits<std::uint64_t>::max() - before
                  ? std::numeric_limits<std::uint64_t>::max()
                  : before + bytes;
    if (head_ != i) {
      unlink(i);
      push_front(i);
    }
    return before;
  }
  std::uint32_t i;
  if (entries_.size() < capacity_) {
    i = static_cast<std::uint32_t>(entries_.size());
    entries_.push_back(entry{key, bytes, nil, nil});
  } else {
    i = tail_;
    erase_slot(probe(entries_[i].key));
    unlink(i);
    ++evictions_;
    entries_[i] = entry{key, bytes, nil, nil};
    slot = probe(key);  // the deletion may have shifted entries
  }
  index_[slot] = i + 1;
  push_front(i);
  return 0;
}

}  // namespace coop::tm::detail
