// Private to the codec: the glue between coop::model values and the
// generated Cap'n Proto classes of event.capnp. Nothing here is installed;
// capnp and kj types stay behind this line.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/dense.h"
#include "coop/model/codec.h"
#include "event.capnp.h"

namespace coop::model::detail {

// ---- framing and message handling (message.cc) -----------------------------

/// Word-aligned memory for messages. (Not std::vector<capnp::word>: under
/// clang capnp::word is not copyable, so such a vector cannot grow.)
using word_buffer = std::vector<std::uint64_t>;

/// The words of `b`, as capnp sees them.
inline capnp::word* words_of(word_buffer& b) noexcept {
  return reinterpret_cast<capnp::word*>(b.data());
}

/// Highest container nesting the codec ever follows, whatever the limits say.
inline constexpr unsigned hard_max_nesting = 64;

/// The nesting limit that applies under `limits`.
unsigned effective_nesting(const decode_limits& limits) noexcept;

/// capnp reader options matching `limits`.
capnp::ReaderOptions reader_options(const decode_limits& limits) noexcept;

/// Checks the segment table at the start of `bytes` (a message that starts
/// at byte `base` of some larger input, for error messages) and returns the
/// message's total size in bytes. Errors: corruption (truncated or damaged
/// table), overloaded (larger than max_message_bytes).
result<std::size_t> check_frame(std::span<const std::byte> bytes, const decode_limits& limits,
                                std::uint64_t base = 0);

/// check_frame(), then requires that the message fills `bytes` exactly.
result<std::size_t> check_single_frame(std::span<const std::byte> bytes,
                                       const decode_limits& limits);

/// An error for a capnp exception raised while reading `where`:
/// overloaded for the traversal and nesting limits, corruption otherwise.
error from_exception(const kj::Exception& e, std::string_view where);

/// Word-aligned bytes of one message: the input itself when aligned, else
/// a copy (owned by `copy`).
struct aligned_words {
  kj::ArrayPtr<const capnp::word> words;
  word_buffer copy;
};
aligned_words align(std::span<const std::byte> message);

/// A parsed message that views share. `reader` reads `storage` (when the
/// message was copied or read from a stream) or the caller's bytes.
struct message_holder {
  word_buffer storage;
  std::optional<capnp::FlatArrayMessageReader> reader;
  decode_limits limits;
  std::size_t words = 0;  // message size, bounds list lengths
  // Cached for batch views, so that each at() does not re-read the lists.
  capnp::List<wire::Event>::Reader events;
  capnp::List<wire::Schema>::Reader schemas;
};

/// Parses one well-framed message (checked by check_frame) into a holder.
/// `owned`, when not empty, holds the message and is moved into the holder.
result<std::shared_ptr<message_holder>> open_message(std::span<const std::byte> message,
                                                     const decode_limits& limits,
                                                     word_buffer owned = {});

/// A view over the framed message at `bytes` (see open_message for `owned`).
result<event_view> open_event_view(std::span<const std::byte> bytes, const decode_limits& limits,
                                   word_buffer owned);

// ---- bounds shared by readers -------------------------------------------

/// What a value reader may do: how deep it may nest and how long a list may
/// claim to be (never longer than the message has words).
struct read_bounds {
  unsigned max_nesting = 16;
  std::size_t max_elements = 0;
};

// ---- writing (write.cc) -----------------------------------------------------

/// Writes `v`, which must conform to `t`, at nesting `depth`. Error messages
/// start with the path below the field (`[2]: expected ...`, `: expected`)
/// so the caller can prefix the field's name.
result<void> write_value(wire::Value::Builder b, const value& v, const type& t, unsigned depth);

/// Writes an event (checked against its schema) without what `omit` names.
/// Errors name the field.
result<void> write_event(wire::Event::Builder b, const event& e,
                         const encode_omissions& omit = {});

/// Writes a type structurally.
void write_type(wire::Type::Builder b, const type& t);

/// Writes a schema (validated first). Errors: invalid_argument.
result<void> write_schema(wire::Schema::Builder b, const schema& s);

// ---- reading (read.cc, read_schema.cc) -----------------------------------

/// A value read at nesting `depth`, checked deeply against `t` when `t` is
/// not null. Sets and tables are re-canonicalised. May throw kj::Exception
/// (the caller names the field). Error messages start with the path below
/// the field, as for write_value.
result<value> read_value(wire::Value::Reader r, const type* t, unsigned depth,
                         const read_bounds& bounds);

/// The envelope of an event message.
struct envelope {
  std::string_view type_name, site, sensor, uid;
  std::uint32_t version = 0;
  std::int64_t ts = 0;
  std::uint64_t id_hi = 0, id_lo = 0;
};

/// Reads the envelope (may throw kj::Exception).
envelope read_envelope(wire::Event::Reader r);

/// The dense field arrays of an event message (see dense.h); pointers into
/// the message.
struct dense_fields {
  const unsigned char* kinds = nullptr;
  std::size_t count = 0;
  const unsigned char* payload = nullptr;
  std::size_t payload_size = 0;
  capnp::List<wire::Value>::Reader nested;
  // Bytes that may be read from `payload` (at least payload_size: the rest
  // of its word, or of the message), so that a reader may load 8 bytes at
  // once near the end; 0 means payload_size.
  std::size_t payload_readable = 0;
};

/// Reads the dense field arrays (may throw kj::Exception).
dense_fields read_dense(wire::Event::Reader r);

/// The error for a slot that read_slot() refused at offset `pos` of a
/// payload of `size` bytes; the message starts with ": " so the caller can
/// prefix the field.
error slot_failure(slot_error why, const slot& s, std::size_t pos, std::size_t size);

/// Materialises non-container slot `s` into `out`, reusing its string
/// buffer when it holds one of the same kind. Errors (corruption: a bad
/// boolean byte, subnet length or transport) start with ": ".
result<void> slot_value(const slot& s, value& out);

/// Fills `out` with the event of envelope `env` and fields `d`, resolved
/// and validated against `reg` (see decode() for the rules). Reuses `out`'s
/// storage when it already has the resolved type. Never throws.
result<void> build_event(const envelope& env, const dense_fields& d, const registry& reg,
                         const read_bounds& bounds, event& out);

/// An event message decoded (envelope + fields) into `out`. Never throws.
result<void> read_event(wire::Event::Reader r, const registry& reg, const read_bounds& bounds,
                        event& out);

/// A schema, validated. Never throws.
result<schema> read_schema(wire::Schema::Reader r, const read_bounds& bounds);

/// `e` with `prefix` put before its message (building a path outwards).
inline error prefixed(std::string prefix, const error& e) {
  prefix += e.message;
  return error{e.code, std::move(prefix)};
}

/// "[i]", the path step of a list element.
inline std::string index_path(std::size_t i) {
  std::string s = "[";  // (built stepwise: GCC 12 -Wrestrict misfires on "[" + ...)
  s += std::to_string(i);
  s += ']';
  return s;
}

/// Text as a string_view into the message.
inline std::string_view view_of(capnp::Text::Reader t) noexcept { return {t.begin(), t.size()}; }

/// capnp Text reader over a std::string (whose data() is NUL-terminated).
inline capnp::Text::Reader text_of(const std::string& s) noexcept { return {s.data(), s.size()}; }

}  // namespace coop::model::detail
