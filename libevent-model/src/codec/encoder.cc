// The encoder: builds messages in buffers it keeps between calls. Single
// events without containers (nearly all) are written directly into `flat_`
// (flat.h: same bytes as capnp's builder, without its overhead). Everything
// else is built by capnp in `scratch_`: word 0 is the segment table of a
// single-segment message, words 1.. are the first segment given to capnp.
// When a message fits, the encoded bytes are scratch_[0 .. 1 + used) and
// nothing is copied; when it does not, the scratch grows to fit and the
// message is rebuilt, so every message we emit has exactly one segment
// (which keeps the bytes deterministic: see docs/format-binary.md).
#include <algorithm>
#include <cstring>

#include "codec/flat.h"
#include "codec/wire.h"

namespace coop::model {
namespace detail {

// Builds one message at a time in a reused first segment.
class scratch_builder {
 public:
  // The direct writer's buffer starts at `bytes`; capnp's scratch, only
  // needed for batches, schemas and events with containers, on first use.
  explicit scratch_builder(std::size_t bytes)
      : initial_words_(std::max<std::size_t>(bytes / sizeof(capnp::word), 16)),
        flat_(initial_words_) {}

  // Writes the one-segment table into word 0 and returns the message.
  std::span<const std::byte> finish(std::size_t words) {
    auto* h = reinterpret_cast<unsigned char*>(scratch_.data());
    const auto n = static_cast<std::uint32_t>(words);
    std::memset(h, 0, 4);  // segment count - 1 = 0
    for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<unsigned char>(n >> (8 * i));
    return {reinterpret_cast<const std::byte*>(h), (words + 1) * sizeof(capnp::word)};
  }

  template <class Fill>
  result<std::span<const std::byte>> build(Fill&& fill) {
    try {
      if (scratch_.empty()) scratch_.assign(initial_words_, 0);
      for (int attempt = 0; attempt < 2; ++attempt) {
        builder_.reset();
        builder_.emplace(kj::arrayPtr(words_of(scratch_) + 1, scratch_.size() - 1),
                         capnp::AllocationStrategy::GROW_HEURISTICALLY);
        if (auto r = fill(*builder_); !r) return r.err();
        auto segments = builder_->getSegmentsForOutput();
        if (segments.size() == 1 && segments[0].begin() == words_of(scratch_) + 1) {
          return finish(segments[0].size());
        }
        std::size_t total = 0;
        for (auto s : segments) total += s.size();
        builder_.reset();
        scratch_.assign(total + total / 4 + 2, 0);
      }
      // Unreachable in practice (a grown scratch always fits); stay correct.
      spill_ = capnp::messageToFlatArray(*builder_);
      auto b = spill_.asBytes();
      return std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.begin()), b.size());
    } catch (const kj::Exception& e) {
      builder_.reset();
      return error{errc::invalid_argument,
                   std::string("cannot encode: ") + e.getDescription().cStr()};
    } catch (const std::bad_alloc&) {
      builder_.reset();
      return error{errc::overloaded, "out of memory while encoding"};
    }
  }

  result<std::span<const std::byte>> encode_event(const event& e,
                                                  const encode_omissions& omit = {}) {
    // Events without containers (nearly all) are written directly; the
    // others go through capnp, which writes the same layout.
    try {
      auto n = write_event_flat(e, flat_, omit);
      if (!n) return n.err();
      if (*n != 0) {
        return std::span<const std::byte>(reinterpret_cast<const std::byte*>(flat_.data()), *n);
      }
    } catch (const std::bad_alloc&) {
      return error{errc::overloaded, "out of memory while encoding"};
    }
    return build(
        [&](capnp::MessageBuilder& m) { return write_event(m.initRoot<wire::Event>(), e, omit); });
  }

  result<std::span<const std::byte>> encode_batch(std::span<const event> events,
                                                  bool include_schemas) {
    return build([&](capnp::MessageBuilder& m) -> result<void> {
      auto root = m.initRoot<wire::Batch>();
      auto list = root.initEvents(static_cast<unsigned>(events.size()));
      std::vector<const schema*> used;
      for (std::size_t i = 0; i < events.size(); ++i) {
        auto r = write_event(list[static_cast<unsigned>(i)], events[i]);
        if (!r) return error{r.err().code, "event " + std::to_string(i) + ": " + r.err().message};
        if (!include_schemas) continue;
        const schema& s = events[i].type();
        bool seen = false;
        for (const schema* u : used) {
          seen = seen || (u->name() == s.name() && u->version() == s.version());
        }
        if (!seen) used.push_back(&s);
      }
      if (used.empty()) return {};
      auto schemas = root.initSchemas(static_cast<unsigned>(used.size()));
      for (std::size_t i = 0; i < used.size(); ++i) {
        auto r = write_schema(schemas[static_cast<unsigned>(i)], *used[i]);
        if (!r) return r;
      }
      return {};
    });
  }

  result<std::span<const std::byte>> encode_schema(const schema& s) {
    return build(
        [&](capnp::MessageBuilder& m) { return write_schema(m.initRoot<wire::Schema>(), s); });
  }

 private:
  std::size_t initial_words_;
  word_buffer flat_;  // the direct writer's last message (flat.h)
  word_buffer scratch_;
  // Alive between calls: its destructor re-zeroes the part of the scratch
  // it used, which capnp requires of a reused first segment, and the bytes
  // returned by the last call stay valid until then.
  std::optional<capnp::MallocMessageBuilder> builder_;
  kj::Array<capnp::word> spill_;
};

static result<std::string> copy_out(result<std::span<const std::byte>> r) {
  if (!r) return r.err();
  try {
    return std::string(reinterpret_cast<const char*>(r->data()), r->size());
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory copying a message"};
  }
}

}  // namespace detail

struct encoder::impl : detail::scratch_builder {
  using scratch_builder::scratch_builder;
};

encoder::encoder(std::size_t initial_bytes) : impl_(std::make_unique<impl>(initial_bytes)) {}
encoder::~encoder() = default;
encoder::encoder(encoder&&) noexcept = default;
encoder& encoder::operator=(encoder&&) noexcept = default;

result<std::span<const std::byte>> encoder::encode(const event& e) {
  return impl_->encode_event(e);
}

result<std::span<const std::byte>> encoder::encode(const event& e,
                                                   const encode_omissions& omit) {
  return impl_->encode_event(e, omit);
}

result<void> encoder::encode_batch(std::span<const event> events, std::string& out,
                                   bool include_schemas) {
  auto r = impl_->encode_batch(events, include_schemas);
  if (!r) return r.err();
  try {
    out.assign(reinterpret_cast<const char*>(r->data()), r->size());
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory copying a batch"};
  }
  return {};
}

result<std::string> encode(const event& e) {
  detail::scratch_builder enc(1024);
  return detail::copy_out(enc.encode_event(e));
}

result<std::string> encode_batch(std::span<const event> events, bool include_schemas) {
  detail::scratch_builder enc(4096);
  return detail::copy_out(enc.encode_batch(events, include_schemas));
}

result<std::string> encode_schema(const schema& s) {
  detail::scratch_builder enc(1024);
  return detail::copy_out(enc.encode_schema(s));
}

}  // namespace coop::model
