// Campus traffic for the time machine benchmark. The numbers (port mix,
// state mix, sizes) are those of a university border sensor's conn.log, to
// the precision a benchmark needs: what matters is that addresses, ports
// and uids have realistic cardinalities and skew, because that is what the
// indexes, the compression and the aggregation tiers see.
#include "timemachine_workload.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <set>
#include <string>
#include <string_view>

#include "coop/model/catalogue.h"
#include "coop/model/community_id.h"
#include "coop/model/value.h"

namespace coop::bench::tm {

using model::address;
using model::interval;
using model::port;
using model::timestamp;
using model::transport;
using model::value;

std::uint64_t prng::next() {
  std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double prng::log_normal(double mu, double sigma) {
  // Box-Muller; the second normal of the pair is thrown away for simplicity.
  const double u1 = std::max(unit(), 1e-300);
  const double u2 = unit();
  const double n = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  return std::exp(mu + sigma * n);
}

zipf::zipf(std::size_t n, double s) : cdf_(std::max<std::size_t>(n, 1)) {
  double sum = 0;
  for (std::size_t k = 0; k < cdf_.size(); ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
    cdf_[k] = sum;
  }
  for (auto& c : cdf_) c /= sum;
}

std::size_t zipf::draw(prng& r) const {
  const double u = r.unit();
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cdf_.begin()), cdf_.size() - 1);
}

namespace {

// One service of the outbound traffic: its port, its share of connections
// and its share of the external servers.
struct service_mix {
  std::uint16_t port;  // 0: each server listens on its own random high port
  transport proto;
  const char* service;
  double traffic;
  double servers;
};

constexpr service_mix services[] = {
    {443, transport::tcp, "ssl", 0.44, 0.50},   {53, transport::udp, "dns", 0.22, 0.008},
    {80, transport::tcp, "http", 0.14, 0.24},   {22, transport::tcp, "ssh", 0.03, 0.04},
    {25, transport::tcp, "smtp", 0.02, 0.03},   {123, transport::udp, "ntp", 0.04, 0.006},
    {993, transport::tcp, "ssl", 0.02, 0.02},   {8080, transport::tcp, "http", 0.02, 0.04},
    {3389, transport::tcp, nullptr, 0.01, 0.016}, {0, transport::tcp, nullptr, 0.04, 0.08},
    {0, transport::udp, nullptr, 0.02, 0.02},
};
constexpr std::size_t service_count = std::size(services);

// Ports scanners and remote users try on internal hosts.
constexpr std::uint16_t inbound_ports[] = {22, 443, 80, 3389, 445, 23, 8080, 5900};

struct tcp_outcome {
  const char* state;
  const char* history;
  bool answered;
  double weight;
};

constexpr tcp_outcome tcp_outcomes[] = {
    {"SF", "ShADadFf", true, 0.62}, {"SF", "ShADadfF", true, 0.08}, {"S0", "S", false, 0.10},
    {"REJ", "Sr", false, 0.05},     {"RSTO", "ShADadR", true, 0.05}, {"RSTR", "ShADadr", true, 0.04},
    {"SH", "ShAF", true, 0.03},     {"OTH", "CC", false, 0.03},
};

constexpr std::string_view alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "zen", "bri", "cor",
                                     "dan", "fel", "gra", "hub", "ix", "jo", "qua", "sto", "wex", "yl"};
constexpr const char* tlds[] = {".com", ".net", ".org", ".edu", ".io", ".de", ".cn", ".ru"};
constexpr const char* agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "curl/7.88.1",
    "Debian APT-HTTP/1.3 (2.6.1)",
    "Microsoft-CryptoAPI/10.0",
};

std::string random_chars(prng& r, std::string_view alphabet, std::size_t n) {
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[r.below(alphabet.size())];
  return s;
}

address public_v4(prng& r) {
  for (;;) {
    const auto a = static_cast<std::uint32_t>(r.next());
    const auto first = a >> 24;
    if (first != 10 && first != 0 && first != 127 && first != 172 && first != 192 &&
        first < 224) {
      return address::v4(a);
    }
  }
}

address public_v6(prng& r) {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0x2a;
  b[1] = static_cast<std::uint8_t>(r.below(16));
  for (int i = 2; i < 16; ++i) b[i] = static_cast<std::uint8_t>(r.below(256));
  return address::v6(b);
}

std::string domain_name(std::uint64_t n) {
  // A name per popularity rank, the same for every run.
  prng r(n * 7919 + 17);
  std::string s = r.chance(0.6) ? "www." : (r.chance(0.5) ? "cdn." : "api.");
  const auto parts = 2 + r.below(2);
  for (std::uint64_t i = 0; i < parts; ++i) s += syllables[r.below(std::size(syllables))];
  s += std::to_string(n % 97);
  s += tlds[r.below(std::size(tlds))];
  return s;
}

// Positions of the fields the generator sets, in campus_traffic::at_.
enum field : std::size_t {
  c_service, c_duration, c_orig_bytes, c_resp_bytes, c_conn_state, c_missed_bytes, c_history,
  c_orig_pkts, c_orig_ip_bytes, c_resp_pkts, c_resp_ip_bytes, c_ip_proto, c_local_orig,
  c_local_resp, c_community_id,
  q_trans_id, q_query, q_qclass, q_qclass_name, q_qtype, q_qtype_name, q_rd,
  a_trans_id, a_query, a_qtype, a_qtype_name, a_rcode, a_rcode_name, a_aa, a_tc, a_ra, a_z,
  a_answers, a_ttls, a_rejected, a_rtt,
  h_trans_depth, h_method, h_host, h_uri, h_referrer, h_version, h_user_agent,
  h_request_body_len,
  field_count
};

struct field_name {
  field f;
  int type;  // 0 connection_end, 1 dns_request, 2 dns_reply, 3 http_request
  const char* name;
};

constexpr field_name field_names[] = {
    {c_service, 0, "service"}, {c_duration, 0, "duration"}, {c_orig_bytes, 0, "orig_bytes"},
    {c_resp_bytes, 0, "resp_bytes"}, {c_conn_state, 0, "conn_state"},
    {c_missed_bytes, 0, "missed_bytes"}, {c_history, 0, "history"},
    {c_orig_pkts, 0, "orig_pkts"}, {c_orig_ip_bytes, 0, "orig_ip_bytes"},
    {c_resp_pkts, 0, "resp_pkts"}, {c_resp_ip_bytes, 0, "resp_ip_bytes"},
    {c_ip_proto, 0, "ip_proto"}, {c_local_orig, 0, "local_orig"},
    {c_local_resp, 0, "local_resp"}, {c_community_id, 0, "community_id"},
    {q_trans_id, 1, "trans_id"}, {q_query, 1, "query"}, {q_qclass, 1, "qclass"},
    {q_qclass_name, 1, "qclass_name"}, {q_qtype, 1, "qtype"}, {q_qtype_name, 1, "qtype_name"},
    {q_rd, 1, "rd"},
    {a_trans_id, 2, "trans_id"}, {a_query, 2, "query"}, {a_qtype, 2, "qtype"},
    {a_qtype_name, 2, "qtype_name"}, {a_rcode, 2, "rcode"}, {a_rcode_name, 2, "rcode_name"},
    {a_aa, 2, "aa"}, {a_tc, 2, "tc"}, {a_ra, 2, "ra"}, {a_z, 2, "z"},
    {a_answers, 2, "answers"}, {a_ttls, 2, "ttls"}, {a_rejected, 2, "rejected"},
    {a_rtt, 2, "rtt"},
    {h_trans_depth, 3, "trans_depth"}, {h_method, 3, "method"}, {h_host, 3, "host"},
    {h_uri, 3, "uri"}, {h_referrer, 3, "referrer"}, {h_version, 3, "version"},
    {h_user_agent, 3, "user_agent"}, {h_request_body_len, 3, "request_body_len"},
};

std::shared_ptr<const model::schema> find_type(const model::registry& types,
                                               std::string_view name) {
  auto s = types.find(name);
  if (!s) {
    std::fprintf(stderr, "the registry has no type '%.*s' (catalogue missing?)\n",
                 static_cast<int>(name.size()), name.data());
    std::exit(2);
  }
  // The generator writes the four endpoint fields by position.
  constexpr const char* endpoints[] = {"orig_h", "orig_p", "resp_h", "resp_p"};
  for (std::size_t i = 0; i < 4; ++i) {
    auto at = s->index_of(endpoints[i]);
    if (!at || *at != i) {
      std::fprintf(stderr, "%.*s: field %s is not at position %zu\n",
                   static_cast<int>(name.size()), name.data(), endpoints[i], i);
      std::exit(2);
    }
  }
  return s;
}

void set_endpoints(model::event& e, const address& oh, const port& op, const address& rh,
                   const port& rp) {
  e.field(0) = oh;
  e.field(1) = op;
  e.field(2) = rh;
  e.field(3) = rp;
}

const tcp_outcome& pick_outcome(prng& r) {
  double x = r.unit();
  for (const auto& t : tcp_outcomes) {
    if (x < t.weight) return t;
    x -= t.weight;
  }
  return tcp_outcomes[0];
}

std::size_t pick_service(prng& r) {
  double x = r.unit();
  for (std::size_t i = 0; i < service_count; ++i) {
    if (x < services[i].traffic) return i;
    x -= services[i].traffic;
  }
  return 0;
}

// An ephemeral port: Linux's range mostly, Windows' otherwise.
std::uint16_t ephemeral(prng& r) {
  return r.chance(0.6) ? static_cast<std::uint16_t>(32'768 + r.below(28'232))
                       : static_cast<std::uint16_t>(49'152 + r.below(16'384));
}

}  // namespace

campus_traffic::campus_traffic(const model::registry& types, const campus_config& cfg)
    : cfg_(cfg),
      r_(cfg.seed),
      at_(field_count),
      name_pick_(20'000, 1.0),
      ids_(cfg.seed ^ 0xc0ffee),
      conn_(find_type(types, model::catalogue::connection_end)),
      dns_req_(find_type(types, model::catalogue::dns_request)),
      dns_rep_(find_type(types, model::catalogue::dns_reply)),
      http_req_(find_type(types, model::catalogue::http_request)),
      host_pick_(std::min<std::size_t>(std::max<std::size_t>(cfg.internal_hosts, 1), 65'000),
                 cfg.host_skew) {
  const std::shared_ptr<const model::schema>* by_type[] = {&conn_, &dns_req_, &dns_rep_,
                                                           &http_req_};
  for (const auto& f : field_names) {
    const auto& s = **by_type[f.type];
    auto i = s.index_of(f.name);
    if (!i) {
      std::fprintf(stderr, "%s has no field '%s'\n", s.name().c_str(), f.name);
      std::exit(2);
    }
    at_[f.f] = *i;
  }
  for (std::size_t n = 0; n < name_pick_.size(); ++n) names_.push_back(domain_name(n));

  // Hosts: a random subset of 10.0.0.0/16; the rest is the absent pool.
  std::vector<std::uint32_t> all(65'534);
  std::iota(all.begin(), all.end(), 0x0a000001u);
  for (std::size_t i = all.size() - 1; i > 0; --i) std::swap(all[i], all[r_.below(i + 1)]);
  const std::size_t nh = host_pick_.size();
  for (std::size_t i = 0; i < all.size(); ++i) {
    (i < nh ? hosts_ : absent_).push_back(address::v4(all[i]));
  }
  // Servers: public addresses (one in ten IPv6), grouped by service.
  std::set<address> used;
  by_service_.resize(service_count);
  for (std::size_t si = 0; si < service_count; ++si) {
    const auto& m = services[si];
    const auto n = std::max<std::size_t>(
        1, static_cast<std::size_t>(
               std::llround(m.servers * static_cast<double>(cfg.external_servers))));
    for (std::size_t k = 0; k < n; ++k) {
      address a = r_.chance(0.1) ? public_v6(r_) : public_v4(r_);
      while (!used.insert(a).second) a = public_v4(r_);
      const auto p = m.port != 0 ? m.port : static_cast<std::uint16_t>(10'000 + r_.below(50'000));
      by_service_[si].push_back(servers_.size());
      servers_.push_back({a, p, m.proto, m.service});
    }
    service_pick_.emplace_back(by_service_[si].size(), cfg.server_skew);
  }
  set_clock(timestamp{1714521600LL * 1'000'000'000}, interval::millis(1));
}

void campus_traffic::set_clock(timestamp start, interval mean_gap) {
  now_ = start;
  gap_ = mean_gap;
}

std::string campus_traffic::uid() { return "C" + random_chars(r_, alnum, 17); }

model::event campus_traffic::make(const std::shared_ptr<const model::schema>& s, timestamp ts,
                                  const std::string& uid) {
  model::event e(s);
  e.ts = ts;
  e.id = ids_.next();
  e.from = {"campus.example.edu", "zeek-border"};
  e.uid = uid;
  return e;
}

bool campus_traffic::add_connection_end(const address& oh, const port& op, const address& rh,
                                        const port& rp, const char* service,
                                        const std::string& uid) {
  model::event e = make(conn_, now_, uid);
  set_endpoints(e, oh, op, rh, rp);
  bool answered = true;
  const char* state = "SF";
  const char* history = "Dd";
  if (rp.proto == transport::tcp) {
    const auto& o = pick_outcome(r_);
    state = o.state, history = o.history, answered = o.answered;
  } else if (!r_.chance(0.93)) {
    answered = false, state = "S0", history = "D";
  }
  auto f = [&](field k) -> value& { return e.field(at_[k]); };
  f(c_conn_state) = std::string(state);
  f(c_history) = std::string(history);
  if (answered && service != nullptr) f(c_service) = std::string(service);
  std::uint64_t ob = 0, rb = 0, opk = 1 + r_.below(2), rpk = 0;
  if (answered) {
    if (rp.proto == transport::udp) {
      ob = 20 + r_.below(60), rb = 40 + r_.below(400);
      opk = 1, rpk = 1;
    } else {
      ob = static_cast<std::uint64_t>(r_.log_normal(6.7, 1.8));  // median ~800 B
      rb = static_cast<std::uint64_t>(r_.log_normal(8.5, 2.4));  // median ~5 KB
      opk = 2 + ob / 1200 + r_.below(4);
      rpk = 1 + rb / 1400 + r_.below(4);
    }
    // Median ~0.37 s, a long tail of hours-long sessions.
    f(c_duration) = interval{static_cast<std::int64_t>(r_.log_normal(-1.0, 2.0) * 1e9)};
  } else {
    f(c_duration) = interval{static_cast<std::int64_t>(r_.log_normal(0.5, 1.0) * 1e9)};
  }
  const std::uint64_t header = oh.is_v4() ? 40 : 60;
  f(c_orig_bytes) = ob;
  f(c_resp_bytes) = rb;
  f(c_missed_bytes) = std::uint64_t{0};
  f(c_orig_pkts) = opk;
  f(c_orig_ip_bytes) = ob + opk * header;
  f(c_resp_pkts) = rpk;
  f(c_resp_ip_bytes) = rb + rpk * header;
  f(c_ip_proto) = std::uint64_t{rp.proto == transport::tcp ? 6u : 17u};
  const bool local_orig = oh.is_v4() && (oh.v4_host_order() >> 16) == 0x0a00;
  f(c_local_orig) = local_orig;
  f(c_local_resp) = !local_orig;
  // Half the sensors log the Community ID, which is a function of the
  // 5-tuple (seed 0), as Zeek's community-id package computes it.
  if (r_.chance(0.5)) {
    std::string id;
    if (model::community_id(oh, op.number, rh, rp.number, model::community_id_protocol(rp.proto),
                            id)) {
      f(c_community_id) = std::move(id);
    }
  }
  queue_.push_back(std::move(e));
  ++counts_.connection_end;
  return answered;
}

void campus_traffic::add_dns(const address& oh, const port& op, const address& rh,
                             const port& rp, const std::string& uid) {
  const std::string& name = names_[name_pick_.draw(r_)];
  const std::uint64_t id = r_.below(65'536);
  const bool aaaa = r_.chance(0.3);
  const std::uint64_t qtype = aaaa ? 28 : (r_.chance(0.9) ? 1 : 16);
  const char* qtype_name = qtype == 28 ? "AAAA" : qtype == 1 ? "A" : "TXT";

  model::event q = make(dns_req_, now_, uid);
  set_endpoints(q, oh, op, rh, rp);
  auto fq = [&](field k) -> value& { return q.field(at_[k]); };
  fq(q_trans_id) = id;
  fq(q_query) = name;
  fq(q_qclass) = std::uint64_t{1};
  fq(q_qclass_name) = std::string("C_INTERNET");
  fq(q_qtype) = qtype;
  fq(q_qtype_name) = std::string(qtype_name);
  fq(q_rd) = true;
  queue_.push_back(std::move(q));
  ++counts_.dns_request;
  if (!r_.chance(0.95)) return;  // no answer

  const auto rtt = interval{static_cast<std::int64_t>(r_.log_normal(-4.0, 1.0) * 1e9)};
  model::event a = make(dns_rep_, now_ + rtt, uid);
  set_endpoints(a, oh, op, rh, rp);
  auto fa = [&](field k) -> value& { return a.field(at_[k]); };
  const bool nx = r_.chance(0.08);
  fa(a_trans_id) = id;
  fa(a_query) = name;
  fa(a_qtype) = qtype;
  fa(a_qtype_name) = std::string(qtype_name);
  fa(a_rcode) = std::uint64_t{nx ? 3u : 0u};
  fa(a_rcode_name) = std::string(nx ? "NXDOMAIN" : "NOERROR");
  fa(a_aa) = false;
  fa(a_tc) = false;
  fa(a_ra) = true;
  fa(a_z) = std::uint64_t{0};
  fa(a_rejected) = false;
  fa(a_rtt) = rtt;
  if (!nx) {
    model::vector_value answers, ttls;
    const auto n = 1 + r_.below(3);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (qtype == 16) {
        answers.elements.emplace_back("v=spf1 include:_spf." + name + " ~all");
      } else {
        answers.elements.emplace_back((qtype == 28 ? public_v6(r_) : public_v4(r_)).to_string());
      }
      ttls.elements.emplace_back(interval::seconds(static_cast<std::int64_t>(30 + r_.below(3600))));
    }
    fa(a_answers) = std::move(answers);
    fa(a_ttls) = std::move(ttls);
  }
  queue_.push_back(std::move(a));
  ++counts_.dns_reply;
}

void campus_traffic::add_http(const address& oh, const port& op, const address& rh,
                              const port& rp, std::size_t server_index, const std::string& uid) {
  const auto handshake = interval{static_cast<std::int64_t>(r_.log_normal(-3.5, 0.8) * 1e9)};
  model::event e = make(http_req_, now_ + handshake, uid);
  set_endpoints(e, oh, op, rh, rp);
  auto f = [&](field k) -> value& { return e.field(at_[k]); };
  const double m = r_.unit();
  const char* method = m < 0.86 ? "GET" : m < 0.97 ? "POST" : "HEAD";
  const std::string& host = names_[server_index % names_.size()];
  f(h_trans_depth) = std::uint64_t{1};
  f(h_method) = std::string(method);
  f(h_host) = host;
  if (r_.chance(0.5)) {
    f(h_uri) = "/static/" + random_chars(r_, alnum, 8) + (r_.chance(0.5) ? ".js" : ".png");
  } else {
    f(h_uri) = "/api/v1/items?id=" + std::to_string(r_.below(1'000'000));
  }
  if (r_.chance(0.4)) f(h_referrer) = "http://" + host + "/";
  f(h_version) = std::string("1.1");
  f(h_user_agent) = std::string(agents[r_.below(std::size(agents))]);
  f(h_request_body_len) =
      std::uint64_t{method[0] == 'P' ? static_cast<std::uint64_t>(r_.log_normal(6, 1.5)) : 0u};
  queue_.push_back(std::move(e));
  ++counts_.http_request;
}

void campus_traffic::connection() {
  const auto jitter = 0.5 + r_.unit();
  now_ = now_ + interval{static_cast<std::int64_t>(static_cast<double>(gap_.ns) * jitter)};
  const std::string u = uid();
  if (r_.chance(cfg_.inbound_share)) {
    // From outside to an internal host: scanners and remote users.
    const address client = public_v4(r_);
    const address& host = r_.chance(0.7) ? hosts_[r_.below(hosts_.size())]
                                         : hosts_[host_pick_.draw(r_)];
    const port rp{inbound_ports[r_.below(std::size(inbound_ports))], transport::tcp};
    add_connection_end(client, {ephemeral(r_), transport::tcp}, host, rp, nullptr, u);
    return;
  }
  const std::size_t si = pick_service(r_);
  const std::size_t server_index = by_service_[si][service_pick_[si].draw(r_)];
  const server& sv = servers_[server_index];
  address client = hosts_[host_pick_.draw(r_)];
  // Hosts talk to IPv6 servers over IPv6 (from the site's 2001:db8:1::/48).
  if (!sv.addr.is_v4()) {
    std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
    const auto v4 = client.v4_host_order();
    b[14] = static_cast<std::uint8_t>(v4 >> 8), b[15] = static_cast<std::uint8_t>(v4);
    client = address::v6(b);
  }
  const port op{ephemeral(r_), sv.proto};
  const port rp{sv.port, sv.proto};
  const bool answered = add_connection_end(client, op, sv.addr, rp, sv.service, u);
  if (cfg_.connections_only) return;
  if (sv.port == 53) add_dns(client, op, sv.addr, rp, u);
  // Only an answered connection carried a request.
  if ((sv.port == 80 || sv.port == 8080) && answered) {
    add_http(client, op, sv.addr, rp, server_index, u);
  }
}

void campus_traffic::generate(std::size_t n, std::vector<model::event>& out) {
  out.reserve(out.size() + n);
  while (n > 0) {
    if (queue_pos_ == queue_.size()) {
      queue_.clear();
      queue_pos_ = 0;
      while (queue_.size() < 256) connection();
    }
    const std::size_t take = std::min(n, queue_.size() - queue_pos_);
    for (std::size_t i = 0; i < take; ++i) out.push_back(std::move(queue_[queue_pos_ + i]));
    queue_pos_ += take;
    n -= take;
  }
}

address campus_traffic::lookup_host(prng& r, double absent_share) const {
  if (r.chance(absent_share)) return absent_[r.below(absent_.size())];
  if (r.chance(0.75)) return hosts_[host_pick_.draw(r)];
  const std::size_t si = pick_service(r);
  return servers_[by_service_[si][service_pick_[si].draw(r)]].addr;
}

}  // namespace coop::bench::tm
