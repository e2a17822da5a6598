// Events as JSON lines: the envelope (type, version, ts, id, site, sensor,
// uid) and the "fields" object, decoded with the schema the registry picks
// for the event's type and version.
#include <algorithm>
#include <bitset>
#include <utility>
#include <vector>

#include "coop/model/json.h"
#include "json/codec.h"
#include "json/scalars.h"
#include "json/writer.h"

namespace coop::model {
namespace {

// The envelope's keys; a bit each in envelope_decoder::seen_.
enum envelope_key : unsigned { k_type, k_version, k_ts, k_id, k_site, k_sensor, k_uid, k_fields, k_count };
constexpr std::string_view envelope_names[k_count] = {"type", "version", "ts",     "id",
                                                      "site", "sensor",  "uid",    "fields"};

class envelope_decoder {
 public:
  envelope_decoder(json::reader& r, const registry& reg) : r_(r), reg_(reg) {}

  result<event> run() {
    if (!decode()) return r_.take_error();
    return std::move(event_);
  }

 private:
  bool decode() {
    if (r_.peek() != '{') return r_.fail_expected("an event object");
    if (!r_.begin_object()) return false;
    if (!r_.each_member([&](const std::string& key) {
          const int k = r_.known_key(key, envelope_names, seen_, "an event object");
          if (k < 0) return false;
          const bool resolvable = (seen_ & (1u << k_type)) && (seen_ & (1u << k_version));
          if (k == k_fields && resolvable && !resolve()) return false;
          if (!member(static_cast<envelope_key>(k))) {
            r_.prefix_path(envelope_names[k]);
            return false;
          }
          return true;
        })) {
      return false;
    }
    const std::size_t end = r_.pos() - 1;
    if (!r_.finish()) return false;
    for (unsigned k : {k_type, k_version, k_ts, k_id, k_fields}) {
      if (!(seen_ & (1u << k))) {
        return r_.fail(end, "missing key \"" + std::string(envelope_names[k]) + "\" in the event object");
      }
    }
    if (deferred_fields_) {
      // "fields" came before "type" or "version": decode it now.
      if (!resolve()) return false;
      r_.seek(fields_at_, 1);
      r_.set_elements(r_.elements() - fields_elements_);
      if (!decode_fields()) {
        r_.prefix_path("fields");
        return false;
      }
    }
    event_.ts = ts_;
    event_.id = id_;
    event_.from = std::move(from_);
    event_.uid = std::move(uid_);
    return true;
  }

  bool member(envelope_key k) {
    r_.peek();
    const std::size_t at = r_.pos();
    std::string why;
    switch (k) {
      case k_type:
        type_at_ = at;
        return r_.parse_string(type_name_);
      case k_version: {
        std::string_view tok;
        if (r_.peek() != '-' && (r_.peek() < '0' || r_.peek() > '9')) {
          return r_.fail_expected("a version number");
        }
        if (!r_.parse_number(tok)) return false;
        if (!json::number_to_u32(tok, version_, why)) return r_.fail(at, why);
        if (version_ == 0) return r_.fail(at, "version must be at least 1");
        return true;
      }
      case k_ts: {
        value v;
        if (!json::decode_value(r_, type(type_kind::time), v)) return false;
        if (v.is_none()) return r_.fail(at, "expected a time, found null");
        ts_ = v.get<timestamp>();
        return true;
      }
      case k_id: {
        std::string& s = r_.scratch();
        if (!r_.parse_string(s)) return false;
        if (!json::text_to_event_id(s, id_, why)) return r_.fail(at, why);
        return true;
      }
      case k_site: return r_.parse_string(from_.site);
      case k_sensor: return r_.parse_string(from_.sensor);
      case k_uid: return r_.parse_string(uid_);
      case k_fields:
        if (event_.has_type()) return decode_fields();  // resolved by the caller
        deferred_fields_ = true;
        fields_at_ = at;
        fields_elements_ = r_.elements();
        if (!r_.skip_value()) return false;
        fields_elements_ = r_.elements() - fields_elements_;  // counted again when decoded
        return true;
      case k_count: break;
    }
    return false;
  }

  // Picks the schema: the exact version if known, else the newest.
  bool resolve() {
    auto s = reg_.find(type_name_, version_);
    if (!s) {
      s = reg_.find(type_name_);
      if (!s) {
        r_.fail(type_at_, "unknown event type " + json::quoted(type_name_), errc::not_found);
        r_.prefix_path("type");
        return false;
      }
      // Fields appended by a version newer than any we know are skipped.
      ignore_unknown_ = version_ > s->version();
    }
    event_ = event(s);
    return true;
  }

  bool decode_fields() {
    const schema& sc = event_.type();
    if (r_.peek() != '{') return r_.fail_expected("an object of fields");
    const std::size_t fields_at = r_.pos();
    if (sc.size() > max_fields) return r_.fail(fields_at, "schema has too many fields");
    if (!r_.begin_object()) return false;
    std::bitset<max_fields> seen;
    std::vector<std::pair<std::string, std::size_t>> unknown;
    if (!r_.each_member([&](const std::string& key) {
          auto idx = sc.index_of(key);
          if (!idx) {
            unknown.emplace_back(key, r_.key_offset());
            return r_.skip_value();
          }
          if (seen[*idx]) return r_.fail(r_.key_offset(), "duplicate key " + json::quoted(key));
          seen[*idx] = true;
          r_.peek();
          const std::size_t at = r_.pos();
          value& v = event_.field(*idx);
          if (!json::decode_value(r_, sc[*idx].ty, v)) {
            r_.prefix_path("." + key);
            return false;
          }
          if (v.is_none() && !sc[*idx].optional) {
            r_.fail(at, "null for a required field");
            r_.prefix_path("." + key);
            return false;
          }
          return true;
        })) {
      return false;
    }
    if (!unknown.empty()) {
      if (!ignore_unknown_) return unknown_fields(unknown);
      std::sort(unknown.begin(), unknown.end());
      for (std::size_t i = 1; i < unknown.size(); ++i) {
        if (unknown[i].first == unknown[i - 1].first) {
          return r_.fail(unknown[i].second, "duplicate key " + json::quoted(unknown[i].first));
        }
      }
    }
    for (std::size_t i = 0; i < sc.size(); ++i) {
      if (!seen[i] && !sc[i].optional && event_.field(i).is_none()) {
        r_.fail(fields_at, "required field is missing");
        r_.prefix_path("." + sc[i].name);
        return false;
      }
    }
    return true;
  }

  bool unknown_fields(const std::vector<std::pair<std::string, std::size_t>>& unknown) {
    std::string names;
    for (std::size_t i = 0; i < unknown.size() && i < 8; ++i) {
      if (i != 0) names += ", ";
      names += json::quoted(unknown[i].first);
    }
    if (unknown.size() > 8) names += " and " + std::to_string(unknown.size() - 8) + " more";
    const schema& sc = event_.type();
    return r_.fail(unknown.front().second,
                   std::string(unknown.size() == 1 ? "unknown field " : "unknown fields ") + names +
                       " for " + sc.name() + " version " + std::to_string(sc.version()));
  }

  json::reader& r_;
  const registry& reg_;
  unsigned seen_ = 0;
  std::string type_name_;
  std::size_t type_at_ = 0;
  std::uint32_t version_ = 0;
  timestamp ts_;
  event_id id_;
  origin from_;
  std::string uid_;
  bool deferred_fields_ = false;
  std::size_t fields_at_ = 0;
  std::size_t fields_elements_ = 0;
  bool ignore_unknown_ = false;
  event event_;
};

}  // namespace

result<void> to_json(const event& e, std::string& out) {
  if (!e.has_type()) return error{errc::invalid_argument, "the event has no type"};
  const schema& s = e.type();
  if (e.size() != s.size()) {
    return error{errc::invalid_argument, "the event has " + std::to_string(e.size()) +
                                             " fields but its type " + s.name() + " has " +
                                             std::to_string(s.size())};
  }
  const std::size_t start = out.size();
  out.append("{\"type\":");
  json::append_string(out, s.name());
  out.append(",\"version\":");
  json::append_u64(out, s.version());
  out.append(",\"ts\":");
  json::append_rfc3339(out, e.ts.ns);
  out.append(",\"id\":");
  json::append_event_id(out, e.id);
  out.append(",\"site\":");
  json::append_string(out, e.from.site);
  out.append(",\"sensor\":");
  json::append_string(out, e.from.sensor);
  if (!e.uid.empty()) {
    out.append(",\"uid\":");
    json::append_string(out, e.uid);
  }
  out.append(",\"fields\":{");
  bool first = true;
  json::encode_error err;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const field& f = s[i];
    const value& v = e.field(i);
    if (v.is_none()) {
      if (!f.optional) {
        out.resize(start);
        return error{errc::invalid_argument, "fields." + f.name + ": required field is unset"};
      }
      // Absent means "take the default", so an unset field that has a
      // default is written as null.
      if (f.default_value.is_none()) continue;
    }
    if (!first) out.push_back(',');
    first = false;
    json::append_string(out, f.name);
    out.push_back(':');
    if (!json::encode_value(v, f.ty, out, err)) {
      out.resize(start);
      return error{errc::invalid_argument, "fields." + f.name + err.path + ": " + err.what};
    }
  }
  out.append("}}");
  return {};
}

result<std::string> to_json(const event& e) {
  std::string out;
  auto r = to_json(e, out);
  if (!r) return r.err();
  return out;
}

result<event> from_json(std::string_view text, const registry& reg, const json_limits& limits) {
  if (text.size() > limits.max_bytes) {
    return error{errc::overloaded, "input of " + std::to_string(text.size()) +
                                       " bytes exceeds max_bytes " + std::to_string(limits.max_bytes)};
  }
  json::reader r(text, limits);
  return envelope_decoder(r, reg).run();
}

}  // namespace coop::model
