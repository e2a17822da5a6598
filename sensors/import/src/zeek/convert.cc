#include "zeek/convert.h"

#include <cstring>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "scan/scalars.h"

namespace coop::importer::zeek {

namespace model = coop::model;
using model::type_kind;

std::string_view enum_label(std::string_view text) noexcept {
  const auto colons = text.rfind("::");
  return colons == std::string_view::npos ? text : text.substr(colons + 2);
}

void assign(model::value& dst, const model::value& src) {
  if (dst.is<std::string>() && src.is<std::string>()) {
    dst.get<std::string>().assign(src.get<std::string>());
  } else {
    dst = src;
  }
}

namespace {

std::string& string_slot(model::value& out) {
  if (!out.is<std::string>()) out = std::string();
  auto& s = out.get<std::string>();
  s.clear();
  return s;
}

bool enum_from(std::string_view text, const model::type& t, model::value& out, std::string& why) {
  const std::string_view label = enum_label(text);
  if (t.index_of(label) < 0) {
    why = "'" + std::string(text) + "' is not one of the labels of " + t.to_string();
    return false;
  }
  if (out.is<model::enum_value>()) {
    out.get<model::enum_value>().label.assign(label);
  } else {
    out = model::enum_value{std::string(label)};
  }
  return true;
}

std::string expected(std::string_view raw, const model::type& t) {
  std::string shown(raw.substr(0, 64));
  return "'" + shown + (raw.size() > 64 ? "...'" : "'") + " is not a valid " + t.to_string();
}

// One scalar from TSV text (escaped).
bool scalar_text(std::string_view raw, const model::type& t, model::value& out, std::string& why) {
  switch (t.kind()) {
    case type_kind::string:
      scan::unescape_zeek(raw, string_slot(out));
      return true;
    case type_kind::boolean:
      if (raw == "T" || raw == "F") {
        out = raw == "T";
        return true;
      }
      break;
    case type_kind::count: {
      std::uint64_t v = 0;
      if (scan::parse_u64(raw, v)) {
        out = v;
        return true;
      }
      break;
    }
    case type_kind::integer: {
      std::int64_t v = 0;
      if (scan::parse_i64(raw, v)) {
        out = v;
        return true;
      }
      break;
    }
    case type_kind::real: {
      double v = 0;
      if (scan::parse_double(raw, v)) {
        out = v;
        return true;
      }
      break;
    }
    case type_kind::address: {
      model::address a;
      if (scan::parse_address(raw, a)) {
        out = a;
        return true;
      }
      break;
    }
    case type_kind::subnet: {
      auto s = model::subnet::parse(raw);
      if (s) {
        out = *s;
        return true;
      }
      break;
    }
    case type_kind::port: {
      std::uint64_t v = 0;
      if (scan::parse_u64(raw, v) && v <= 65535) {
        out = model::port{static_cast<std::uint16_t>(v), model::transport::unknown};
        return true;
      }
      break;
    }
    case type_kind::time: {
      std::int64_t ns = 0;
      if (scan::parse_seconds(raw, ns)) {
        out = model::timestamp{ns};
        return true;
      }
      break;
    }
    case type_kind::interval: {
      std::int64_t ns = 0;
      if (scan::parse_seconds(raw, ns)) {
        out = model::interval{ns};
        return true;
      }
      break;
    }
    case type_kind::enumeration: {
      std::string text;
      scan::unescape_zeek(raw, text);
      return enum_from(text, t, out, why);
    }
    case type_kind::bytes: {
      model::bytes b;
      scan::unescape_zeek(raw, b.data);
      out = std::move(b);
      return true;
    }
    default:
      why = "values of type " + t.to_string() + " cannot be read from a Zeek log";
      return false;
  }
  why = expected(raw, t);
  return false;
}

}  // namespace

bool convert_text(std::string_view cell, const model::type& t, const text_rules& rules,
                  model::value& out, std::string& why) {
  if (cell == rules.unset) {
    out = model::none;
    return true;
  }
  const auto k = t.kind();
  if (k == type_kind::vector) {
    // Reuse the vector and its elements' storage from the previous row.
    if (!out.is<model::vector_value>()) out = model::vector_value{};
    auto& elements = out.get<model::vector_value>().elements;
    std::size_t n = 0;
    if (cell != rules.empty && !rules.set_separator.empty()) {
      std::string_view rest = cell;
      while (true) {
        const auto at = rest.find(rules.set_separator);
        const std::string_view part = rest.substr(0, at);
        if (n == elements.size()) elements.emplace_back();
        model::value& v = elements[n++];
        if (part == rules.unset) {
          v = model::none;
        } else if (!scalar_text(part, t.element(), v, why)) {
          why = "element " + std::to_string(n) + ": " + why;
          out = model::none;
          return false;
        }
        if (at == std::string_view::npos) break;
        rest.remove_prefix(at + rules.set_separator.size());
      }
    }
    elements.resize(n);
    return true;
  }
  if (k == type_kind::set) {
    std::vector<model::value> elements;
    if (cell != rules.empty && !rules.set_separator.empty()) {
      std::string_view rest = cell;
      while (true) {
        const auto at = rest.find(rules.set_separator);
        const std::string_view part = rest.substr(0, at);
        model::value v;
        if (part != rules.unset && !scalar_text(part, t.element(), v, why)) {
          why = "element " + std::to_string(elements.size() + 1) + ": " + why;
          return false;
        }
        elements.push_back(std::move(v));
        if (at == std::string_view::npos) break;
        rest.remove_prefix(at + rules.set_separator.size());
      }
    }
    out = model::value::make_set(std::move(elements));
    return true;
  }
  if (cell == rules.empty) {
    if (k == type_kind::string) {
      string_slot(out);
      return true;
    }
    if (k == type_kind::bytes) {
      out = model::bytes{};
      return true;
    }
  }
  return scalar_text(cell, t, out, why);
}

namespace {

std::string json_kind(const nlohmann::json& j) {
  return std::string(j.type_name());
}

bool scalar_json(const nlohmann::json& j, const model::type& t, model::value& out,
                 std::string& why) {
  if (j.is_null()) {
    out = model::none;
    return true;
  }
  const std::string* s = j.is_string() ? j.get_ptr<const std::string*>() : nullptr;
  switch (t.kind()) {
    case type_kind::string:
      if (s != nullptr) {
        string_slot(out).assign(*s);
        return true;
      }
      break;
    case type_kind::boolean:
      if (j.is_boolean()) {
        out = j.get<bool>();
        return true;
      }
      break;
    case type_kind::count:
      if (j.is_number_unsigned()) {
        out = j.get<std::uint64_t>();
        return true;
      }
      break;
    case type_kind::integer:
      if (j.is_number_integer()) {
        out = j.get<std::int64_t>();
        return true;
      }
      break;
    case type_kind::real:
      if (j.is_number()) {
        out = j.get<double>();
        return true;
      }
      break;
    case type_kind::address:
      if (s != nullptr) {
        model::address a;
        if (scan::parse_address(*s, a)) {
          out = a;
          return true;
        }
        why = expected(*s, t);
        return false;
      }
      break;
    case type_kind::subnet:
      if (s != nullptr) {
        auto n = model::subnet::parse(*s);
        if (n) {
          out = *n;
          return true;
        }
        why = expected(*s, t);
        return false;
      }
      break;
    case type_kind::port:
      if (j.is_number_unsigned() && j.get<std::uint64_t>() <= 65535) {
        out = model::port{static_cast<std::uint16_t>(j.get<std::uint64_t>()),
                          model::transport::unknown};
        return true;
      }
      break;
    case type_kind::time:
    case type_kind::interval: {
      std::int64_t ns = 0;
      bool ok = false;
      if (j.is_number()) {
        ok = scan::seconds_to_ns(j.get<double>(), ns);
      } else if (s != nullptr && t.kind() == type_kind::time) {
        auto ts = model::timestamp::parse(*s);
        ok = ts.ok();
        if (ok) ns = ts->ns;
      }
      if (ok) {
        if (t.kind() == type_kind::time) {
          out = model::timestamp{ns};
        } else {
          out = model::interval{ns};
        }
        return true;
      }
      break;
    }
    case type_kind::enumeration:
      if (s != nullptr) return enum_from(*s, t, out, why);
      break;
    default:
      why = "values of type " + t.to_string() + " cannot be read from a Zeek log";
      return false;
  }
  why = "a JSON " + json_kind(j) + " is not a " + t.to_string();
  return false;
}

}  // namespace

bool convert_json(const nlohmann::json& j, const model::type& t, model::value& out,
                  std::string& why) {
  const auto k = t.kind();
  if ((k == type_kind::set || k == type_kind::vector) && !j.is_null()) {
    if (!j.is_array()) {
      why = "a JSON " + json_kind(j) + " is not a " + t.to_string();
      return false;
    }
    std::vector<model::value> elements;
    elements.reserve(j.size());
    for (const auto& item : j) {
      model::value v;
      if (!scalar_json(item, t.element(), v, why)) {
        why = "element " + std::to_string(elements.size() + 1) + ": " + why;
        return false;
      }
      elements.push_back(std::move(v));
    }
    if (k == type_kind::set) {
      out = model::value::make_set(std::move(elements));
    } else {
      out = model::vector_value{std::move(elements)};
    }
    return true;
  }
  return scalar_json(j, t, out, why);
}

}  // namespace coop::importer::zeek
