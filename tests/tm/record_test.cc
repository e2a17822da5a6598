// Stored records (libtimemachine/src/block/record.cc): uids packed and
// Community IDs derived only when they read back exactly, every other value
// stored as given, old (format 2 to 5) records still read, and damaged
// records refused with what is wrong. Through a whole store: events with
// derived and non-derived Community IDs come back equal, and a filter on
// community_id finds them.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "block/block.h"
#include "block/record.h"
#include "partition/partition.h"
#include "coop/model/community_id.h"
#include "coop/tm/store.h"
#include "tm_support.h"

using namespace coop;
using namespace coop::tm;
using namespace coop::tm::testing;

namespace {

// The Community ID of conn()'s 5-tuple.
std::string tuple_id(const model::event& e) {
  std::string out;
  const auto& oh = e.get("orig_h")->get<model::address>();
  const auto& op = e.get("orig_p")->get<model::port>();
  const auto& rh = e.get("resp_h")->get<model::address>();
  const auto& rp = e.get("resp_p")->get<model::port>();
  REQUIRE(model::community_id(oh, op.number, rh, rp.number,
                              model::community_id_protocol(op.proto), out));
  return out;
}

// Records of every block of the store under `root`, counted by flags.
std::map<std::uint32_t, std::size_t> records_by_flags(const std::filesystem::path& root) {
  std::map<std::uint32_t, std::size_t> n;
  for (const auto& dir : std::filesystem::directory_iterator(root / "parts")) {
    auto p = detail::partition::open(dir.path(), 256u << 20, true);
    REQUIRE(p.ok());
    for (std::uint32_t b = 0; b < (*p)->meta().blocks; ++b) {
      std::string stored, raw;
      REQUIRE((*p)->read_block(b, stored).ok());
      REQUIRE(detail::open_block(stored, "test", raw, (*p)->dictionary_for(stored).get()).ok());
      std::size_t pos = 0;
      detail::stored_record r;
      while (pos < raw.size()) {
        REQUIRE(detail::next_record(raw, pos, r) == nullptr);
        ++n[r.flags];
      }
    }
  }
  return n;
}

struct round_trip {
  std::uint32_t flags = 0;
  std::size_t stored = 0;  // bytes of the record
};

// Writes `e` as one record, reads it back against `types` and checks it
// is `e`.
round_trip write_and_read_in(const model::registry& types, const model::event& e) {
  detail::record_writer w;
  std::string payload;
  REQUIRE(w.append(payload, e).ok());
  std::size_t pos = 0;
  detail::stored_record r;
  REQUIRE(detail::next_record(payload, pos, r) == nullptr);
  CHECK(pos == payload.size());
  detail::record_reader reader;
  model::event back;
  auto d = reader.decode(r, types, back);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.err().message));
  CHECK(back == e);
  return {r.flags, payload.size()};
}

round_trip write_and_read(const model::event& e) { return write_and_read_in(catalogue(), e); }

}  // namespace

TEST_CASE("records: Zeek uids are packed, other uids stored as given, all read back") {
  model::event e = conn(epoch, 1, 2, 443, 1);
  const std::size_t bare = [&] {
    model::event none = e;
    none.uid.clear();
    return write_and_read(none).stored;
  }();
  const std::string forty(40, 'z');
  for (const std::string& uid : std::vector<std::string>{"CHhAvVGS1DHFjwGM9", "C0", "Cz", "C000abc", "Fzzzzzzzzzzzzzzzzzzzzz",
                                "C000000000000000000000", "\x01" "1", "C9", "C" + forty}) {
    CAPTURE(uid);
    e.uid = uid;
    CHECK(write_and_read(e).flags == detail::record_packed_uid);
  }
  // Every digit count: the first character, the count, 6 bits a digit.
  std::mt19937 r(5);
  const std::string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (std::size_t n = 1; n <= 40; ++n) {
    CAPTURE(n);
    for (int k = 0; k < 20; ++k) {
      e.uid.assign(1, static_cast<char>(r() % 256));
      for (std::size_t i = 0; i < n; ++i) e.uid.push_back(digits[r() % 62]);
      auto rt = write_and_read(e);
      CHECK(rt.flags == detail::record_packed_uid);
      CHECK(rt.stored == bare + 2 + (6 * n + 7) / 8);
    }
  }
  e.uid = "CHhAvVGS1DHFjwGM9";
  CHECK(write_and_read(e).stored == bare + 2 + 12);  // 16 digits: 96 bits in 12 bytes
  // Not the shape: a 41st digit, a character outside base 62, a lone prefix.
  for (const std::string& uid : std::vector<std::string>{"C" + forty + "z", "C-abc", "C", "Cab_c", "CHhAvV GS1"}) {
    CAPTURE(uid);
    e.uid = uid;
    CHECK(write_and_read(e).flags == 0);
  }
  e.uid.clear();
  CHECK(write_and_read(e).flags == 0);
}

TEST_CASE("records: a Community ID is left out only when the 5-tuple gives it back") {
  model::event e = conn(epoch, 1, 2, 443, 1);
  e.uid = "CHhAvVGS1DHFjwGM9";
  const std::size_t without = write_and_read(e).stored;
  const std::string id = tuple_id(e);
  REQUIRE(e.set("community_id", id).ok());
  auto rt = write_and_read(e);
  CHECK(rt.flags == (detail::record_packed_uid | detail::record_derived_community_id));
  CHECK(rt.stored == without);

  // Stored as given: another seed's id, a damaged one, any string.
  std::string other = id;
  other[5] = other[5] == 'A' ? 'B' : 'A';
  for (const std::string& v : {other, std::string("1:"), std::string("not an id"), id + "x"}) {
    CAPTURE(v);
    REQUIRE(e.set("community_id", v).ok());
    CHECK(write_and_read(e).flags == detail::record_packed_uid);
  }
  // No derivation for ICMP or for ports of two transports.
  REQUIRE(e.set("community_id", id).ok());
  model::event icmp = e;
  REQUIRE(icmp.set("orig_p", model::port{8, model::transport::icmp}).ok());
  REQUIRE(icmp.set("resp_p", model::port{0, model::transport::icmp}).ok());
  CHECK(write_and_read(icmp).flags == detail::record_packed_uid);
  model::event mixed = e;
  REQUIRE(mixed.set("resp_p", model::port{443, model::transport::udp}).ok());
  CHECK(write_and_read(mixed).flags == detail::record_packed_uid);
  // UDP and IPv6 derive too.
  model::event udp = e;
  REQUIRE(udp.set("orig_p", model::port{5353, model::transport::udp}).ok());
  REQUIRE(udp.set("resp_p", model::port{53, model::transport::udp}).ok());
  REQUIRE(udp.set("orig_h", model::address::parse("2001:db8::7").value()).ok());
  REQUIRE(udp.set("resp_h", model::address::parse("2001:db8::1").value()).ok());
  REQUIRE(udp.set("community_id", tuple_id(udp)).ok());
  CHECK((write_and_read(udp).flags & detail::record_derived_community_id) != 0);
}

TEST_CASE("records: a record of formats 2 to 5 (a bare length) reads as before") {
  model::event e = conn(epoch, 1, 2, 443, 1);
  e.uid = "CHhAvVGS1DHFjwGM9";
  REQUIRE(e.set("community_id", tuple_id(e)).ok());
  std::string payload;
  add_record(payload, e);  // the old writer: length, then the whole message
  std::size_t pos = 0;
  detail::stored_record r;
  REQUIRE(detail::next_record(payload, pos, r) == nullptr);
  CHECK(r.flags == 0);
  detail::record_reader reader;
  model::event back;
  REQUIRE(reader.decode(r, catalogue(), back).ok());
  CHECK(back == e);
}

TEST_CASE("records: damaged records are refused, naming what is wrong") {
  model::event e = conn(epoch, 1, 2, 443, 1);
  e.uid = "CHhAvVGS1DHFjwGM9";
  REQUIRE(e.set("community_id", tuple_id(e)).ok());
  detail::record_writer w;
  std::string good;
  REQUIRE(w.append(good, e).ok());
  detail::stored_record r;
  auto parse = [&](const std::string& payload) -> std::string {
    std::size_t pos = 0;
    const char* why = detail::next_record(payload, pos, r);
    return why ? why : "";
  };
  REQUIRE(parse(good).empty());

  std::string flags = good;
  flags[3] = static_cast<char>(flags[3] | 0x80);  // bit 31: no such flag
  CHECK(parse(flags).find("unknown record flags 0x") == 0);
  CHECK(parse(good.substr(0, 3)) == "truncated record");
  CHECK(parse(good.substr(0, good.size() - 1)) == "record overruns the block");
  std::string digits = good;
  digits[5] = 0;  // the uid's digit count
  CHECK(parse(digits) == "damaged packed uid");
  digits[5] = 41;
  CHECK(parse(digits) == "damaged packed uid");

  // A digit value of 62 or 63 parses, and is refused when decoded.
  std::string range = good;
  range[6] = static_cast<char>(0xff);  // the first digit: 63
  REQUIRE(parse(range).empty());
  detail::record_reader reader;
  model::event back;
  auto d = reader.decode(r, catalogue(), back);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == model::errc::corruption);
  CHECK(d.err().message == "damaged packed uid");

  // The derived flag on a type that has no 5-tuple.
  model::event dns(catalogue().find(model::catalogue::dns_request));
  REQUIRE(dns.set("orig_h", model::address::v4(1)).ok());
  REQUIRE(dns.set("orig_p", model::port{1, model::transport::udp}).ok());
  REQUIRE(dns.set("resp_h", model::address::v4(2)).ok());
  REQUIRE(dns.set("resp_p", model::port{53, model::transport::udp}).ok());
  REQUIRE(dns.validate().ok());
  std::string plain;
  REQUIRE(w.append(plain, dns).ok());
  plain[3] = static_cast<char>(plain[3] | 0x20);  // bit 29: community_id derived
  REQUIRE(parse(plain).empty());
  d = reader.decode(r, catalogue(), back);
  REQUIRE_FALSE(d.ok());
  CHECK(d.err().code == model::errc::corruption);
  CHECK(d.err().message.find("community_id is marked derived") != std::string::npos);
}

TEST_CASE("records: a store gives back derived Community IDs and packed uids, and filters on them") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  std::vector<model::event> events;
  for (std::uint64_t i = 0; i < 300; ++i) {
    model::event e = conn(epoch + static_cast<std::int64_t>(i) * sec, i % 11, 1 + i % 5, 443, i);
    e.uid = "CHhAvVGS1DHFjw" + std::to_string(1000 + i);
    if (i % 3 == 0) REQUIRE(e.set("community_id", tuple_id(e)).ok());
    if (i % 3 == 1) REQUIRE(e.set("community_id", "1:stored-as-given-" + std::to_string(i)).ok());
    events.push_back(std::move(e));
  }
  REQUIRE(s->append(events).ok());
  REQUIRE(s->commit().ok());
  CHECK(all(*s) == events);
  auto flags = records_by_flags(test_options(dir.path(), &clock).root);
  CHECK(flags[detail::record_packed_uid | detail::record_derived_community_id] == 100);
  CHECK(flags[detail::record_packed_uid] == 200);

  const std::string id = tuple_id(events[30]);
  query_spec q;
  q.filter = "community_id == \"" + id + "\"";
  auto found = all(*s, q);
  std::vector<model::event> want;
  for (const auto& e : events) {
    const model::value* v = e.get("community_id");
    if (v != nullptr && *v == model::value(id)) want.push_back(e);
  }
  REQUIRE_FALSE(want.empty());
  CHECK(found == want);
}

TEST_CASE("records: a required community_id is stored as given, and the batch is whole") {
  // A site type whose community_id is required: it cannot be left out of
  // the message, so it is not derived (the encoder would refuse it).
  model::registry types = catalogue();
  auto conn_schema = catalogue().find(model::catalogue::connection_end);
  std::vector<model::field> fields = conn_schema->fields();
  for (auto& f : fields) {
    if (f.name == "community_id") f.optional = false;
  }
  auto strict = std::make_shared<const model::schema>("site_conn", 1, fields, "");
  REQUIRE(types.add(*strict).ok());
  std::vector<model::event> events;
  for (std::uint64_t i = 0; i < 2; ++i) {
    model::event c = conn(epoch + static_cast<std::int64_t>(i) * sec, 1, 2, 443, i);
    model::event e(types.find("site_conn"));
    e.ts = c.ts;
    e.id = c.id;
    e.uid = c.uid;
    for (std::size_t f = 0; f < c.size(); ++f) e.field(f) = c.field(f);
    REQUIRE(e.set("community_id", tuple_id(e)).ok());
    REQUIRE(e.validate().ok());
    events.push_back(std::move(e));
  }
  CHECK(write_and_read_in(types, events[0]).flags == detail::record_packed_uid);
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), types);
  REQUIRE(s.ok());
  auto r = s->append(events);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
  REQUIRE(s->commit().ok());
  CHECK(all(*s) == events);
}

TEST_CASE("records: an event over 16 MiB refuses its batch whole, and one just under is kept") {
  temp_dir dir;
  fake_clock clock(epoch);
  auto s = store::create(test_options(dir.path(), &clock), catalogue());
  REQUIRE(s.ok());
  model::event big = conn(epoch + sec, 1, 2, 443, 1);
  REQUIRE(big.set("history", std::string(17u << 20, 'D')).ok());
  const std::vector<model::event> refused{conn(epoch, 1, 2, 443, 0), big};
  auto r = s->append(refused);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == model::errc::invalid_argument);
  CHECK(r.err().message.find("event 1 of the batch (connection_end) encodes to ") == 0);
  CHECK(r.err().message.find("more than the 16 MiB an event may take") != std::string::npos);
  REQUIRE(s->commit().ok());
  CHECK(all(*s).empty());

  model::event large = conn(epoch + sec, 1, 2, 443, 1);
  REQUIRE(large.set("history", std::string(15u << 20, 'D')).ok());
  const std::vector<model::event> kept{conn(epoch, 1, 2, 443, 0), large};
  REQUIRE(s->append(kept).ok());
  REQUIRE(s->commit().ok());
  CHECK(all(*s) == kept);
}
