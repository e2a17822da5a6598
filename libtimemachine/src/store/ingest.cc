// The ingest pipeline: append() applies the rules, encodes kept events into
// the filling group of their class and hands them to subscriptions; a group
// is cut into blocks, ordered by the cluster field, when it is full and at
// each commit; commit() writes the blocks into the class's open raw
// partition in one durable LMDB transaction each, rolling over to a new
// partition when the time window or the size limit is passed
// (docs/timemachine.md, "Ingest").
#include <algorithm>
#include <limits>

#include "block/block.h"
#include "coop/model/codec.h"
#include "block/endian.h"
#include "index/hash.h"
#include "store/store_impl.h"

namespace coop::tm::detail {

namespace {

// Largest event message the store takes: what its queries decode
// (model::decode_limits' default), far below a record's 256 MiB.
constexpr std::size_t max_event_bytes = model::decode_limits{}.max_message_bytes;

// An upper bound of the bytes `v` adds to an encoded event (a value of the
// binary format is at most 32 bytes besides its text; 64 is the margin).
// One switch a field: this runs for every appended event.
std::size_t encoded_bound(const model::value& v) {
  auto list = [](const std::vector<model::value>& xs) {
    std::size_t n = 64;
    for (const auto& x : xs) n += encoded_bound(x);
    return n;
  };
  switch (v.kind()) {
    case model::type_kind::string: return 64 + v.get<std::string>().size();
    case model::type_kind::bytes: return 64 + v.get<model::bytes>().data.size();
    case model::type_kind::enumeration: return 64 + v.get<model::enum_value>().label.size();
    case model::type_kind::set: return list(v.get<model::set_value>().elements);
    case model::type_kind::vector: return list(v.get<model::vector_value>().elements);
    case model::type_kind::table: {
      const auto& t = v.get<model::table_value>();
      return list(t.keys) + list(t.mapped);
    }
    case model::type_kind::record: return list(v.get<model::record_value>().fields);
    default: return 64;
  }
}

// Bytes of `e` encoded when it may be more than max_event_bytes (encoded
// to know), else 0. Events near the limit are rare; the bound is cheap.
std::size_t oversized_bytes(const model::event& e) {
  std::size_t bound = 1024 + e.type().name().size() + e.from.site.size() + e.from.sensor.size() +
                      e.uid.size();
  for (const auto& v : e.fields()) bound += encoded_bound(v);
  if (bound <= max_event_bytes) return 0;
  auto bytes = model::encode(e);
  if (!bytes) return 0;  // validate() decides
  return bytes->size() > max_event_bytes ? bytes->size() : 0;
}

std::int64_t floor_to(std::int64_t ts, std::int64_t span) {
  if (span <= 0) return ts;
  std::int64_t q = ts / span;
  if (ts % span != 0 && ts < 0) --q;
  return q * span;
}

}  // namespace

void store_impl::rebuild_routing() {
  class_of_type.clear();
  for (const auto& c : rules.classes()) {
    for (const auto& t : c.types) class_of_type[t] = c.name;
  }
  rules_project = std::any_of(rules.rules().begin(), rules.rules().end(),
                              [](const rule& r) { return r.action == rule_action::project; });
}

std::optional<std::size_t> store_impl::cluster_field_of(
    const std::shared_ptr<const model::schema>& s) {
  if (opts.cluster_field.empty()) return std::nullopt;
  for (const auto& [known, at] : cluster_at) {
    if (known == s) return at;
  }
  std::optional<std::size_t> at = s->index_of(opts.cluster_field);
  if (at && s->fields()[*at].ty.kind() != model::type_kind::address) at.reset();
  if (cluster_at.size() >= 64) cluster_at.clear();  // bounded
  cluster_at.emplace_back(s, at);
  return at;
}

void store_impl::cut_group(class_pending& cp) {
  filling_group& g = cp.group;
  const std::size_t n = g.records.size();
  if (n == 0) return;
  g.order.resize(n);
  for (std::size_t i = 0; i < n; ++i) g.order[i] = static_cast<std::uint32_t>(i);
  if (!opts.cluster_field.empty()) {
    std::stable_sort(g.order.begin(), g.order.end(), [&g](std::uint32_t x, std::uint32_t y) {
      const auto& a = g.records[x];
      const auto& b = g.records[y];
      if (a.unset != b.unset) return b.unset;
      if (a.hi != b.hi) return a.hi < b.hi;
      return a.lo < b.lo;
    });
  }
  const std::size_t per = std::max<std::size_t>(opts.block_events, 1);
  for (std::size_t i = 0; i < n; i += per) {
    const std::size_t end = std::min(n, i + per);
    block_in b;
    b.level = opts.compression_level;  // sealed (compressed) by the commit
    std::size_t bytes = 0;
    std::size_t uids = 0;
    for (std::size_t j = i; j < end; ++j) {
      bytes += g.records[g.order[j]].size;
      uids += g.records[g.order[j]].has_uid ? 1 : 0;
    }
    b.payload.reserve(bytes);
    b.uid_hashes.reserve(uids);
    b.min_ts = std::numeric_limits<std::int64_t>::max();
    b.max_ts = std::numeric_limits<std::int64_t>::min();
    g.seen.clear();
    for (std::size_t j = i; j < end; ++j) {
      const auto& r = g.records[g.order[j]];
      b.payload.append(g.buffer, r.begin, r.size);
      b.min_ts = std::min(b.min_ts, r.ts);
      b.max_ts = std::max(b.max_ts, r.ts);
      if (r.has_uid) b.uid_hashes.push_back(r.uid_hash);
      const auto record = static_cast<char>(j - i);
      for (std::uint32_t k = r.keys_begin; k < r.keys_end; ++k) {
        std::string& key = g.keys[k];
        if (key.size() >= 2 && record_level_kind(key[0])) {
          key.back() = record;  // the record's place in its new block
        } else if (key[0] == 't') {
          if (!g.seen.first_type(key)) continue;
        } else if (key[0] == 'p' && key.size() == 4) {
          const std::uint32_t code = std::uint32_t{static_cast<unsigned char>(key[1])} << 16 |
                                     std::uint32_t{static_cast<unsigned char>(key[2])} << 8 |
                                     static_cast<unsigned char>(key[3]);
          if (!g.seen.first_port(code)) continue;
        }
        b.keys.push_back(std::move(key));
      }
    }
    b.records = static_cast<std::uint32_t>(end - i);
    b.weight = b.records;
    cp.blocks.push_back(std::move(b));
  }
  g.buffer.clear();
  g.records.clear();
  g.keys.clear();
}

model::result<ingest_receipt> store_impl::append(std::span<const model::event> events) {
  if (opts.read_only) {
    return model::error{model::errc::unsupported, opts.root.string() + ": store is read-only"};
  }
  // Every event is checked before anything is queued: a batch is stored
  // whole or not at all.
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].has_type()) {
      return model::error{model::errc::invalid_argument,
                          "event " + std::to_string(i) + " of the batch has no type"};
    }
    if (auto r = events[i].validate(); !r) {
      return model::error{model::errc::invalid_argument,
                          "event " + std::to_string(i) + " of the batch (" +
                              events[i].type().name() + "): " + r.err().message};
    }
    if (const std::size_t n = oversized_bytes(events[i]); n != 0) {
      return model::error{model::errc::invalid_argument,
                          "event " + std::to_string(i) + " of the batch (" +
                              events[i].type().name() + ") encodes to " + std::to_string(n) +
                              " bytes, more than the " + std::to_string(max_event_bytes >> 20) +
                              " MiB an event may take"};
    }
  }
  // Types the store has not seen are learned; a schema object already
  // checked is recognised by pointer (the list keeps it alive, so the
  // pointer cannot be reused by another schema).
  {
    std::lock_guard lock(known_mu);
    for (const auto& e : events) {
      const auto& sp = e.schema_ptr();
      if (std::find(known_schemas.begin(), known_schemas.end(), sp) != known_schemas.end()) {
        continue;
      }
      const auto& s = *sp;
      auto snap = types_snapshot();
      auto known = snap->find(s.name(), s.version());
      if (!known || !(*known == s)) {
        if (auto r = learn(s); !r) return r.err();
      }
      if (known_schemas.size() >= 1024) known_schemas.clear();  // bounded
      known_schemas.push_back(sp);
    }
  }
  std::lock_guard lock(ingest_mu);
  ingest_receipt rc;
  rc.batch = ++next_batch;
  model::event scratch;
  std::vector<std::string> keys;
  for (const auto& original : events) {
    ++appended;
    const model::event* e = &original;
    if (rules_project) {
      scratch = original;
      e = &scratch;
    }
    // The reducer only modifies events for projection rules, and those
    // get a private copy above.
    auto& mutable_e = const_cast<model::event&>(*e);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    if (reduce->apply(mutable_e) == reducer::verdict::drop) {
      ++dropped;
      ++rc.dropped;
      continue;
    }
    auto it = class_of_type.find(e->type().name());
    const std::string& cls = it == class_of_type.end() ? std::string("default") : it->second;
    class_pending& cp = pending[cls];
    filling_group& g = cp.group;
    // An event of a later partition window starts a new group, so that no
    // block mixes two windows' events more than arrival order does.
    const std::int64_t span = opts.partition_span.ns;
    const std::int64_t window = span > 0 ? floor_to(e->ts.ns, span) : 0;
    if (!g.records.empty() && window > g.window) cut_group(cp);
    if (g.records.empty()) g.window = window;
    filling_group::record rec;
    rec.ts = e->ts.ns;
    rec.begin = g.buffer.size();
    // Validated above: only a bug can fail here.
    if (auto r = records.append(g.buffer, *e); !r) return r.err();
    rec.size = g.buffer.size() - rec.begin;
    rec.keys_begin = static_cast<std::uint32_t>(g.keys.size());
    index_keys(*e, index, 0, g.keys);
    rec.keys_end = static_cast<std::uint32_t>(g.keys.size());
    if (!e->uid.empty()) {
      rec.has_uid = true;
      rec.uid_hash = stable_hash(e->uid);
    }
    const auto& sp = e->schema_ptr();
    if (auto at = cluster_field_of(sp); at && *at < e->size()) {
      if (const auto* a = e->field(*at).get_if<model::address>()) {
        const std::string_view bytes(reinterpret_cast<const char*>(a->bytes().data()), 16);
        rec.unset = false;
        rec.hi = get_be64(bytes, 0);
        rec.lo = get_be64(bytes, 8);
      }
    }
    g.records.push_back(rec);
    if (std::find(cp.schemas.begin(), cp.schemas.end(), sp) == cp.schemas.end()) {
      cp.schemas.push_back(sp);
    }
    if (g.records.size() >= std::size_t{ingest_group_blocks} * opts.block_events ||
        g.buffer.size() >= group_bytes_limit) {
      cut_group(cp);
    }
    ++kept;
    ++rc.accepted;
    ++pending_events;
    deliver(*e);
  }
  return rc;
}

model::result<std::shared_ptr<partition>> store_impl::open_partition_for(const std::string& cls,
                                                                         std::int64_t ts) {
  partition_meta m;
  m.id = allocate_partition_id();
  m.class_name = cls;
  m.tier = "raw";
  m.window_start = floor_to(ts, opts.partition_span.ns);
  auto p = partition::create(parts_dir() / partition_dir_name(m.id), m, opts.partition_map_bytes);
  if (!p) return p.err();
  std::unique_lock lock(parts_mu);
  parts.push_back(*p);
  current[cls] = *p;
  return p;
}

model::result<void> store_impl::seal_or_retire(partition& p) {
  auto r = p.seal();
  // A partition too full even for its summary is retired unsealed: it stays
  // readable, only without the summary that skips it for absent keys.
  if (!r && r.err().code == model::errc::overloaded) return {};
  return r;
}

model::result<void> store_impl::write_class(const std::string& cls, class_pending& cp,
                                            std::uint64_t batch) {
  std::size_t i = 0;
  // Longest run written in one transaction; halved when a run does not
  // fit even an empty partition's map.
  std::size_t max_run = cp.blocks.size();
  while (i < cp.blocks.size()) {
    std::shared_ptr<partition> target;
    {
      std::shared_lock lock(parts_mu);
      auto it = current.find(cls);
      if (it != current.end()) target = it->second;
    }
    const block_in& first = cp.blocks[i];
    bool roll = false;
    if (target) {
      auto m = target->meta();
      std::int64_t span = opts.partition_span.ns;
      bool outside = first.min_ts >= m.window_start + span || first.max_ts < m.window_start - span;
      roll = outside || target->file_bytes() >= opts.partition_max_bytes;
      if (roll) {
        if (auto r = seal_or_retire(*target); !r) return r;
        target.reset();
      }
    }
    if (!target) {
      auto p = open_partition_for(cls, first.min_ts);
      if (!p) return p.err();
      target = *p;
    }
    // The run of blocks that fit this partition's window.
    auto m = target->meta();
    std::size_t j = i;
    while (j < cp.blocks.size() && cp.blocks[j].min_ts < m.window_start + opts.partition_span.ns &&
           cp.blocks[j].max_ts >= m.window_start - opts.partition_span.ns) {
      ++j;
    }
    if (j == i) j = i + 1;
    j = std::min(j, i + std::max<std::size_t>(1, max_run));
    std::vector<block_in> run(std::make_move_iterator(cp.blocks.begin() + static_cast<long>(i)),
                              std::make_move_iterator(cp.blocks.begin() + static_cast<long>(j)));
    auto r = target->write(run, batch, cp.schemas);
    if (!r && r.err().code == model::errc::overloaded && target->meta().blocks > 0) {
      // Map full: seal this partition and put the run in a fresh one.
      if (auto s = seal_or_retire(*target); !s) return s;
      auto p = open_partition_for(cls, run.front().min_ts);
      if (!p) return p.err();
      target = *p;
      r = target->write(run, batch, cp.schemas);
    }
    if (!r && r.err().code == model::errc::overloaded && run.size() > 1) {
      // Too big for one partition: put it back and write it in halves.
      std::move(run.begin(), run.end(), cp.blocks.begin() + static_cast<long>(i));
      max_run = run.size() / 2;
      continue;
    }
    if (!r) {
      // Put the run back so a later commit retries it.
      std::move(run.begin(), run.end(), cp.blocks.begin() + static_cast<long>(i));
      cp.blocks.erase(cp.blocks.begin(), cp.blocks.begin() + static_cast<long>(i));
      return r;
    }
    i = j;
  }
  cp.blocks.clear();
  return {};
}

model::result<std::uint64_t> store_impl::commit() {
  if (opts.read_only) return committed.load();
  std::unique_lock commit_lock(commit_mu);
  std::map<std::string, class_pending> work;
  std::uint64_t batch = 0;
  std::uint64_t events = 0;
  {
    std::lock_guard lock(ingest_mu);
    // The blocks and their schemas move to `work`; the filling groups stay,
    // keeping their buffers' capacity (a few MB a class: growing them again
    // after every commit cost 0.8 µs an event, in page faults mostly).
    for (auto& [cls, cp] : pending) {
      cut_group(cp);
      if (cp.blocks.empty()) continue;
      class_pending& w = work[cls];
      w.blocks.swap(cp.blocks);
      w.schemas.swap(cp.schemas);
    }
    batch = next_batch;
    events = pending_events;
    pending_events = 0;
  }
  model::result<void> failed;
  for (auto& [cls, cp] : work) {
    if (cp.blocks.empty()) continue;
    if (auto r = write_class(cls, cp, batch); !r) {
      failed = r;
      break;
    }
  }
  if (failed.ok()) {
    // Batches whose events were all dropped still count as committed.
    // The commit point: a batch is committed once this is durable. Blocks
    // written above without it are rolled back at the next open.
    if (batch > committed.load()) {
      if (auto r = save_setting("last_batch", std::to_string(batch)); !r) return r.err();
    }
    committed = std::max(committed.load(), batch);
    commit_lock.unlock();
    // Over the disk budget: expire now rather than at the next pass, so the
    // store never exceeds the budget by more than what one commit added.
    if (opts.disk_budget_bytes > 0 && disk_bytes() > opts.disk_budget_bytes) {
      if (auto r = expire(&stop_expiry); !r) {
        std::unique_lock lock(parts_mu);
        problems.push_back("expiry under the disk budget: " + r.err().message);
      }
    }
    // A partition sealed by this or an earlier commit is rewritten compact,
    // outside the commit lock (appends and other commits go on): by the
    // compactor thread, or here, one per commit, when the store runs no
    // threads (so that a commit() call never waits for a backlog, such as
    // a format 2 store just opened).
    request_compaction();
    return committed.load();
  }
  // Put back what was not written, ahead of anything appended since.
  std::lock_guard lock(ingest_mu);
  for (auto& [cls, cp] : work) {
    if (cp.blocks.empty()) continue;
    class_pending& dst = pending[cls];
    dst.blocks.insert(dst.blocks.begin(), std::make_move_iterator(cp.blocks.begin()),
                      std::make_move_iterator(cp.blocks.end()));
    for (const auto& s : cp.schemas) {
      if (std::find(dst.schemas.begin(), dst.schemas.end(), s) == dst.schemas.end()) {
        dst.schemas.push_back(s);
      }
    }
  }
  pending_events += events;
  return failed.err();
}

std::uint64_t store_impl::disk_bytes() const {
  std::uint64_t total = meta_env.file_bytes();
  for (const auto& p : snapshot()) total += p->file_bytes();
  return total;
}

void store_impl::start_threads() {
  if (opts.read_only) return;
  if (opts.expiry_interval.ns > 0) {
    expirer = std::thread([this] {
      std::unique_lock lock(bg_mu);
      while (!stopping) {
        bg_cv.wait_for(lock, std::chrono::nanoseconds(opts.expiry_interval.ns));
        if (stopping) break;
        lock.unlock();
        if (auto r = run_expiry(); !r) {
          std::unique_lock parts_lock(parts_mu);
          problems.push_back("background expiry: " + r.err().message);
        }
        lock.lock();
      }
    });
  }
  if (opts.commit_interval.ns <= 0) return;
  if (opts.compact_sealed) {
    compact_in_background = true;
    compactor = std::thread([this] {
      std::unique_lock lock(bg_mu);
      for (;;) {
        compact_cv.wait(lock, [this] { return stopping || compact_wanted; });
        if (stopping) break;
        compact_wanted = false;
        lock.unlock();
        // Every partition due, unless an expiry pass holds the lock (it
        // compacts at its end); stop_threads() interrupts between two.
        compact_sealed(false);
        lock.lock();
      }
    });
  }
  committer = std::thread([this] {
    std::unique_lock lock(bg_mu);
    while (!stopping) {
      bg_cv.wait_for(lock, std::chrono::nanoseconds(opts.commit_interval.ns));
      if (stopping) break;
      lock.unlock();
      (void)commit();  // a failure stays pending and is retried next time
      lock.lock();
    }
  });
}

void store_impl::stop_threads() {
  {
    std::lock_guard lock(bg_mu);
    stopping = true;
    stop_expiry = true;
  }
  bg_cv.notify_all();
  compact_cv.notify_all();
  if (committer.joinable()) committer.join();
  if (expirer.joinable()) expirer.join();
  if (compactor.joinable()) compactor.join();
}

void store_impl::request_compaction() {
  if (!compact_in_background) {
    compact_sealed(false, 1);
    return;
  }
  {
    std::lock_guard lock(bg_mu);
    compact_wanted = true;
  }
  compact_cv.notify_one();
}

}  // namespace coop::tm::detail
