// Rolling a raw partition back to a commit point (crash recovery).
#include <algorithm>

#include "block/block.h"
#include "block/endian.h"
#include "block/record.h"
#include "coop/model/codec.h"
#include "partition/partition.h"

namespace coop::tm::detail {

model::result<void> partition::truncate_after(std::uint64_t batch, const model::registry& types,
                                              const index_config& cfg) {
  auto sums = summaries();
  if (!sums) return sums.err();
  auto t = lmdb::txn::begin(env_, true);
  if (!t) return t.err();
  partition_meta m = meta();
  std::string raw;
  std::vector<std::string> keys;
  model::event e;
  for (auto it = sums->rbegin(); it != sums->rend() && it->batch > batch; ++it) {
    std::string k;
    put_be32(k, it->number);
    auto stored = t->get(blocks_, k);
    // A packed index (written once, at compaction) keeps its postings: a
    // posting of a removed block only costs a wasted read.
    if (stored && !m.packed &&
        open_block(*stored, env_.dir().string(), raw, dictionary().get())) {
      keys.clear();
      std::size_t pos = 0;
      stored_record r;
      record_reader reader;
      for (std::uint32_t record = 0; pos < raw.size() && record < max_block_records; ++record) {
        if (next_record(raw, pos, r) != nullptr) break;
        if (reader.decode(r, types, e)) {
          index_keys(e, cfg, static_cast<std::uint8_t>(record), keys);
        }
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      for (const auto& tagged : keys) {
        std::string_view key;
        std::string value;
        put_be32(value, posting_of(tagged, it->number, &key));
        MDB_val kv = lmdb::as_val(key);
        MDB_val dv = lmdb::as_val(value);
        int rc = mdb_del(t->get(), idx_, &kv, &dv);
        if (rc != 0 && rc != MDB_NOTFOUND) return lmdb::to_error(rc, env_.dir().string());
      }
    }
    // A posting left behind by an unreadable block only costs a wasted
    // read: queries check every event they return.
    if (auto r = t->del(blocks_, k); !r) return r;
    if (auto r = t->del(bsum_, k); !r) return r;
    m.blocks = std::min(m.blocks, it->number);
    m.rows -= std::min<std::uint64_t>(m.rows, it->records);
    m.events -= std::min<std::uint64_t>(m.events, it->records);
  }
  m.min_ts = std::numeric_limits<std::int64_t>::max();
  m.max_ts = std::numeric_limits<std::int64_t>::min();
  for (const auto& s : *sums) {
    if (s.batch > batch) continue;
    m.min_ts = std::min(m.min_ts, s.min_ts);
    m.max_ts = std::max(m.max_ts, s.max_ts);
  }
  m.last_batch = batch;
  if (auto r = t->put(info_, "meta", encode_meta(m)); !r) return r;
  if (auto r = t->commit(); !r) return r;
  std::lock_guard lock(mu_);
  meta_ = std::move(m);
  return {};
}

}  // namespace coop::tm::detail
