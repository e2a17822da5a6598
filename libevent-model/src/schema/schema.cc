// schema: validation and the evolution rules between versions.
#include "coop/model/schema.h"

namespace coop::model {
namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > max_name_length) return false;
  if (!((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_')) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

// Checks a field type built in code (type::parse already enforces this for
// text): bounded depth, well-formed containers, labels and names.
result<void> check_type(const type& t, const std::string& where, unsigned depth) {
  auto bad = [&](const std::string& why) {
    return error{errc::invalid_argument, where + ": " + why};
  };
  if (depth > max_type_depth) return bad("type nested deeper than " + std::to_string(max_type_depth));
  switch (t.kind()) {
    case type_kind::set:
    case type_kind::vector:
    case type_kind::table: {
      std::size_t want = t.kind() == type_kind::table ? 2 : 1;
      if (t.params().size() != want) return bad(std::string(to_string(t.kind())) + " without element type");
      for (const auto& p : t.params()) {
        if (p.kind() == type_kind::none) return bad("container of none");
        if (auto r = check_type(p, where, depth + 1); !r) return r;
      }
      return {};
    }
    case type_kind::enumeration:
      if (t.names().empty()) return bad("enum without labels");
      for (std::size_t i = 0; i < t.names().size(); ++i) {
        if (t.names()[i].empty()) return bad("empty enum label");
        for (std::size_t j = 0; j < i; ++j) {
          if (t.names()[i] == t.names()[j]) return bad("duplicate enum label '" + t.names()[i] + "'");
        }
      }
      return {};
    case type_kind::record:
      if (t.names().size() != t.params().size()) return bad("malformed record type");
      for (std::size_t i = 0; i < t.names().size(); ++i) {
        if (!valid_name(t.names()[i])) return bad("invalid record field name '" + t.names()[i] + "'");
        if (t.params()[i].kind() == type_kind::none) return bad("record field of type none");
        if (auto r = check_type(t.params()[i], where + "." + t.names()[i], depth + 1); !r) return r;
      }
      return {};
    default:
      if (!t.params().empty() || !t.names().empty()) return bad("malformed scalar type");
      return {};
  }
}

}  // namespace

schema::schema(std::string name, std::uint32_t version, std::vector<field> fields, std::string doc)
    : name_(std::move(name)), version_(version), fields_(std::move(fields)), doc_(std::move(doc)) {}

std::optional<std::size_t> schema::index_of(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return i;
  }
  return std::nullopt;
}

result<void> schema::validate() const {
  if (!valid_name(name_)) {
    return error{errc::invalid_argument,
                 "invalid event type name '" + name_ + "': use [a-z_][a-z0-9_.]*, at most " +
                     std::to_string(max_name_length) + " characters"};
  }
  if (version_ == 0) return error{errc::invalid_argument, name_ + ": version must be at least 1"};
  if (fields_.size() > max_fields) {
    return error{errc::overloaded, name_ + ": " + std::to_string(fields_.size()) +
                                       " fields, at most " + std::to_string(max_fields) + " allowed"};
  }
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const auto& f = fields_[i];
    if (!valid_name(f.name)) {
      return error{errc::invalid_argument,
                   name_ + ": invalid field name '" + f.name + "' (field " + std::to_string(i) + ")"};
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (fields_[j].name == f.name) {
        return error{errc::invalid_argument, name_ + "." + f.name + ": duplicate field name"};
      }
    }
    if (f.ty.kind() == type_kind::none) {
      return error{errc::invalid_argument, name_ + "." + f.name + ": a field cannot have type none"};
    }
    if (auto r = check_type(f.ty, name_ + "." + f.name, 0); !r) return r;
    if (!f.default_value.conforms(f.ty)) {
      return error{errc::invalid_argument, name_ + "." + f.name + ": default " +
                                               f.default_value.to_string() + " is not a " +
                                               f.ty.to_string()};
    }
  }
  return {};
}

result<void> schema::check_evolution(const schema& newer) const {
  if (newer.name_ != name_) {
    return error{errc::incompatible, "cannot evolve " + name_ + " into " + newer.name_};
  }
  const schema& older = newer.version_ >= version_ ? *this : newer;
  const schema& younger = newer.version_ >= version_ ? newer : *this;
  std::string where = name_ + " v" + std::to_string(older.version_) + " -> v" +
                      std::to_string(younger.version_);
  if (younger.fields_.size() < older.fields_.size()) {
    return error{errc::incompatible, where + ": field '" + older.fields_[younger.fields_.size()].name +
                                         "' was removed; fields may only be appended"};
  }
  for (std::size_t i = 0; i < older.fields_.size(); ++i) {
    const auto& a = older.fields_[i];
    const auto& b = younger.fields_[i];
    if (a.name != b.name) {
      return error{errc::incompatible, where + ": field " + std::to_string(i) + " '" + a.name +
                                           "' became '" + b.name + "'; fields may only be appended"};
    }
    if (!(a.ty == b.ty)) {
      return error{errc::incompatible, where + ": field '" + a.name + "' changed type from " +
                                           a.ty.to_string() + " to " + b.ty.to_string()};
    }
    if (a.optional && !b.optional) {
      return error{errc::incompatible,
                   where + ": field '" + a.name + "' became required; older data may lack it"};
    }
    if (!a.optional && b.optional && b.default_value.is_none()) {
      return error{errc::incompatible, where + ": field '" + a.name +
                                           "' became optional without a default; older readers "
                                           "require it"};
    }
    // A default may be added (e.g. to let a required field become optional)
    // but never changed or removed: readers would fill different values.
    if (!a.default_value.is_none() && !(a.default_value == b.default_value)) {
      return error{errc::incompatible, where + ": field '" + a.name + "' changed its default from " +
                                           a.default_value.to_string() + " to " +
                                           b.default_value.to_string()};
    }
  }
  for (std::size_t i = older.fields_.size(); i < younger.fields_.size(); ++i) {
    const auto& f = younger.fields_[i];
    if (!f.optional && f.default_value.is_none()) {
      return error{errc::incompatible, where + ": appended field '" + f.name +
                                           "' must be optional or have a default"};
    }
  }
  return {};
}

result<std::shared_ptr<const schema>> registry::add(schema s) {
  if (auto v = s.validate(); !v) return v.err();
  auto found = types_.find(s.name());
  if (found == types_.end() && count_ >= max_types) {
    return error{errc::overloaded, "registry full: at most " + std::to_string(max_types) + " types"};
  }
  std::map<std::uint32_t, std::shared_ptr<const schema>> no_versions;
  auto& known = found != types_.end() ? found->second : no_versions;
  if (auto it = known.find(s.version()); it != known.end()) {
    if (*it->second == s) return it->second;
    return error{errc::incompatible, s.name() + " v" + std::to_string(s.version()) +
                                         " is already registered with different fields"};
  }
  // Check against the closest neighbours so every adjacent pair is compatible.
  auto next = known.upper_bound(s.version());
  if (next != known.end()) {
    if (auto r = s.check_evolution(*next->second); !r) return r.err();
  }
  if (next != known.begin()) {
    auto prev = std::prev(next);
    if (auto r = prev->second->check_evolution(s); !r) return r.err();
  }
  if (count_ >= max_types) {
    return error{errc::overloaded, "registry full: at most " + std::to_string(max_types) + " types"};
  }
  auto held = std::make_shared<const schema>(std::move(s));
  types_[held->name()].emplace(held->version(), held);
  ++count_;
  return held;
}

std::shared_ptr<const schema> registry::find(std::string_view name) const {
  auto it = types_.find(name);
  if (it == types_.end() || it->second.empty()) return nullptr;
  return it->second.rbegin()->second;
}

std::shared_ptr<const schema> registry::find(std::string_view name, std::uint32_t version) const {
  auto it = types_.find(name);
  if (it == types_.end()) return nullptr;
  auto v = it->second.find(version);
  return v == it->second.end() ? nullptr : v->second;
}

std::vector<std::shared_ptr<const schema>> registry::newest() const {
  std::vector<std::shared_ptr<const schema>> out;
  for (const auto& [name, known] : types_) {
    if (!known.empty()) out.push_back(known.rbegin()->second);
  }
  return out;
}

std::vector<std::shared_ptr<const schema>> registry::versions(std::string_view name) const {
  std::vector<std::shared_ptr<const schema>> out;
  auto it = types_.find(name);
  if (it == types_.end()) return out;
  for (const auto& [version, s] : it->second) out.push_back(s);
  return out;
}

std::size_t registry::size() const noexcept { return count_; }

}  // namespace coop::model
