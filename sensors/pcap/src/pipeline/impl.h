// Internal: the sensor's state (sensor::impl) shared by the pipeline's
// source files: decoding, connection tracking, analyzer delivery, events.
// Single-threaded.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "analyzers/analyzer.h"
#include "coop/model/event.h"
#include "coop/model/schema.h"
#include "coop/sensor/sensor.h"
#include "decode/decoder.h"
#include "flow/table.h"

namespace coop::sensor {

/// Field positions of connection_end and packet, looked up once.
struct conn_fields {
  std::size_t orig_h, orig_p, resp_h, resp_p, service, duration, orig_bytes, resp_bytes, conn_state,
      missed_bytes, history, orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes, tunnel_parents,
      ip_proto, vlan, inner_vlan;
};
struct packet_fields {
  std::size_t link_type, caplen, wirelen, data, orig_h, orig_p, resp_h, resp_p;
};

struct sensor::impl final : detail::emit_context {
  impl(const model::registry& r, sensor_config c, event_sink s);

  const model::registry& reg;
  sensor_config cfg;
  event_sink sink;
  sensor_stats stats;
  detail::decoder dec;
  detail::conn_table table;
  std::shared_ptr<const model::schema> conn_schema;
  std::shared_ptr<const model::schema> packet_schema;
  conn_fields cf{};
  packet_fields pf{};
  std::bitset<65536> server_ports;
  model::id_generator ids;
  std::uint64_t uid_key = 0;
  std::uint64_t serial = 0;
  std::int64_t now = INT64_MIN;
  std::int64_t timeouts[3];
  model::event scratch;  // the event being built by make()
  const packet_view* current = nullptr;

  // pipeline/sensor.cc
  void process(const packet_view& p);
  void expire(std::int64_t t);
  void evict_one();
  detail::conn* lookup_or_create(const detail::decoded& d, std::uint16_t sp, std::uint16_t dp,
                                 std::uint8_t proto, bool syn, bool ack, bool& is_orig,
                                 const detail::tcp_segment* seg);
  // pipeline/events.cc
  void finish(detail::conn* c);
  std::string uid_of(std::uint64_t serial_no) const;
  void packet_event(const detail::conn& c, const packet_view& p);
  model::event* make(std::string_view type, const detail::conn& c, std::int64_t ts_ns,
                     bool swap = false) override;
  void emit() override;
  // pipeline/streams.cc
  void deliver(detail::conn& c, bool is_orig, const std::uint8_t* payload, std::uint32_t len,
               const detail::tcp_segment* seg, std::int64_t ts);
  void end_app(detail::conn& c);
  void ack_gap(detail::conn& c, bool data_from_orig, std::uint32_t ack);
};

/// model::address of an internal address.
model::address to_address(const detail::ip_addr& a) noexcept;

}  // namespace coop::sensor
