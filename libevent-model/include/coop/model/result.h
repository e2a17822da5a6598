// The error model of libevent-model: an `error` with a code and a message, and
// `result<T>`, an expected-like holder of either a value or an error. Every
// fallible public function returns one of these; no exception crosses the API.
// Values of these types are regular; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include "coop/base/result.h"
#include "coop/model/export.h"

namespace coop::model {

/// Error codes, grouped by how a caller reacts to them.
enum class errc : int {
  ok = 0,
  invalid_argument = 1,  ///< The input is malformed or violates a schema: fix the input.
  not_found = 2,         ///< A named thing (type, field) does not exist.
  corruption = 3,        ///< Stored or received bytes are damaged.
  io = 4,                ///< The operating system refused a read or write.
  overloaded = 5,        ///< A limit (size, nesting, traversal) was exceeded.
  unsupported = 6,       ///< Understood but not supported (e.g. a newer format version).
  incompatible = 7,      ///< Two schemas cannot be reconciled.
};

/// The std::error_category of `errc`, named "coop.model".
COOP_MODEL_EXPORT const std::error_category& model_category() noexcept;

/// Converts `e` into a std::error_code in `model_category()`.
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), model_category()};
}

/// Short, stable name of a code ("invalid_argument", ...).
COOP_MODEL_EXPORT const char* to_string(errc e) noexcept;

/// An error: a code for the program and a message for a person. The message
/// names what was wrong and where (field name, byte offset, column).
struct error {
  /// The code enum (used by coop::base::basic_result).
  using code_type = errc;
  errc code = errc::ok;
  std::string message;

  /// "code: message", for logs and command-line tools.
  [[nodiscard]] std::string to_string() const {
    return std::string(coop::model::to_string(code)) + ": " + message;
  }
  friend bool operator==(const error&, const error&) = default;
};

/// Either a `T` or an `error` (see coop/base/result.h): check `ok()` before
/// `value()`; `err()` only on failure.
template <class T>
using result = base::basic_result<T, error>;

}  // namespace coop::model

template <>
struct std::is_error_code_enum<coop::model::errc> : std::true_type {};
