// Frame decoding, outermost layer first. Every length is checked against
// the captured bytes before it is read; a frame that lies about a length is
// `malformed`, never read past its end.
#include "decode/decoder.h"

namespace coop::sensor::detail {

namespace {
constexpr int max_tunnel_depth = 2;
constexpr std::uint16_t eth_ipv4 = 0x0800;
constexpr std::uint16_t eth_ipv6 = 0x86dd;
constexpr std::uint16_t eth_vlan = 0x8100;
constexpr std::uint16_t eth_qinq = 0x88a8;
constexpr std::uint16_t eth_qinq_old = 0x9100;
constexpr std::uint16_t eth_mpls = 0x8847;
constexpr std::uint16_t eth_pppoe = 0x8864;
constexpr std::uint16_t eth_teb = 0x6558;  // transparent Ethernet bridging (GRE)
}  // namespace

decode_result decoder::decode(const packet_view& p, decoded& out) {
  out = decoded{};
  out.ts_ns = p.ts_ns;
  return link_layer(p.link_type, p.data.data(), static_cast<std::uint32_t>(p.data.size()), out, 0);
}

decode_result decoder::link_layer(std::uint32_t type, const std::uint8_t* d, std::uint32_t n,
                                  decoded& out, int depth) {
  switch (type) {
    case link::ethernet: return ethernet(d, n, out, depth);
    case link::raw:
    case 12:  // DLT_RAW on some systems
    case 14:
    case link::ipv4:
    case link::ipv6: return ip(d, n, out, depth);
    case link::null_bsd:
    case link::loop: {
      if (n < 4) return decode_result::malformed;
      std::uint32_t fam = type == link::loop
                              ? rd32(d)
                              : (std::uint32_t{d[0]} | std::uint32_t{d[1]} << 8 |
                                 std::uint32_t{d[2]} << 16 | std::uint32_t{d[3]} << 24);
      if (fam == 2) return ipv4(d + 4, n - 4, out, depth);
      if (fam == 24 || fam == 28 || fam == 30) return ipv6(d + 4, n - 4, out, depth);
      return decode_result::not_ip;
    }
    case link::linux_sll:
      if (n < 16) return decode_result::malformed;
      return by_ethertype(rd16(d + 14), d + 16, n - 16, out, depth);
    case link::linux_sll2:
      if (n < 20) return decode_result::malformed;
      return by_ethertype(rd16(d), d + 20, n - 20, out, depth);
    default: return decode_result::unsupported_link;
  }
}

decode_result decoder::ethernet(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth) {
  if (n < 14) return decode_result::malformed;
  return by_ethertype(rd16(d + 12), d + 14, n - 14, out, depth);
}

decode_result decoder::by_ethertype(std::uint16_t type, const std::uint8_t* d, std::uint32_t n,
                                    decoded& out, int depth) {
  int tags = 0;
  while (type == eth_vlan || type == eth_qinq || type == eth_qinq_old) {
    if (n < 4 || ++tags > 8) return decode_result::malformed;
    auto id = static_cast<std::uint16_t>(rd16(d) & 0x0fff);
    if (depth == 0) {
      if (tags == 1)
        out.vlan = id;
      else if (tags == 2)
        out.inner_vlan = id;
    }
    type = rd16(d + 2);
    d += 4;
    n -= 4;
  }
  switch (type) {
    case eth_ipv4: return ipv4(d, n, out, depth);
    case eth_ipv6: return ipv6(d, n, out, depth);
    case eth_mpls: {
      for (int labels = 0;; ++labels) {
        if (n < 4 || labels > 16) return decode_result::malformed;
        bool bottom = (d[2] & 0x01) != 0;
        d += 4;
        n -= 4;
        if (bottom) break;
      }
      // Below the label stack: IP by its version nibble; otherwise an
      // Ethernet pseudowire, with a control word when the nibble is 0.
      if (n < 1) return decode_result::malformed;
      std::uint8_t nibble = d[0] >> 4;
      if (nibble == 4 || nibble == 6) return ip(d, n, out, depth);
      if (nibble == 0) {
        if (n < 4) return decode_result::malformed;
        return ethernet(d + 4, n - 4, out, depth);
      }
      return ethernet(d, n, out, depth);
    }
    case eth_pppoe: {
      if (n < 8) return decode_result::malformed;
      std::uint16_t proto = rd16(d + 6);
      if (proto == 0x0021) return ipv4(d + 8, n - 8, out, depth);
      if (proto == 0x0057) return ipv6(d + 8, n - 8, out, depth);
      return decode_result::not_ip;
    }
    default: return decode_result::not_ip;
  }
}

decode_result decoder::ip(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth) {
  if (n < 1) return decode_result::malformed;
  if ((d[0] >> 4) == 4) return ipv4(d, n, out, depth);
  if ((d[0] >> 4) == 6) return ipv6(d, n, out, depth);
  return decode_result::malformed;
}

decode_result decoder::ipv4(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth) {
  if (n < 20 || (d[0] >> 4) != 4) return decode_result::malformed;
  std::uint32_t hl = (d[0] & 0x0fu) * 4u;
  std::uint32_t total = rd16(d + 2);
  if (hl < 20 || n < hl || total < hl) return decode_result::malformed;
  out.v6 = false;
  out.src = ip_addr::from_v4(d + 12);
  out.dst = ip_addr::from_v4(d + 16);
  out.proto = d[9];
  out.ip_len = total;
  std::uint32_t cap = n < total ? n : total;  // Ethernet padding is not payload
  std::uint16_t frag = rd16(d + 6);
  bool more = (frag & 0x2000) != 0;
  std::uint32_t offset = (frag & 0x1fffu) * 8u;
  if (more || offset != 0) {
    ++stats_.fragments;
    if (cap < total) return decode_result::malformed;  // cannot reassemble a cut fragment
    frag_key k{out.src, out.dst, rd16(d + 4), out.proto, false};
    auto whole = frags_.add(k, out.ts_ns, offset, more, {d + hl, total - hl});
    stats_.fragment_drops = frags_.drops;
    if (whole.empty()) return decode_result::pending;
    ++stats_.reassembled;
    out.l4 = whole.data();
    out.l4_len = out.l4_caplen = static_cast<std::uint32_t>(whole.size());
    out.ip_len = hl + out.l4_len;
    return transport(out, depth);
  }
  out.l4 = d + hl;
  out.l4_len = total - hl;
  out.l4_caplen = cap - hl;
  return transport(out, depth);
}

decode_result decoder::ipv6(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth) {
  if (n < 40 || (d[0] >> 4) != 6) return decode_result::malformed;
  std::uint32_t plen = rd16(d + 4);
  out.v6 = true;
  out.src = ip_addr::from_v6(d + 8);
  out.dst = ip_addr::from_v6(d + 24);
  out.ip_len = plen + 40;
  std::uint32_t cap = n - 40 < plen ? n - 40 : plen;
  const std::uint8_t* p = d + 40;
  std::uint32_t left_len = plen;  // bytes the header says remain
  std::uint32_t left_cap = cap;   // bytes captured that remain
  std::uint8_t next = d[6];
  for (int hops = 0; hops < 16; ++hops) {
    switch (next) {
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60:    // destination options
      case 135:   // mobility
      case 51: {  // authentication header
        if (left_cap < 8) return decode_result::malformed;
        std::uint32_t len = next == 51 ? (p[1] + 2u) * 4u : (p[1] + 1u) * 8u;
        if (len > left_cap) return decode_result::malformed;
        next = p[0];
        p += len;
        left_len -= len;
        left_cap -= len;
        continue;
      }
      case 44: {  // fragment
        if (left_cap < 8) return decode_result::malformed;
        std::uint8_t inner = p[0];
        std::uint32_t offset = rd16(p + 2) & 0xfff8u;
        bool more = (p[3] & 1) != 0;
        std::uint32_t id = rd32(p + 4);
        p += 8;
        left_len -= 8;
        left_cap -= 8;
        if (offset == 0 && !more) {  // atomic fragment
          next = inner;
          continue;
        }
        ++stats_.fragments;
        if (left_cap < left_len) return decode_result::malformed;
        frag_key k{out.src, out.dst, id, inner, true};
        auto whole = frags_.add(k, out.ts_ns, offset, more, {p, left_len});
        stats_.fragment_drops = frags_.drops;
        if (whole.empty()) return decode_result::pending;
        ++stats_.reassembled;
        out.proto = inner;
        out.l4 = whole.data();
        out.l4_len = out.l4_caplen = static_cast<std::uint32_t>(whole.size());
        out.ip_len = 40 + out.l4_len;
        return transport(out, depth);
      }
      default:
        out.proto = next;
        out.l4 = p;
        out.l4_len = left_len;
        out.l4_caplen = left_cap;
        return transport(out, depth);
    }
  }
  return decode_result::malformed;
}

decode_result decoder::transport(decoded& out, int depth) {
  if (out.proto == 47) return gre(out.l4, out.l4_caplen, out, depth);
  if (out.proto == 4 || out.proto == 41) {  // IP in IP
    if (depth >= max_tunnel_depth) return decode_result::ip;
    ip_addr s = out.src;
    ip_addr t = out.dst;
    auto r = out.proto == 4 ? ipv4(out.l4, out.l4_caplen, out, depth + 1)
                            : ipv6(out.l4, out.l4_caplen, out, depth + 1);
    if (r == decode_result::ip && !out.tunnelled) {
      out.tunnelled = true;
      out.tunnel_src = s;
      out.tunnel_dst = t;
    }
    if (r == decode_result::ip) ++stats_.tunnelled;
    return r;
  }
  return decode_result::ip;
}

decode_result decoder::gre(const std::uint8_t* d, std::uint32_t n, decoded& out, int depth) {
  if (depth >= max_tunnel_depth) return decode_result::ip;
  if (n < 4) return decode_result::malformed;
  std::uint16_t flags = rd16(d);
  std::uint16_t proto = rd16(d + 2);
  std::uint32_t version = flags & 0x7u;
  std::uint32_t off = 4;
  if (version == 0) {
    if (flags & 0x8000) off += 4;  // checksum + reserved
    if (flags & 0x2000) off += 4;  // key
    if (flags & 0x1000) off += 4;  // sequence number
    if (flags & 0x4000) off += 4;  // routing present (offset field)
  } else if (version == 1) {       // enhanced GRE (PPTP): key always, ack optional
    off += 4;
    if (flags & 0x1000) off += 4;
    if (flags & 0x0080) off += 4;
  } else {
    return decode_result::malformed;
  }
  if (n < off) return decode_result::malformed;
  ip_addr s = out.src;
  ip_addr t = out.dst;
  const std::uint8_t* p = d + off;
  std::uint32_t left = n - off;
  decode_result r = decode_result::not_ip;
  if (version == 1 || proto == 0x880b) {           // PPP
    if (left == 0) return decode_result::pending;  // PPTP keep-alive/ack only
    if (left >= 2 && p[0] == 0xff && p[1] == 0x03) {
      p += 2;
      left -= 2;
    }
    if (left < 1) return decode_result::malformed;
    std::uint16_t pp = p[0];
    if ((pp & 1) == 0) {
      if (left < 2) return decode_result::malformed;
      pp = rd16(p);
      p += 2;
      left -= 2;
    } else {
      p += 1;
      left -= 1;
    }
    if (pp == 0x21)
      r = ipv4(p, left, out, depth + 1);
    else if (pp == 0x57)
      r = ipv6(p, left, out, depth + 1);
    else
      return decode_result::not_ip;
  } else if (proto == eth_ipv4) {
    r = ipv4(p, left, out, depth + 1);
  } else if (proto == eth_ipv6) {
    r = ipv6(p, left, out, depth + 1);
  } else if (proto == eth_teb) {
    r = ethernet(p, left, out, depth + 1);
  } else {
    return decode_result::not_ip;
  }
  if (r == decode_result::ip) {
    ++stats_.tunnelled;
    if (!out.tunnelled) {
      out.tunnelled = true;
      out.tunnel_src = s;
      out.tunnel_dst = t;
    }
  }
  return r;
}

}  // namespace coop::sensor::detail
