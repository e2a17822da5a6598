// The time machine benchmark's workload: a campus network's traffic as
// catalogue events, generated on demand from a seed (ten million events do
// not fit in memory at once). Most events are connection_end; DNS
// connections also give a dns_request and usually a dns_reply, plain HTTP
// connections an http_request, all sharing the connection's uid. Internal
// hosts (10.0.0.0/16) are active with a Zipf-like distribution, external
// servers popular with another; ports follow a border sensor's mix; byte
// counts and durations are log-normal; timestamps increase with jitter.
// A generator is not thread-safe; the same seed gives the same events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/event.h"
#include "coop/model/schema.h"

namespace coop::bench::tm {

/// splitmix64: small, fast and defined bit for bit, so that the workload is
/// the same on every platform (std distributions are not).
class prng {
 public:
  explicit prng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next();
  /// Uniform in [0, n).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// True with probability p.
  bool chance(double p) { return unit() < p; }
  /// exp(N(mu, sigma)): a log-normal value.
  double log_normal(double mu, double sigma);

 private:
  std::uint64_t s_;
};

/// Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s.
class zipf {
 public:
  zipf(std::size_t n, double s);
  std::size_t draw(prng& r) const;
  [[nodiscard]] std::size_t size() const noexcept { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

/// What the generated network looks like.
struct campus_config {
  std::uint64_t seed = 20240501;
  std::size_t internal_hosts = 20'000;  ///< clients, inside 10.0.0.0/16
  std::size_t external_servers = 5'000;
  double host_skew = 0.9;    ///< Zipf exponent of host activity
  double server_skew = 1.0;  ///< Zipf exponent of server popularity
  double inbound_share = 0.08;  ///< connections opened from outside to a host
  /// Only connection_end events (the retention experiment).
  bool connections_only = false;
};

/// Counts of what was generated.
struct traffic_counts {
  std::uint64_t connection_end = 0, dns_request = 0, dns_reply = 0, http_request = 0;
  [[nodiscard]] std::uint64_t total() const {
    return connection_end + dns_request + dns_reply + http_request;
  }
};

/// A stream of campus traffic events.
class campus_traffic {
 public:
  /// `types` must hold the catalogue; it must outlive the generator.
  campus_traffic(const model::registry& types, const campus_config& cfg);

  /// Restarts the clock at `start`; connections then open on average every
  /// `mean_gap` (uniform jitter of +-50%).
  void set_clock(model::timestamp start, model::interval mean_gap);

  /// Appends exactly `n` events to `out` (the events of a connection may
  /// straddle two calls).
  void generate(std::size_t n, std::vector<model::event>& out);

  /// A host to look up, drawn like the traffic: an internal host by its
  /// activity, a server by its popularity, or (`absent_share` of the time)
  /// an address of 10.0.0.0/16 that never appears.
  model::address lookup_host(prng& r, double absent_share) const;

  [[nodiscard]] const traffic_counts& counts() const noexcept { return counts_; }
  [[nodiscard]] model::timestamp now() const noexcept { return now_; }

 private:
  struct server {
    model::address addr;
    std::uint16_t port;
    model::transport proto;
    const char* service;  // nullptr: none detected
  };
  void connection();
  bool add_connection_end(const model::address& oh, const model::port& op,
                          const model::address& rh, const model::port& rp, const char* service,
                          const std::string& uid);
  void add_dns(const model::address& oh, const model::port& op, const model::address& rh,
               const model::port& rp, const std::string& uid);
  void add_http(const model::address& oh, const model::port& op, const model::address& rh,
                const model::port& rp, std::size_t server_index, const std::string& uid);
  std::string uid();
  model::event make(const std::shared_ptr<const model::schema>& s, model::timestamp ts,
                    const std::string& uid);

  campus_config cfg_;
  prng r_;
  std::vector<std::size_t> at_;        // field positions, see the enum in the .cc
  std::vector<std::string> names_;     // DNS names by popularity rank
  zipf name_pick_;
  model::id_generator ids_;
  std::shared_ptr<const model::schema> conn_, dns_req_, dns_rep_, http_req_;
  std::vector<model::address> hosts_;   // by activity rank
  std::vector<model::address> absent_;  // in 10.0.0.0/16, never used
  std::vector<server> servers_;         // by popularity rank (all services)
  std::vector<std::vector<std::size_t>> by_service_;  // server indexes per service
  std::vector<zipf> service_pick_;      // Zipf over by_service_[i]
  zipf host_pick_;
  model::timestamp now_{};
  model::interval gap_{};
  std::vector<model::event> queue_;  // generated, not yet handed out
  std::size_t queue_pos_ = 0;
  traffic_counts counts_;
};

}  // namespace coop::bench::tm
