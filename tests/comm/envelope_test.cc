// Item serialisation (libcoopcomm/src/envelope/envelope.cc): the direct
// writer that publish() uses must produce exactly the bytes of Cap'n
// Proto's builder, since receivers hash those bytes against the digest the
// sender signed, and decode to the same fields.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "envelope/envelope.h"
#include "wire/frame_io.h"

using namespace coop::comm;

namespace {

// Bytes as "offset: hex" lines, so that a failure shows where they differ.
std::string dump(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i % 8 == 0) out += "\n" + std::to_string(i) + ":";
    out += ' ';
    out += d[static_cast<unsigned char>(s[i]) >> 4];
    out += d[static_cast<unsigned char>(s[i]) & 15];
  }
  return out;
}

void check_same_bytes(const envelope::item& it, std::uint32_t index) {
  // Appended after something already in the buffer, as publish() does.
  std::string direct = "prefix--";
  std::string built = "prefix--";
  envelope::encode_item_into(envelope::view_of(it), index, direct);
  envelope::encode_item_built(envelope::view_of(it), index, built);
  INFO("topic ", it.topic.size(), " B, destination ", it.destination.size(), " B, content type ",
       it.content_type.size(), " B, payload ", it.payload.size(), " B, reason ", it.reason.size(),
       " B");
  REQUIRE(direct.size() == built.size());
  if (direct != built) CHECK(dump(direct) == dump(built));
  auto back = envelope::decode_item(std::string_view(direct).substr(8), {});
  REQUIRE(back.ok());
  CHECK(back->index == index);
  CHECK(back->k == it.k);
  CHECK(back->topic == it.topic);
  CHECK(back->destination == it.destination);
  CHECK(back->request_id == it.request_id);
  CHECK(back->content_type == it.content_type);
  CHECK(back->payload == it.payload);
  CHECK(back->result == it.result);
  CHECK(back->reason == it.reason);
}

}  // namespace

TEST_CASE("an item is serialised to the builder's bytes, whatever its field sizes") {
  envelope::item it;
  it.k = envelope::kind::publish;
  it.topic = "/bench/load";
  it.content_type = "application/octet-stream";
  it.payload = std::string(128, 'x');
  check_same_bytes(it, 0);
  check_same_bytes(it, 1023);

  SUBCASE("empty payload, empty content type, empty topic") {
    it.payload.clear();
    check_same_bytes(it, 7);
    it.content_type.clear();
    check_same_bytes(it, 7);
    it.topic.clear();
    check_same_bytes(it, 7);
  }
  SUBCASE("every field set, as an outcome") {
    it.k = envelope::kind::outcome;
    it.destination = "site-b";
    it.request_id = 0x0123456789abcdefULL;
    it.result = envelope::outcome::denied;
    it.reason = "access rules refuse request on /x";
    check_same_bytes(it, 3);
    it.payload.clear();
    check_same_bytes(it, 3);
  }
  SUBCASE("each text length around a word boundary") {
    for (std::size_t n = 0; n <= 17; ++n) {
      envelope::item t;
      t.k = envelope::kind::request;
      t.topic = "/" + std::string(n, 't');
      t.destination = std::string(n, 'd');
      t.content_type = std::string(n, 'c');
      t.payload = std::string(n, 'p');
      t.reason = std::string(n, 'r');
      check_same_bytes(t, static_cast<std::uint32_t>(n));
    }
  }
  SUBCASE("payloads around the builder's first segment (4 KiB), and past it") {
    for (std::size_t n = 3900; n <= 4200; n += 1) {
      it.payload.assign(n, static_cast<char>(n & 0xff));
      check_same_bytes(it, 5);
    }
    it.payload.assign(100000, 'z');
    check_same_bytes(it, 5);
  }
  SUBCASE("random items") {
    std::mt19937 rng(42);
    auto text = [&](std::size_t max) {
      std::string s(std::uniform_int_distribution<std::size_t>(0, max)(rng), 'a');
      for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
      return s;
    };
    for (int i = 0; i < 300; ++i) {
      envelope::item t;
      t.k = static_cast<envelope::kind>(rng() % 5);
      t.topic = "/" + text(40);
      t.destination = text(20);
      t.request_id = rng();
      t.content_type = text(30);
      t.payload = text(5000);
      t.result = static_cast<envelope::outcome>(rng() % 7);
      t.reason = text(60);
      check_same_bytes(t, static_cast<std::uint32_t>(rng()));
    }
  }
}
