// C API: events (envelope, field setters and getters, encoding, decoding).
#include <cstring>
#include <span>

#include "capi/handles.h"
#include "coop/model/json.h"

using coop::model::capi::fail;
using coop::model::capi::guarded;
namespace m = coop::model;

namespace {

// Finds `field` in the event's schema and checks its kind. Returns the field
// index through `idx`.
int locate_unguarded(const coop_event* ev, const char* field, m::type_kind kind, std::size_t& idx) {
  auto i = ev->ev.type().index_of(field);
  if (!i) {
    return fail(COOP_ENOTFOUND, ev->ev.type().name() + " has no field '" + field + "'");
  }
  const auto& f = ev->ev.type()[*i];
  if (kind != m::type_kind::none && f.ty.kind() != kind) {
    return fail(COOP_EINVAL, ev->ev.type().name() + "." + f.name + " is " + f.ty.to_string() +
                                 ", not " + std::string(m::to_string(kind)));
  }
  idx = *i;
  return COOP_OK;
}

int locate(const coop_event* ev, const char* field, m::type_kind kind, std::size_t& idx) noexcept {
  if (ev == nullptr || field == nullptr) return fail(COOP_EINVAL, "NULL event or field name");
  // Building the error message may allocate: keep exceptions inside.
  return guarded([&] { return locate_unguarded(ev, field, kind, idx); });
}

// Assigns `v` to the field, reusing the field's storage when the kind matches.
template <class T>
int set_field(coop_event* ev, const char* field, m::type_kind kind, T&& v) {
  std::size_t i = 0;
  if (int rc = locate(ev, field, kind, i); rc != COOP_OK) return rc;
  return guarded([&] {
    ev->ev.field(i).data() = std::forward<T>(v);
    return int{COOP_OK};
  });
}

std::string& buffer(std::string& s) { return s; }
std::string& buffer(m::bytes& b) { return b.data; }

// Stores `len` bytes from `p` in a string or bytes field (T), reusing the
// buffer the field already holds, so that no allocation is needed once it
// is large enough.
template <class T>
int set_buffer(coop_event* ev, const char* field, m::type_kind kind, const char* p,
               std::size_t len) {
  std::size_t i = 0;
  if (int rc = locate(ev, field, kind, i); rc != COOP_OK) return rc;
  return guarded([&] {
    auto& v = ev->ev.field(i);
    if (auto* held = std::get_if<T>(&v.data())) {
      buffer(*held).assign(p, len);
    } else {
      T fresh{};
      // Reuse the buffer coop_event_clear set aside for this field, if any.
      if (i < ev->spare.size()) buffer(fresh).swap(ev->spare[i]);
      buffer(fresh).assign(p, len);
      v = m::value{std::move(fresh)};
    }
    return int{COOP_OK};
  });
}

template <class T>
int get_field(const coop_event* ev, const char* field, m::type_kind kind, const T*& out) {
  std::size_t i = 0;
  if (int rc = locate(ev, field, kind, i); rc != COOP_OK) return rc;
  return guarded([&] {
    const auto& v = ev->ev.field(i);
    if (v.is_none()) return fail(COOP_EUNSET, ev->ev.type().name() + "." + field + " is unset");
    out = v.get_if<T>();
    return out ? int{COOP_OK} : fail(COOP_EINVAL, std::string(field) + " holds a different type");
  });
}

// What a scalar getter hands out for a field held as T: the value itself,
// or the nanoseconds of a time or an interval.
template <class T>
const T& raw(const T& v) {
  return v;
}
std::int64_t raw(const m::timestamp& t) { return t.ns; }
std::int64_t raw(const m::interval& i) { return i.ns; }

// The scalar getters: copies the field, held as a T, to the caller's `out`
// (a bool becomes 1 or 0).
template <class T, class Out>
int copy_field(const coop_event* ev, const char* field, m::type_kind kind, Out* out) {
  if (out == nullptr) return fail(COOP_EINVAL, "NULL out");
  const T* v = nullptr;
  int rc = get_field(ev, field, kind, v);
  if (rc == COOP_OK) *out = static_cast<Out>(raw(*v));
  return rc;
}

}  // namespace

extern "C" {

int coop_event_new(const coop_registry* reg, const char* type_name, coop_event** out) {
  if (reg == nullptr || type_name == nullptr || out == nullptr) {
    return fail(COOP_EINVAL, "coop_event_new: NULL argument");
  }
  *out = nullptr;
  return guarded([&] {
    auto s = reg->reg.find(type_name);
    if (!s) return fail(COOP_ENOTFOUND, std::string("unknown event type '") + type_name + "'");
    auto ev = std::make_unique<coop_event>();
    ev->ev = m::event(std::move(s));
    ev->ev.id = ev->ids.next();
    *out = ev.release();
    return int{COOP_OK};
  });
}

void coop_event_free(coop_event* ev) { delete ev; }

void coop_event_clear(coop_event* ev) {
  if (ev == nullptr || !ev->ev.has_type()) return;
  const auto& s = ev->ev.type();
  if (ev->spare.size() < s.size()) ev->spare.resize(s.size());  // once per handle
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto& v = ev->ev.field(i);
    // Set string and bytes buffers aside, so refilling reuses their capacity.
    if (auto* str = std::get_if<std::string>(&v.data())) {
      str->clear();
      if (str->capacity() > ev->spare[i].capacity()) ev->spare[i].swap(*str);
    } else if (auto* b = std::get_if<m::bytes>(&v.data())) {
      b->data.clear();
      if (b->data.capacity() > ev->spare[i].capacity()) ev->spare[i].swap(b->data);
    }
    if (s[i].default_value.is_none()) {
      v = m::value{};
    } else {
      v = s[i].default_value;
    }
  }
  ev->ev.ts = {};
  ev->ev.uid.clear();
  ev->ev.id = ev->ids.next();
}

const char* coop_event_type(const coop_event* ev) {
  return ev && ev->ev.has_type() ? ev->ev.type().name().c_str() : "";
}

int coop_event_validate(const coop_event* ev) {
  if (ev == nullptr) return fail(COOP_EINVAL, "NULL event");
  return guarded([&] {
    auto r = ev->ev.validate();
    return r ? int{COOP_OK} : fail(r.err());
  });
}

void coop_event_set_ts(coop_event* ev, int64_t ns) {
  if (ev) ev->ev.ts = m::timestamp{ns};
}

int64_t coop_event_ts(const coop_event* ev) { return ev ? ev->ev.ts.ns : 0; }

int coop_event_set_origin(coop_event* ev, const char* site, const char* sensor) {
  if (ev == nullptr) return fail(COOP_EINVAL, "NULL event");
  return guarded([&] {
    ev->ev.from.site = site ? site : "";
    ev->ev.from.sensor = sensor ? sensor : "";
    return int{COOP_OK};
  });
}

int coop_event_set_uid(coop_event* ev, const char* uid) {
  if (ev == nullptr) return fail(COOP_EINVAL, "NULL event");
  return guarded([&] {
    ev->ev.uid = uid ? uid : "";
    return int{COOP_OK};
  });
}

void coop_event_new_id(coop_event* ev) {
  if (ev) ev->ev.id = ev->ids.next();
}

int coop_event_set_bool(coop_event* ev, const char* field, int v) {
  return set_field(ev, field, m::type_kind::boolean, v != 0);
}
int coop_event_set_count(coop_event* ev, const char* field, uint64_t v) {
  return set_field(ev, field, m::type_kind::count, std::uint64_t{v});
}
int coop_event_set_int(coop_event* ev, const char* field, int64_t v) {
  return set_field(ev, field, m::type_kind::integer, std::int64_t{v});
}
int coop_event_set_real(coop_event* ev, const char* field, double v) {
  return set_field(ev, field, m::type_kind::real, v);
}
int coop_event_set_string(coop_event* ev, const char* field, const char* s, size_t len) {
  if (s == nullptr && len != 0) return fail(COOP_EINVAL, "NULL string with non-zero length");
  return set_buffer<std::string>(ev, field, m::type_kind::string, s ? s : "", len);
}
int coop_event_set_bytes(coop_event* ev, const char* field, const void* data, size_t len) {
  if (data == nullptr && len != 0) return fail(COOP_EINVAL, "NULL data with non-zero length");
  const char* p = data ? static_cast<const char*>(data) : "";
  return set_buffer<m::bytes>(ev, field, m::type_kind::bytes, p, len);
}
int coop_event_set_addr_v4(coop_event* ev, const char* field, uint32_t host_order) {
  return set_field(ev, field, m::type_kind::address, m::address::v4(host_order));
}
int coop_event_set_addr_v6(coop_event* ev, const char* field, const uint8_t bytes[16]) {
  if (bytes == nullptr) return fail(COOP_EINVAL, "NULL address bytes");
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), bytes, 16);
  return set_field(ev, field, m::type_kind::address, m::address::v6(b));
}
int coop_event_set_port(coop_event* ev, const char* field, uint16_t number, int transport) {
  if (transport < COOP_UNKNOWN || transport > COOP_ICMP) {
    return fail(COOP_EINVAL, "transport must be COOP_UNKNOWN, COOP_TCP, COOP_UDP or COOP_ICMP");
  }
  return set_field(ev, field, m::type_kind::port,
                   m::port{number, static_cast<m::transport>(transport)});
}
int coop_event_set_time(coop_event* ev, const char* field, int64_t ns) {
  return set_field(ev, field, m::type_kind::time, m::timestamp{ns});
}
int coop_event_set_interval(coop_event* ev, const char* field, int64_t ns) {
  return set_field(ev, field, m::type_kind::interval, m::interval{ns});
}
int coop_event_set_enum(coop_event* ev, const char* field, const char* label) {
  std::size_t i = 0;
  if (int rc = locate(ev, field, m::type_kind::enumeration, i); rc != COOP_OK) return rc;
  if (label == nullptr) return fail(COOP_EINVAL, "NULL enum label");
  const auto& ty = ev->ev.type()[i].ty;
  if (ty.index_of(label) < 0) {
    return fail(COOP_EINVAL, std::string("'") + label + "' is not a label of " + ty.to_string());
  }
  return guarded([&] {
    ev->ev.field(i) = m::value{m::enum_value{label}};
    return int{COOP_OK};
  });
}
int coop_event_set_text(coop_event* ev, const char* field, const char* text) {
  std::size_t i = 0;
  if (int rc = locate(ev, field, m::type_kind::none, i); rc != COOP_OK) return rc;
  if (text == nullptr) return fail(COOP_EINVAL, "NULL text");
  return guarded([&] {
    const auto& f = ev->ev.type()[i];
    auto v = m::value::parse(text, f.ty);
    if (!v) return fail(COOP_EINVAL, ev->ev.type().name() + "." + f.name + ": " + v.err().message);
    ev->ev.field(i) = std::move(*v);
    return int{COOP_OK};
  });
}
int coop_event_unset(coop_event* ev, const char* field) {
  std::size_t i = 0;
  if (int rc = locate(ev, field, m::type_kind::none, i); rc != COOP_OK) return rc;
  if (!ev->ev.type()[i].optional) {
    return fail(COOP_EINVAL, ev->ev.type().name() + "." + field + " is required and cannot be unset");
  }
  ev->ev.field(i) = m::value{};
  return COOP_OK;
}

int coop_event_get_bool(const coop_event* ev, const char* field, int* out) {
  return copy_field<bool>(ev, field, m::type_kind::boolean, out);
}
int coop_event_get_count(const coop_event* ev, const char* field, uint64_t* out) {
  return copy_field<std::uint64_t>(ev, field, m::type_kind::count, out);
}
int coop_event_get_int(const coop_event* ev, const char* field, int64_t* out) {
  return copy_field<std::int64_t>(ev, field, m::type_kind::integer, out);
}
int coop_event_get_real(const coop_event* ev, const char* field, double* out) {
  return copy_field<double>(ev, field, m::type_kind::real, out);
}
int coop_event_get_string(const coop_event* ev, const char* field, const char** data, size_t* len) {
  if (data == nullptr || len == nullptr) return fail(COOP_EINVAL, "NULL out");
  std::size_t i = 0;
  if (int rc = locate(ev, field, m::type_kind::none, i); rc != COOP_OK) return rc;
  const auto& v = ev->ev.field(i);
  if (v.is_none()) return fail(COOP_EUNSET, ev->ev.type().name() + "." + field + " is unset");
  const std::string* s = nullptr;
  if (auto* str = v.get_if<std::string>()) s = str;
  else if (auto* b = v.get_if<m::bytes>()) s = &b->data;
  else if (auto* e = v.get_if<m::enum_value>()) s = &e->label;
  if (s == nullptr) return fail(COOP_EINVAL, std::string(field) + " is not a string, bytes or enum");
  *data = s->data();
  *len = s->size();
  return COOP_OK;
}
int coop_event_get_port(const coop_event* ev, const char* field, uint16_t* number, int* transport) {
  const m::port* v = nullptr;
  if (number == nullptr || transport == nullptr) return fail(COOP_EINVAL, "NULL out");
  int rc = get_field(ev, field, m::type_kind::port, v);
  if (rc == COOP_OK) {
    *number = v->number;
    *transport = static_cast<int>(v->proto);
  }
  return rc;
}
int coop_event_get_text(coop_event* ev, const char* field, const char** text) {
  if (text == nullptr) return fail(COOP_EINVAL, "NULL out");
  std::size_t i = 0;
  if (int rc = locate(ev, field, m::type_kind::none, i); rc != COOP_OK) return rc;
  return guarded([&] {
    ev->text = ev->ev.field(i).to_string();
    *text = ev->text.c_str();
    return int{COOP_OK};
  });
}

int coop_event_get_addr(const coop_event* ev, const char* field, uint8_t bytes[16], int* is_v4) {
  const m::address* v = nullptr;
  if (bytes == nullptr || is_v4 == nullptr) return fail(COOP_EINVAL, "NULL out");
  int rc = get_field(ev, field, m::type_kind::address, v);
  if (rc == COOP_OK) {
    std::memcpy(bytes, v->bytes().data(), 16);
    *is_v4 = v->is_v4() ? 1 : 0;
  }
  return rc;
}
int coop_event_get_time(const coop_event* ev, const char* field, int64_t* ns) {
  return copy_field<m::timestamp>(ev, field, m::type_kind::time, ns);
}
int coop_event_get_interval(const coop_event* ev, const char* field, int64_t* ns) {
  return copy_field<m::interval>(ev, field, m::type_kind::interval, ns);
}
const char* coop_event_uid(const coop_event* ev) { return ev ? ev->ev.uid.c_str() : ""; }
const char* coop_event_site(const coop_event* ev) { return ev ? ev->ev.from.site.c_str() : ""; }
const char* coop_event_sensor(const coop_event* ev) { return ev ? ev->ev.from.sensor.c_str() : ""; }

int coop_event_encode(coop_event* ev, const uint8_t** data, size_t* len) {
  if (ev == nullptr || data == nullptr || len == nullptr) return fail(COOP_EINVAL, "NULL argument");
  return guarded([&] {
    auto bytes = ev->enc.encode(ev->ev);
    if (!bytes) return fail(bytes.err());
    *data = reinterpret_cast<const uint8_t*>(bytes->data());
    *len = bytes->size();
    return int{COOP_OK};
  });
}

int coop_event_to_json(coop_event* ev, const char** data, size_t* len) {
  if (ev == nullptr || data == nullptr || len == nullptr) return fail(COOP_EINVAL, "NULL argument");
  return guarded([&] {
    ev->json.clear();
    if (auto r = m::to_json(ev->ev, ev->json); !r) return fail(r.err());
    *data = ev->json.data();
    *len = ev->json.size();
    return int{COOP_OK};
  });
}

int coop_event_decode(const coop_registry* reg, const uint8_t* data, size_t len, coop_event** out) {
  if (reg == nullptr || (data == nullptr && len != 0) || out == nullptr) {
    return fail(COOP_EINVAL, "coop_event_decode: NULL argument");
  }
  *out = nullptr;
  return guarded([&] {
    auto bytes = std::as_bytes(std::span<const std::uint8_t>(data, len));
    auto e = m::decode(bytes, reg->reg);
    if (!e) return fail(e.err());
    auto ev = std::make_unique<coop_event>();
    ev->ev = std::move(*e);
    *out = ev.release();
    return int{COOP_OK};
  });
}

int coop_event_from_json(const coop_registry* reg, const char* json, size_t len, coop_event** out) {
  if (reg == nullptr || (json == nullptr && len != 0) || out == nullptr) {
    return fail(COOP_EINVAL, "coop_event_from_json: NULL argument");
  }
  *out = nullptr;
  return guarded([&] {
    auto e = m::from_json(std::string_view(json ? json : "", len), reg->reg);
    if (!e) return fail(e.err());
    auto ev = std::make_unique<coop_event>();
    ev->ev = std::move(*e);
    *out = ev.release();
    return int{COOP_OK};
  });
}

}  // extern "C"
