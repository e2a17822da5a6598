// The zero-copy read path: event_view and batch_view read a parsed message
// in place. A view keeps the message (and its capnp reader) alive through a
// shared message_holder and caches the envelope and the field list reader.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "codec/wire.h"

namespace coop::model {
namespace detail {

using value_list = capnp::List<wire::Value>::Reader;
static_assert(std::is_trivially_copyable_v<value_list>);

struct view_access {
  static_assert(sizeof(value_list) <= sizeof(event_view::nested_));

  static value_list nested(const event_view& v) noexcept {
    value_list l;
    std::memcpy(static_cast<void*>(&l), v.nested_, sizeof l);
    return l;
  }

  static dense_fields dense(const event_view& v) noexcept {
    return dense_fields{v.kinds_, v.size_, v.payload_, v.payload_size_, nested(v)};
  }

  // The slot of field `i` (< size()), walking from the nearest cached
  // offset; `nested_index` is its index in `nested` if it is a container.
  static result<slot> locate(const event_view& v, std::size_t i, unsigned& nested_index) {
    std::size_t j = v.walked_ == 0 ? 0 : std::min(i, v.walked_ - 1);
    std::size_t pos = j < v.walked_ ? v.offsets_[j] : 0;
    slot s;
    for (; j <= i; ++j) {
      const std::size_t at = pos;
      if (auto why = read_slot(v.kinds_[j], v.payload_, v.payload_size_, pos, s);
          why != slot_error::none) {
        return prefixed("field " + std::to_string(j), slot_failure(why, s, at, v.payload_size_));
      }
    }
    nested_index = 0;
    for (std::size_t k = 0; k < i; ++k) nested_index += is_nested_kind(v.kinds_[k] & 31u) ? 1 : 0;
    return s;
  }

  // A view of `r`, which lives in the message `msg` holds.
  static result<event_view> make(std::shared_ptr<const message_holder> msg, wire::Event::Reader r) {
    event_view v;
    try {
      const envelope env = read_envelope(r);
      const dense_fields d = read_dense(r);
      std::memcpy(v.nested_, static_cast<const void*>(&d.nested), sizeof d.nested);
      v.kinds_ = d.kinds;
      v.payload_ = d.payload;
      v.payload_size_ = d.payload_size;
      v.size_ = d.count;
      v.type_name_ = env.type_name;
      v.site_ = env.site;
      v.sensor_ = env.sensor;
      v.uid_ = env.uid;
      v.version_ = env.version;
      v.ts_ = timestamp{env.ts};
      v.id_ = event_id{env.id_hi, env.id_lo};
    } catch (const kj::Exception& e) {
      return from_exception(e, "event envelope");
    }
    // Cache where the first fields start, up to the first unreadable one
    // (whose accessor then reports why).
    std::size_t pos = 0;
    for (std::size_t j = 0; j < std::min(v.size_, event_view::cached_offsets); ++j) {
      v.offsets_[j] = static_cast<std::uint32_t>(pos);
      v.walked_ = j + 1;
      slot s;
      if (read_slot(v.kinds_[j], v.payload_, v.payload_size_, pos, s) != slot_error::none) break;
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
using detail::prefixed;

std::string field_label(std::size_t i) { return "field " + std::to_string(i); }

error out_of_range(std::size_t i, std::size_t n) {
  return error{errc::not_found, field_label(i) + ": out of range (the message has " +
                                    std::to_string(n) + " fields)"};
}

// The slot of field `i` if it holds kind `want`.
result<detail::slot> slot_of(const event_view& v, std::size_t i, type_kind want) {
  if (i >= v.size()) return out_of_range(i, v.size());
  unsigned nested = 0;
  auto s = view_access::locate(v, i, nested);
  if (!s) return s.err();
  if (s->kind != static_cast<unsigned>(want)) {
    return error{errc::invalid_argument,
                 field_label(i) + ": holds " +
                     std::string(to_string(static_cast<type_kind>(s->kind))) + ", not " +
                     std::string(to_string(want))};
  }
  return s;
}

// Field `i` materialised if it holds the non-container kind of T.
template <class T>
result<T> scalar(const event_view& v, std::size_t i, type_kind want) {
  auto s = slot_of(v, i, want);
  if (!s) return s.err();
  value out;
  if (auto r = detail::slot_value(*s, out); !r) return prefixed(field_label(i), r.err());
  return *out.get_if<T>();
}

std::string_view text_of_slot(const detail::slot& s) {
  return {reinterpret_cast<const char*>(s.data), s.size};
}

}  // namespace

result<event_view> event_view::open(std::span<const std::byte> bytes, const decode_limits& limits) {
  if (auto total = detail::check_single_frame(bytes, limits); !total) return total.err();
  return detail::open_event_view(bytes, limits, {});
}

result<type_kind> event_view::field_kind(std::size_t i) const {
  if (i >= size_) return out_of_range(i, size_);
  unsigned nested = 0;
  auto s = view_access::locate(*this, i, nested);
  if (!s) return s.err();
  return static_cast<type_kind>(s->kind);
}

result<bool> event_view::boolean_at(std::size_t i) const {
  return scalar<bool>(*this, i, type_kind::boolean);
}
result<std::uint64_t> event_view::count_at(std::size_t i) const {
  return scalar<std::uint64_t>(*this, i, type_kind::count);
}
result<std::int64_t> event_view::integer_at(std::size_t i) const {
  return scalar<std::int64_t>(*this, i, type_kind::integer);
}
result<double> event_view::real_at(std::size_t i) const {
  return scalar<double>(*this, i, type_kind::real);
}
result<std::string_view> event_view::string_at(std::size_t i) const {
  auto s = slot_of(*this, i, type_kind::string);
  if (!s) return s.err();
  return text_of_slot(*s);
}
result<std::span<const std::byte>> event_view::bytes_at(std::size_t i) const {
  auto s = slot_of(*this, i, type_kind::bytes);
  if (!s) return s.err();
  return std::span<const std::byte>(reinterpret_cast<const std::byte*>(s->data), s->size);
}
result<std::string_view> event_view::enum_at(std::size_t i) const {
  auto s = slot_of(*this, i, type_kind::enumeration);
  if (!s) return s.err();
  return text_of_slot(*s);
}
result<coop::model::address> event_view::address_at(std::size_t i) const {
  return scalar<coop::model::address>(*this, i, type_kind::address);
}
result<coop::model::subnet> event_view::subnet_at(std::size_t i) const {
  return scalar<coop::model::subnet>(*this, i, type_kind::subnet);
}
result<coop::model::port> event_view::port_at(std::size_t i) const {
  return scalar<coop::model::port>(*this, i, type_kind::port);
}
result<timestamp> event_view::time_at(std::size_t i) const {
  return scalar<timestamp>(*this, i, type_kind::time);
}
result<coop::model::interval> event_view::interval_at(std::size_t i) const {
  return scalar<coop::model::interval>(*this, i, type_kind::interval);
}

result<value> event_view::field(std::size_t i) const {
  if (i >= size_) return out_of_range(i, size_);
  unsigned nested = 0;
  auto s = view_access::locate(*this, i, nested);
  if (!s) return s.err();
  try {
    if (!detail::is_nested_kind(s->kind)) {
      value out;
      if (auto r = detail::slot_value(*s, out); !r) return prefixed(field_label(i), r.err());
      return out;
    }
    const auto list = view_access::nested(*this);
    if (nested >= list.size()) {
      return error{errc::corruption,
                   field_label(i) + ": nested value " + std::to_string(nested) + " is missing"};
    }
    const auto& h = view_access::holder(*this);
    const detail::read_bounds b{detail::effective_nesting(h.limits), h.words};
    auto v = detail::read_value(list[nested], nullptr, 0, b);
    if (!v) return error{v.err().code, field_label(i) + v.err().message};
    if (static_cast<unsigned>(v->kind()) != s->kind) {
      return error{errc::corruption, field_label(i) + ": nested value " + std::to_string(nested) +
                                         " is a " + std::string(to_string(v->kind())) +
                                         ", its kind byte says " +
                                         std::string(to_string(static_cast<type_kind>(s->kind)))};
    }
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
  event e;
  if (auto r = detail::build_event(env, view_access::dense(*this), reg, b, e); !r) return r.err();
  return e;
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
