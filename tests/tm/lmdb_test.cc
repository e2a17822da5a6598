// The LMDB wrapper: put_multiple stores every value of a batch, whatever the
// key already holds (LMDB 0.9.24's MDB_MULTIPLE stops early, without an
// error, when the key holds exactly one value equal to the first given).
#include <doctest/doctest.h>

#include <vector>

#include "block/endian.h"
#include "lmdb/lmdb.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

std::string be32s(std::initializer_list<std::uint32_t> xs) {
  std::string s;
  for (auto x : xs) detail::put_be32(s, x);
  return s;
}

// The values stored under `key`, in order.
std::vector<std::uint32_t> stored(const lmdb::env& env, MDB_dbi dbi, std::string_view key) {
  auto t = lmdb::txn::begin(env, false);
  REQUIRE(t.ok());
  auto c = lmdb::cursor::open(*t, dbi);
  REQUIRE(c.ok());
  std::vector<std::uint32_t> out;
  std::string_view k, v;
  for (auto more = c->move(MDB_SET_KEY, &k, &v, key); more.value();
       more = c->move(MDB_NEXT_DUP, &k, &v)) {
    out.push_back(detail::get_be32(v));
  }
  return out;
}

}  // namespace

TEST_CASE("put_multiple stores every value, whatever the key held before") {
  temp_dir dir;
  auto env = lmdb::env::open(dir.path() / "db",
                             {.map_size = 16u << 20, .max_dbs = 2, .read_only = false, .create = true});
  REQUIRE(env.ok());
  MDB_dbi dbi = 0;
  {
    auto t = lmdb::txn::begin(*env, true);
    REQUIRE(t.ok());
    auto d = t->open_db("idx", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
    REQUIRE(d.ok());
    dbi = *d;
    // Before: "one" holds 5; "two" holds 5 and 9; "other" holds 1.
    REQUIRE(t->put(dbi, "one", be32s({5})).ok());
    REQUIRE(t->put(dbi, "two", be32s({5})).ok());
    REQUIRE(t->put(dbi, "two", be32s({9})).ok());
    REQUIRE(t->put(dbi, "other", be32s({1})).ok());
    REQUIRE(t->commit().ok());
  }
  {
    auto t = lmdb::txn::begin(*env, true);
    REQUIRE(t.ok());
    {
      // A write transaction frees its cursors when it ends: this one is
      // closed before the commit.
      auto c = lmdb::cursor::open(*t, dbi);
      REQUIRE(c.ok());
      REQUIRE(c->put_multiple("new", be32s({1, 2, 3}), 4).ok());
      REQUIRE(c->put_multiple("one", be32s({5, 6, 7}), 4).ok());  // the first value is there
      REQUIRE(c->put_multiple("two", be32s({5, 7, 9, 11}), 4).ok());
      REQUIRE(c->put_multiple("other", be32s({2, 3}), 4).ok());
      REQUIRE(c->put_multiple("none", "", 4).ok());
      auto bad = c->put_multiple("odd", std::string(6, 'x'), 4);
      REQUIRE_FALSE(bad.ok());
      CHECK(bad.err().message == "cursor put: 6 bytes are not a whole number of 4-byte values");
    }
    REQUIRE(t->commit().ok());
  }
  CHECK(stored(*env, dbi, "new") == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(stored(*env, dbi, "one") == std::vector<std::uint32_t>{5, 6, 7});
  CHECK(stored(*env, dbi, "two") == std::vector<std::uint32_t>{5, 7, 9, 11});
  CHECK(stored(*env, dbi, "other") == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(stored(*env, dbi, "none").empty());
}
