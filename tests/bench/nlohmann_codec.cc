// nlohmann-json encoding of events, the baseline of the codec ratios. It
// uses the library's ordinary API (operator[], dump, parse, get<T>) with
// no tricks in either direction, and the same Coop text helpers
// (address::parse, port::to_string, ...) a user would call.
#include "nlohmann_codec.h"

#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coop/model/address.h"
#include "coop/model/time.h"
#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::bench {
namespace {

using nlohmann::json;
namespace m = coop::model;

std::string hex(const std::string& raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

std::string unhex(const std::string& text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::runtime_error("bad hex digit");
  };
  if (text.size() % 2) throw std::runtime_error("odd hex length");
  std::string raw(text.size() / 2, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i)
    raw[i] = static_cast<char>(nibble(text[2 * i]) * 16 + nibble(text[2 * i + 1]));
  return raw;
}

template <class T>
T parsed(m::result<T> r) {
  if (!r) throw std::runtime_error(r.err().message);
  return std::move(r).value();
}

json to_json(const m::value& v) {
  switch (v.kind()) {
    case m::type_kind::none: return nullptr;
    case m::type_kind::boolean: return v.get<bool>();
    case m::type_kind::count: return v.get<std::uint64_t>();
    case m::type_kind::integer: return v.get<std::int64_t>();
    case m::type_kind::real: return v.get<double>();
    case m::type_kind::string: return v.get<std::string>();
    case m::type_kind::bytes: return hex(v.get<m::bytes>().data);
    case m::type_kind::address: return v.get<m::address>().to_string();
    case m::type_kind::subnet: return v.get<m::subnet>().to_string();
    case m::type_kind::port: return v.get<m::port>().to_string();
    case m::type_kind::time: return v.get<m::timestamp>().ns;
    case m::type_kind::interval: return v.get<m::interval>().ns;
    case m::type_kind::enumeration: return v.get<m::enum_value>().label;
    case m::type_kind::set: {
      json a = json::array();
      for (const auto& x : v.get<m::set_value>().elements) a.push_back(to_json(x));
      return a;
    }
    case m::type_kind::vector: {
      json a = json::array();
      for (const auto& x : v.get<m::vector_value>().elements) a.push_back(to_json(x));
      return a;
    }
    case m::type_kind::table: {
      const auto& t = v.get<m::table_value>();
      json a = json::array();
      for (std::size_t i = 0; i < t.keys.size(); ++i)
        a.push_back(json::array({to_json(t.keys[i]), to_json(t.mapped[i])}));
      return a;
    }
    case m::type_kind::record: {
      json a = json::array();
      for (const auto& x : v.get<m::record_value>().fields) a.push_back(to_json(x));
      return a;
    }
  }
  throw std::runtime_error("unknown value kind");
}

m::value from_json(const json& j, const m::type& t) {
  if (j.is_null()) return m::none;
  switch (t.kind()) {
    case m::type_kind::none: return m::none;
    case m::type_kind::boolean: return j.get<bool>();
    case m::type_kind::count: return j.get<std::uint64_t>();
    case m::type_kind::integer: return j.get<std::int64_t>();
    case m::type_kind::real: return j.get<double>();
    case m::type_kind::string: return j.get<std::string>();
    case m::type_kind::bytes: return m::bytes{unhex(j.get<std::string>())};
    case m::type_kind::address: return parsed(m::address::parse(j.get<std::string>()));
    case m::type_kind::subnet: return parsed(m::subnet::parse(j.get<std::string>()));
    case m::type_kind::port: return parsed(m::port::parse(j.get<std::string>()));
    case m::type_kind::time: return m::timestamp{j.get<std::int64_t>()};
    case m::type_kind::interval: return m::interval{j.get<std::int64_t>()};
    case m::type_kind::enumeration: {
      auto label = j.get<std::string>();
      if (t.index_of(label) < 0) throw std::runtime_error("unknown enum label " + label);
      return m::enum_value{std::move(label)};
    }
    case m::type_kind::set: {
      std::vector<m::value> xs;
      for (const auto& x : j) xs.push_back(from_json(x, t.element()));
      return m::value::make_set(std::move(xs));
    }
    case m::type_kind::vector: {
      m::vector_value vv;
      for (const auto& x : j) vv.elements.push_back(from_json(x, t.element()));
      return vv;
    }
    case m::type_kind::table: {
      std::vector<std::pair<m::value, m::value>> kv;
      for (const auto& x : j)
        kv.emplace_back(from_json(x.at(0), t.element()), from_json(x.at(1), t.mapped()));
      return m::value::make_table(std::move(kv));
    }
    case m::type_kind::record: {
      m::record_value r;
      const auto& types = t.params();
      if (j.size() != types.size()) throw std::runtime_error("record arity");
      for (std::size_t i = 0; i < types.size(); ++i) r.fields.push_back(from_json(j[i], types[i]));
      return r;
    }
  }
  throw std::runtime_error("unknown type kind");
}

}  // namespace

std::string nlohmann_encode(const m::event& e) {
  json j;
  j["type"] = e.type().name();
  j["version"] = e.type().version();
  j["ts"] = e.ts.ns;
  j["id"] = e.id.to_string();
  j["site"] = e.from.site;
  j["sensor"] = e.from.sensor;
  if (!e.uid.empty()) j["uid"] = e.uid;
  json& fields = j["fields"] = json::object();
  const auto& s = e.type();
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!e.field(i).is_none()) fields[s[i].name] = to_json(e.field(i));
  }
  return j.dump();
}

void nlohmann_decode_into(std::string_view text, const m::registry& types, m::event& e) {
  const json j = json::parse(text);
  auto schema = types.find(j.at("type").get<std::string>(), j.at("version").get<std::uint32_t>());
  if (!schema) throw std::runtime_error("unknown event type");
  if (e.schema_ptr() != schema) e = m::event(schema);
  e.ts = m::timestamp{j.at("ts").get<std::int64_t>()};
  e.id = parsed(m::event_id::parse(j.at("id").get<std::string>()));
  e.from.site = j.at("site").get<std::string>();
  e.from.sensor = j.at("sensor").get<std::string>();
  if (auto uid = j.find("uid"); uid != j.end()) {
    e.uid = uid->get<std::string>();
  } else {
    e.uid.clear();
  }
  const json& fields = j.at("fields");
  const auto& s = *schema;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (auto f = fields.find(s[i].name); f != fields.end()) {
      e.field(i) = from_json(*f, s[i].ty);
    } else {
      e.field(i) = s[i].default_value;  // what a fresh event(schema) holds
    }
  }
  // The same guarantee Coop's decoders give: required fields present,
  // values of the declared types.
  if (auto ok = e.validate(); !ok) throw std::runtime_error(ok.err().message);
}

m::event nlohmann_decode(std::string_view text, const m::registry& types) {
  m::event e;
  nlohmann_decode_into(text, types, e);
  return e;
}

}  // namespace coop::bench
