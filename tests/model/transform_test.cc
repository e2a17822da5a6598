// Tests of src/transform/transform.cc and rewrite.cc: projection,
// truncation, anonymisation inside containers, compile-time errors, and
// events of types a transform was not compiled for.
#include "coop/model/transform.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

using namespace coop::model;
using namespace coop::model::testing;

namespace {

constexpr std::array<std::uint8_t, 32> test_key{1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

anonymizer make_anon(anonymizer_options o = {}) {
  auto a = anonymizer::make(test_key, std::move(o));
  REQUIRE(a.ok());
  return std::move(a).value();
}

field make_field(std::string name, type t, bool optional) {
  field f;
  f.name = std::move(name);
  f.ty = std::move(t);
  f.optional = optional;
  return f;
}

std::shared_ptr<const schema> flow_schema() {
  const type addr_t(type_kind::address);
  const type str_t(type_kind::string);
  return std::make_shared<const schema>(
      schema("flow", 1,
             {make_field("src", addr_t, false), make_field("dst", addr_t, false),
              make_field("uri", str_t, true), make_field("payload", type(type_kind::bytes), true),
              make_field("hosts", type::set_of(addr_t), true),
              make_field("nets", type::vector_of(type(type_kind::subnet)), true),
              make_field("by_host", type::table_of(addr_t, str_t), true),
              make_field("names", type::set_of(str_t), true),
              make_field("peer", type::record_of({{"ip", addr_t}, {"note", str_t}}), true),
              make_field("bytes_seen", type(type_kind::count), true)}));
}

event flow_event(const std::shared_ptr<const schema>& s) {
  event e(s);
  REQUIRE(e.set("src", addr("10.1.2.3")).ok());
  REQUIRE(e.set("dst", addr("2001:db8::1")).ok());
  REQUIRE(e.set("uri", std::string("/index.html")).ok());
  REQUIRE(e.set("payload", bytes{"GET / HTTP/1.1"}).ok());
  REQUIRE(e.set("hosts", value::make_set({addr("10.0.0.1"), addr("10.0.0.2"), addr("192.0.2.7")}))
              .ok());
  REQUIRE(e.set("nets", vector_value{{net("10.0.0.0/8"), net("2001:db8::/48")}}).ok());
  REQUIRE(
      e.set("by_host", value::make_table({{addr("10.0.0.1"), "a"}, {addr("10.0.0.9"), "b"}})).ok());
  REQUIRE(e.set("names", value::make_set({"alpha", "beta"})).ok());
  REQUIRE(e.set("peer", record_value{{addr("198.51.100.4"), "peer note"}}).ok());
  REQUIRE(e.set("bytes_seen", std::uint64_t{42}).ok());
  return e;
}

transform compile_ok(std::shared_ptr<const schema> s, transform_spec spec,
                     std::optional<anonymizer> anon = std::nullopt) {
  auto t = transform::compile(std::move(s), std::move(spec), std::move(anon));
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.err().message));
  return std::move(t).value();
}

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("transform projection: drop and keep lists") {
  auto s = flow_schema();
  {
    transform_spec spec;
    spec.drop = {"payload", "peer"};
    transform t = compile_ok(s, spec);
    event e = flow_event(s);
    const event before = e;
    REQUIRE(t.apply(e).ok());
    CHECK(e.get("payload")->is_none());
    CHECK(e.get("peer")->is_none());
    CHECK(*e.get("uri") == *before.get("uri"));
    CHECK(*e.get("src") == *before.get("src"));
    CHECK(e.validate().ok());
  }
  {
    transform_spec spec;
    spec.keep = {"src", "dst", "uri"};
    transform t = compile_ok(s, spec);
    event e = flow_event(s);
    REQUIRE(t.apply(e).ok());
    CHECK(e.get("uri")->get<std::string>() == "/index.html");
    CHECK(e.get("src")->get<address>() == addr("10.1.2.3"));
    for (const char* gone :
         {"payload", "hosts", "nets", "by_host", "names", "peer", "bytes_seen"}) {
      CHECK_MESSAGE(e.get(gone)->is_none(), gone);
    }
  }
}

TEST_CASE("transform compile errors name the field") {
  auto s = flow_schema();
  transform_spec unknown;
  unknown.drop = {"payload", "nope"};
  auto r = transform::compile(s, unknown);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::not_found);
  CHECK(contains(r.err().message, "'nope'"));
  CHECK(contains(r.err().message, "drop list"));
  CHECK(contains(r.err().message, "'flow'"));

  transform_spec required;
  required.drop = {"src"};
  r = transform::compile(s, required);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(contains(r.err().message, "required field 'src'"));

  transform_spec keep_misses_required;
  keep_misses_required.keep = {"src", "uri"};
  r = transform::compile(s, keep_misses_required);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.err().message, "required field 'dst'"));
  CHECK(contains(r.err().message, "not in the keep list"));

  transform_spec no_text;
  no_text.truncate = 4;
  no_text.truncate_fields = {"bytes_seen"};
  r = transform::compile(s, no_text);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.err().message, "'bytes_seen'"));
  CHECK(contains(r.err().message, "no string or bytes"));

  transform_spec no_length;
  no_length.truncate_fields = {"uri"};
  r = transform::compile(s, no_length);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.err().message, "'uri'"));

  r = transform::compile(std::shared_ptr<const schema>{}, transform_spec{});
  CHECK_FALSE(r.ok());
}

TEST_CASE("utf8_prefix_length never splits a character") {
  const std::string jp = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";  // three 3-byte characters
  CHECK(utf8_prefix_length(jp, 9) == 9);
  CHECK(utf8_prefix_length(jp, 100) == 9);
  CHECK(utf8_prefix_length(jp, 8) == 6);
  CHECK(utf8_prefix_length(jp, 4) == 3);
  CHECK(utf8_prefix_length(jp, 3) == 3);
  CHECK(utf8_prefix_length(jp, 2) == 0);
  CHECK(utf8_prefix_length("h\xc3\xa9llo", 2) == 1);  // cut inside é
  CHECK(utf8_prefix_length("h\xc3\xa9llo", 3) == 3);
  CHECK(utf8_prefix_length("\xf0\x9f\x98\x80x", 3) == 0);  // 4-byte emoji
  CHECK(utf8_prefix_length("\xf0\x9f\x98\x80x", 4) == 4);
  // Invalid UTF-8 is cut as bytes: stray continuation bytes and a lone lead.
  CHECK(utf8_prefix_length("ab\x80\x80\x80\x80\x80", 5) == 5);
  CHECK(utf8_prefix_length("a\x80\x80", 2) == 2);
  CHECK(utf8_prefix_length("abc", 0) == 0);
}

TEST_CASE("transform truncation of strings and bytes, all or listed fields") {
  auto s = flow_schema();
  transform_spec all;
  all.truncate = 4;
  transform t = compile_ok(s, all);
  event e = flow_event(s);
  REQUIRE(e.set("uri", std::string("\xe6\x97\xa5\xe6\x9c\xac")).ok());  // 6 bytes
  REQUIRE(t.apply(e).ok());
  CHECK(e.get("uri")->get<std::string>() == "\xe6\x97\xa5");
  CHECK(e.get("payload")->get<bytes>().data == "GET ");
  CHECK(e.get("peer")->get<record_value>().fields[1].get<std::string>() == "peer");
  CHECK(e.get("by_host")->get<table_value>().mapped[0].get<std::string>() == "a");
  CHECK(e.get("src")->get<address>() == addr("10.1.2.3"));  // no anonymiser: untouched

  transform_spec listed;
  listed.truncate = 3;
  listed.truncate_fields = {"uri"};
  transform only_uri = compile_ok(s, listed);
  event f = flow_event(s);
  REQUIRE(only_uri.apply(f).ok());
  CHECK(f.get("uri")->get<std::string>() == "/in");
  CHECK(f.get("payload")->get<bytes>().data == "GET / HTTP/1.1");
  CHECK(f.get("peer")->get<record_value>().fields[1].get<std::string>() == "peer note");
}

TEST_CASE("transform truncation re-normalises sets and tables it makes collide") {
  auto s = flow_schema();
  transform_spec spec;
  spec.truncate = 4;
  transform t = compile_ok(s, spec);
  event e = flow_event(s);
  REQUIRE(e.set("names", value::make_set({"abcd1", "abcd2", "abc"})).ok());
  auto by_string = std::make_shared<const schema>(schema(
      "tagged", 1,
      {make_field("tags", type::table_of(type(type_kind::string), type(type_kind::count)), true)}));
  REQUIRE(t.apply(e).ok());
  const auto& names = e.get("names")->get<set_value>().elements;
  REQUIRE(names.size() == 2);
  CHECK(names[0].get<std::string>() == "abc");
  CHECK(names[1].get<std::string>() == "abcd");
  CHECK(e.validate().ok());

  // Table keys: after truncation, of colliding keys the later one wins.
  transform tt = compile_ok(by_string, spec);
  event g(by_string);
  REQUIRE(g.set("tags", value::make_table({{"zzzz1", std::uint64_t{1}},
                                           {"zzzz2", std::uint64_t{2}},
                                           {"aaaa", std::uint64_t{3}}}))
              .ok());
  REQUIRE(tt.apply(g).ok());
  const auto& tab = g.get("tags")->get<table_value>();
  REQUIRE(tab.keys.size() == 2);
  CHECK(tab.keys[0].get<std::string>() == "aaaa");
  CHECK(tab.keys[1].get<std::string>() == "zzzz");
  CHECK(tab.mapped[1].get<std::uint64_t>() == 2);
}

TEST_CASE("transform anonymises every address and subnet, nested ones included") {
  auto s = flow_schema();
  transform t = compile_ok(s, transform_spec{}, make_anon());
  anonymizer ref = make_anon();
  event e = flow_event(s);
  const event before = e;
  REQUIRE(t.apply(e).ok());

  CHECK(e.get("src")->get<address>() == ref.anonymize(addr("10.1.2.3")));
  CHECK(e.get("dst")->get<address>() == ref.anonymize(addr("2001:db8::1")));
  CHECK(e.get("src")->get<address>() != addr("10.1.2.3"));

  // Set: every element anonymised, still sorted and unique.
  const auto& hosts = e.get("hosts")->get<set_value>().elements;
  REQUIRE(hosts.size() == 3);
  const value expected_hosts =
      value::make_set({ref.anonymize(addr("10.0.0.1")), ref.anonymize(addr("10.0.0.2")),
                       ref.anonymize(addr("192.0.2.7"))});
  CHECK(*e.get("hosts") == expected_hosts);

  const auto& nets = e.get("nets")->get<vector_value>().elements;
  CHECK(nets[0].get<subnet>() == ref.anonymize(net("10.0.0.0/8")));
  CHECK(nets[1].get<subnet>() == ref.anonymize(net("2001:db8::/48")));
  CHECK(nets[0].get<subnet>().length() == 8);

  // Table keys anonymised and re-sorted, each keeping its mapped value.
  const value expected_table = value::make_table(
      {{ref.anonymize(addr("10.0.0.1")), "a"}, {ref.anonymize(addr("10.0.0.9")), "b"}});
  CHECK(*e.get("by_host") == expected_table);

  const auto& peer = e.get("peer")->get<record_value>().fields;
  CHECK(peer[0].get<address>() == ref.anonymize(addr("198.51.100.4")));
  CHECK(peer[1].get<std::string>() == "peer note");

  // Non-address fields untouched.
  CHECK(*e.get("uri") == *before.get("uri"));
  CHECK(*e.get("payload") == *before.get("payload"));
  CHECK(*e.get("names") == *before.get("names"));
  CHECK(e.validate().ok());
}

TEST_CASE("transform with an only-internal anonymiser leaves external addresses") {
  auto s = flow_schema();
  anonymizer_options o;
  o.only = {net("10.0.0.0/8")};
  transform t = compile_ok(s, transform_spec{}, make_anon(o));
  anonymizer ref = make_anon();
  event e = flow_event(s);
  REQUIRE(t.apply(e).ok());
  CHECK(e.get("src")->get<address>() == ref.anonymize(addr("10.1.2.3")));
  CHECK(e.get("dst")->get<address>() == addr("2001:db8::1"));
  CHECK(e.get("peer")->get<record_value>().fields[0].get<address>() == addr("198.51.100.4"));

  // An event with nothing inside the internal networks is left as it was.
  event outside(s);
  REQUIRE(outside.set("src", addr("192.0.2.1")).ok());
  REQUIRE(outside.set("dst", addr("192.0.2.2")).ok());
  const event copy = outside;
  REQUIRE(t.apply(outside).ok());
  CHECK(outside == copy);
}

TEST_CASE("transform on events of other types applies only the type-independent parts") {
  auto s = flow_schema();
  auto other =
      std::make_shared<const schema>(schema("note", 1,
                                            {make_field("who", type(type_kind::address), false),
                                             make_field("payload", type(type_kind::bytes), true),
                                             make_field("msg", type(type_kind::string), true)}));
  transform_spec spec;
  spec.drop = {"payload"};
  spec.truncate = 2;
  transform t = compile_ok(s, spec, make_anon());
  anonymizer ref = make_anon();
  CHECK(t.compiled_for(*s));
  CHECK_FALSE(t.compiled_for(*other));

  event n(other);
  REQUIRE(n.set("who", addr("10.9.9.9")).ok());
  REQUIRE(n.set("payload", bytes{"secret"}).ok());
  REQUIRE(n.set("msg", std::string("hello")).ok());
  REQUIRE(t.apply(n).ok());
  CHECK(n.get("who")->get<address>() == ref.anonymize(addr("10.9.9.9")));
  CHECK(n.get("payload")->get<bytes>().data == "se");  // truncated, not dropped
  CHECK(n.get("msg")->get<std::string>() == "he");

  spec.reject_unknown_types = true;
  transform strict = compile_ok(s, spec, make_anon());
  event m(other);
  REQUIRE(m.set("who", addr("10.9.9.9")).ok());
  auto r = strict.apply(m);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::not_found);
  CHECK(contains(r.err().message, "'note'"));

  // An equal schema held elsewhere (e.g. decoded from a peer) matches.
  auto twin = std::make_shared<const schema>(*s);
  CHECK(t.compiled_for(*twin));
  event w = flow_event(twin);
  REQUIRE(t.apply(w).ok());
  CHECK(w.get("payload")->is_none());
}

TEST_CASE("transform compiled against a registry") {
  registry reg;
  REQUIRE(reg.add(*flow_schema()).ok());
  REQUIRE(reg.add(schema("note", 1,
                         {make_field("who", type(type_kind::address), false),
                          make_field("payload", type(type_kind::bytes), true)}))
              .ok());
  transform_spec spec;
  spec.drop = {"payload"};
  auto t = transform::compile(reg, spec);
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.err().message));
  CHECK(t->compiled_for(*reg.find("note")));
  CHECK(t->compiled_for(*reg.find("flow")));
  event n(reg.find("note"));
  REQUIRE(n.set("who", addr("10.0.0.1")).ok());
  REQUIRE(n.set("payload", bytes{"x"}).ok());
  REQUIRE(t->apply(n).ok());
  CHECK(n.get("payload")->is_none());
  event f = flow_event(reg.find("flow"));
  REQUIRE(t->apply(f).ok());
  CHECK(f.get("payload")->is_none());

  transform_spec bad;
  bad.keep = {"who", "payload", "uri", "src", "dst", "missing"};
  auto u = transform::compile(reg, bad);
  REQUIRE_FALSE(u.ok());
  CHECK(u.err().code == errc::not_found);
  CHECK(contains(u.err().message, "'missing'"));
  CHECK(contains(u.err().message, "keep list"));

  transform_spec who;
  who.drop = {"who"};
  u = transform::compile(reg, who);
  REQUIRE_FALSE(u.ok());
  CHECK(contains(u.err().message, "required field 'who' of type 'note'"));
}

TEST_CASE("transform clears and reports values nested too deeply") {
  auto s = std::make_shared<const schema>(
      schema("deep", 1,
             {make_field("v", type::vector_of(type(type_kind::address)), true),
              make_field("w", type(type_kind::address), true)}));
  transform t = compile_ok(s, transform_spec{}, make_anon());
  event e(s);
  value v = addr("10.0.0.1");
  for (unsigned i = 0; i < max_type_depth + 4; ++i) v = vector_value{{std::move(v)}};
  e.field(0) = std::move(v);
  e.field(1) = addr("10.0.0.2");
  auto r = t.apply(e);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::overloaded);
  CHECK(contains(r.err().message, "'v'"));
  CHECK(e.field(0).is_none());
  CHECK(e.field(1).get<address>() != addr("10.0.0.2"));  // the rest still transformed
}

TEST_CASE("transform reports an event whose field count disagrees with its schema") {
  auto s = flow_schema();
  transform t = compile_ok(s, transform_spec{});
  event e = flow_event(s);
  e.fields().pop_back();
  auto r = t.apply(e);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::corruption);
  CHECK(contains(r.err().message, "'flow'"));
}
