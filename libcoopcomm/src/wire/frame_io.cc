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

namespace {

// The checks made before any parsing: size, segment count, and a segment
// table that adds up to the message.
result<void> check_message(std::span<const std::uint8_t> bytes, const message_limits& limits) {
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
  return {};
}

capnp::ReaderOptions options_for(std::size_t bytes, const message_limits& limits) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 2 * (bytes / 8) + 16;
  options.nestingLimit = limits.max_nesting;
  return options;
}

}  // namespace

result<message> open_message(std::span<const std::uint8_t> bytes, const message_limits& limits) {
  if (auto c = check_message(bytes, limits); !c) return c.err();
  message m;
  m.words_ = std::make_unique<kj::Array<capnp::word>>(kj::heapArray<capnp::word>(bytes.size() / 8));
  std::memcpy(m.words_->begin(), bytes.data(), bytes.size());
  const auto options = options_for(bytes.size(), limits);
  return guard("message", [&]() -> result<message> {
    m.reader_ = std::make_unique<capnp::FlatArrayMessageReader>(m.words_->asPtr(), options);
    return std::move(m);
  });
}

result<void> open_message_view(std::span<const std::uint8_t> bytes, const message_limits& limits,
                               message_view& out, wire_io::word_buffer& scratch) {
  if (auto c = check_message(bytes, limits); !c) return c.err();
  const capnp::word* words = reinterpret_cast<const capnp::word*>(bytes.data());
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(capnp::word) != 0) {
    scratch.resize(bytes.size() / 8);
    std::memcpy(scratch.data(), bytes.data(), bytes.size());
    words = reinterpret_cast<const capnp::word*>(scratch.data());
  }
  const auto options = options_for(bytes.size(), limits);
  return guard("message", [&]() -> result<void> {
    out.reader_.reset();
    out.reader_.emplace(kj::ArrayPtr<const capnp::word>(words, bytes.size() / 8), options);
    return {};
  });
}

namespace {

// Writes `builder` in Cap'n Proto's flat form (segment table, then the
// segments) at `out + pos`, which has room for it.
void write_flat(capnp::MessageBuilder& builder, std::string& out, std::size_t pos) {
  auto segments = builder.getSegmentsForOutput();
  char* p = out.data() + pos;
  store_le32(p, static_cast<std::uint32_t>(segments.size() - 1));
  for (std::size_t i = 0; i < segments.size(); ++i)
    store_le32(p + 4 + 4 * i, static_cast<std::uint32_t>(segments[i].size()));
  std::size_t table = 4 + 4 * segments.size();
  if (table % 8 != 0) {
    std::memset(p + table, 0, 4);
    table += 4;
  }
  p += table;
  for (auto s : segments) {
    std::memcpy(p, s.begin(), s.size() * sizeof(capnp::word));
    p += s.size() * sizeof(capnp::word);
  }
}

}  // namespace

std::string serialise(capnp::MessageBuilder& builder) {
  std::string out;
  append_message(builder, out);
  return out;
}

void append_message(capnp::MessageBuilder& builder, std::string& out) {
  const std::size_t pos = out.size();
  out.resize(pos + capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word));
  write_flat(builder, out, pos);
}

std::string serialise_frame(capnp::MessageBuilder& builder) {
  std::string out;
  append_frame(builder, out);
  return out;
}

void append_frame(capnp::MessageBuilder& builder, std::string& out) {
  const std::size_t bytes = capnp::computeSerializedSizeInWords(builder) * sizeof(capnp::word);
  const std::size_t pos = out.size();
  out.resize(pos + 4 + bytes);
  store_le32(out.data() + pos, static_cast<std::uint32_t>(bytes));
  write_flat(builder, out, pos + 4);
}

}  // namespace coop::comm::wire_io
