// Private: exception-free access to untrusted JSON documents (nlohmann
// json): parsing with a depth pre-check and an error that says where, and
// typed member lookups that return null instead of throwing. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace coop::importer::hotlist {

/// Parses `text`; on failure returns nullopt with the reason and byte
/// offset in `why`. Nesting deeper than 64 is refused before parsing.
std::optional<nlohmann::json> parse_document(std::string_view text, std::string& why);

/// Member `key` of object `j` if it is a string, else null.
const std::string* str(const nlohmann::json& j, std::string_view key);
/// Member `key` of object `j` if it is an array, else null.
const nlohmann::json* arr(const nlohmann::json& j, std::string_view key);
/// Member `key` of object `j` if it is an object, else null.
const nlohmann::json* obj(const nlohmann::json& j, std::string_view key);

}  // namespace coop::importer::hotlist
