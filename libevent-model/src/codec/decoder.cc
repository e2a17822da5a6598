// The materialising decoders: decode, decode_batch(_and_learn),
// decode_schema. Each checks the framing itself first (so errors carry byte
// offsets), then lets capnp read the message under the caller's limits;
// decode and decode_into first try the direct reader of flat.h, which takes
// the usual one-segment event message and leaves every other one to capnp.
#include <algorithm>

#include "codec/flat.h"
#include "codec/wire.h"

namespace coop::model {
namespace {

using detail::read_bounds;

// Runs `body(reader, bounds)` over the single message in `bytes`, turning
// capnp exceptions into errors about `what`.
template <class Body>
auto with_message(std::span<const std::byte> bytes, const decode_limits& limits,
                  std::string_view what, Body&& body)
    -> decltype(body(std::declval<capnp::MessageReader&>(), std::declval<read_bounds>())) {
  if (auto total = detail::check_single_frame(bytes, limits); !total) return total.err();
  try {
    auto words = detail::align(bytes);
    capnp::FlatArrayMessageReader reader(words.words, detail::reader_options(limits));
    return body(reader, read_bounds{detail::effective_nesting(limits), words.words.size()});
  } catch (const kj::Exception& e) {
    return detail::from_exception(e, what);
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory decoding " + std::string(what)};
  }
}

error in_event(std::size_t i, const error& e) {
  return error{e.code, "event " + std::to_string(i) + ": " + e.message};
}

result<std::vector<event>> read_events(wire::Batch::Reader root, const registry& reg,
                                       const decode_limits& limits, const read_bounds& bounds) {
  auto list = root.getEvents();
  if (list.size() > limits.max_batch_events) {
    return error{errc::overloaded, "batch of " + std::to_string(list.size()) +
                                       " events, more than max_batch_events (" +
                                       std::to_string(limits.max_batch_events) + ")"};
  }
  std::vector<event> out(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    auto e = detail::read_event(list[i], reg, bounds, out[i]);
    if (!e) return in_event(i, e.err());
  }
  return out;
}

}  // namespace

result<void> decode_into(std::span<const std::byte> bytes, const registry& reg, event& out,
                         const decode_limits& limits) {
  // A message to decode has usually just arrived and is not in the cache:
  // request all its lines up front so that the misses overlap rather than
  // being taken one by one as the envelope, kinds and payload are read.
  {
    const auto* p = reinterpret_cast<const char*>(bytes.data());
    const std::size_t n = std::min<std::size_t>(bytes.size(), 4096);
    for (std::size_t off = 0; off < n; off += 64) __builtin_prefetch(p + off);
  }
  if (auto total = detail::check_single_frame(bytes, limits); !total) return total.err();
  // The usual message (ours, without containers) is read directly; anything
  // else, including every malformed message, through capnp.
  detail::envelope env;
  detail::dense_fields d;
  if (detail::read_event_flat(bytes, limits, env, d)) {
    const read_bounds b{detail::effective_nesting(limits), bytes.size() / sizeof(capnp::word)};
    return detail::build_event(env, d, reg, b, out);
  }
  return with_message(bytes, limits, "event",
                      [&](capnp::MessageReader& m, const read_bounds& b) -> result<void> {
                        return detail::read_event(m.getRoot<wire::Event>(), reg, b, out);
                      });
}

result<event> decode(std::span<const std::byte> bytes, const registry& reg,
                     const decode_limits& limits) {
  event e;
  if (auto r = decode_into(bytes, reg, e, limits); !r) return r.err();
  return e;
}

result<std::vector<event>> decode_batch(std::span<const std::byte> bytes, const registry& reg,
                                        const decode_limits& limits) {
  return with_message(
      bytes, limits, "batch",
      [&](capnp::MessageReader& m, const read_bounds& b) -> result<std::vector<event>> {
        return read_events(m.getRoot<wire::Batch>(), reg, limits, b);
      });
}

result<std::vector<event>> decode_batch_and_learn(std::span<const std::byte> bytes,
                                                  registry& learn_into,
                                                  const decode_limits& limits) {
  return with_message(
      bytes, limits, "batch",
      [&](capnp::MessageReader& m, const read_bounds& b) -> result<std::vector<event>> {
        auto root = m.getRoot<wire::Batch>();
        // Learn into a copy, so that a failure leaves the caller's registry as it was.
        registry learned = learn_into;
        auto schemas = root.getSchemas();
        for (unsigned i = 0; i < schemas.size(); ++i) {
          auto s = detail::read_schema(schemas[i], b);
          if (!s)
            return error{s.err().code, "schema " + std::to_string(i) + ": " + s.err().message};
          const std::string name = s->name();
          auto added = learned.add(std::move(*s));
          if (!added) {
            return error{added.err().code, "schema " + std::to_string(i) + " ('" + name +
                                               "'): " + added.err().message};
          }
        }
        auto events = read_events(root, learned, limits, b);
        if (events) learn_into = std::move(learned);
        return events;
      });
}

result<schema> decode_schema(std::span<const std::byte> bytes, const decode_limits& limits) {
  return with_message(bytes, limits, "schema",
                      [&](capnp::MessageReader& m, const read_bounds& b) -> result<schema> {
                        return detail::read_schema(m.getRoot<wire::Schema>(), b);
                      });
}

}  // namespace coop::model
