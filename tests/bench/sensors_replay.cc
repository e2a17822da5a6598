// The benchmark's large capture: the shared pcaps read through the sensor's
// own capture API, replayed several times with shifted addresses and times
// so that every copy's connections are distinct, and written back as one
// pcap file for tshark.
#include <algorithm>
#include <cstring>
#include <fstream>

#include "coop/sensor/capture.h"
#include "sensors_bench.h"

namespace coop::bench::sensors {
namespace {

namespace fs = std::filesystem;

bool is_capture(const fs::path& p) {
  const std::string n = p.filename().string();
  auto ends = [&](std::string_view s) {
    return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".pcap") || ends(".pcapng") || ends(".pcap.gz") || ends(".pcapng.gz");
}

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

// RFC 1624, eqn. 3: the checksum after one 16-bit word changed from `from` to `to`.
std::uint16_t adjust(std::uint16_t sum, std::uint16_t from, std::uint16_t to) {
  std::uint32_t s = static_cast<std::uint16_t>(~sum);
  s += static_cast<std::uint16_t>(~from);
  s += to;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s);
}

// Adds `k` to one byte of the 16-bit word at `word` (its low byte when `low`)
// and fixes the checksums at `sum_a` and `sum_b` (null ones skipped; a UDP
// checksum of 0 means none and stays 0).
void shift_byte(std::uint8_t* word, bool low, unsigned k, std::uint8_t* sum_a, std::uint8_t* sum_b,
                bool b_is_udp) {
  const std::uint16_t before = get16(word);
  std::uint8_t* byte = word + (low ? 1 : 0);
  *byte = static_cast<std::uint8_t>(*byte + k);
  const std::uint16_t after = get16(word);
  if (sum_a) put16(sum_a, adjust(get16(sum_a), before, after));
  if (sum_b && !(b_is_udp && get16(sum_b) == 0)) {
    std::uint16_t s = adjust(get16(sum_b), before, after);
    if (b_is_udp && s == 0) s = 0xffff;
    put16(sum_b, s);
  }
}

// Shifts the addresses of one Ethernet frame for copy `k`: IPv4 third octet
// and IPv6 byte 13 of source and destination, updating the IPv4 header
// checksum and the TCP/UDP checksum when the transport header is present
// (unfragmented or first fragment). Packets inside GRE keep their inner
// addresses. Frames too short for a header are left alone.
void shift_addresses(std::uint8_t* f, std::size_t len, unsigned k) {
  std::size_t off = 12;
  if (len < off + 2) return;
  std::uint16_t type = get16(f + off);
  while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && len >= off + 6) {
    off += 4;
    type = get16(f + off);
  }
  off += 2;
  if (type == 0x0800 && len >= off + 20) {
    std::uint8_t* ip = f + off;
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    const bool first = (get16(ip + 6) & 0x1fff) == 0;
    std::uint8_t* l4sum = nullptr;
    bool udp = false;
    if (first && ihl >= 20 && ip[9] == 6 && len >= off + ihl + 18) l4sum = ip + ihl + 16;
    if (first && ihl >= 20 && ip[9] == 17 && len >= off + ihl + 8) l4sum = ip + ihl + 6, udp = true;
    shift_byte(ip + 14, false, k, ip + 10, l4sum, udp);
    shift_byte(ip + 18, false, k, ip + 10, l4sum, udp);
  } else if (type == 0x86dd && len >= off + 40) {
    std::uint8_t* ip = f + off;
    std::uint8_t* l4sum = nullptr;
    bool udp = false;
    std::size_t l4 = 40;
    std::uint8_t next = ip[6];
    if (next == 44 && len >= off + 48) {  // fragment header: the first fragment has the L4 header
      next = (get16(ip + 42) & 0xfff8) == 0 ? ip[40] : 0;
      l4 = 48;
    }
    if (next == 6 && len >= off + l4 + 18) l4sum = ip + l4 + 16;
    if (next == 17 && len >= off + l4 + 8) l4sum = ip + l4 + 6, udp = true;
    shift_byte(ip + 8 + 12, true, k, nullptr, l4sum, udp);
    shift_byte(ip + 24 + 12, true, k, nullptr, l4sum, udp);
  }
}

}  // namespace

std::vector<source_file> load_captures(const fs::path& dir, std::uint64_t& skipped) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == "_tshark") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && is_capture(it->path())) paths.push_back(it->path());
  }
  if (ec) die(dir.string() + ": cannot list: " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<source_file> out;
  for (const auto& p : paths) {
    auto cap = sensor::capture::open_file(p.string());
    if (!cap) die(cap.err().to_string());
    source_file f;
    f.name = fs::relative(p, dir).string();
    sensor::packet_view v;
    for (;;) {
      auto more = cap->next(v);
      if (!more) die(p.string() + ": " + more.err().to_string());
      if (!*more) break;
      const std::uint8_t* data = v.data.data();
      std::size_t n = v.data.size();
      source_packet sp{v.ts_ns, v.wirelen, f.bytes.size(), 0};
      if (v.link_type == sensor::link::ethernet) {
        f.bytes.insert(f.bytes.end(), data, data + n);
      } else if ((v.link_type == sensor::link::raw || v.link_type == sensor::link::ipv4 ||
                  v.link_type == sensor::link::ipv6) &&
                 n > 0) {
        // Locally administered MACs, EtherType from the IP version nibble.
        const bool v6 = (data[0] >> 4) == 6;
        const std::uint8_t eth[14] = {2,
                                      0,
                                      0,
                                      0,
                                      0,
                                      2,
                                      2,
                                      0,
                                      0,
                                      0,
                                      0,
                                      1,
                                      static_cast<std::uint8_t>(v6 ? 0x86 : 0x08),
                                      static_cast<std::uint8_t>(v6 ? 0xdd : 0x00)};
        f.bytes.insert(f.bytes.end(), eth, eth + 14);
        f.bytes.insert(f.bytes.end(), data, data + n);
        n += 14;
        sp.wirelen += 14;
        ++f.converted;
      } else {
        ++skipped;
        continue;
      }
      sp.caplen = static_cast<std::uint32_t>(n);
      f.packets.push_back(sp);
    }
    if (!f.packets.empty()) out.push_back(std::move(f));
  }
  return out;
}

replay build_replay(const std::vector<source_file>& sources, unsigned copies,
                    std::uint64_t max_packets) {
  replay r;
  r.copies = copies;
  std::size_t bytes = 0, count = 0;
  for (const auto& f : sources) bytes += f.bytes.size(), count += f.packets.size();
  r.bytes.reserve(bytes * copies);
  r.packets.reserve(count * copies);
  // 2026-01-01T00:00:00Z: every copy of every file follows the previous one
  // 1 ms after its last packet.
  std::int64_t cursor = 1'767'225'600'000'000'000;
  std::vector<std::size_t> starts;
  auto full = [&] { return max_packets && r.packets.size() >= max_packets; };
  for (unsigned k = 0; k < copies && !full(); ++k) {
    for (const auto& f : sources) {
      std::int64_t prev_orig = f.packets.front().ts_ns, prev_new = cursor;
      for (const auto& p : f.packets) {
        if (full()) break;
        std::int64_t gap = p.ts_ns - prev_orig;
        if (gap > max_gap_ns) gap = max_gap_ns, ++r.shortened_gaps;
        const std::int64_t ts = prev_new + gap;
        prev_orig = p.ts_ns, prev_new = ts;
        cursor = std::max(cursor, ts);
        starts.push_back(r.bytes.size());
        r.bytes.insert(r.bytes.end(), f.bytes.begin() + static_cast<std::ptrdiff_t>(p.offset),
                       f.bytes.begin() + static_cast<std::ptrdiff_t>(p.offset + p.caplen));
        if (k > 0) shift_addresses(r.bytes.data() + starts.back(), p.caplen, k);
        sensor::packet_view v;
        v.ts_ns = ts;
        v.link_type = sensor::link::ethernet;
        v.wirelen = p.wirelen;
        r.packets.push_back(v);
        r.wire_bytes += p.wirelen;
      }
      cursor += 1'000'000;
    }
  }
  // The byte vector no longer grows: point the views at it.
  for (std::size_t i = 0; i < r.packets.size(); ++i) {
    const std::size_t end = i + 1 < starts.size() ? starts[i + 1] : r.bytes.size();
    r.packets[i].data = std::span<const std::uint8_t>(r.bytes.data() + starts[i], end - starts[i]);
  }
  return r;
}

void write_pcap(const replay& r, const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) die(path.string() + ": cannot create");
  auto put32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto put16h = [&](std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  put32(0xa1b23c4d);  // nanosecond pcap, host byte order
  put16h(2);
  put16h(4);
  put32(0);
  put32(0);
  put32(262144);
  put32(sensor::link::ethernet);
  for (const auto& p : r.packets) {
    put32(static_cast<std::uint32_t>(p.ts_ns / 1'000'000'000));
    put32(static_cast<std::uint32_t>(p.ts_ns % 1'000'000'000));
    put32(static_cast<std::uint32_t>(p.data.size()));
    put32(std::max<std::uint32_t>(p.wirelen, static_cast<std::uint32_t>(p.data.size())));
    out.write(reinterpret_cast<const char*>(p.data.data()),
              static_cast<std::streamsize>(p.data.size()));
  }
  out.close();
  if (!out) die(path.string() + ": write failed (disk full?)");
}

}  // namespace coop::bench::sensors
