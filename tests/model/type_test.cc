// Tests of libevent-model/src/value/type.cc.
#include <doctest/doctest.h>

#include "coop/model/type.h"

using namespace coop::model;

TEST_CASE("Zeek type notation round-trips") {
  for (const char* t : {"bool", "count", "int", "double", "string", "bytes", "addr", "subnet",
                        "port", "time", "interval", "set[addr]", "vector[string]",
                        "table[string] of count", "table[addr] of set[port]",
                        "enum { tcp, udp, icmp }", "record { a: count; b: vector[string]; }",
                        "enum { Intel::ADDR, Intel::DOMAIN }"}) {
    auto parsed = type::parse(t);
    REQUIRE_MESSAGE(parsed.ok(), t);
    CHECK(parsed->to_string() == t);
    CHECK(*type::parse(parsed->to_string()) == *parsed);
  }
  CHECK(type::parse("vector of string")->to_string() == "vector[string]");
  CHECK(type::parse("set[ addr ]")->element().kind() == type_kind::address);
}

TEST_CASE("type errors give the column") {
  auto e = type::parse("set[adr]");
  REQUIRE_FALSE(e.ok());
  CHECK(e.err().message.find("column 5") != std::string::npos);
  CHECK(e.err().message.find("unknown type 'adr'") != std::string::npos);
  CHECK(type::parse("table[addr] count").err().message.find("expected 'of'") != std::string::npos);
  CHECK(type::parse("enum { a, a }").err().message.find("duplicate enum label 'a'") !=
        std::string::npos);
  CHECK(type::parse("record { a: count; a: int; }").err().message.find("duplicate field 'a'") !=
        std::string::npos);
  CHECK(type::parse("count count").err().message.find("column 7") != std::string::npos);
}

TEST_CASE("type nesting is bounded") {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "set[";
  deep += "count";
  for (int i = 0; i < 100; ++i) deep += "]";
  auto t = type::parse(deep);
  REQUIRE_FALSE(t.ok());
  CHECK(t.err().message.find("nested too deeply") != std::string::npos);
}

TEST_CASE("enum and record lookups") {
  auto t = *type::parse("enum { a, b, c }");
  CHECK(t.index_of("b") == 1);
  CHECK(t.index_of("d") == -1);
  auto r = *type::parse("record { x: count; y: string }");
  CHECK(r.names().size() == 2);
  CHECK(r.params()[1].kind() == type_kind::string);
}
