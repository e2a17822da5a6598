// Tests of the binary codec's I/O surfaces (libevent-model/src/codec): the
// zero-copy views, batches, schemas, stream framing, decode_into, sizes, and
// the test vectors of docs/format-binary.md checked byte for byte.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "codec_fixtures.h"
#include "coop/model/codec.h"

using namespace coop::model;
using namespace coop::model::codec_testing;

TEST_CASE("codec: event_view reads the envelope and fields in place") {
  registry reg;
  auto s = add(reg, conn_schema());
  const event e = conn_event(s);
  const std::string bytes = must_encode(e);
  auto v = event_view::open(bv(bytes));
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? std::string() : v.err().message));
  CHECK(v->type_name() == "conn");
  CHECK(v->version() == 1);
  CHECK(v->ts() == e.ts);
  CHECK(v->id() == e.id);
  CHECK(v->site() == "lbl.gov");
  CHECK(v->sensor() == "zeek-1");
  CHECK(v->uid() == e.uid);
  // No copy: the uid points into the input bytes.
  CHECK(v->uid().data() >= bytes.data());
  CHECK(v->uid().data() < bytes.data() + bytes.size());
  REQUIRE(v->size() == 9);

  CHECK(*v->field_kind(0) == type_kind::address);
  CHECK(*v->field_kind(7) == type_kind::none);
  CHECK(*v->address_at(0) == addr("10.0.0.1"));
  CHECK(*v->port_at(1) == port{49152, transport::tcp});
  CHECK(*v->address_at(2) == addr("2001:db8::1"));
  CHECK(*v->enum_at(4) == "tcp");
  CHECK(*v->interval_at(5) == interval{1'500'000'000});
  CHECK(*v->count_at(6) == 1024);
  CHECK(*v->boolean_at(8));

  auto wrong = v->count_at(0);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.err().code == errc::invalid_argument);
  CHECK(wrong.err().message == "field 0: holds addr, not count");
  auto none = v->string_at(7);
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().message == "field 7: holds none, not string");
  auto out = v->count_at(9);
  REQUIRE_FALSE(out.ok());
  CHECK(out.err().code == errc::not_found);

  auto back = v->to_event(reg);
  REQUIRE(back.ok());
  CHECK(*back == e);

  // Copies share the message; the copy outlives the original.
  std::optional<event_view> copy;
  { copy = *v; }
  CHECK(copy->site() == "lbl.gov");

  // The other scalar getters.
  auto bs = add(reg, bag_schema());
  const std::string bag = must_encode(bag_event(bs));
  auto bvw = event_view::open(bv(bag));
  REQUIRE(bvw.ok());
  CHECK(*bvw->subnet_at(4) == net("10.1.0.0/16"));
  CHECK(*bvw->integer_at(5) == -5);
  CHECK(bvw->bytes_at(6)->size() == 3);
  CHECK(*bvw->time_at(7) == timestamp{-1});
  CHECK(*bvw->field(3) == value(record_value{{value(-12.5), value("here")}}));
}

// ---- batches and schemas --------------------------------------------------------

TEST_CASE("codec: batches round-trip, with and without schemas") {
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  std::vector<event> events = {ping_event(ps), conn_event(cs), ping_event(ps)};
  encoder enc;
  std::string with, without;
  REQUIRE(enc.encode_batch(events, with, true).ok());
  REQUIRE(enc.encode_batch(events, without, false).ok());
  CHECK(with.size() > without.size());

  auto d = decode_batch(bv(without), reg);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
  CHECK(*d == events);

  auto view = batch_view::open(bv(with));
  REQUIRE(view.ok());
  REQUIRE(view->size() == 3);
  CHECK(view->at(1)->type_name() == "conn");
  CHECK(view->at(2)->id() == events[2].id);
  CHECK_FALSE(view->at(3).ok());
  REQUIRE(view->schema_count() == 2);  // ping and conn, each once
  CHECK(*view->schema_at(0) == ping_schema());
  CHECK(*view->schema_at(1) == conn_schema());

  // A receiver that knows nothing learns both types from the batch.
  registry learner;
  CHECK_FALSE(decode_batch(bv(with), learner).ok());
  auto l = decode_batch_and_learn(bv(with), learner);
  REQUIRE_MESSAGE(l.ok(), (l.ok() ? std::string() : l.err().message));
  CHECK(*l == events);
  CHECK(learner.find("conn", 1) != nullptr);

  // All or nothing: an incompatible embedded schema teaches nothing.
  registry other;
  add(other, schema("conn", 1, {req("x", T(type_kind::string))}));
  auto bad = decode_batch_and_learn(bv(with), other);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.starts_with("schema 1 ('conn'): "));
  CHECK(other.find("ping") == nullptr);

  // Errors name the event.
  event broken = conn_event(cs);
  broken.field(6) = value{};
  std::vector<event> two = {ping_event(ps), broken};
  std::string out;
  auto r = enc.encode_batch(two, out, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "event 1: conn.orig_bytes: required field is unset");
}

TEST_CASE("codec: schemas round-trip structurally, with defaults and docs") {
  const type deep =
      type::table_of(T(type_kind::subnet),
                     type::vector_of(type::record_of({{"k", type::enum_of({"p", "q"})},
                                                      {"s", type::set_of(T(type_kind::port))}})));
  field with_default{"level", T(type_kind::count), false, value(std::uint64_t{3}), "how loud"};
  field enum_default{"mode", type::enum_of({"a", "b"}), false, value(enum_value{"b"}), ""};
  const schema s("kitchen_sink", 7,
                 {with_default, enum_default, opt("deep", deep, "nested"),
                  opt("tags", type::set_of(T(type_kind::string)))},
                 "every type feature");
  auto bytes = encode_schema(s);
  REQUIRE_MESSAGE(bytes.ok(), (bytes.ok() ? std::string() : bytes.err().message));
  auto d = decode_schema(bv(*bytes));
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
  CHECK(*d == s);
  CHECK((*d)[2].ty.to_string() == deep.to_string());

  CHECK_FALSE(encode_schema(schema("Bad Name", 1, {})).ok());
  for (std::size_t n = 0; n < bytes->size(); ++n) {
    CHECK_FALSE(decode_schema(bv(bytes->substr(0, n))).ok());
  }
  // A schema message is not an event: reading it as one fails cleanly.
  registry reg;
  CHECK_FALSE(decode(bv(*bytes), reg).ok());
}

// ---- stream framing -------------------------------------------------------------

TEST_CASE("codec: streams of messages are written and read back with offsets") {
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  std::vector<event> events = {ping_event(ps), conn_event(cs), ping_event(ps)};
  events[2].field(1) = value("last");
  std::ostringstream os;
  stream_writer w(os);
  for (const auto& e : events) REQUIRE(w.write(e).ok());
  REQUIRE(w.flush().ok());
  const std::string file = os.str();
  CHECK(w.bytes_written() == file.size());
  const std::uint64_t second = must_encode(events[0]).size();

  SUBCASE("from an istream") {
    std::istringstream is(file);
    stream_reader r(is);
    for (const auto& want : events) {
      auto e = r.next(reg);
      REQUIRE_MESSAGE(e.ok(), (e.ok() ? std::string() : e.err().message));
      REQUIRE(e->has_value());
      CHECK(**e == want);
    }
    CHECK(r.message_offset() == file.size() - must_encode(events[2]).size());
    auto end = r.next(reg);
    REQUIRE(end.ok());
    CHECK_FALSE(end->has_value());
  }
  SUBCASE("from a byte span, as views") {
    stream_reader r(bv(file));
    auto v1 = r.next_view();
    auto v2 = r.next_view();
    REQUIRE(v2.ok());
    CHECK(r.message_offset() == second);
    CHECK((*v2)->type_name() == "conn");
    CHECK((*v1)->type_name() == "ping");  // earlier views stay valid
  }
  SUBCASE("truncation is reported with the offset, and is final") {
    std::istringstream is(file.substr(0, file.size() - 3));
    stream_reader r(is);
    REQUIRE(r.next(reg).ok());
    REQUIRE(r.next(reg).ok());
    auto e = r.next(reg);
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::corruption);
    const std::string at = std::to_string(file.size() - must_encode(events[2]).size());
    CHECK(e.err().message.starts_with("truncated message at byte offset " + at));
    CHECK_FALSE(r.next(reg).ok());
  }
  SUBCASE("a message of an unknown type is skipped with an error, the next one is read") {
    registry partial;
    add(partial, ping_schema());
    stream_reader r(bv(file));
    REQUIRE(r.next(partial).ok());
    auto e = r.next(partial);
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::not_found);
    CHECK(e.err().message == "message at byte offset " + std::to_string(second) +
                                 ": unknown event type 'conn' (version 1)");
    auto third = r.next(partial);
    REQUIRE(third.ok());
    CHECK(**third == events[2]);
  }
  SUBCASE("an oversized message is refused before it is read") {
    decode_limits tiny;
    tiny.max_message_bytes = 32;
    std::istringstream is(file);
    stream_reader r(is, tiny);
    auto e = r.next_view();
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == errc::overloaded);
  }
  SUBCASE("write_encoded accepts exactly one message") {
    std::ostringstream o2;
    stream_writer w2(o2);
    const std::string one = must_encode(events[1]);
    CHECK(w2.write_encoded(bv(one)).ok());
    CHECK(w2.write_encoded(bv(one.substr(1))).err().code == errc::invalid_argument);
    CHECK(o2.str() == one);
  }
}

TEST_CASE("codec: decode_into reuses the event and agrees with decode") {
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  event a = conn_event(cs);
  a.field(7) = value("a service name longer than the small-string buffer");
  event b = conn_event(cs);
  b.field(7) = value("ssh");
  b.field(0) = addr("192.168.0.7");
  b.uid.clear();
  event ping = ping_event(ps);

  event out;
  REQUIRE(decode_into(bv(must_encode(a)), reg, out).ok());
  CHECK(out == a);
  const char* buffer = out.field(7).get_if<std::string>()->data();
  REQUIRE(decode_into(bv(must_encode(b)), reg, out).ok());
  CHECK(out == b);
  // The same type: the string buffer of the first event was reused.
  CHECK(out.field(7).get_if<std::string>()->data() == buffer);
  CHECK(out.uid.empty());

  // Another type retypes the event in place: its field vector is kept
  // (ping has fewer fields than conn), and no value of the conn event
  // survives, set or unset. Then back again.
  const value* storage = out.fields().data();
  REQUIRE(decode_into(bv(must_encode(ping)), reg, out).ok());
  CHECK(out == ping);
  CHECK(out.fields().data() == storage);
  event quiet = ping_event(ps);
  quiet.field(1) = value{};
  REQUIRE(decode_into(bv(must_encode(a)), reg, out).ok());
  REQUIRE(decode_into(bv(must_encode(quiet)), reg, out).ok());
  CHECK(out == quiet);
  CHECK(out.field(1).is_none());
  REQUIRE(out.validate().ok());
  REQUIRE(decode_into(bv(must_encode(a)), reg, out).ok());
  CHECK(out == a);
  CHECK(out.fields().data() == storage);

  // Errors are those of decode(), and the event stays usable.
  std::string bad = must_encode(ping);
  bad[136] = 3;
  auto r = decode_into(bv(bad), reg, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "ping.seq: expected count, got int");
  REQUIRE(decode_into(bv(must_encode(b)), reg, out).ok());
  CHECK(out == b);
}

TEST_CASE("codec: unset fields and small numbers take little room") {
  registry reg;
  auto cs = add(reg, conn_schema());
  event e = conn_event(cs);
  const std::size_t full = must_encode(e).size();
  // An unset optional field costs its kind byte only, and a count of 5 one
  // byte (1024 takes 2): the 37 payload bytes lose 4 + 1 and fit 4 words.
  e.field(5) = value{};
  e.field(6) = value(std::uint64_t{5});
  CHECK(must_encode(e).size() == full - 8);
  // A count of 2^40 takes 8 bytes: 39 payload bytes, 5 words again.
  e.field(6) = value(std::uint64_t{1} << 40);
  CHECK(must_encode(e).size() == full);
  // Negative intervals are sign-extended from their smallest width.
  e.field(5) = interval{-2};
  auto d = decode(bv(must_encode(e)), reg);
  REQUIRE(d.ok());
  CHECK(*d == e);
}

// ---- test vectors -----------------------------------------------------------------

namespace {

// The ```hex vector=NAME blocks of docs/format-binary.md, as bytes. Inside a
// block, '#' starts a comment and whitespace is ignored.
std::map<std::string, std::string> doc_vectors() {
  std::ifstream in(std::string(COOP_SOURCE_DIR) + "/docs/format-binary.md");
  REQUIRE_MESSAGE(in.good(), "cannot read docs/format-binary.md");
  std::map<std::string, std::string> out;
  std::string line, name, hex;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.starts_with("```hex vector=")) {
      name = line.substr(14);
      hex.clear();
      inside = true;
    } else if (inside && line.starts_with("```")) {
      std::string bytes;
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
      REQUIRE_MESSAGE(hex.size() % 2 == 0, "odd number of hex digits in vector " << name);
      out[name] = bytes;
      inside = false;
    } else if (inside) {
      for (char c : line.substr(0, line.find('#'))) {
        if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
      }
    }
  }
  return out;
}

std::string hex_dump(const std::string& s) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(s[i]));
    out += buf;
    out += (i % 8 == 7) ? "\n" : " ";
  }
  return out;
}

}  // namespace

TEST_CASE("codec: the test vectors of docs/format-binary.md match byte for byte") {
  const auto vectors = doc_vectors();
  registry reg;
  auto ps = add(reg, ping_schema());
  auto cs = add(reg, conn_schema());
  auto bs = add(reg, bag_schema());
  const std::map<std::string, event> events = {
      {"ping", ping_event(ps)}, {"connection", conn_event(cs)}, {"containers", bag_event(bs)}};
  for (const auto& [name, e] : events) {
    INFO("vector " << name);
    REQUIRE(vectors.count(name) == 1);
    const std::string mine = must_encode(e);
    CHECK_MESSAGE(mine == vectors.at(name), "our encoding:\n" << hex_dump(mine));
    auto d = decode(bv(vectors.at(name)), reg);
    CHECK_MESSAGE(d.ok(), (d.ok() ? std::string() : d.err().message));
    if (d.ok()) CHECK(*d == e);
  }
  REQUIRE(vectors.count("ping_schema") == 1);
  auto s = encode_schema(ping_schema());
  REQUIRE(s.ok());
  CHECK_MESSAGE(*s == vectors.at("ping_schema"), "our encoding:\n" << hex_dump(*s));
  auto d = decode_schema(bv(vectors.at("ping_schema")));
  REQUIRE(d.ok());
  CHECK(*d == ping_schema());
}
