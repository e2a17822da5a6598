// Tests of libevent-model/src/schema/schema.cc: validation, registry, evolution.
#include <doctest/doctest.h>

#include "coop/model/schema.h"

using namespace coop::model;

namespace {

field f(std::string name, const char* ty, bool optional = true, value def = {}) {
  return field{std::move(name), *type::parse(ty), optional, std::move(def), "test field"};
}

schema v1() {
  return schema("login", 1, {f("user", "string", false), f("host", "addr", false), f("ok", "bool")});
}

}  // namespace

TEST_CASE("valid schemas register and are found by name and version") {
  registry reg;
  auto held = reg.add(v1());
  REQUIRE(held.ok());
  CHECK(reg.find("login") == *held);
  CHECK(reg.find("login", 1) == *held);
  CHECK(reg.find("login", 2) == nullptr);
  CHECK(reg.find("logout") == nullptr);
  CHECK((*held)->index_of("host") == 1u);
  CHECK_FALSE((*held)->index_of("nope").has_value());
  // Adding the same schema again is harmless.
  CHECK(reg.add(v1()).ok());
  CHECK(reg.size() == 1);
}

TEST_CASE("schema validation names the offending field") {
  CHECK(schema("Bad Name", 1, {}).validate().err().message.find("invalid event type name") != std::string::npos);
  CHECK(schema("x", 0, {}).validate().err().message.find("version") != std::string::npos);
  auto dup = schema("x", 1, {f("a", "count"), f("a", "string")}).validate();
  CHECK(dup.err().message == "x.a: duplicate field name");
  auto def = schema("x", 1, {f("a", "count", true, value{"s"})}).validate();
  CHECK(def.err().message.find("x.a: default") != std::string::npos);
  std::vector<field> many;
  for (int i = 0; i < 300; ++i) many.push_back(f("f" + std::to_string(i), "count"));
  CHECK(schema("x", 1, many).validate().err().code == errc::overloaded);
}

TEST_CASE("evolution: appending optional fields is compatible both ways") {
  registry reg;
  REQUIRE(reg.add(v1()).ok());
  auto fields = v1().fields();
  fields.push_back(f("method", "string"));                              // optional
  fields.push_back(f("attempts", "count", false, value{1u}));           // required with default
  auto v2 = reg.add(schema("login", 2, fields));
  REQUIRE(v2.ok());
  CHECK(reg.find("login")->version() == 2);
  CHECK(v1().check_evolution(**v2).ok());
  CHECK((*v2)->check_evolution(v1()).ok());
}

TEST_CASE("evolution: incompatible changes are refused naming the field") {
  registry reg;
  REQUIRE(reg.add(v1()).ok());
  {
    auto fields = v1().fields();
    fields.push_back(f("method", "string", false));  // required, no default
    auto r = reg.add(schema("login", 2, fields));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::incompatible);
    CHECK(r.err().message.find("'method' must be optional or have a default") != std::string::npos);
  }
  {
    auto fields = v1().fields();
    fields[1] = f("host", "string", false);
    auto r = reg.add(schema("login", 2, fields));
    CHECK(r.err().message.find("field 'host' changed type from addr to string") != std::string::npos);
  }
  {
    auto fields = v1().fields();
    fields.pop_back();
    auto r = reg.add(schema("login", 2, fields));
    CHECK(r.err().message.find("field 'ok' was removed") != std::string::npos);
  }
  {
    auto fields = v1().fields();
    std::swap(fields[0], fields[1]);
    auto r = reg.add(schema("login", 2, fields));
    CHECK(r.err().message.find("'user' became 'host'") != std::string::npos);
  }
  {
    auto fields = v1().fields();
    fields[2].optional = false;
    auto r = reg.add(schema("login", 2, fields));
    CHECK(r.err().message.find("'ok' became required") != std::string::npos);
  }
  // A different schema under an existing version is refused too.
  auto fields = v1().fields();
  fields.push_back(f("extra", "count"));
  CHECK(reg.add(schema("login", 1, fields)).err().message.find("already registered") != std::string::npos);
  CHECK(reg.size() == 1);
}

TEST_CASE("a version inserted between two known ones must fit both") {
  registry reg;
  auto fields = v1().fields();
  fields.push_back(f("a", "count"));
  fields.push_back(f("b", "count"));
  REQUIRE(reg.add(v1()).ok());
  REQUIRE(reg.add(schema("login", 3, fields)).ok());
  auto mid = v1().fields();
  mid.push_back(f("a", "string"));  // conflicts with v3's a: count
  CHECK(reg.add(schema("login", 2, mid)).err().message.find("'a' changed type") != std::string::npos);
  mid.back() = f("a", "count");
  CHECK(reg.add(schema("login", 2, mid)).ok());
}

TEST_CASE("evolution: a required field may become optional only with a default, defaults never change") {
  registry reg;
  REQUIRE(reg.add(v1()).ok());
  auto fields = v1().fields();
  fields[0].optional = true;  // 'user' required -> optional, no default
  auto r = reg.add(schema("login", 2, fields));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("'user' became optional without a default") != std::string::npos);
  fields[0].default_value = value{"unknown"};  // gaining a default makes it fine
  REQUIRE(reg.add(schema("login", 2, fields)).ok());
  fields[0].default_value = value{"nobody"};
  r = reg.add(schema("login", 3, fields));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("'user' changed its default from unknown to nobody") != std::string::npos);
}

TEST_CASE("types built in code are checked like parsed ones") {
  auto bad = [](type ty) { return schema("x", 1, {field{"f", std::move(ty), true, {}, ""}}).validate(); };
  CHECK(bad(type::set_of(type())).err().message == "x.f: container of none");
  CHECK(bad(type(type_kind::set)).err().message == "x.f: set without element type");
  CHECK(bad(type::enum_of({})).err().message == "x.f: enum without labels");
  CHECK(bad(type::enum_of({"a", "a"})).err().message == "x.f: duplicate enum label 'a'");
  CHECK(bad(type::record_of({{"Bad Name", type(type_kind::count)}})).err().message.find("invalid record field name") !=
        std::string::npos);
  type deep(type_kind::count);
  for (int i = 0; i < 5000; ++i) deep = type::vector_of(std::move(deep));
  CHECK(bad(deep).err().message.find("nested deeper than") != std::string::npos);
  // A malformed type never throws from the accessors.
  CHECK(type(type_kind::set).element().kind() == type_kind::none);
  CHECK(type(type_kind::table).mapped().kind() == type_kind::none);
}
