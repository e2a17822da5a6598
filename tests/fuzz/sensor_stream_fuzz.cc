// Fuzz target: the bytes become a TCP (or UDP) conversation fed to the
// application analyzers. Byte 0 picks the server port (which only breaks
// recognition ties) and the transport; then each chunk is one header byte
// (bit 0: direction, bits 1-7: length - 1) followed by its payload.
#include <coop/model/catalogue.h>
#include <coop/sensor/sensor.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../sensor/frames.h"

using namespace coop::sensor::testing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const coop::model::registry* reg = [] {
    auto* r = new coop::model::registry;
    (void)coop::model::add_catalogue(*r);
    return r;
  }();
  if (size < 1) return 0;
  static const unsigned ports[] = {80, 21, 25, 22, 443, 53, 514, 8080};
  unsigned port = ports[data[0] & 7];
  bool use_udp = (data[0] & 8) != 0;
  std::vector<bytes> frames;
  std::uint32_t cs = 1000, ss = 9000;
  auto c = host(1), s = host(2);
  if (!use_udp) {
    frames.push_back(ether(ipv4(c, s, 6, tcp(40000, port, cs++, 0, SYN))));
    frames.push_back(ether(ipv4(s, c, 6, tcp(port, 40000, ss++, cs, SYN | ACK))));
  }
  std::size_t i = 1;
  while (i < size && frames.size() < 512) {
    bool from_client = (data[i] & 1) == 0;
    std::size_t len = (data[i] >> 1) + 1u;
    ++i;
    if (len > size - i) len = size - i;
    std::string chunk(reinterpret_cast<const char*>(data + i), len);
    i += len;
    if (use_udp) {
      frames.push_back(from_client ? ether(ipv4(c, s, 17, udp(40000, port, chunk)))
                                   : ether(ipv4(s, c, 17, udp(port, 40000, chunk))));
    } else if (from_client) {
      frames.push_back(ether(ipv4(c, s, 6, tcp(40000, port, cs, ss, ACK | PSH, chunk))));
      cs += static_cast<std::uint32_t>(len);
    } else {
      frames.push_back(ether(ipv4(s, c, 6, tcp(port, 40000, ss, cs, ACK | PSH, chunk))));
      ss += static_cast<std::uint32_t>(len);
    }
  }
  std::vector<coop::sensor::packet_view> views;
  std::int64_t t = 1'000'000'000;
  for (const auto& f : frames) {
    views.push_back({t,
                     coop::sensor::link::ethernet,
                     static_cast<std::uint32_t>(f.size()),
                     {f.data(), f.size()}});
    t += 1'000'000;
  }
  coop::sensor::sensor_config cfg;
  cfg.id_seed = 1;
  auto r = coop::sensor::run_packets(views, *reg, cfg, [](const coop::model::event& e) {
    if (!e.validate().ok()) __builtin_trap();  // analyzers must build valid events
  });
  if (!r) __builtin_trap();
  return 0;
}
