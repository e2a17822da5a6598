// The packed index of a partition (`sidx`): writing it from sorted
// postings, looking keys up, walking and verifying it.
#include <algorithm>

#include "index/chunk.h"
#include "partition/partition.h"

namespace coop::tm::detail {

namespace {

// Merges the sorted run appended to `out` since `sorted` into the sorted
// prefix.
void merge_run(std::vector<std::uint32_t>& out, std::size_t& sorted) {
  std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(sorted), out.end());
  sorted = out.size();
}

}  // namespace

model::result<void> partition::write_packed(lmdb::txn& t, const std::vector<std::string_view>& keys,
                                            const std::vector<std::uint64_t>& postings) {
  auto c = lmdb::cursor::open(t, sidx_);
  if (!c) return c.err();
  chunk_writer w;
  std::vector<std::uint32_t> values;
  auto flush = [&]() -> model::result<void> {
    while (w.ready()) {
      auto [k, v] = w.take();
      if (auto r = c->put(k, v, MDB_APPEND); !r) return r.err();
    }
    return {};
  };
  for (std::size_t i = 0; i < postings.size();) {
    const std::uint64_t key = postings[i] >> 32;
    values.clear();
    for (; i < postings.size() && postings[i] >> 32 == key; ++i) {
      values.push_back(static_cast<std::uint32_t>(postings[i]));
    }
    std::string_view k = keys[key];
    if (k.empty() || k.size() > chunk_max_key) continue;
    w.add(k, values);
    if (auto r = flush(); !r) return r;
  }
  w.finish();
  return flush();
}

model::result<void> partition::lookup_packed(const std::vector<key_probe>& probes, bool to_blocks,
                                             std::vector<std::uint32_t>& out) const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  auto c = lmdb::cursor::open(*t, sidx_);
  if (!c) return c.err();
  std::size_t sorted = out.size();
  auto damaged = [&](const model::error& e) {
    return model::error{e.code, env_.dir().string() + ": " + e.message};
  };
  for (const auto& p : probes) {
    if (p.uid || p.lo.empty()) continue;
    const std::string_view lo = p.lo;
    const std::string_view hi = p.hi.empty() ? lo : std::string_view(p.hi);
    unsigned shift = to_blocks && record_level_kind(lo[0]) ? 8 : 0;
    // The last chunk whose first key is <= lo holds lo if anything does.
    std::string_view k, v;
    auto hit = c->move(MDB_SET_RANGE, &k, &v, lo);
    if (!hit) return hit.err();
    if (!*hit) {
      hit = c->move(MDB_LAST, &k, &v);
    } else if (k != lo) {
      hit = c->move(MDB_PREV, &k, &v);
      if (hit && !*hit) hit = c->move(MDB_FIRST, &k, &v);  // lo sorts before every key
    }
    if (!hit) return hit.err();
    while (*hit && k <= hi) {
      auto r = chunk_reader::open(k, v);
      if (!r) return damaged(r.err());
      bool past = false;
      for (;;) {
        auto more = r->next();
        if (!more) return damaged(more.err());
        if (!*more) break;
        if (r->key() < lo) continue;
        if (r->key() > hi) {
          past = true;
          break;
        }
        if (auto got = r->postings(out, shift); !got) return damaged(got.err());
        merge_run(out, sorted);
        if (p.hi.empty()) {
          past = true;  // the one key of an exact probe
          break;
        }
      }
      if (past) break;
      hit = c->move(MDB_NEXT, &k, &v);
      if (!hit) return hit.err();
    }
  }
  return {};
}

model::result<void> partition::each_key(const lmdb::txn& t,
                                        const std::function<void(std::string_view)>& f) const {
  std::string_view k, v;
  if (meta().packed) {
    auto c = lmdb::cursor::open(t, sidx_);
    if (!c) return c.err();
    for (auto more = c->move(MDB_FIRST, &k, &v);; more = c->move(MDB_NEXT, &k, &v)) {
      if (!more) return more.err();
      if (!*more) break;
      auto r = chunk_reader::open(k, v);
      if (!r) return model::error{r.err().code, env_.dir().string() + ": " + r.err().message};
      for (;;) {
        auto e = r->next();
        if (!e) return model::error{e.err().code, env_.dir().string() + ": " + e.err().message};
        if (!*e) break;
        f(r->key());
      }
    }
    return {};
  }
  auto c = lmdb::cursor::open(t, idx_);
  if (!c) return c.err();
  for (auto more = c->move(MDB_FIRST, &k, nullptr);; more = c->move(MDB_NEXT_NODUP, &k, nullptr)) {
    if (!more) return more.err();
    if (!*more) break;
    f(k);
  }
  return {};
}

void partition::verify_index(std::vector<std::string>& problems) const {
  if (!meta().packed) return;
  auto t = lmdb::txn::begin(env_, false);
  if (!t) {
    problems.push_back(t.err().message);
    return;
  }
  auto c = lmdb::cursor::open(*t, sidx_);
  if (!c) {
    problems.push_back(c.err().message);
    return;
  }
  std::string_view k, v;
  std::string last;  // last key of the previous readable chunk
  std::vector<std::uint32_t> scratch;
  std::uint64_t n = 0;
  for (auto more = c->move(MDB_FIRST, &k, &v);; more = c->move(MDB_NEXT, &k, &v), ++n) {
    if (!more) {
      problems.push_back(more.err().message);
      return;
    }
    if (!*more) break;
    auto where = [&] { return env_.dir().string() + ": index chunk #" + std::to_string(n) + ": "; };
    auto r = chunk_reader::open(k, v);
    if (!r) {
      problems.push_back(where() + r.err().message);
      continue;
    }
    if (!last.empty() && std::string_view(last) >= k) {
      problems.push_back(where() + "its first key is not after the previous chunk's last key");
    }
    for (;;) {
      auto e = r->next();
      if (!e) {
        problems.push_back(where() + e.err().message);
        break;
      }
      if (!*e) break;
      scratch.clear();
      if (auto p = r->postings(scratch); !p) {
        problems.push_back(where() + p.err().message);
        break;
      }
      last.assign(r->key());
    }
  }
}

}  // namespace coop::tm::detail
