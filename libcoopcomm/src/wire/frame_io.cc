// Frame length checks, segment-table checks and serialisation.
#include "wire/frame_io.h"

#include <cstring>

namespace coop::comm::wire_io {

namespace {

std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void store_le32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

result<std::size_t> check_frame_header(const std::uint8_t* prefix, const message_limits& limits) {
  const std::uint32_t n = load_le32(prefix);
  if (n == 0) return error{errc::protocol, "frame length 0"};
  if (n > limits.max_bytes)
    return error{errc::protocol, "frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                                     std::to_string(limits.max_bytes)};
  if (n % 8 != 0)
    return error{errc::protocol, "frame length " + std::to_string(n) + " is not a multiple of 8"};
  return static_cast<std::size_t>(n);
}

result<message> open_message(std::span<const std::uint8_t> bytes, const message_limits& limits) {
  if (bytes.size() < 8 || bytes.size() % 8 != 0)
    return error{errc::protocol, "message of " + std::to_string(bytes.size()) +
                                     " bytes is not a whole number of 8-byte words"};
  if (bytes.size() > limits.max_bytes)
    return error{errc::protocol, "message of " + std::to_string(bytes.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits.max_bytes)};
  const std::uint64_t segments = std::uint64_t{load_le32(bytes.data())} + 1;
  if (segments > limits.max_segments)
    return error{errc::protocol, "segment count " + std::to_string(segments) +
                                     " at byte 0 exceeds the limit of " +
                                     std::to_string(limits.max_segments)};
  // Table: count word, then one size per segment, padded to a whole word.
  const std::uint64_t table_bytes = (4 + 4 * segments + 7) / 8 * 8;
  if (table_bytes > bytes.size())
    return error{errc::protocol, "segment table of " + std::to_string(table_bytes) +
                                     " bytes is longer than the message"};
  std::uint64_t words = 0;
  for (std::uint64_t i = 0; i < segments; ++i) {
    words += load_le32(bytes.data() + 4 + 4 * i);
  }
  if (table_bytes + words * 8 != bytes.size())
    return error{errc::protocol, "segment sizes add up to " + std::to_string(words * 8) +
                                     " bytes but the message holds " +
                                     std::to_string(bytes.size() - table_bytes)};
  message m;
  m.words_ = std::make_unique<kj::Array<capnp::word>>(kj::heapArray<capnp::word>(bytes.size() / 8));
  std::memcpy(m.words_->begin(), bytes.data(), bytes.size());
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 2 * (bytes.size() / 8) + 16;
  options.nestingLimit = limits.max_nesting;
  return guard("message", [&]() -> result<message> {
    m.reader_ = std::make_unique<capnp::FlatArrayMessageReader>(m.words_->asPtr(), options);
    return std::move(m);
  });
}

std::string serialise(capnp::MessageBuilder& builder) {
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

std::string serialise_frame(capnp::MessageBuilder& builder) {
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  std::string out(4 + bytes.size(), '\0');
  store_le32(out.data(), static_cast<std::uint32_t>(bytes.size()));
  std::memcpy(out.data() + 4, bytes.begin(), bytes.size());
  return out;
}

}  // namespace coop::comm::wire_io
