#include "hotlist/indicator_writer.h"

#include <utility>

#include "coop/model/catalogue.h"
#include "scan/scalars.h"

namespace coop::importer::hotlist {

namespace model = coop::model;

indicator_writer::indicator_writer(detail::context& ctx, tally& counts)
    : ctx_(ctx),
      counts_(counts),
      event_(ctx.schema(model::catalogue::indicator)),
      counter_(ctx.counter(model::catalogue::indicator)) {
  event_.from = ctx.opt.from;
}

model::result<void> indicator_writer::emit(const entry& e) {
  auto text = [](const std::string& s) -> model::value {
    if (s.empty()) return model::none;
    return s;
  };
  auto time = [](const std::optional<model::timestamp>& t) -> model::value {
    if (!t) return model::none;
    return *t;
  };
  std::vector<model::value> tags;
  for (const auto& t : e.tags) tags.emplace_back(t);
  // Field by name: hot lists are small, clarity wins over speed here.
  auto set = [&](std::string_view name, model::value v) -> model::result<void> {
    return event_.set(name, std::move(v));
  };
  for (auto& v : event_.fields()) v = model::none;
  model::result<void> r;
  if (r = set("indicator", e.value); !r) return r;
  if (r = set("indicator_type", model::enum_value{std::string(e.type)}); !r) return r;
  if (r = set("source", text(e.source)); !r) return r;
  if (r = set("description", text(e.description)); !r) return r;
  if (r = set("url", text(e.url)); !r) return r;
  if (e.confidence) {
    if (r = set("confidence", *e.confidence); !r) return r;
  }
  if (r = set("first_seen", time(e.first_seen)); !r) return r;
  if (r = set("last_seen", time(e.last_seen)); !r) return r;
  if (r = set("expiry", time(e.expiry)); !r) return r;
  if (!tags.empty()) {
    if (r = set("tags", model::value::make_set(std::move(tags))); !r) return r;
  }
  if (r = set("external_id", text(e.external_id)); !r) return r;
  if (r = set("removed", e.removed); !r) return r;
  event_.ts = e.ts;
  return ctx_.emit(event_, counts_, counter_);
}

std::string_view address_type(std::string_view text, std::string& normalised) {
  model::address a;
  if (scan::parse_address(text, a)) {
    normalised = a.to_string();
    return "ADDR";
  }
  if (text.find('/') != std::string_view::npos) {
    auto s = model::subnet::parse(text);
    if (s) {
      normalised = s->to_string();
      return "SUBNET";
    }
  }
  return {};
}

std::optional<model::timestamp> parse_time(std::string_view text) {
  std::int64_t ns = 0;
  if (scan::parse_seconds(text, ns)) return model::timestamp{ns};
  auto t = model::timestamp::parse(text);
  if (t) return *t;
  // "2024-01-02 03:04:05" (MISP) -> RFC 3339.
  if (text.size() >= 19 && text[10] == ' ') {
    std::string iso(text);
    iso[10] = 'T';
    if (iso.find('Z') == std::string::npos && iso.find('+', 19) == std::string::npos) iso += "Z";
    auto t2 = model::timestamp::parse(iso);
    if (t2) return *t2;
  }
  return std::nullopt;
}

}  // namespace coop::importer::hotlist
