// The real alternative the benchmark compares Coop's codecs with: events as
// JSON text through nlohmann-json, written the way an application using that
// library idiomatically would (build a nlohmann::json object, dump() it;
// parse() it, then convert each field into the event), and decoded back into
// the same coop::model::event objects, so that both sides do the same work.
#pragma once

#include <string>
#include <string_view>

#include "coop/model/event.h"
#include "coop/model/schema.h"

namespace coop::bench {

/// `e` as one JSON object: {"type", "version", "ts", "id", "site", "sensor",
/// "uid", "fields": {name: value, ...}}. Unset fields are left out;
/// addresses, subnets and ports are strings in Zeek notation, times and
/// intervals integer nanoseconds, sets and vectors arrays. Throws (as
/// nlohmann does) on a value it cannot represent.
std::string nlohmann_encode(const model::event& e);

/// Parses `text` written by nlohmann_encode and rebuilds the event against
/// the schema `types` holds for its type and version, converting each field
/// as its schema type says. Throws nlohmann::json::exception or
/// std::runtime_error on malformed input, an unknown type, or a field that
/// does not convert.
model::event nlohmann_decode(std::string_view text, const model::registry& types);

/// nlohmann_decode into an existing event, reusing its field vector when it
/// already has the type (a consumer decoding a stream into one object).
/// Throws as nlohmann_decode.
void nlohmann_decode_into(std::string_view text, const model::registry& types, model::event& e);

}  // namespace coop::bench
