// libFuzzer target for the binary codec (coop/model/codec.h): feeds arbitrary
// bytes to every decoder (decode, decode_into, decode_batch,
// decode_batch_and_learn, decode_schema), to event_view / batch_view and all
// their accessors, and to a stream_reader. Whatever decodes must re-encode and decode to an equal
// event: a mismatch aborts, so the fuzzer reports it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "coop/model/codec.h"

using namespace coop::model;

namespace {

field req(std::string name, type t) {
  return field{std::move(name), std::move(t), false, value{}, {}};
}
field opt(std::string name, type t) {
  return field{std::move(name), std::move(t), true, value{}, {}};
}
type T(type_kind k) { return type(k); }

// The types the seed corpus uses (tests/model/codec_test.cc defines the same).
registry make_registry() {
  registry reg;
  (void)reg.add(
      schema("ping", 1, {req("seq", T(type_kind::count)), opt("note", T(type_kind::string))}));
  (void)reg.add(
      schema("conn", 1,
             {req("orig_h", T(type_kind::address)), req("orig_p", T(type_kind::port)),
              req("resp_h", T(type_kind::address)), req("resp_p", T(type_kind::port)),
              req("proto", type::enum_of({"tcp", "udp", "icmp"})),
              opt("duration", T(type_kind::interval)), req("orig_bytes", T(type_kind::count)),
              opt("service", T(type_kind::string)), opt("local", T(type_kind::boolean))}));
  (void)reg.add(schema(
      "bag", 1,
      {req("tags", type::set_of(T(type_kind::string))),
       req("hist", type::table_of(T(type_kind::string), T(type_kind::count))),
       req("path", type::vector_of(T(type_kind::address))),
       req("loc", type::record_of({{"lat", T(type_kind::real)}, {"name", T(type_kind::string)}})),
       req("net", T(type_kind::subnet)), req("i", T(type_kind::integer)),
       req("raw", T(type_kind::bytes)), req("t", T(type_kind::time))}));
  (void)reg.add(schema("deep", 1,
                       {opt("v", type::vector_of(type::table_of(
                                     T(type_kind::port), type::set_of(T(type_kind::subnet))))),
                        opt("e", type::enum_of({"a", "b"}))}));
  return reg;
}

const registry& known() {
  static const registry reg = make_registry();
  return reg;
}

void check_round_trip(const event& e) {
  auto again = encode(e);
  if (!again) std::abort();  // a decoded event must be encodable
  auto back = decode(byte_view(*again), known());
  if (!back || !(*back == e)) std::abort();
}

void poke(const event_view& v) {
  const std::size_t n = v.size() < 64 ? v.size() + 1 : 64;
  for (std::size_t i = 0; i < n; ++i) {
    (void)v.field_kind(i);
    (void)v.boolean_at(i);
    (void)v.count_at(i);
    (void)v.integer_at(i);
    (void)v.real_at(i);
    (void)v.string_at(i);
    (void)v.bytes_at(i);
    (void)v.enum_at(i);
    (void)v.address_at(i);
    (void)v.subnet_at(i);
    (void)v.port_at(i);
    (void)v.time_at(i);
    (void)v.interval_at(i);
    (void)v.field(i);
  }
  (void)v.to_event(known());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  decode_limits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_traversal_words = 1 << 20;

  auto decoded = decode(bytes, known(), limits);
  if (decoded) check_round_trip(*decoded);
  // decode_into an event reused across inputs (of any earlier type) must
  // agree with decode.
  static event reused;
  auto into = decode_into(bytes, known(), reused, limits);
  if (into.ok() != decoded.ok()) std::abort();
  if (decoded && !(reused == *decoded)) std::abort();
  if (auto b = decode_batch(bytes, known(), limits)) {
    for (const auto& e : *b) check_round_trip(e);
  }
  registry learner;
  (void)decode_batch_and_learn(bytes, learner, limits);
  if (auto s = decode_schema(bytes, limits)) {
    auto again = encode_schema(*s);
    if (!again) std::abort();
    auto back = decode_schema(byte_view(*again));
    if (!back || !(*back == *s)) std::abort();
  }
  if (auto v = event_view::open(bytes, limits)) poke(*v);
  if (auto b = batch_view::open(bytes, limits)) {
    for (std::size_t i = 0; i < b->size() && i < 16; ++i) {
      if (auto v = b->at(i)) poke(*v);
    }
    for (std::size_t i = 0; i < b->schema_count() && i < 16; ++i) (void)b->schema_at(i);
  }
  stream_reader r(bytes, limits);
  for (int i = 0; i < 64; ++i) {
    auto v = r.next_view();
    if (v.ok() && !v->has_value()) break;
    if (v.ok()) (void)(*v)->to_event(known());
  }
  return 0;
}
