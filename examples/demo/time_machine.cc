#include "time_machine.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "coop/tm/store.h"

namespace coop::demo {

namespace {

// The demo's "now": a settable clock, so expiry can be shown without waiting
// days.
class demo_clock final : public model::clock {
 public:
  explicit demo_clock(model::timestamp t) : now_(t) {}
  [[nodiscard]] model::timestamp now() const override { return now_; }
  void set(model::timestamp t) { now_ = t; }

 private:
  model::timestamp now_;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "coop-demo: time machine: %s\n", what.c_str());
  return 1;
}

std::uint64_t count(const tm::store& s, const char* filter) {
  tm::query_spec q;
  q.filter = filter;
  auto n = s.count(q);
  return n ? n->events : 0;
}

}  // namespace

int time_machine_step(const std::vector<model::event>& events, const model::registry& reg) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("coop-demo-tm-" + std::to_string(::getpid()));
  fs::remove_all(root);
  demo_clock clock(events.back().ts + model::interval::seconds(60));
  tm::store_options opts;
  opts.root = root;
  opts.clock = &clock;
  auto s = tm::store::create(opts, reg);
  if (!s) return fail(s.err().to_string());
  auto rules = s->set_rules(
      "class connections types connection_end\n"
      "tier connections raw 1d\n"
      "tier connections hourly every 1h until 30d key orig_h,resp_h,resp_p sum orig_bytes,resp_bytes\n");
  if (!rules) return fail(rules.err().to_string());
  auto receipt = s->append(events);
  if (!receipt) return fail(receipt.err().to_string());
  auto committed = s->commit();
  if (!committed) return fail(committed.err().to_string());
  std::printf("8. Time machine (%s): batch %llu of %llu events committed durably\n",
              root.c_str(), static_cast<unsigned long long>(receipt->batch),
              static_cast<unsigned long long>(receipt->accepted));

  std::string host = events.front().get("orig_h")->to_string();
  std::string filter = "orig_h == " + host + " || resp_h == " + host;
  tm::query_spec q;
  q.filter = filter;
  auto est = s->estimate(q);
  if (!est) return fail(est.err().to_string());
  std::printf("   Everything %s did: plan before running: %s\n", host.c_str(), est->plan.c_str());
  auto c = s->query(q);
  if (!c) return fail(c.err().to_string());
  std::size_t n = 0;
  while (true) {
    auto e = c->next();
    if (!e) return fail(e.err().to_string());
    if (*e == nullptr) break;
    ++n;
  }
  std::printf("   ... %zu events, oldest first\n", n);
  auto groups = s->group_by({}, {"resp_p"});
  if (!groups) return fail(groups.err().to_string());
  std::printf("   By responder port:");
  for (std::size_t i = 0; i < groups->size() && i < 4; ++i) {
    std::printf(" %s=%llu", (*groups)[i].key[0].to_string().c_str(),
                static_cast<unsigned long long>((*groups)[i].events));
  }
  std::printf("\n");

  // Two days later: raw data past its tier is folded into hourly rows.
  std::uint64_t before = count(*s, "");
  clock.set(clock.now() + model::interval::seconds(2 * 86400));
  auto rep = s->expire();
  if (!rep) return fail(rep.err().to_string());
  std::uint64_t after = count(*s, "");
  tm::query_spec hourly;
  hourly.filter = filter;
  auto h = s->query(hourly);
  if (!h) return fail(h.err().to_string());
  auto first = h->next();
  std::string resolution = first && *first ? h->current_resolution().tier : "none";
  std::printf("   Two days later, expiry folded %llu raw events into hourly aggregates;\n"
              "   the store still answers for %llu of %llu events, now at resolution '%s'\n",
              static_cast<unsigned long long>(rep->events_aggregated),
              static_cast<unsigned long long>(after), static_cast<unsigned long long>(before),
              resolution.c_str());
  bool ok = after == before && resolution == "hourly";
  fs::remove_all(root);
  if (!ok) return fail("expiry changed the counts or the resolution");
  return 0;
}

}  // namespace coop::demo
