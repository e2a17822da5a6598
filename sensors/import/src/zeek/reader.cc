// The Zeek log line parser: TSV logs with their # header (any separator,
// redef'd markers), zeek-cut -m / tsv=T logs with one line of names, and
// JSON lines (plain Zeek NDJSON or json-streaming-logs with _path), all
// through the same column plans so a log yields the same events in every
// form.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coop/model/catalogue.h"
#include "scan/scalars.h"
#include "session/context.h"
#include "zeek/convert.h"
#include "scan/json_depth.h"
#include "zeek/plan.h"

namespace coop::importer::detail {

namespace model = coop::model;
using zeek::role;

namespace {

// A plan and the events its rows fill (reused from row to row).
struct section {
  zeek::plan p;
  std::vector<model::event> events;
  std::map<std::string, bool, std::less<>> warned;  // JSON keys already reported
  int fallback_source = -1;  // Intel input: the indicator's `source` field
};

section make_section(zeek::plan p, const model::origin& from) {
  section s;
  for (const auto& sl : p.slots) {
    model::event e(sl.schema);
    e.from = from;
    s.events.push_back(std::move(e));
  }
  if (p.path == "intel-input" && !p.slots.empty()) {
    if (auto i = p.slots[0].schema->index_of("source")) s.fallback_source = static_cast<int>(*i);
  }
  s.p = std::move(p);
  return s;
}

std::string file_stem(std::string_view file) {
  const auto slash = file.find_last_of('/');
  if (slash != std::string_view::npos) file.remove_prefix(slash + 1);
  return std::string(file.substr(0, file.find('.')));
}

class zeek_parser final : public line_parser {
 public:
  zeek_parser(context& ctx, std::string_view forced) : ctx_(ctx), forced_(forced) {
    import_time_ = ctx.now();
  }

  model::result<void> line(std::string_view text, std::uint64_t no) override {
    if (text.empty()) return {};
    if (text[0] == '#') {
      header(text, no);
      return {};
    }
    if (text[0] == '{') return json_row(text, no);
    if (fields_.empty() && !saw_row_) {
      // zeek-cut -m or tsv=T: one line of names, no types, no meta.
      fields_ = split_all(text, "\t");
      types_.clear();
      header_line_ = no;
      current_.reset();
      plan_error_.clear();
      return {};
    }
    return tsv_row(text, no);
  }

 private:
  static std::vector<std::string> split_all(std::string_view text, std::string_view sep) {
    std::vector<std::string> out;
    if (sep.empty()) {
      out.emplace_back(text);
      return out;
    }
    while (true) {
      const auto at = text.find(sep);
      out.emplace_back(text.substr(0, at));
      if (at == std::string_view::npos) return out;
      text.remove_prefix(at + sep.size());
    }
  }

  std::string list_name() const {
    if (!ctx_.opt.list_name.empty()) return ctx_.opt.list_name;
    std::string_view f = ctx_.file;
    const auto slash = f.find_last_of('/');
    if (slash != std::string_view::npos) f.remove_prefix(slash + 1);
    return std::string(f);
  }

  std::string resolved_path(std::string_view from_input) const {
    if (!forced_.empty()) return forced_;
    if (!from_input.empty()) return std::string(from_input);
    if (!ctx_.opt.zeek_path.empty()) return ctx_.opt.zeek_path;
    return file_stem(ctx_.file);
  }

  void header(std::string_view text, std::uint64_t no) {
    constexpr std::string_view sep_key = "#separator ";
    if (text.substr(0, sep_key.size()) == sep_key) {
      std::string sep;
      scan::unescape_zeek(text.substr(sep_key.size()), sep);
      if (sep.empty()) {
        ctx_.warn(no, "empty #separator; keeping '\\x09'");
        return;
      }
      sep_ = std::move(sep);
      return;
    }
    const auto at = text.find(sep_);
    if (at == std::string_view::npos) return;  // a comment or a canonified #open line
    const std::string_view key = text.substr(1, at - 1);
    const std::string_view rest = text.substr(at + sep_.size());
    if (key == "fields") {
      fields_ = split_all(rest, sep_);
      types_.clear();
      path_.clear();
      header_line_ = no;
      current_.reset();
      plan_error_.clear();
      saw_row_ = false;
    } else if (key == "types") {
      types_ = split_all(rest, sep_);
      current_.reset();
    } else if (key == "path") {
      header_path_ = std::string(rest);
      current_.reset();
    } else if (key == "set_separator") {
      set_sep_.clear();
      scan::unescape_zeek(rest, set_sep_);
    } else if (key == "empty_field") {
      empty_ = std::string(rest);
    } else if (key == "unset_field") {
      unset_ = std::string(rest);
    }
  }

  // Builds the plan of the current TSV section on its first row.
  bool ensure_plan(std::uint64_t no) {
    if (current_) return true;
    if (!plan_error_.empty()) return false;
    if (fields_.empty()) {
      plan_error_ = "a data line before any #fields header";
      return false;
    }
    if (!types_.empty() && types_.size() != fields_.size()) {
      plan_error_ = "the header has " + std::to_string(fields_.size()) + " #fields but " +
                    std::to_string(types_.size()) + " #types (line " +
                    std::to_string(header_line_) + ")";
      return false;
    }
    auto p = zeek::make_plan(resolved_path(header_path_), fields_, types_, ctx_, header_line_);
    if (!p) {
      plan_error_ = p.err().message;
      ctx_.warn(no, "rows of this section are skipped: " + plan_error_);
      return false;
    }
    current_ = std::make_unique<section>(make_section(std::move(*p), ctx_.opt.from));
    return true;
  }

  void split_cells(std::string_view text) {
    cells_.clear();
    if (sep_.size() == 1) {
      // Cells are short: a plain loop beats a memchr call per cell.
      const char c = sep_[0];
      const char* begin = text.data();
      const char* p = begin;
      const char* end = begin + text.size();
      const char* start = p;
      for (; p != end; ++p) {
        if (*p == c) {
          cells_.emplace_back(start, static_cast<std::size_t>(p - start));
          start = p + 1;
        }
      }
      cells_.emplace_back(start, static_cast<std::size_t>(end - start));
      return;
    }
    while (true) {
      const auto at = text.find(sep_);
      cells_.push_back(text.substr(0, at));
      if (at == std::string_view::npos) return;
      text.remove_prefix(at + sep_.size());
    }
  }

  void begin_row() {
    ts_ = import_time_;
    uid_.clear();
    has_sensor_ = false;
    proto_ = current_section().p.default_transport;
  }

  section& current_section() { return *active_; }

  model::result<void> tsv_row(std::string_view text, std::uint64_t no) {
    saw_row_ = true;
    if (!ensure_plan(no)) {
      ctx_.skip(ctx_.kind(zeek::kind_name(resolved_path(header_path_))), no,
                "skipped: " + plan_error_);
      return {};
    }
    active_ = current_.get();
    auto& sec = *active_;
    auto& counts = *sec.p.counts;
    ++counts.lines;
    split_cells(text);
    if (cells_.size() != sec.p.columns.size()) {
      ctx_.skip(counts, no,
                std::to_string(cells_.size()) + " columns but the header has " +
                    std::to_string(sec.p.columns.size()));
      return {};
    }
    const zeek::text_rules rules{set_sep_, empty_, unset_};
    begin_row();
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      const auto& col = sec.p.columns[i];
      const std::string_view cell = cells_[i];
      switch (col.what) {
        case role::ignored:
          break;
        case role::field: {
          auto& first = sec.events[col.targets[0].slot].field(col.targets[0].field);
          if (!zeek::convert_text(cell, *col.ty, rules, first, why_)) {
            ctx_.skip(counts, no, "column '" + col.name + "': " + why_);
            return {};
          }
          for (std::size_t t = 1; t < col.targets.size(); ++t) {
            zeek::assign(sec.events[col.targets[t].slot].field(col.targets[t].field), first);
          }
          break;
        }
        case role::ts:
          if (cell != unset_) {
            std::int64_t ns = 0;
            if (!scan::parse_seconds(cell, ns)) {
              ctx_.skip(counts, no, "column '" + col.name + "': '" +
                                        std::string(cell.substr(0, 64)) + "' is not a time");
              return {};
            }
            ts_ = model::timestamp{ns};
          }
          break;
        case role::uid:
          if (cell != unset_) scan::unescape_zeek(cell, uid_);
          break;
        case role::sensor:
          if (cell != unset_) {
            sensor_.clear();
            scan::unescape_zeek(cell, sensor_);
            has_sensor_ = true;
          }
          break;
        case role::transport:
          if (cell != unset_ && !transport_of(cell)) {
            ctx_.skip(counts, no, "column '" + col.name + "': '" +
                                      std::string(cell.substr(0, 64)) + "' is not a transport");
            return {};
          }
          break;
      }
    }
    return finish_row(no);
  }

  bool transport_of(std::string_view text) {
    if (text == "tcp") {
      proto_ = model::transport::tcp;
    } else if (text == "udp") {
      proto_ = model::transport::udp;
    } else if (text == "icmp") {
      proto_ = model::transport::icmp;
    } else if (text == "unknown_transport" || text == "unknown") {
      proto_ = model::transport::unknown;
    } else {
      return false;
    }
    return true;
  }

  model::result<void> finish_row(std::uint64_t no) {
    auto& sec = current_section();
    auto& counts = *sec.p.counts;
    if (sec.fallback_source >= 0) {
      // An Intel file without meta.source: the list's name is the source.
      auto& v = sec.events[0].field(static_cast<std::size_t>(sec.fallback_source));
      if (v.is_none()) v = list_name();
    }
    for (std::size_t s = 0; s < sec.p.slots.size(); ++s) {
      const auto& sl = sec.p.slots[s];
      auto& e = sec.events[s];
      for (auto f : sl.required) {
        if (e.field(f).is_none()) {
          ctx_.skip(counts, no, "required field " + sl.schema->name() + "." +
                                    (*sl.schema)[f].name + " is unset");
          return {};
        }
      }
    }
    bool any = false;
    for (std::size_t s = 0; s < sec.p.slots.size(); ++s) {
      const auto& sl = sec.p.slots[s];
      auto& e = sec.events[s];
      if (!sl.gate.empty()) {
        bool open = false;
        for (auto f : sl.gate) open = open || !e.field(f).is_none();
        if (!open) continue;
      }
      for (auto f : sl.ports) {
        if (auto* p = e.field(f).get_if<model::port>()) {
          e.field(f) = model::port{p->number, proto_};
        }
      }
      e.ts = ts_;
      e.uid.assign(uid_);
      e.from.sensor.assign(has_sensor_ ? sensor_ : ctx_.opt.from.sensor);
      auto r = ctx_.emit(e, counts, *sl.counter);
      if (!r) return r;
      any = true;
    }
    if (any) {
      ++counts.records;
    } else {
      ++counts.ignored;
    }
    return {};
  }

  // ---- JSON rows ---------------------------------------------------------

  // The section for JSON rows of `path`, built on first use.
  section* json_section(const std::string& path, const nlohmann::json& first, std::uint64_t no) {
    auto it = json_.find(path);
    if (it != json_.end()) return it->second.get();
    std::vector<std::string> names;
    std::vector<std::string> types;
    if (zeek::is_catalogue_log(path)) {
      for (const auto& c : model::zeek_columns()) {
        if (c.log != path) continue;
        if (std::find(names.begin(), names.end(), c.column) == names.end()) {
          names.emplace_back(c.column);
        }
      }
    } else {
      // No #types: infer each column's type from the first row's value.
      for (const auto& [key, v] : first.items()) {
        names.push_back(key);
        if (v.is_boolean()) {
          types.emplace_back("bool");
        } else if (v.is_number_unsigned()) {
          types.emplace_back("count");
        } else if (v.is_number_integer()) {
          types.emplace_back("int");
        } else if (v.is_number()) {
          types.emplace_back(key == "ts" ? "time" : "double");
        } else if (v.is_array()) {
          types.emplace_back("vector[string]");
        } else if (key == "ts") {
          types.emplace_back("time");
        } else {
          types.emplace_back("string");
        }
      }
    }
    auto p = zeek::make_plan(path, names, types, ctx_, no);
    if (!p) {
      ctx_.warn(no, "JSON rows of " + path + ".log are skipped: " + p.err().message);
      return nullptr;
    }
    auto sec = std::make_unique<section>(make_section(std::move(*p), ctx_.opt.from));
    auto* raw = sec.get();
    json_.emplace(path, std::move(sec));
    return raw;
  }

  model::result<void> json_row(std::string_view text, std::uint64_t no) {
    saw_row_ = true;
    nlohmann::json j;
    std::string parse_error;
    if (!scan::json_depth_ok(text, 32)) {
      parse_error = "nested deeper than 32 levels";
    } else {
      j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) parse_error = "not valid JSON";
    }
    if (parse_error.empty() && !j.is_object()) parse_error = "not a JSON object";
    std::string path;
    if (parse_error.empty()) {
      auto p = j.find("_path");
      path = resolved_path(p != j.end() && p->is_string() ? p->get_ref<const std::string&>()
                                                          : std::string());
    } else {
      path = resolved_path({});
    }
    if (!parse_error.empty()) {
      ctx_.skip(ctx_.kind(zeek::kind_name(path)), no, parse_error);
      return {};
    }
    section* sec = json_section(path, j, no);
    if (sec == nullptr) {
      ctx_.skip(ctx_.kind(zeek::kind_name(path)), no, "no usable schema for " + path + ".log");
      return {};
    }
    active_ = sec;
    auto& counts = *sec->p.counts;
    ++counts.lines;
    begin_row();
    // Absent keys are unset fields.
    for (const auto& col : sec->p.columns) {
      for (const auto& t : col.targets) sec->events[t.slot].field(t.field) = model::none;
    }
    for (const auto& [key, v] : j.items()) {
      auto it = sec->p.by_name.find(key);
      if (it == sec->p.by_name.end()) {
        if (!key.empty() && key[0] != '_' && !sec->warned.contains(key)) {
          sec->warned.emplace(key, true);
          ctx_.warn(no, "key '" + key + "' of " + path + ".log " +
                            (zeek::is_catalogue_log(path)
                                 ? std::string("has no catalogue mapping")
                                 : "is not in type " + zeek::generic_type_name(path) +
                                       " (built from the first row)") +
                            "; its values are not imported");
        }
        continue;
      }
      const auto& col = sec->p.columns[it->second];
      if (v.is_null()) continue;
      switch (col.what) {
        case role::ignored:
          break;
        case role::field: {
          auto& first = sec->events[col.targets[0].slot].field(col.targets[0].field);
          if (!zeek::convert_json(v, *col.ty, first, why_)) {
            ctx_.skip(counts, no, "key '" + col.name + "': " + why_);
            return {};
          }
          for (std::size_t t = 1; t < col.targets.size(); ++t) {
            zeek::assign(sec->events[col.targets[t].slot].field(col.targets[t].field), first);
          }
          break;
        }
        case role::ts: {
          model::value tv;
          if (!zeek::convert_json(v, model::type(model::type_kind::time), tv, why_)) {
            ctx_.skip(counts, no, "key 'ts': " + why_);
            return {};
          }
          ts_ = tv.get<model::timestamp>();
          break;
        }
        case role::uid:
        case role::sensor:
          if (!v.is_string()) {
            ctx_.skip(counts, no, "key '" + col.name + "': not a string");
            return {};
          }
          if (col.what == role::uid) {
            uid_ = v.get_ref<const std::string&>();
          } else {
            sensor_ = v.get_ref<const std::string&>();
            has_sensor_ = true;
          }
          break;
        case role::transport:
          if (!v.is_string() || !transport_of(v.get_ref<const std::string&>())) {
            ctx_.skip(counts, no, "key '" + col.name + "': not a transport");
            return {};
          }
          break;
      }
    }
    return finish_row(no);
  }

  context& ctx_;
  std::string forced_;
  model::timestamp import_time_;
  // TSV header state.
  std::string sep_ = "\t";
  std::string set_sep_ = ",";
  std::string empty_ = "(empty)";
  std::string unset_ = "-";
  std::string header_path_;
  std::string path_;
  std::vector<std::string> fields_;
  std::vector<std::string> types_;
  std::uint64_t header_line_ = 0;
  bool saw_row_ = false;
  std::string plan_error_;
  std::unique_ptr<section> current_;
  std::map<std::string, std::unique_ptr<section>, std::less<>> json_;
  section* active_ = nullptr;
  // Row state.
  std::vector<std::string_view> cells_;
  std::string why_;
  model::timestamp ts_;
  std::string uid_;
  std::string sensor_;
  bool has_sensor_ = false;
  model::transport proto_ = model::transport::unknown;
};

}  // namespace

std::unique_ptr<line_parser> make_zeek_parser(context& ctx, std::string_view path) {
  return std::make_unique<zeek_parser>(ctx, path);
}

}  // namespace coop::importer::detail
