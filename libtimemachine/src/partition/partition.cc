#include "partition/partition.h"

#include <algorithm>
#include <unordered_map>

#include "block/endian.h"
#include "coop/model/codec.h"
#include "index/bloom.h"
#include "index/hash.h"
#include "index/radix.h"
#include "partition/extent.h"

namespace coop::tm::detail {

namespace {

constexpr std::string_view meta_key = "meta";
constexpr std::string_view summary_key = "summary";
// Uid hashes share the partition summary with key hashes; a salt keeps the
// two domains apart.
constexpr std::uint64_t uid_salt = 0x9e3779b97f4a7c15ULL;

std::string block_key(std::uint32_t n) {
  std::string k;
  put_be32(k, n);
  return k;
}

std::string schema_key(const model::schema& s) {
  std::string k = s.name();
  k.push_back('\0');
  k += std::to_string(s.version());
  return k;
}

}  // namespace

model::result<std::shared_ptr<partition>> partition::create(const std::filesystem::path& dir,
                                                            const partition_meta& meta,
                                                            std::uint64_t map_bytes) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return model::error{model::errc::invalid_argument, dir.string() + ": partition already exists"};
  }
  // Built under a temporary name and renamed once its info record is
  // durable: a crash never leaves a partition directory without one.
  auto tmp = dir.parent_path() / (".tmp-" + dir.filename().string());
  std::filesystem::remove_all(tmp, ec);
  {
    std::shared_ptr<partition> p(new partition());
    auto e = lmdb::env::open(tmp, {.map_size = map_bytes, .max_dbs = 8, .read_only = false,
                                   .create = true});
    if (!e) return e.err();
    p->env_ = std::move(e.value());
    if (auto r = p->open_dbs(true); !r) return r.err();
    auto t = lmdb::txn::begin(p->env_, true);
    if (!t) return t.err();
    if (auto r = t->put(p->info_, meta_key, encode_meta(meta)); !r) return r.err();
    if (auto r = t->commit(); !r) return r.err();
  }
  std::filesystem::rename(tmp, dir, ec);
  if (ec) return model::error{model::errc::io, dir.string() + ": cannot create: " + ec.message()};
  return open(dir, map_bytes, false);
}

model::result<std::shared_ptr<partition>> partition::open(const std::filesystem::path& dir,
                                                          std::uint64_t map_bytes, bool read_only) {
  std::shared_ptr<partition> p(new partition());
  auto e = lmdb::env::open(dir, {.map_size = map_bytes, .max_dbs = 8, .read_only = read_only,
                                 .create = false});
  if (!e) return e.err();
  p->env_ = std::move(e.value());
  p->map_bytes_ = map_bytes;
  // A data file shorter than the pages LMDB says are in use (truncated by a
  // copy or a damaged disk) would fault on access: refuse it.
  std::error_code ec;
  auto file_size = std::filesystem::file_size(dir / "data.mdb", ec);
  if (ec || file_size < p->used_bytes()) {
    return model::error{model::errc::corruption,
                        dir.string() + ": data.mdb is shorter (" + std::to_string(file_size) +
                            " bytes) than the " + std::to_string(p->used_bytes()) +
                            " bytes of pages in use: the file was cut short"};
  }
  if (auto r = p->open_dbs(false); !r) return r.err();
  auto t = lmdb::txn::begin(p->env_, false);
  if (!t) return t.err();
  auto raw = t->get(p->info_, meta_key);
  if (!raw) {
    return model::error{model::errc::corruption, dir.string() + ": partition has no info record"};
  }
  auto m = decode_meta(*raw, dir.string());
  if (!m) return m.err();
  p->meta_ = std::move(m.value());
  if (p->meta_.packed && !p->has_sidx_) {
    return model::error{model::errc::corruption,
                        dir.string() + ": info says the index is packed, but there is no sidx"};
  }
  if (p->meta_.extent_blocks > 0 && !p->meta_.packed) {
    return model::error{model::errc::corruption,
                        dir.string() + ": info says blocks are in extents, but the partition "
                                       "is not packed (written once)"};
  }
  p->extent_blocks_ = p->meta_.extent_blocks;
  if (p->meta_.derived_ids) {
    auto ids = std::make_unique<tier>();
    ids->name = p->meta_.tier;
    ids->bucket = model::interval{p->meta_.bucket_ns};
    ids->keys = p->meta_.row_keys;
    p->id_tier_ = std::move(ids);
  }
  auto sum = t->get(p->info_, summary_key);
  if (sum) p->summary_.assign(*sum);
  p->dict_ = p->read_dictionary(*t);
  // Schemas already stored.
  auto c = lmdb::cursor::open(*t, p->schemas_);
  if (!c) return c.err();
  std::string_view k;
  for (auto more = c->move(MDB_FIRST, &k, nullptr); more && *more;
       more = c->move(MDB_NEXT, &k, nullptr)) {
    p->stored_schemas_.emplace_back(k);
  }
  // The uids of blocks written before this open are only in block blooms.
  p->uids_complete_ = p->meta_.blocks == 0;
  return p;
}

model::result<void> partition::open_dbs(bool create) {
  auto t = lmdb::txn::begin(env_, create);
  if (!t) return t.err();
  unsigned c = create ? MDB_CREATE : 0;
  auto info = t->open_db("info", c);
  auto blocks = t->open_db("blocks", c);
  auto bsum = t->open_db("bsum", c);
  auto idx = t->open_db("idx", c | MDB_DUPSORT | MDB_DUPFIXED);
  auto schemas = t->open_db("schemas", c);
  for (auto* r : {&info, &blocks, &bsum, &idx, &schemas}) {
    if (!*r) {
      return model::error{model::errc::corruption,
                          env_.dir().string() + ": not a partition: " + r->err().message};
    }
  }
  info_ = *info;
  blocks_ = *blocks;
  bsum_ = *bsum;
  idx_ = *idx;
  schemas_ = *schemas;
  // `sidx` (format 3) is created with every new partition; a format 2
  // partition has none until it is compacted into a new one.
  int rc = mdb_dbi_open(t->get(), "sidx", c, &sidx_);
  if (rc == 0) {
    has_sidx_ = true;
  } else if (rc != MDB_NOTFOUND) {
    return lmdb::to_error(rc, env_.dir().string() + ": database sidx");
  }
  // Committing (even a read transaction) keeps the handles open for the
  // environment's lifetime; an aborted transaction would close them.
  return t->commit();
}

partition_meta partition::meta() const {
  std::lock_guard lock(mu_);
  return meta_;
}

std::uint64_t partition::used_bytes() const {
  MDB_envinfo info{};
  MDB_stat st{};
  if (mdb_env_info(env_.get(), &info) != 0 || mdb_env_stat(env_.get(), &st) != 0) return 0;
  return (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
}

model::result<void> partition::write(std::vector<block_in>& blocks, std::uint64_t last_batch,
                                     const std::vector<std::shared_ptr<const model::schema>>& schemas,
                                     const partition_meta* extra) {
  // One writer at a time: a dictionary seal_blocks trains must be the one
  // stored with the blocks it sealed.
  std::lock_guard write_lock(write_mu_);
  std::shared_ptr<const block_dictionary> dict;
  std::string new_dict;
  const std::vector<std::string> sealed = seal_blocks(blocks, dict, new_dict);
  const int level = blocks.empty() ? 0 : blocks.front().level;
  // Keep a quarter of the map free, so that sealing (the key summary) and
  // LMDB's copy-on-write pages always fit: a partition that would go past
  // it is reported full before anything is written.
  std::uint64_t estimate = 4096 + new_dict.size();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    estimate += sealed[i].size() + 64 + 24 * blocks[i].keys.size();
  }
  if (map_bytes_ > 0 && used_bytes() + 2 * estimate > map_bytes_ / 4 * 3) {
    return model::error{model::errc::overloaded,
                        env_.dir().string() + ": partition full (map of " +
                            std::to_string(map_bytes_) + " bytes)"};
  }
  partition_meta m = meta();
  if (extra != nullptr) m = *extra;
  if (m.packed && m.blocks > 0 && !blocks.empty()) {
    return model::error{model::errc::invalid_argument,
                        env_.dir().string() + ": a packed partition is written once"};
  }
  // Record-level postings keep 24 bits for the block number.
  if (m.blocks + blocks.size() > max_partition_blocks) {
    return model::error{model::errc::overloaded,
                        env_.dir().string() + ": partition full (" + std::to_string(m.blocks) +
                            " blocks)"};
  }
  auto t = lmdb::txn::begin(env_, true);
  if (!t) return t.err();
  // Postings as (key id, value): each distinct key is hashed once and the
  // keys are ranked once, so the sort below compares integers.
  std::unordered_map<std::string_view, std::uint32_t> key_ids;
  std::vector<std::string_view> distinct;
  std::vector<std::uint64_t> postings;
  {
    std::size_t n = 0;
    for (const auto& b : blocks) n += b.keys.size();
    postings.reserve(n);
    key_ids.reserve(n / 4);
  }
  std::vector<std::string> new_schemas;
  {
    auto bc = lmdb::cursor::open(*t, blocks_);
    if (!bc) return bc.err();
    auto sc = lmdb::cursor::open(*t, bsum_);
    if (!sc) return sc.err();
    std::string sum;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const block_in& b = blocks[i];
      std::uint32_t n = m.blocks++;
      std::string key = block_key(n);
      if (extent_blocks_ == 0) {
        if (auto r = bc->put(key, sealed[i], MDB_APPEND); !r) return r.err();
      } else if (n % extent_blocks_ == 0) {
        // The extent starting here: this block and the ones after it, up
        // to extent_blocks_ (a packed partition is written once, from
        // block 0, so extents stay aligned).
        const std::size_t end = std::min(sealed.size(), i + (extent_blocks_ - n % extent_blocks_));
        std::vector<std::string_view> members(sealed.begin() + static_cast<std::ptrdiff_t>(i),
                                              sealed.begin() + static_cast<std::ptrdiff_t>(end));
        std::string extent;
        if (auto r = write_extent(extent, members); !r) return r.err();
        if (auto r = bc->put(key, extent, MDB_APPEND); !r) return r.err();
      }
      sum.clear();
      put_le64(sum, static_cast<std::uint64_t>(b.min_ts));
      put_le64(sum, static_cast<std::uint64_t>(b.max_ts));
      put_le32(sum, b.records);
      put_le32(sum, static_cast<std::uint32_t>(sealed[i].size()));
      put_le64(sum, last_batch);
      bloom ub = bloom::sized_for(b.uid_hashes.size(), std::size_t{1} << 16);
      for (auto h : b.uid_hashes) ub.add(h);
      ub.write(sum);
      if (auto r = sc->put(key, sum, MDB_APPEND); !r) return r.err();
      for (const auto& k : b.keys) {
        std::string_view index_key;
        std::uint32_t value = posting_of(k, n, &index_key);
        if (index_key.empty() || index_key.size() > 500) continue;  // LMDB's key limit is 511
        auto [it, fresh] = key_ids.try_emplace(index_key, static_cast<std::uint32_t>(distinct.size()));
        if (fresh) distinct.push_back(index_key);
        postings.push_back((std::uint64_t{it->second} << 32) | value);
      }
      m.min_ts = std::min(m.min_ts, b.min_ts);
      m.max_ts = std::max(m.max_ts, b.max_ts);
      m.events += b.weight;
      m.rows += b.records;
    }
  }
  // Index postings sorted, so LMDB sees them in key order (batched build):
  // key ids replaced by the keys' rank in byte order.
  {
    std::vector<std::uint32_t> order(distinct.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return distinct[a] < distinct[b]; });
    std::vector<std::uint32_t> rank(distinct.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
    for (auto& p : postings) p = (std::uint64_t{rank[p >> 32]} << 32) | (p & 0xffffffffu);
    {
      std::vector<std::uint64_t> scratch;
      radix_sort(postings, scratch);
    }
    postings.erase(std::unique(postings.begin(), postings.end()), postings.end());
    if (m.packed) {
      std::vector<std::string_view> sorted_keys(distinct.size());
      for (std::uint32_t i = 0; i < order.size(); ++i) sorted_keys[i] = distinct[order[i]];
      if (auto r = write_packed(*t, sorted_keys, postings); !r) return r.err();
      postings.clear();
    }
    // One put per key with all its postings of this commit (MDB_MULTIPLE):
    // LMDB descends the tree once per key instead of once per posting.
    auto ic = lmdb::cursor::open(*t, idx_);
    if (!ic) return ic.err();
    std::string vals;
    for (std::size_t i = 0; i < postings.size();) {
      const std::uint64_t key_rank = postings[i] >> 32;
      vals.clear();
      for (; i < postings.size() && postings[i] >> 32 == key_rank; ++i) {
        put_be32(vals, static_cast<std::uint32_t>(postings[i]));
      }
      if (auto r = ic->put_multiple(distinct[order[key_rank]], vals, 4); !r) return r.err();
    }
  }
  for (const auto& s : schemas) {
    std::string k = schema_key(*s);
    bool known;
    {
      std::lock_guard lock(mu_);
      known = std::find(stored_schemas_.begin(), stored_schemas_.end(), k) != stored_schemas_.end();
    }
    if (known) continue;
    auto bytes = model::encode_schema(*s);
    if (!bytes) return bytes.err();
    if (auto r = t->put(schemas_, k, *bytes); !r) return r.err();
    new_schemas.push_back(std::move(k));
  }
  m.last_batch = std::max(m.last_batch, last_batch);
  if (auto r = t->put(info_, meta_key, encode_meta(m)); !r) return r.err();
  if (!new_dict.empty()) {
    if (auto r = t->put(info_, dictionary_key, new_dict); !r) return r.err();
  }
  // Readers find the dictionary before the blocks that need it; taken
  // back if the commit fails (no other writer runs: write_mu_).
  std::shared_ptr<const block_dictionary> before;
  {
    std::lock_guard lock(mu_);
    before = dict_;
    if (level > 0 && dict) dict_ = dict;
  }
  if (auto r = t->commit(); !r) {
    std::lock_guard lock(mu_);
    dict_ = before;
    return r.err();
  }
  std::lock_guard lock(mu_);
  meta_ = std::move(m);
  for (auto& k : new_schemas) stored_schemas_.push_back(std::move(k));
  for (auto& b : blocks) uids_.insert(uids_.end(), b.uid_hashes.begin(), b.uid_hashes.end());
  return {};
}

model::result<void> partition::seal() {
  auto t = lmdb::txn::begin(env_, true);
  if (!t) return t.err();
  std::vector<std::uint64_t> hashes;
  if (auto r = each_key(*t, [&](std::string_view k) { hashes.push_back(stable_hash(k)); }); !r) {
    return r.err();
  }
  partition_meta m = meta();
  bool with_uids;
  {
    std::lock_guard lock(mu_);
    with_uids = uids_complete_;
    if (with_uids) {
      for (auto h : uids_) hashes.push_back(h ^ uid_salt);
    }
  }
  bloom b = bloom::sized_for(hashes.size());
  for (auto h : hashes) b.add(h);
  std::string sum;
  b.write(sum);
  m.sealed = true;
  m.summary_has_uids = with_uids;
  if (auto r = t->put(info_, summary_key, sum); !r) return r.err();
  if (auto r = t->put(info_, meta_key, encode_meta(m)); !r) return r.err();
  if (auto r = t->commit(); !r) return r.err();
  std::lock_guard lock(mu_);
  meta_ = std::move(m);
  summary_ = std::move(sum);
  uids_.clear();
  uids_.shrink_to_fit();
  return {};
}

}  // namespace coop::tm::detail
