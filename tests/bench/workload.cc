// A synthetic but realistic conn.log: mostly IPv4 with some IPv6, the port
// mix of a university border (web, DNS, SSH, mail, scanners hitting
// everything), heavy-tailed byte counts and durations, Zeek-like histories
// and connection states, and the optional fields a Zeek sensor usually
// fills (local_orig/local_resp, ip_proto, often community_id and vlan).
#include "workload.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "coop/model/address.h"
#include "coop/model/catalogue.h"
#include "coop/model/time.h"
#include "coop/model/value.h"

namespace coop::bench {
namespace {

using model::address;
using model::port;
using model::transport;
using model::value;

// splitmix64: tiny, fast, and defined bit for bit (unlike the standard
// library's distributions), so the workload is the same everywhere.
class prng {
 public:
  explicit prng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// True with probability p.
  bool chance(double p) { return unit() < p; }
  /// Heavy-tailed: exp of a uniform exponent, so values spread evenly over
  /// orders of magnitude between lo and hi.
  double log_uniform(double lo, double hi) { return lo * std::exp(unit() * std::log(hi / lo)); }

 private:
  std::uint64_t s_;
};

constexpr std::string_view alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string random_chars(prng& r, std::string_view alphabet, std::size_t n) {
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[r.below(alphabet.size())];
  return s;
}

// A Zeek connection uid: "C" and 17 base62 characters.
std::string zeek_uid(prng& r) { return "C" + random_chars(r, alnum, 17); }

std::string mac(prng& r) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 6; ++i) {
    if (i) s += ':';
    s += hex[r.below(16)];
    s += hex[r.below(16)];
  }
  return s;
}

// The site owns 10.0.0.0/8 and 2001:db8:1::/48.
address internal_v4(prng& r) {
  return address::v4(0x0a000000u | static_cast<std::uint32_t>(r.below(1u << 24)));
}
address external_v4(prng& r) {
  for (;;) {
    auto a = static_cast<std::uint32_t>(r.next());
    const auto first = a >> 24;
    if (first != 10 && first != 0 && first != 127 && first < 224) return address::v4(a);
  }
}
address v6(prng& r, bool internal) {
  std::array<std::uint8_t, 16> b{};
  if (internal) {
    b = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
  } else {
    b[0] = 0x20;
    b[1] = static_cast<std::uint8_t>(0x01 + r.below(0x0f));
    for (int i = 2; i < 6; ++i) b[i] = static_cast<std::uint8_t>(r.below(256));
  }
  // Interface ids: half tiny (::1, ::53), half random (SLAAC-like).
  if (r.chance(0.5)) {
    b[15] = static_cast<std::uint8_t>(1 + r.below(254));
  } else {
    for (int i = 8; i < 16; ++i) b[i] = static_cast<std::uint8_t>(r.below(256));
  }
  return address::v6(b);
}

struct service_port {
  std::uint16_t number;
  transport proto;
  const char* service;  // nullptr: none detected
  double weight;
};

// The responder ports of a border sensor's conn.log, roughly.
constexpr service_port services[] = {
    {443, transport::tcp, "ssl", 0.30},   {80, transport::tcp, "http", 0.12},
    {53, transport::udp, "dns", 0.20},    {22, transport::tcp, "ssh", 0.05},
    {123, transport::udp, "ntp", 0.03},   {25, transport::tcp, "smtp", 0.02},
    {993, transport::tcp, "ssl", 0.02},   {3389, transport::tcp, nullptr, 0.02},
    {445, transport::tcp, nullptr, 0.02}, {8080, transport::tcp, "http", 0.02},
    {0, transport::tcp, nullptr, 0.12},   // scanners and P2P: random high tcp port
    {0, transport::udp, nullptr, 0.05},   // random udp
    {8, transport::icmp, nullptr, 0.03},  // echo request
};

const service_port& pick_service(prng& r) {
  double x = r.unit();
  for (const auto& s : services) {
    if (x < s.weight) return s;
    x -= s.weight;
  }
  return services[0];
}

struct state_history {
  const char* state;
  const char* history;
  double weight;
};

constexpr state_history tcp_states[] = {
    {"SF", "ShADadFf", 0.40},  {"SF", "ShADadfF", 0.12}, {"SF", "ShADdaFf", 0.06},
    {"S0", "S", 0.14},         {"REJ", "Sr", 0.08},      {"RSTO", "ShADadR", 0.05},
    {"RSTR", "ShADadr", 0.04}, {"SH", "ShAF", 0.03},     {"S1", "ShAD", 0.03},
    {"OTH", "CC", 0.02},       {"RSTOS0", "ShR", 0.03},
};

const state_history& pick_tcp_state(prng& r) {
  double x = r.unit();
  for (const auto& s : tcp_states) {
    if (x < s.weight) return s;
    x -= s.weight;
  }
  return tcp_states[0];
}

std::uint64_t ip_bytes(std::uint64_t payload, std::uint64_t pkts, bool is_v6) {
  return payload + pkts * (is_v6 ? 60 : 40);
}

}  // namespace

workload make_workload(std::size_t count, std::uint64_t seed) {
  workload w;
  if (auto added = model::add_catalogue(w.types); !added) {
    std::fprintf(stderr, "add_catalogue: %s\n", added.err().to_string().c_str());
    std::exit(2);
  }
  w.conn = w.types.find(model::catalogue::connection_end);
  if (!w.conn) {
    std::fprintf(stderr, "the catalogue has no connection_end\n");
    std::exit(2);
  }
  const auto& s = *w.conn;
  auto index = [&](std::string_view name) {
    auto i = s.index_of(name);
    if (!i) {
      std::fprintf(stderr, "connection_end has no field '%.*s'\n", static_cast<int>(name.size()),
                   name.data());
      std::exit(2);
    }
    return *i;
  };
  w.at = {index("orig_h"),     index("orig_p"),     index("resp_h"),     index("resp_p"),
          index("orig_bytes"), index("resp_bytes"), index("conn_state"), index("duration")};
  const std::size_t f_service = index("service"), f_missed = index("missed_bytes"),
                    f_history = index("history"), f_orig_pkts = index("orig_pkts"),
                    f_orig_ip = index("orig_ip_bytes"), f_resp_pkts = index("resp_pkts"),
                    f_resp_ip = index("resp_ip_bytes"), f_tunnels = index("tunnel_parents"),
                    f_proto = index("ip_proto"), f_local_orig = index("local_orig"),
                    f_local_resp = index("local_resp"), f_vlan = index("vlan"),
                    f_orig_l2 = index("orig_l2_addr"), f_resp_l2 = index("resp_l2_addr"),
                    f_community = index("community_id");

  prng r(seed);
  model::id_generator ids(seed ^ 0x5eedc0ffee);
  model::timestamp ts{1714521600LL * 1'000'000'000};  // 2024-05-01T00:00:00Z
  w.events.reserve(count);
  for (std::size_t n = 0; n < count; ++n) {
    model::event e(w.conn);
    ts = ts + model::interval{static_cast<std::int64_t>(r.log_uniform(1e3, 2e6))};
    e.ts = ts;
    e.id = ids.next();
    e.from = {"example.edu", r.chance(0.7) ? "zeek-border-1" : "zeek-border-2"};
    e.uid = zeek_uid(r);

    const bool is_v6 = r.chance(0.12);
    const bool outbound = r.chance(0.55);  // originator inside the site
    address orig = is_v6 ? v6(r, outbound) : (outbound ? internal_v4(r) : external_v4(r));
    address resp = is_v6 ? v6(r, !outbound) : (outbound ? external_v4(r) : internal_v4(r));
    const auto& svc = pick_service(r);
    port rp{svc.number, svc.proto};
    port op{static_cast<std::uint16_t>(1024 + r.below(64512)), svc.proto};
    if (svc.number == 0) rp.number = static_cast<std::uint16_t>(1024 + r.below(64512));
    if (svc.proto == transport::icmp) {
      op = {8, transport::icmp};  // Zeek: type as orig_p, code as resp_p
      rp = {0, transport::icmp};
    }
    e.field(w.at.orig_h) = orig;
    e.field(w.at.orig_p) = op;
    e.field(w.at.resp_h) = resp;
    e.field(w.at.resp_p) = rp;

    std::string state, history;
    bool answered = true;
    if (svc.proto == transport::tcp) {
      const auto& st = pick_tcp_state(r);
      state = st.state;
      history = st.history;
      answered = state != "S0" && state != "REJ" && state != "OTH";
    } else {
      answered = r.chance(0.85);
      state = answered ? "SF" : "S0";
      history = answered ? "Dd" : "D";
    }
    e.field(w.at.conn_state) = state;
    e.field(f_history) = history;
    if (svc.service && answered) e.field(f_service) = std::string(svc.service);

    std::uint64_t ob = 0, rb = 0, opk = 1, rpk = 0;
    if (answered) {
      ob = static_cast<std::uint64_t>(r.log_uniform(1, 2e6));
      rb = static_cast<std::uint64_t>(r.log_uniform(1, 5e8));
      if (svc.proto != transport::tcp) ob = ob % 512 + 20, rb = rb % 1400 + 20;
      opk = 1 + ob / 1200 + r.below(8);
      rpk = 1 + rb / 1400 + r.below(8);
      e.field(w.at.duration) = model::interval{static_cast<std::int64_t>(r.log_uniform(2e4, 6e11))};
    } else if (r.chance(0.5)) {
      e.field(w.at.duration) = model::interval{static_cast<std::int64_t>(r.log_uniform(1e6, 3e9))};
      opk = 1 + r.below(3);
    }
    if (svc.proto != transport::icmp || answered) {
      e.field(w.at.orig_bytes) = ob;
      e.field(w.at.resp_bytes) = rb;
    }
    e.field(f_missed) = std::uint64_t{r.chance(0.01) ? r.below(1'000'000) : 0};
    e.field(f_orig_pkts) = opk;
    e.field(f_orig_ip) = ip_bytes(ob, opk, is_v6);
    e.field(f_resp_pkts) = rpk;
    e.field(f_resp_ip) = ip_bytes(rb, rpk, is_v6);
    if (r.chance(0.01)) e.field(f_tunnels) = value::make_set({zeek_uid(r)});

    const std::uint64_t proto = svc.proto == transport::tcp   ? 6
                                : svc.proto == transport::udp ? 17
                                : is_v6                       ? 58
                                                              : 1;
    e.field(f_proto) = proto;
    e.field(f_local_orig) = outbound;
    e.field(f_local_resp) = !outbound;
    if (r.chance(0.3)) e.field(f_vlan) = std::uint64_t{100 + r.below(12)};
    if (r.chance(0.1)) {
      e.field(f_orig_l2) = mac(r);
      e.field(f_resp_l2) = mac(r);
    }
    if (r.chance(0.5)) e.field(f_community) = "1:" + random_chars(r, b64, 27) + "=";
    w.events.push_back(std::move(e));
  }
  return w;
}

}  // namespace coop::bench
