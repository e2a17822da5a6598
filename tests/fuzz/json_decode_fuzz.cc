// Fuzz target for the JSON decoders (src/json/): from_json against a small
// registry, value_from_json for several types, schema_from_json. The first
// byte picks the decoder: 'E' an event, 'S' a schema, 'a', 'b', ... a value
// of the first, second, ... type of fixture::types. Oracle: whatever decodes must
// encode, decode again to an equal object and re-encode to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/json.h"

using namespace coop::model;

namespace {

[[noreturn]] void oracle_failed(const char* what, std::string_view detail) {
  std::fprintf(stderr, "json_decode_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

field opt(const char* name, type t, value def = {}) { return field{name, std::move(t), true, std::move(def), {}}; }
field req(const char* name, type t) { return field{name, std::move(t), false, {}, {}}; }

type record_type() {
  return type::record_of({{"x", type(type_kind::count)}, {"y", type(type_kind::string)}});
}

struct fixture {
  registry reg;
  std::vector<type> types;

  fixture() {
    const type proto = type::enum_of({"unknown_transport", "tcp", "udp", "icmp"});
    std::vector<field> conn = {
        req("orig_h", type(type_kind::address)), req("orig_p", type(type_kind::port)),
        req("resp_h", type(type_kind::address)), req("resp_p", type(type_kind::port)),
        req("proto", proto), opt("service", type(type_kind::string)),
        opt("duration", type(type_kind::interval)), opt("orig_bytes", type(type_kind::count)),
        opt("missed_bytes", type(type_kind::count), std::uint64_t{0}),
        opt("tunnel_parents", type::set_of(type(type_kind::string)))};
    add(schema("connection_end", 1, conn));
    conn.push_back(opt("vlan", type(type_kind::count)));
    add(schema("connection_end", 2, conn));  // v3 input exercises the ignored fields
    add(schema("kitchen_sink", 1,
               {opt("b", type(type_kind::boolean)), opt("i", type(type_kind::integer)),
                opt("r", type(type_kind::real)), opt("by", type(type_kind::bytes)),
                opt("sn", type(type_kind::subnet)), opt("t", type(type_kind::time)),
                opt("tb", type::table_of(type(type_kind::string), type(type_kind::count))),
                opt("v", type::vector_of(type(type_kind::string))), opt("rec", record_type()),
                req("e", type::enum_of({"red", "green"}))}));

    // Picked by the first byte: 'a' count, 'b' int, ... 'n' the nested vector.
    types = {type(type_kind::count),
             type(type_kind::integer),
             type(type_kind::real),
             type(type_kind::string),
             type(type_kind::bytes),
             type(type_kind::address),
             type(type_kind::subnet),
             type(type_kind::port),
             type(type_kind::time),
             type(type_kind::interval),
             type::set_of(type(type_kind::address)),
             type::table_of(type(type_kind::string), type::vector_of(type(type_kind::real))),
             type::vector_of(record_type()),
             type::vector_of(type::table_of(type(type_kind::address), type::set_of(type(type_kind::port))))};
  }

  void add(schema s) {
    if (!reg.add(std::move(s)).ok()) oracle_failed("fixture", "schema refused");
  }
};

const fixture& get_fixture() {
  static const fixture f;
  return f;
}

json_limits limits() {
  json_limits l;
  l.max_elements = 20'000;  // keeps each run fast; the limit itself is exercised too
  return l;
}

void check_event(std::string_view text) {
  const fixture& f = get_fixture();
  auto e = from_json(text, f.reg, limits());
  if (!e.ok()) {
    if (e.err().message.empty()) oracle_failed("event", "error without a message");
    return;
  }
  auto once = to_json(*e);
  if (!once.ok()) oracle_failed("event re-encode", once.err().message);
  auto again = from_json(*once, f.reg, limits());
  if (!again.ok()) oracle_failed("event re-decode", again.err().message);
  if (!(*again == *e)) oracle_failed("event round trip changed the event", *once);
  auto twice = to_json(*again);
  if (!twice.ok() || *twice != *once) oracle_failed("event encoding not stable", *once);
}

void check_value(std::string_view text, const type& t) {
  auto v = value_from_json(text, t, limits());
  if (!v.ok()) return;
  std::string once;
  if (auto r = value_to_json(*v, t, once); !r.ok()) oracle_failed("value re-encode", r.err().message);
  auto again = value_from_json(once, t, limits());
  if (!again.ok()) oracle_failed("value re-decode", again.err().message);
  if (!(*again == *v)) oracle_failed("value round trip changed the value", once);
  std::string twice;
  if (!value_to_json(*again, t, twice).ok() || twice != once) oracle_failed("value encoding not stable", once);
}

void check_schema(std::string_view text) {
  auto s = schema_from_json(text, limits());
  if (!s.ok()) return;
  auto once = schema_to_json(*s);
  if (!once.ok()) oracle_failed("schema re-encode", once.err().message);
  auto again = schema_from_json(*once, limits());
  if (!again.ok()) oracle_failed("schema re-decode", again.err().message);
  if (!(*again == *s)) oracle_failed("schema round trip changed the schema", *once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'E': check_event(text); break;
    case 'S': check_schema(text); break;
    default: {
      const auto& types = get_fixture().types;
      check_value(text, types[static_cast<unsigned char>(data[0] - 'a') % types.size()]);
    }
  }
  return 0;
}
