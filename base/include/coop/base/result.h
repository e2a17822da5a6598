// `basic_result<T, E>`: either a value of type T or an error of type E, the
// expected-like return type of every fallible Coop function. Each library
// names its own error type (with its own codes) and aliases
// `result<T> = basic_result<T, error>`, so the libraries share this code
// without depending on one another. E must be an aggregate {code, message}
// whose `code_type` is its code enum and whose code value 0 means "ok".
// Values are regular; distinct objects may be used from distinct threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace coop::base {

/// Either a `T` or an `E`. Check with `ok()` (or `operator bool`) before
/// calling `value()`; calling `value()` on an error is a programming bug.
template <class T, class E>
class [[nodiscard]] basic_result {
 public:
  /// A success holding `v`.
  basic_result(T v) : v_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  /// A failure holding `e`.
  basic_result(E e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  /// A failure with code `c` and message `msg`.
  basic_result(typename E::code_type c, std::string msg) : v_(E{c, std::move(msg)}) {}

  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// The value (success only).
  T& value() & { assert(ok()); return std::get<0>(v_); }
  /// The value (success only).
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  /// The value, moved out (success only).
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  /// Member access to the value (success only).
  T* operator->() { return &value(); }
  /// Member access to the value (success only).
  const T* operator->() const { return &value(); }
  /// The value (success only).
  T& operator*() & { return value(); }
  /// The value (success only).
  const T& operator*() const& { return value(); }
  /// The error (failure only).
  [[nodiscard]] const E& err() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

/// The result of an operation that yields nothing but may fail.
template <class E>
class [[nodiscard]] basic_result<void, E> {
 public:
  /// A success.
  basic_result() = default;
  /// A failure holding `e`.
  basic_result(E e) : e_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  /// A failure with code `c` and message `msg`.
  basic_result(typename E::code_type c, std::string msg) : e_{c, std::move(msg)} {}

  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return e_.code == typename E::code_type{}; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// The error (failure only).
  [[nodiscard]] const E& err() const { assert(!ok()); return e_; }

 private:
  E e_;
};

}  // namespace coop::base
