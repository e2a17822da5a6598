// The error model of libevent-model: an `error` with a code and a message, and
// `result<T>`, an expected-like holder of either a value or an error. Every
// fallible public function returns one of these; no exception crosses the API.
// Values of these types are regular; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <cassert>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

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
  errc code = errc::ok;
  std::string message;

  /// "code: message", for logs and command-line tools.
  [[nodiscard]] std::string to_string() const {
    return std::string(coop::model::to_string(code)) + ": " + message;
  }
  friend bool operator==(const error&, const error&) = default;
};

/// Either a `T` or an `error`. Check with `ok()` (or `operator bool`) before
/// calling `value()`; calling `value()` on an error is a programming bug.
template <class T>
class [[nodiscard]] result {
 public:
  /// A success holding `v`.
  result(T v) : v_(std::move(v)) {}                // NOLINT(google-explicit-constructor)
  /// A failure holding `e`.
  result(error e) : v_(std::move(e)) {}            // NOLINT(google-explicit-constructor)
  /// A failure with code `c` and message `msg`.
  result(errc c, std::string msg) : v_(error{c, std::move(msg)}) {}

  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }

  /// The value; calling it on a failure is a programming bug (asserts).
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The error; calling this on a success is a programming bug.
  [[nodiscard]] const error& err() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

/// The result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] result<void> {
 public:
  /// A success.
  result() = default;
  /// A failure holding `e`.
  result(error e) : e_(std::move(e)) {}            // NOLINT(google-explicit-constructor)
  /// A failure with code `c` and message `msg`.
  result(errc c, std::string msg) : e_{c, std::move(msg)} {}

  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return e_.code == errc::ok; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] const error& err() const { assert(!ok()); return e_; }

 private:
  error e_;
};

}  // namespace coop::model

template <>
struct std::is_error_code_enum<coop::model::errc> : std::true_type {};
