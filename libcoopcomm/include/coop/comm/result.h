// The error model of libcoopcomm: an `error` with a code and a message, and
// `result<T>`, either a value or an error. Every fallible public function
// returns one; no exception crosses the API. libcoopcomm does not depend on
// libevent-model, so it has its own codes, chosen for what a site operator
// does about them. Values are regular; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <string>
#include <utility>

#include "coop/base/result.h"
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
  /// The code enum (used by coop::base::basic_result).
  using code_type = errc;
  errc code = errc::ok;
  std::string message;

  /// "code: message", for logs and command-line tools.
  [[nodiscard]] std::string to_string() const {
    return std::string(coop::comm::to_string(code)) + ": " + message;
  }
  friend bool operator==(const error&, const error&) = default;
};

/// Either a `T` or an `error` (see coop/base/result.h): check `ok()` before
/// `value()`; `err()` only on failure.
template <class T>
using result = base::basic_result<T, error>;

}  // namespace coop::comm
