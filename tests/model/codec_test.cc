// Tests of the binary codec (libevent-model/src/codec): round trips of every
// kind, random round trips, schema evolution, limits and damaged input.
// Views, batches, schemas, streams and the doc test vectors are in
// codec_io_test.cc.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "codec_fixtures.h"
#include "coop/model/codec.h"

using namespace coop::model;
using namespace coop::model::codec_testing;


TEST_CASE("codec: a connection event round-trips through encode and decode") {
  registry reg;
  auto s = add(reg, conn_schema());
  const event e = conn_event(s);
  const std::string bytes = must_encode(e);
  auto d = decode(bv(bytes), reg);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
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
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
  CHECK(*d == e);
  CHECK(std::signbit(d->field(3).get<double>()));

  // The view materialises the same values without a schema.
  auto v = event_view::open(bv(bytes));
  REQUIRE(v.ok());
  for (std::size_t i = 0; i < e.size(); ++i) {
    auto f = v->field(i);
    REQUIRE_MESSAGE(f.ok(), (f.ok() ? std::string() : f.err().message));
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
    REQUIRE_MESSAGE(bytes.ok(), t.to_string() << ": " << (bytes.ok() ? std::string() : bytes.err().message));
    registry reg;
    add(reg, *s);
    auto d = decode(*bytes, reg);
    REQUIRE_MESSAGE(d.ok(), t.to_string() << ": " << (d.ok() ? std::string() : d.err().message));
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
    REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
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
    REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
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
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
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
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
  CHECK(*d == e);
  auto v = event_view::open(bv(two));
  REQUIRE(v.ok());
  CHECK(v->site() == "a.example");
}

// ---- the zero-copy view ---------------------------------------------------------

// ---- omissions --------------------------------------------------------------

TEST_CASE("codec: an omitted uid or field encodes exactly as the event without it") {
  registry reg;
  auto s = add(reg, conn_schema());
  auto b = add(reg, bag_schema());
  encoder enc;
  auto bytes_of = [&](const event& e, const encode_omissions& omit) {
    auto r = enc.encode(e, omit);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
    return std::string(reinterpret_cast<const char*>(r->data()), r->size());
  };
  // The flat writer (conn) and capnp's (bag, with containers) both.
  for (const event& e : {conn_event(s), bag_event(b)}) {
    event without_uid = e;
    without_uid.uid.clear();
    CHECK(bytes_of(e, {.uid = true}) == must_encode(without_uid));

    const std::size_t f = e.type().name() == "conn" ? 7 : 0;  // service; tags (required)
    if (e.type()[f].optional) {
      event without_field = e;
      without_field.field(f) = value{};
      without_field.uid.clear();
      const std::string omitted = bytes_of(e, {.uid = true, .field = f});
      CHECK(omitted == must_encode(without_field));
      CHECK(omitted != must_encode(e));
      auto d = decode(bv(omitted), reg);
      REQUIRE(d.ok());
      CHECK(d->uid.empty());
      CHECK(d->field(f).is_none());
    } else {
      auto r = enc.encode(e, {.field = f});
      REQUIRE_FALSE(r.ok());
      CHECK(r.err().code == errc::invalid_argument);
      CHECK(r.err().message.find("bag.tags: a required field cannot be omitted") !=
            std::string::npos);
    }
  }
  // The conn event has service unset in the fixture: set it, then omit it.
  event with_service = conn_event(s);
  with_service.field(7) = value(std::string("ssl"));
  CHECK(bytes_of(with_service, {.field = 7}) == must_encode(conn_event(s)));
  // An omission past the fields is no omission.
  CHECK(bytes_of(conn_event(s), {.field = 99}) == must_encode(conn_event(s)));
}
