// The instrumentation path: filling and encoding a typical connection event
// through a warm event and encoder allocates nothing, from C++ and from C.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "coop/model.h"
#include "coop/model/catalogue.h"
#include "coop/model/codec.h"
#include "coop/model/json.h"

namespace {
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace coop::model;

namespace {

struct conn_fields {
  std::size_t orig_h, orig_p, resp_h, resp_p, duration, orig_bytes, resp_bytes, conn_state,
      history, orig_pkts, resp_pkts, service;
  explicit conn_fields(const schema& s)
      : orig_h(*s.index_of("orig_h")), orig_p(*s.index_of("orig_p")),
        resp_h(*s.index_of("resp_h")), resp_p(*s.index_of("resp_p")),
        duration(*s.index_of("duration")), orig_bytes(*s.index_of("orig_bytes")),
        resp_bytes(*s.index_of("resp_bytes")), conn_state(*s.index_of("conn_state")),
        history(*s.index_of("history")), orig_pkts(*s.index_of("orig_pkts")),
        resp_pkts(*s.index_of("resp_pkts")), service(*s.index_of("service")) {}
};

// Sets a string field in place, reusing its capacity.
void set_string(event& e, std::size_t i, std::string_view s) {
  if (auto* str = std::get_if<std::string>(&e.field(i).data())) {
    str->assign(s);
  } else {
    e.field(i) = value{std::string(s)};
  }
}

void fill(event& e, const conn_fields& f, std::uint32_t i) {
  e.ts = timestamp{1'700'000'000'000'000'000 + i};
  e.id = event_id{7, i};
  e.uid.assign("CHhAvVGS1DHFjwGM9");
  e.field(f.orig_h) = address::v4(0x0a000000u + i);
  e.field(f.orig_p) = port{static_cast<std::uint16_t>(1024 + i % 60000), transport::tcp};
  e.field(f.resp_h) = address::v4(0xc0000200u + (i % 256));
  e.field(f.resp_p) = port{443, transport::tcp};
  e.field(f.duration) = interval{1'500'000 + i};
  e.field(f.orig_bytes) = std::uint64_t{1000} + i;
  e.field(f.resp_bytes) = std::uint64_t{50000} + i;
  e.field(f.orig_pkts) = std::uint64_t{10};
  e.field(f.resp_pkts) = std::uint64_t{40};
  set_string(e, f.conn_state, "SF");
  set_string(e, f.history, i % 2 ? "ShADadFfR" : "ShADadfF");
  set_string(e, f.service, "ssl,http-long-service-name");
}

}  // namespace

TEST_CASE("C++: a warm event and encoder fill and encode without allocating") {
  registry reg;
  REQUIRE(add_catalogue(reg).ok());
  auto s = reg.find(catalogue::connection_end);
  conn_fields f(*s);
  event e(s);
  e.from = {"site-a.example", "border-1"};
  encoder enc;
  std::string json;
  for (std::uint32_t i = 0; i < 3; ++i) {  // warm up
    fill(e, f, i);
    REQUIRE(enc.encode(e).ok());
    json.clear();
    REQUIRE(to_json(e, json).ok());
  }
  long before = allocations.load();
  std::size_t bytes = 0;
  for (std::uint32_t i = 3; i < 1003; ++i) {
    fill(e, f, i);
    auto wire = enc.encode(e);
    REQUIRE(wire.ok());
    bytes += wire->size();
  }
  long binary_allocs = allocations.load() - before;
  CHECK(bytes > 0);
  CHECK(binary_allocs == 0);

  before = allocations.load();
  for (std::uint32_t i = 3; i < 1003; ++i) {
    fill(e, f, i);
    json.clear();
    REQUIRE(to_json(e, json).ok());
  }
  CHECK(allocations.load() - before == 0);
}

TEST_CASE("C: a warm handle fills and encodes without allocating") {
  coop_registry* reg = nullptr;
  REQUIRE(coop_registry_new(1, &reg) == COOP_OK);
  coop_event* ev = nullptr;
  REQUIRE(coop_event_new(reg, "connection_end", &ev) == COOP_OK);
  auto fill_c = [&](std::uint32_t i) {
    coop_event_set_ts(ev, 1'700'000'000'000'000'000 + i);
    CHECK(coop_event_set_addr_v4(ev, "orig_h", 0x0a000000u + i) == COOP_OK);
    CHECK(coop_event_set_port(ev, "orig_p", static_cast<uint16_t>(1024 + i), COOP_TCP) == COOP_OK);
    CHECK(coop_event_set_addr_v4(ev, "resp_h", 0xc0000201u) == COOP_OK);
    CHECK(coop_event_set_port(ev, "resp_p", 443, COOP_TCP) == COOP_OK);
    CHECK(coop_event_set_count(ev, "orig_bytes", 1000 + i) == COOP_OK);
    CHECK(coop_event_set_interval(ev, "duration", 1'500'000) == COOP_OK);
    CHECK(coop_event_set_string(ev, "history", "ShADadFf", 8) == COOP_OK);
    CHECK(coop_event_set_string(ev, "service", "ssl,http-long-service-name", 26) == COOP_OK);
  };
  const uint8_t* data = nullptr;
  size_t len = 0;
  for (std::uint32_t i = 0; i < 3; ++i) {
    fill_c(i);
    REQUIRE(coop_event_encode(ev, &data, &len) == COOP_OK);
  }
  long before = allocations.load();
  for (std::uint32_t i = 3; i < 1003; ++i) {
    fill_c(i);
    REQUIRE(coop_event_encode(ev, &data, &len) == COOP_OK);
  }
  CHECK(allocations.load() - before == 0);
  // Clearing between events (as a collector does) keeps the buffers too.
  for (std::uint32_t i = 0; i < 3; ++i) {
    coop_event_clear(ev);
    fill_c(i);
    REQUIRE(coop_event_encode(ev, &data, &len) == COOP_OK);
  }
  before = allocations.load();
  for (std::uint32_t i = 3; i < 1003; ++i) {
    coop_event_clear(ev);
    fill_c(i);
    REQUIRE(coop_event_encode(ev, &data, &len) == COOP_OK);
  }
  CHECK(allocations.load() - before == 0);
  CHECK(len > 0);
  coop_event_free(ev);
  coop_registry_free(reg);
}
