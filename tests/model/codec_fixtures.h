// Schemas, events and helpers shared by the binary codec tests
// (codec_test.cc, codec_io_test.cc). Header-only, test code.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "coop/model/codec.h"

namespace coop::model::codec_testing {


inline address addr(const char* s) { return address::parse(s).value(); }
inline subnet net(const char* s) { return subnet::parse(s).value(); }
inline type T(type_kind k) { return type(k); }

inline field req(std::string name, type t, std::string doc = {}) {
  return field{std::move(name), std::move(t), false, value{}, std::move(doc)};
}
inline field opt(std::string name, type t, std::string doc = {}) {
  return field{std::move(name), std::move(t), true, value{}, std::move(doc)};
}

inline std::shared_ptr<const schema> add(registry& reg, schema s) {
  auto r = reg.add(std::move(s));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
  return *r;
}

// The schemas of the test vectors (docs/format-binary.md describes them).
inline schema ping_schema() {
  return schema("ping", 1,
                {req("seq", T(type_kind::count), "sequence number"),
                 opt("note", T(type_kind::string), "free text")},
                "a liveness probe");
}

inline schema conn_schema() {
  return schema("conn", 1,
                {req("orig_h", T(type_kind::address)), req("orig_p", T(type_kind::port)),
                 req("resp_h", T(type_kind::address)), req("resp_p", T(type_kind::port)),
                 req("proto", type::enum_of({"tcp", "udp", "icmp"})),
                 opt("duration", T(type_kind::interval)), req("orig_bytes", T(type_kind::count)),
                 opt("service", T(type_kind::string)), opt("local", T(type_kind::boolean))});
}

inline type loc_type() {
  return type::record_of({{"lat", T(type_kind::real)}, {"name", T(type_kind::string)}});
}

inline schema bag_schema() {
  return schema("bag", 1,
                {req("tags", type::set_of(T(type_kind::string))),
                 req("hist", type::table_of(T(type_kind::string), T(type_kind::count))),
                 req("path", type::vector_of(T(type_kind::address))), req("loc", loc_type()),
                 req("net", T(type_kind::subnet)), req("i", T(type_kind::integer)),
                 req("raw", T(type_kind::bytes)), req("t", T(type_kind::time))});
}

inline event ping_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  e.ts = timestamp{1258531221486539000};
  e.id = event_id{0x0123456789abcdefULL, 1};
  e.from = origin{"a.example", "s1"};
  e.field(0) = value(std::uint64_t{7});
  return e;
}

inline event conn_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  e.ts = timestamp{1258531221486539000};
  e.id = event_id{0x0123456789abcdefULL, 2};
  e.from = origin{"lbl.gov", "zeek-1"};
  e.uid = "CHhAvVGS1DHFjwGM9";
  e.field(0) = addr("10.0.0.1");
  e.field(1) = port{49152, transport::tcp};
  e.field(2) = addr("2001:db8::1");
  e.field(3) = port{443, transport::tcp};
  e.field(4) = enum_value{"tcp"};
  e.field(5) = interval{1'500'000'000};
  e.field(6) = value(std::uint64_t{1024});
  e.field(8) = true;
  return e;
}

inline event bag_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  e.ts = timestamp{1258531221486539000};
  e.id = event_id{0x0123456789abcdefULL, 3};
  e.field(0) = value::make_set({"b", "a"});
  e.field(1) = value::make_table({{"x", value(std::uint64_t{1})}, {"y", value(std::uint64_t{2})}});
  e.field(2) = vector_value{{addr("192.168.1.1"), addr("::1")}};
  e.field(3) = record_value{{value(-12.5), value("here")}};
  e.field(4) = net("10.1.0.0/16");
  e.field(5) = value(std::int64_t{-5});
  e.field(6) = bytes{std::string("\x00\xff\x10", 3)};
  e.field(7) = timestamp{-1};
  return e;
}

inline std::span<const std::byte> bv(const std::string& s) { return byte_view(s); }

inline std::string must_encode(const event& e) {
  auto r = encode(e);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
  return *r;
}


}  // namespace coop::model::codec_testing
