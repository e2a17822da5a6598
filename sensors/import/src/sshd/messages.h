// Private: what an sshd (or sshd PAM) message says about a login attempt,
// read by matching the fixed texts OpenSSH writes (no regular
// expressions). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coop::importer::sshd {

/// A login attempt as one sshd message describes it. Views point into the message.
struct login {
  std::string_view client;        ///< The client's address text.
  std::string_view port;          ///< Its port, empty if not given.
  std::string_view user;          ///< User name, empty if not given.
  bool has_user = false;          ///< True if the message names a user (possibly empty).
  std::string_view method;        ///< password, publickey, ... (empty if not given).
  int success = -1;               ///< 1 accepted, 0 failed, -1 unknown.
  bool invalid_user = false;      ///< The user does not exist.
  std::string reason;             ///< failure_reason, empty if none.
  bool ssh2 = false;              ///< The message says "ssh2".
  std::string_view key_type;      ///< Client key type ("RSA").
  std::string_view key_fingerprint;  ///< Client key fingerprint ("SHA256:...").
  std::uint64_t repeat = 1;       ///< "message repeated N times": N.
};

/// What a message is.
enum class verdict {
  login,       ///< A login attempt: `out` is filled.
  unrelated,   ///< A message that says nothing importable (session opened, ...).
};

/// Reads an sshd message (the text after "sshd[pid]: "). `program` is the
/// syslog tag ("sshd", "sshd-session", "sshd(pam_unix)").
verdict read_message(std::string_view program, std::string_view message, login& out);

}  // namespace coop::importer::sshd
