// Fuzz target of libcoopcomm's frame decoder, as a session reads a frame: the
// first 4 bytes go to wire_io::check_frame_header, the rest to
// wire_io::open_message under the default limits and, when it opens, the
// Frame root is read through whichever union member it holds (every field,
// every list element), inside wire_io::guard as the session does. The same
// bytes are also decoded as an envelope header and as an envelope item, and
// the header and items carried by an Envelope frame are decoded in turn.
// Nothing may crash, throw out of guard, or allocate more than the input
// allows; every verdict must agree with the limits it was checked against.
#include <capnp/message.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "envelope/envelope.h"
#include "frame.capnp.h"
#include "wire/frame_io.h"

namespace comm = coop::comm;
namespace wire_io = coop::comm::wire_io;
namespace envelope = coop::comm::envelope;

namespace {

// Touches every byte of a Text or Data reader, so a pointer past the segment
// would be caught by ASan rather than silently ignored.
template <class Reader>
std::size_t touch(Reader r) {
  std::size_t sum = 0;
  for (auto c : r) sum += static_cast<unsigned char>(c);
  return sum;
}

std::string_view view_of(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

// Decodes an envelope header and checks what a successful decode promises.
void decode_header(std::string_view bytes, const wire_io::message_limits& limits) {
  auto h = envelope::decode_header(bytes, limits);
  if (!h) {
    if (h.err().code != comm::errc::protocol || h.err().message.empty()) std::abort();
    return;
  }
  if (bytes.size() > limits.max_bytes) std::abort();
  // Each digest is 32 bytes of a list in the message: no more of them than
  // the message could hold.
  if (h->digests.size() * 8 > bytes.size()) std::abort();
}

void decode_item(std::string_view bytes, const wire_io::message_limits& limits) {
  auto it = envelope::decode_item(bytes, limits);
  if (!it) {
    if (it.err().code != comm::errc::protocol || it.err().message.empty()) std::abort();
    return;
  }
  if (bytes.size() > limits.max_bytes) std::abort();
  // Pointers may alias, but the traversal limit (twice the message) bounds
  // what the reader may return.
  const std::size_t got = it->payload.size() + it->topic.size() + it->destination.size() +
                          it->content_type.size() + it->reason.size();
  if (got > 2 * bytes.size() + 128) std::abort();
  if (static_cast<unsigned>(it->k) > static_cast<unsigned>(envelope::kind::outcome)) std::abort();
  if (static_cast<unsigned>(it->result) > static_cast<unsigned>(envelope::outcome::failed))
    std::abort();
}

// Reads the Frame root through its union member, the way the session does,
// touching every field. Returns what guard returns.
comm::result<std::size_t> read_frame(wire_io::message& m, const wire_io::message_limits& limits) {
  return wire_io::guard("frame", [&]() -> comm::result<std::size_t> {
    auto f = m.root<coop::comm::wire::Frame>();
    std::size_t sum = 0;
    switch (f.which()) {
      case coop::comm::wire::Frame::HELLO: {
        auto h = f.getHello();
        sum += touch(h.getSite());
        sum += h.getMinVersion() + h.getMaxVersion() + h.getMaxFrameBytes() + h.getRelay();
        break;
      }
      case coop::comm::wire::Frame::SUBSCRIPTIONS:
        for (auto p : f.getSubscriptions().getPrefixes()) sum += touch(p);
        break;
      case coop::comm::wire::Frame::ENVELOPE: {
        auto e = f.getEnvelope();
        decode_header(view_of(e.getHeader()), limits);
        sum += touch(e.getSignature());
        for (auto h : e.getHops()) sum += touch(h);
        for (auto it : e.getItems()) decode_item(view_of(it), limits);
        break;
      }
      case coop::comm::wire::Frame::REFUSAL: {
        auto r = f.getRefusal();
        sum += r.getCode() + touch(r.getReason());
        break;
      }
      case coop::comm::wire::Frame::PING: sum += f.getPing(); break;
      case coop::comm::wire::Frame::PONG: sum += f.getPong(); break;
      case coop::comm::wire::Frame::BYE: sum += touch(f.getBye()); break;
      default: return comm::error{comm::errc::protocol, "unknown frame type"};
    }
    return sum;
  });
}

void check_message(std::span<const std::uint8_t> body, const wire_io::message_limits& limits) {
  auto m = wire_io::open_message(body, limits);
  if (!m) {
    if (m.err().code != comm::errc::protocol || m.err().message.empty()) std::abort();
    return;
  }
  // What open_message promises before any parsing.
  if (body.size() < 8 || body.size() % 8 != 0 || body.size() > limits.max_bytes) std::abort();
  const std::uint32_t count = static_cast<std::uint32_t>(body[0]) |
                              static_cast<std::uint32_t>(body[1]) << 8 |
                              static_cast<std::uint32_t>(body[2]) << 16 |
                              static_cast<std::uint32_t>(body[3]) << 24;
  if (std::uint64_t{count} + 1 > limits.max_segments) std::abort();
  auto r = read_frame(*m, limits);
  if (!r && (r.err().code != comm::errc::protocol || r.err().message.empty())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Larger inputs add nothing a 64 KiB one cannot reach; the size limit
  // itself is exercised through the length prefix.
  if (size > 64 * 1024) return 0;
  const wire_io::message_limits defaults;
  if (size >= 4) {
    auto n = wire_io::check_frame_header(data, defaults);
    if (n && (*n == 0 || *n % 8 != 0 || *n > defaults.max_bytes)) std::abort();
    if (!n && n.err().code != comm::errc::protocol) std::abort();
  }
  const std::span<const std::uint8_t> body =
      size >= 4 ? std::span<const std::uint8_t>(data + 4, size - 4)
                : std::span<const std::uint8_t>(data, size);
  check_message(body, defaults);
  // The tightest limits a configuration allows (segments 1, nesting 4) must
  // refuse cleanly what the defaults accept.
  wire_io::message_limits tight;
  tight.max_segments = 1;
  tight.max_nesting = 4;
  tight.max_bytes = 4096;
  check_message(body, tight);

  const std::string_view bytes(reinterpret_cast<const char*>(body.data()), body.size());
  decode_header(bytes, defaults);
  decode_item(bytes, defaults);
  return 0;
}
