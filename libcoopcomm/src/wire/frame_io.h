// Frame encoding and the checks made before any parsing. A frame on the wire
// is a 4-byte little-endian length and a Cap'n Proto message (segment table
// and segments). `check_frame_header` looks only at the length prefix;
// `open_message` checks the segment table against the limits, then reads
// the message in place with traversal and nesting limits. Nothing here
// throws: Cap'n Proto's exceptions become errc::protocol with the reason.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coop/comm/result.h"

namespace coop::comm::wire_io {

/// The protocol version this code speaks, and the only one: version 2
/// changed what item digests and envelope signatures cover (docs/protocol.md,
/// "Hello and versions"), so a version 1 peer is refused with code 3.
inline constexpr std::uint16_t protocol_version = 2;

/// A buffer of 8-byte words that Cap'n Proto can read in place. (Not a
/// vector of capnp::word: that type cannot be copied under clang, and a
/// vector of it does not compile there.)
using word_buffer = std::vector<std::uint64_t>;

/// Limits applied to every received message.
struct message_limits {
  std::size_t max_bytes = 1 << 20;   ///< Whole message, segment table included.
  std::uint32_t max_segments = 16;   ///< Segment count.
  int max_nesting = 16;              ///< Pointer nesting depth.
};

/// Checks a 4-byte length prefix: the body must be non-empty, a multiple of
/// 8 bytes and at most `limits.max_bytes`. Returns the body length.
result<std::size_t> check_frame_header(const std::uint8_t* prefix, const message_limits& limits);

/// A parsed message that owns its (aligned) bytes.
class message {
 public:
  /// The root, read as `Root`. Reading may throw kj::Exception on malformed
  /// pointers; callers use `guard` around reads.
  template <class Root>
  typename Root::Reader root() {
    return reader_->getRoot<Root>();
  }

  std::unique_ptr<kj::Array<capnp::word>> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

/// A parsed message read where its bytes are (no copy). The bytes must stay
/// valid and unchanged while the reader or anything read from it is used.
class message_view {
 public:
  /// The root, read as `Root` (reads may throw: see message::root).
  template <class Root>
  typename Root::Reader root() {
    return reader_->getRoot<Root>();
  }

  std::optional<capnp::FlatArrayMessageReader> reader_;
};

/// The checks of open_message, then opens `bytes` in place into `out`.
/// `bytes` must be 8-byte aligned; when they are not, they are copied into
/// `scratch` (which must then outlive the use as well). Errors: as
/// open_message.
result<void> open_message_view(std::span<const std::uint8_t> bytes, const message_limits& limits,
                               message_view& out, wire_io::word_buffer& scratch);

/// Checks the segment table of `bytes` (a message without the length prefix)
/// against `limits` and opens it for reading. The traversal limit is twice
/// the message size, so a message cannot make the reader do more work than
/// twice its length. Errors: errc::protocol naming the byte offset.
result<message> open_message(std::span<const std::uint8_t> bytes, const message_limits& limits);

/// Serialises `builder` as a message (no length prefix).
std::string serialise(capnp::MessageBuilder& builder);

/// Appends the same bytes as serialise() to `out`.
void append_message(capnp::MessageBuilder& builder, std::string& out);

/// Serialises `builder` with the 4-byte length prefix, ready to write.
std::string serialise_frame(capnp::MessageBuilder& builder);
/// Appends the same frame as serialise_frame() to `out` (one copy of the
/// message, no temporary).
void append_frame(capnp::MessageBuilder& builder, std::string& out);

/// Runs `f`, turning a kj::Exception (a malformed message) into errc::protocol
/// prefixed with `what`.
template <class F>
auto guard(std::string_view what, F&& f) -> decltype(f());

}  // namespace coop::comm::wire_io

#include "wire/frame_io.inl"
