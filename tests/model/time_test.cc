// Tests of libevent-model/src/value/time.cc.
#include <doctest/doctest.h>

#include "coop/model/time.h"

using namespace coop::model;

TEST_CASE("timestamps parse Zeek's epoch form and print it back") {
  auto t = timestamp::parse("1258531221.486539");
  REQUIRE(t.ok());
  CHECK(t->ns == 1258531221486539000);
  CHECK(t->to_string() == "1258531221.486539");
  CHECK(timestamp{1'000'000'000'123}.to_string() == "1000.000000123");
  CHECK(timestamp{-1'500'000'000}.to_string() == "-1.500000");
}

TEST_CASE("timestamps parse and print RFC 3339") {
  auto t = timestamp::parse("2009-11-18T08:00:21.486539Z");
  REQUIRE(t.ok());
  CHECK(t->ns == 1258531221486539000);
  CHECK(t->to_rfc3339() == "2009-11-18T08:00:21.486539000Z");
  CHECK(timestamp::parse("2009-11-18T10:00:21.486539+02:00")->ns == t->ns);
  CHECK(timestamp{0}.to_rfc3339() == "1970-01-01T00:00:00.000000000Z");
  CHECK(timestamp{-1}.to_rfc3339() == "1969-12-31T23:59:59.999999999Z");
  CHECK(timestamp::parse("2000-02-29T00:00:00Z")->to_rfc3339() == "2000-02-29T00:00:00.000000000Z");
  // Round trip over a spread of instants.
  for (std::int64_t ns = -4'000'000'000'000'000'000; ns < 4'000'000'000'000'000'000;
       ns += 77'777'777'777'777'777) {
    CHECK(timestamp::parse(timestamp{ns}.to_rfc3339())->ns == ns);
    CHECK(timestamp::parse(timestamp{ns}.to_string())->ns == ns);
  }
}

TEST_CASE("bad timestamps are refused") {
  for (const char* bad : {"", "abc", "2009-13-01T00:00:00Z", "2009-11-18T08:00:21", "1.2.3",
                          "99999999999999999999", "2009-11-18T25:00:00Z"}) {
    auto t = timestamp::parse(bad);
    CHECK_FALSE(t.ok());
  }
  CHECK(timestamp::parse("x").err().message.find("RFC 3339") != std::string::npos);
  // Years outside the nanosecond range are refused, not overflowed.
  CHECK(timestamp::parse("1011-01-01T00:00:00Z").err().message.find("outside") != std::string::npos);
  CHECK(timestamp::parse("9999-12-31T23:59:59Z").err().message.find("outside") != std::string::npos);
  CHECK(timestamp::parse("1677-09-21T00:12:43.145224192Z")->ns == INT64_MIN);
  // Impossible calendar dates and leap seconds are refused, not rolled over.
  CHECK_FALSE(timestamp::parse("2023-02-29T00:00:00Z").ok());
  CHECK_FALSE(timestamp::parse("2023-04-31T00:00:00Z").ok());
  CHECK(timestamp::parse("2024-02-29T00:00:00Z").ok());
  CHECK_FALSE(timestamp::parse("2016-12-31T23:59:60Z").ok());
  // The extremes print and parse back in both forms.
  for (std::int64_t ns : {INT64_MIN, INT64_MAX}) {
    CHECK(timestamp::parse(timestamp{ns}.to_string())->ns == ns);
    CHECK(interval::parse(interval{ns}.to_string())->ns == ns);
  }
}

TEST_CASE("intervals parse seconds and units") {
  CHECK(interval::parse("3600.000000")->ns == 3'600'000'000'000);
  CHECK(interval::parse("1.5s")->ns == 1'500'000'000);
  CHECK(interval::parse("500ms")->ns == 500'000'000);
  CHECK(interval::parse("250us")->ns == 250'000);
  CHECK(interval::parse("10ns")->ns == 10);
  CHECK(interval::parse("10 mins")->ns == 600'000'000'000);
  CHECK(interval::parse("2h")->ns == 7'200'000'000'000);
  CHECK(interval::parse("7d")->ns == 604'800'000'000'000);
  CHECK(interval::parse("-0.5")->ns == -500'000'000);
  CHECK(interval{1'500'000'000}.to_string() == "1.5");
  CHECK(interval{3'600'000'000'000}.to_string() == "3600.0");
  CHECK(interval::parse("3 fortnights").err().message.find("unknown unit 'fortnights'") !=
        std::string::npos);
  CHECK_FALSE(interval::parse("9999999999999999d").ok());  // overflow
  CHECK_FALSE(interval::parse("").ok());
}

TEST_CASE("time arithmetic") {
  timestamp t{10'000'000'000};
  CHECK((t - interval::seconds(1)).ns == 9'000'000'000);
  CHECK((t + interval::millis(5)).ns == 10'005'000'000);
  CHECK((t - timestamp{4'000'000'000}).ns == 6'000'000'000);
}
