// The type-directed value codec shared by the event, value and schema
// functions of json.h.
#pragma once

#include <string>

#include "coop/model/type.h"
#include "coop/model/value.h"
#include "json/reader.h"

namespace coop::model::json {

/// Why a value could not be encoded: the path inside the value ("[2].x",
/// built while unwinding) and what was wrong.
struct encode_error {
  std::string path;
  std::string what;
};

/// Appends `v` read as `t`; none is `null`, and none record fields are
/// left out. On a value that does not conform to `t`, returns false with
/// `err` set (and `out` partly written: the caller truncates it).
bool encode_value(const value& v, const type& t, std::string& out, encode_error& err);

/// Reads one value of type `t` at the reader's position into `out`;
/// `null` gives none. On failure the reader holds the error.
bool decode_value(reader& r, const type& t, value& out);

}  // namespace coop::model::json
