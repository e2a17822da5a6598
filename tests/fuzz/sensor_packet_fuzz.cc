// Fuzz target: the bytes after the first are one captured frame; the first
// byte picks the link type. The frame goes through decoding (link layers,
// IP, fragments, tunnels) and connection tracking twice (so the second
// copy finds its connection), then the sensor is flushed.
#include <coop/model/catalogue.h>
#include <coop/sensor/sensor.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const coop::model::registry* reg = [] {
    auto* r = new coop::model::registry;
    (void)coop::model::add_catalogue(*r);
    return r;
  }();
  if (size < 1) return 0;
  static const std::uint32_t links[] = {
      coop::sensor::link::ethernet,   coop::sensor::link::raw,      coop::sensor::link::linux_sll,
      coop::sensor::link::linux_sll2, coop::sensor::link::null_bsd, coop::sensor::link::loop};
  std::uint32_t lt = links[data[0] % (sizeof links / sizeof links[0])];
  coop::sensor::sensor_config cfg;
  cfg.id_seed = 1;
  cfg.verify_checksums = (data[0] & 0x80) != 0;
  cfg.packet_events = (data[0] & 0x40) != 0;
  cfg.max_connections = 4;
  auto s = coop::sensor::sensor::make(*reg, cfg,
                                      [](const coop::model::event& e) { (void)e.validate(); });
  if (!s) __builtin_trap();
  coop::sensor::packet_view p{
      1'000'000'000, lt, static_cast<std::uint32_t>(size - 1), {data + 1, size - 1}};
  s.value().process(p);
  p.ts_ns += 1'000'000;
  s.value().process(p);
  s.value().flush();
  return 0;
}
