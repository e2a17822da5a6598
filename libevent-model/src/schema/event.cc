// event and event ids.
#include "coop/model/event.h"

#include <cassert>
#include <charconv>
#include <cstdint>
#include <random>

namespace coop::model {

std::string event_id::to_string() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = hex[(hi >> (4 * i)) & 15];
    out[static_cast<std::size_t>(31 - i)] = hex[(lo >> (4 * i)) & 15];
  }
  return out;
}

result<event_id> event_id::parse(std::string_view text) {
  event_id id;
  auto bad = [&] {
    return error{errc::invalid_argument, "invalid event id '" + std::string(text.substr(0, 64)) +
                                             "': expected 32 hex digits"};
  };
  if (text.size() != 32) return bad();
  auto r1 = std::from_chars(text.data(), text.data() + 16, id.hi, 16);
  auto r2 = std::from_chars(text.data() + 16, text.data() + 32, id.lo, 16);
  if (r1.ptr != text.data() + 16 || r2.ptr != text.data() + 32) return bad();
  return id;
}

id_generator::id_generator() {
  std::random_device rd;
  hi_ = (std::uint64_t{rd()} << 32) ^ rd();
}

event::event(std::shared_ptr<const schema> s) : schema_(std::move(s)) {
  fields_.reserve(schema_->size());
  for (const auto& f : schema_->fields()) fields_.push_back(f.default_value);
}

void event::retype(std::shared_ptr<const schema> s) {
  assert(s != nullptr);
  fields_.resize(s->size());
  schema_ = std::move(s);
}

const value* event::get(std::string_view name) const noexcept {
  if (!schema_) return nullptr;
  auto i = schema_->index_of(name);
  return i ? &fields_[*i] : nullptr;
}

result<void> event::set(std::string_view name, value v) {
  if (!schema_) return error{errc::invalid_argument, "event has no type"};
  auto i = schema_->index_of(name);
  if (!i) {
    return error{errc::not_found, schema_->name() + " has no field '" + std::string(name) + "'"};
  }
  const auto& f = (*schema_)[*i];
  // Integer literals are ints in C++; convert where the value fits.
  if (f.ty.kind() == type_kind::count && v.is<std::int64_t>() && v.get<std::int64_t>() >= 0) {
    v = value{static_cast<std::uint64_t>(v.get<std::int64_t>())};
  } else if (f.ty.kind() == type_kind::integer && v.is<std::uint64_t>() &&
             v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
    v = value{static_cast<std::int64_t>(v.get<std::uint64_t>())};
  }
  if (!v.conforms(f.ty)) {
    return error{errc::invalid_argument, schema_->name() + "." + f.name + ": expected " +
                                             f.ty.to_string() + ", got " +
                                             std::string(to_string(v.kind()))};
  }
  fields_[*i] = std::move(v);
  return {};
}

result<void> event::validate() const {
  if (!schema_) return error{errc::invalid_argument, "event has no type"};
  if (fields_.size() != schema_->size()) {
    return error{errc::invalid_argument, schema_->name() + ": event has " +
                                             std::to_string(fields_.size()) + " fields, schema " +
                                             std::to_string(schema_->size())};
  }
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const auto& f = (*schema_)[i];
    const auto& v = fields_[i];
    if (v.is_none()) {
      if (!f.optional) {
        return error{errc::invalid_argument, schema_->name() + "." + f.name + ": required field is unset"};
      }
      continue;
    }
    if (!v.conforms(f.ty)) {
      return error{errc::invalid_argument, schema_->name() + "." + f.name + ": expected " +
                                               f.ty.to_string() + ", got " +
                                               std::string(to_string(v.kind()))};
    }
  }
  return {};
}

bool operator==(const event& a, const event& b) {
  if ((a.schema_ == nullptr) != (b.schema_ == nullptr)) return false;
  if (a.schema_ && (a.schema_->name() != b.schema_->name() ||
                    a.schema_->version() != b.schema_->version()))
    return false;
  return a.ts == b.ts && a.id == b.id && a.from == b.from && a.uid == b.uid &&
         a.fields_ == b.fields_;
}

}  // namespace coop::model
