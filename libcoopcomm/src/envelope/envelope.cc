// Envelope serialisation, signing and verification.
#include "envelope/envelope.h"

#include <capnp/message.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>

#include "coop/comm/identity.h"
#include "frame.capnp.h"

namespace coop::comm::envelope {

namespace {

kj::ArrayPtr<const kj::byte> data_of(std::string_view s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string_view view_of(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

std::string_view text_view(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

// Copies `s` into a text field made by `init(size)` (a view need not end in
// NUL, which Text::Reader's constructor would require).
template <class Init>
void set_text(Init&& init, std::string_view s) {
  auto t = init(static_cast<unsigned>(s.size()));
  if (!s.empty()) std::memcpy(t.begin(), s.data(), s.size());
}

}  // namespace

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::none: return "none";
    case outcome::pending: return "pending";
    case outcome::approved: return "approved";
    case outcome::refused: return "refused";
    case outcome::expired: return "expired";
    case outcome::denied: return "denied";
    case outcome::failed: return "failed";
  }
  return "unknown";
}

envelope_view view_of(const wire_envelope& e) {
  envelope_view v{e.header_bytes, e.signature, e.hops, {}};
  v.items.assign(e.items.begin(), e.items.end());
  return v;
}

namespace {

// Item's layout in frame.capnp: 2 data words (index u32 at byte 0, kind
// u16 at 4, outcome u16 at 6, requestId u64 at 8), then 5 pointers (topic,
// destination, contentType, payload, reason).
constexpr std::size_t item_data_words = 2;
constexpr std::size_t item_pointers = 5;
// The first segment encode_item_built's builder gets: an item that fits in
// it is one segment, which the flat writer below reproduces.
constexpr std::size_t item_first_segment_words = 512;

// A per-thread first segment, so that small items are built without
// allocating. Cap'n Proto wants it zeroed: it is zeroed once, and after
// each use only the words that use wrote.
struct item_scratch {
  std::array<capnp::word, item_first_segment_words> words;
  item_scratch() { std::memset(words.data(), 0, sizeof words); }
};

}  // namespace

std::string encode_item(const item& it) {
  std::string out;
  encode_item_into(view_of(it), it.index, out);
  return out;
}

namespace {

// Little-endian stores and the pointer words of Cap'n Proto's standard
// encoding, for write_item_flat.
void store_le(char* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Words that `bytes` bytes take (a Text's count includes its NUL).
std::size_t words_for(std::size_t bytes) { return (bytes + 7) / 8; }

// At word `at` of `segment`, a pointer to a struct at word `target`.
void put_struct(char* segment, std::size_t at, std::size_t target, std::uint64_t data_words,
                std::uint64_t pointers) {
  const auto offset = static_cast<std::uint64_t>(target - at - 1);
  store_le(segment + 8 * at, (offset << 2) | (data_words << 32) | (pointers << 48), 8);
}

// At word `at` of `segment`, a pointer to a list of `count` bytes at word
// `target` (for an empty list: the end of what precedes it, as the builder
// does).
void put_byte_list(char* segment, std::size_t at, std::size_t target, std::size_t count) {
  const auto offset = static_cast<std::uint64_t>(target - at - 1);
  const std::uint64_t byte_elements = 2;  // the list's element size tag
  store_le(segment + 8 * at,
           (offset << 2) | 1u | (byte_elements << 32) | (static_cast<std::uint64_t>(count) << 35),
           8);
}

// Writes the item exactly as a MallocMessageBuilder whose first segment
// holds it would (root pointer, struct, then each blob in the order
// encode_item_built sets them, empty optional texts left null):
// the same bytes without building and then copying a message. False, and
// nothing appended, when it would not fit that first segment (the builder
// then spills into a second segment, which this does not imitate).
bool write_item_flat(const item_view& it, std::uint32_t index, std::string& out) {
  const std::size_t struct_at = 1;
  const std::size_t pointers_at = struct_at + item_data_words;
  std::size_t words = pointers_at + item_pointers;
  words += words_for(it.topic.size() + 1);
  if (!it.destination.empty()) words += words_for(it.destination.size() + 1);
  if (!it.content_type.empty()) words += words_for(it.content_type.size() + 1);
  words += words_for(it.payload.size());
  if (!it.reason.empty()) words += words_for(it.reason.size() + 1);
  if (words > item_first_segment_words) return false;

  const std::size_t pos = out.size();
  out.resize(pos + 8 + 8 * words);  // zero-filled: padding, NULs, null pointers
  char* p = out.data() + pos;
  store_le(p, 0, 4);          // segment count - 1
  store_le(p + 4, words, 4);  // the one segment's size in words
  char* seg = p + 8;
  put_struct(seg, 0, struct_at, item_data_words, item_pointers);
  char* data = seg + 8 * struct_at;
  store_le(data, index, 4);
  store_le(data + 4, static_cast<std::uint16_t>(it.k), 2);
  store_le(data + 6, static_cast<std::uint16_t>(it.result), 2);
  store_le(data + 8, it.request_id, 8);
  std::size_t next = pointers_at + item_pointers;
  auto put = [&](std::size_t slot, std::string_view bytes, bool text) {
    const std::size_t count = bytes.size() + (text ? 1 : 0);
    put_byte_list(seg, pointers_at + slot, next, count);
    if (!bytes.empty()) std::memcpy(seg + 8 * next, bytes.data(), bytes.size());
    next += words_for(count);
  };
  put(0, it.topic, true);
  if (!it.destination.empty()) put(1, it.destination, true);
  if (!it.content_type.empty()) put(2, it.content_type, true);
  put(3, it.payload, false);
  if (!it.reason.empty()) put(4, it.reason, true);
  return true;
}

}  // namespace

void encode_item_into(const item_view& it, std::uint32_t index, std::string& out) {
  if (write_item_flat(it, index, out)) return;
  encode_item_built(it, index, out);
}

void encode_item_built(const item_view& it, std::uint32_t index, std::string& out) {
  thread_local item_scratch scratch;
  capnp::MallocMessageBuilder mb(kj::ArrayPtr<capnp::word>(scratch.words.data(), scratch.words.size()));
  auto b = mb.initRoot<wire::Item>();
  b.setIndex(index);
  b.setKind(static_cast<wire::Kind>(it.k));
  set_text([&](unsigned n) { return b.initTopic(n); }, it.topic);
  if (!it.destination.empty())
    set_text([&](unsigned n) { return b.initDestination(n); }, it.destination);
  b.setRequestId(it.request_id);
  if (!it.content_type.empty())
    set_text([&](unsigned n) { return b.initContentType(n); }, it.content_type);
  b.setPayload(data_of(it.payload));
  b.setOutcome(static_cast<wire::Outcome>(it.result));
  if (!it.reason.empty()) set_text([&](unsigned n) { return b.initReason(n); }, it.reason);
  wire_io::append_message(mb, out);
  auto first = mb.getSegmentsForOutput()[0];
  if (first.begin() == scratch.words.data()) {
    std::memset(scratch.words.data(), 0, first.size() * sizeof(capnp::word));
  } else {
    std::memset(scratch.words.data(), 0, sizeof scratch.words);
  }
}

item_view view_of(const item& it) {
  return item_view{it.index,       it.k,       it.topic,  it.destination, it.request_id,
                   it.content_type, it.payload, it.result, it.reason};
}

item item_view::to_item() const {
  item it;
  it.index = index;
  it.k = k;
  it.topic = topic;
  it.destination = destination;
  it.request_id = request_id;
  it.content_type = content_type;
  it.payload = payload;
  it.result = result;
  it.reason = reason;
  return it;
}

result<item> decode_item(std::string_view bytes, const wire_io::message_limits& limits) {
  wire_io::word_buffer scratch;
  auto v = decode_item_view(bytes, limits, scratch);
  if (!v) return v.err();
  return v->to_item();
}

result<item_view> decode_item_view(std::string_view bytes, const wire_io::message_limits& limits,
                                   wire_io::word_buffer& scratch) {
  wire_io::message_view m;
  if (auto r = wire_io::open_message_view(
          {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, limits, m, scratch);
      !r)
    return r.err();
  return wire_io::guard("item", [&]() -> result<item_view> {
    auto r = m.root<wire::Item>();
    item_view it;
    it.index = r.getIndex();
    const auto k = static_cast<unsigned>(r.getKind());
    if (k > static_cast<unsigned>(kind::outcome))
      return error{errc::protocol, "item: unknown kind " + std::to_string(k)};
    it.k = static_cast<kind>(k);
    it.topic = text_view(r.getTopic());
    it.destination = text_view(r.getDestination());
    it.request_id = r.getRequestId();
    it.content_type = text_view(r.getContentType());
    it.payload = view_of(r.getPayload());
    const auto o = static_cast<unsigned>(r.getOutcome());
    if (o > static_cast<unsigned>(outcome::failed))
      return error{errc::protocol, "item: unknown outcome " + std::to_string(o)};
    it.result = static_cast<outcome>(o);
    it.reason = text_view(r.getReason());
    return it;
  });
}

std::string encode_header(const header& h) {
  capnp::MallocMessageBuilder mb(128 + static_cast<unsigned>(h.digests.size() * 6));
  auto b = mb.initRoot<wire::Header>();
  b.setOrigin(h.origin);
  b.setOriginKey(data_of(h.origin_key));
  b.setSequence(h.sequence);
  b.setIssuedAt(h.issued_at);
  b.setExpiresAt(h.expires_at);
  b.setHopLimit(h.hop_limit);
  auto d = b.initDigests(static_cast<unsigned>(h.digests.size()));
  for (unsigned i = 0; i < h.digests.size(); ++i) {
    d.set(i, kj::ArrayPtr<const kj::byte>(h.digests[i].data(), h.digests[i].size()));
  }
  return wire_io::serialise(mb);
}

result<header> decode_header(std::string_view bytes, const wire_io::message_limits& limits) {
  auto m = wire_io::open_message(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, limits);
  if (!m) return m.err();
  return wire_io::guard("envelope header", [&]() -> result<header> {
    auto r = m->root<wire::Header>();
    header h;
    h.origin = r.getOrigin();
    h.origin_key = std::string(view_of(r.getOriginKey()));
    h.sequence = r.getSequence();
    h.issued_at = r.getIssuedAt();
    h.expires_at = r.getExpiresAt();
    h.hop_limit = r.getHopLimit();
    auto d = r.getDigests();
    h.digests.resize(d.size());
    for (unsigned i = 0; i < d.size(); ++i) {
      auto one = d[i];
      if (one.size() != 32)
        return error{errc::protocol, "envelope header: digest " + std::to_string(i) + " is " +
                                         std::to_string(one.size()) + " bytes, not 32"};
      std::memcpy(h.digests[i].data(), one.begin(), 32);
    }
    return h;
  });
}

namespace {

// Writes v as a varint at p; returns the end.
char* put_varint(char* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* put_field(char* p, std::string_view s) {
  p = put_varint(p, s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace

void digest_input(const item_view& it, std::uint32_t index, std::string& out) {
  // At most 10 bytes per varint: two numbers, two bytes, five lengths.
  const std::size_t most = 7 * 10 + 2 + it.topic.size() + it.destination.size() +
                           it.content_type.size() + it.reason.size() + it.payload.size();
  const std::size_t at = out.size();
  out.resize(at + most);
  char* p = out.data() + at;
  p = put_varint(p, index);
  *p++ = static_cast<char>(it.k);
  p = put_varint(p, it.request_id);
  *p++ = static_cast<char>(it.result);
  p = put_field(p, it.topic);
  p = put_field(p, it.destination);
  p = put_field(p, it.content_type);
  p = put_field(p, it.reason);
  p = put_field(p, it.payload);
  out.resize(static_cast<std::size_t>(p - out.data()));
}

std::array<std::uint8_t, 32> item_digest(const item_view& it, std::uint32_t index,
                                         std::string& scratch) {
  scratch.clear();
  digest_input(it, index, scratch);
  const auto digest = crypto::sha256(scratch);
  // A large item (up to a frame) leaves a large buffer: not kept.
  if (scratch.capacity() > (std::size_t{64} << 10)) std::string().swap(scratch);
  return digest;
}

sealed_batch seal_batch(const crypto::signing_key& key, header h, std::span<const item> items) {
  sealed_batch b;
  std::size_t estimate = 0;
  for (const auto& it : items) estimate += it.payload.size() + it.topic.size() + 128;
  b.item_bytes.reserve(estimate);
  b.spans.reserve(items.size());
  h.digests.clear();
  h.digests.reserve(items.size());
  std::string scratch;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t at = b.item_bytes.size();
    const item_view v = view_of(items[i]);
    const auto index = static_cast<std::uint32_t>(i);
    encode_item_into(v, index, b.item_bytes);
    b.spans.emplace_back(static_cast<std::uint32_t>(at),
                         static_cast<std::uint32_t>(b.item_bytes.size() - at));
    h.digests.push_back(item_digest(v, index, scratch));
  }
  std::tie(b.header_bytes, b.signature) = sign_header(key, std::move(h));
  return b;
}

std::pair<std::string, std::string> sign_header(const crypto::signing_key& key, header h) {
  h.origin_key = key.public_key();
  std::string bytes = encode_header(h);
  std::string signature = key.sign(crypto::signed_bytes(bytes));
  return {std::move(bytes), std::move(signature)};
}

wire_envelope seal(const crypto::signing_key& key, header h, const std::vector<item>& items) {
  sealed_batch b = seal_batch(key, std::move(h), items);
  wire_envelope e;
  e.header_bytes = std::move(b.header_bytes);
  e.signature = std::move(b.signature);
  for (auto [at, n] : b.spans) e.items.emplace_back(b.item_bytes.substr(at, n));
  return e;
}

result<header> verify(const envelope_view& e, check_context& ctx) {
  auto h = decode_header(e.header_bytes, ctx.limits);
  if (!h) return h.err();
  const peer_config* origin = ctx.config->find_peer(h->origin);
  if (!origin) return error{errc::signature, "unknown origin '" + h->origin + "'"};
  if (h->origin_key.size() != 32)
    return error{errc::signature, "origin key of '" + h->origin + "' is not 32 bytes"};
  if (spki_pin_of_ed25519(h->origin_key) != origin->spki_pin)
    return error{errc::signature, "key of origin '" + h->origin + "' does not match its pin (" +
                                      origin->where + ")"};
  if (!ctx.verifier->verify(h->origin_key, crypto::signed_bytes(e.header_bytes), e.signature))
    return error{errc::signature, "bad signature from origin '" + h->origin + "' sequence " +
                                      std::to_string(h->sequence)};
  if (h->expires_at < ctx.now)
    return error{errc::signature, "envelope from '" + h->origin + "' sequence " +
                                      std::to_string(h->sequence) + " expired"};
  const auto skew = std::chrono::nanoseconds(ctx.config->limits.clock_skew).count();
  if (h->issued_at > ctx.now + skew)
    return error{errc::signature, "envelope from '" + h->origin + "' issued in the future"};
  if (e.hops.size() > h->hop_limit)
    return error{errc::signature, "envelope from '" + h->origin + "' crossed " +
                                      std::to_string(e.hops.size()) + " sites, over its limit " +
                                      std::to_string(h->hop_limit)};
  return h;
}

result<item> open_item(std::string_view bytes, const header& h,
                       const wire_io::message_limits& limits) {
  wire_io::word_buffer scratch;
  auto v = open_item_view(bytes, h, limits, scratch);
  if (!v) return v.err();
  return v->to_item();
}

result<item_view> open_item_view(std::string_view bytes, const header& h,
                                 const wire_io::message_limits& limits,
                                 wire_io::word_buffer& scratch) {
  auto it = decode_item_view(bytes, limits, scratch);
  if (!it) return it.err();
  if (it->index >= h.digests.size())
    return error{errc::signature, "item index " + std::to_string(it->index) + " out of range"};
  thread_local std::string digest_scratch;
  if (item_digest(*it, it->index, digest_scratch) != h.digests[it->index])
    return error{errc::signature, "item " + std::to_string(it->index) + " from '" + h.origin +
                                      "' does not match its signed digest"};
  return it;
}

}  // namespace coop::comm::envelope
