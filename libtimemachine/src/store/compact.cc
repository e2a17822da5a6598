// Compaction on seal: a sealed raw partition is rewritten into a new,
// compact partition that replaces it (docs/timemachine.md, "Compaction on
// seal"). The rewrite runs after a commit's commit point or at the end of
// an expiry pass, never under the ingest or commit locks: appends and
// commits go on while a partition is copied.
#include <algorithm>

#include "store/store_impl.h"

namespace coop::tm::detail {

namespace {

// zstd level of the frames a clustering rewrite compresses again (when the
// store compresses at all; at least its compression_level). The rewrite
// runs once per partition, off the ingest path: in --quick, level 3 made
// the sealed store 2.3% smaller than level 1 for 6% more sealing CPU
// (level 5: 5.1% for 47%; docs/performance.md, "Compaction level").
constexpr int clustered_compression_level = 3;

}  // namespace

void store_impl::compact_sealed(bool wait, std::size_t most) {
  if (opts.read_only) return;
  std::unique_lock lock(expiry_mu, std::defer_lock);
  if (wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;  // the running pass compacts at its end
  }
  compact_due(most);
}

void store_impl::compact_due(std::size_t most) {
  if (!opts.compact_sealed || opts.read_only) return;
  std::size_t done = 0;
  for (const auto& p : snapshot()) {
    if (done >= most || stop_expiry) return;  // the store is closing
    auto m = p->meta();
    // Sealed or retired raw partitions whose every batch is committed (a
    // partition holding uncommitted blocks may still be rolled back at the
    // next open). The open partitions are `current`.
    if (m.tier != "raw" || m.packed || !m.complete || m.blocks == 0 ||
        m.last_batch > committed.load() || compact_failed.count(m.id) != 0) {
      continue;
    }
    {
      std::shared_lock lock(parts_mu);
      bool open =
          std::any_of(current.begin(), current.end(), [&](const auto& c) { return c.second == p; });
      if (open) continue;
    }
    const std::uint64_t id = allocate_partition_id();
    compact_options how;
    how.cluster_field = opts.cluster_field;
    how.level = opts.compression_level > 0
                    ? std::max(opts.compression_level, clustered_compression_level)
                    : 0;
    auto np = partition::compact(*p, parts_dir() / partition_dir_name(id), id,
                                 opts.partition_map_bytes, how);
    if (!np) {
      // Left as it is (still correct, only larger); not retried before the
      // next open. A full disk or map is not a problem worth reporting.
      compact_failed.insert(m.id);
      if (np.err().code != model::errc::io && np.err().code != model::errc::overloaded) {
        std::unique_lock lock(parts_mu);
        problems.push_back("compaction of " + p->dir().string() + ": " + np.err().message);
      }
      continue;
    }
    {
      // New queries see the new partition from here on; a cursor planned
      // before keeps reading the old one, which stays mapped until released.
      std::unique_lock lock(parts_mu);
      auto it = std::find(parts.begin(), parts.end(), p);
      if (it != parts.end()) {
        *it = *np;
      } else {
        parts.push_back(*np);
      }
    }
    drop_partition(p);
    ++done;
  }
}

model::result<void> store_impl::seal_open() {
  if (opts.read_only) {
    return model::error{model::errc::unsupported, opts.root.string() + ": store is read-only"};
  }
  std::lock_guard commit_lock(commit_mu);
  std::unique_lock lock(parts_mu);
  for (auto it = current.begin(); it != current.end();) {
    if (it->second->meta().blocks > 0) {
      if (auto r = it->second->seal(); !r && r.err().code != model::errc::overloaded) return r;
      it = current.erase(it);
    } else {
      ++it;
    }
  }
  return {};
}

}  // namespace coop::tm::detail

namespace coop::tm {

model::result<void> store::seal() {
  if (auto r = commit(); !r) return r.err();
  if (auto r = impl_->seal_open(); !r) return r;
  impl_->compact_sealed(true);
  return {};
}

}  // namespace coop::tm
