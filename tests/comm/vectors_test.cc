// Protocol test vectors: the frames of docs/protocol.md, byte for byte. The
// hex strings live in tests/comm/vectors/*.hex and the same strings must
// appear in docs/protocol.md, so the document, the code and the test agree.
#include <doctest/doctest.h>

#include <capnp/message.h>

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

envelope::wire_envelope vector_envelope() {
  auto key = crypto::signing_key::from_raw(rfc8032_secret);
  REQUIRE(key.ok());
  envelope::header h;
  h.origin = "site-a";
  h.sequence = 1;
  h.issued_at = 1'700'000'000'000'000'000;
  h.expires_at = h.issued_at + 300'000'000'000;
  h.hop_limit = 8;
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
  h.setMinVersion(1);
  h.setMaxVersion(1);
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
    std::string bad(in);
    bad.back() = static_cast<char>(bad.back() ^ 1);
    CHECK(envelope::open_item_view(bad, *header, {}, scratch).err().code == errc::signature);
  }
}

TEST_CASE("vector 3: the envelope frame as a site writes it") {
  auto e = vector_envelope();
  const auto got = hex(testing::envelope_frame(e));
  CHECK(got == vector_hex("envelope-frame"));
  CHECK(doc_text().find(got) != std::string::npos);
}
