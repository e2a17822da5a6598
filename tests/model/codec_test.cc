// Tests of the binary codec (libevent-model/src/codec): round trips of every
// kind, random round trips, schema evolution, limits, damaged input, the
// zero-copy views, batches, schemas, stream framing, and the test vectors
// of docs/format-binary.md checked byte for byte.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "coop/model/codec.h"

using namespace coop::model;

namespace {

address addr(const char* s) { return address::parse(s).value(); }
subnet net(const char* s) { return subnet::parse(s).value(); }
type T(type_kind k) { return type(k); }

field req(std::string name, type t, std::string doc = {}) {
  return field{std::move(name), std::move(t), false, value{}, std::move(doc)};
}
field opt(std::string name, type t, std::string doc = {}) {
  return field{std::move(name), std::move(t), true, value{}, std::move(doc)};
}

std::shared_ptr<const schema> add(registry& reg, schema s) {
  auto r = reg.add(std::move(s));
  REQUIRE_MESSAGE(r.ok(), r.err().message);
  return *r;
}

// The schemas of the test vectors (docs/format-binary.md describes them).
schema ping_schema() {
  return schema("ping", 1,
                {req("seq", T(type_kind::count), "sequence number"),
                 opt("note", T(type_kind::string), "free text")},
                "a liveness probe");
}

schema conn_schema() {
  return schema("conn", 1,
                {req("orig_h", T(type_kind::address)), req("orig_p", T(type_kind::port)),
                 req("resp_h", T(type_kind::address)), req("resp_p", T(type_kind::port)),
                 req("proto", type::enum_of({"tcp", "udp", "icmp"})),
                 opt("duration", T(type_kind::interval)), req("orig_bytes", T(type_kind::count)),
                 opt("service", T(type_kind::string)), opt("local", T(type_kind::boolean))});
}

type loc_type() {
  return type::record_of({{"lat", T(type_kind::real)}, {"name", T(type_kind::string)}});
}

schema bag_schema() {
  return schema("bag", 1,
                {req("tags", type::set_of(T(type_kind::string))),
                 req("hist", type::table_of(T(type_kind::string), T(type_kind::count))),
                 req("path", type::vector_of(T(type_kind::address))), req("loc", loc_type()),
                 req("net", T(type_kind::subnet)), req("i", T(type_kind::integer)),
                 req("raw", T(type_kind::bytes)), req("t", T(type_kind::time))});
}

event ping_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  e.ts = timestamp{1258531221486539000};
  e.id = event_id{0x0123456789abcdefULL, 1};
  e.from = origin{"a.example", "s1"};
  e.field(0) = value(std::uint64_t{7});
  return e;
}

event conn_event(const std::shared_ptr<const schema>& s) {
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

event bag_event(const std::shared_ptr<const schema>& s) {
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

std::span<const std::byte> bv(const std::string& s) { return byte_view(s); }

std::string must_encode(const event& e) {
  auto r = encode(e);
  REQUIRE_MESSAGE(r.ok(), r.err().message);
  return *r;
}

}  // namespace

TEST_CASE("codec: a connection event round-trips through encode and decode") {
  registry reg;
  auto s = add(reg, conn_schema());
  const event e = conn_event(s);
  const std::string bytes = must_encode(e);
  auto d = decode(bv(bytes), reg);
  REQUIRE_MESSAGE(d.ok(), d.err().message);
  CHECK(*d == e);
  CHECK(d->field(5) == value(interval{1'500'000'000}));
  CHECK(d->field(7).is_none());

  encoder enc;
  auto again = enc.encode(e);
  REQUIRE(again.ok());
  CHECK(std::string(reinterpret_cast<const char*>(again->data()), again->size()) == bytes);
}

TEST_CASE("codec: containers, nested containers and every scalar kind round-trip") {
  registry reg;
  const type inner = type::table_of(T(type_kind::port), type::vector_of(loc_type()));
  auto s = add(
      reg,
      schema("every", 1,
             {opt("b", T(type_kind::boolean)), opt("c", T(type_kind::count)),
              opt("i", T(type_kind::integer)), opt("r", T(type_kind::real)),
              opt("s", T(type_kind::string)), opt("y", T(type_kind::bytes)),
              opt("a", T(type_kind::address)), opt("n", T(type_kind::subnet)),
              opt("p", T(type_kind::port)), opt("t", T(type_kind::time)),
              opt("d", T(type_kind::interval)), opt("e", type::enum_of({"x", "y"})),
              opt("set", type::set_of(T(type_kind::subnet))), opt("nested", type::vector_of(inner)),
              opt("rec", type::record_of({{"inner", inner}, {"z", T(type_kind::string)}}))}));
  event e(s);
  e.field(0) = false;
  e.field(1) = value(std::numeric_limits<std::uint64_t>::max());
  e.field(2) = value(std::numeric_limits<std::int64_t>::min());
  e.field(3) = value(-0.0);
  e.field(4) = value(std::string("with\0nul", 8));
  e.field(5) = bytes{};
  e.field(6) = addr("ff02::1:ff00:1");
  e.field(7) = net("2001:db8::/32");
  e.field(8) = port{0, transport::icmp};
  e.field(9) = timestamp{std::numeric_limits<std::int64_t>::max()};
  e.field(10) = interval{-1};
  e.field(11) = enum_value{"y"};
  e.field(12) = value::make_set({net("10.0.0.0/8"), net("::/0"), net("192.168.0.0/24")});
  const value table = value::make_table(
      {{port{53, transport::udp}, vector_value{{record_value{{value(1.0), value("a")}}}}},
       {port{80, transport::tcp}, vector_value{{record_value{{value{}, value("b")}}, value{}}}}});
  e.field(13) = vector_value{{table, value::make_table({}), value{}}};
  e.field(14) = record_value{{table, value("z")}};

  auto bytes = must_encode(e);
  auto d = decode(bv(bytes), reg);
  REQUIRE_MESSAGE(d.ok(), d.err().message);
  CHECK(*d == e);
  CHECK(std::signbit(d->field(3).get<double>()));

  // The view materialises the same values without a schema.
  auto v = event_view::open(bv(bytes));
  REQUIRE(v.ok());
  for (std::size_t i = 0; i < e.size(); ++i) {
    auto f = v->field(i);
    REQUIRE_MESSAGE(f.ok(), f.err().message);
    CHECK(*f == e.field(i));
  }
}

// ---- random round trips -----------------------------------------------------

namespace {

struct random_values {
  std::mt19937_64 rng;
  explicit random_values(std::uint64_t seed) : rng(seed) {}

  std::uint64_t u(std::uint64_t n) { return rng() % n; }

  std::string text() {
    std::string s(u(12), ' ');
    for (auto& c : s) c = static_cast<char>(u(256));
    return s;
  }

  type random_type(unsigned depth) {
    const auto k = static_cast<type_kind>(1 + u(depth >= 3 ? 12 : 16));
    switch (k) {
      case type_kind::enumeration: return type::enum_of({"a", "b", "c"});
      case type_kind::set: return type::set_of(random_type(depth + 1));
      case type_kind::vector: return type::vector_of(random_type(depth + 1));
      case type_kind::table: return type::table_of(random_type(depth + 1), random_type(depth + 1));
      case type_kind::record: {
        std::vector<std::pair<std::string, type>> f;
        for (std::uint64_t i = 0, n = 1 + u(3); i < n; ++i) {
          f.emplace_back("f" + std::to_string(i), random_type(depth + 1));
        }
        return type::record_of(std::move(f));
      }
      default: return type(k);
    }
  }

  value random_value(const type& t, bool allow_none = true) {
    if (allow_none && u(10) == 0) return value{};
    std::array<std::uint8_t, 16> b{};
    switch (t.kind()) {
      case type_kind::none: return value{};
      case type_kind::boolean: return value(u(2) == 1);
      case type_kind::count: return value(std::uint64_t{rng()});
      case type_kind::integer: return value(static_cast<std::int64_t>(rng()));
      case type_kind::real: {
        const double special[] = {0.0,
                                  -0.0,
                                  1.5,
                                  std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::quiet_NaN(),
                                  1e-310};
        if (u(3) == 0) return value(special[u(6)]);
        std::uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return value(d);
      }
      case type_kind::string: return value(text());
      case type_kind::bytes: return value(bytes{text()});
      case type_kind::address:
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        return u(2) ? value(address::v6(b)) : value(address::v4(static_cast<std::uint32_t>(rng())));
      case type_kind::subnet: {
        const address a = u(2) ? address::v4(static_cast<std::uint32_t>(rng())) : address::v6(b);
        return value(subnet::make(a, static_cast<unsigned>(u(a.is_v4() ? 33 : 129))).value());
      }
      case type_kind::port:
        return value(port{static_cast<std::uint16_t>(rng()), static_cast<transport>(u(4))});
      case type_kind::time: return value(timestamp{static_cast<std::int64_t>(rng())});
      case type_kind::interval: return value(interval{static_cast<std::int64_t>(rng())});
      case type_kind::enumeration: return value(enum_value{t.names()[u(t.names().size())]});
      case type_kind::set: {
        std::vector<value> e;
        for (std::uint64_t i = 0, n = u(4); i < n; ++i)
          e.push_back(random_value(t.element(), false));
        return value::make_set(std::move(e));
      }
      case type_kind::vector: {
        vector_value v;
        for (std::uint64_t i = 0, n = u(4); i < n; ++i)
          v.elements.push_back(random_value(t.element()));
        return value(std::move(v));
      }
      case type_kind::table: {
        std::vector<std::pair<value, value>> e;
        for (std::uint64_t i = 0, n = u(4); i < n; ++i) {
          e.emplace_back(random_value(t.element(), false), random_value(t.mapped()));
        }
        return value::make_table(std::move(e));
      }
      case type_kind::record: {
        record_value r;
        for (const auto& p : t.params()) r.fields.push_back(random_value(p));
        return value(std::move(r));
      }
    }
    return value{};
  }
};

}  // namespace

TEST_CASE("codec: random values of random types round-trip (property)") {
  random_values gen(20240601);
  encoder enc(64);  // small, so growth is exercised too
  for (int iter = 0; iter < 3000; ++iter) {
    const type t = gen.random_type(0);
    auto s = std::make_shared<const schema>("rnd", 1, std::vector<field>{opt("x", t), opt("y", t)});
    event e(s);
    e.ts = timestamp{static_cast<std::int64_t>(gen.rng())};
    e.id = event_id{gen.rng(), gen.rng()};
    e.from = origin{gen.text(), gen.text()};
    e.uid = gen.text();
    e.field(0) = gen.random_value(t);
    e.field(1) = gen.random_value(t);
    auto bytes = enc.encode(e);
    REQUIRE_MESSAGE(bytes.ok(), t.to_string() << ": " << bytes.err().message);
    registry reg;
    add(reg, *s);
    auto d = decode(*bytes, reg);
    REQUIRE_MESSAGE(d.ok(), t.to_string() << ": " << d.err().message);
    CHECK_MESSAGE(*d == e, t.to_string() << " " << e.field(0).to_string());
  }
}

// ---- encoder errors, validation on decode, evolution -----------------------

TEST_CASE("codec: the encoder refuses events that do not conform, naming the field") {
  registry reg;
  auto s = add(reg, conn_schema());
  event e = conn_event(s);
  e.field(3) = value("443");
  auto r = encode(e);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(r.err().message == "conn.resp_p: expected port, got string");

  e = conn_event(s);
  e.field(6) = value{};
  r = encode(e);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "conn.orig_bytes: required field is unset");

  e = conn_event(s);
  e.field(4) = enum_value{"sctp"};
  r = encode(e);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.starts_with("conn.proto: 'sctp' is not a label of enum"));

  CHECK_FALSE(encode(event{}).ok());
}

TEST_CASE("codec: decoding validates against the registry and names the field") {
  registry reg;
  add(reg, conn_schema());
  // A writer whose idea of conn has a string where we expect a port.
  std::vector<field> f = conn_schema().fields();
  f[3].ty = T(type_kind::string);
  auto wrong = std::make_shared<const schema>("conn", 1, f);
  event e = conn_event(wrong);
  e.field(3) = value("https");
  auto d = decode(bv(must_encode(e)), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::invalid_argument);
  CHECK(d.err().message == "conn.resp_p: expected port, got string");

  registry empty;
  d = decode(bv(must_encode(conn_event(reg.find("conn")))), empty);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::not_found);
  CHECK(d.err().message == "unknown event type 'conn' (version 1)");

  // Nested: the path below the field is named too.
  registry breg;
  add(breg, bag_schema());
  std::vector<field> bf = bag_schema().fields();
  bf[1].ty = type::table_of(T(type_kind::string), T(type_kind::string));
  auto bwrong = std::make_shared<const schema>("bag", 1, bf);
  event be = bag_event(bwrong);
  be.field(1) = value::make_table({{"x", value("one")}});
  d = decode(bv(must_encode(be)), breg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().message == "bag.hist[0].value: expected count, got string");
}

TEST_CASE("codec: damaged values are reported with the field and the right code") {
  registry reg;
  auto ps = add(reg, ping_schema());
  const std::string good = must_encode(ping_event(ps));
  // Byte 136 is kinds[0], the kind byte of seq; byte 144 payload[0], its
  // one-byte value (see the annotated vector).
  REQUIRE(good[136] == 2);
  REQUIRE(good[144] == 7);
  std::string bad = good;
  bad[136] = 17;
  auto d = decode(bv(bad), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::unsupported);
  CHECK(d.err().message == "ping.seq: unknown value kind 17 (written by a newer format version?)");
  auto v = event_view::open(bv(bad));
  REQUIRE(v.ok());
  CHECK(v->field_kind(0).err().code == errc::unsupported);
  CHECK(v->field_kind(1).err().message.starts_with("field 0: unknown value kind 17"));

  bad = good;
  bad[136] = 3;  // an int where a count is expected
  d = decode(bv(bad), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().message == "ping.seq: expected count, got int");

  bad = good;
  bad[136] = 2 | 3 << 5;  // an 8-byte count in a 1-byte payload
  d = decode(bv(bad), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::corruption);
  CHECK(d.err().message ==
        "ping.seq: the count value at payload byte 0 runs past the payload's end (1 bytes)");
  CHECK(event_view::open(bv(bad))->count_at(0).err().code == errc::corruption);

  bad = good;
  bad[136] = static_cast<char>(2 | 4 << 5);  // no count has width code 4
  d = decode(bv(bad), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::corruption);
  CHECK(d.err().message == "ping.seq: width code 4 is not defined for count");

  auto cs = add(reg, conn_schema());
  const std::string conn = must_encode(conn_event(cs));
  // Byte 174 is the transport of orig_p (payload bytes 4..6), byte 152 the
  // kind byte of orig_h (an IPv4 address, payload bytes 0..3); make orig_h
  // an IPv4 subnet whose length byte (payload byte 4) is 200.
  REQUIRE(conn[174] == 1);
  REQUIRE(static_cast<unsigned char>(conn[152]) == (7 | 1 << 5));
  bad = conn;
  bad[174] = 9;
  d = decode(bv(bad), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::corruption);
  CHECK(d.err().message == "conn.orig_p: unknown transport 9");
  bad = conn;
  bad[152] = 8 | 1 << 5;
  bad[172] = static_cast<char>(200);
  auto vw = event_view::open(bv(bad));
  REQUIRE(vw.ok());
  CHECK(vw->subnet_at(0).err().message == "field 0: subnet length 200 over 32");

  // A record field is named by its name below the field.
  auto rs = add(reg, schema("loc", 1, {req("where", loc_type())}));
  std::vector<field> f = {
      req("where", type::record_of({{"lat", T(type_kind::real)}, {"name", T(type_kind::count)}}))};
  event e(std::make_shared<const schema>("loc", 1, f));
  e.field(0) = record_value{{value(1.0), value(std::uint64_t{3})}};
  d = decode(bv(must_encode(e)), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().message == "loc.where.name: expected string, got count");
  (void)rs;
}

TEST_CASE("codec: evolution reads by position in both directions") {
  const schema v1("probe", 1, {req("a", T(type_kind::count)), opt("b", T(type_kind::string))});
  field c{"c", T(type_kind::count), false, value(std::uint64_t{42}), "added in v2"};
  const schema v2("probe", 2,
                  {req("a", T(type_kind::count)), opt("b", T(type_kind::string)), c,
                   opt("d", T(type_kind::address))});
  auto p1 = std::make_shared<const schema>(v1);
  auto p2 = std::make_shared<const schema>(v2);

  SUBCASE("a newer writer, an older reader: extra fields are ignored") {
    event e(p2);
    e.field(0) = value(std::uint64_t{1});
    e.field(1) = value("x");
    e.field(2) = value(std::uint64_t{9});
    e.field(3) = addr("10.0.0.9");
    registry old_reader;
    add(old_reader, v1);
    auto d = decode(bv(must_encode(e)), old_reader);
    REQUIRE_MESSAGE(d.ok(), d.err().message);
    CHECK(d->type().version() == 1);
    REQUIRE(d->size() == 2);
    CHECK(d->field(0) == value(std::uint64_t{1}));
    CHECK(d->field(1) == value("x"));
  }
  SUBCASE("an older writer, a newer reader: missing fields take their default or none") {
    event e(p1);
    e.field(0) = value(std::uint64_t{1});
    registry new_reader;
    add(new_reader, v2);
    auto d = decode(bv(must_encode(e)), new_reader);
    REQUIRE_MESSAGE(d.ok(), d.err().message);
    CHECK(d->type().version() == 2);
    REQUIRE(d->size() == 4);
    CHECK(d->field(2) == value(std::uint64_t{42}));
    CHECK(d->field(3).is_none());
  }
  SUBCASE("the exact version is used when the registry knows it") {
    registry both;
    add(both, v1);
    add(both, v2);
    event e(p1);
    e.field(0) = value(std::uint64_t{1});
    auto d = decode(bv(must_encode(e)), both);
    REQUIRE(d.ok());
    CHECK(d->type().version() == 1);
    CHECK(d->size() == 2);
  }
  SUBCASE("a required field the writer did not have is an error naming it") {
    const schema v3("probe", 3,
                    {req("a", T(type_kind::count)), opt("b", T(type_kind::string)),
                     req("z", T(type_kind::string))});
    registry reader;
    add(reader, v3);
    event e(p1);
    e.field(0) = value(std::uint64_t{1});
    auto d = decode(bv(must_encode(e)), reader);
    REQUIRE_FALSE(d.ok());
    CHECK(d.err().message == "probe.z: required field is unset");
  }
}

TEST_CASE("codec: sets and tables are re-canonicalised on decode") {
  registry reg;
  auto s = add(reg, bag_schema());
  event e = bag_event(s);
  e.field(0) = set_value{{value("b"), value("a"), value("b")}};  // built by hand, unsorted
  table_value t;
  t.keys = {value("y"), value("x"), value("y")};
  t.mapped = {value(std::uint64_t{1}), value(std::uint64_t{2}), value(std::uint64_t{3})};
  e.field(1) = t;
  auto d = decode(bv(must_encode(e)), reg);
  REQUIRE_MESSAGE(d.ok(), d.err().message);
  CHECK(d->field(0) == value::make_set({"a", "b"}));
  CHECK(d->field(1) ==
        value::make_table({{"x", value(std::uint64_t{2})}, {"y", value(std::uint64_t{3})}}));
}

// ---- limits and damaged input -------------------------------------------------

TEST_CASE("codec: limits give overloaded, naming the limit") {
  registry reg;
  auto s = add(reg, bag_schema());
  const std::string bytes = must_encode(bag_event(s));

  decode_limits small;
  small.max_message_bytes = 64;
  auto d = decode(bv(bytes), reg, small);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::overloaded);
  CHECK(d.err().message.find("max_message_bytes") != std::string::npos);

  decode_limits shallow;
  shallow.max_nesting = 0;  // no container may be entered
  d = decode(bv(bytes), reg, shallow);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::overloaded);
  CHECK(d.err().message == "bag.tags: containers nested deeper than max_nesting (0)");

  decode_limits stingy;
  stingy.max_traversal_words = 8;
  d = decode(bv(bytes), reg, stingy);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::overloaded);

  // Deep nesting: a vector of vectors ... 20 levels, the default allows 16.
  type t = T(type_kind::count);
  value v = value(std::uint64_t{1});
  for (int i = 0; i < 20; ++i) {
    t = type::vector_of(t);
    v = vector_value{{v}};
  }
  auto deep = std::make_shared<const schema>("deep", 1, std::vector<field>{req("v", t)});
  event e(deep);
  e.field(0) = v;
  const std::string deep_bytes = must_encode(e);
  auto view = event_view::open(bv(deep_bytes));
  REQUIRE(view.ok());
  auto f = view->field(0);
  REQUIRE_FALSE(f.ok());
  CHECK(f.err().code == errc::overloaded);
  CHECK(f.err().message.starts_with("field 0[0][0]"));
  decode_limits deeper;
  deeper.max_nesting = 20;
  CHECK(event_view::open(bv(deep_bytes), deeper)->field(0).ok());

  // Batch size.
  std::vector<event> many(5, bag_event(s));
  auto batch = encode_batch(many, false);
  REQUIRE(batch.ok());
  decode_limits few;
  few.max_batch_events = 4;
  auto db = decode_batch(bv(*batch), reg, few);
  REQUIRE_FALSE(db.ok());
  CHECK(db.err().code == errc::overloaded);
  CHECK_FALSE(batch_view::open(bv(*batch), few).ok());
}

TEST_CASE("codec: framing errors are corruption with the byte offset") {
  registry reg;
  auto s = add(reg, ping_schema());
  const std::string bytes = must_encode(ping_event(s));

  auto d = decode(bv(bytes.substr(0, 5)), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::corruption);
  CHECK(d.err().message ==
        "truncated message at byte offset 0: 5 bytes, a segment table needs at least 8");

  d = decode(bv(bytes.substr(0, bytes.size() - 8)), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().message.find("announces " + std::to_string(bytes.size()) + " bytes") !=
        std::string::npos);

  d = decode(bv(bytes + std::string(8, '\0')), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().message ==
        "8 trailing bytes after the message, at byte offset " + std::to_string(bytes.size()));

  std::string many_segments = bytes;
  many_segments[0] = '\xff';
  many_segments[1] = '\xff';
  d = decode(bv(many_segments), reg);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == errc::corruption);
  CHECK(d.err().message.find("65536 segments") != std::string::npos);
}

TEST_CASE("codec: truncated and bit-flipped messages never crash") {
  registry reg;
  auto cs = add(reg, conn_schema());
  auto bs = add(reg, bag_schema());
  for (const std::string& good : {must_encode(conn_event(cs)), must_encode(bag_event(bs))}) {
    for (std::size_t n = 0; n < good.size(); ++n) {
      const std::string cut = good.substr(0, n);
      CHECK_FALSE(decode(bv(cut), reg).ok());
      CHECK_FALSE(event_view::open(bv(cut)).ok());
    }
    int decoded = 0;
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
      std::string bad = good;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      auto d = decode(bv(bad), reg);
      if (d.ok()) {
        ++decoded;
        CHECK(d->validate().ok());  // whatever decodes is a valid event
      } else {
        CHECK_FALSE(d.err().message.empty());
      }
      if (auto v = event_view::open(bv(bad)); v.ok()) {
        for (std::size_t i = 0; i < v->size() + 1; ++i) {
          (void)v->field(i);
          (void)v->string_at(i);
          (void)v->port_at(i);
        }
        (void)v->to_event(reg);
      }
      (void)decode_batch(bv(bad), reg);
      (void)decode_schema(bv(bad));
    }
    CHECK(decoded > 0);  // flips in plain data give other valid events
  }
}

TEST_CASE("codec: unaligned input is decoded correctly") {
  registry reg;
  auto s = add(reg, conn_schema());
  const event e = conn_event(s);
  const std::string bytes = must_encode(e);
  std::string shifted = "x" + bytes;
  auto span = bv(shifted).subspan(1);
  auto d = decode(span, reg);
  REQUIRE(d.ok());
  CHECK(*d == e);
  auto v = event_view::open(span);
  REQUIRE(v.ok());
  CHECK(v->uid() == "CHhAvVGS1DHFjwGM9");
}

TEST_CASE("codec: a message in two segments (as another writer may send) is read") {
  registry reg;
  auto s = add(reg, ping_schema());
  const event e = ping_event(s);
  const std::string one = must_encode(e);
  // Segment 0 holds only a far pointer to word 0 of segment 1; segment 1 is
  // the single-segment body, whose root pointer serves as the landing pad.
  std::string two;
  auto le32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) two.push_back(static_cast<char>(v >> (8 * i)));
  };
  le32(1);
  le32(1);
  le32(static_cast<std::uint32_t>(one.size() / 8 - 1));
  le32(0);
  const std::uint64_t far = 2 | (std::uint64_t{1} << 32);
  for (int i = 0; i < 8; ++i) two.push_back(static_cast<char>(far >> (8 * i)));
  two += one.substr(8);
  auto d = decode(bv(two), reg);
  REQUIRE_MESSAGE(d.ok(), d.err().message);
  CHECK(*d == e);
  auto v = event_view::open(bv(two));
  REQUIRE(v.ok());
  CHECK(v->site() == "a.example");
}

// ---- the zero-copy view ---------------------------------------------------------

TEST_CASE("codec: event_view reads the envelope and fields in place") {
  registry reg;
  auto s = add(reg, conn_schema());
  const event e = conn_event(s);
  const std::string bytes = must_encode(e);
  auto v = event_view::open(bv(bytes));
  REQUIRE_MESSAGE(v.ok(), v.err().message);
  CHECK(v->type_name() == "conn");
  CHECK(v->version() == 1);
  CHECK(v->ts() == e.ts);
  CHECK(v->id() == e.id);
  CHECK(v->site() == "lbl.gov");
  CHECK(v->sensor() == "zeek-1");
  CHECK(v->uid() == e.uid);
  // No copy: the uid points into the input bytes.
  CHECK(v->uid().data() >= bytes.data());
  CHECK(v->uid().data() < bytes.data() + bytes.size());
  REQUIRE(v->size() == 9);

  CHECK(*v->field_kind(0) == type_kind::address);
  CHECK(*v->field_kind(7) == type_kind::none);
  CHECK(*v->address_at(0) == addr("10.0.0.1"));
  CHECK(*v->port_at(1) == port{49152, transport::tcp});
  CHECK(*v->address_at(2) == addr("2001:db8::1"));
  CHECK(*v->enum_at(4) == "tcp");
  CHECK(*v->interval_at(5) == interval{1'500'000'000});
  CHECK(*v->count_at(6) == 1024);
  CHECK(*v->boolean_at(8));

  auto wrong = v->count_at(0);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.err().code == errc::invalid_argument);
  CHECK(wrong.err().message == "field 0: holds addr, not count");
  auto none = v->string_at(7);
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().message == "field 7: holds none, not string");
  auto out = v->count_at(9);
  REQUIRE_FALSE(out.ok());
  CHECK(out.err().code == errc::not_found);

  auto back = v->to_event(reg);
  REQUIRE(back.ok());
  CHECK(*back == e);

  // Copies share the message; the copy outlives the original.
  std::optional<event_view> copy;
  { copy = *v; }
  CHECK(copy->site() == "lbl.gov");

  // The other scalar getters.
  auto bs = add(reg, bag_schema());
  const std::string bag = must_encode(bag_event(bs));
  auto bvw = event_view::open(bv(bag));
  REQUIRE(bvw.ok());
  CHECK(*bvw->subnet_at(4) == net("10.1.0.0/16"));
  CHECK(*bvw->integer_at(5) == -5);
  CHECK(bvw->bytes_at(6)->size() == 3);
  CHECK(*bvw->time_at(7) == timestamp{-1});
  CHECK(*bvw->field(3) == value(record_value{{value(-12.5), value("here")}}));
}

// ---- batches and schemas --------------------------------------------------------

TEST_CASE("codec: batches round-trip, with and without schemas") {
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  std::vector<event> events = {ping_event(ps), conn_event(cs), ping_event(ps)};
  encoder enc;
  std::string with, without;
  REQUIRE(enc.encode_batch(events, with, true).ok());
  REQUIRE(enc.encode_batch(events, without, false).ok());
  CHECK(with.size() > without.size());

  auto d = decode_batch(bv(without), reg);
  REQUIRE_MESSAGE(d.ok(), d.err().message);
  CHECK(*d == events);

  auto view = batch_view::open(bv(with));
  REQUIRE(view.ok());
  REQUIRE(view->size() == 3);
  CHECK(view->at(1)->type_name() == "conn");
  CHECK(view->at(2)->id() == events[2].id);
  CHECK_FALSE(view->at(3).ok());
  REQUIRE(view->schema_count() == 2);  // ping and conn, each once
  CHECK(*view->schema_at(0) == ping_schema());
  CHECK(*view->schema_at(1) == conn_schema());

  // A receiver that knows nothing learns both types from the batch.
  registry learner;
  CHECK_FALSE(decode_batch(bv(with), learner).ok());
  auto l = decode_batch_and_learn(bv(with), learner);
  REQUIRE_MESSAGE(l.ok(), l.err().message);
  CHECK(*l == events);
  CHECK(learner.find("conn", 1) != nullptr);

  // All or nothing: an incompatible embedded schema teaches nothing.
  registry other;
  add(other, schema("conn", 1, {req("x", T(type_kind::string))}));
  auto bad = decode_batch_and_learn(bv(with), other);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.starts_with("schema 1 ('conn'): "));
  CHECK(other.find("ping") == nullptr);

  // Errors name the event.
  event broken = conn_event(cs);
  broken.field(6) = value{};
  std::vector<event> two = {ping_event(ps), broken};
  std::string out;
  auto r = enc.encode_batch(two, out, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "event 1: conn.orig_bytes: required field is unset");
}

TEST_CASE("codec: schemas round-trip structurally, with defaults and docs") {
  const type deep =
      type::table_of(T(type_kind::subnet),
                     type::vector_of(type::record_of({{"k", type::enum_of({"p", "q"})},
                                                      {"s", type::set_of(T(type_kind::port))}})));
  field with_default{"level", T(type_kind::count), false, value(std::uint64_t{3}), "how loud"};
  field enum_default{"mode", type::enum_of({"a", "b"}), false, value(enum_value{"b"}), ""};
  const schema s("kitchen_sink", 7,
                 {with_default, enum_default, opt("deep", deep, "nested"),
                  opt("tags", type::set_of(T(type_kind::string)))},
                 "every type feature");
  auto bytes = encode_schema(s);
  REQUIRE_MESSAGE(bytes.ok(), bytes.err().message);
  auto d = decode_schema(bv(*bytes));
  REQUIRE_MESSAGE(d.ok(), d.err().message);
  CHECK(*d == s);
  CHECK((*d)[2].ty.to_string() == deep.to_string());

  CHECK_FALSE(encode_schema(schema("Bad Name", 1, {})).ok());
  for (std::size_t n = 0; n < bytes->size(); ++n) {
    CHECK_FALSE(decode_schema(bv(bytes->substr(0, n))).ok());
  }
  // A schema message is not an event: reading it as one fails cleanly.
  registry reg;
  CHECK_FALSE(decode(bv(*bytes), reg).ok());
}

// ---- stream framing -------------------------------------------------------------

TEST_CASE("codec: streams of messages are written and read back with offsets") {
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  std::vector<event> events = {ping_event(ps), conn_event(cs), ping_event(ps)};
  events[2].field(1) = value("last");
  std::ostringstream os;
  stream_writer w(os);
  for (const auto& e : events) REQUIRE(w.write(e).ok());
  REQUIRE(w.flush().ok());
  const std::string file = os.str();
  CHECK(w.bytes_written() == file.size());
  const std::uint64_t second = must_encode(events[0]).size();

  SUBCASE("from an istream") {
    std::istringstream is(file);
    stream_reader r(is);
    for (const auto& want : events) {
      auto e = r.next(reg);
      REQUIRE_MESSAGE(e.ok(), e.err().message);
      REQUIRE(e->has_value());
      CHECK(**e == want);
    }
    CHECK(r.message_offset() == file.size() - must_encode(events[2]).size());
    auto end = r.next(reg);
    REQUIRE(end.ok());
    CHECK_FALSE(end->has_value());
  }
  SUBCASE("from a byte span, as views") {
    stream_reader r(bv(file));
    auto v1 = r.next_view();
    auto v2 = r.next_view();
    REQUIRE(v2.ok());
    CHECK(r.message_offset() == second);
    CHECK((*v2)->type_name() == "conn");
    CHECK((*v1)->type_name() == "ping");  // earlier views stay valid
  }
  SUBCASE("truncation is reported with the offset, and is final") {
    std::istringstream is(file.substr(0, file.size() - 3));
    stream_reader r(is);
    REQUIRE(r.next(reg).ok());
    REQUIRE(r.next(reg).ok());
    auto e = r.next(reg);
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::corruption);
    const std::string at = std::to_string(file.size() - must_encode(events[2]).size());
    CHECK(e.err().message.starts_with("truncated message at byte offset " + at));
    CHECK_FALSE(r.next(reg).ok());
  }
  SUBCASE("a message of an unknown type is skipped with an error, the next one is read") {
    registry partial;
    add(partial, ping_schema());
    stream_reader r(bv(file));
    REQUIRE(r.next(partial).ok());
    auto e = r.next(partial);
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::not_found);
    CHECK(e.err().message == "message at byte offset " + std::to_string(second) +
                                 ": unknown event type 'conn' (version 1)");
    auto third = r.next(partial);
    REQUIRE(third.ok());
    CHECK(**third == events[2]);
  }
  SUBCASE("an oversized message is refused before it is read") {
    decode_limits tiny;
    tiny.max_message_bytes = 32;
    std::istringstream is(file);
    stream_reader r(is, tiny);
    auto e = r.next_view();
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::overloaded);
  }
  SUBCASE("write_encoded accepts exactly one message") {
    std::ostringstream o2;
    stream_writer w2(o2);
    const std::string one = must_encode(events[1]);
    CHECK(w2.write_encoded(bv(one)).ok());
    CHECK(w2.write_encoded(bv(one.substr(1))).err().code == errc::invalid_argument);
    CHECK(o2.str() == one);
  }
}

TEST_CASE("codec: decode_into reuses the event and agrees with decode") {
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  event a = conn_event(cs);
  a.field(7) = value("a service name longer than the small-string buffer");
  event b = conn_event(cs);
  b.field(7) = value("ssh");
  b.field(0) = addr("192.168.0.7");
  b.uid.clear();
  event ping = ping_event(ps);

  event out;
  REQUIRE(decode_into(bv(must_encode(a)), reg, out).ok());
  CHECK(out == a);
  const char* buffer = out.field(7).get_if<std::string>()->data();
  REQUIRE(decode_into(bv(must_encode(b)), reg, out).ok());
  CHECK(out == b);
  // The same type: the string buffer of the first event was reused.
  CHECK(out.field(7).get_if<std::string>()->data() == buffer);
  CHECK(out.uid.empty());

  // Another type replaces the event; then back again.
  REQUIRE(decode_into(bv(must_encode(ping)), reg, out).ok());
  CHECK(out == ping);
  REQUIRE(decode_into(bv(must_encode(a)), reg, out).ok());
  CHECK(out == a);

  // Errors are those of decode(), and the event stays usable.
  std::string bad = must_encode(ping);
  bad[136] = 3;
  auto r = decode_into(bv(bad), reg, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "ping.seq: expected count, got int");
  REQUIRE(decode_into(bv(must_encode(b)), reg, out).ok());
  CHECK(out == b);
}

TEST_CASE("codec: unset fields and small numbers take little room") {
  registry reg;
  auto cs = add(reg, conn_schema());
  event e = conn_event(cs);
  const std::size_t full = must_encode(e).size();
  // An unset optional field costs its kind byte only, and a count of 5 one
  // byte (1024 takes 2): the 37 payload bytes lose 4 + 1 and fit 4 words.
  e.field(5) = value{};
  e.field(6) = value(std::uint64_t{5});
  CHECK(must_encode(e).size() == full - 8);
  // A count of 2^40 takes 8 bytes: 39 payload bytes, 5 words again.
  e.field(6) = value(std::uint64_t{1} << 40);
  CHECK(must_encode(e).size() == full);
  // Negative intervals are sign-extended from their smallest width.
  e.field(5) = interval{-2};
  auto d = decode(bv(must_encode(e)), reg);
  REQUIRE(d.ok());
  CHECK(*d == e);
}

// ---- test vectors -----------------------------------------------------------------

namespace {

// The ```hex vector=NAME blocks of docs/format-binary.md, as bytes. Inside a
// block, '#' starts a comment and whitespace is ignored.
std::map<std::string, std::string> doc_vectors() {
  std::ifstream in(std::string(COOP_SOURCE_DIR) + "/docs/format-binary.md");
  REQUIRE_MESSAGE(in.good(), "cannot read docs/format-binary.md");
  std::map<std::string, std::string> out;
  std::string line, name, hex;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.starts_with("```hex vector=")) {
      name = line.substr(14);
      hex.clear();
      inside = true;
    } else if (inside && line.starts_with("```")) {
      std::string bytes;
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
      REQUIRE_MESSAGE(hex.size() % 2 == 0, "odd number of hex digits in vector " << name);
      out[name] = bytes;
      inside = false;
    } else if (inside) {
      for (char c : line.substr(0, line.find('#'))) {
        if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
      }
    }
  }
  return out;
}

std::string hex_dump(const std::string& s) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(s[i]));
    out += buf;
    out += (i % 8 == 7) ? "\n" : " ";
  }
  return out;
}

}  // namespace

TEST_CASE("codec: the test vectors of docs/format-binary.md match byte for byte") {
  const auto vectors = doc_vectors();
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  auto bs = add(reg, bag_schema());
  const std::map<std::string, event> events = {
      {"ping", ping_event(ps)}, {"connection", conn_event(cs)}, {"containers", bag_event(bs)}};
  for (const auto& [name, e] : events) {
    INFO("vector " << name);
    REQUIRE(vectors.count(name) == 1);
    const std::string mine = must_encode(e);
    CHECK_MESSAGE(mine == vectors.at(name), "our encoding:\n" << hex_dump(mine));
    auto d = decode(bv(vectors.at(name)), reg);
    CHECK_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
    if (d.ok()) CHECK(*d == e);
  }
  REQUIRE(vectors.count("ping_schema") == 1);
  auto s = encode_schema(ping_schema());
  REQUIRE(s.ok());
  CHECK_MESSAGE(*s == vectors.at("ping_schema"), "our encoding:\n" << hex_dump(*s));
  auto d = decode_schema(bv(vectors.at("ping_schema")));
  REQUIRE(d.ok());
  CHECK(*d == ping_schema());
}
