// The catalogue's tables turned into schemas (add_catalogue) and into the
// public Zeek column mapping (zeek_columns).
#include <algorithm>
#include <utility>
#include <vector>

#include "catalogue/spec.h"
#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::model {
namespace catalogue_spec {

std::span<const group_spec> groups() noexcept {
  static const group_spec all[] = {
      connection_group(), dns_group(),    http_group(),  ssh_group(),
      smtp_group(),       files_group(),  ftp_group(),   tls_group(),
      syslog_group(),     packet_group(), intel_group(), notice_group(),
  };
  return all;
}

const schema_spec* find_schema(std::string_view name) noexcept {
  for (const auto& g : groups()) {
    for (const auto& s : g.schemas) {
      if (s.name == name) return &s;
    }
  }
  return nullptr;
}

result<schema> build_schema(const schema_spec& spec) {
  std::vector<field> fields;
  for (const auto& part : spec.parts) {
    for (const auto& f : part) {
      std::string where = std::string(spec.name) + "." + std::string(f.name);
      auto ty = type::parse(f.type);
      if (!ty) return error{errc::invalid_argument, where + ": type: " + ty.err().message};
      value def;
      if (!f.default_value.empty()) {
        auto v = value::parse(f.default_value, *ty);
        if (!v) return error{errc::invalid_argument, where + ": default: " + v.err().message};
        def = std::move(*v);
      }
      fields.push_back(field{std::string(f.name), std::move(*ty), !f.required, std::move(def),
                             std::string(f.doc)});
    }
  }
  return schema(std::string(spec.name), catalogue::version, std::move(fields),
                std::string(spec.doc));
}

}  // namespace catalogue_spec

namespace {

// Names the first difference between a held schema and the standard one.
std::string describe_difference(const schema& held, const schema& standard) {
  std::string where = standard.name() + " v" + std::to_string(standard.version());
  const std::size_t n = std::min(held.size(), standard.size());
  for (std::size_t i = 0; i < n; ++i) {
    const field& a = held[i];
    const field& b = standard[i];
    if (a.name != b.name) {
      return where + ": field " + std::to_string(i) + " is '" + a.name + "', the catalogue has '" +
             b.name + "'";
    }
    if (!(a.ty == b.ty)) {
      return where + ": field '" + b.name + "' is " + a.ty.to_string() + ", the catalogue's is " +
             b.ty.to_string();
    }
    if (a.optional != b.optional) {
      return where + ": field '" + b.name + "' is " + (a.optional ? "optional" : "required") +
             ", the catalogue's is " + (b.optional ? "optional" : "required");
    }
    if (!(a == b)) {
      return where + ": field '" + b.name + "' differs from the catalogue's in its " +
             (a.default_value == b.default_value ? "documentation" : "default");
    }
  }
  if (held.size() != standard.size()) {
    const field& extra = held.size() > standard.size() ? held[n] : standard[n];
    return where + ": field '" + extra.name + "' is only in " +
           (held.size() > standard.size() ? "the registered schema" : "the catalogue");
  }
  return where + ": the type's documentation differs from the catalogue's";
}

std::vector<zeek_column> build_columns() {
  using namespace catalogue_spec;
  std::vector<zeek_column> out;
  std::vector<std::string_view> logs;  // in first-seen order
  // Every log has ts and uid, which belong to the envelope; the Intel
  // framework's input files have neither.
  auto note_log = [&](std::string_view log) {
    if (std::find(logs.begin(), logs.end(), log) != logs.end()) return;
    logs.push_back(log);
    if (log == "intel-input") return;
    out.push_back({log, "ts", zeek_column_kind::envelope, {}, {}, "ts"});
    out.push_back({log, "uid", zeek_column_kind::envelope, {}, {}, "uid (the connection uid)"});
  };
  for (const auto& g : groups()) {
    for (const auto& s : g.schemas) {
      if (s.zeek_log.empty()) continue;
      note_log(s.zeek_log);
      for (const auto& part : s.parts) {
        for (const auto& f : part) {
          // Alternatives are newest first; the others are older names.
          std::string_view rest = f.zeek;
          for (bool newest = true; !rest.empty(); newest = false) {
            auto bar = rest.find('|');
            std::string_view column = rest.substr(0, bar);
            rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
            out.push_back({s.zeek_log, column, zeek_column_kind::field, s.name, f.name,
                           newest ? std::string_view{} : "older Zeek name"});
          }
        }
      }
    }
    for (const auto& c : g.columns) {
      note_log(c.log);
      out.push_back({c.log, c.column, c.kind, {}, {}, c.note});
    }
  }
  // Group rows by log, then by column, keeping first-seen order otherwise.
  std::vector<zeek_column> sorted;
  sorted.reserve(out.size());
  for (auto log : logs) {
    std::vector<std::string_view> columns;
    for (const auto& c : out) {
      if (c.log == log && std::find(columns.begin(), columns.end(), c.column) == columns.end()) {
        columns.push_back(c.column);
      }
    }
    for (auto column : columns) {
      for (const auto& c : out) {
        if (c.log == log && c.column == column) sorted.push_back(c);
      }
    }
  }
  return sorted;
}

}  // namespace

result<void> add_catalogue(registry& r) {
  // Fill a copy and swap it in, so a failure leaves `r` as it was (the copy
  // shares the held schemas, so it is cheap).
  registry trial = r;
  for (const auto& g : catalogue_spec::groups()) {
    for (const auto& spec : g.schemas) {
      auto s = catalogue_spec::build_schema(spec);
      if (!s) return s.err();
      if (auto held = trial.find(s->name(), s->version()); held && !(*held == *s)) {
        return error{errc::incompatible, describe_difference(*held, *s)};
      }
      if (auto added = trial.add(std::move(*s)); !added) return added.err();
    }
  }
  r = std::move(trial);
  return {};
}

std::span<const zeek_column> zeek_columns() noexcept {
  // Built once; the views point into the static tables.
  static const std::vector<zeek_column> columns = build_columns();
  return columns;
}

std::string_view zeek_log_of(std::string_view event) noexcept {
  const auto* spec = catalogue_spec::find_schema(event);
  return spec ? spec->zeek_log : std::string_view{};
}

}  // namespace coop::model
