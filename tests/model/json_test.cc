// Tests of the JSON format (src/json/, docs/format-json.md): the test vectors
// of the spec byte for byte, every kind of value, random round trips,
// malformed input with the offsets in its errors, schema evolution and
// limits.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "coop/model/json.h"

using namespace coop::model;

namespace {

// ---------------------------------------------------------------------------
// Schemas built here (the standard catalogue is tested elsewhere).

std::shared_ptr<const schema> must_add(registry& reg, schema s) {
  auto r = reg.add(std::move(s));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
  return *r;
}

field opt(std::string name, type t, value def = {}) {
  return field{std::move(name), std::move(t), true, std::move(def), {}};
}
field req(std::string name, type t, value def = {}) {
  return field{std::move(name), std::move(t), false, std::move(def), {}};
}

type proto_enum() { return type::enum_of({"unknown_transport", "tcp", "udp", "icmp"}); }

schema connection_schema() {
  return schema("connection_end", 1,
                {req("orig_h", type(type_kind::address)), req("orig_p", type(type_kind::port)),
                 req("resp_h", type(type_kind::address)), req("resp_p", type(type_kind::port)),
                 req("proto", proto_enum()), opt("service", type(type_kind::string)),
                 opt("duration", type(type_kind::interval)),
                 opt("orig_bytes", type(type_kind::count)), opt("resp_bytes", type(type_kind::count)),
                 opt("conn_state", type(type_kind::string)),
                 opt("local_orig", type(type_kind::boolean)),
                 opt("local_resp", type(type_kind::boolean)),
                 opt("missed_bytes", type(type_kind::count), std::uint64_t{0}),
                 opt("history", type(type_kind::string)), opt("orig_pkts", type(type_kind::count)),
                 opt("resp_pkts", type(type_kind::count)),
                 opt("tunnel_parents", type::set_of(type(type_kind::string)))},
                "A connection that ended.");
}

type record_xyz() {
  return type::record_of({{"x", type(type_kind::count)},
                          {"y", type(type_kind::string)},
                          {"z", type(type_kind::real)}});
}

schema kitchen_sink_schema() {
  return schema(
      "kitchen_sink", 1,
      {opt("b", type(type_kind::boolean)), opt("c", type(type_kind::count)),
       opt("i", type(type_kind::integer)), opt("r", type(type_kind::real)),
       opt("s", type(type_kind::string)), opt("by", type(type_kind::bytes)),
       opt("a", type(type_kind::address)), opt("a6", type(type_kind::address)),
       opt("sn", type(type_kind::subnet)), opt("p", type(type_kind::port)),
       opt("t", type(type_kind::time)), opt("iv", type(type_kind::interval)),
       opt("e", type::enum_of({"red", "green", "Intel::ADDR"})),
       opt("st", type::set_of(type(type_kind::count))),
       opt("tb", type::table_of(type(type_kind::string), type(type_kind::count))),
       opt("v", type::vector_of(type(type_kind::string))), opt("rec", record_xyz()),
       opt("deep", type::vector_of(type::table_of(type(type_kind::address),
                                                  type::set_of(type(type_kind::port)))))},
      "One field of every kind.");
}

// ---------------------------------------------------------------------------
// The events of the spec's test vectors.

constexpr std::int64_t ts_2009 = 1258531221486539000;  // 2009-11-18T08:00:21.486539Z

address ip(std::string_view s) { return *address::parse(s); }

event connection_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  e.ts = timestamp{ts_2009};
  e.id = event_id{0x0123456789abcdef, 0x2a};
  e.from = origin{"lbl.gov", "zeek-border-1"};
  e.uid = "CHhAvVGS1DHFjwGM9";
  CHECK(e.set("orig_h", ip("10.0.0.1")));
  CHECK(e.set("orig_p", port{52143, transport::tcp}));
  CHECK(e.set("resp_h", ip("192.0.2.80")));
  CHECK(e.set("resp_p", port{80, transport::tcp}));
  CHECK(e.set("proto", enum_value{"tcp"}));
  CHECK(e.set("service", "http"));
  CHECK(e.set("duration", interval{1'250'000'000}));
  CHECK(e.set("orig_bytes", std::uint64_t{512}));
  CHECK(e.set("resp_bytes", std::uint64_t{10240}));
  CHECK(e.set("conn_state", "SF"));
  CHECK(e.set("local_orig", true));
  CHECK(e.set("local_resp", false));
  CHECK(e.set("history", "ShADadFf"));
  CHECK(e.set("orig_pkts", std::uint64_t{6}));
  CHECK(e.set("resp_pkts", std::uint64_t{9}));
  CHECK(e.set("tunnel_parents", value::make_set({"CUM0KZ3MLUfNB0cl11"})));
  REQUIRE(e.validate());
  return e;
}

event kitchen_sink_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  e.ts = timestamp{-1};  // just before the epoch
  e.id = event_id{~std::uint64_t{0}, 0};
  e.from = origin{"site \"a\"", "s\xc3\xa9nsor"};
  CHECK(e.set("b", true));
  CHECK(e.set("c", std::numeric_limits<std::uint64_t>::max()));
  CHECK(e.set("i", std::numeric_limits<std::int64_t>::min()));
  CHECK(e.set("r", 0.1));
  CHECK(e.set("s", std::string("tab\there \"q\" \\ \x01 caf\xc3\xa9 \xf0\x9f\x98\x80 bad:\xff\xc3")));
  CHECK(e.set("by", bytes{std::string("\x00\xff\x10 hi", 6)}));
  CHECK(e.set("a", ip("10.1.2.3")));
  CHECK(e.set("a6", ip("2001:db8::ff00:42:8329")));
  CHECK(e.set("sn", *subnet::parse("10.0.0.0/8")));
  CHECK(e.set("p", port{53, transport::udp}));
  CHECK(e.set("t", timestamp{ts_2009}));
  CHECK(e.set("iv", interval{-1'500'000'000}));
  CHECK(e.set("e", enum_value{"Intel::ADDR"}));
  CHECK(e.set("st", value::make_set({std::uint64_t{3}, std::uint64_t{1}, std::uint64_t{2}})));
  CHECK(e.set("tb", value::make_table({{"b", std::uint64_t{2}}, {"a", std::uint64_t{1}}})));
  CHECK(e.set("v", vector_value{{"x", none, "z"}}));
  CHECK(e.set("rec", record_value{{std::uint64_t{7}, none, 2.5}}));
  CHECK(e.set("deep", vector_value{{value::make_table(
                          {{ip("::1"), value::make_set({port{22, transport::tcp},
                                                        port{8, transport::icmp}})}})}}));
  REQUIRE(e.validate());
  return e;
}

// ---------------------------------------------------------------------------
// The vectors of docs/format-json.md: ```json vector=NAME blocks.

struct doc_vector {
  std::string text;
  bool decode_only = false;
};

std::map<std::string, doc_vector> doc_vectors() {
  std::ifstream in(std::string(COOP_SOURCE_DIR) + "/docs/format-json.md");
  REQUIRE_MESSAGE(in.good(), "cannot read docs/format-json.md");
  std::map<std::string, doc_vector> out;
  std::string line, name;
  doc_vector current;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.rfind("```json ", 0) == 0 && line.find("vector=") != std::string::npos) {
      auto at = line.find("vector=") + 7;
      name = line.substr(at, line.find(' ', at) - at);
      current = doc_vector{};
      current.decode_only = line.find("decode-only") != std::string::npos;
      inside = true;
    } else if (inside && line == "```") {
      if (!current.text.empty()) current.text.pop_back();  // the last newline
      REQUIRE_MESSAGE(out.count(name) == 0, "duplicate vector " << name);
      out[name] = current;
      inside = false;
    } else if (inside) {
      current.text += line + "\n";
    }
  }
  return out;
}

registry vector_registry() {
  registry reg;
  must_add(reg, connection_schema());
  must_add(reg, kitchen_sink_schema());
  return reg;
}

}  // namespace

TEST_CASE("json: the spec's event vectors match the encoder byte for byte and decode back") {
  auto vectors = doc_vectors();
  registry reg = vector_registry();
  auto conn = reg.find("connection_end");
  auto sink = reg.find("kitchen_sink");

  std::map<std::string, event> expected;
  expected["connection_end"] = connection_event(conn);
  expected["every_type"] = kitchen_sink_event(sink);
  {
    event e(conn);  // unset optional fields; missed_bytes unset despite its default
    e.ts = timestamp{0};
    e.id = event_id{1, 2};
    e.from = origin{"lbl.gov", "sshd"};
    CHECK(e.set("orig_h", ip("2001:db8::1")));
    CHECK(e.set("orig_p", port{0, transport::unknown}));
    CHECK(e.set("resp_h", ip("::ffff:192.0.2.1")));
    CHECK(e.set("resp_p", port{3, transport::icmp}));
    CHECK(e.set("proto", enum_value{"icmp"}));
    e.field(*conn->index_of("missed_bytes")) = none;
    expected["unset_fields"] = e;
  }
  {
    event e = connection_event(conn);  // what Zeek-style input decodes to
    e.uid.clear();
    e.from = origin{"lbl.gov", "zeek"};
    for (const char* f : {"service", "duration", "orig_bytes", "resp_bytes", "conn_state",
                          "local_orig", "local_resp", "history", "orig_pkts", "resp_pkts",
                          "tunnel_parents"}) {
      e.field(*conn->index_of(f)) = none;
    }
    e.field(*conn->index_of("missed_bytes")) = std::uint64_t{0};
    expected["decode_zeek_style"] = e;
  }

  for (const auto& entry : expected) {
    const std::string& name = entry.first;  // not a structured binding: lambdas capture it
    const event& e = entry.second;
    CAPTURE(name);
    REQUIRE_MESSAGE(vectors.count(name) == 1, "docs/format-json.md lacks vector " << name);
    const doc_vector& v = vectors[name];
    if (!v.decode_only) {
      auto text = to_json(e);
      REQUIRE(text.ok());
      CHECK(*text == v.text);
    }
    auto back = from_json(v.text, reg);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.err().message));
    CHECK(*back == e);
  }
}

TEST_CASE("json: the spec's schema and value vectors match") {
  auto vectors = doc_vectors();
  for (const schema& s : {connection_schema(), kitchen_sink_schema()}) {
    std::string name = "schema_" + s.name();
    CAPTURE(name);
    REQUIRE(vectors.count(name) == 1);
    auto text = schema_to_json(s);
    REQUIRE(text.ok());
    CHECK(*text == vectors[name].text);
    auto back = schema_from_json(vectors[name].text);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.err().message));
    CHECK(*back == s);
  }

  struct value_vector {
    const char* name;
    value v;
    type t;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<value_vector> values = {
      {"value_reals",
       vector_value{{0.1, -0.0, 1e300, 5e-324, 1.0, -2.5, nan, inf, -inf}},
       type::vector_of(type(type_kind::real))},
      {"value_integers",
       vector_value{{std::numeric_limits<std::int64_t>::min(),
                     std::numeric_limits<std::int64_t>::max(), std::int64_t{0}, std::int64_t{-1}}},
       type::vector_of(type(type_kind::integer))},
      {"value_string_bytes", std::string("\xed\xa0\x80 \xc0\xaf \xe2\x82\xac \n"),
       type(type_kind::string)},
      {"value_intervals",
       vector_value{{interval{0}, interval{1}, interval{-1}, interval{3'600'000'000'000},
                     interval{std::numeric_limits<std::int64_t>::min()}}},
       type::vector_of(type(type_kind::interval))},
      {"value_times",
       vector_value{{timestamp{std::numeric_limits<std::int64_t>::min()}, timestamp{0},
                     timestamp{std::numeric_limits<std::int64_t>::max()}}},
       type::vector_of(type(type_kind::time))},
      {"value_table", value::make_table({{ip("10.0.0.2"), vector_value{{"a", none}}},
                                         {ip("10.0.0.1"), vector_value{}}}),
       type::table_of(type(type_kind::address), type::vector_of(type(type_kind::string)))},
  };
  for (const auto& vv : values) {
    CAPTURE(vv.name);
    REQUIRE_MESSAGE(vectors.count(vv.name) == 1, "docs/format-json.md lacks vector " << vv.name);
    std::string out;
    REQUIRE(value_to_json(vv.v, vv.t, out));
    CHECK(out == vectors[vv.name].text);
    auto back = value_from_json(vectors[vv.name].text, vv.t);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.err().message));
    CHECK(*back == vv.v);
  }
}

TEST_CASE("json: values decode from every accepted spelling") {
  auto dec = [](std::string_view text, const type& t) {
    auto v = value_from_json(text, t);
    REQUIRE_MESSAGE(v.ok(), text << ": " << v.err().message);
    return *v;
  };
  const type real(type_kind::real), time(type_kind::time), ival(type_kind::interval);
  CHECK(dec("1e3", real) == value(1000.0));
  CHECK(dec("-0.0", real).get<double>() == 0.0);
  CHECK(std::signbit(dec("-0.0", real).get<double>()));
  CHECK(std::signbit(dec("-1e-400", real).get<double>()));  // underflow: signed zero
  CHECK(dec("1e-400", real) == value(0.0));
  CHECK(std::isnan(dec("\"NaN\"", real).get<double>()));
  CHECK(dec("\"-Infinity\"", real) == value(-std::numeric_limits<double>::infinity()));
  CHECK(dec("0.30000000000000004", real) == value(0.1 + 0.2));

  // Zeek's epoch seconds, exact to the nanosecond (never through a double).
  CHECK(dec("1258531221.486539", time) == value(timestamp{ts_2009}));
  CHECK(dec("1258531221486539e-6", time) == value(timestamp{ts_2009}));
  CHECK(dec("\"2009-11-18T09:00:21.486539+01:00\"", time) == value(timestamp{ts_2009}));
  CHECK(dec("\"2009-11-18t08:00:21.486539z\"", time) == value(timestamp{ts_2009}));
  CHECK(dec("\"1970-01-01T00:00:00.0000000005Z\"", time) == value(timestamp{1}));
  CHECK(dec("\"2016-12-31T23:59:60Z\"", time) == dec("\"2017-01-01T00:00:00Z\"", time));
  CHECK(dec("0.0000000005", ival) == value(interval{1}));    // half away from zero
  CHECK(dec("-0.0000000005", ival) == value(interval{-1}));
  CHECK(dec("0.00000000049", ival) == value(interval{0}));
  CHECK(dec("1e-9", ival) == value(interval{1}));
  CHECK(dec("2", ival) == value(interval{2'000'000'000}));
  CHECK(dec("-9223372036.854775808", ival) ==
        value(interval{std::numeric_limits<std::int64_t>::min()}));

  CHECK(dec("\"::ffff:10.0.0.1\"", type(type_kind::address)) == value(ip("10.0.0.1")));
  CHECK(dec("\"\\u0031\\u0030.0.0.1\"", type(type_kind::address)) == value(ip("10.0.0.1")));
  CHECK(dec("\"65535/unknown\"", type(type_kind::port)) == value(port{65535, transport::unknown}));
  CHECK(dec("\"\"", type(type_kind::bytes)) == value(bytes{}));
  CHECK(dec("\"aGk=\"", type(type_kind::bytes)) == value(bytes{"hi"}));
  CHECK(dec(" \t\r\n true \n", type(type_kind::boolean)) == value(true));
  CHECK(dec("null", type(type_kind::count)).is_none());

  // Escapes: surrogate pairs, escaped bytes, the solidus.
  const type str(type_kind::string);
  CHECK(dec("\"\\ud83d\\ude00\\/\"", str) == value("\xf0\x9f\x98\x80/"));
  CHECK(dec("\"\\udcc3\\udca9\"", str) == value("\xc3\xa9"));  // bytes that happen to be UTF-8
  CHECK(dec("\"\\u0000\"", str) == value(std::string(1, '\0')));

  // Sets and tables in any order are sorted; records accept any key order.
  CHECK(dec("[3,1,2]", type::set_of(type(type_kind::count))) ==
        value::make_set({std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}}));
  CHECK(dec("[[\"b\",2],[\"a\",1]]", type::table_of(str, type(type_kind::count))) ==
        value::make_table({{"a", std::uint64_t{1}}, {"b", std::uint64_t{2}}}));
  CHECK(dec("{\"z\":1.5,\"x\":1}", record_xyz()) == value(record_value{{std::uint64_t{1}, none, 1.5}}));
  CHECK(dec("{\"y\":null}", record_xyz()) == value(record_value{{none, none, none}}));
}

TEST_CASE("json: strings that are not UTF-8 are escaped byte by byte") {
  auto enc = [](std::string s) {
    std::string out;
    REQUIRE(value_to_json(value(s), type(type_kind::string), out));
    return out;
  };
  CHECK(enc("\x80") == "\"\\udc80\"");
  CHECK(enc("\xc3") == "\"\\udcc3\"");                      // truncated sequence
  CHECK(enc("\xc0\x80") == "\"\\udcc0\\udc80\"");           // overlong NUL
  CHECK(enc("\xed\xb2\x80") == "\"\\udced\\udcb2\\udc80\"");  // an encoded surrogate
  CHECK(enc("\xf4\x90\x80\x80") == "\"\\udcf4\\udc90\\udc80\\udc80\"");  // above U+10FFFF
  CHECK(enc("\xf4\x8f\xbf\xbf") == "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF is fine
  CHECK(enc("\x1f\x7f") == "\"\\u001f\x7f\"");
  // Every single byte round-trips.
  for (int b = 0; b < 256; ++b) {
    std::string s(1, static_cast<char>(b));
    auto back = value_from_json(enc(s), type(type_kind::string));
    REQUIRE(back.ok());
    CHECK(back->get<std::string>() == s);
  }
}

namespace {

// Random types and conforming values, for property-style round trips.
class random_values {
 public:
  explicit random_values(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t bits() { return rng_(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  bool coin(unsigned one_in = 2) { return below(one_in) == 0; }

  type any_type(int depth) {
    static constexpr type_kind scalars[] = {
        type_kind::boolean, type_kind::count, type_kind::integer, type_kind::real,
        type_kind::string,  type_kind::bytes, type_kind::address, type_kind::subnet,
        type_kind::port,    type_kind::time,  type_kind::interval};
    std::size_t pick = below(depth >= 3 ? 12 : 17);
    if (pick < 11) return type(scalars[pick]);
    switch (pick) {
      case 11: return type::enum_of({"a", "b", "Notice::X"});
      case 12: return type::set_of(any_type(depth + 1));
      case 13: return type::vector_of(any_type(depth + 1));
      case 14: return type::table_of(any_type(depth + 1), any_type(depth + 1));
      default: {
        std::vector<std::pair<std::string, type>> fields;
        std::size_t n = 1 + below(4);
        for (std::size_t i = 0; i < n; ++i) fields.emplace_back("f" + std::to_string(i), any_type(depth + 1));
        return type::record_of(std::move(fields));
      }
    }
  }

  std::string any_string(std::size_t max_len = 12) {
    static const std::vector<std::string> pieces = {
        "a", "Z", " ", "\"", "\\", "/", "\n", "\t", std::string(1, '\0'), "\x1f", "\x7f",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90",
        "\xff", "\x80", "\xc3", "\xdc", "\\udc80"};
    std::string s;
    std::size_t n = below(max_len + 1);
    for (std::size_t i = 0; i < n; ++i) {
      s += coin(4) ? std::string(1, static_cast<char>(bits())) : pieces[below(pieces.size())];
    }
    return s;
  }

  value any_value(const type& t, bool allow_none) {
    if (allow_none && coin(8)) return none;
    switch (t.kind()) {
      case type_kind::boolean: return coin();
      case type_kind::count: {
        static constexpr std::uint64_t edge[] = {0, 1, 9, 10, 1ULL << 53, (1ULL << 53) + 1,
                                                 ~0ULL, ~0ULL - 1};
        return coin() ? edge[below(8)] : bits() >> below(64);
      }
      case type_kind::integer: {
        static constexpr std::int64_t edge[] = {0, -1, 1, std::numeric_limits<std::int64_t>::min(),
                                                std::numeric_limits<std::int64_t>::max()};
        return coin() ? edge[below(5)] : static_cast<std::int64_t>(bits()) >> below(64);
      }
      case type_kind::real: return any_real();
      case type_kind::string: return any_string();
      case type_kind::bytes: {
        std::string b(below(10), '\0');
        for (auto& c : b) c = static_cast<char>(bits());
        return bytes{b};
      }
      case type_kind::address: return any_address();
      case type_kind::subnet: {
        address a = any_address();
        return *subnet::make(a, static_cast<unsigned>(below(a.is_v4() ? 33 : 129)));
      }
      case type_kind::port: return port{static_cast<std::uint16_t>(bits()), static_cast<transport>(below(4))};
      case type_kind::time: return timestamp{any_ns()};
      case type_kind::interval: return interval{any_ns()};
      case type_kind::enumeration: return enum_value{t.names()[below(t.names().size())]};
      case type_kind::set: {
        std::vector<value> elems;
        for (std::size_t n = below(4); n > 0; --n) elems.push_back(any_value(t.element(), false));
        return value::make_set(std::move(elems));
      }
      case type_kind::vector: {
        vector_value v;
        for (std::size_t n = below(4); n > 0; --n) v.elements.push_back(any_value(t.element(), true));
        return v;
      }
      case type_kind::table: {
        std::vector<std::pair<value, value>> entries;
        for (std::size_t n = below(4); n > 0; --n) {
          entries.emplace_back(any_value(t.element(), false), any_value(t.mapped(), true));
        }
        return value::make_table(std::move(entries));
      }
      case type_kind::record: {
        record_value r;
        for (const auto& ft : t.params()) r.fields.push_back(any_value(ft, true));
        return r;
      }
      default: return none;
    }
  }

 private:
  double any_real() {
    static const double edge[] = {0.0, -0.0, 0.1, -2.5, 1e300, -1e-300,
                                  std::numeric_limits<double>::denorm_min(),
                                  std::numeric_limits<double>::min(),
                                  std::numeric_limits<double>::max(),
                                  -std::numeric_limits<double>::max(),
                                  std::numeric_limits<double>::infinity(),
                                  -std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::quiet_NaN(),
                                  9007199254740993.0};
    if (coin()) return edge[below(std::size(edge))];
    std::uint64_t b = bits();
    double d = 0;
    std::memcpy(&d, &b, sizeof d);
    // A NaN's sign and payload are not kept (documented): use the quiet NaN.
    return std::isnan(d) ? std::numeric_limits<double>::quiet_NaN() : d;
  }

  address any_address() {
    if (coin()) return address::v4(static_cast<std::uint32_t>(bits()));
    std::array<std::uint8_t, 16> b{};
    for (auto& x : b) x = coin(3) ? 0 : static_cast<std::uint8_t>(bits());  // zero runs for "::"
    return address::v6(b);
  }

  std::int64_t any_ns() {
    static constexpr std::int64_t edge[] = {0, 1, -1, std::numeric_limits<std::int64_t>::min(),
                                            std::numeric_limits<std::int64_t>::max(), ts_2009};
    return coin() ? edge[below(6)] : static_cast<std::int64_t>(bits()) >> below(64);
  }

  std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("json: random values of random types round-trip exactly") {
  random_values gen(20240601);
  std::string out;
  for (int i = 0; i < 3000; ++i) {
    type t = gen.any_type(0);
    value v = gen.any_value(t, true);
    out.clear();
    auto enc = value_to_json(v, t, out);
    REQUIRE_MESSAGE(enc.ok(), t.to_string() << ": " << enc.err().message);
    CHECK(out.find('\n') == std::string::npos);
    auto back = value_from_json(out, t);
    REQUIRE_MESSAGE(back.ok(), t.to_string() << " " << out << ": " << back.err().message);
    CHECK_MESSAGE(*back == v, t.to_string() << " " << out);
  }
}

TEST_CASE("json: random events round-trip exactly, envelope included") {
  registry reg = vector_registry();
  auto sink = reg.find("kitchen_sink");
  random_values gen(7);
  std::string out;
  for (int i = 0; i < 1000; ++i) {
    event e(sink);
    e.ts = timestamp{static_cast<std::int64_t>(gen.bits())};
    e.id = event_id{gen.bits(), gen.bits()};
    e.from = origin{gen.any_string(), gen.any_string()};
    e.uid = gen.any_string(3);
    for (std::size_t f = 0; f < sink->size(); ++f) e.field(f) = gen.any_value((*sink)[f].ty, true);
    out.clear();
    auto enc = to_json(e, out);
    REQUIRE_MESSAGE(enc.ok(), (enc.ok() ? std::string() : enc.err().message));
    CHECK(out.find('\n') == std::string::npos);
    auto back = from_json(out, reg);
    REQUIRE_MESSAGE(back.ok(), out << ": " << back.err().message);
    CHECK_MESSAGE(*back == e, out);
  }
}

namespace {

struct bad_input {
  std::string text;
  type t;
  errc code;
  std::string message;  // the exact message, offset included
};

}  // namespace

TEST_CASE("json: malformed values are refused with what and where") {
  const type cnt(type_kind::count), str(type_kind::string), real(type_kind::real);
  const type counts = type::vector_of(cnt);
  std::string deep(100000, '[');
  const std::vector<bad_input> cases = {
      // Truncation and syntax.
      {"", cnt, errc::invalid_argument, "expected a non-negative integer (count), found end of input at byte 0"},
      {"[1,2", counts, errc::invalid_argument, "expected ',' or ']', found end of input at byte 4"},
      {"[1,2,]", counts, errc::invalid_argument, "trailing comma before ']' at byte 5"},
      {"[1 2]", counts, errc::invalid_argument, "expected ',' or ']', found a number at byte 3"},
      {"\"abc", str, errc::invalid_argument, "unterminated string at byte 0"},
      {"\"a\\", str, errc::invalid_argument, "unterminated string at byte 0"},
      {"1 2", cnt, errc::invalid_argument, "unexpected a number after the value at byte 2"},
      {"1 /* c */", cnt, errc::invalid_argument, "unexpected '/' after the value at byte 2"},
      {"tru", type(type_kind::boolean), errc::invalid_argument, "expected true or false, found a boolean at byte 0"},
      // Numbers.
      {"01", cnt, errc::invalid_argument, "invalid number: leading zero at byte 0"},
      {"-", type(type_kind::integer), errc::invalid_argument, "invalid number: expected a digit after '-' at byte 0"},
      {"1.", real, errc::invalid_argument, "invalid number: expected a digit after '.' at byte 0"},
      {"1e+", real, errc::invalid_argument, "invalid number: expected a digit in the exponent at byte 0"},
      {"+1", cnt, errc::invalid_argument, "expected a non-negative integer (count), found '+' at byte 0"},
      {"NaN", real, errc::invalid_argument,
       "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\" (double), found 'N' at byte 0"},
      {"18446744073709551616", cnt, errc::invalid_argument,
       "integer 18446744073709551616 out of range for count (0..18446744073709551615) at byte 0"},
      {"-1", cnt, errc::invalid_argument, "expected a non-negative integer, found -1 at byte 0"},
      {"1.0", cnt, errc::invalid_argument, "expected a non-negative integer, found 1.0 at byte 0"},
      {"-9223372036854775809", type(type_kind::integer), errc::invalid_argument,
       "integer -9223372036854775809 out of range for int (-9223372036854775808..9223372036854775807) at byte 0"},
      {"[0, 1e400]", type::vector_of(real), errc::invalid_argument,
       "[1]: number 1e400 out of range for double at byte 4"},
      {"9223372037", type(type_kind::interval), errc::invalid_argument,
       "number 9223372037 out of range for nanoseconds at byte 0"},
      {"1e999999999999999999", type(type_kind::time), errc::invalid_argument,
       "number 1e999999999999999999 out of range for nanoseconds at byte 0"},
      // Strings: escapes, surrogates, raw bytes.
      {"\"a\\x\"", str, errc::invalid_argument, "invalid escape '\\x' in string at byte 2"},
      {"\"\\u12\"", str, errc::invalid_argument, "truncated \\u escape at byte 1"},
      {"\"\\u12x4\"", str, errc::invalid_argument, "invalid \\u escape: expected four hex digits at byte 1"},
      {"\"\\ud800\"", str, errc::invalid_argument, "high surrogate \\ud800 not followed by a low surrogate at byte 1"},
      {"\"\\ud800\\u0041\"", str, errc::invalid_argument,
       "high surrogate \\ud800 not followed by a low surrogate at byte 1"},
      {"\"ab\\udc7f\"", str, errc::invalid_argument,
       "lone low surrogate \\udc7f (only \\udc80..\\udcff, escaped bytes, may stand alone) at byte 3"},
      {"\"\\ude00\"", str, errc::invalid_argument,
       "lone low surrogate \\ude00 (only \\udc80..\\udcff, escaped bytes, may stand alone) at byte 1"},
      {"\"a\tb\"", str, errc::invalid_argument, "unescaped control character U+0009 in string at byte 2"},
      {"\"caf\xc3\"", str, errc::invalid_argument, "invalid UTF-8 in string at byte 4"},
      {"\"\xed\xa0\x80\"", str, errc::invalid_argument, "invalid UTF-8 in string at byte 1"},
      {"'a'", str, errc::invalid_argument, "expected a string, found ''' at byte 0"},
      // Scalars with a wrong shape.
      {"\"80\"", type(type_kind::port), errc::invalid_argument,
       "expected a port string like \"80/tcp\", found \"80\" at byte 0"},
      {"80", type(type_kind::port), errc::invalid_argument,
       "expected a port string like \"80/tcp\", found a number at byte 0"},
      {"\"65536/tcp\"", type(type_kind::port), errc::invalid_argument,
       "expected a port string like \"80/tcp\", found \"65536/tcp\" at byte 0"},
      {"\"10.0.0.256\"", type(type_kind::address), errc::invalid_argument, "invalid address \"10.0.0.256\" at byte 0"},
      {"\"10.0.0.0/33\"", type(type_kind::subnet), errc::invalid_argument, "invalid subnet \"10.0.0.0/33\" at byte 0"},
      {"\"aGk\"", type(type_kind::bytes), errc::invalid_argument,
       "invalid base64: length 3 is not a multiple of 4 at byte 0"},
      {"\"aGl=\"", type(type_kind::bytes), errc::invalid_argument, "invalid base64: non-zero bits in the padding at byte 0"},
      {"\"a=k=\"", type(type_kind::bytes), errc::invalid_argument, "invalid base64 character at position 1 at byte 0"},
      {"\"2009-02-29T00:00:00Z\"", type(type_kind::time), errc::invalid_argument,
       "invalid date or time in \"2009-02-29T00:00:00Z\" at byte 0"},
      {"\"2009-11-18 08:00:21Z\"", type(type_kind::time), errc::invalid_argument,
       "expected an RFC 3339 time like \"2009-11-18T08:00:21.486539Z\", found \"2009-11-18 08:00:21Z\" at byte 0"},
      {"\"9999-12-31T23:59:59Z\"", type(type_kind::time), errc::invalid_argument,
       "time \"9999-12-31T23:59:59Z\" outside the representable range (years 1677..2262) at byte 0"},
      {"\"1.5\"", type(type_kind::interval), errc::invalid_argument,
       "expected a number of seconds (interval), found a string at byte 0"},
      {"\"blue\"", type::enum_of({"red", "green"}), errc::invalid_argument,
       "enum label \"blue\" is not one of enum { red, green } at byte 0"},
      {"1", type(type_kind::none), errc::invalid_argument, "expected null (type none), found a number at byte 0"},
      // Containers.
      {"[1,1]", type::set_of(cnt), errc::invalid_argument, "[1]: duplicate set element at byte 3"},
      {"[2,1,2]", type::set_of(cnt), errc::invalid_argument, "[2]: duplicate set element at byte 5"},
      {"[null]", type::set_of(cnt), errc::invalid_argument, "[0]: null is not allowed as a set element at byte 1"},
      {"[[\"a\",1],[\"a\",2]]", type::table_of(str, cnt), errc::invalid_argument, "[1]: duplicate table key at byte 10"},
      {"[[\"a\"]]", type::table_of(str, cnt), errc::invalid_argument,
       "[0]: a table entry must be a [key, value] pair at byte 5"},
      {"[[\"a\",1,2]]", type::table_of(str, cnt), errc::invalid_argument,
       "[0]: a table entry must be a [key, value] pair, found a third element at byte 8"},
      {"[[null,1]]", type::table_of(str, cnt), errc::invalid_argument,
       "[0][0]: null is not allowed as a table key at byte 2"},
      {"[[\"a\",\"b\"]]", type::table_of(str, cnt), errc::invalid_argument,
       "[0][1]: expected a non-negative integer (count), found a string at byte 6"},
      {"{\"x\":1,\"x\":2}", record_xyz(), errc::invalid_argument, "duplicate key \"x\" at byte 7"},
      {"{\"w\":1}", record_xyz(), errc::invalid_argument, "unknown record field \"w\" at byte 1"},
      {"{\"x\":1,}", record_xyz(), errc::invalid_argument, "trailing comma before '}' at byte 7"},
      {"{\"x\" 1}", record_xyz(), errc::invalid_argument, "expected ':', found a number at byte 5"},
      {"{x:1}", record_xyz(), errc::invalid_argument, "expected a member name (a string), found 'x' at byte 1"},
      {"[{\"y\":7}]", type::vector_of(record_xyz()), errc::invalid_argument,
       "[0].y: expected a string, found a number at byte 6"},
      // Nesting beyond the type is a type error; beyond max_depth an overload.
      {deep, counts, errc::invalid_argument,
       "[0]: expected a non-negative integer (count), found an array at byte 1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text.substr(0, 40));
    auto r = value_from_json(c.text, c.t);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == c.code);
    CHECK(r.err().message == c.message);
  }
}

namespace {

// The connection_end vector with `fields` replaced by `fields_text`.
std::string conn_line(std::string_view fields_text, std::string_view version = "1") {
  return std::string("{\"type\":\"connection_end\",\"version\":") + std::string(version) +
         ",\"ts\":\"2009-11-18T08:00:21.486539000Z\",\"id\":\"0123456789abcdef000000000000002a\","
         "\"fields\":" + std::string(fields_text) + "}";
}

constexpr std::string_view conn_required =
    R"("orig_h":"10.0.0.1","orig_p":"52143/tcp","resp_h":"192.0.2.80","resp_p":"80/tcp","proto":"tcp")";

std::string with_required(std::string_view extra) {
  std::string f = "{" + std::string(conn_required);
  if (!extra.empty()) f += "," + std::string(extra);
  return f + "}";
}

}  // namespace

TEST_CASE("json: event errors name the field and the byte offset") {
  registry reg = vector_registry();
  auto fails = [&](const std::string& text, errc code, const std::string& message) {
    CAPTURE(text);
    auto r = from_json(text, reg);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == code);
    CHECK(r.err().message == message);
  };
  const std::string prefix = conn_line("");  // where "fields" starts
  const std::size_t f0 = prefix.size() - 1;

  std::string bad_port = conn_line(R"({"orig_h":"10.0.0.1","orig_p":"52143/tcp","resp_h":"192.0.2.80","resp_p":80,"proto":"tcp"})");
  fails(bad_port, errc::invalid_argument,
        "fields.resp_p: expected a port string like \"80/tcp\", found a number at byte " +
            std::to_string(bad_port.find(":80,") + 1));
  std::string dup_elem = conn_line(with_required(R"("tunnel_parents":["a","b","a"])"));
  fails(dup_elem, errc::invalid_argument,
        "fields.tunnel_parents[2]: duplicate set element at byte " +
            std::to_string(dup_elem.rfind("\"a\"")));
  std::string unknown = conn_line(with_required(R"("foo":1,"bar":{"x":[]})"));
  fails(unknown, errc::invalid_argument,
        "fields: unknown fields \"foo\", \"bar\" for connection_end version 1 at byte " +
            std::to_string(unknown.find("\"foo\"")));
  fails(conn_line(R"({"orig_h":"10.0.0.1"})"), errc::invalid_argument,
        "fields.orig_p: required field is missing at byte " + std::to_string(f0));
  std::string null_req = conn_line(R"({"orig_h":null})");
  fails(null_req, errc::invalid_argument,
        "fields.orig_h: null for a required field at byte " + std::to_string(null_req.find("null")));
  std::string dup = conn_line(with_required(R"("service":"a","service":"b")"));
  fails(dup, errc::invalid_argument,
        "fields: duplicate key \"service\" at byte " + std::to_string(dup.rfind("\"service\"")));

  fails(R"({"type":"conection_end","version":1,"ts":0,"id":"0123456789abcdef000000000000002a","fields":{}})",
        errc::not_found, "type: unknown event type \"conection_end\" at byte 8");
  fails(R"({"type":"connection_end","version":0,"ts":0,"id":"0123456789abcdef000000000000002a","fields":{}})",
        errc::invalid_argument, "version: version must be at least 1 at byte 35");
  fails(R"({"version":1,"fields":{},"type":"nope","ts":0,"id":"0123456789abcdef000000000000002a"})",
        errc::not_found, "type: unknown event type \"nope\" at byte 32");
  std::string no_id = R"({"type":"connection_end","version":1,"fields":)" + with_required("") + R"(,"ts":0})";
  fails(no_id, errc::invalid_argument,
        "missing key \"id\" in the event object at byte " + std::to_string(no_id.size() - 1));
  fails(R"({"type":"connection_end","type":"x"})", errc::invalid_argument,
        "duplicate key \"type\" at byte 25");
  fails(R"({"type":"connection_end","extra":1})", errc::invalid_argument,
        "unknown key \"extra\" in an event object at byte 25");
  fails(R"({"type":"connection_end","version":-1})", errc::invalid_argument,
        "version: expected a non-negative integer, found -1 at byte 35");
  fails(R"({"type":"connection_end","version":4294967296})", errc::invalid_argument,
        "version: integer 4294967296 out of range (0..4294967295) at byte 35");
  fails(R"({"id":"0123456789abcdef00000000000000zz"})", errc::invalid_argument,
        "id: expected an event id of 32 hex digits, found a non-hex character at position 30 at byte 6");
  fails(R"({"ts":"yesterday"})", errc::invalid_argument,
        "ts: expected an RFC 3339 time like \"2009-11-18T08:00:21.486539Z\", found \"yesterday\" at byte 6");
  fails("[]", errc::invalid_argument, "expected an event object, found an array at byte 0");
  fails(conn_line(with_required("")) + "\n{}", errc::invalid_argument,
        "unexpected an object after the value at byte " + std::to_string(conn_line(with_required("")).size() + 1));
  // A syntax error inside "fields" that comes first is found in the first pass.
  fails(R"({"fields":{"a":[1,}})", errc::invalid_argument, "fields: expected a value, found '}' at byte 18");
}

TEST_CASE("json: decoding follows the schema evolution rule") {
  schema v1 = connection_schema();
  std::vector<field> f2 = v1.fields();
  f2.push_back(opt("vlan", type(type_kind::count)));
  f2.push_back(opt("note", type(type_kind::string), "none"));
  schema v2("connection_end", 2, f2);

  const std::string line_v1 = conn_line(with_required(R"("service":"dns")"));
  const std::string line_v2 = conn_line(with_required(R"("vlan":7)"), "2");
  const std::string line_v3 =
      conn_line(with_required(R"("vlan":7,"future":{"deep":[[1,{"a":null}]]},"later":"x")"), "3");

  SUBCASE("the exact version is used when known") {
    registry reg;
    must_add(reg, v1);
    must_add(reg, v2);
    auto e = from_json(line_v1, reg);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.err().message));
    CHECK(e->type().version() == 1);
    CHECK(e->size() == v1.size());
    // v1 does not know vlan, even though v2 does.
    auto bad = from_json(conn_line(with_required(R"("vlan":7)")), reg);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.err().message.find("unknown field \"vlan\" for connection_end version 1") !=
          std::string::npos);
  }
  SUBCASE("older input is read with the newest schema; absent fields take defaults") {
    registry reg;
    must_add(reg, v2);
    auto e = from_json(line_v1, reg);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.err().message));
    CHECK(e->type().version() == 2);
    CHECK(e->get("vlan")->is_none());
    CHECK(*e->get("note") == value("none"));
    CHECK(*e->get("service") == value("dns"));
    // ...and re-encoded as version 2.
    auto text = to_json(*e);
    REQUIRE(text.ok());
    CHECK(text->find("\"version\":2") != std::string::npos);
  }
  SUBCASE("fields of a newer version than the registry knows are ignored") {
    registry reg;
    must_add(reg, v1);
    auto e = from_json(line_v2, reg);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.err().message));
    CHECK(e->type().version() == 1);
    CHECK(*e->get("resp_p") == value(port{80, transport::tcp}));
    registry reg2;
    must_add(reg2, v2);
    auto e3 = from_json(line_v3, reg2);
    REQUIRE_MESSAGE(e3.ok(), (e3.ok() ? std::string() : e3.err().message));
    CHECK(*e3->get("vlan") == value(std::uint64_t{7}));
    // Ignored fields are still checked: syntax, duplicates, limits.
    auto bad = from_json(conn_line(with_required(R"("future":{"a":1,"a":2})"), "3"), reg2);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.err().message.rfind("fields: duplicate key \"a\" at byte", 0) == 0);
    auto dup = from_json(conn_line(with_required(R"("future":1,"future":2)"), "3"), reg2);
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.err().message.rfind("fields: duplicate key \"future\" at byte", 0) == 0);
    json_limits shallow;
    shallow.max_depth = 4;
    auto deep = from_json(line_v3, reg2, shallow);
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.err().code == errc::overloaded);
    CHECK(deep.err().message.rfind("fields: nesting deeper than max_depth 4 at byte", 0) == 0);
  }
  SUBCASE("a type the registry lacks is not_found") {
    registry empty;
    auto e = from_json(line_v1, empty);
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::not_found);
  }
}

TEST_CASE("json: encoding refuses events that would not decode back") {
  registry reg = vector_registry();
  auto conn = reg.find("connection_end");
  std::string out = "keep";
  event untyped;
  CHECK_FALSE(to_json(untyped, out).ok());

  event e = connection_event(conn);
  e.field(*conn->index_of("resp_p")) = none;
  auto r = to_json(e, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "fields.resp_p: required field is unset");
  CHECK(out == "keep");  // left as it was

  e = connection_event(conn);
  e.field(*conn->index_of("duration")) = std::uint64_t{5};
  r = to_json(e, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "fields.duration: a value of kind count does not conform to type interval");
  e = connection_event(conn);
  e.field(*conn->index_of("proto")) = enum_value{"sctp"};
  CHECK(to_json(e, out).err().message ==
        "fields.proto: enum label \"sctp\" is not one of enum { unknown_transport, tcp, udp, icmp }");
  e = connection_event(conn);
  e.field(*conn->index_of("tunnel_parents")) = set_value{{"a", none}};
  CHECK(to_json(e, out).err().message == "fields.tunnel_parents[1]: none is not allowed as a set element");
  CHECK(out == "keep");

  std::string v;
  auto bad = value_to_json(vector_value{{record_value{{std::uint64_t{1}, 5.0, none}}}},
                           type::vector_of(record_xyz()), v);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message == "[0].y: a value of kind double does not conform to type string");
  CHECK(v.empty());
}

TEST_CASE("json: encoding appends into a reused buffer without reallocating") {
  registry reg = vector_registry();
  event e = connection_event(reg.find("connection_end"));
  std::string out;
  REQUIRE(to_json(e, out));
  const std::string first = out;
  out.append("\n");
  REQUIRE(to_json(e, out));  // appends: a JSON lines stream
  CHECK(out == first + "\n" + first);
  out.clear();
  const char* data = out.data();
  const std::size_t cap = out.capacity();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    e.id.lo = static_cast<std::uint64_t>(i);
    REQUIRE(to_json(e, out));
  }
  CHECK(out.data() == data);
  CHECK(out.capacity() == cap);
}

TEST_CASE("json: limits bound untrusted input") {
  registry reg = vector_registry();
  const std::string line = conn_line(with_required(R"("history":"ShADadFf","tunnel_parents":["a","b","c"])"));
  REQUIRE(from_json(line, reg).ok());

  json_limits small;
  small.max_bytes = line.size() - 1;
  auto r = from_json(line, reg, small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::overloaded);
  CHECK(r.err().message == "input of " + std::to_string(line.size()) + " bytes exceeds max_bytes " +
                               std::to_string(line.size() - 1));

  small = json_limits{};
  small.max_string_bytes = 31;  // type and ts fit, the id does not
  r = from_json(line, reg, small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::overloaded);
  CHECK(r.err().message == "id: string longer than max_string_bytes 31 at byte " +
                               std::to_string(line.find("\"0123")));

  small = json_limits{};
  small.max_elements = 12;  // 5 envelope keys + 5 required + history + tunnel_parents
  r = from_json(line, reg, small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::overloaded);
  CHECK(r.err().message == "fields.tunnel_parents: more than max_elements 12 array elements and "
                           "object members at byte " + std::to_string(line.find("[\"a\"") + 1));

  // 15 elements: 5 envelope keys, 7 fields, 3 set elements. A "fields" object
  // read twice (it comes before "type") still counts once.
  const std::string fields_first =
      "{\"fields\":" + with_required(R"("history":"ShADadFf","tunnel_parents":["a","b","c"])") +
      R"(,"type":"connection_end","version":1,"ts":0,"id":"0123456789abcdef000000000000002a"})";
  for (const std::string* text : {&line, &fields_first}) {
    small = json_limits{};
    small.max_elements = 15;
    CHECK(from_json(*text, reg, small).ok());
    small.max_elements = 14;
    CHECK(from_json(*text, reg, small).err().code == errc::overloaded);
  }

  // Deep nesting never recurses past max_depth (also not for absurd settings).
  std::string deep(200000, '[');
  type nested = type(type_kind::count);
  for (int i = 0; i < 40; ++i) nested = type::vector_of(nested);
  json_limits huge;
  huge.max_depth = 1u << 30;
  auto v = value_from_json(deep, nested, huge);
  REQUIRE_FALSE(v.ok());
  std::string path;
  for (int i = 0; i < 40; ++i) path += "[0]";
  CHECK(v.err().message == path + ": expected a non-negative integer (count), found an array at byte 40");
  json_limits shallow;
  shallow.max_depth = 8;
  v = value_from_json(deep, nested, shallow);
  REQUIRE_FALSE(v.ok());
  CHECK(v.err().code == errc::overloaded);
  CHECK(v.err().message == "[0][0][0][0][0][0][0][0]: nesting deeper than max_depth 8 at byte 8");
}

TEST_CASE("json: schemas round-trip and bad schemas are refused with where") {
  schema s("badge_swipe", 3,
           {req("door", type(type_kind::string)),
            field{"zones", type::table_of(type(type_kind::string), type::set_of(type(type_kind::port))),
                  true, value::make_table({{"lab", value::make_set({port{22, transport::tcp}})}}),
                  "Zones \"and\" ports."},
            opt("since", type(type_kind::time), timestamp{ts_2009})},
           "A badge was presented.");
  auto text = schema_to_json(s);
  REQUIRE(text.ok());
  auto back = schema_from_json(*text);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.err().message));
  CHECK(*back == s);

  // Key order is free: a default before its type.
  auto reordered = schema_from_json(
      R"({"fields":[{"default":"2009-11-18T08:00:21.486539Z","optional":true,"type":"time","name":"since"}],)"
      R"("version":1,"name":"x"})");
  REQUIRE_MESSAGE(reordered.ok(), (reordered.ok() ? std::string() : reordered.err().message));
  CHECK((*reordered)[0].default_value == value(timestamp{ts_2009}));

  // `message` is completed with the offset of `marker` in the input.
  auto fails = [](std::string_view t, errc code, const std::string& message, std::string_view marker) {
    CAPTURE(t);
    auto r = schema_from_json(t);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == code);
    CHECK(r.err().message == message + " at byte " + std::to_string(t.find(marker)));
  };
  fails(R"({"name":"x","version":1,"fields":[{"name":"a","type":"sett[addr]"}]})", errc::invalid_argument,
        "fields[0].type: type 'sett[addr]', column 1: unknown type 'sett'", "\"sett");
  fails(R"({"name":"x","version":1,"fields":[{"name":"a","type":"count","default":"7"}]})",
        errc::invalid_argument,
        "fields[0].default: expected a non-negative integer (count), found a string", "\"7");
  fails(R"({"name":"x","version":1,"fields":[{"name":"a"}]})", errc::invalid_argument,
        "fields[0]: missing key \"type\" in a field", "}]");
  fails(R"({"name":"x","version":1,"fields":[{"name":"a","type":"count","color":1}]})",
        errc::invalid_argument, "fields[0]: unknown key \"color\" in a field", "\"color");
  fails(R"({"name":"X","version":1,"fields":[]})", errc::invalid_argument,
        "invalid schema: invalid event type name 'X': use [a-z_][a-z0-9_.]*, at most 128 characters", "{");
  fails(R"({"name":"x","fields":[]})", errc::invalid_argument,
        "missing key \"version\" in the schema object", "}");
}
