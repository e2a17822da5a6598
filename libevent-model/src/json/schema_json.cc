// Schemas as JSON, so a receiver can learn an event type it does not know:
// {"name":..,"version":..,"doc":..,"fields":[{"name":..,"type":"<Zeek
// notation>","optional":true,"default":<value>,"doc":..}, ...]}.
#include <utility>
#include <vector>

#include "coop/model/json.h"
#include "json/codec.h"
#include "json/scalars.h"
#include "json/writer.h"

namespace coop::model {
namespace {

// The keys of a schema object and of a field object; a bit each in `seen`.
enum schema_key : unsigned { s_name, s_version, s_doc, s_fields };
constexpr std::string_view schema_keys[] = {"name", "version", "doc", "fields"};
enum field_key : unsigned { f_name, f_type, f_optional, f_default, f_doc };
constexpr std::string_view field_keys[] = {"name", "type", "optional", "default", "doc"};

constexpr bool has(unsigned seen, unsigned key) { return (seen & (1u << key)) != 0; }

class schema_decoder {
 public:
  explicit schema_decoder(json::reader& r) : r_(r) {}

  result<schema> run() {
    if (!decode()) return r_.take_error();
    return std::move(schema_);
  }

 private:
  bool decode() {
    r_.peek();
    const std::size_t start = r_.pos();
    if (r_.peek() != '{') return r_.fail_expected("a schema object");
    if (!r_.begin_object()) return false;
    std::string name, doc;
    std::uint32_t version = 0;
    std::vector<field> fields;
    unsigned seen = 0;
    if (!r_.each_member([&](const std::string& key) {
          bool ok = false;
          switch (r_.known_key(key, schema_keys, seen, "a schema")) {
            case s_name: ok = r_.parse_string(name); break;
            case s_doc: ok = r_.parse_string(doc); break;
            case s_version: ok = number(version); break;
            case s_fields: ok = decode_fields(fields); break;
            default: return false;
          }
          if (!ok) r_.prefix_path(key == "fields" ? "fields" : "." + key);
          return ok;
        })) {
      return false;
    }
    const std::size_t end = r_.pos() - 1;
    if (!r_.finish()) return false;
    if (!has(seen, s_name)) return r_.fail(end, "missing key \"name\" in the schema object");
    if (!has(seen, s_version)) return r_.fail(end, "missing key \"version\" in the schema object");
    if (!has(seen, s_fields)) return r_.fail(end, "missing key \"fields\" in the schema object");
    schema_ = schema(std::move(name), version, std::move(fields), std::move(doc));
    auto valid = schema_.validate();
    if (!valid) return r_.fail(start, "invalid schema: " + valid.err().message, valid.err().code);
    return true;
  }

  bool number(std::uint32_t& out) {
    r_.peek();
    const std::size_t at = r_.pos();
    std::string_view tok;
    std::string why;
    char c = r_.peek();
    if (c != '-' && (c < '0' || c > '9')) return r_.fail_expected("a version number");
    if (!r_.parse_number(tok)) return false;
    if (!json::number_to_u32(tok, out, why)) return r_.fail(at, why);
    return true;
  }

  bool decode_fields(std::vector<field>& fields) {
    if (r_.peek() != '[') return r_.fail_expected("an array of fields");
    if (!r_.begin_array()) return false;
    return r_.each_element([&](std::size_t i) {
      if (fields.size() >= max_fields) {
        r_.peek();
        return r_.fail(r_.pos(), "more than " + std::to_string(max_fields) + " fields");
      }
      fields.emplace_back();
      if (!decode_field(fields.back())) {
        r_.prefix_path("[" + std::to_string(i) + "]");
        return false;
      }
      return true;
    });
  }

  bool decode_field(field& f) {
    if (r_.peek() != '{') return r_.fail_expected("a field object");
    if (!r_.begin_object()) return false;
    std::string type_text;
    unsigned seen = 0;
    std::size_t default_at = 0;
    std::size_t default_elements = 0;
    unsigned default_depth = 0;
    if (!r_.each_member([&](const std::string& key) {
          const int k = r_.known_key(key, field_keys, seen, "a field");
          if (k < 0) return false;
          bool ok = true;
          r_.peek();
          const std::size_t at = r_.pos();
          switch (k) {
            case f_name: ok = r_.parse_string(f.name); break;
            case f_doc: ok = r_.parse_string(f.doc); break;
            case f_optional: ok = r_.parse_bool(f.optional); break;
            case f_type:
              ok = r_.parse_string(type_text);
              if (ok) {
                auto t = type::parse(type_text);
                if (!t) ok = r_.fail(at, t.err().message);
                else f.ty = std::move(*t);
              }
              break;
            default: {
              // The default is read once the type is known (it may come first).
              default_at = at;
              default_depth = r_.depth();
              const std::size_t before = r_.elements();
              ok = r_.skip_value();
              default_elements = r_.elements() - before;  // counted again when decoded
            }
          }
          if (!ok) r_.prefix_path("." + key);
          return ok;
        })) {
      return false;
    }
    if (!has(seen, f_name)) return r_.fail(r_.pos() - 1, "missing key \"name\" in a field");
    if (!has(seen, f_type)) return r_.fail(r_.pos() - 1, "missing key \"type\" in a field");
    if (has(seen, f_default)) {
      const std::size_t resume = r_.pos();
      const unsigned resume_depth = r_.depth();
      r_.seek(default_at, default_depth);
      r_.set_elements(r_.elements() - default_elements);
      if (!json::decode_value(r_, f.ty, f.default_value)) {
        r_.prefix_path(".default");
        return false;
      }
      r_.seek(resume, resume_depth);
    }
    return true;
  }

  json::reader& r_;
  schema schema_;
};

}  // namespace

result<std::string> schema_to_json(const schema& s) {
  std::string out = "{\"name\":";
  json::append_string(out, s.name());
  out.append(",\"version\":");
  json::append_u64(out, s.version());
  if (!s.doc().empty()) {
    out.append(",\"doc\":");
    json::append_string(out, s.doc());
  }
  out.append(",\"fields\":[");
  json::encode_error err;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const field& f = s[i];
    if (i != 0) out.push_back(',');
    out.append("{\"name\":");
    json::append_string(out, f.name);
    out.append(",\"type\":");
    json::append_string(out, f.ty.to_string());
    if (f.optional) out.append(",\"optional\":true");
    if (!f.default_value.is_none()) {
      out.append(",\"default\":");
      if (!json::encode_value(f.default_value, f.ty, out, err)) {
        return error{errc::invalid_argument,
                     "fields." + f.name + ".default" + err.path + ": " + err.what};
      }
    }
    if (!f.doc.empty()) {
      out.append(",\"doc\":");
      json::append_string(out, f.doc);
    }
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

result<schema> schema_from_json(std::string_view text, const json_limits& limits) {
  if (text.size() > limits.max_bytes) {
    return error{errc::overloaded, "input of " + std::to_string(text.size()) +
                                       " bytes exceeds max_bytes " + std::to_string(limits.max_bytes)};
  }
  json::reader r(text, limits);
  return schema_decoder(r).run();
}

}  // namespace coop::model
