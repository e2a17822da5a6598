// Read paths of a partition: summaries, index lookups, blocks, schemas.
#include <algorithm>

#include "block/endian.h"
#include "coop/model/codec.h"
#include "index/bloom.h"
#include "index/hash.h"
#include "partition/partition.h"

namespace coop::tm::detail {

namespace {
constexpr std::uint64_t uid_salt = 0x9e3779b97f4a7c15ULL;
}

model::result<std::vector<block_summary>> partition::summaries(
    std::vector<std::string>* problems) const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  auto c = lmdb::cursor::open(*t, bsum_);
  if (!c) return c.err();
  std::vector<block_summary> out;
  std::string_view k, v;
  auto more = c->move(MDB_FIRST, &k, &v);
  for (;;) {
    if (!more) return more.err();
    if (!*more) break;
    block_summary s;
    std::string_view bits;
    std::size_t used = 0;
    if (k.size() != 4 || v.size() < 32 || !bloom::parse(v.substr(32), &bits, &used)) {
      std::string what = env_.dir().string() + ": damaged summary of block #" +
                         (k.size() == 4 ? std::to_string(get_be32(k)) : "?");
      if (problems == nullptr) return model::error{model::errc::corruption, what};
      problems->push_back(what + " (block skipped)");
      more = c->move(MDB_NEXT, &k, &v);
      continue;
    }
    s.number = get_be32(k);
    s.min_ts = static_cast<std::int64_t>(get_le64(v, 0));
    s.max_ts = static_cast<std::int64_t>(get_le64(v, 8));
    s.records = get_le32(v, 16);
    s.stored_bytes = get_le32(v, 20);
    s.batch = get_le64(v, 24);
    s.uid_bloom.assign(bits);
    out.push_back(std::move(s));
    more = c->move(MDB_NEXT, &k, &v);
  }
  return out;
}

model::result<std::vector<std::uint32_t>> partition::lookup(
    const std::vector<key_probe>& probes) const {
  std::vector<std::uint32_t> out;
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
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  auto c = lmdb::cursor::open(*t, idx_);
  if (!c) return c.err();
  auto collect_dups = [&](std::string_view first) -> model::result<void> {
    // A key with a single posting has no duplicate page: its value is the
    // one the positioning call returned.
    auto n = c->count();
    if (!n) return n.err();
    if (*n <= 1) {
      if (first.size() == 4) out.push_back(get_be32(first));
      return {};
    }
    // DUPFIXED: fetch the postings of the current key a page at a time.
    std::string_view k, v;
    auto more = c->move(MDB_GET_MULTIPLE, &k, &v);
    while (true) {
      if (!more) return more.err();
      if (!*more) break;
      for (std::size_t i = 0; i + 4 <= v.size(); i += 4) out.push_back(get_be32(v, i));
      more = c->move(MDB_NEXT_MULTIPLE, &k, &v);
    }
    return {};
  };
  for (const auto& p : probes) {
    if (p.uid) continue;
    std::string_view k, v;
    if (p.hi.empty()) {
      auto found = c->move(MDB_SET_KEY, &k, &v, p.lo);
      if (!found) return found.err();
      if (*found) {
        if (auto r = collect_dups(v); !r) return r.err();
      }
      continue;
    }
    auto more = c->move(MDB_SET_RANGE, &k, &v, p.lo);
    while (true) {
      if (!more) return more.err();
      if (!*more || k > std::string_view(p.hi)) break;
      if (auto r = collect_dups(v); !r) return r.err();
      more = c->move(MDB_NEXT_NODUP, &k, &v);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
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

model::result<void> partition::read_block(std::uint32_t n, std::string& out) const {
  auto t = lmdb::txn::begin(env_, false);
  if (!t) return t.err();
  std::string k;
  put_be32(k, n);
  auto v = t->get(blocks_, k);
  if (!v) {
    if (v.err().code == model::errc::not_found) {
      return model::error{model::errc::corruption,
                          env_.dir().string() + ": block #" + std::to_string(n) + " is missing"};
    }
    return v.err();
  }
  out.assign(*v);
  return {};
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
  MDB_stat st{};
  int rc = mdb_stat(t->get(), idx_, &st);
  if (rc != 0) return lmdb::to_error(rc, env_.dir().string());
  return static_cast<std::uint64_t>(st.ms_entries);
}

}  // namespace coop::tm::detail
