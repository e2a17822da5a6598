// Ingest, sizes and host lookups, Coop against SQLite, on one stream of
// events: see timemachine_compare.h. The generator's time is excluded from
// every timed figure.
#include "timemachine_compare.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <thread>

#include "coop/model/catalogue.h"
#include "coop/tm/store.h"
#include "timemachine_sqlite.h"
#include "timemachine_zeek.h"

namespace coop::bench::tm {

namespace {

namespace m = coop::model;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

coop::tm::query_spec host_query(const m::address& host) {
  coop::tm::query_spec q;
  const std::string h = host.to_string();
  q.filter = "orig_h == " + h + " || resp_h == " + h;
  return q;
}

// Every event "orig_h == host || resp_h == host" returns, counted.
std::uint64_t coop_lookup(const coop::tm::store& s, const m::address& host,
                          std::uint64_t& checksum) {
  const coop::tm::query_spec q = host_query(host);
  auto c = expect(s.query(q), "query " + q.filter);
  std::uint64_t n = 0;
  for (;;) {
    const m::event* e = expect(c.next(), "cursor " + q.filter);
    if (e == nullptr) break;
    ++n;
    checksum += static_cast<std::uint64_t>(e->ts.ns) + e->size();
  }
  if (!c.warnings().empty()) die("query " + q.filter + ": " + c.warnings().front());
  return n;
}

// Appends `events` in batches; commits after every batch when asked, else
// leaves commits to the store's background thread. Ends with a commit, so
// everything timed is durable.
clocks ingest(coop::tm::store& s, std::span<const m::event> events, std::size_t batch,
              bool commit_each) {
  const auto t0 = clocks::now();
  for (std::size_t i = 0; i < events.size(); i += batch) {
    (void)expect(s.append(events.subspan(i, std::min(batch, events.size() - i))), "append");
    if (commit_each) (void)expect(s.commit(), "commit");
  }
  (void)expect(s.commit(), "commit");
  return clocks::now() - t0;
}

}  // namespace

compare_result run_compare(const compare_config& cfg, const m::registry& types) {
  compare_result out;
  coop::tm::store_options opts;  // the defaults, as the issue asks
  opts.root = cfg.dir / "coop";
  if (cfg.partition_max_bytes != 0) opts.partition_max_bytes = cfg.partition_max_bytes;
  auto s = expect(coop::tm::store::create(opts, types), "create " + opts.root.string());
  std::optional<sqlite_table> db(std::in_place, cfg.dir / "sqlite.db", types,
                                 std::vector<std::string>{
                                     std::string(m::catalogue::connection_end),
                                     std::string(m::catalogue::dns_request),
                                     std::string(m::catalogue::dns_reply),
                                     std::string(m::catalogue::http_request)},
                                 cfg.sqlite_cache_mib);
  zeek_tsv_writer tsv(cfg.dir / "zeek", types);

  campus_config cc;
  cc.seed = cfg.seed;
  campus_traffic gen(types, cc);
  // ~1,300 connections (~1,900 events) a second: a busy campus border.
  gen.set_clock(m::timestamp{1714521600LL * 1'000'000'000}, m::interval{750'000});

  {
    // The compared part, in memory, so that nothing but ingest is timed
    // (the store's background commits run while it is).
    std::vector<m::event> events;
    auto t0 = clocks::now();
    gen.generate(cfg.compared_events, events);
    out.generate_s += (clocks::now() - t0).wall;
    std::fprintf(stderr, "ingesting %zu events: Coop (default options)...\n", events.size());
    out.coop_compared = ingest(s, events, cfg.batch, false);
    std::fprintf(stderr, "  %.0f events/s; Coop (commit() after every batch)...\n",
                 static_cast<double>(events.size()) / std::max(out.coop_compared.wall, 1e-9));
    {
      coop::tm::store_options o2 = opts;
      o2.root = cfg.dir / "coop-each-batch";
      auto s2 = expect(coop::tm::store::create(o2, types), "create " + o2.root.string());
      out.coop_each_batch = ingest(s2, events, cfg.batch, true);
    }
    std::filesystem::remove_all(cfg.dir / "coop-each-batch");
    std::fprintf(stderr, "  %.0f events/s; SQLite (six indexes)...\n",
                 static_cast<double>(events.size()) / std::max(out.coop_each_batch.wall, 1e-9));
    for (std::size_t i = 0; i < events.size(); i += cfg.batch) {
      const std::span<const m::event> b(events.data() + i, std::min(cfg.batch, events.size() - i));
      t0 = clocks::now();
      db->insert(b);
      out.sqlite_compared += clocks::now() - t0;
    }
    std::fprintf(stderr, "  %.0f rows/s\n",
                 static_cast<double>(events.size()) / std::max(out.sqlite_compared.wall, 1e-9));
    tsv.write(events);
  }

  // The rest: generated a chunk at a time (too many to hold in memory);
  // Coop ingests each chunk as above (background commits, a commit() at
  // the end of the chunk), SQLite without its indexes.
  constexpr std::size_t chunk_batches = 16;
  std::vector<m::event> chunk;
  std::size_t done = cfg.compared_events;
  std::size_t next_report = done + std::max<std::size_t>((cfg.events - done) / 5, 1);
  if (done < cfg.events) {
    std::fprintf(stderr, "storing %zu more events (SQLite without indexes, then CREATE INDEX)\n",
                 cfg.events - done);
    db->drop_indexes();
  }
  const auto fill_t0 = clocks::now();
  while (done < cfg.events) {
    const std::size_t n = std::min(cfg.batch * chunk_batches, cfg.events - done);
    chunk.clear();
    auto t0 = clocks::now();
    gen.generate(n, chunk);
    out.generate_s += (clocks::now() - t0).wall;
    out.coop_fill += ingest(s, chunk, cfg.batch, false);
    for (std::size_t i = 0; i < chunk.size(); i += cfg.batch) {
      const std::span<const m::event> b(chunk.data() + i, std::min(cfg.batch, chunk.size() - i));
      t0 = clocks::now();
      db->insert(b);
      out.sqlite_bulk_s += (clocks::now() - t0).wall;
    }
    tsv.write(chunk);
    done += n;
    if (done >= next_report || done == cfg.events) {
      std::fprintf(stderr, "  %zu events: Coop %.0f/s\n", done,
                   static_cast<double>(done - cfg.compared_events) /
                       std::max(out.coop_fill.wall, 1e-9));
      next_report += std::max<std::size_t>((cfg.events - cfg.compared_events) / 5, 1);
    }
  }
  if (cfg.compared_events < cfg.events) {
    // The compactor rewrites the partitions the fill sealed on its own
    // thread, partly while the generator or SQLite runs. Wait for it (the
    // wait counts as Coop's time), then charge Coop the main thread's CPU
    // inside its calls plus all other threads' CPU over the whole fill:
    // the generator, SQLite and the TSV writer run on the main thread only.
    const auto w0 = clocks::now();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    while (s.stats().uncompacted_sealed > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (const auto left = s.stats().uncompacted_sealed; left > 0) {
      std::fprintf(stderr, "WARNING: %llu sealed partitions still not compacted after 10 min\n",
                   static_cast<unsigned long long>(left));
    }
    out.coop_fill.wall += (clocks::now() - w0).wall;
    const auto fill = clocks::now() - fill_t0;
    out.coop_fill.process_cpu = out.coop_fill.thread_cpu + (fill.process_cpu - fill.thread_cpu);
  }
  if (cfg.compared_events < cfg.events) {
    const auto t0 = clocks::now();
    db->create_indexes();
    out.sqlite_index_s = (clocks::now() - t0).wall;
  }
  db->checkpoint();
  tsv.finish();
  out.counts = gen.counts();
  const auto st = s.stats();
  out.stored = st.kept;
  out.coop_bytes = st.bytes;
  for (const auto& c : st.classes) {
    for (const auto& t : c.tiers) out.coop_partitions += t.partitions;
  }
  // The planner's estimate for all events reads every block: their stored
  // (compressed) bytes, without the index and the LMDB overhead.
  out.coop_block_bytes = expect(s.estimate(coop::tm::query_spec{}), "estimate").bytes_read;
  out.sqlite_bytes = db->bytes();
  out.tsv_bytes = tsv.bytes();
  out.tsv_rows = tsv.rows();
  std::fprintf(stderr,
               "stored %zu events: Coop %.1f MB in %llu partitions, SQLite %.1f MB, Zeek TSV "
               "%.1f MB (%llu rows)\n",
               done, static_cast<double>(out.coop_bytes) / 1e6,
               static_cast<unsigned long long>(out.coop_partitions),
               static_cast<double>(out.sqlite_bytes) / 1e6,
               static_cast<double>(out.tsv_bytes) / 1e6,
               static_cast<unsigned long long>(out.tsv_rows));

  std::fprintf(stderr, "looking up %zu hosts on both sides...\n", cfg.lookups);
  prng r(cfg.seed ^ 0x100c0u);
  double spent_ms = 0;
  std::vector<m::address> hosts;
  for (std::size_t i = 0; i < cfg.lookups; ++i) {
    if (cfg.lookup_seconds > 0 && i >= 10 && spent_ms > cfg.lookup_seconds * 1e3) {
      std::fprintf(stderr, "  stopped after %zu lookups: the time limit of %.0f s is reached\n",
                   i, cfg.lookup_seconds);
      break;
    }
    const m::address host = gen.lookup_host(r, cfg.absent_share);
    hosts.push_back(host);
    // What the planner expects to read (not timed).
    const auto est = expect(s.estimate(host_query(host)), "estimate");
    out.scanned.push_back(est.events_scanned);
    out.blocks.push_back(est.blocks);
    auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t coop = coop_lookup(s, host, out.checksum);
    out.coop_ms.push_back(ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    const std::uint64_t sql = db->lookup_host(host, out.checksum);
    out.sqlite_ms.push_back(ms_since(t0));
    spent_ms += out.coop_ms.back() + out.sqlite_ms.back();
    out.matches.push_back(coop);
    if (coop == 0 && sql == 0) ++out.absent;
    if (coop != sql) {
      if (++out.mismatches <= 10) {
        std::fprintf(stderr, "FAILURE: lookup of %s: Coop returned %llu events, SQLite %llu\n",
                     host.to_string().c_str(), static_cast<unsigned long long>(coop),
                     static_cast<unsigned long long>(sql));
      }
    }
  }

  // The steady state: a running store holds one open partition per class
  // and many sealed ones, rewritten compact. Sealing now measures that
  // form (and how long the rewrite takes); the same hosts are then looked
  // up again on the sealed store and must give the same counts.
  std::fprintf(stderr, "sealing the store (compact rewrite)...\n");
  const auto seal_t0 = clocks::now();
  if (auto sealed_ok = s.seal(); !sealed_ok) die("seal: " + sealed_ok.err().message);
  out.coop_seal = clocks::now() - seal_t0;
  const auto sealed = s.stats();
  out.coop_sealed_bytes = sealed.bytes;
  for (const auto& c : sealed.classes) {
    for (const auto& t : c.tiers) out.coop_sealed_partitions += t.partitions;
  }
  std::fprintf(stderr, "sealed in %.2f s: Coop %.1f MB in %llu partitions; looking up the %zu "
               "hosts again...\n",
               out.coop_seal.wall, static_cast<double>(out.coop_sealed_bytes) / 1e6,
               static_cast<unsigned long long>(out.coop_sealed_partitions), hosts.size());
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    std::uint64_t ignored = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t n = coop_lookup(s, hosts[i], ignored);
    out.coop_sealed_ms.push_back(ms_since(t0));
    if (n != out.matches[i]) {
      if (++out.mismatches <= 10) {
        std::fprintf(stderr, "FAILURE: lookup of %s after sealing: %llu events, before %llu\n",
                     hosts[i].to_string().c_str(), static_cast<unsigned long long>(n),
                     static_cast<unsigned long long>(out.matches[i]));
      }
    }
  }
  return out;
}

}  // namespace coop::bench::tm
