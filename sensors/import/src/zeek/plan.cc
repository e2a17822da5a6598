#include "zeek/plan.h"

#include <algorithm>
#include <utility>

#include "coop/model/catalogue.h"
#include "coop/model/type.h"

namespace coop::importer::zeek {

namespace model = coop::model;

bool is_catalogue_log(std::string_view path) noexcept {
  for (const auto& c : model::zeek_columns()) {
    if (c.log == path) return true;
  }
  return false;
}

std::string kind_name(std::string_view path) {
  return path == "intel-input" ? std::string("intel") : "zeek/" + std::string(path);
}

std::string generic_type_name(std::string_view path) {
  std::string name = "zeek.";
  for (char c : path) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    name.push_back(ok ? c : '_');
  }
  if (name.size() == 5) name += "unknown";
  return name.substr(0, model::max_name_length);
}

std::string generic_field_name(std::string_view column) {
  std::string name;
  for (char c : column) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    name.push_back(ok ? c : '_');
  }
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) name.insert(name.begin(), '_');
  return name.substr(0, model::max_name_length);
}

namespace {

// The catalogue type a Zeek type becomes in a generic schema. Zeek enums
// are open vocabularies there, so they become strings; anything the model
// cannot hold (func, tables, records) is kept as its text.
model::type generic_type(std::string_view zeek) {
  auto inner = [](std::string_view z) -> model::type {
    if (z == "enum" || z == "string" || z == "func" || z.empty()) return model::type(model::type_kind::string);
    auto t = model::type::parse(z);
    if (!t || t->kind() == model::type_kind::set || t->kind() == model::type_kind::vector ||
        t->kind() == model::type_kind::table || t->kind() == model::type_kind::record ||
        t->kind() == model::type_kind::enumeration || t->kind() == model::type_kind::none) {
      return model::type(model::type_kind::string);
    }
    return *t;
  };
  for (std::string_view prefix : {std::string_view("set["), std::string_view("vector[")}) {
    if (zeek.substr(0, prefix.size()) == prefix && zeek.back() == ']') {
      auto element = inner(zeek.substr(prefix.size(), zeek.size() - prefix.size() - 1));
      return prefix[0] == 's' ? model::type::set_of(element) : model::type::vector_of(element);
    }
  }
  return inner(zeek);
}

void finish_slots(plan& p, detail::context& ctx) {
  for (auto& s : p.slots) {
    const auto& sc = *s.schema;
    for (std::size_t i = 0; i < sc.size(); ++i) {
      if (sc[i].ty.kind() == model::type_kind::port) s.ports.push_back(static_cast<std::uint16_t>(i));
      if (!sc[i].optional) s.required.push_back(static_cast<std::uint16_t>(i));
    }
    auto gate_on = [&](std::string_view f) {
      if (auto i = sc.index_of(f)) s.gate.push_back(static_cast<std::uint16_t>(*i));
    };
    // Catalogue recommendation: a reply only when the row shows one.
    if (sc.name() == model::catalogue::dns_reply) {
      gate_on("rcode");
      gate_on("answers");
    } else if (sc.name() == model::catalogue::http_reply) {
      gate_on("status_code");
    }
    s.counter = &ctx.counter(sc.name());
  }
  for (std::size_t i = 0; i < p.columns.size(); ++i) p.by_name.emplace(p.columns[i].name, i);
}

model::result<plan> catalogue_plan(std::string_view path, const std::vector<std::string>& fields,
                                   detail::context& ctx, std::uint64_t line) {
  plan p;
  p.path = std::string(path);
  if (path == "http" || path == "ssh" || path == "smtp" || path == "ftp") {
    p.default_transport = model::transport::tcp;
  }
  auto slot_of = [&](std::string_view event) -> std::uint16_t {
    for (std::size_t i = 0; i < p.slots.size(); ++i) {
      if (p.slots[i].schema->name() == event) return static_cast<std::uint16_t>(i);
    }
    slot s;
    s.schema = ctx.schema(event);
    p.slots.push_back(std::move(s));
    return static_cast<std::uint16_t>(p.slots.size() - 1);
  };
  // Every event type of the log, in the catalogue's order, even if no
  // column of this header feeds it.
  for (const auto& c : model::zeek_columns()) {
    if (c.log == path && c.kind == model::zeek_column_kind::field) slot_of(c.event);
  }
  for (const auto& name : fields) {
    column col;
    col.name = name;
    bool known = false;
    for (const auto& c : model::zeek_columns()) {
      if (c.log != path || c.column != name) continue;
      known = true;
      switch (c.kind) {
        case model::zeek_column_kind::field: {
          const auto s = slot_of(c.event);
          const auto f = p.slots[s].schema->index_of(c.field);
          if (!f) continue;
          col.what = role::field;
          if (col.ty == nullptr) col.ty = &(*p.slots[s].schema)[*f].ty;
          col.targets.push_back({s, static_cast<std::uint16_t>(*f)});
          break;
        }
        case model::zeek_column_kind::envelope:
          col.what = name == "ts" ? role::ts : name == "uid" ? role::uid : role::sensor;
          break;
        case model::zeek_column_kind::transport:
          col.what = role::transport;
          break;
        case model::zeek_column_kind::dropped:
          break;
      }
    }
    if (!known && !name.empty() && name[0] != '_') {
      ctx.warn(line, "column '" + name + "' of " + std::string(path) +
                         ".log has no catalogue mapping; its values are not imported");
    }
    p.columns.push_back(std::move(col));
  }
  return p;
}

model::result<plan> generic_plan(std::string_view path, const std::vector<std::string>& fields,
                                 const std::vector<std::string>& types, detail::context& ctx) {
  plan p;
  p.path = std::string(path);
  std::vector<model::field> schema_fields;
  std::vector<std::string> names;
  std::vector<role> roles;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string& name = fields[i];
    const std::string_view zt = i < types.size() ? std::string_view(types[i]) : std::string_view();
    if (name.empty() || name[0] == '_') {
      roles.push_back(role::ignored);
      continue;
    }
    if (name == "ts" && (zt.empty() || zt == "time")) {
      roles.push_back(role::ts);
      continue;
    }
    if (name == "uid" && (zt.empty() || zt == "string")) {
      roles.push_back(role::uid);
      continue;
    }
    std::string fname = generic_field_name(name);
    while (std::find(names.begin(), names.end(), fname) != names.end()) fname += "_";
    names.push_back(fname);
    roles.push_back(role::field);
    model::field f;
    f.name = fname;
    f.ty = generic_type(zt);
    f.optional = true;
    f.doc = "Zeek column " + name + (zt.empty() ? std::string() : " (" + std::string(zt) + ")") + ".";
    schema_fields.push_back(std::move(f));
  }
  const std::string type_name = generic_type_name(path);
  const std::string doc = "Rows of Zeek's " + std::string(path) +
                          ".log, a log the catalogue does not define; built from its header.";
  auto existing = ctx.reg.find(type_name);
  std::uint32_t version = 1;
  if (existing) {
    model::schema same(type_name, existing->version(), schema_fields, doc);
    if (same == *existing) {
      version = existing->version();
    } else {
      version = existing->version() + 1;
    }
  }
  auto added = ctx.reg.add(model::schema(type_name, version, std::move(schema_fields), doc));
  if (!added) {
    return model::error{added.err().code, "cannot register the header of " + std::string(path) +
                                              ".log as type " + type_name + ": " +
                                              added.err().message};
  }
  slot s;
  s.schema = *added;
  p.slots.push_back(std::move(s));
  std::size_t next = 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    column col;
    col.name = fields[i];
    col.what = roles[i];
    if (roles[i] == role::field) {
      col.targets.push_back({0, static_cast<std::uint16_t>(next)});
      col.ty = &(*p.slots[0].schema)[next].ty;
      ++next;
    }
    p.columns.push_back(std::move(col));
  }
  return p;
}

}  // namespace

model::result<plan> make_plan(std::string_view path, const std::vector<std::string>& fields,
                              const std::vector<std::string>& types, detail::context& ctx,
                              std::uint64_t line) {
  auto p = is_catalogue_log(path) ? catalogue_plan(path, fields, ctx, line)
                                  : generic_plan(path, fields, types, ctx);
  if (!p) return p;
  finish_slots(*p, ctx);
  p->counts = &ctx.kind(kind_name(path));
  return p;
}

}  // namespace coop::importer::zeek
