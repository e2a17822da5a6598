// Tests of libevent-model/src/value/value.cc and value_text.cc.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

#include "coop/model/value.h"

using namespace coop::model;

namespace {

type t(const char* text) { return *type::parse(text); }

}  // namespace

TEST_CASE("kinds follow the alternatives") {
  CHECK(value{}.kind() == type_kind::none);
  CHECK(value{true}.kind() == type_kind::boolean);
  CHECK(value{std::uint64_t{1}}.kind() == type_kind::count);
  CHECK(value{1u}.kind() == type_kind::count);
  CHECK(value{-1}.kind() == type_kind::integer);
  CHECK(value{1.5}.kind() == type_kind::real);
  CHECK(value{"x"}.kind() == type_kind::string);
  CHECK(value{bytes{"x"}}.kind() == type_kind::bytes);
  CHECK(value{timestamp{1}}.kind() == type_kind::time);
  CHECK(value{interval{1}}.kind() == type_kind::interval);
  CHECK(value{enum_value{"tcp"}}.kind() == type_kind::enumeration);
  CHECK(value{record_value{}}.kind() == type_kind::record);
}

TEST_CASE("total order: by kind first, then by value, reals totally ordered") {
  std::vector<value> vs = {value{"b"}, value{2u}, value{}, value{"a"}, value{1u}, value{true},
                           value{std::nan("")}, value{-HUGE_VAL}, value{0.0}};
  std::sort(vs.begin(), vs.end());
  CHECK(vs[0].is_none());
  CHECK(vs[1].is<bool>());
  CHECK(vs[2] == value{1u});
  CHECK(vs[3] == value{2u});
  CHECK(vs[4] == value{-HUGE_VAL});
  CHECK(vs[5] == value{0.0});
  CHECK(std::isnan(vs[6].get<double>()));
  CHECK(vs[7] == value{"a"});
  // NaN equals itself under the total order, so sets and hashes stay sane.
  CHECK(value{std::nan("")} == value{std::nan("")});
  CHECK(value{0.0} != value{-0.0});
}

TEST_CASE("sets are sorted and unique, tables keep the last duplicate") {
  auto s = value::make_set({value{3u}, value{1u}, value{3u}, value{2u}});
  CHECK(s.get<set_value>().elements.size() == 3);
  CHECK(s.to_string() == "{1, 2, 3}");
  auto tb = value::make_table({{value{"b"}, value{1u}}, {value{"a"}, value{2u}}, {value{"b"}, value{3u}}});
  CHECK(tb.to_string() == "{[\"a\"] = 2, [\"b\"] = 3}");
}

TEST_CASE("scalars print as in a Zeek log and parse back") {
  CHECK(value{true}.to_string() == "T");
  CHECK(value{}.to_string() == "-");
  CHECK(value{-42}.to_string() == "-42");
  CHECK(value{3.14}.to_string() == "3.14");
  CHECK(value{*port::parse("22/tcp")}.to_string() == "22/tcp");
  CHECK(value::parse("T", t("bool"))->get<bool>());
  CHECK(value::parse("-", t("count"))->is_none());
  CHECK(value::parse("18446744073709551615", t("count"))->get<std::uint64_t>() == UINT64_MAX);
  CHECK_FALSE(value::parse("18446744073709551616", t("count")).ok());
  CHECK_FALSE(value::parse("-1", t("count")).ok());
  CHECK(value::parse("-9223372036854775808", t("int"))->get<std::int64_t>() == INT64_MIN);
  CHECK(value::parse("tcp", t("enum {tcp, udp}"))->get<enum_value>().label == "tcp");
  CHECK(value::parse("sctp", t("enum {tcp, udp}")).err().message.find("sctp") != std::string::npos);
  CHECK(value::parse("1258531221.486539", t("time"))->get<timestamp>().ns == 1258531221486539000);
}

TEST_CASE("containers print and parse in Zeek notation") {
  auto v = value::parse(R"({"b", "a,x", "c\"d"})", t("set[string]"));
  REQUIRE(v.ok());
  CHECK(v->get<set_value>().elements.size() == 3);
  CHECK(v->to_string() == R"({"a,x", "b", "c\"d"})");
  auto tb = value::parse("{[10.0.0.1] = {22/tcp, 80/tcp}, [::1] = {}}", t("table[addr] of set[port]"));
  REQUIRE(tb.ok());
  CHECK(tb->to_string() == "{[::1] = {}, [10.0.0.1] = {22/tcp, 80/tcp}}");
  auto rec = value::parse("[b=\"x\", a=1]", t("record { a: count; b: string; c: bool }"));
  REQUIRE(rec.ok());
  CHECK(rec->to_string() == "[1, \"x\", -]");
  auto vec = value::parse("[1.5, -, 2]", t("vector[interval]"));
  REQUIRE(vec.ok());
  CHECK(vec->get<vector_value>().elements[1].is_none());
}

TEST_CASE("container parse errors give the column") {
  auto e = value::parse("{1, x, 3}", t("set[count]"));
  REQUIRE_FALSE(e.ok());
  CHECK(e.err().message.find("column 5") != std::string::npos);
  CHECK(value::parse("{1, 2", t("set[count]")).err().message.find("expected ','") != std::string::npos);
  CHECK(value::parse("[z=1]", t("record { a: count }")).err().message.find("unknown record field 'z'") !=
        std::string::npos);
  std::string deep(200, '[');
  CHECK_FALSE(value::parse(deep, *type::parse("vector[vector[vector[count]]]")).ok());
}

TEST_CASE("unset elements and fields round-trip inside containers") {
  auto rt = t("record { a: count; b: set[string]; c: vector[set[count]] }");
  record_value r{{value{1u}, value{}, value{vector_value{{value{}, value::make_set({value{2u}})}}}}};
  value v{r};
  CHECK(v.to_string() == "[1, -, [-, {2}]]");
  auto back = value::parse(v.to_string(), rt);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.err().message));
  CHECK(*back == v);
  // A negative number is not mistaken for an unset element.
  CHECK(value::parse("[-1, -, -2]", t("vector[int]"))->to_string() == "[-1, -, -2]");
}

TEST_CASE("a string or bytes equal to \"-\" is escaped, as Zeek does, and not read as unset") {
  CHECK(value{"-"}.to_string() == "\\x2d");
  CHECK(value::parse("\\x2d", t("string"))->get<std::string>() == "-");
  CHECK(value{bytes{"-"}}.to_string() == "\\x2d");
  CHECK(value::parse("\\x2d", t("bytes"))->get<bytes>().data == "-");
  CHECK(value::parse("-", t("string"))->is_none());
}

TEST_CASE("conformance checks containers deeply") {
  auto st = t("set[addr]");
  CHECK(value::make_set({value{address::v4(1u)}}).conforms(st));
  CHECK_FALSE(value::make_set({value{"x"}}).conforms(st));
  CHECK(value{}.conforms(st));
  CHECK_FALSE(value{enum_value{"x"}}.conforms(t("enum {a, b}")));
  CHECK_FALSE(value{record_value{{value{1u}}}}.conforms(t("record { a: count; b: count }")));
  // Hand-built sets must be sorted and unique, like make_set leaves them.
  CHECK_FALSE(value{set_value{{value{2u}, value{1u}}}}.conforms(t("set[count]")));
  CHECK_FALSE(value{set_value{{value{1u}, value{1u}}}}.conforms(t("set[count]")));
  CHECK(value{set_value{{value{1u}, value{2u}}}}.conforms(t("set[count]")));
  CHECK_FALSE(value{table_value{{value{2u}, value{1u}}, {value{"a"}, value{"b"}}}}.conforms(
      t("table[count] of string")));
  // Every NaN is one value: equal, same hash.
  CHECK(value{std::nan("1")} == value{-std::nan("2")});
  CHECK(value{std::nan("1")}.hash() == value{-std::nan("2")}.hash());
}

TEST_CASE("property: random values round-trip through Zeek notation and hash consistently") {
  std::mt19937_64 rng(42);
  const std::vector<type> types = {
      t("string"), t("record { s: string; v: vector[string] }"), t("bool"), t("count"), t("int"), t("double"), t("addr"), t("subnet"), t("port"),
      t("time"), t("interval"), t("set[count]"), t("vector[string]"), t("table[port] of addr"),
      t("enum {a, b, c}"), t("bytes"), t("record { x: count; y: set[string]; }")};
  auto random_value = [&](const type& ty, auto& self, int depth) -> value {
    switch (ty.kind()) {
      case type_kind::boolean: return value{rng() % 2 == 0};
      case type_kind::count: return value{std::uint64_t{rng()}};
      case type_kind::integer: return value{static_cast<std::int64_t>(rng())};
      case type_kind::real: {
        switch (rng() % 8) {
          case 0: return value{std::nan("")};
          case 1: return value{HUGE_VAL};
          case 2: return value{-HUGE_VAL};
          case 3: return value{-0.0};
          default: return value{static_cast<double>(static_cast<std::int64_t>(rng())) / 1e6};
        }
      }
      case type_kind::string: {
        std::string s;
        // At top level strings print raw: keep them to text that round-trips.
        for (int i = 0, n = static_cast<int>(rng() % 8); i < n; ++i)
          s += depth == 0 ? static_cast<char>('!' + rng() % 90) : static_cast<char>(rng() % 256);
        if (rng() % 10 == 0) s.assign(1, '-');
        return value{s};
      }
      case type_kind::bytes: {
        std::string s;
        for (int i = 0, n = static_cast<int>(rng() % 8); i < n; ++i) s += static_cast<char>(rng() % 256);
        return value{bytes{s}};
      }
      case type_kind::address: {
        if (rng() % 2) return value{address::v4(static_cast<std::uint32_t>(rng()))};
        std::array<std::uint8_t, 16> b{};
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        return value{address::v6(b)};
      }
      case type_kind::subnet: {
        if (rng() % 2) return value{*subnet::make(address::v4(static_cast<std::uint32_t>(rng())), rng() % 33)};
        std::array<std::uint8_t, 16> b{};
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        return value{*subnet::make(address::v6(b), rng() % 129)};
      }
      case type_kind::port: return value{port{static_cast<std::uint16_t>(rng()), static_cast<transport>(rng() % 4)}};
      case type_kind::time: return value{timestamp{static_cast<std::int64_t>(rng() >> 2)}};
      case type_kind::interval: return value{interval{static_cast<std::int64_t>(rng() >> 2) - (1LL << 60)}};
      case type_kind::enumeration: return value{enum_value{ty.names()[rng() % 3]}};
      case type_kind::set: {
        std::vector<value> e;
        for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i) e.push_back(self(ty.element(), self, depth + 1));
        return value::make_set(std::move(e));
      }
      case type_kind::vector: {
        vector_value v;
        for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i)
          v.elements.push_back(rng() % 5 == 0 ? value{} : self(ty.element(), self, depth + 1));
        return value{std::move(v)};
      }
      case type_kind::table: {
        std::vector<std::pair<value, value>> e;
        for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i)
          e.emplace_back(self(ty.element(), self, depth + 1), self(ty.mapped(), self, depth + 1));
        return value::make_table(std::move(e));
      }
      case type_kind::record: {
        record_value r;
        for (const auto& p : ty.params()) r.fields.push_back(rng() % 4 == 0 ? value{} : self(p, self, depth + 1));
        return value{std::move(r)};
      }
      default: return value{};
    }
  };
  for (int i = 0; i < 3000; ++i) {
    const auto& ty = types[static_cast<std::size_t>(i) % types.size()];
    value v = random_value(ty, random_value, 0);
    CHECK(v.conforms(ty));
    // A raw top-level string is printed as is (for display), so only strings
    // that start and end with a printable, non-space character round-trip.
    auto text = v.to_string();
    auto back = value::parse(text, ty);
    REQUIRE_MESSAGE(back.ok(), ty.to_string() << " " << text << ": " << back.err().message);
    CHECK_MESSAGE(*back == v, ty.to_string() << " " << text);
    CHECK(back->hash() == v.hash());
  }
}
