// Framing checks and message parsing shared by every decoder of the codec.
#include <algorithm>
#include <cstring>

#include "codec/wire.h"

namespace coop::model::detail {
namespace {

// Cap'n Proto's own ceiling on segments per message.
constexpr std::uint64_t max_segments = 512;

std::uint32_t load_le32(const std::byte* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

unsigned effective_nesting(const decode_limits& limits) noexcept {
  return std::min(limits.max_nesting, hard_max_nesting);
}

capnp::ReaderOptions reader_options(const decode_limits& limits) noexcept {
  capnp::ReaderOptions o;
  o.traversalLimitInWords = limits.max_traversal_words;
  // One container level of a value costs capnp up to three levels (Value,
  // its list, a table Entry); a batch adds four above the first value. Our
  // own depth check fires first and gives the better message.
  o.nestingLimit = static_cast<int>(3 * effective_nesting(limits) + 16);
  return o;
}

result<std::size_t> check_frame(std::span<const std::byte> bytes, const decode_limits& limits,
                                std::uint64_t base) {
  const std::size_t n = bytes.size();
  if (n < 8) {
    return error{errc::corruption, "truncated message at byte offset " + std::to_string(base) +
                                       ": " + std::to_string(n) +
                                       " bytes, a segment table needs at least 8"};
  }
  const std::uint64_t segments = std::uint64_t{load_le32(bytes.data())} + 1;
  if (segments > max_segments) {
    return error{errc::corruption, "segment table at byte offset " + std::to_string(base) +
                                       " announces " + std::to_string(segments) +
                                       " segments (at most 512)"};
  }
  const std::uint64_t table = 8 * ((segments + 2) / 2);
  if (n < table) {
    return error{errc::corruption, "truncated segment table at byte offset " +
                                       std::to_string(base) + ": needs " + std::to_string(table) +
                                       " bytes, " + std::to_string(n) + " present"};
  }
  std::uint64_t words = 0;
  for (std::uint64_t i = 0; i < segments; ++i) words += load_le32(bytes.data() + 4 + 4 * i);
  if (words == 0) {
    return error{errc::corruption,
                 "message at byte offset " + std::to_string(base) + " has an empty first segment"};
  }
  const std::uint64_t total = table + 8 * words;
  if (total > limits.max_message_bytes) {
    return error{errc::overloaded, "message at byte offset " + std::to_string(base) + " has " +
                                       std::to_string(total) +
                                       " bytes, more than max_message_bytes (" +
                                       std::to_string(limits.max_message_bytes) + ")"};
  }
  if (total > n) {
    return error{errc::corruption, "truncated message at byte offset " + std::to_string(base) +
                                       ": its segment table announces " + std::to_string(total) +
                                       " bytes, " + std::to_string(n) + " present"};
  }
  return static_cast<std::size_t>(total);
}

result<std::size_t> check_single_frame(std::span<const std::byte> bytes,
                                       const decode_limits& limits) {
  if (bytes.size() > limits.max_message_bytes) {
    return error{errc::overloaded, "input of " + std::to_string(bytes.size()) +
                                       " bytes is larger than max_message_bytes (" +
                                       std::to_string(limits.max_message_bytes) + ")"};
  }
  auto total = check_frame(bytes, limits);
  if (!total) return total;
  if (*total != bytes.size()) {
    return error{errc::corruption, std::to_string(bytes.size() - *total) +
                                       " trailing bytes after the message, at byte offset " +
                                       std::to_string(*total)};
  }
  return total;
}

error from_exception(const kj::Exception& e, std::string_view where) {
  std::string what(e.getDescription().cStr());
  // capnp reports its traversal and nesting limits as ordinary failures;
  // they are limits, not damage, so the caller may retry with larger ones.
  const bool limit = what.find("traversal limit") != std::string::npos ||
                     what.find("nesting limit") != std::string::npos ||
                     what.find("too deeply") != std::string::npos;
  std::string msg(where);
  msg += where.empty() ? "" : ": ";
  msg += limit ? "limit exceeded: " : "malformed message: ";
  msg += what;
  return error{limit ? errc::overloaded : errc::corruption, std::move(msg)};
}

aligned_words align(std::span<const std::byte> message) {
  aligned_words out;
  const std::size_t words = message.size() / sizeof(capnp::word);
  if (reinterpret_cast<std::uintptr_t>(message.data()) % alignof(capnp::word) == 0) {
    out.words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(message.data()), words);
  } else {
    out.copy.resize(words);
    std::memcpy(out.copy.data(), message.data(), words * sizeof(capnp::word));
    out.words = kj::arrayPtr(words_of(out.copy), words);
  }
  return out;
}

result<std::shared_ptr<message_holder>> open_message(std::span<const std::byte> message,
                                                     const decode_limits& limits,
                                                     word_buffer owned) {
  try {
    auto h = std::make_shared<message_holder>();
    h->limits = limits;
    kj::ArrayPtr<const capnp::word> words;
    if (!owned.empty()) {
      h->storage = std::move(owned);
      words = kj::arrayPtr(words_of(h->storage), message.size() / sizeof(capnp::word));
    } else {
      auto a = align(message);
      h->storage = std::move(a.copy);
      words = h->storage.empty() ? a.words : kj::arrayPtr(words_of(h->storage), a.words.size());
    }
    h->words = words.size();
    h->reader.emplace(words, reader_options(limits));
    return h;
  } catch (const kj::Exception& e) {
    return from_exception(e, "");
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory opening a message"};
  }
}

}  // namespace coop::model::detail
