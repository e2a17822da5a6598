// Stream framing: a file or socket stream of event messages, one after the
// other in standard capnp framing (segment table, then segments).
#include <cstring>
#include <istream>
#include <limits>
#include <ostream>

#include "codec/wire.h"

namespace coop::model {
namespace {

std::uint32_t load_le32(const unsigned char* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::string at_offset(std::uint64_t offset) {
  return "message at byte offset " + std::to_string(offset);
}

}  // namespace

struct stream_reader::impl {
  std::istream* in = nullptr;
  std::span<const std::byte> bytes;
  decode_limits limits;
  std::uint64_t next = 0;  // offset of the next message
  std::uint64_t last = 0;  // offset of the message returned last
  std::optional<error> failed;

  result<std::optional<event_view>> fail(error e) {
    failed = e;
    return e;
  }

  // Reads `n` bytes into `p`; false at end of input (setting `got`).
  bool read(void* p, std::size_t n, std::size_t& got) {
    in->read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    got = static_cast<std::size_t>(in->gcount());
    return got == n;
  }

  result<std::optional<event_view>> next_from_span() {
    if (next == bytes.size()) return std::optional<event_view>();
    auto rest = bytes.subspan(static_cast<std::size_t>(next));
    auto total = detail::check_frame(rest, limits, next);
    if (!total) return fail(total.err());
    last = next;
    next += *total;
    auto v = detail::open_event_view(rest.first(*total), limits, {});
    if (!v) return error{v.err().code, at_offset(last) + ": " + v.err().message};
    return std::optional<event_view>(std::move(*v));
  }

  result<std::optional<event_view>> next_from_stream() {
    unsigned char head[8];
    std::size_t got = 0;
    if (!read(head, sizeof head, got)) {
      if (got == 0 && in->eof() && !in->bad()) return std::optional<event_view>();
      if (in->bad()) return fail(error{errc::io, at_offset(next) + ": read failed"});
      return fail(error{errc::corruption, "truncated message at byte offset " +
                                              std::to_string(next) + ": " + std::to_string(got) +
                                              " bytes, a segment table needs at least 8"});
    }
    const std::uint64_t segments = std::uint64_t{load_le32(head)} + 1;
    if (segments > 512) {
      return fail(error{errc::corruption, "segment table at byte offset " + std::to_string(next) +
                                              " announces " + std::to_string(segments) +
                                              " segments (at most 512)"});
    }
    const std::size_t table = 8 * ((segments + 2) / 2);
    std::vector<unsigned char> tab(table);
    std::memcpy(tab.data(), head, sizeof head);
    if (table > 8 && !read(tab.data() + 8, table - 8, got)) {
      return fail(error{errc::corruption,
                        "truncated segment table at byte offset " + std::to_string(next)});
    }
    std::uint64_t words = 0;
    for (std::uint64_t i = 0; i < segments; ++i) words += load_le32(tab.data() + 4 + 4 * i);
    const std::uint64_t total = table + 8 * words;
    if (total > limits.max_message_bytes) {
      return fail(error{errc::overloaded, at_offset(next) + " has " + std::to_string(total) +
                                              " bytes, more than max_message_bytes (" +
                                              std::to_string(limits.max_message_bytes) + ")"});
    }
    detail::word_buffer owned(total / sizeof(capnp::word));
    auto* base = reinterpret_cast<unsigned char*>(owned.data());
    std::memcpy(base, tab.data(), table);
    if (!read(base + table, total - table, got)) {
      if (in->bad()) return fail(error{errc::io, at_offset(next) + ": read failed"});
      return fail(
          error{errc::corruption, "truncated message at byte offset " + std::to_string(next) +
                                      ": its segment table announces " + std::to_string(total) +
                                      " bytes, " + std::to_string(table + got) + " present"});
    }
    last = next;
    next += total;
    std::span<const std::byte> message(reinterpret_cast<const std::byte*>(base), total);
    auto checked = detail::check_frame(message, limits, last);
    if (!checked) return fail(checked.err());
    auto v = detail::open_event_view(message, limits, std::move(owned));
    if (!v) return error{v.err().code, at_offset(last) + ": " + v.err().message};
    return std::optional<event_view>(std::move(*v));
  }
};

stream_reader::stream_reader(std::istream& in, const decode_limits& limits)
    : impl_(std::make_unique<impl>()) {
  impl_->in = &in;
  impl_->limits = limits;
}

stream_reader::stream_reader(std::span<const std::byte> bytes, const decode_limits& limits)
    : impl_(std::make_unique<impl>()) {
  impl_->bytes = bytes;
  impl_->limits = limits;
}

stream_reader::~stream_reader() = default;
stream_reader::stream_reader(stream_reader&&) noexcept = default;
stream_reader& stream_reader::operator=(stream_reader&&) noexcept = default;

result<std::optional<event_view>> stream_reader::next_view() {
  if (impl_->failed) return *impl_->failed;
  try {
    return impl_->in ? impl_->next_from_stream() : impl_->next_from_span();
  } catch (const std::ios_base::failure& e) {
    return impl_->fail(error{errc::io, at_offset(impl_->next) + ": " + e.what()});
  } catch (const std::bad_alloc&) {
    return impl_->fail(error{errc::overloaded, at_offset(impl_->next) + ": out of memory"});
  }
}

result<std::optional<event>> stream_reader::next(const registry& reg) {
  auto v = next_view();
  if (!v) return v.err();
  if (!*v) return std::optional<event>();
  auto e = (*v)->to_event(reg);
  if (!e) return error{e.err().code, at_offset(impl_->last) + ": " + e.err().message};
  return std::optional<event>(std::move(*e));
}

std::uint64_t stream_reader::message_offset() const noexcept { return impl_->last; }

struct stream_writer::impl {
  std::ostream* out = nullptr;
  encoder enc{4096};
  std::uint64_t written = 0;

  result<void> put(std::span<const std::byte> bytes) {
    try {
      out->write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
    } catch (const std::ios_base::failure& e) {
      return error{errc::io,
                   "write failed after " + std::to_string(written) + " bytes: " + e.what()};
    }
    if (!*out) return error{errc::io, "write failed after " + std::to_string(written) + " bytes"};
    written += bytes.size();
    return {};
  }
};

stream_writer::stream_writer(std::ostream& out) : impl_(std::make_unique<impl>()) {
  impl_->out = &out;
}
stream_writer::~stream_writer() = default;
stream_writer::stream_writer(stream_writer&&) noexcept = default;
stream_writer& stream_writer::operator=(stream_writer&&) noexcept = default;

result<void> stream_writer::write(const event& e) {
  auto bytes = impl_->enc.encode(e);
  if (!bytes) return bytes.err();
  return impl_->put(*bytes);
}

result<void> stream_writer::write_encoded(std::span<const std::byte> message) {
  decode_limits unlimited;
  unlimited.max_message_bytes = std::numeric_limits<std::size_t>::max();
  auto total = detail::check_single_frame(message, unlimited);
  if (!total) return error{errc::invalid_argument, "not one message: " + total.err().message};
  return impl_->put(message);
}

result<void> stream_writer::flush() {
  try {
    impl_->out->flush();
  } catch (const std::ios_base::failure& e) {
    return error{errc::io, std::string("flush failed: ") + e.what()};
  }
  if (!*impl_->out) return error{errc::io, "flush failed"};
  return {};
}

std::uint64_t stream_writer::bytes_written() const noexcept { return impl_->written; }

}  // namespace coop::model
