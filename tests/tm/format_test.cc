#include <doctest/doctest.h>

#include <fstream>

#include "coop/tm/store.h"
#include "store/format.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm::testing;

TEST_CASE("the store format version is the one documented in docs/timemachine.md") {
  CHECK(coop::tm::detail::current_format_version() == 2);
}

TEST_CASE("a store of format 1 (block postings, whole-block compression) is refused, named") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  {
    auto s = tm::store::create(opts, catalogue());
    REQUIRE(s.ok());
    REQUIRE(s->append(std::vector{conn(epoch, 1, 1, 80, 0)}).ok());
    REQUIRE(s->commit().ok());
  }
  {
    std::ofstream f(opts.root / "FORMAT", std::ios::trunc);
    f << "coop-timemachine\nformat 1\n";
  }
  auto old = tm::store::open(opts, catalogue());
  REQUIRE_FALSE(old.ok());
  CHECK(old.err().code == model::errc::incompatible);
  CHECK_MESSAGE(old.err().message == opts.root.string() +
                                         ": store format 1, this build reads format 2",
                old.err().message);
}
