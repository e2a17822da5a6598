// Tests of libevent-model/src/schema/event.cc.
#include <doctest/doctest.h>

#include <set>

#include "coop/model/event.h"

using namespace coop::model;

namespace {

std::shared_ptr<const schema> conn_schema(registry& reg) {
  std::vector<field> fs = {
      {"orig_h", *type::parse("addr"), false, {}, "originator"},
      {"resp_p", *type::parse("port"), false, {}, "responder port"},
      {"service", *type::parse("set[string]"), true, {}, "services"},
      {"attempts", *type::parse("count"), true, value{1u}, "attempts"},
  };
  return *reg.add(schema("conn", 1, fs));
}

}  // namespace

TEST_CASE("a new event carries its schema's defaults") {
  registry reg;
  event ev(conn_schema(reg));
  CHECK(ev.size() == 4);
  CHECK(ev.field(3) == value{1u});
  CHECK(ev.field(0).is_none());
  // Required fields are unset: the event is not valid yet.
  CHECK(ev.validate().err().message == "conn.orig_h: required field is unset");
}

TEST_CASE("setting fields by name checks their types") {
  registry reg;
  event ev(conn_schema(reg));
  CHECK(ev.set("orig_h", value{*address::parse("10.0.0.1")}).ok());
  auto wrong = ev.set("resp_p", value{"80"});
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.err().message == "conn.resp_p: expected port, got string");
  CHECK(ev.set("nope", value{1u}).err().code == errc::not_found);
  // A plain int literal is accepted for a count field when it fits.
  CHECK(ev.set("attempts", 5).ok());
  CHECK(ev.get("attempts")->is<std::uint64_t>());
  CHECK(ev.set("attempts", -5).err().message == "conn.attempts: expected count, got int");
  CHECK(ev.set("resp_p", value{*port::parse("80/tcp")}).ok());
  CHECK(ev.validate().ok());
  CHECK(ev.get("resp_p")->get<port>().number == 80);
  CHECK(ev.get("nope") == nullptr);
  // Direct positional access skips the check; validate() catches it.
  ev.field(2) = value{"not a set"};
  CHECK(ev.validate().err().message == "conn.service: expected set[string], got string");
}

TEST_CASE("events compare by envelope and fields") {
  registry reg;
  event a(conn_schema(reg));
  event b = a;
  CHECK(a == b);
  b.uid = "CHhAvVGS1DHFjwGM9";
  CHECK_FALSE(a == b);
}

TEST_CASE("event ids are unique per generator and print as 32 hex digits") {
  id_generator gen(0x1234);
  std::set<event_id> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(gen.next());
  CHECK(ids.size() == 1000);
  auto id = gen.next();
  CHECK(id.to_string() == "00000000000012340000000000000" "3e9");
  CHECK(*event_id::parse(id.to_string()) == id);
  CHECK_FALSE(event_id::parse("xyz").ok());
  CHECK(id_generator().next() != id_generator().next());
}
