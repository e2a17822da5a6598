// The sensor's packet path: decode, find or create the connection (Zeek's
// role heuristics, timeouts, reuse), update it, deliver payload, and end
// connections that timed out. No allocation per packet on this path once the
// table has grown (events are built only when connections end).
#include "pipeline/impl.h"

#include <algorithm>
#include <cstring>

#include "analyzers/app_state.h"
#include "coop/model/catalogue.h"

namespace coop::sensor {

using detail::conn;
using detail::decode_result;
using detail::decoded;
using detail::tcp_segment;
using detail::tcp_state;

namespace {

constexpr std::int64_t attempt_delay_ns = 5'000'000'000;        // tcp_attempt_delay
constexpr std::int64_t close_delay_ns = 5'000'000'000;          // tcp_close_delay
constexpr std::int64_t partial_close_delay_ns = 3'000'000'000;  // tcp_partial_close_delay

// Zeek's ICMP "counterpart" types: a request and its reply share a connection.
int icmp4_counterpart(int type) {
  switch (type) {
    case 8: return 0;
    case 0: return 8;
    case 13: return 14;
    case 14: return 13;
    case 15: return 16;
    case 16: return 15;
    case 10: return 9;
    case 9: return 10;
    case 17: return 18;
    case 18: return 17;
    default: return -1;
  }
}
int icmp6_counterpart(int type) {
  switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 133: return 134;
    case 134: return 133;
    case 135: return 136;
    case 136: return 135;
    case 130: return 131;
    case 131: return 130;
    case 139: return 140;
    case 140: return 139;
    default: return -1;
  }
}

std::uint32_t csum_add(std::uint32_t sum, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += detail::rd16(p + i);
  if (n & 1) sum += std::uint32_t{p[n - 1]} << 8;
  return sum;
}

bool checksum_ok(const decoded& d) {
  if (d.l4_caplen < d.l4_len) return true;  // cannot tell
  std::uint32_t sum = 0;
  if (d.proto != 1) {  // pseudo header (ICMPv4 has none)
    if (d.v6) {
      sum = csum_add(sum, d.src.b.data(), 16);
      sum = csum_add(sum, d.dst.b.data(), 16);
    } else {
      sum = csum_add(sum, d.src.b.data() + 12, 4);
      sum = csum_add(sum, d.dst.b.data() + 12, 4);
    }
    sum += d.l4_len & 0xffffu;
    sum += d.l4_len >> 16;
    sum += d.proto;
  }
  if (d.proto == 17 && d.l4_len >= 8 && detail::rd16(d.l4 + 6) == 0 && !d.v6) return true;
  sum = csum_add(sum, d.l4, d.l4_len);
  while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
  return sum == 0xffffu;
}

}  // namespace

void sensor::impl::expire(std::int64_t t) {
  for (std::uint8_t l = 0; l < 3; ++l) {
    while (conn* c = table.oldest(l)) {
      if (t - c->active_ns <= timeouts[l]) break;
      finish(c);
    }
  }
}

void sensor::impl::evict_one() {
  conn* victim = nullptr;
  for (std::uint8_t l = 0; l < 3; ++l) {
    conn* c = table.oldest(l);
    if (c != nullptr && (victim == nullptr || c->active_ns < victim->active_ns)) victim = c;
  }
  if (victim != nullptr) {
    ++stats.evictions;
    finish(victim);
  }
}

conn* sensor::impl::lookup_or_create(const decoded& d, std::uint16_t sp, std::uint16_t dp,
                                     std::uint8_t proto, bool syn, bool ack, bool& is_orig,
                                     const tcp_segment* seg) {
  detail::conn_key k;
  bool src_low = std::tie(d.src, sp) < std::tie(d.dst, dp);
  k.a = src_low ? d.src : d.dst;
  k.b = src_low ? d.dst : d.src;
  k.pa = src_low ? sp : dp;
  k.pb = src_low ? dp : sp;
  k.proto = proto;
  std::uint64_t h = detail::hash_key(k);
  conn* c = table.find(k, h);
  if (c != nullptr) {
    is_orig = c->orig_h == d.src && c->orig_p == sp;
    std::uint8_t l = c->lru;
    bool end = d.ts_ns - c->active_ns > timeouts[l];
    if (!end && proto == 6) {
      if (c->attempt_ns != 0 && d.ts_ns > c->attempt_ns &&
          (c->ep[0].state == tcp_state::syn_sent || c->ep[0].state == tcp_state::syn_ack_sent) &&
          c->ep[1].state == tcp_state::inactive)
        end = true;
      if (!end && c->close_ns != 0) {
        bool both = c->ep[0].did_close && c->ep[1].did_close;
        bool reset = c->ep[0].state == tcp_state::reset || c->ep[1].state == tcp_state::reset;
        bool partial =
            c->ep[0].state == tcp_state::inactive || c->ep[1].state == tcp_state::inactive;
        std::int64_t delay = (both || reset) ? close_delay_ns
                             : partial       ? partial_close_delay_ns
                                             : 0;
        if (delay != 0 && d.ts_ns > c->close_ns + delay) end = true;
      }
      if (!end && seg != nullptr && detail::tcp_is_reuse(*c, is_orig, *seg)) end = true;
    }
    if (!end) return c;
    finish(c);
  }
  if (table.size() >= table.max()) evict_one();
  std::uint8_t lru = proto == 6 ? 0 : proto == 17 ? 1 : 2;
  c = table.insert(k, h, lru);
  ++stats.connections;
  bool flip = false;
  if (proto == 6) {
    if (!syn || ack) {
      if (server_ports[sp]) flip = server_ports[dp] ? (!syn && sp < dp) : true;
    }
  } else if (proto == 17) {
    flip = server_ports[sp] && !server_ports[dp];
  }
  c->orig_h = flip ? d.dst : d.src;
  c->resp_h = flip ? d.src : d.dst;
  c->orig_p = flip ? dp : sp;
  c->resp_p = flip ? sp : dp;
  c->proto = proto;
  c->v6 = d.v6;
  c->start_ns = d.ts_ns;
  c->last_ns = d.ts_ns;
  c->active_ns = d.ts_ns;
  c->serial = ++serial;
  c->vlan = d.vlan;
  c->inner_vlan = d.inner_vlan;
  c->tunnelled = d.tunnelled;
  c->tunnel_src = d.tunnel_src;
  c->tunnel_dst = d.tunnel_dst;
  if (flip) c->add_history('^');
  is_orig = !flip;
  return c;
}

void sensor::impl::process(const packet_view& p) {
  ++stats.packets;
  stats.bytes += p.data.size();
  decoded d;
  switch (dec.decode(p, d)) {
    case decode_result::ip: break;
    case decode_result::not_ip: ++stats.non_ip; return;
    case decode_result::malformed: ++stats.malformed; return;
    case decode_result::unsupported_link: ++stats.unsupported_link; return;
    case decode_result::pending: return;
  }
  ++stats.ip_packets;
  if (d.ts_ns > now) {
    now = d.ts_ns;
    expire(now);
  }
  if (cfg.verify_checksums && (d.proto == 6 || d.proto == 17 || d.proto == 1 || d.proto == 58) &&
      !checksum_ok(d)) {
    ++stats.bad_checksums;
    return;
  }
  const std::uint8_t* l4 = d.l4;
  std::uint32_t cap = d.l4_caplen;
  bool is_orig = true;
  conn* c = nullptr;
  const std::uint8_t* payload = nullptr;
  std::uint32_t plen = 0;  // payload bytes on the wire
  std::uint32_t pcap = 0;  // payload bytes captured
  if (d.proto == 6) {
    if (cap < 20) {
      ++stats.malformed;
      return;
    }
    std::uint32_t hl = (l4[12] >> 4) * 4u;
    if (hl < 20 || hl > cap || hl > d.l4_len) {
      ++stats.malformed;
      return;
    }
    tcp_segment s;
    s.seq = detail::rd32(l4 + 4);
    s.ack = detail::rd32(l4 + 8);
    s.flags = l4[13];
    s.window = detail::rd16(l4 + 14);
    s.len = d.l4_len - hl;
    plen = s.len;
    pcap = cap - hl;
    payload = l4 + hl;
    bool syn = s.flags & detail::th_syn, ack = s.flags & detail::th_ack;
    c = lookup_or_create(d, detail::rd16(l4), detail::rd16(l4 + 2), 6, syn, ack, is_orig, &s);
    detail::endpoint& e = c->ep[is_orig ? 0 : 1];
    ++e.pkts;
    e.ip_bytes += d.ip_len;
    bool was_inactive = c->ep[0].state == tcp_state::inactive;
    detail::tcp_update(*c, is_orig, s, d.ts_ns);
    // tcp_update may have turned the connection around (SYN/SYN-ACK reversal)
    is_orig = c->orig_h == d.src && c->orig_p == detail::rd16(l4);
    if (was_inactive && is_orig && syn &&
        (c->ep[0].state == tcp_state::syn_sent || c->ep[0].state == tcp_state::syn_ack_sent))
      c->attempt_ns = d.ts_ns + attempt_delay_ns;
    if (pcap > 0 && cfg.analyzers != 0)
      deliver(*c, is_orig, payload, std::min(pcap, plen), &s, d.ts_ns);
    if (ack && c->app && !(s.flags & detail::th_rst)) ack_gap(*c, !is_orig, s.ack);
  } else if (d.proto == 17) {
    if (cap < 8) {
      ++stats.malformed;
      return;
    }
    std::uint32_t ulen = detail::rd16(l4 + 4);
    if (ulen < 8) {
      ++stats.malformed;
      return;
    }
    std::uint32_t len = std::min(ulen, d.l4_len);
    plen = len - 8;
    pcap = std::min(cap, len) - 8;
    payload = l4 + 8;
    c = lookup_or_create(d, detail::rd16(l4), detail::rd16(l4 + 2), 17, false, false, is_orig,
                         nullptr);
    detail::endpoint& e = c->ep[is_orig ? 0 : 1];
    ++e.pkts;
    e.ip_bytes += d.ip_len;
    e.size += plen;
    e.state = tcp_state::established;
    c->check_history(detail::hist_data, 'D', is_orig);
    c->last_ns = d.ts_ns;
    if (pcap > 0 && cfg.analyzers != 0) deliver(*c, is_orig, payload, pcap, nullptr, d.ts_ns);
  } else if (d.proto == 1 || d.proto == 58) {
    if (cap < 8 || d.l4_len < 8) {
      ++stats.malformed;
      return;
    }
    int type = l4[0], code = l4[1];
    int cp = d.proto == 1 ? icmp4_counterpart(type) : icmp6_counterpart(type);
    auto sp = static_cast<std::uint16_t>(type);
    auto dp = static_cast<std::uint16_t>(cp >= 0 ? cp : code);
    plen = d.l4_len - 8;
    c = lookup_or_create(d, sp, dp, d.proto, false, false, is_orig, nullptr);
    detail::endpoint& e = c->ep[is_orig ? 0 : 1];
    ++e.pkts;
    e.ip_bytes += d.ip_len;
    e.size += plen;
    c->last_ns = d.ts_ns;
  } else {
    return;  // other transports: no connection record (as Zeek)
  }
  c->active_ns = std::max(c->active_ns, d.ts_ns);
  table.touch(c);
  stats.active_connections = table.size();
  if (cfg.packet_events) {
    detail::endpoint& e = c->ep[is_orig ? 0 : 1];
    std::uint64_t seen = c->ep[0].payload_seen + c->ep[1].payload_seen;
    if (seen < cfg.packet_cutoff) packet_event(*c, p);
    e.payload_seen += plen;
  }
}

sensor::impl::impl(const model::registry& r, sensor_config c, event_sink s)
    : reg(r),
      cfg(std::move(c)),
      sink(std::move(s)),
      dec(cfg, stats),
      table(cfg.max_connections),
      ids(cfg.id_seed != 0 ? model::id_generator(cfg.id_seed) : model::id_generator()) {
  timeouts[0] = cfg.tcp_timeout_ns;
  timeouts[1] = cfg.udp_timeout_ns;
  timeouts[2] = cfg.icmp_timeout_ns;
  const auto& ports =
      cfg.likely_server_ports.empty() ? default_server_ports() : cfg.likely_server_ports;
  for (auto p : ports) server_ports.set(p);
  uid_key = ids.next().hi ^ 0x5bd1e9955bd1e995ull;
}

std::vector<std::uint16_t> default_server_ports() {
  // The ports Zeek's default scripts register analyzers for.
  return {21,   22,   23,   25,   53,   69,   80,   81,   88,   110,  111,  123,  137,  139,  143,
          161,  162,  389,  443,  445,  502,  514,  563,  585,  587,  614,  631,  636,  989,  990,
          992,  993,  995,  1080, 1194, 1812, 1813, 2811, 3128, 3306, 3389, 3478, 4789, 5060, 5061,
          5223, 5353, 5355, 5432, 6081, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 47808};
}

sensor::sensor(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
sensor::sensor(sensor&&) noexcept = default;
sensor& sensor::operator=(sensor&&) noexcept = default;
sensor::~sensor() = default;

model::result<sensor> sensor::make(const model::registry& reg, sensor_config cfg, event_sink sink) {
  auto im = std::make_unique<impl>(reg, std::move(cfg), std::move(sink));
  im->conn_schema = reg.find(model::catalogue::connection_end);
  im->packet_schema = reg.find(model::catalogue::packet);
  if (!im->conn_schema || !im->packet_schema) {
    return {model::errc::not_found,
            "sensor: the registry lacks connection_end or packet (call model::add_catalogue)"};
  }
  auto idx = [](const model::schema& s, std::string_view n) {
    return s.index_of(n).value_or(SIZE_MAX);
  };
  const auto& cs = *im->conn_schema;
  im->cf = {idx(cs, "orig_h"),         idx(cs, "orig_p"),     idx(cs, "resp_h"),
            idx(cs, "resp_p"),         idx(cs, "service"),    idx(cs, "duration"),
            idx(cs, "orig_bytes"),     idx(cs, "resp_bytes"), idx(cs, "conn_state"),
            idx(cs, "missed_bytes"),   idx(cs, "history"),    idx(cs, "orig_pkts"),
            idx(cs, "orig_ip_bytes"),  idx(cs, "resp_pkts"),  idx(cs, "resp_ip_bytes"),
            idx(cs, "tunnel_parents"), idx(cs, "ip_proto"),   idx(cs, "vlan"),
            idx(cs, "inner_vlan")};
  const auto& ps = *im->packet_schema;
  im->pf = {idx(ps, "link_type"), idx(ps, "caplen"), idx(ps, "wirelen"), idx(ps, "data"),
            idx(ps, "orig_h"),    idx(ps, "orig_p"), idx(ps, "resp_h"),  idx(ps, "resp_p")};
  return sensor(std::move(im));
}

void sensor::process(const packet_view& p) { impl_->process(p); }

void sensor::flush() {
  for (std::uint8_t l = 0; l < 3; ++l) {
    while (conn* c = impl_->table.oldest(l)) impl_->finish(c);
  }
  impl_->stats.active_connections = 0;
}

const sensor_stats& sensor::stats() const noexcept { return impl_->stats; }

model::result<sensor_stats> run_packets(std::span<const packet_view> packets,
                                        const model::registry& reg, const sensor_config& cfg,
                                        const event_sink& sink) {
  auto s = sensor::make(reg, cfg, sink ? sink : event_sink([](const model::event&) {}));
  if (!s) return s.err();
  for (const auto& p : packets) s.value().process(p);
  s.value().flush();
  return s.value().stats();
}

}  // namespace coop::sensor
