// MISP event JSON: the attributes of each event and of its objects become
// indicator events (one per value; "domain|ip" and "filename|md5" give two).
#include <string>
#include <vector>

#include "hotlist/indicator_writer.h"
#include "hotlist/json_access.h"
#include "session/context.h"

namespace coop::importer::detail {

namespace model = coop::model;
using hotlist::arr;
using hotlist::obj;
using hotlist::str;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// The Intel type of a single-valued MISP attribute type, or empty.
std::string_view single_type(std::string_view t) {
  if (t == "ip-src" || t == "ip-dst") return "ADDR";  // SUBNET decided by the value
  if (t == "domain" || t == "hostname") return "DOMAIN";
  if (t == "url" || t == "uri") return "URL";
  if (t == "email" || t == "email-src" || t == "email-dst") return "EMAIL";
  if (t == "md5" || t == "sha1" || t == "sha256" || t == "sha512" || t == "sha224" ||
      t == "sha384") {
    return "FILE_HASH";
  }
  if (t == "filename") return "FILE_NAME";
  if (t == "target-user") return "USER_NAME";
  if (t == "x509-fingerprint-sha1") return "CERT_HASH";
  return {};
}

// The (value, type) pairs of one attribute.
std::vector<std::pair<std::string, std::string_view>> values_of(std::string_view type,
                                                                std::string_view value) {
  std::vector<std::pair<std::string, std::string_view>> out;
  auto add = [&](std::string_view t, std::string_view v) {
    std::string text(v);
    if (t == "ADDR") {
      std::string normalised;
      t = hotlist::address_type(v, normalised);
      if (t.empty()) return;
      text = normalised;
    }
    if (t == "FILE_HASH" || t == "CERT_HASH") text = lower(text);
    if (!text.empty()) out.emplace_back(std::move(text), t);
  };
  const auto bar = type.find('|');
  if (bar == std::string_view::npos) {
    if (auto t = single_type(type); !t.empty()) add(t, value);
    return out;
  }
  // Composite types: "domain|ip", "filename|md5", "ip-dst|port", "hostname|port".
  const auto vbar = value.find('|');
  if (vbar == std::string_view::npos) return out;
  const std::string_view left_type = type.substr(0, bar), right_type = type.substr(bar + 1);
  const std::string_view left = value.substr(0, vbar), right = value.substr(vbar + 1);
  if (auto t = single_type(left_type); !t.empty()) add(t, left);
  if (right_type == "ip") {
    add("ADDR", right);
  } else if (auto t = single_type(right_type); !t.empty()) {
    add(t, right);
  }
  return out;
}

class misp_reader {
 public:
  explicit misp_reader(context& ctx)
      : ctx_(ctx), counts_(ctx.kind("misp")), writer_(ctx, counts_), now_(ctx.now()) {}

  model::result<void> event(const nlohmann::json& ev, std::size_t index) {
    std::string source;
    for (const char* org : {"Orgc", "Org"}) {
      if (const auto* o = obj(ev, org)) {
        if (const auto* n = str(*o, "name")) {
          source = *n;
          break;
        }
      }
    }
    std::vector<std::string> event_tags = tags(ev);
    const auto* info = str(ev, "info");
    const std::string where = "event " + std::to_string(index);
    if (const auto* attrs = arr(ev, "Attribute")) {
      for (std::size_t i = 0; i < attrs->size(); ++i) {
        auto r = attribute((*attrs)[i], source, event_tags, info,
                           where + " Attribute[" + std::to_string(i) + "]");
        if (!r) return r;
      }
    }
    if (const auto* objects = arr(ev, "Object")) {
      for (std::size_t k = 0; k < objects->size(); ++k) {
        const auto* attrs = arr((*objects)[k], "Attribute");
        if (attrs == nullptr) continue;
        for (std::size_t i = 0; i < attrs->size(); ++i) {
          auto r = attribute((*attrs)[i], source, event_tags, info,
                             where + " Object[" + std::to_string(k) + "].Attribute[" +
                                 std::to_string(i) + "]");
          if (!r) return r;
        }
      }
    }
    return {};
  }

  tally& counts() { return counts_; }

 private:
  static std::vector<std::string> tags(const nlohmann::json& j) {
    std::vector<std::string> out;
    if (const auto* list = arr(j, "Tag")) {
      for (const auto& t : *list) {
        if (const auto* n = str(t, "name")) out.push_back(*n);
      }
    }
    return out;
  }

  model::result<void> attribute(const nlohmann::json& a, const std::string& source,
                                const std::vector<std::string>& event_tags,
                                const std::string* info, const std::string& where) {
    ++counts_.lines;
    const auto* type = str(a, "type");
    const auto* value = str(a, "value");
    if (type == nullptr || value == nullptr) {
      ctx_.skip(counts_, 0, where + ": no \"type\" or \"value\" string");
      return {};
    }
    const auto values = values_of(*type, *value);
    const std::string_view head_type = std::string_view(*type).substr(0, type->find('|'));
    if (values.empty() && !single_type(head_type).empty()) {
      ctx_.skip(counts_, 0, where + ": '" + value->substr(0, 64) + "' is not a valid " + *type +
                                " value");
      return {};
    }
    if (values.empty()) {
      ++counts_.ignored;  // links, registry keys, text, AS numbers: not watchable values
      return {};
    }
    hotlist::entry e;
    e.source = source;
    if (const auto* c = str(a, "comment"); c != nullptr && !c->empty()) {
      e.description = *c;
    } else if (info != nullptr) {
      e.description = *info;
    }
    e.tags = event_tags;
    for (auto& t : tags(a)) e.tags.push_back(std::move(t));
    if (auto ids = a.find("to_ids"); ids != a.end() && ids->is_boolean() && !ids->get<bool>()) {
      e.tags.emplace_back("misp:to_ids=false");
    }
    if (const auto* u = str(a, "uuid")) e.external_id = *u;
    if (const auto* f = str(a, "first_seen")) e.first_seen = hotlist::parse_time(*f);
    if (const auto* l = str(a, "last_seen")) e.last_seen = hotlist::parse_time(*l);
    if (auto d = a.find("deleted"); d != a.end() && d->is_boolean()) e.removed = d->get<bool>();
    e.ts = now_;
    if (const auto* ts = str(a, "timestamp")) {
      if (auto t = hotlist::parse_time(*ts)) e.ts = *t;
    }
    for (const auto& [v, t] : values) {
      e.value = v;
      e.type = t;
      if (auto r = writer_.emit(e); !r) return r;
    }
    ++counts_.records;
    return {};
  }

  context& ctx_;
  tally& counts_;
  hotlist::indicator_writer writer_;
  model::timestamp now_;
};

}  // namespace

model::result<void> import_misp(std::string_view doc, context& ctx) {
  misp_reader reader(ctx);
  std::string why;
  auto j = hotlist::parse_document(doc, why);
  if (!j) {
    ctx.skip(reader.counts(), 0, why);
    return {};
  }
  // {"Event": {...}}, {"response": [{"Event": {...}}, ...]}, [{"Event": ...}], or a bare event.
  std::vector<const nlohmann::json*> events;
  auto collect = [&](const nlohmann::json& item) {
    if (const auto* ev = obj(item, "Event")) {
      events.push_back(ev);
    } else if (arr(item, "Attribute") != nullptr || arr(item, "Object") != nullptr) {
      events.push_back(&item);
    }
  };
  if (j->is_array()) {
    for (const auto& item : *j) collect(item);
  } else if (const auto* response = arr(*j, "response")) {
    for (const auto& item : *response) collect(item);
  } else {
    collect(*j);
  }
  if (events.empty()) {
    ctx.skip(reader.counts(), 0, "no MISP event (expected \"Event\", \"response\" or \"Attribute\")");
    return {};
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (auto r = reader.event(*events[i], i); !r) return r;
  }
  return {};
}

}  // namespace coop::importer::detail
