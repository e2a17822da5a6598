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

std::string quoted(std::string_view s) {
  std::string q = "\"";
  q.append(s.substr(0, 64));
  if (s.size() > 64) q.append("...");
  return q + "\"";
}

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
    std::string key, name, doc;
    std::uint32_t version = 0;
    std::vector<field> fields;
    bool seen_name = false, seen_version = false, seen_doc = false, seen_fields = false;
    bool first = true;
    for (;;) {
      auto s = r_.next_member(first, key);
      if (s == json::reader::step::fail) return false;
      if (s == json::reader::step::end) break;
      bool* seen = key == "name" ? &seen_name
                   : key == "version" ? &seen_version
                   : key == "doc" ? &seen_doc
                   : key == "fields" ? &seen_fields
                                     : nullptr;
      if (seen == nullptr) return r_.fail(r_.key_offset(), "unknown key " + quoted(key) + " in a schema");
      if (*seen) return r_.fail(r_.key_offset(), "duplicate key " + quoted(key));
      *seen = true;
      bool ok = true;
      if (key == "name") ok = r_.parse_string(name);
      else if (key == "doc") ok = r_.parse_string(doc);
      else if (key == "version") ok = number(version);
      else ok = decode_fields(fields);
      if (!ok) {
        r_.prefix_path(key == "fields" ? "fields" : "." + key);
        return false;
      }
    }
    const std::size_t end = r_.pos() - 1;
    if (!r_.finish()) return false;
    if (!seen_name) return r_.fail(end, "missing key \"name\" in the schema object");
    if (!seen_version) return r_.fail(end, "missing key \"version\" in the schema object");
    if (!seen_fields) return r_.fail(end, "missing key \"fields\" in the schema object");
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
    bool first = true;
    for (std::size_t i = 0;; ++i) {
      auto s = r_.next_element(first);
      if (s == json::reader::step::fail) return false;
      if (s == json::reader::step::end) return true;
      if (fields.size() >= max_fields) {
        r_.peek();
        return r_.fail(r_.pos(), "more than " + std::to_string(max_fields) + " fields");
      }
      fields.emplace_back();
      if (!decode_field(fields.back())) {
        r_.prefix_path("[" + std::to_string(i) + "]");
        return false;
      }
    }
  }

  bool decode_field(field& f) {
    if (r_.peek() != '{') return r_.fail_expected("a field object");
    if (!r_.begin_object()) return false;
    std::string key, type_text;
    bool seen_name = false, seen_type = false, seen_optional = false, seen_default = false,
         seen_doc = false;
    std::size_t default_at = 0;
    std::size_t default_elements = 0;
    unsigned default_depth = 0;
    bool first = true;
    for (;;) {
      auto s = r_.next_member(first, key);
      if (s == json::reader::step::fail) return false;
      if (s == json::reader::step::end) break;
      bool* seen = key == "name" ? &seen_name
                   : key == "type" ? &seen_type
                   : key == "optional" ? &seen_optional
                   : key == "default" ? &seen_default
                   : key == "doc" ? &seen_doc
                                  : nullptr;
      if (seen == nullptr) return r_.fail(r_.key_offset(), "unknown key " + quoted(key) + " in a field");
      if (*seen) return r_.fail(r_.key_offset(), "duplicate key " + quoted(key));
      *seen = true;
      bool ok = true;
      r_.peek();
      const std::size_t at = r_.pos();
      if (key == "name") {
        ok = r_.parse_string(f.name);
      } else if (key == "doc") {
        ok = r_.parse_string(f.doc);
      } else if (key == "optional") {
        ok = r_.parse_bool(f.optional);
      } else if (key == "type") {
        ok = r_.parse_string(type_text);
        if (ok) {
          auto t = type::parse(type_text);
          if (!t) ok = r_.fail(at, t.err().message);
          else f.ty = std::move(*t);
        }
      } else {
        // The default is read once the type is known (it may come first).
        default_at = at;
        default_depth = r_.depth();
        const std::size_t before = r_.elements();
        ok = r_.skip_value();
        default_elements = r_.elements() - before;  // counted again when decoded
      }
      if (!ok) {
        r_.prefix_path("." + key);
        return false;
      }
    }
    if (!seen_name) return r_.fail(r_.pos() - 1, "missing key \"name\" in a field");
    if (!seen_type) return r_.fail(r_.pos() - 1, "missing key \"type\" in a field");
    if (seen_default) {
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
