// Aggregation-based expiry (docs/timemachine.md, "Expiry"). One pass:
//  1. by age: a partition older than its tier's `until` is folded into the
//     next tier (or dropped after the last one);
//  2. by budget: while the store (or a class) is over its budget, the
//     oldest partition of the lowest-precedence class is folded early, or
//     dropped when it is in the last tier.
// Folding partition P into tier t writes a NEW aggregate partition N that
// holds P's rows merged with those of the existing partition E of the same
// window, in one transaction that also records N.sources = E.sources + P
// and N.replaces = E. Pinned raw events of P go to a companion raw
// partition C first. Only then are P and E deleted. A crash at any point
// leaves either the old state (N incomplete: discarded at open) or the new
// one (N complete: open deletes P and E, and completes C), never both.
#include <algorithm>
#include <map>

#include "aggregate/aggregate.h"
#include "block/block.h"
#include "index/hash.h"
#include "partition/extent.h"
#include "query/plan.h"
#include "store/store_impl.h"

namespace coop::tm::detail {

namespace {

// zstd level of aggregate blocks (see to_blocks).
constexpr int aggregate_compression_level = 9;

struct step_result {
  bool done = false;            // the partition was folded or dropped
  std::uint64_t aggregated = 0;
  std::uint64_t pinned = 0;
  std::uint64_t freed = 0;
};

bool pinned(const model::event& e, const std::vector<pin>& pins) {
  for (const auto& p : pins) {
    if (!p.range.contains(e.ts)) continue;
    if (!p.hosts) return true;
    for (const auto& v : e.fields()) {
      if (const auto* a = v.get_if<model::address>(); a != nullptr && p.hosts->contains(*a)) {
        return true;
      }
    }
  }
  return false;
}

std::int64_t window_of(std::int64_t ts, std::int64_t size) {
  std::int64_t q = ts / size;
  if (ts % size != 0 && ts < 0) --q;
  return q * size;
}

}  // namespace

struct expiry {
  store_impl& s;
  std::vector<pin> pins;
  rule_set rules;
  model::timestamp now;
  record_writer records;

  std::shared_ptr<const model::registry> registry_of(const partition& p) {
    auto m = p.meta();
    if (m.tier == "raw") return s.types_snapshot();
    auto reg = std::make_shared<model::registry>();
    if (auto schemas = p.schemas()) {
      for (auto& sc : *schemas) (void)reg->add(std::move(sc));
    }
    return reg;
  }

  // Calls f(event) for every readable record of `p`.
  template <class F>
  model::result<void> each_event(const std::shared_ptr<partition>& p, F&& f) {
    plan pl;
    pl.now = now;
    tier_filter tf;
    tf.types = registry_of(*p);
    tf.match = model::filter::compile("T", *tf.types).value();
    tf.usable = true;
    pl.tiers.push_back(std::move(tf));
    auto sums = p->summaries();
    if (!sums) return sums.err();
    scan_scratch scratch;
    std::vector<std::string> warnings;
    for (const auto& b : *sums) {
      candidate c{p, b.number, b.min_ts, b.max_ts, b.records, b.stored_bytes, 0, {}};
      scratch.raw.clear();
      scan_block(pl, c, scratch, warnings, f);
    }
    std::lock_guard lock(s.parts_mu);
    for (auto& w : warnings) s.problems.push_back("expiry: " + w);
    return {};
  }

  // Encodes `events` into blocks for a new partition.
  model::result<std::vector<block_in>> to_blocks(const std::vector<model::event>& events,
                                                 bool aggregate_rows) {
    std::vector<block_in> out;
    filling_block fb;
    std::uint64_t weight = 0;
    auto flush = [&] {
      if (fb.records == 0) return;
      block_in b;
      b.payload = std::move(fb.payload);
      // Aggregates are written once and kept for months: they get a
      // harder zstd level than raw blocks (unless blocks are stored
      // uncompressed), which buys retention under the disk budget.
      b.level = aggregate_rows && s.opts.compression_level > 0
                    ? std::max(s.opts.compression_level, aggregate_compression_level)
                    : s.opts.compression_level;
      // One frame per aggregate block: it compresses far better than
      // 8-record frames, and aggregates are read by block, rarely by record.
      if (aggregate_rows) b.frame_records = static_cast<std::uint16_t>(max_block_records);
      b.records = fb.records;
      b.weight = weight;
      b.min_ts = fb.min_ts;
      b.max_ts = fb.max_ts;
      b.keys = std::move(fb.keys);
      b.uid_hashes = std::move(fb.uids);
      out.push_back(std::move(b));
      fb = filling_block{};
      weight = 0;
    };
    model::event row;  // an aggregate row without its id (derived again when read)
    for (const auto& e : events) {
      const model::event* to_store = &e;
      if (aggregate_rows) {
        row = e;
        row.id = {};
        to_store = &row;
      }
      if (fb.records == 0) fb.min_ts = fb.max_ts = e.ts.ns;
      fb.min_ts = std::min(fb.min_ts, e.ts.ns);
      fb.max_ts = std::max(fb.max_ts, e.ts.ns);
      if (auto r = records.append(fb.payload, *to_store); !r) return r.err();
      index_keys(e, s.index, static_cast<std::uint8_t>(fb.records), fb.keys, &fb.block_keys);
      ++fb.records;
      if (!e.uid.empty()) fb.uids.push_back(stable_hash(e.uid));
      weight += aggregate_rows ? weight_of(e, resolution{"agg", {}}) : 1;
      if (fb.records >= s.opts.block_events) flush();
    }
    flush();
    return out;
  }

  std::shared_ptr<partition> find_window(const std::string& cls, const std::string& tier_name,
                                         std::int64_t window) {
    std::shared_lock lock(s.parts_mu);
    for (const auto& p : s.parts) {
      auto m = p->meta();
      if (m.class_name == cls && m.tier == tier_name && m.window_start == window && m.complete) {
        return p;
      }
    }
    return nullptr;
  }

  void forget(const std::shared_ptr<partition>& p, std::uint64_t& freed) {
    freed += p->file_bytes();
    {
      std::unique_lock lock(s.parts_mu);
      s.parts.erase(std::remove(s.parts.begin(), s.parts.end(), p), s.parts.end());
    }
    s.drop_partition(p);
  }

  // Folds `p` into tier `t` (the tier after p's).
  model::result<step_result> fold(const std::shared_ptr<partition>& p, const tier& t) {
    step_result res;
    auto m = p->meta();
    // A tier's partitions hold 24 buckets, at most a week (but at least a
    // bucket and a raw partition's span): the budget drops whole
    // partitions, so a daily tier in 24-day partitions lost 24 days at once.
    constexpr std::int64_t week = std::int64_t{7} * 86400 * 1'000'000'000;
    std::int64_t wsize = std::max({std::min(t.bucket.ns * 24, week), t.bucket.ns,
                                   s.opts.partition_span.ns});
    std::int64_t window = window_of(m.min_ts, wsize);
    auto existing = find_window(m.class_name, t.name, window);
    model::registry agg_types;
    aggregator agg(t, agg_types);
    std::vector<model::event> kept_raw;
    bool raw = m.tier == "raw";
    std::uint64_t folded = 0;
    model::result<void> bad;
    auto r = each_event(p, [&](const model::event& e) {
      if (!bad.ok()) return;
      if (raw && pinned(e, pins)) {
        kept_raw.push_back(e);
        return;
      }
      if (auto a = agg.add(e); !a) bad = a;
      folded += raw ? 1 : weight_of(e, resolution{"agg", {}});
    });
    if (!r) return r.err();
    if (!bad.ok()) return bad.err();
    if (folded == 0 && !kept_raw.empty()) return res;  // all pinned: stays as it is
    if (existing) {
      auto e = each_event(existing, [&](const model::event& row) {
        if (bad.ok()) {
          if (auto a = agg.add(row); !a) bad = a;
        }
      });
      if (!e) return e.err();
      if (!bad.ok()) return bad.err();
    }
    auto rows = agg.take();
    // Companion for pinned events.
    std::shared_ptr<partition> companion;
    if (!kept_raw.empty()) {
      partition_meta cm;
      cm.id = s.allocate_partition_id();
      cm.class_name = m.class_name;
      cm.tier = "raw";
      cm.window_start = m.window_start;
      cm.complete = false;
      cm.sealed = true;
      cm.packed = true;  // written once
      cm.extent_blocks = default_extent_blocks;
      auto cp = partition::create(s.parts_dir() / partition_dir_name(cm.id), cm,
                                  s.opts.partition_map_bytes);
      if (!cp) return cp.err();
      companion = *cp;
      auto blocks = to_blocks(kept_raw, false);
      if (!blocks) return blocks.err();
      std::vector<std::shared_ptr<const model::schema>> schemas;
      for (const auto& e : kept_raw) {
        if (std::find(schemas.begin(), schemas.end(), e.schema_ptr()) == schemas.end()) {
          schemas.push_back(e.schema_ptr());
        }
      }
      if (auto w = companion->write(*blocks, m.last_batch, schemas); !w) return w.err();
      res.pinned = kept_raw.size();
    }
    partition_meta nm;
    nm.id = s.allocate_partition_id();
    nm.class_name = m.class_name;
    nm.tier = t.name;
    nm.bucket_ns = t.bucket.ns;
    nm.window_start = window;
    nm.sealed = true;
    nm.complete = false;
    nm.packed = true;  // written once: the index goes straight into chunks
    nm.extent_blocks = default_extent_blocks;
    // Row ids are row_id(t, row_key): a 128-bit hash, 16 incompressible
    // bytes of a row of about 50, so they are derived again when read.
    // (The info record lists the keys comma-separated: a name with a comma
    // or a line break, which the rules parser never yields, keeps ids.)
    nm.derived_ids = std::none_of(t.keys.begin(), t.keys.end(), [](const std::string& k) {
      return k.empty() || k.find_first_of(",\n") != std::string::npos;
    });
    if (nm.derived_ids) nm.row_keys = t.keys;
    nm.last_batch = m.last_batch;
    if (existing) {
      auto em = existing->meta();
      nm.sources = em.sources;
      nm.replaces = em.id;
      nm.last_batch = std::max(nm.last_batch, em.last_batch);
    }
    nm.sources.push_back(m.id);
    nm.companion = companion ? companion->meta().id : 0;
    auto np = partition::create(s.parts_dir() / partition_dir_name(nm.id), nm,
                                s.opts.partition_map_bytes);
    if (!np) return np.err();
    auto blocks = to_blocks(rows, true);
    if (!blocks) return blocks.err();
    auto schemas = agg_types.newest();
    partition_meta done = (*np)->meta();
    done.complete = true;
    // The commit point: N becomes complete with its sources in one transaction.
    if (auto w = (*np)->write(*blocks, nm.last_batch, schemas, &done); !w) return w.err();
    if (auto sealed = (*np)->seal(); !sealed) return sealed.err();
    if (companion) {
      auto cm = companion->meta();
      cm.complete = true;
      std::vector<block_in> none;
      if (auto w = companion->write(none, cm.last_batch, {}, &cm); !w) return w.err();
      (void)companion->seal();
    }
    {
      std::unique_lock lock(s.parts_mu);
      s.parts.push_back(*np);
      if (companion) s.parts.push_back(companion);
    }
    forget(p, res.freed);
    if (existing) forget(existing, res.freed);
    res.done = true;
    res.aggregated = raw ? folded : 0;
    return res;
  }

  model::result<step_result> drop(const std::shared_ptr<partition>& p) {
    step_result res;
    forget(p, res.freed);
    res.done = true;
    return res;
  }

  // The tier index of partition meta `m` within `tiers` (0 = raw).
  static std::size_t tier_index(const partition_meta& m, const class_tiers& tiers) {
    for (std::size_t i = 0; i < tiers.tiers.size(); ++i) {
      if (tiers.tiers[i].name == m.tier) return i;
    }
    return 0;
  }

  // Folds or drops `p` one step down its class's tiers.
  model::result<step_result> advance(const std::shared_ptr<partition>& p) {
    auto m = p->meta();
    auto tiers = rules.tiers_of(m.class_name);
    std::size_t i = tier_index(m, tiers);
    if (i + 1 < tiers.tiers.size()) return fold(p, tiers.tiers[i + 1]);
    return drop(p);
  }

  bool is_current(const std::shared_ptr<partition>& p) {
    std::shared_lock lock(s.parts_mu);
    for (const auto& [cls, cur] : s.current) {
      if (cur == p) return true;
    }
    return false;
  }

  // Partitions that may be expired now, oldest first.
  std::vector<std::shared_ptr<partition>> candidates() {
    std::vector<std::shared_ptr<partition>> out;
    for (const auto& p : s.snapshot()) {
      auto m = p->meta();
      if (!m.complete || is_current(p)) continue;
      out.push_back(p);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->meta().max_ts < b->meta().max_ts; });
    return out;
  }

  std::uint64_t bytes_of(const std::string* cls) {
    std::uint64_t total = cls == nullptr ? s.meta_env.file_bytes() : 0;
    for (const auto& p : s.snapshot()) {
      if (cls == nullptr || p->meta().class_name == *cls) total += p->file_bytes();
    }
    return total;
  }
};

}  // namespace coop::tm::detail

namespace coop::tm::detail {

model::result<expiry_report> store_impl::expire(const std::atomic<bool>* stop) {
  expiry_report rep;
  if (opts.read_only) {
    return model::error{model::errc::unsupported, "store is read-only: no expiry"};
  }
  std::lock_guard one_pass(expiry_mu);
  std::vector<pin> pins_now;
  rule_set rules_now;
  {
    std::lock_guard lock(rules_mu);
    pins_now = pin_list;
    rules_now = rules;
  }
  detail::expiry x{*this, std::move(pins_now), std::move(rules_now), now(), record_writer()};
  auto stopped = [&] { return stop != nullptr && stop->load(); };
  auto account = [&](const detail::step_result& r) {
    if (!r.done) return;
    if (r.aggregated > 0 || r.pinned > 0) ++rep.partitions_aggregated;
    ++rep.partitions_dropped;
    rep.events_aggregated += r.aggregated;
    rep.events_pinned += r.pinned;
    rep.bytes_freed += r.freed;
  };
  // Seal an open partition whose data is all older than its raw age, so
  // that it can expire although ingest of its class stopped. Under the
  // commit lock: a commit may be writing into it.
  {
    std::lock_guard commit_lock(commit_mu);
    std::unique_lock parts_lock(parts_mu);
    for (auto it = current.begin(); it != current.end();) {
      auto m = it->second->meta();
      auto until = x.rules.tiers_of(m.class_name).tiers.front().until;
      if (until.ns > 0 && m.rows > 0 && m.max_ts < (x.now - until).ns) {
        if (auto r = it->second->seal(); !r) return r.err();
        it = current.erase(it);
      } else {
        ++it;
      }
    }
  }
  // 1. By age, until nothing is due: a partition folded into a tier may
  // already be past that tier's age too.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& p : x.candidates()) {
      if (stopped()) {
        rep.interrupted = true;
        return rep;
      }
      auto m = p->meta();
      auto tiers = x.rules.tiers_of(m.class_name);
      std::size_t i = detail::expiry::tier_index(m, tiers);
      const auto& until = tiers.tiers[i].until;
      if (until.ns <= 0 || m.max_ts >= (x.now - until).ns) continue;
      auto r = x.advance(p);
      if (!r) return r.err();
      account(*r);
      changed |= r->done;
    }
  }
  // 2. By budget: per class, then global (lowest precedence first).
  std::vector<storage_class> classes = x.rules.classes();
  std::stable_sort(classes.begin(), classes.end(),
                   [](const auto& a, const auto& b) { return a.precedence < b.precedence; });
  auto over = [&](const std::string* cls, std::uint64_t budget) {
    return budget > 0 && x.bytes_of(cls) > budget;
  };
  // One step under a budget for class `only` (all classes when null):
  // the oldest partition that can still be folded into a coarser tier is
  // folded; only when none can, the oldest partition is dropped. So data
  // is summarised before anything is thrown away.
  auto relieve = [&](const std::string* only) -> model::result<bool> {
    for (int dropping = 0; dropping < 2; ++dropping) {
      for (const auto& c : classes) {
        if (only != nullptr && c.name != *only) continue;
        auto tiers = x.rules.tiers_of(c.name);
        for (const auto& p : x.candidates()) {
          auto m = p->meta();
          if (m.class_name != c.name) continue;
          bool last = detail::expiry::tier_index(m, tiers) + 1 >= tiers.tiers.size();
          if (last != (dropping == 1)) continue;
          auto r = x.advance(p);
          if (!r) return r.err();
          account(*r);
          if (r->done) return true;
        }
      }
    }
    return false;
  };
  for (const auto& c : classes) {
    while (over(&c.name, c.budget_bytes)) {
      if (stopped()) {
        rep.interrupted = true;
        return rep;
      }
      auto progress = relieve(&c.name);
      if (!progress) return progress.err();
      if (!*progress) break;
    }
  }
  while (over(nullptr, opts.disk_budget_bytes)) {
    if (stopped()) {
      rep.interrupted = true;
      return rep;
    }
    auto progress = relieve(nullptr);
    if (!progress) return progress.err();
    if (!*progress) break;
  }
  // 3. What is sealed and still raw is rewritten compact.
  if (!stopped()) compact_due();
  return rep;
}

model::result<void> store_impl::run_expiry() {
  auto r = expire(&stop_expiry);
  if (!r) return r.err();
  return {};
}

}  // namespace coop::tm::detail

namespace coop::tm {

model::result<expiry_report> store::expire(const std::atomic<bool>* stop) {
  return impl_->expire(stop);
}

}  // namespace coop::tm
