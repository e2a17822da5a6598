// Read paths of a partition: summaries, index lookups, blocks, schemas.
#include <algorithm>

#include "aggregate/aggregate.h"
#include "block/endian.h"
#include "coop/model/codec.h"
#include "index/bloom.h"
#include "index/chunk.h"
#include "index/hash.h"
#include "partition/extent.h"
#include "partition/partition.h"

namespace coop::tm::detail {

namespace {

constexpr std::uint64_t uid_salt = 0x9e3779b97f4a7c15ULL;

// Parses one `bsum` entry; false when it is damaged.
bool parse_summary(std::string_view k, std::string_view v, bool with_bloom, block_summary& s) {
  std::string_view bits;
  std::size_t used = 0;
  if (k.size() != 4 || v.size() < 32 || !bloom::parse(v.substr(32), &bits, &used)) return false;
  s.number = get_be32(k);
  s.min_ts = static_cast<std::int64_t>(get_le64(v, 0));
  s.max_ts = static_cast<std::int64_t>(get_le64(v, 8));
  s.records = get_le32(v, 16);
  s.stored_bytes = get_le32(v, 20);
  s.batch = get_le64(v, 24);
  if (with_bloom) s.uid_bloom.assign(bits);
  return true;
}

}  // namespace

model::result<std::vector<block_summary>> partition::summaries(
    std::vector<std::string>* problems, const std::vector<std::uint32_t>* only) const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  auto c = lmdb::cursor::open(*t, bsum_);
  if (!c) return c.err();
  std::vector<block_summary> out;
  auto damaged = [&](std::string_view k) -> model::result<void> {
    std::string what = env_.dir().string() + ": damaged summary of block #" +
                       (k.size() == 4 ? std::to_string(get_be32(k)) : "?");
    if (problems == nullptr) return model::error{model::errc::corruption, what};
    problems->push_back(what + " (block skipped)");
    return {};
  };
  std::string_view k, v;
  if (only != nullptr) {
    out.reserve(only->size());
    std::string key;
    for (auto n : *only) {
      key.clear();
      put_be32(key, n);
      auto hit = c->move(MDB_SET_KEY, &k, &v, key);
      if (!hit) return hit.err();
      if (!*hit) continue;  // a posting left by a rolled-back commit
      block_summary s;
      if (!parse_summary(k, v, false, s)) {
        if (auto r = damaged(k); !r) return r.err();
        continue;
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  auto more = c->move(MDB_FIRST, &k, &v);
  for (;;) {
    if (!more) return more.err();
    if (!*more) break;
    block_summary s;
    if (!parse_summary(k, v, true, s)) {
      if (auto r = damaged(k); !r) return r.err();
    } else {
      out.push_back(std::move(s));
    }
    more = c->move(MDB_NEXT, &k, &v);
  }
  return out;
}

model::result<posting_set> partition::lookup(const std::vector<key_probe>& probes) const {
  posting_set found;
  found.records = record_level(probes);
  std::vector<std::uint32_t>& out = found.values;
  bool any_uid = std::any_of(probes.begin(), probes.end(), [](const auto& p) { return p.uid; });
  if (any_uid) {
    auto sums = summaries();
    if (!sums) return sums.err();
    for (const auto& p : probes) {
      if (!p.uid) continue;
      std::uint64_t h = stable_hash(*p.uid);
      for (const auto& s : *sums) {
        if (bloom::may_contain(s.uid_bloom, h)) out.push_back(s.number);
      }
    }
  }
  if (meta().packed) {
    std::sort(out.begin(), out.end());
    if (auto r = lookup_packed(probes, !found.records, out); !r) return r.err();
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return found;
  }
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  auto c = lmdb::cursor::open(*t, idx_);
  if (!c) return c.err();
  // `shift` turns record postings into block numbers when the answer is
  // at block granularity.
  auto collect_dups = [&](std::string_view first, unsigned shift) -> model::result<void> {
    // A key with a single posting has no duplicate page: its value is the
    // one the positioning call returned.
    auto n = c->count();
    if (!n) return n.err();
    if (*n <= 1) {
      if (first.size() == 4) out.push_back(get_be32(first) >> shift);
      return {};
    }
    // DUPFIXED: fetch the postings of the current key a page at a time.
    std::string_view k, v;
    auto more = c->move(MDB_GET_MULTIPLE, &k, &v);
    while (true) {
      if (!more) return more.err();
      if (!*more) break;
      for (std::size_t i = 0; i + 4 <= v.size(); i += 4) out.push_back(get_be32(v, i) >> shift);
      more = c->move(MDB_NEXT_MULTIPLE, &k, &v);
    }
    return {};
  };
  // The uid probes' blocks are sorted here; each key's postings come
  // sorted (DUPSORT, big-endian) and are merged in as they arrive.
  std::sort(out.begin(), out.end());
  std::size_t sorted = out.size();
  auto merge_run = [&] {
    std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(sorted), out.end());
    sorted = out.size();
  };
  for (const auto& p : probes) {
    if (p.uid || p.lo.empty()) continue;
    // The kind byte (shared by lo and hi) says how the key posts.
    unsigned shift = !found.records && record_level_kind(p.lo[0]) ? 8 : 0;
    std::string_view k, v;
    if (p.hi.empty()) {
      auto hit = c->move(MDB_SET_KEY, &k, &v, p.lo);
      if (!hit) return hit.err();
      if (*hit) {
        if (auto r = collect_dups(v, shift); !r) return r.err();
        merge_run();
      }
      continue;
    }
    auto more = c->move(MDB_SET_RANGE, &k, &v, p.lo);
    while (true) {
      if (!more) return more.err();
      if (!*more || k > std::string_view(p.hi)) break;
      if (auto r = collect_dups(v, shift); !r) return r.err();
      merge_run();
      more = c->move(MDB_NEXT_NODUP, &k, &v);
    }
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return found;
}

bool partition::may_contain(const std::vector<key_probe>& probes) const {
  std::lock_guard lock(mu_);
  if (!meta_.sealed || summary_.empty()) return true;
  std::string_view bits;
  std::size_t used = 0;
  if (!bloom::parse(summary_, &bits, &used)) return true;  // damaged summary: do not skip
  for (const auto& p : probes) {
    if (p.uid) {
      if (!meta_.summary_has_uids) return true;
      if (bloom::may_contain(bits, stable_hash(*p.uid) ^ uid_salt)) return true;
    } else if (!p.hi.empty()) {
      return true;  // ranges are not summarised
    } else if (bloom::may_contain(bits, stable_hash(p.lo))) {
      return true;
    }
  }
  return false;
}

model::result<std::pair<lmdb::txn, std::string_view>> partition::block_view(
    std::uint32_t n) const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  const std::uint32_t first = extent_blocks_ == 0 ? n : extent_first(n, extent_blocks_);
  std::string k;
  put_be32(k, first);
  auto v = t->get(blocks_, k);
  if (!v) {
    if (v.err().code == model::errc::not_found) {
      return model::error{model::errc::corruption,
                          env_.dir().string() + ": block #" + std::to_string(n) + " is missing" +
                              (extent_blocks_ == 0 ? std::string()
                                                   : " (no extent #" + std::to_string(first) + ")")};
    }
    return v.err();
  }
  std::string_view view = *v;
  if (extent_blocks_ != 0) {
    // The location is only spelt out for an error (this is every lookup's
    // path): the message from extent_block starts with ": extent ...".
    auto b = extent_block(view, n - first, "");
    if (!b) {
      return model::error{b.err().code, env_.dir().string() + ": block #" + std::to_string(n) +
                                            ": extent #" + std::to_string(first) +
                                            b.err().message};
    }
    view = *b;
  }
  return std::pair<lmdb::txn, std::string_view>(std::move(t.value()), view);
}

void partition::restore_id(model::event& row) const {
  if (!id_tier_ || row.id != model::event_id{} || !row.schema_ptr()) return;
  row.id = row_id(*id_tier_, row_key(row, *id_tier_));
}

model::result<void> partition::read_block(std::uint32_t n, std::string& out) const {
  return view_block(n, [&](std::string_view stored) { out.assign(stored); });
}

std::shared_ptr<const block_dictionary> partition::dictionary() const {
  std::lock_guard lock(mu_);
  return dict_;
}

model::result<std::vector<model::schema>> partition::schemas() const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  auto c = lmdb::cursor::open(*t, schemas_);
  if (!c) return c.err();
  std::vector<model::schema> out;
  std::string_view k, v;
  auto more = c->move(MDB_FIRST, &k, &v);
  while (true) {
    if (!more) return more.err();
    if (!*more) break;
    auto s = model::decode_schema(model::byte_view(v));
    if (!s) {
      return model::error{model::errc::corruption, env_.dir().string() + ": stored schema '" +
                                                       std::string(k.substr(0, k.find('\0'))) +
                                                       "': " + s.err().message};
    }
    out.push_back(std::move(s.value()));
    more = c->move(MDB_NEXT, &k, &v);
  }
  return out;
}

model::result<std::uint64_t> partition::key_count() const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  if (meta().packed) {
    // The chunk headers' entry counts (the chunks are checked by lookups
    // and verify, not here).
    auto c = lmdb::cursor::open(*t, sidx_);
    if (!c) return c.err();
    std::uint64_t n = 0;
    std::string_view k, v;
    for (auto more = c->move(MDB_FIRST, &k, &v);; more = c->move(MDB_NEXT, &k, &v)) {
      if (!more) return more.err();
      if (!*more) break;
      n += chunk_entry_count(v);
    }
    return n;
  }
  // mdb_stat would count postings (duplicates), not keys.
  std::uint64_t n = 0;
  if (auto r = each_key(*t, [&](std::string_view) { ++n; }); !r) return r.err();
  return n;
}

}  // namespace coop::tm::detail
