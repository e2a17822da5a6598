// The retention experiment (see timemachine_retention.h): a calibration
// store measures one raw day, the budget is a multiple of it, then the two
// stores live through the simulated days side by side.
#include "timemachine_retention.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <span>

#include "coop/tm/store.h"
#include "timemachine_bench.h"
#include "timemachine_workload.h"

namespace coop::bench::tm {

namespace {

namespace m = coop::model;
using coop::tm::store;
using coop::tm::store_options;

constexpr std::int64_t day_ns = 86'400LL * 1'000'000'000;
constexpr std::int64_t first_day = 1704067200LL * 1'000'000'000;  // 2024-01-01T00:00:00Z

class fake_clock final : public m::clock {
 public:
  [[nodiscard]] m::timestamp now() const override { return m::timestamp{now_.load()}; }
  void set(m::timestamp t) { now_ = t.ns; }

 private:
  std::atomic<std::int64_t> now_{first_day};
};

constexpr const char* class_line = "class conn types connection_end\n";

// The example tiers, with the raw period shortened to one day.
constexpr const char* tier_lines =
    "tier conn raw 1d\n"
    "tier conn hourly every 1h until 14d key orig_h, resp_h, resp_p, ip_proto "
    "sum orig_bytes, resp_bytes, orig_pkts, resp_pkts, duration\n"
    "tier conn daily every 1d until 2y key orig_h, resp_p "
    "sum orig_bytes, resp_bytes, orig_pkts, resp_pkts, duration\n";

store open_store(const std::filesystem::path& root, const fake_clock& clock,
                 std::uint64_t budget, const std::string& rules, const m::registry& types,
                 bool compact_sealed) {
  store_options o;
  o.root = root;
  o.compact_sealed = compact_sealed;
  o.clock = &clock;
  o.disk_budget_bytes = budget;
  // One partition per simulated day on both sides: the raw tier is a day,
  // and expiry works on whole partitions.
  o.partition_span = m::interval::seconds(86400);
  auto s = expect(store::create(o, types), "create " + root.string());
  check(s.set_rules(rules), "set_rules on " + root.string());
  return s;
}

void ingest(store& s, std::span<const m::event> events, std::size_t batch,
            retention_side* side) {
  const auto t0 = clocks::now();
  for (std::size_t i = 0; i < events.size(); i += batch) {
    const auto n = std::min(batch, events.size() - i);
    (void)expect(s.append(events.subspan(i, n)), "retention append");
    (void)expect(s.commit(), "retention commit");
  }
  if (side != nullptr) {
    const auto t = clocks::now() - t0;
    side->ingest_s += t.wall;
    side->ingest_cpu_s += t.process_cpu;
  }
}

void expire(store& s, retention_side& side) {
  const auto t0 = clocks::now();
  const auto r = expect(s.expire(), "expire");
  const auto t = clocks::now() - t0;
  side.expire_s += t.wall;
  side.expire_cpu_s += t.process_cpu;
  side.partitions_aggregated += r.partitions_aggregated;
  side.partitions_dropped += r.partitions_dropped;
  side.events_aggregated += r.events_aggregated;
}

// Which days still answer, and at which resolution.
void survey(const store& s, std::size_t days, retention_side& side) {
  side.day_resolution.assign(days, "");
  for (std::size_t d = 0; d < days; ++d) {
    coop::tm::query_spec q;
    q.range.from = m::timestamp{first_day + static_cast<std::int64_t>(d) * day_ns};
    q.range.to = m::timestamp{q.range.from.ns + day_ns};
    const auto c = expect(s.count(q), "count day " + std::to_string(d));
    if (c.events == 0) continue;
    ++side.days_answerable;
    const coop::tm::resolution* finest = nullptr;
    for (const auto& [res, n] : c.by_tier) {
      if (n > 0 && (finest == nullptr || res.bucket < finest->bucket)) finest = &res;
    }
    side.day_resolution[d] = finest != nullptr ? finest->tier : "?";
  }
  const auto st = s.stats();
  side.final_bytes = st.bytes;
  for (const auto& c : st.classes) {
    for (const auto& t : c.tiers) {
      if (t.partitions > 0) side.tiers.push_back({t.tier, t.partitions, t.bytes, t.rows, t.events});
    }
  }
}

}  // namespace

retention_result run_retention(const retention_config& cfg, const m::registry& types) {
  retention_result out;
  out.rules = std::string(class_line) + tier_lines;
  // The population shrinks with the daily volume, so that a host makes
  // about as many connections a day as at full scale (more keys per
  // aggregate row would flatter aggregation).
  campus_config cc;
  cc.seed = cfg.seed;
  cc.connections_only = true;
  cc.internal_hosts = std::clamp<std::size_t>(cfg.day_events / 100, 20, 20'000);
  cc.external_servers = std::clamp<std::size_t>(cfg.day_events / 400, 20, 5'000);
  out.hosts = cc.internal_hosts;
  out.servers = cc.external_servers;
  const auto gap = m::interval{day_ns / static_cast<std::int64_t>(cfg.day_events) * 98 / 100};

  std::vector<m::event> day;
  fake_clock clock;
  {
    // Calibration: how many bytes one raw day takes.
    campus_config cal = cc;
    cal.seed = cfg.seed ^ 0xca11b;
    campus_traffic gen(types, cal);
    gen.set_clock(m::timestamp{first_day - day_ns}, gap);
    gen.generate(cfg.day_events, day);
    store s = open_store(cfg.dir / "calibration", clock, 0, class_line, types, cfg.compact_sealed);
    const auto empty = s.stats().bytes;
    ingest(s, day, cfg.batch, nullptr);
    out.day_bytes = s.stats().bytes - empty;
  }
  std::filesystem::remove_all(cfg.dir / "calibration");
  out.budget_bytes = static_cast<std::uint64_t>(cfg.budget_days * static_cast<double>(out.day_bytes));
  std::fprintf(stderr,
               "retention: %zu days of %zu connections (%zu hosts, %zu servers); one raw day "
               "takes %.1f MB, budget %.1f MB\n",
               cfg.days, cfg.day_events, cc.internal_hosts, cc.external_servers,
               static_cast<double>(out.day_bytes) / 1e6, static_cast<double>(out.budget_bytes) / 1e6);

  store agg = open_store(cfg.dir / "aggregation", clock, out.budget_bytes, out.rules, types,
                         cfg.compact_sealed);
  store raw = open_store(cfg.dir / "discard", clock, out.budget_bytes, class_line, types,
                         cfg.compact_sealed);
  campus_traffic gen(types, cc);
  for (std::size_t d = 0; d < cfg.days; ++d) {
    const m::timestamp start{first_day + static_cast<std::int64_t>(d) * day_ns};
    gen.set_clock(start, gap);
    day.clear();
    gen.generate(cfg.day_events, day);
    clock.set(gen.now());
    ingest(agg, day, cfg.batch, &out.aggregation);
    ingest(raw, day, cfg.batch, &out.discard);
    out.aggregation.max_bytes_before_expiry =
        std::max(out.aggregation.max_bytes_before_expiry, agg.stats().bytes);
    out.discard.max_bytes_before_expiry =
        std::max(out.discard.max_bytes_before_expiry, raw.stats().bytes);
    clock.set(m::timestamp{start.ns + day_ns});
    expire(agg, out.aggregation);
    expire(raw, out.discard);
    const auto ab = agg.stats().bytes, rb = raw.stats().bytes;
    out.aggregation.max_bytes = std::max(out.aggregation.max_bytes, ab);
    out.discard.max_bytes = std::max(out.discard.max_bytes, rb);
    if ((d + 1) % 10 == 0 || d + 1 == cfg.days) {
      std::fprintf(stderr, "  day %3zu: aggregation store %7.1f MB, discard store %7.1f MB\n",
                   d + 1, static_cast<double>(ab) / 1e6, static_cast<double>(rb) / 1e6);
    }
  }
  survey(agg, cfg.days, out.aggregation);
  survey(raw, cfg.days, out.discard);
  return out;
}

}  // namespace coop::bench::tm
