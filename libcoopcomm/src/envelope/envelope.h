// Envelopes: a signed header (origin, origin key, sequence, issued-at,
// expiry, hop limit, one SHA-256 per item) and the items it covers. A sender
// signs a whole batch once; a relay forwards the header and signature
// untouched with any subset of the items, appending its name to the unsigned
// hop list. A receiver verifies the signature once per envelope and each
// item against its digest. Functions here are pure; see node/ for who calls
// them on which thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coop/comm/config.h"
#include "coop/comm/result.h"
#include "crypto/signing.h"
#include "wire/frame_io.h"

namespace coop::comm::envelope {

/// Mirrors wire::Kind.
enum class kind : std::uint8_t { publish = 0, direct = 1, request = 2, response = 3, outcome = 4 };

/// Mirrors wire::Outcome.
enum class outcome : std::uint8_t {
  none = 0, pending = 1, approved = 2, refused = 3, expired = 4, denied = 5, failed = 6
};

/// "pending", "approved", ...
const char* to_string(outcome o) noexcept;

/// One application message.
struct item {
  std::uint32_t index = 0;
  kind k = kind::publish;
  std::string topic;
  std::string destination;
  std::uint64_t request_id = 0;
  std::string content_type;
  std::string payload;
  outcome result = outcome::none;
  std::string reason;
};

/// An item read in place: views into its serialised bytes (or into the
/// scratch buffer they were copied to when misaligned), valid while those
/// are, so that receiving copies nothing.
struct item_view {
  std::uint32_t index = 0;
  kind k = kind::publish;
  std::string_view topic;
  std::string_view destination;
  std::uint64_t request_id = 0;
  std::string_view content_type;
  std::string_view payload;
  outcome result = outcome::none;
  std::string_view reason;

  /// An owning copy.
  [[nodiscard]] item to_item() const;
};

/// Views of `it`'s fields (valid while `it` is unchanged).
item_view view_of(const item& it);

/// The signed header.
struct header {
  std::string origin;
  std::string origin_key;  ///< Raw Ed25519 public key, 32 bytes.
  std::uint64_t sequence = 0;
  std::int64_t issued_at = 0;   ///< ns since the epoch.
  std::int64_t expires_at = 0;  ///< ns since the epoch.
  std::uint8_t hop_limit = 8;
  std::vector<std::array<std::uint8_t, 32>> digests;
};

/// An envelope as carried in a frame: signed bytes, signature, hops, items.
struct wire_envelope {
  std::string header_bytes;
  std::string signature;
  std::vector<std::string> hops;
  std::vector<std::string> items;  ///< Serialised items.
};

/// An envelope as received: views into the frame that carried it, valid
/// while that frame's buffer is (the receiving call), so that items are
/// copied only when they are relayed.
struct envelope_view {
  std::string_view header_bytes;
  std::string_view signature;
  std::vector<std::string> hops;
  std::vector<std::string_view> items;  ///< Serialised items.
};

/// Views of `e`'s parts (valid while `e` is).
envelope_view view_of(const wire_envelope& e);

/// Serialises an item.
std::string encode_item(const item& it);
/// Appends the serialised item to `out`, with `index` in place of `it.index`.
/// The bytes are those of encode_item_built(); an item of up to 4 KiB is
/// written field by field, without a Cap'n Proto builder.
void encode_item_into(const item_view& it, std::uint32_t index, std::string& out);
/// encode_item_into() through Cap'n Proto's MallocMessageBuilder (the
/// reference the direct writer must match byte for byte; used for items
/// that do not fit its first segment).
void encode_item_built(const item_view& it, std::uint32_t index, std::string& out);
/// Parses a serialised item under `limits`.
result<item> decode_item(std::string_view bytes, const wire_io::message_limits& limits);
/// Parses a serialised item under `limits` without copying it: the views
/// point into `bytes`, or into `scratch` when `bytes` is not 8-byte aligned.
result<item_view> decode_item_view(std::string_view bytes, const wire_io::message_limits& limits,
                                   wire_io::word_buffer& scratch);

/// The bytes an item's digest covers (protocol version 2): its fields in a
/// fixed order, not its Cap'n Proto encoding, with `index` in place of
/// `it.index`: varint index, kind byte, varint requestId, outcome byte, then
/// topic, destination, contentType, reason and payload, each as a varint
/// length and its bytes (varints: 7 bits a byte, low bits first). Appended
/// to `out`. A 128-byte message with a short topic is about 175 bytes this
/// way against 248 serialised: three SHA-256 blocks instead of five, at the
/// sender and at every receiver (docs/protocol.md, "Envelopes").
void digest_input(const item_view& it, std::uint32_t index, std::string& out);

/// SHA-256 of digest_input(it, index): the digest the header signs for it.
/// `scratch` keeps its capacity between calls.
std::array<std::uint8_t, 32> item_digest(const item_view& it, std::uint32_t index,
                                         std::string& scratch);

/// Serialises `h` (its digests already filled).
std::string encode_header(const header& h);
/// Parses a serialised header under `limits`.
result<header> decode_header(std::string_view bytes, const wire_io::message_limits& limits);

/// A signed batch as the sending node keeps it: the serialised items one
/// after the other in one buffer, so that sealing allocates per batch, not
/// per item.
struct sealed_batch {
  std::string header_bytes;
  std::string signature;
  std::string item_bytes;  ///< The serialised items, concatenated.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;  ///< (offset, size) of each item.
};

/// Serialises `h` (origin, sequence, times, hop limit and the digests of the
/// items it covers) with `key`'s public key, and signs it: the signed part
/// of an envelope. Returns (header bytes, signature).
std::pair<std::string, std::string> sign_header(const crypto::signing_key& key, header h);

/// Builds and signs a batch over `items` (item i gets index i): the digests
/// are computed here.
sealed_batch seal_batch(const crypto::signing_key& key, header h, std::span<const item> items);

/// seal_batch(), returned as an envelope with one string per item.
wire_envelope seal(const crypto::signing_key& key, header h, const std::vector<item>& items);

/// What the receiver needs to check an envelope.
struct check_context {
  const site_config* config = nullptr;
  crypto::verifier* verifier = nullptr;
  std::int64_t now = 0;  ///< ns since the epoch.
  wire_io::message_limits limits;
};

/// Verifies an envelope's header: the origin is a known site whose pin
/// matches the key it carries, the signature is valid, it has not expired,
/// it was not issued further in the future than the clock skew allows, and
/// it has not crossed more sites than its hop limit. Errors: errc::signature
/// with the reason (the caller counts and logs it with the peer).
result<header> verify(const envelope_view& e, check_context& ctx);

/// Parses item `bytes` and checks it against the verified header `h`: its
/// index is in range and its item_digest() equals the digest signed for it.
result<item> open_item(std::string_view bytes, const header& h, const wire_io::message_limits& limits);
/// open_item() without copies: views as decode_item_view().
result<item_view> open_item_view(std::string_view bytes, const header& h,
                                 const wire_io::message_limits& limits,
                                 wire_io::word_buffer& scratch);

}  // namespace coop::comm::envelope
