// The zero-copy read path: event_view and batch_view read a parsed message
// in place. A view keeps the message (and its capnp reader) alive through a
// shared message_holder and caches the envelope and the field list reader.
#include <cstring>
#include <type_traits>

#include "codec/wire.h"

namespace coop::model {
namespace detail {

using value_list = capnp::List<wire::Value>::Reader;
static_assert(std::is_trivially_copyable_v<value_list>);

struct view_access {
  static_assert(sizeof(value_list) <= sizeof(event_view::fields_));

  static value_list fields(const event_view& v) noexcept {
    value_list l;
    std::memcpy(static_cast<void*>(&l), v.fields_, sizeof l);
    return l;
  }

  // A view of `r`, which lives in the message `msg` holds.
  static result<event_view> make(std::shared_ptr<const message_holder> msg, wire::Event::Reader r) {
    event_view v;
    try {
      const envelope env = read_envelope(r);
      const value_list l = r.getFields();
      std::memcpy(v.fields_, static_cast<const void*>(&l), sizeof l);
      v.type_name_ = env.type_name;
      v.site_ = env.site;
      v.sensor_ = env.sensor;
      v.uid_ = env.uid;
      v.version_ = env.version;
      v.ts_ = timestamp{env.ts};
      v.id_ = event_id{env.id_hi, env.id_lo};
      v.size_ = l.size();
    } catch (const kj::Exception& e) {
      return from_exception(e, "event envelope");
    }
    v.msg_ = std::move(msg);
    return v;
  }

  static result<batch_view> make_batch(std::shared_ptr<message_holder> msg) {
    batch_view b;
    try {
      auto root = msg->reader->getRoot<wire::Batch>();
      msg->events = root.getEvents();
      msg->schemas = root.getSchemas();
    } catch (const kj::Exception& e) {
      return from_exception(e, "batch");
    }
    if (msg->events.size() > msg->limits.max_batch_events) {
      return error{errc::overloaded, "batch of " + std::to_string(msg->events.size()) +
                                         " events, more than max_batch_events (" +
                                         std::to_string(msg->limits.max_batch_events) + ")"};
    }
    b.events_ = msg->events.size();
    b.schemas_ = msg->schemas.size();
    b.msg_ = std::move(msg);
    return b;
  }

  static const message_holder& holder(const event_view& v) noexcept { return *v.msg_; }
  static const message_holder& holder(const batch_view& b) noexcept { return *b.msg_; }
  static const std::shared_ptr<const message_holder>& shared(const batch_view& b) noexcept {
    return b.msg_;
  }
};

// Opens a view over the message at `bytes` (framed, possibly owned).
result<event_view> open_event_view(std::span<const std::byte> bytes, const decode_limits& limits,
                                   word_buffer owned) {
  auto h = open_message(bytes, limits, std::move(owned));
  if (!h) return h.err();
  try {
    auto root = (*h)->reader->getRoot<wire::Event>();
    return view_access::make(std::move(*h), root);
  } catch (const kj::Exception& e) {
    return from_exception(e, "event");
  }
}

}  // namespace detail

namespace {

using detail::view_access;

std::string field_label(std::size_t i) { return "field " + std::to_string(i); }

// Runs `get(reader)` on field `i` if it holds kind `want`.
template <class T, class Get>
result<T> scalar(const event_view& v, std::size_t i, type_kind want, Get&& get) {
  if (i >= v.size()) {
    return error{errc::not_found, field_label(i) + ": out of range (the message has " +
                                      std::to_string(v.size()) + " fields)"};
  }
  try {
    auto r = view_access::fields(v)[static_cast<unsigned>(i)];
    const auto tag = static_cast<unsigned>(r.which());
    if (tag != static_cast<unsigned>(want)) {
      std::string got = tag <= static_cast<unsigned>(type_kind::record)
                            ? std::string(to_string(static_cast<type_kind>(tag)))
                            : "unknown kind " + std::to_string(tag);
      return error{errc::invalid_argument,
                   field_label(i) + ": holds " + got + ", not " + std::string(to_string(want))};
    }
    return get(r);
  } catch (const kj::Exception& e) {
    return detail::from_exception(e, field_label(i));
  }
}

address address_of(std::uint64_t hi, std::uint64_t lo) {
  std::array<std::uint8_t, 16> b{};
  for (int k = 0; k < 8; ++k) {
    b[k] = static_cast<std::uint8_t>(hi >> (8 * k));
    b[8 + k] = static_cast<std::uint8_t>(lo >> (8 * k));
  }
  return address::v6(b);
}

}  // namespace

result<event_view> event_view::open(std::span<const std::byte> bytes, const decode_limits& limits) {
  if (auto total = detail::check_single_frame(bytes, limits); !total) return total.err();
  return detail::open_event_view(bytes, limits, {});
}

result<type_kind> event_view::field_kind(std::size_t i) const {
  if (i >= size_) {
    return error{errc::not_found, field_label(i) + ": out of range (the message has " +
                                      std::to_string(size_) + " fields)"};
  }
  const auto tag =
      static_cast<unsigned>(view_access::fields(*this)[static_cast<unsigned>(i)].which());
  if (tag > static_cast<unsigned>(type_kind::record)) {
    return error{errc::unsupported, field_label(i) + ": unknown value kind " + std::to_string(tag)};
  }
  return static_cast<type_kind>(tag);
}

using wire_value = wire::Value::Reader;

result<bool> event_view::boolean_at(std::size_t i) const {
  return scalar<bool>(*this, i, type_kind::boolean, [](wire_value r) { return r.getBoolean(); });
}
result<std::uint64_t> event_view::count_at(std::size_t i) const {
  return scalar<std::uint64_t>(*this, i, type_kind::count,
                               [](wire_value r) { return r.getCount(); });
}
result<std::int64_t> event_view::integer_at(std::size_t i) const {
  return scalar<std::int64_t>(*this, i, type_kind::integer,
                              [](wire_value r) { return r.getInteger(); });
}
result<double> event_view::real_at(std::size_t i) const {
  return scalar<double>(*this, i, type_kind::real, [](wire_value r) { return r.getReal(); });
}
result<std::string_view> event_view::string_at(std::size_t i) const {
  return scalar<std::string_view>(*this, i, type_kind::string,
                                  [](wire_value r) { return detail::view_of(r.getString()); });
}
result<std::span<const std::byte>> event_view::bytes_at(std::size_t i) const {
  return scalar<std::span<const std::byte>>(*this, i, type_kind::bytes, [](wire_value r) {
    auto d = r.getBytes();
    return std::span<const std::byte>(reinterpret_cast<const std::byte*>(d.begin()), d.size());
  });
}
result<std::string_view> event_view::enum_at(std::size_t i) const {
  return scalar<std::string_view>(*this, i, type_kind::enumeration,
                                  [](wire_value r) { return detail::view_of(r.getEnum()); });
}
result<coop::model::address> event_view::address_at(std::size_t i) const {
  return scalar<coop::model::address>(*this, i, type_kind::address, [](wire_value r) {
    auto g = r.getAddress();
    return address_of(g.getHi(), g.getLo());
  });
}
result<coop::model::subnet> event_view::subnet_at(std::size_t i) const {
  // Subnets are validated (length, host bits) exactly as decode() does.
  auto v = field(i);
  if (!v) return v.err();
  if (auto* s = v->get_if<coop::model::subnet>()) return *s;
  return error{errc::invalid_argument,
               field_label(i) + ": holds " + std::string(to_string(v->kind())) + ", not subnet"};
}
result<coop::model::port> event_view::port_at(std::size_t i) const {
  auto v = field(i);
  if (!v) return v.err();
  if (auto* p = v->get_if<coop::model::port>()) return *p;
  return error{errc::invalid_argument,
               field_label(i) + ": holds " + std::string(to_string(v->kind())) + ", not port"};
}
result<timestamp> event_view::time_at(std::size_t i) const {
  return scalar<timestamp>(*this, i, type_kind::time,
                           [](wire_value r) { return timestamp{r.getTime()}; });
}
result<coop::model::interval> event_view::interval_at(std::size_t i) const {
  return scalar<coop::model::interval>(*this, i, type_kind::interval, [](wire_value r) {
    return coop::model::interval{r.getInterval()};
  });
}

result<value> event_view::field(std::size_t i) const {
  if (i >= size_) {
    return error{errc::not_found, field_label(i) + ": out of range (the message has " +
                                      std::to_string(size_) + " fields)"};
  }
  const auto& h = view_access::holder(*this);
  const detail::read_bounds b{detail::effective_nesting(h.limits), h.words};
  try {
    auto v =
        detail::read_value(view_access::fields(*this)[static_cast<unsigned>(i)], nullptr, 0, b);
    if (!v) return error{v.err().code, field_label(i) + v.err().message};
    return v;
  } catch (const kj::Exception& e) {
    return detail::from_exception(e, field_label(i));
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, field_label(i) + ": out of memory"};
  }
}

result<event> event_view::to_event(const registry& reg) const {
  const auto& h = view_access::holder(*this);
  const detail::read_bounds b{detail::effective_nesting(h.limits), h.words};
  detail::envelope env;
  env.type_name = type_name_;
  env.site = site_;
  env.sensor = sensor_;
  env.uid = uid_;
  env.version = version_;
  env.ts = ts_.ns;
  env.id_hi = id_.hi;
  env.id_lo = id_.lo;
  return detail::build_event(env, view_access::fields(*this), reg, b);
}

result<batch_view> batch_view::open(std::span<const std::byte> bytes, const decode_limits& limits) {
  if (auto total = detail::check_single_frame(bytes, limits); !total) return total.err();
  auto h = detail::open_message(bytes, limits);
  if (!h) return h.err();
  return view_access::make_batch(std::move(*h));
}

result<event_view> batch_view::at(std::size_t i) const {
  if (i >= events_) {
    return error{errc::not_found, "event " + std::to_string(i) + ": out of range (the batch has " +
                                      std::to_string(events_) + " events)"};
  }
  const auto& h = view_access::holder(*this);
  auto v = view_access::make(view_access::shared(*this), h.events[static_cast<unsigned>(i)]);
  if (!v) return error{v.err().code, "event " + std::to_string(i) + ": " + v.err().message};
  return v;
}

result<schema> batch_view::schema_at(std::size_t i) const {
  if (i >= schemas_) {
    return error{errc::not_found, "schema " + std::to_string(i) + ": out of range (the batch has " +
                                      std::to_string(schemas_) + " schemas)"};
  }
  const auto& h = view_access::holder(*this);
  const detail::read_bounds b{detail::effective_nesting(h.limits), h.words};
  return detail::read_schema(h.schemas[static_cast<unsigned>(i)], b);
}

}  // namespace coop::model
