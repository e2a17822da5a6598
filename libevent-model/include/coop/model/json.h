// The JSON format of events, values and schemas (docs/format-json.md is the
// specification). One event is one JSON object on one line, so a stream of
// events is JSON lines; decoding is directed by the event's schema, taken
// from a registry, and the round trip event -> JSON -> event is lossless for
// every value, including strings that are not valid UTF-8 (surrogateescape)
// and 64-bit integers (never read through a double). The decoder is a strict
// RFC 8259 parser with limits for untrusted input; every error names the
// byte offset and, inside an event, the field. All functions are pure:
// they may be called from many threads at once, provided a shared registry
// is not modified concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "coop/model/event.h"
#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::model {

/// Limits the JSON decoders enforce on untrusted input. Exceeding one is an
/// `errc::overloaded` error naming the limit and the byte offset.
struct json_limits {
  /// Largest accepted input, in bytes. Default 16 MiB.
  std::size_t max_bytes = std::size_t{16} << 20;
  /// Deepest nesting of arrays and objects, the outermost counting as 1.
  /// Default 64: an event's envelope and "fields" take 2 levels and a table
  /// takes 2 per level, so every type within max_type_depth (16) fits.
  /// Values above 1000 act as 1000, so decoding never recurses deeper.
  unsigned max_depth = 64;
  /// Longest single string after unescaping (and base64 decoding for
  /// `bytes`), in bytes; object keys included. Default 1 MiB.
  std::size_t max_string_bytes = std::size_t{1} << 20;
  /// Total number of array elements plus object members in one input,
  /// which bounds the memory a decoded value may take. Default 1,000,000.
  std::size_t max_elements = 1'000'000;
};

/// Appends `e` as one line of JSON (no trailing newline) to `out`. Reuses
/// `out`'s capacity: once `out` is large enough no allocation happens.
/// Errors: invalid_argument naming the field when the event has no type,
/// a field does not conform to its type, or a required field is unset; on
/// error `out` is left as it was.
COOP_MODEL_EXPORT result<void> to_json(const event& e, std::string& out);

/// `e` as a new JSON string; same errors as the appending overload.
COOP_MODEL_EXPORT result<std::string> to_json(const event& e);

/// Decodes one event. The schema is `reg.find(type, version)` when the
/// registry knows that exact version, else the newest version of the type
/// it knows. Fields the chosen schema does not have are an error, except
/// when the input claims a newer version than any the registry knows: then
/// they are taken as fields appended by that newer version and ignored.
/// Absent fields take their schema default. Errors: not_found (type unknown
/// to `reg`), invalid_argument (syntax, schema violation; the message names
/// the field and byte offset), overloaded (a limit was exceeded).
/// Whitespace may surround the object (a JSON line with its newline is fine).
COOP_MODEL_EXPORT result<event> from_json(std::string_view text, const registry& reg,
                                          const json_limits& limits = {});

/// Appends the JSON encoding of `v`, read as type `t`, to `out`. `none` is
/// written `null`. Errors: invalid_argument naming the path (`[2].x`) when
/// `v` does not conform to `t`; on error `out` is left as it was.
/// (This returns a result, not void, because a value may not conform.)
COOP_MODEL_EXPORT result<void> value_to_json(const value& v, const type& t, std::string& out);

/// Decodes one value of type `t`; `null` gives none. Errors as from_json,
/// with the path inside the value (`[2].x`).
COOP_MODEL_EXPORT result<value> value_from_json(std::string_view text, const type& t,
                                                const json_limits& limits = {});

/// A schema as one JSON object: name, version, doc, and fields with their
/// name, type in Zeek notation, optional flag, default value and doc.
/// Errors: invalid_argument when a default does not conform to its type.
COOP_MODEL_EXPORT result<std::string> schema_to_json(const schema& s);

/// Decodes a schema written by schema_to_json and validates it
/// (schema::validate). Errors: invalid_argument naming the field and byte
/// offset, or the type text's column; overloaded (limits).
COOP_MODEL_EXPORT result<schema> schema_from_json(std::string_view text,
                                                  const json_limits& limits = {});

}  // namespace coop::model
