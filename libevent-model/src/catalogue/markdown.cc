// catalogue_markdown: the reference part of docs/catalogue.md, rendered from
// a registry filled by add_catalogue plus the Zeek column of each field.
#include <string>

#include "catalogue/spec.h"

namespace coop::model {
namespace {

using catalogue_spec::field_spec;
using catalogue_spec::schema_spec;

// Text inside a table cell: a '|' would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string code(std::string_view text) {
  // Appending (rather than "`" + ...) avoids GCC 12's false -Wrestrict (PR 105651).
  std::string out(1, '`');
  out += cell(text);
  out += '`';
  return out;
}

const field_spec* find_field(const schema_spec& spec, std::string_view name) {
  for (const auto& part : spec.parts) {
    for (const auto& f : part) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

// "`host_key` (older Zeek: `host_key_fingerprint`)".
std::string zeek_cell(std::string_view zeek) {
  if (zeek.empty()) return "—";
  auto bar = zeek.find('|');
  if (bar == std::string_view::npos) return code(zeek);
  std::string out = code(zeek.substr(0, bar)) + " (older Zeek:";
  std::string_view rest = zeek.substr(bar + 1);
  for (bool first = true; !rest.empty(); first = false) {
    bar = rest.find('|');
    out += (first ? " " : ", ") + code(rest.substr(0, bar));
    rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
  }
  return out + ")";
}

std::string source_line(const schema_spec& spec) {
  if (!spec.zeek_log.empty()) {
    if (spec.zeek_log == "intel-input") {
      return "Zeek: one line of an Intel framework input file (`Intel::read_files`).";
    }
    return "Zeek: one row of `" + std::string(spec.zeek_log) + ".log`.";
  }
  if (!spec.zeek_note.empty()) return "Zeek: " + std::string(spec.zeek_note) + ".";
  return "Zeek: none.";
}

std::string required_list(const schema& s) {
  std::string out;
  for (const auto& f : s.fields()) {
    if (f.optional) continue;
    out += (out.empty() ? "" : ", ") + code(f.name);
  }
  return out.empty() ? "none" : out;
}

void render_type(std::string& out, const schema& s, const schema_spec& spec) {
  const bool zeek = !spec.zeek_log.empty() || !spec.zeek_note.empty();
  out += "### " + code(s.name()) + "\n\n";
  out += s.doc() + " " + source_line(spec) + " Version " + std::to_string(s.version()) + ".\n\n";
  out += "| field | type | presence | meaning | Zeek column |\n";
  out += "| --- | --- | --- | --- | --- |\n";
  for (const auto& f : s.fields()) {
    const field_spec* fs = find_field(spec, f.name);
    std::string presence = f.optional ? "optional" : "required";
    if (!f.default_value.is_none()) presence += ", default " + code(f.default_value.to_string());
    out += "| " + code(f.name) + " | " + code(f.ty.to_string()) + " | " + presence + " | " +
           cell(f.doc) + " | " + (zeek && fs ? zeek_cell(fs->zeek) : std::string("—")) + " |\n";
  }
  out += "\n";
}

std::string_view kind_name(zeek_column_kind k) {
  switch (k) {
    case zeek_column_kind::field: return "field";
    case zeek_column_kind::envelope: return "envelope";
    case zeek_column_kind::transport: return "port transport";
    case zeek_column_kind::dropped: return "dropped";
  }
  return "?";
}

}  // namespace

result<std::string> catalogue_markdown() {
  registry r;
  if (auto added = add_catalogue(r); !added) return added.err();

  std::string out = "## Summary\n\n| type | required fields | Zeek source |\n| --- | --- | --- |\n";
  for (auto name : catalogue::all) {
    const auto s = r.find(name);
    const auto* spec = catalogue_spec::find_schema(name);
    if (!s || !spec) return error{errc::not_found, "catalogue: no schema for " + std::string(name)};
    std::string source = spec->zeek_log.empty() ? (spec->zeek_note.empty() ? "—" : "Zeek event")
                         : spec->zeek_log == "intel-input"
                             ? "Intel input file"
                             : code(std::string(spec->zeek_log) + ".log");
    out += "| [" + code(name) + "](#" + std::string(name) + ") | " + required_list(*s) + " | " +
           source + " |\n";
  }
  out += "\n## Event types\n\n";
  for (auto name : catalogue::all) {
    render_type(out, *r.find(name), *catalogue_spec::find_schema(name));
  }
  out += "## Zeek columns that are not fields\n\n";
  out += "Every other column of these logs maps to the field named in the tables above.\n\n";
  out += "| log | column | goes to | note |\n| --- | --- | --- | --- |\n";
  for (const auto& c : zeek_columns()) {
    if (c.kind == zeek_column_kind::field) continue;
    out += "| " + code(c.log) + " | " + code(c.column) + " | " + std::string(kind_name(c.kind)) +
           " | " + cell(c.note) + " |\n";
  }
  return out;
}

}  // namespace coop::model
