// STIX 2.1 bundles: every indicator with a STIX pattern gives one indicator
// event per exact value its pattern compares against.
#include <map>
#include <string>

#include "hotlist/indicator_writer.h"
#include "hotlist/json_access.h"
#include "hotlist/stix_pattern.h"
#include "session/context.h"

namespace coop::importer::detail {

namespace model = coop::model;
using hotlist::arr;
using hotlist::str;

model::result<void> import_stix(std::string_view doc, context& ctx) {
  tally& counts = ctx.kind("stix");
  std::string why;
  auto j = hotlist::parse_document(doc, why);
  if (!j) {
    ctx.skip(counts, 0, why);
    return {};
  }
  const nlohmann::json* objects = arr(*j, "objects");
  nlohmann::json single = nlohmann::json::array();
  if (objects == nullptr) {
    // A lone STIX object rather than a bundle.
    if (str(*j, "type") == nullptr) {
      ctx.skip(counts, 0, "not a STIX bundle (no \"objects\" array and no \"type\")");
      return {};
    }
    single.push_back(*j);
    objects = &single;
  }
  std::map<std::string, std::string, std::less<>> identities;
  for (const auto& o : *objects) {
    const auto* type = str(o, "type");
    const auto* id = str(o, "id");
    const auto* name = str(o, "name");
    if (type != nullptr && *type == "identity" && id != nullptr && name != nullptr) {
      identities[*id] = *name;
    }
  }
  hotlist::indicator_writer writer(ctx, counts);
  const model::timestamp now = ctx.now();
  std::size_t index = 0;
  for (const auto& o : *objects) {
    ++index;
    const auto* type = str(o, "type");
    if (type == nullptr || *type != "indicator") continue;
    ++counts.lines;
    const auto* id = str(o, "id");
    const std::string where =
        "objects[" + std::to_string(index - 1) + "] (" + (id != nullptr ? *id : "indicator") + ")";
    const auto* pattern_type = str(o, "pattern_type");
    if (pattern_type != nullptr && *pattern_type != "stix") {
      ++counts.ignored;  // snort, yara, sigma, ...: not values to watch for
      continue;
    }
    const auto* pattern = str(o, "pattern");
    if (pattern == nullptr) {
      ctx.skip(counts, 0, where + ": no \"pattern\" string");
      continue;
    }
    const auto reading = hotlist::read_pattern(*pattern);
    if (!reading.error.empty()) {
      ctx.skip(counts, 0, where + ": " + reading.error);
      continue;
    }
    if (reading.values.empty()) {
      ++counts.ignored;  // only MATCHES/LIKE comparisons and the like
      continue;
    }
    hotlist::entry e;
    if (const auto* by = str(o, "created_by_ref")) {
      auto it = identities.find(*by);
      e.source = it != identities.end() ? it->second : *by;
    }
    if (const auto* d = str(o, "description")) {
      e.description = *d;
    } else if (const auto* n = str(o, "name")) {
      e.description = *n;
    }
    if (const auto* refs = arr(o, "external_references")) {
      for (const auto& ref : *refs) {
        if (const auto* u = str(ref, "url")) {
          e.url = *u;
          break;
        }
      }
    }
    if (auto c = o.find("confidence"); c != o.end() && c->is_number_unsigned()) {
      e.confidence = std::min<std::uint64_t>(c->get<std::uint64_t>(), 100);
    }
    if (const auto* until = str(o, "valid_until")) e.expiry = hotlist::parse_time(*until);
    for (const char* key : {"indicator_types", "labels"}) {
      if (const auto* list = arr(o, key)) {
        for (const auto& t : *list) {
          if (t.is_string()) e.tags.push_back(t.get<std::string>());
        }
      }
    }
    if (id != nullptr) e.external_id = *id;
    if (auto r = o.find("revoked"); r != o.end() && r->is_boolean()) e.removed = r->get<bool>();
    e.ts = now;
    for (const char* key : {"modified", "created"}) {
      if (const auto* t = str(o, key)) {
        if (auto ts = hotlist::parse_time(*t)) {
          e.ts = *ts;
          break;
        }
      }
    }
    for (const auto& v : reading.values) {
      e.value = v.value;
      e.type = v.type;
      if (auto r = writer.emit(e); !r) return r;
    }
    ++counts.records;
  }
  return {};
}

}  // namespace coop::importer::detail
