// Private: conversion of one Zeek column value, as TSV text or as a JSON
// value, into a catalogue value of a given type, writing into an existing
// value so string storage is reused from row to row. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::importer::zeek {

/// The redef-able markers of a TSV log.
struct text_rules {
  std::string_view set_separator = ",";
  std::string_view empty = "(empty)";
  std::string_view unset = "-";
};

/// Converts the TSV cell `cell` (still escaped) to type `t` into `out`.
/// The unset marker gives none, the empty marker an empty string or
/// container. On failure returns false with the reason in `why`.
bool convert_text(std::string_view cell, const model::type& t, const text_rules& rules,
                  model::value& out, std::string& why);

/// Converts the JSON value `j` to type `t` into `out` (null gives none;
/// times may be epoch numbers or RFC 3339 strings; times and intervals
/// given as numbers are rounded to the microsecond, as Zeek's TSV writer
/// prints them). On failure returns false with the reason in `why`.
bool convert_json(const nlohmann::json& j, const model::type& t, model::value& out,
                  std::string& why);

/// Zeek's enum text without its module ("Intel::ADDR" -> "ADDR").
std::string_view enum_label(std::string_view text) noexcept;

/// Copies `src` into `dst`, reusing dst's string storage when both are strings.
void assign(model::value& dst, const model::value& src);

}  // namespace coop::importer::zeek
