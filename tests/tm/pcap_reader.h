// A small capture-file reader for the tests only: classic pcap (micro- and
// nanosecond magic, either byte order) and pcapng (Section Header, Interface
// Description and Enhanced Packet blocks). It turns a real capture into
// `packet` events and reads back what pcap_writer wrote. Neither
// libtimemachine nor its tests may use libpcap (it belongs to sensors), hence
// this reader. Every error names the byte offset.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/catalogue.h"
#include "coop/model/event.h"
#include "coop/model/result.h"

namespace coop::tm::testing {

/// One packet of a capture file.
struct captured_packet {
  std::int64_t ts_ns = 0;      ///< nanoseconds since 1970
  std::uint32_t link_type = 0;
  std::uint32_t wirelen = 0;   ///< original length on the wire
  std::string data;            ///< the captured bytes
  std::string interface;       ///< pcapng if_name, empty if none
};

/// What a capture file holds.
struct capture {
  bool pcapng = false;
  std::uint32_t magic = 0;     ///< classic pcap: the magic as read in the file's byte order
  std::uint32_t snaplen = 0;   ///< classic pcap: the file header's snaplen
  std::uint32_t link_type = 0; ///< classic pcap: the file header's link type
  std::vector<captured_packet> packets;
};

namespace reader_detail {

class cursor {
 public:
  cursor(std::string_view bytes, bool swapped) : bytes_(bytes), swapped_(swapped) {}
  [[nodiscard]] bool has(std::size_t off, std::size_t n) const {
    return off <= bytes_.size() && n <= bytes_.size() - off;
  }
  [[nodiscard]] std::uint16_t u16(std::size_t off) const {
    std::uint16_t v = 0;
    std::memcpy(&v, bytes_.data() + off, 2);
    return swapped_ ? static_cast<std::uint16_t>((v >> 8) | (v << 8)) : v;
  }
  [[nodiscard]] std::uint32_t u32(std::size_t off) const {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes_.data() + off, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }
  [[nodiscard]] std::string_view bytes(std::size_t off, std::size_t n) const {
    return bytes_.substr(off, n);
  }
  void set_swapped(bool s) { swapped_ = s; }

 private:
  std::string_view bytes_;
  bool swapped_;
};

inline model::error bad(std::size_t off, const std::string& what) {
  return {model::errc::corruption, "capture byte offset " + std::to_string(off) + ": " + what};
}

inline model::result<capture> parse_classic(std::string_view in) {
  capture c;
  cursor cur(in, false);
  if (!cur.has(0, 24)) return bad(in.size(), "truncated pcap file header");
  std::uint32_t magic = cur.u32(0);
  bool swapped = false;
  if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
    swapped = true;
    magic = __builtin_bswap32(magic);
  }
  const bool nano = magic == 0xa1b23c4d;
  cur.set_swapped(swapped);
  c.magic = magic;
  c.snaplen = cur.u32(16);
  c.link_type = cur.u32(20);
  std::size_t off = 24;
  while (off < in.size()) {
    if (!cur.has(off, 16)) return bad(off, "truncated record header");
    const std::uint32_t sec = cur.u32(off);
    const std::uint32_t frac = cur.u32(off + 4);
    const std::uint32_t incl = cur.u32(off + 8);
    if ((nano && frac >= 1'000'000'000u) || (!nano && frac >= 1'000'000u)) {
      return bad(off + 4, "sub-second field " + std::to_string(frac) + " out of range");
    }
    if (!cur.has(off + 16, incl)) return bad(off + 8, "incl_len runs past the end of the file");
    captured_packet p;
    p.ts_ns = std::int64_t{sec} * 1'000'000'000 + std::int64_t{frac} * (nano ? 1 : 1000);
    p.link_type = c.link_type;
    p.wirelen = cur.u32(off + 12);
    p.data = std::string(cur.bytes(off + 16, incl));
    c.packets.push_back(std::move(p));
    off += 16 + std::size_t{incl};
  }
  return c;
}

struct interface_info {
  std::uint32_t link_type = 0;
  std::string name;
  std::uint64_t units_per_s = 1'000'000;  // if_tsresol, as a power of 10 only
  std::int64_t offset_s = 0;              // if_tsoffset
};

// Reads an Interface Description Block's fields and options.
inline model::result<interface_info> parse_idb(const cursor& cur, std::size_t body, std::size_t end) {
  interface_info info;
  if (body + 8 > end) return bad(body, "truncated interface description block");
  info.link_type = cur.u16(body);
  for (std::size_t off = body + 8; off + 4 <= end;) {
    const std::uint16_t code = cur.u16(off);
    const std::uint16_t len = cur.u16(off + 2);
    if (code == 0) break;  // opt_endofopt
    if (off + 4 + len > end) return bad(off, "option runs past its block");
    if (code == 2) info.name = std::string(cur.bytes(off + 4, len));
    if (code == 9 && len >= 1) {
      const auto res = static_cast<unsigned char>(cur.bytes(off + 4, 1)[0]);
      if ((res & 0x80) != 0 || res > 9) return bad(off + 4, "if_tsresol not supported by this reader");
      info.units_per_s = 1;
      for (unsigned i = 0; i < res; ++i) info.units_per_s *= 10;
    }
    if (code == 14 && len == 8) {
      std::int64_t v = 0;
      std::memcpy(&v, cur.bytes(off + 4, 8).data(), 8);
      info.offset_s = v;  // assumes the section is in host order (checked by the caller)
    }
    off += 4 + ((len + 3u) & ~3u);
  }
  return info;
}

inline model::result<capture> parse_pcapng(std::string_view in) {
  capture c;
  c.pcapng = true;
  cursor cur(in, false);
  std::vector<interface_info> interfaces;
  std::size_t off = 0;
  while (off < in.size()) {
    if (!cur.has(off, 12)) return bad(off, "truncated block header");
    const std::uint32_t type = cur.u32(off);
    if (type == 0x0A0D0D0A) {  // Section Header: fixes the byte order of what follows
      const std::uint32_t bom = cur.u32(off + 8);
      if (bom == 0x4D3C2B1A) {
        return bad(off + 8, "byte-swapped pcapng section not supported by this reader");
      }
      if (bom != 0x1A2B3C4D) return bad(off + 8, "bad byte-order magic");
      interfaces.clear();
    }
    const std::uint32_t total = cur.u32(off + 4);
    if (total < 12 || total % 4 != 0 || !cur.has(off, total)) {
      return bad(off + 4, "bad block length " + std::to_string(total));
    }
    const std::size_t body = off + 8;
    const std::size_t end = off + total - 4;
    if (type == 1) {
      auto info = parse_idb(cur, body, end);
      if (!info) return info.err();
      interfaces.push_back(std::move(info.value()));
    } else if (type == 6) {
      if (body + 20 > end) return bad(off, "truncated enhanced packet block");
      const std::uint32_t if_id = cur.u32(body);
      if (if_id >= interfaces.size()) return bad(body, "unknown interface " + std::to_string(if_id));
      const interface_info& info = interfaces[if_id];
      const std::uint64_t units = (std::uint64_t{cur.u32(body + 4)} << 32) | cur.u32(body + 8);
      const std::uint32_t incl = cur.u32(body + 12);
      if (body + 20 + std::size_t{incl} > end) return bad(body + 12, "captured length past its block");
      captured_packet p;
      const auto sec = static_cast<std::int64_t>(units / info.units_per_s);
      const auto frac = static_cast<std::int64_t>(units % info.units_per_s);
      p.ts_ns = (sec + info.offset_s) * 1'000'000'000 +
                frac * static_cast<std::int64_t>(1'000'000'000 / info.units_per_s);
      p.link_type = info.link_type;
      p.wirelen = cur.u32(body + 16);
      p.data = std::string(cur.bytes(body + 20, incl));
      p.interface = info.name;
      c.packets.push_back(std::move(p));
    } else if (type == 2 || type == 3) {
      return bad(off, "obsolete or simple packet block not supported by this reader");
    }
    off += total;
  }
  return c;
}

}  // namespace reader_detail

/// Parses a whole capture file held in `bytes`. Errors: corruption or
/// unsupported formats, naming the byte offset.
inline model::result<capture> parse_capture(std::string_view bytes) {
  if (bytes.size() >= 4) {
    std::uint32_t magic = 0;
    std::memcpy(&magic, bytes.data(), 4);
    if (magic == 0x0A0D0D0A) return reader_detail::parse_pcapng(bytes);
    for (std::uint32_t m : {0xa1b2c3d4u, 0xa1b23c4du, 0xd4c3b2a1u, 0x4d3cb2a1u}) {
      if (magic == m) return reader_detail::parse_classic(bytes);
    }
  }
  return reader_detail::bad(0, "not a pcap or pcapng file");
}

/// The whole content of the file `path`, or an io error.
inline model::result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return model::error{model::errc::io, "cannot open " + path.string()};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Reads and parses the capture file `path`.
inline model::result<capture> read_capture(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.err();
  auto c = parse_capture(*bytes);
  if (!c) return model::error{c.err().code, path.string() + ": " + c.err().message};
  return c;
}

/// The packets of `c` as `packet` events of the catalogue in `reg`, with
/// ids from a fixed generator and caplen equal to the captured length.
inline std::vector<model::event> packet_events(const capture& c, const model::registry& reg) {
  std::vector<model::event> out;
  model::id_generator ids(0x5eed);
  for (const captured_packet& p : c.packets) {
    model::event e(reg.find(model::catalogue::packet));
    e.ts.ns = p.ts_ns;
    e.id = ids.next();
    (void)e.set("link_type", std::uint64_t{p.link_type});
    (void)e.set("caplen", std::uint64_t{p.data.size()});
    (void)e.set("wirelen", std::uint64_t{p.wirelen});
    (void)e.set("data", model::bytes{p.data});
    if (!p.interface.empty()) (void)e.set("interface", p.interface);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace coop::tm::testing
