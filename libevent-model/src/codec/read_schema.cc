// Reading schemas (and their structurally encoded types) from capnp readers.
#include <string>
#include <utility>

#include "codec/wire.h"

namespace coop::model::detail {
namespace {

result<std::vector<std::string>> read_names(capnp::List<capnp::Text>::Reader list,
                                            const read_bounds& bounds) {
  if (list.size() > bounds.max_elements) {
    return error{errc::corruption, ": a list of " + std::to_string(list.size()) +
                                       " names is longer than the message"};
  }
  std::vector<std::string> out;
  out.reserve(list.size());
  for (auto t : list) out.emplace_back(t.begin(), t.size());
  return out;
}

// One more level than max_type_depth is read, so schema::validate (which
// owns the exact rule) is the one that rejects a type that is too deep.
result<type> read_type(wire::Type::Reader r, unsigned depth, const read_bounds& bounds) {
  if (depth > max_type_depth + 1) {
    return error{errc::overloaded,
                 ": type nested deeper than " + std::to_string(max_type_depth) + " levels"};
  }
  const unsigned tag = r.getKind();
  if (tag > static_cast<unsigned>(type_kind::record)) {
    return error{errc::unsupported, ": unknown type kind " + std::to_string(tag)};
  }
  const auto k = static_cast<type_kind>(tag);
  auto params = r.getParams();
  auto names = r.getNames();
  auto param = [&](unsigned i) { return read_type(params[i], depth + 1, bounds); };
  auto shape = [&](unsigned want_params, bool want_names) -> result<void> {
    const bool ok = params.size() == want_params && (want_names || names.size() == 0);
    if (ok) return {};
    return error{errc::corruption, std::string(": type ") + std::string(to_string(k)) + " with " +
                                       std::to_string(params.size()) + " parameters and " +
                                       std::to_string(names.size()) + " names"};
  };
  switch (k) {
    case type_kind::set:
    case type_kind::vector: {
      if (auto s = shape(1, false); !s) return s.err();
      auto e = param(0);
      if (!e) return e;
      return k == type_kind::set ? type::set_of(std::move(*e)) : type::vector_of(std::move(*e));
    }
    case type_kind::table: {
      if (auto s = shape(2, false); !s) return s.err();
      auto key = param(0);
      if (!key) return key;
      auto mapped = param(1);
      if (!mapped) return mapped;
      return type::table_of(std::move(*key), std::move(*mapped));
    }
    case type_kind::enumeration: {
      if (auto s = shape(0, true); !s) return s.err();
      auto labels = read_names(names, bounds);
      if (!labels) return labels.err();
      return type::enum_of(std::move(*labels));
    }
    case type_kind::record: {
      if (auto s = shape(names.size(), true); !s) return s.err();
      auto labels = read_names(names, bounds);
      if (!labels) return labels.err();
      std::vector<std::pair<std::string, type>> fields;
      fields.reserve(labels->size());
      for (unsigned i = 0; i < params.size(); ++i) {
        auto p = param(i);
        if (!p) return p;
        fields.emplace_back(std::move((*labels)[i]), std::move(*p));
      }
      return type::record_of(std::move(fields));
    }
    default:
      if (auto s = shape(0, false); !s) return s.err();
      return type(k);
  }
}

}  // namespace

result<schema> read_schema(wire::Schema::Reader r, const read_bounds& bounds) {
  std::string where = "schema";
  try {
    std::string name(view_of(r.getName()));
    where = "schema '" + name + "'";
    auto list = r.getFields();
    if (list.size() > max_fields) {
      return error{errc::invalid_argument, where + " has " + std::to_string(list.size()) +
                                               " fields, more than " + std::to_string(max_fields)};
    }
    std::vector<field> fields;
    fields.reserve(list.size());
    for (auto fr : list) {
      field f;
      f.name.assign(view_of(fr.getName()));
      const std::string at = name + "." + f.name;
      where = "schema field " + at;
      auto t = read_type(fr.getType(), 1, bounds);
      if (!t) return error{t.err().code, at + " (type)" + t.err().message};
      f.ty = std::move(*t);
      f.optional = fr.getOptional();
      if (fr.hasDefault()) {
        auto v = read_value(fr.getDefault(), &f.ty, 0, bounds);
        if (!v) return error{v.err().code, at + " (default)" + v.err().message};
        f.default_value = std::move(*v);
      }
      f.doc.assign(view_of(fr.getDoc()));
      fields.push_back(std::move(f));
    }
    schema s(std::move(name), r.getVersion(), std::move(fields), std::string(view_of(r.getDoc())));
    if (auto v = s.validate(); !v) return v.err();
    return s;
  } catch (const kj::Exception& e) {
    return from_exception(e, where);
  } catch (const std::bad_alloc&) {
    return error{errc::overloaded, "out of memory decoding " + where};
  }
}

}  // namespace coop::model::detail
