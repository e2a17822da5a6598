// Compaction: a sealed raw partition rewritten as a new partition holding
// the same blocks (or the same records clustered by host: cluster.cc) and a
// packed index, without the free pages that LMDB's copy-on-write left in
// the old file (docs/timemachine.md, "Compaction on seal", "Clustering").
#include <algorithm>
#include <map>

#include "block/endian.h"
#include "index/bloom.h"
#include "index/chunk.h"
#include "index/hash.h"
#include "partition/extent.h"
#include "partition/partition.h"

namespace coop::tm::detail {

namespace {

// Copies every entry of database `from` (read in `rt`) into `to` (written
// in `wt`) in key order, with MDB_APPEND.
model::result<void> copy_db(const lmdb::txn& rt, MDB_dbi from, lmdb::txn& wt, MDB_dbi to) {
  auto rc = lmdb::cursor::open(rt, from);
  if (!rc) return rc.err();
  auto wc = lmdb::cursor::open(wt, to);
  if (!wc) return wc.err();
  std::string_view k, v;
  for (auto more = rc->move(MDB_FIRST, &k, &v);; more = rc->move(MDB_NEXT, &k, &v)) {
    if (!more) return more.err();
    if (!*more) break;
    if (auto r = wc->put(k, v, MDB_APPEND); !r) return r.err();
  }
  return {};
}

// Copies the blocks of `from` (one per key, numbered from 0 without gaps)
// into extents of `per` blocks in `to`. Errors: corruption naming `where`
// for a gap or a damaged key, and those of LMDB.
model::result<void> copy_blocks(const lmdb::txn& rt, MDB_dbi from, lmdb::txn& wt, MDB_dbi to,
                                std::uint32_t per, const std::string& where) {
  auto rc = lmdb::cursor::open(rt, from);
  if (!rc) return rc.err();
  auto wc = lmdb::cursor::open(wt, to);
  if (!wc) return wc.err();
  std::vector<std::string_view> members;
  std::string extent, key;
  std::uint32_t next = 0;
  auto flush = [&]() -> model::result<void> {
    if (members.empty()) return {};
    extent.clear();
    if (auto r = write_extent(extent, members); !r) return r;
    key.clear();
    put_be32(key, next - static_cast<std::uint32_t>(members.size()));
    members.clear();
    return wc->put(key, extent, MDB_APPEND);
  };
  std::string_view k, v;
  for (auto more = rc->move(MDB_FIRST, &k, &v);; more = rc->move(MDB_NEXT, &k, &v)) {
    if (!more) return more.err();
    if (!*more) break;
    if (k.size() != 4 || get_be32(k, 0) != next) {
      return model::error{model::errc::corruption,
                          where + ": block #" + std::to_string(next) + " is missing"};
    }
    members.push_back(v);  // valid until the read transaction ends
    ++next;
    if (next % per == 0) {
      if (auto r = flush(); !r) return r;
    }
  }
  return flush();
}

}  // namespace

model::result<std::shared_ptr<partition>> partition::compact(const partition& src,
                                                             const std::filesystem::path& dir,
                                                             std::uint64_t id,
                                                             std::uint64_t map_bytes,
                                                             const compact_options& how) {
  partition_meta m = src.meta();
  if (m.packed) {
    return model::error{model::errc::invalid_argument,
                        src.dir().string() + ": already compact (packed index)"};
  }
  partition_meta nm = m;
  nm.id = id;
  nm.replaces = m.id;
  nm.complete = false;
  nm.packed = true;
  nm.extent_blocks = default_extent_blocks;
  const bool cluster =
      !how.cluster_field.empty() && m.tier == "raw" && m.blocks > 0 && src.dictionary() != nullptr;
  if (cluster) nm.clustered_on = how.cluster_field;
  auto created = create(dir, nm, map_bytes);
  if (!created) return created.err();
  std::shared_ptr<partition> np = std::move(created.value());
  // Written in one transaction; whatever fails leaves an incomplete
  // partition, removed here (and by recovery if the process dies first).
  auto filled = [&]() -> model::result<void> {
    auto rt = lmdb::txn::begin(src.env_, false);
    if (!rt) return rt.err();
    auto wt = lmdb::txn::begin(np->env_, true);
    if (!wt) return wt.err();
    // Clustered: the new posting of every record, and the blocks of every
    // block-level key (type, port), which cannot be mapped from the old ones.
    record_moves moved_to;
    std::map<std::string, std::vector<std::uint32_t>> block_keys;
    if (cluster) {
      auto n = cluster_into(src, *rt, *np, *wt, how.cluster_field, how.level, moved_to,
                            block_keys);
      if (!n) return n.err();
      nm.blocks = *n;
    } else {
      if (auto r = copy_blocks(*rt, src.blocks_, *wt, np->blocks_, nm.extent_blocks,
                               src.dir().string());
          !r) {
        return r;
      }
      if (auto r = copy_db(*rt, src.bsum_, *wt, np->bsum_); !r) return r;
    }
    if (auto r = copy_db(*rt, src.schemas_, *wt, np->schemas_); !r) return r;
    if (auto d = rt->get(src.info_, dictionary_key)) {
      if (auto r = wt->put(np->info_, dictionary_key, *d); !r) return r;
    }
    std::string summary;
    {
      std::lock_guard lock(src.mu_);
      summary = src.summary_;
    }
    // The index: every key's postings in order (DUPSORT gives them
    // sorted), re-cut into chunks. Key hashes are kept for a summary when
    // src has none.
    const bool need_summary = summary.empty();
    std::vector<std::uint64_t> hashes;
    {
      auto ic = lmdb::cursor::open(*rt, src.idx_);
      if (!ic) return ic.err();
      auto sc = lmdb::cursor::open(*wt, np->sidx_);
      if (!sc) return sc.err();
      chunk_writer w;
      std::vector<std::uint32_t> values;
      auto flush = [&]() -> model::result<void> {
        while (w.ready()) {
          auto [k, v] = w.take();
          if (auto r = sc->put(k, v, MDB_APPEND); !r) return r;
        }
        return {};
      };
      std::string_view k, v;
      for (auto more = ic->move(MDB_FIRST, &k, &v);; more = ic->move(MDB_NEXT_NODUP, &k, &v)) {
        if (!more) return more.err();
        if (!*more) break;
        values.clear();
        auto n = ic->count();
        if (!n) return n.err();
        if (*n <= 1) {
          if (v.size() == 4) values.push_back(get_be32(v));
        } else {
          std::string_view dk, dv;
          for (auto page = ic->move(MDB_GET_MULTIPLE, &dk, &dv);;
               page = ic->move(MDB_NEXT_MULTIPLE, &dk, &dv)) {
            if (!page) return page.err();
            if (!*page) break;
            for (std::size_t i = 0; i + 4 <= dv.size(); i += 4) values.push_back(get_be32(dv, i));
          }
        }
        if (cluster && !k.empty()) {
          if (record_level_kind(k[0])) {
            std::size_t kept = 0;
            for (auto p : values) {
              const std::uint32_t q = moved_to(p);
              if (q != ~std::uint32_t{0}) values[kept++] = q;
            }
            values.resize(kept);
            std::sort(values.begin(), values.end());
            values.erase(std::unique(values.begin(), values.end()), values.end());
          } else {
            auto it = block_keys.find(std::string(k));
            values.clear();
            if (it != block_keys.end()) values = it->second;
          }
        }
        if (values.empty() || k.empty() || k.size() > chunk_max_key) continue;
        if (need_summary) hashes.push_back(stable_hash(k));
        w.add(k, values);
        if (auto r = flush(); !r) return r;
      }
      w.finish();
      if (auto r = flush(); !r) return r;
    }
    if (need_summary) {
      // An unsealed source (retired when its map was full): its keys are
      // summarised now; its uids are only in the block summaries.
      bloom b = bloom::sized_for(hashes.size());
      for (auto h : hashes) b.add(h);
      b.write(summary);
      nm.summary_has_uids = false;
    }
    if (auto r = wt->put(np->info_, "summary", summary); !r) return r;
    // The commit point: complete and sealed, with everything above.
    nm.complete = true;
    nm.sealed = true;
    if (auto r = wt->put(np->info_, "meta", encode_meta(nm)); !r) return r;
    return wt->commit();
  }();
  if (!filled) {
    np.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return filled.err();
  }
  np.reset();
  // Opened afresh: the object loads the meta, summary and dictionary that
  // were just written.
  return open(dir, map_bytes, false);
}

}  // namespace coop::tm::detail
