// Private to the codec: the direct path for single events. Our encoder's
// Event messages always have one shape (one segment, the root struct first,
// then its texts and byte arrays in field order: docs/format-binary.md
// section 3), so the hot paths write and read that shape with plain stores
// and loads instead of going through capnp's builder and reader. Anything
// else (containers, several segments, far pointers, limits about to be hit)
// is left to the capnp path, which stays the reference: the direct reader
// only accepts what capnp would read to the same values, and the direct
// writer produces the bytes capnp would (the test vectors pin them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/wire.h"

namespace coop::model::detail {

/// Size of the Event struct (event.capnp): data words and pointers.
inline constexpr unsigned event_data_words = 4;
inline constexpr unsigned event_pointer_count = 7;
static_assert(wire::Event::_capnpPrivate::dataWordSize == event_data_words);
static_assert(wire::Event::_capnpPrivate::pointerCount == event_pointer_count);

/// The Event struct's pointer slots, in field order.
enum event_pointer : unsigned {
  ptr_type_name = 0,
  ptr_site,
  ptr_sensor,
  ptr_uid,
  ptr_kinds,
  ptr_payload,
  ptr_nested,
};

/// Blobs and messages from this size up are left to capnp (its list and
/// segment limits are a little higher; nothing real comes close).
inline constexpr std::size_t flat_max_bytes = std::size_t{1} << 28;

/// Words a Data blob of `n` bytes occupies.
inline constexpr std::size_t data_words(std::size_t n) noexcept { return (n + 7) / 8; }
/// Words a Text of `n` characters occupies (its NUL included).
inline constexpr std::size_t text_words(std::size_t n) noexcept { return (n + 8) / 8; }

/// Encodes `e` directly into `buf` (segment table included) when it has
/// the shape of section 3 without containers; returns the message's size
/// in bytes, or 0 when the event has a container field (the caller then
/// uses the capnp builder, which yields the same bytes). Errors: exactly
/// those write_event() gives, for the same events. May throw
/// std::bad_alloc. `omit` as for encoder::encode.
result<std::size_t> write_event_flat(const event& e, word_buffer& buf,
                                     const encode_omissions& omit = {});

/// Reads the envelope and field arrays of the one-message input `bytes`
/// (framing already checked by check_single_frame) without capnp, when the
/// message has one segment, in-bounds pointers of the expected kinds, no
/// `nested` list, and stays within the traversal limit; false otherwise
/// (the caller then reads it through capnp, which also words the errors).
/// `env` and `d` point into `bytes`.
bool read_event_flat(std::span<const std::byte> bytes, const decode_limits& limits, envelope& env,
                     dense_fields& d) noexcept;

}  // namespace coop::model::detail
