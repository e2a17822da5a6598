// Building catalogue events: connection_end when a connection ends (Zeek's
// conn.log row), packet events under the cut-off, and the emit_context the
// analyzers use. Uids look like Zeek's ("C" + base62) and are derived from a
// per-sensor random key and a serial number.
#include <algorithm>
#include <cstring>

#include "analyzers/app_state.h"
#include "coop/model/catalogue.h"
#include "pipeline/impl.h"

namespace coop::sensor {

using detail::conn;

model::address to_address(const detail::ip_addr& a) noexcept {
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.b.data(), mapped, 12) == 0) {
    return model::address::v4({a.b[12], a.b[13], a.b[14], a.b[15]});
  }
  return model::address::v6(a.b);
}

namespace {

model::transport transport_of(std::uint8_t proto) {
  switch (proto) {
    case 6: return model::transport::tcp;
    case 17: return model::transport::udp;
    case 1:
    case 58: return model::transport::icmp;
    default: return model::transport::unknown;
  }
}

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

void set_at(model::event& e, std::size_t i, model::value v) {
  if (i < e.size()) e.field(i) = std::move(v);
}

}  // namespace

std::string sensor::impl::uid_of(std::uint64_t serial_no) const {
  static constexpr char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uint64_t v = mix64(serial_no ^ uid_key);
  std::string s = "C";
  for (int i = 0; i < 11 && v != 0; ++i) {
    s += digits[v % 62];
    v /= 62;
  }
  return s;
}

void sensor::impl::finish(conn* c) {
  end_app(*c);
  model::event e(conn_schema);
  e.ts = model::timestamp{c->start_ns};
  e.id = ids.next();
  e.from = cfg.from;
  e.uid = uid_of(c->serial);
  model::transport t = transport_of(c->proto);
  set_at(e, cf.orig_h, to_address(c->orig_h));
  set_at(e, cf.orig_p, model::port{c->orig_p, t});
  set_at(e, cf.resp_h, to_address(c->resp_h));
  set_at(e, cf.resp_p, model::port{c->resp_p, t});
  if (c->app && c->app->a && !c->app->a->service().empty()) {
    set_at(e, cf.service, std::string(c->app->a->service()));
  }
  std::int64_t dur = c->last_ns - c->start_ns;
  if (dur > 0) {  // Zeek leaves duration and sizes unset for a zero duration
    set_at(e, cf.duration, model::interval{dur});
    std::uint64_t ob = c->proto == 6 ? detail::tcp_size(*c, 0) : c->ep[0].size;
    std::uint64_t rb = c->proto == 6 ? detail::tcp_size(*c, 1) : c->ep[1].size;
    set_at(e, cf.orig_bytes, ob);
    set_at(e, cf.resp_bytes, rb);
  }
  set_at(e, cf.conn_state, std::string(detail::conn_state_name(*c)));
  set_at(e, cf.missed_bytes, c->ep[0].missed + c->ep[1].missed);
  if (c->hist_len > 0) set_at(e, cf.history, std::string(c->hist, c->hist_len));
  set_at(e, cf.orig_pkts, c->ep[0].pkts);
  set_at(e, cf.orig_ip_bytes, c->ep[0].ip_bytes);
  set_at(e, cf.resp_pkts, c->ep[1].pkts);
  set_at(e, cf.resp_ip_bytes, c->ep[1].ip_bytes);
  if (c->tunnelled) {
    // The tunnel's uid does not depend on the direction of the packet.
    const auto& lo = std::min(c->tunnel_src, c->tunnel_dst);
    const auto& hi = std::max(c->tunnel_src, c->tunnel_dst);
    std::uint64_t h = 0;
    for (auto b : lo.b) h = h * 131 + b;
    for (auto b : hi.b) h = h * 131 + b;
    set_at(e, cf.tunnel_parents, model::value::make_set({model::value(uid_of(h ^ 0x7475u))}));
  }
  set_at(e, cf.ip_proto, std::uint64_t{c->proto});
  if (c->vlan != 0) set_at(e, cf.vlan, std::uint64_t{c->vlan});
  if (c->inner_vlan != 0) set_at(e, cf.inner_vlan, std::uint64_t{c->inner_vlan});
  table.erase(c);
  stats.active_connections = table.size();
  ++stats.events;
  if (sink) sink(e);
}

void sensor::impl::packet_event(const conn& c, const packet_view& p) {
  model::event e(packet_schema);
  e.ts = model::timestamp{p.ts_ns};
  e.id = ids.next();
  e.from = cfg.from;
  e.uid = uid_of(c.serial);
  set_at(e, pf.link_type, std::uint64_t{p.link_type});
  set_at(e, pf.caplen, std::uint64_t{p.data.size()});
  set_at(e, pf.wirelen, std::uint64_t{p.wirelen});
  set_at(e, pf.data,
         model::bytes{std::string(reinterpret_cast<const char*>(p.data.data()), p.data.size())});
  model::transport t = transport_of(c.proto);
  set_at(e, pf.orig_h, to_address(c.orig_h));
  set_at(e, pf.orig_p, model::port{c.orig_p, t});
  set_at(e, pf.resp_h, to_address(c.resp_h));
  set_at(e, pf.resp_p, model::port{c.resp_p, t});
  ++stats.events;
  if (sink) sink(e);
}

model::event* sensor::impl::make(std::string_view type, const conn& c, std::int64_t ts_ns,
                                 bool swap) {
  auto s = reg.find(type);
  if (!s) return nullptr;
  scratch = model::event(s);
  scratch.ts = model::timestamp{ts_ns};
  scratch.id = ids.next();
  scratch.from = cfg.from;
  scratch.uid = uid_of(c.serial);
  model::transport t = transport_of(c.proto);
  detail::set_field(scratch, "orig_h", to_address(swap ? c.resp_h : c.orig_h));
  detail::set_field(scratch, "orig_p", model::port{swap ? c.resp_p : c.orig_p, t});
  detail::set_field(scratch, "resp_h", to_address(swap ? c.orig_h : c.resp_h));
  detail::set_field(scratch, "resp_p", model::port{swap ? c.orig_p : c.resp_p, t});
  return &scratch;
}

void sensor::impl::emit() {
  ++stats.events;
  if (sink) sink(scratch);
}

}  // namespace coop::sensor

namespace coop::sensor::detail {

void set_field(model::event& e, std::string_view name, model::value v) {
  auto i = e.type().index_of(name);
  if (i) e.field(*i) = std::move(v);
}

}  // namespace coop::sensor::detail
