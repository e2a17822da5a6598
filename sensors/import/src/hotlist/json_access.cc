#include "hotlist/json_access.h"

#include "scan/json_depth.h"

namespace coop::importer::hotlist {

std::optional<nlohmann::json> parse_document(std::string_view text, std::string& why) {
  if (!scan::json_depth_ok(text, 64)) {
    why = "JSON nested deeper than 64 levels";
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    why = "not valid JSON at byte " + std::to_string(e.byte);
  } catch (const std::exception& e) {
    why = std::string("not valid JSON: ") + e.what();
  }
  return std::nullopt;
}

namespace {
const nlohmann::json* member(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
}  // namespace

const std::string* str(const nlohmann::json& j, std::string_view key) {
  const auto* m = member(j, key);
  return m != nullptr && m->is_string() ? m->get_ptr<const std::string*>() : nullptr;
}

const nlohmann::json* arr(const nlohmann::json& j, std::string_view key) {
  const auto* m = member(j, key);
  return m != nullptr && m->is_array() ? m : nullptr;
}

const nlohmann::json* obj(const nlohmann::json& j, std::string_view key) {
  const auto* m = member(j, key);
  return m != nullptr && m->is_object() ? m : nullptr;
}

}  // namespace coop::importer::hotlist
