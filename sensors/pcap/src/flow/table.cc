// Connection table: see table.h.
#include "flow/table.h"

#include "analyzers/app_state.h"

#include <cstring>

namespace coop::sensor::detail {

namespace {
inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v * 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
  return h;
}
inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
}  // namespace

std::uint64_t hash_key(const conn_key& k) noexcept {
  std::uint64_t h = k.proto;
  h = mix(h, load64(k.a.b.data()));
  h = mix(h, load64(k.a.b.data() + 8));
  h = mix(h, load64(k.b.b.data()));
  h = mix(h, load64(k.b.b.data() + 8));
  h = mix(h, (std::uint64_t{k.pa} << 16) | k.pb);
  return h ^ (h >> 31);
}

conn_table::conn_table(std::size_t max_conns) : max_(max_conns == 0 ? 1 : max_conns) {
  slots_.resize(1024);
  mask_ = slots_.size() - 1;
}

conn* conn_table::find(const conn_key& k, std::uint64_t h) noexcept {
  auto tag = static_cast<std::uint32_t>(h >> 32);
  for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
    const slot& s = slots_[i];
    if (s.idx == 0) return nullptr;
    if (s.tag == tag && pool_[s.idx - 1].key == k) return &pool_[s.idx - 1];
  }
}

void conn_table::grow() {
  std::vector<slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, slot{});
  mask_ = slots_.size() - 1;
  for (const slot& s : old) {
    if (s.idx == 0) continue;
    std::uint64_t h = hash_key(pool_[s.idx - 1].key);
    std::size_t i = h & mask_;
    while (slots_[i].idx != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

conn* conn_table::insert(const conn_key& k, std::uint64_t h, std::uint8_t lru) {
  if ((count_ + 1) * 2 > slots_.size()) {
    grow();
  }
  std::uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    idx = static_cast<std::uint32_t>(pool_.size());
    if (pool_.size() == pool_.capacity()) {
      // Growing the pool moves the records: rebuild nothing, the index holds
      // positions, not pointers.
      pool_.reserve(pool_.empty() ? 256 : pool_.size() * 2);
    }
    pool_.emplace_back();
  }
  conn& c = pool_[idx];
  c.key = k;
  c.in_use = true;
  c.lru = lru;
  std::size_t i = h & mask_;
  while (slots_[i].idx != 0) i = (i + 1) & mask_;
  slots_[i] = slot{idx + 1, static_cast<std::uint32_t>(h >> 32)};
  ++count_;
  // link at head
  c.prev = 0;
  c.next = head_[lru];
  if (head_[lru] != 0) pool_[head_[lru] - 1].prev = idx + 1;
  head_[lru] = idx + 1;
  if (tail_[lru] == 0) tail_[lru] = idx + 1;
  return &c;
}

void conn_table::unlink(conn* c) noexcept {
  std::uint32_t me = index_of(c) + 1;
  if (c->prev != 0)
    pool_[c->prev - 1].next = c->next;
  else
    head_[c->lru] = c->next;
  if (c->next != 0)
    pool_[c->next - 1].prev = c->prev;
  else
    tail_[c->lru] = c->prev;
  c->prev = c->next = 0;
  (void)me;
}

void conn_table::touch(conn* c) noexcept {
  std::uint32_t me = index_of(c) + 1;
  if (head_[c->lru] == me) return;
  unlink(c);
  c->next = head_[c->lru];
  if (head_[c->lru] != 0) pool_[head_[c->lru] - 1].prev = me;
  head_[c->lru] = me;
  if (tail_[c->lru] == 0) tail_[c->lru] = me;
}

conn* conn_table::oldest(std::uint8_t lru) noexcept {
  return tail_[lru] == 0 ? nullptr : &pool_[tail_[lru] - 1];
}

void conn_table::erase(conn* c) noexcept {
  std::uint32_t idx = index_of(c);
  std::uint64_t h = hash_key(c->key);
  std::size_t i = h & mask_;
  while (slots_[i].idx != idx + 1) i = (i + 1) & mask_;
  // backward-shift deletion
  std::size_t j = i;
  for (;;) {
    j = (j + 1) & mask_;
    if (slots_[j].idx == 0) break;
    std::size_t home = hash_key(pool_[slots_[j].idx - 1].key) & mask_;
    // move j into i if its home is not in (i, j]
    bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = slot{};
  unlink(c);
  *c = conn{};
  free_.push_back(idx);
  --count_;
}

}  // namespace coop::sensor::detail
