// Encoding values as JSON, directed by their type. Straight appends into
// the caller's buffer: no allocation once the buffer is large enough.
#include <string>

#include "json/codec.h"
#include "json/writer.h"

namespace coop::model::json {
namespace {

bool mismatch(const value& v, const type& t, encode_error& err) {
  err.what = "a value of kind " + std::string(to_string(v.kind())) +
             " does not conform to type " + t.to_string();
  return false;
}

bool in_element(std::size_t i, encode_error& err) {
  err.path.insert(0, "[" + std::to_string(i) + "]");
  return false;
}

}  // namespace

bool encode_value(const value& v, const type& t, std::string& out, encode_error& err) {
  if (v.is_none()) {
    out.append("null", 4);
    return true;
  }
  if (v.kind() != t.kind()) return mismatch(v, t, err);
  switch (t.kind()) {
    case type_kind::none: break;  // unreachable: a none value was handled above
    case type_kind::boolean:
      if (v.get<bool>()) out.append("true", 4);
      else out.append("false", 5);
      return true;
    case type_kind::count: append_u64(out, v.get<std::uint64_t>()); return true;
    case type_kind::integer: append_i64(out, v.get<std::int64_t>()); return true;
    case type_kind::real: append_real(out, v.get<double>()); return true;
    case type_kind::string: append_string(out, v.get<std::string>()); return true;
    case type_kind::bytes: append_base64(out, v.get<bytes>().data); return true;
    case type_kind::address:
      append_address(out, v.get<address>());
      return true;
    case type_kind::subnet:
      append_subnet(out, v.get<subnet>());
      return true;
    case type_kind::port:
      append_port(out, v.get<port>());
      return true;
    case type_kind::time: append_rfc3339(out, v.get<timestamp>().ns); return true;
    case type_kind::interval: append_seconds(out, v.get<interval>().ns); return true;
    case type_kind::enumeration: {
      const auto& label = v.get<enum_value>().label;
      if (t.index_of(label) < 0) {
        err.what = "enum label \"" + label + "\" is not one of " + t.to_string();
        return false;
      }
      append_string(out, label);
      return true;
    }
    case type_kind::set:
    case type_kind::vector: {
      const auto& elems =
          t.kind() == type_kind::set ? v.get<set_value>().elements : v.get<vector_value>().elements;
      out.push_back('[');
      for (std::size_t i = 0; i < elems.size(); ++i) {
        if (i != 0) out.push_back(',');
        if (t.kind() == type_kind::set && elems[i].is_none()) {
          err.what = "none is not allowed as a set element";
          return in_element(i, err);
        }
        if (!encode_value(elems[i], t.element(), out, err)) return in_element(i, err);
      }
      out.push_back(']');
      return true;
    }
    case type_kind::table: {
      const auto& tv = v.get<table_value>();
      if (tv.keys.size() != tv.mapped.size()) {
        err.what = "table has " + std::to_string(tv.keys.size()) + " keys but " +
                   std::to_string(tv.mapped.size()) + " values";
        return false;
      }
      out.push_back('[');
      for (std::size_t i = 0; i < tv.keys.size(); ++i) {
        out.append(i == 0 ? "[" : ",[", i == 0 ? 1 : 2);
        if (tv.keys[i].is_none()) {
          err.what = "none is not allowed as a table key";
          err.path = "[0]";
          return in_element(i, err);
        }
        if (!encode_value(tv.keys[i], t.element(), out, err)) {
          err.path.insert(0, "[0]");
          return in_element(i, err);
        }
        out.push_back(',');
        if (!encode_value(tv.mapped[i], t.mapped(), out, err)) {
          err.path.insert(0, "[1]");
          return in_element(i, err);
        }
        out.push_back(']');
      }
      out.push_back(']');
      return true;
    }
    case type_kind::record: {
      const auto& fields = v.get<record_value>().fields;
      const auto& names = t.names();
      if (fields.size() != names.size()) {
        err.what = "record value has " + std::to_string(fields.size()) + " fields but type " +
                   t.to_string() + " has " + std::to_string(names.size());
        return false;
      }
      out.push_back('{');
      bool first = true;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].is_none()) continue;  // absent means none
        if (!first) out.push_back(',');
        first = false;
        append_string(out, names[i]);
        out.push_back(':');
        if (!encode_value(fields[i], t.params()[i], out, err)) {
          err.path.insert(0, "." + names[i]);
          return false;
        }
      }
      out.push_back('}');
      return true;
    }
  }
  return mismatch(v, t, err);
}

}  // namespace coop::model::json
