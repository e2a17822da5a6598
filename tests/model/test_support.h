// Helpers shared by the libevent-model unit tests: values parsed from
// literals that the test itself wrote, so a typo in a test fails that test
// with the text (REQUIRE) rather than crashing the run.
#pragma once

#include <doctest/doctest.h>

#include "coop/model/address.h"

namespace coop::model::testing {

inline address addr(const char* text) {
  auto a = address::parse(text);
  REQUIRE_MESSAGE(a.ok(), text);
  return a.value();
}

inline subnet net(const char* text) {
  auto s = subnet::parse(text);
  REQUIRE_MESSAGE(s.ok(), text);
  return s.value();
}

}  // namespace coop::model::testing
