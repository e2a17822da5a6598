// The streaming cursor (libtimemachine/src/query/cursor.cc) decodes each
// match into the storage of an event it handed out before: an event with
// fewer fields set, no uid and no origin, read after a full one, must come
// back exactly as appended, by a scan and by an index lookup.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "coop/model/catalogue.h"
#include "coop/tm/store.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

// A connection_end with only the fields it must have: no uid, no origin,
// no counters.
model::event sparse_conn(std::int64_t ts, std::uint32_t h, std::uint64_t n) {
  model::event e(catalogue().find(model::catalogue::connection_end));
  e.ts = model::timestamp{ts};
  e.id = model::event_id{7, n};
  (void)e.set("orig_h", model::address::v4(0x0a000000u + h));
  (void)e.set("resp_h", model::address::v4(0xc0a80001u));
  (void)e.set("orig_p", model::port{1, model::transport::udp});
  (void)e.set("resp_p", model::port{53, model::transport::udp});
  REQUIRE(e.validate().ok());
  return e;
}

}  // namespace

TEST_CASE("cursor: a recycled event never carries fields of an earlier one") {
  temp_dir dir;
  fake_clock clock{epoch};
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  std::vector<model::event> in;
  for (std::uint64_t n = 0; n < 1000; ++n) {
    const std::int64_t ts = epoch + static_cast<std::int64_t>(n) * sec;
    const auto h = static_cast<std::uint32_t>(n % 7);
    in.push_back(n % 3 == 0 ? sparse_conn(ts, h, n)
                            : conn(ts, h, static_cast<std::uint32_t>(1 + n % 3), 80, n, 1000 + n));
  }
  REQUIRE(s->append(in).ok());
  REQUIRE(s->commit().ok());
  for (const char* filter : {"", "orig_h == 10.0.0.3"}) {
    CAPTURE(filter);
    query_spec q;
    q.filter = filter;
    auto c = s->query(q);
    REQUIRE(c.ok());
    std::size_t returned = 0, sparse = 0;
    for (;;) {
      auto e = c->next();
      REQUIRE(e.ok());
      if (*e == nullptr) break;
      const model::event& got = **e;
      REQUIRE(got.id.lo < in.size());
      CHECK_MESSAGE(got == in[got.id.lo], "event " << got.id.lo);
      sparse += got.id.lo % 3 == 0 ? 1 : 0;
      ++returned;
    }
    std::size_t expected = 0;
    for (std::uint64_t n = 0; n < in.size(); ++n) expected += *filter == '\0' || n % 7 == 3 ? 1 : 0;
    CHECK(returned == expected);
    CHECK(sparse > 0);
    CHECK(c->warnings().empty());
  }
}

TEST_CASE("cursor: cursors left open hold no LMDB reader slot, and order and limit hold both ways") {
  temp_dir dir;
  fake_clock clock{epoch};
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  std::vector<model::event> in;
  for (std::uint64_t n = 0; n < 6000; ++n) {
    in.push_back(conn(epoch + static_cast<std::int64_t>(n) * sec, static_cast<std::uint32_t>(n % 40),
                      1 + static_cast<std::uint32_t>(n % 3), 80, n));
  }
  REQUIRE(s->append(in).ok());
  REQUIRE(s->commit().ok());
  REQUIRE(s->seal().ok());
  const std::string host = "10.0.0.9";
  std::vector<model::event> want;
  for (const auto& e : in) {
    if (e.get("orig_h")->to_string() == host) want.push_back(e);
  }
  REQUIRE(want.size() == 150);  // one event in 40: about one a block of 64

  // LMDB gives an environment 126 reader slots: more cursors than that,
  // each stopped after its first event, must not take them all.
  std::vector<cursor> open;
  for (int i = 0; i < 200; ++i) {
    query_spec q;
    q.filter = "orig_h == " + host;
    auto c = s->query(q);
    REQUIRE(c.ok());
    auto first = c->next();
    REQUIRE_MESSAGE(first.ok(), (first.ok() ? "" : first.err().message));
    REQUIRE(*first != nullptr);
    CHECK(**first == want.front());
    open.push_back(std::move(c.value()));
  }
  for (const order o : {order::oldest_first, order::newest_first}) {
    for (const std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{47},
                                      std::uint64_t{49}, std::uint64_t{149}}) {
      CAPTURE(limit);
      query_spec q;
      q.filter = "orig_h == " + host;
      q.sort = o;
      q.limit = limit;
      std::vector<model::event> expected = want;
      if (o == order::newest_first) std::reverse(expected.begin(), expected.end());
      if (limit != 0) expected.resize(limit);
      auto got = all(*s, q);
      CHECK(got == expected);
    }
  }
  // The cursors left open read on to the end.
  for (auto& c : open) {
    std::size_t n = 1;
    for (auto e = c.next(); e.ok() && *e != nullptr; e = c.next()) ++n;
    CHECK(n == want.size());
  }
}
