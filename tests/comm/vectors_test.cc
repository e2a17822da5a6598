// Protocol test vectors: the frames of docs/protocol.md, byte for byte. The
// hex strings live in tests/comm/vectors/*.hex and the same strings must
// appear in docs/protocol.md, so the document, the code and the test agree.
#include <doctest/doctest.h>

#include <capnp/message.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "coop/comm/identity.h"
#include "crypto/signing.h"
#include "envelope/envelope.h"
#include "frame.capnp.h"
#include "raw_peer.h"
#include "wire/frame_io.h"

using namespace coop::comm;

namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The vector file's hex, whitespace removed.
std::string vector_hex(const std::string& name) {
  std::string text = read(std::string(COOP_SOURCE_DIR) + "/tests/comm/vectors/" + name + ".hex");
  std::string out;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

// docs/protocol.md with whitespace removed (the hex is wrapped there).
std::string doc_text() {
  std::string text = read(std::string(COOP_SOURCE_DIR) + "/docs/protocol.md");
  std::string out;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

// RFC 8032, section 7.1, TEST 1: the secret key.
const std::string rfc8032_secret =
    unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

// The vectors' header: site-a, issued at 1,700,000,000 s, expiring 300 s
// later, hop limit 8.
envelope::header vector_header(std::uint64_t sequence) {
  envelope::header h;
  h.origin = "site-a";
  h.sequence = sequence;
  h.issued_at = 1'700'000'000'000'000'000;
  h.expires_at = h.issued_at + 300'000'000'000;
  h.hop_limit = 8;
  return h;
}

envelope::wire_envelope vector_envelope() {
  auto key = crypto::signing_key::from_raw(rfc8032_secret);
  REQUIRE(key.ok());
  const envelope::header h = vector_header(1);
  envelope::item it;
  it.k = envelope::kind::publish;
  it.topic = "/coop/hotlist/ip";
  it.content_type = "text/plain";
  it.payload = "192.0.2.7";
  return envelope::seal(*key, h, {it});
}

}  // namespace

TEST_CASE("vector 1: the hello frame") {
  capnp::MallocMessageBuilder mb;
  auto h = mb.initRoot<wire::Frame>().initHello();
  h.setSite("site-a");
  h.setMinVersion(wire_io::protocol_version);
  h.setMaxVersion(wire_io::protocol_version);
  h.setMaxFrameBytes(1 << 20);
  h.setRelay(false);
  const auto got = hex(wire_io::serialise_frame(mb));
  CHECK(got == vector_hex("hello"));
  CHECK(doc_text().find(got) != std::string::npos);
}

TEST_CASE("vector 2: an item, its envelope header and the Ed25519 signature") {
  auto e = vector_envelope();
  REQUIRE(e.items.size() == 1);
  CHECK(hex(e.items[0]) == vector_hex("item"));
  CHECK(hex(e.header_bytes) == vector_hex("header"));
  CHECK(hex(e.signature) == vector_hex("signature"));
  const auto doc = doc_text();
  CHECK(doc.find(hex(e.items[0])) != std::string::npos);
  CHECK(doc.find(hex(e.header_bytes)) != std::string::npos);
  CHECK(doc.find(hex(e.signature)) != std::string::npos);
  // The key is RFC 8032's test key: its public half is the RFC's.
  auto key = crypto::signing_key::from_raw(rfc8032_secret);
  CHECK(hex(key->public_key()) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  // And the vector verifies, from the bytes alone.
  crypto::verifier v;
  CHECK(v.verify(key->public_key(), crypto::signed_bytes(unhex(vector_hex("header"))),
                 unhex(vector_hex("signature"))));
  auto header = envelope::decode_header(unhex(vector_hex("header")), {});
  REQUIRE(header.ok());
  auto item = envelope::open_item(unhex(vector_hex("item")), *header, {});
  REQUIRE(item.ok());
  CHECK(item->payload == "192.0.2.7");
  // Read in place, from word-aligned bytes and from bytes one past (which
  // go through the scratch copy): the same item either way, and a tampered
  // byte is refused on both paths.
  const std::string bytes = unhex(vector_hex("item"));
  wire_io::word_buffer aligned(bytes.size() / 8);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  std::string shifted = " " + bytes;
  for (const std::string_view in :
       {std::string_view(reinterpret_cast<const char*>(aligned.data()), bytes.size()),
        std::string_view(shifted).substr(1)}) {
    wire_io::word_buffer scratch;
    auto view = envelope::open_item_view(in, *header, {}, scratch);
    REQUIRE(view.ok());
    CHECK(view->payload == "192.0.2.7");
    CHECK(view->topic == item->topic);
    CHECK(view->content_type == item->content_type);
    CHECK(view->index == item->index);
    const bool copied = !scratch.empty();
    CHECK(copied == (in.data() == shifted.data() + 1));
    // A changed payload or topic byte is refused. The digest covers the
    // fields, not their encoding: a changed padding byte (the last one)
    // reads as the same item and passes.
    for (const std::string_view field : {std::string_view("192.0.2.7"), std::string_view("hotlist")}) {
      std::string bad(in);
      bad[bad.find(field)] ^= 1;
      CHECK(envelope::open_item_view(bad, *header, {}, scratch).err().code == errc::signature);
    }
    std::string padded(in);
    REQUIRE(padded.back() == '\0');
    padded.back() = 1;
    CHECK(envelope::open_item_view(padded, *header, {}, scratch).ok());
  }
}

TEST_CASE("vector 2b: what the item digest and the signature cover") {
  auto e = vector_envelope();
  auto header = envelope::decode_header(e.header_bytes, {});
  REQUIRE(header.ok());
  auto item = envelope::decode_item(e.items[0], {});
  REQUIRE(item.ok());
  std::string input;
  envelope::digest_input(envelope::view_of(*item), 0, input);
  CHECK(hex(input) == vector_hex("digest-input"));
  CHECK(doc_text().find(hex(input)) != std::string::npos);
  // The header signs the SHA-256 of exactly those bytes.
  REQUIRE(header->digests.size() == 1);
  const auto d = crypto::sha256(input);
  CHECK(std::equal(d.begin(), d.end(), header->digests[0].begin()));
  // Every field is in it: changing any one changes the digest.
  std::string scratch;
  const auto base = envelope::item_digest(envelope::view_of(*item), 0, scratch);
  auto changed = [&](auto&& edit) {
    envelope::item other = *item;
    edit(other);
    return envelope::item_digest(envelope::view_of(other), other.index, scratch) != base;
  };
  CHECK(changed([](envelope::item& i) { i.index = 1; }));
  CHECK(changed([](envelope::item& i) { i.k = envelope::kind::direct; }));
  CHECK(changed([](envelope::item& i) { i.request_id = 1; }));
  CHECK(changed([](envelope::item& i) { i.result = envelope::outcome::denied; }));
  CHECK(changed([](envelope::item& i) { i.topic += "x"; }));
  CHECK(changed([](envelope::item& i) { i.destination = "site-b"; }));
  CHECK(changed([](envelope::item& i) { i.content_type = "text/csv"; }));
  CHECK(changed([](envelope::item& i) { i.reason = "x"; }));
  CHECK(changed([](envelope::item& i) { i.payload += "x"; }));
  // Lengths keep the fields apart: moving a byte from one to the next
  // changes the digest.
  CHECK(changed([](envelope::item& i) {
    i.topic.pop_back();
    i.destination = "p";
  }));
  // The signed message: tag, zero byte, SHA-256 of the header.
  const std::string signed_msg = crypto::signed_bytes(e.header_bytes);
  CHECK(signed_msg.size() == 49);
  CHECK(hex(signed_msg) == vector_hex("signed-message"));
  CHECK(doc_text().find(hex(signed_msg)) != std::string::npos);
}

TEST_CASE("vector 3: the envelope frame as a site writes it") {
  auto e = vector_envelope();
  const auto got = hex(testing::envelope_frame(e));
  CHECK(got == vector_hex("envelope-frame"));
  CHECK(doc_text().find(got) != std::string::npos);
}

TEST_CASE("an item whose fixed fields were changed in its bytes is refused") {
  // Two items under one header. Item layout (docs/protocol.md): segment
  // table (8 bytes), root pointer (8), then the data words: index u32 at
  // byte 16, kind u16 at 20, outcome u16 at 22, requestId u64 at 24.
  auto key = crypto::signing_key::from_raw(rfc8032_secret);
  REQUIRE(key.ok());
  const envelope::header h = vector_header(2);
  envelope::item first;
  first.k = envelope::kind::publish;
  first.topic = "/coop/a";
  first.payload = "one";
  envelope::item second = first;
  second.payload = "two";
  auto e = envelope::seal(*key, h, {first, second});
  auto header = envelope::decode_header(e.header_bytes, {});
  REQUIRE(header.ok());
  REQUIRE(e.items.size() == 2);
  wire_io::word_buffer scratch;
  REQUIRE(envelope::open_item_view(e.items[0], *header, {}, scratch).ok());
  REQUIRE(envelope::open_item_view(e.items[1], *header, {}, scratch).ok());
  auto refused = [&](std::string bytes) {
    auto r = envelope::open_item_view(bytes, *header, {}, scratch);
    return !r.ok() && r.err().code == errc::signature;
  };
  // The first item claiming the second's index (in range, so only the
  // digest can tell).
  std::string moved = e.items[0];
  REQUIRE(moved[16] == 0);
  moved[16] = 1;
  CHECK(refused(moved));
  // Another kind (direct, a valid value), another outcome, a request id.
  std::string kind = e.items[0];
  kind[20] = 1;
  CHECK(refused(kind));
  std::string outcome = e.items[0];
  outcome[22] = 3;
  CHECK(refused(outcome));
  std::string request = e.items[0];
  request[24] = 9;
  CHECK(refused(request));
}
