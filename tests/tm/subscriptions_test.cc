// Standing queries on live ingest, and rules applied by the store.
#include <doctest/doctest.h>

#include <thread>

#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

TEST_CASE("a standing query delivers matches of later appends until cancelled or expired") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  std::vector<model::event> before{conn(epoch, 5, 1, 22, 1)};
  REQUIRE(s->append(before).ok());  // earlier than the subscription: not delivered

  auto sub = s->subscribe("orig_h == 10.0.0.5 && resp_p == 22/tcp",
                          model::timestamp{epoch + 100 * sec});
  REQUIRE_MESSAGE(sub.ok(), (sub.ok() ? "" : sub.err().message));
  CHECK(sub->active());

  std::vector<model::event> batch{conn(epoch + 10 * sec, 5, 1, 22, 2), conn(epoch + 11 * sec, 6, 1, 22, 3),
                                  conn(epoch + 12 * sec, 5, 1, 80, 4), conn(epoch + 13 * sec, 5, 2, 22, 5)};
  REQUIRE(s->append(batch).ok());
  std::vector<model::event> got;
  CHECK(sub->take(got, 10) == 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == batch[0]);
  CHECK(got[1] == batch[3]);

  SUBCASE("a waiting consumer wakes up when a match arrives") {
    std::thread producer([&] {
      std::vector<model::event> later{conn(epoch + 20 * sec, 5, 1, 22, 6)};
      REQUIRE(s->append(later).ok());
    });
    std::vector<model::event> more;
    std::size_t n = sub->take(more, 10, model::interval::seconds(10));
    producer.join();
    if (n == 0) n = sub->take(more, 10);  // appended before take() started waiting
    CHECK(n == 1);
  }
  SUBCASE("an event past the expiry ends the subscription") {
    std::vector<model::event> late{conn(epoch + 200 * sec, 5, 1, 22, 7)};
    REQUIRE(s->append(late).ok());
    std::vector<model::event> more;
    CHECK(sub->take(more, 10) == 0);
    CHECK_FALSE(sub->active());
  }
  SUBCASE("cancelled, it receives nothing more") {
    sub->cancel();
    std::vector<model::event> later{conn(epoch + 30 * sec, 5, 1, 22, 8)};
    REQUIRE(s->append(later).ok());
    std::vector<model::event> more;
    CHECK(sub->take(more, 10) == 0);
  }
}

TEST_CASE("a full subscription queue counts what it drops and never blocks ingest") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  auto sub = s->subscribe("", std::nullopt, 3);
  REQUIRE(sub.ok());
  std::vector<model::event> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(conn(epoch + i * sec, 1, 1, 22, static_cast<std::uint64_t>(i)));
  REQUIRE(s->append(batch).ok());
  CHECK(sub->overflowed() == 7);
  std::vector<model::event> got;
  CHECK(sub->take(got, 100) == 3);
}

TEST_CASE("a bad standing query is refused with its column") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  auto sub = s->subscribe("orig_h == 22/tcp");
  REQUIRE_FALSE(sub.ok());
  CHECK(sub.err().message.find("column") != std::string::npos);
}

TEST_CASE("the store applies its rules, counts the drops, and keeps the rules across a restart") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto opts = test_options(dir.path(), &clock);
  {
    auto s = store::create(opts, catalogue());
    REQUIRE(s.ok());
    auto bad = s->set_rules("drop resp_p == 22/tcp\nsample 0 T\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.err().message.rfind("rules:2:", 0) == 0);
    REQUIRE(s->set_rules("drop resp_p == 22/tcp\n").ok());
    std::vector<model::event> batch{conn(epoch, 1, 1, 22, 1), conn(epoch + sec, 1, 1, 80, 2)};
    auto rc = s->append(batch);
    REQUIRE(rc.ok());
    CHECK(rc->accepted == 1);
    CHECK(rc->dropped == 1);
    auto st = s->stats();
    CHECK(st.dropped == 1);
    REQUIRE(st.rule_drops.size() == 1);
    CHECK(st.rule_drops[0] == std::pair<std::uint32_t, std::uint64_t>{1, 1});
  }
  auto s = store::open(opts, catalogue());
  REQUIRE(s.ok());
  CHECK(s->rules().text() == "drop resp_p == 22/tcp\n");
  std::vector<model::event> again{conn(epoch + 5 * sec, 1, 1, 22, 3)};
  auto rc = s->append(again);
  REQUIRE(rc.ok());
  CHECK(rc->dropped == 1);
  CHECK(all(*s).size() == 1);
}

TEST_CASE("a batch with an invalid event is refused whole") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  auto broken = conn(epoch, 1, 1, 22, 2);
  broken.field(0) = model::value{};  // orig_h is required
  std::vector<model::event> batch{conn(epoch, 1, 1, 22, 1), broken};
  auto rc = s->append(batch);
  REQUIRE_FALSE(rc.ok());
  CHECK(rc.err().message.find("event 1") != std::string::npos);
  CHECK(rc.err().message.find("orig_h") != std::string::npos);
  REQUIRE(s->commit().ok());
  CHECK(all(*s).empty());
}
