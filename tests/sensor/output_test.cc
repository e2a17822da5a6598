// The sensor's events survive both output formats: the binary stream
// (coop-sensor -w) and JSON lines, on the repository's own synthetic
// capture tests/sensor/fixtures/tiny.pcap.gz.
#include <doctest/doctest.h>

#include <coop/model/codec.h>
#include <coop/model/json.h>
#include <coop/sensor/capture.h>

#include <sstream>

#include "frames.h"

using namespace coop::sensor;
namespace model = coop::model;

namespace {

std::vector<model::event> sense_fixture(const model::registry& reg, bool packets) {
  std::vector<model::event> out;
  sensor_config cfg;
  cfg.packet_events = packets;
  auto s = sensor::make(reg, cfg, [&](const model::event& e) { out.push_back(e); });
  REQUIRE(s);
  auto cap =
      capture::open_file(std::string(COOP_SOURCE_DIR) + "/tests/sensor/fixtures/tiny.pcap.gz");
  REQUIRE(cap);
  packet_view p;
  while (cap.value().next(p).value()) s.value().process(p);
  s.value().flush();
  return out;
}

}  // namespace

TEST_CASE("every event the sensor emits round-trips through the binary stream and JSON") {
  model::registry reg;
  REQUIRE(model::add_catalogue(reg));
  auto events = sense_fixture(reg, true);
  REQUIRE(events.size() == 16);  // 6 events and 10 packet events
  std::stringstream bin;
  {
    model::stream_writer w(bin);
    for (const auto& e : events) REQUIRE(w.write(e));
    REQUIRE(w.flush());
  }
  model::stream_reader r(bin);
  std::size_t i = 0;
  for (;;) {
    auto n = r.next(reg);
    REQUIRE_MESSAGE(n, (n ? "" : n.err().message));
    if (!n.value()) break;
    REQUIRE(i < events.size());
    CHECK(*n.value() == events[i]);
    ++i;
  }
  CHECK(i == events.size());
  for (const auto& e : events) {
    auto j = model::to_json(e);
    REQUIRE(j);
    auto back = model::from_json(j.value(), reg);
    REQUIRE_MESSAGE(back, (back ? "" : back.err().message));
    CHECK(back.value() == e);
  }
}
