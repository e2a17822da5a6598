// The error model of libcoopcomm: an `error` with a code and a message, and
// `result<T>`, either a value or an error. Every fallible public function
// returns one; no exception crosses the API. libcoopcomm does not depend on
// libevent-model, so it has its own codes, chosen for what a site operator
// does about them. Values are regular; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "coop/comm/export.h"

namespace coop::comm {

/// Error codes, grouped by how a caller reacts to them.
enum class errc : int {
  ok = 0,
  invalid_argument = 1,  ///< Malformed input (a config line, a topic): fix the input.
  not_found = 2,         ///< A named thing (peer, request, file) does not exist.
  io = 3,                ///< The operating system refused a read, write or connect.
  protocol = 4,          ///< A peer sent bytes that break the protocol.
  refused = 5,           ///< Access control, a pin or an operator said no.
  timeout = 6,           ///< A deadline passed (handshake, request, approval).
  overloaded = 7,        ///< A limit or bounded queue is full.
  tls = 8,               ///< The TLS layer failed (certificate, version, handshake).
  signature = 9,         ///< An envelope's signature, expiry or sequence is not acceptable.
  closed = 10,           ///< The node or connection has shut down.
  unsupported = 11,      ///< No common protocol version, or a feature not offered.
};

/// Short, stable name of a code ("refused", ...).
COOP_COMM_EXPORT const char* to_string(errc e) noexcept;

/// An error: a code for the program and a message for a person, naming what
/// was wrong and where (file:line, peer, topic, byte offset).
struct error {
  errc code = errc::ok;
  std::string message;

  /// "code: message", for logs and command-line tools.
  [[nodiscard]] std::string to_string() const {
    return std::string(coop::comm::to_string(code)) + ": " + message;
  }
  friend bool operator==(const error&, const error&) = default;
};

/// Either a `T` or an `error`. Check `ok()` before `value()`; calling
/// `value()` on an error is a programming bug (asserts).
template <class T>
class [[nodiscard]] result {
 public:
  /// A success holding `v`.
  result(T v) : v_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  /// A failure holding `e`.
  result(error e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  /// A failure with code `c` and message `msg`.
  result(errc c, std::string msg) : v_(error{c, std::move(msg)}) {}

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
  result(error e) : e_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  /// A failure with code `c` and message `msg`.
  result(errc c, std::string msg) : e_{c, std::move(msg)} {}

  /// True on success.
  [[nodiscard]] bool ok() const noexcept { return e_.code == errc::ok; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// The error (failure only).
  [[nodiscard]] const error& err() const { assert(!ok()); return e_; }

 private:
  error e_;
};

}  // namespace coop::comm
