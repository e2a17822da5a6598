#include <doctest/doctest.h>

#include "store/format.h"

TEST_CASE("the store format version is the one documented in docs/timemachine.md") {
  CHECK(coop::tm::detail::current_format_version() == 1);
}
