// Ed25519 signing and verification of envelope headers, and SHA-256, through
// OpenSSL 3. A signing_key is immutable after loading and may sign from any
// thread. A verifier caches parsed public keys; one verifier is used by one
// thread at a time (a node's verifying thread, or its I/O thread while the
// verifying thread is idle).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "coop/comm/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace coop::comm::crypto {

/// SHA-256 of `data`.
std::array<std::uint8_t, 32> sha256(std::string_view data);

/// The bytes an envelope signature covers (protocol version 2): the domain
/// tag "coop-envelope-v2", a zero byte, then the SHA-256 of the header (49
/// bytes). Ed25519 hashes its message with SHA-512 three times between the
/// signer and a verifier, and a header holds 40 bytes per item: hashing it
/// once with SHA-256 (SHA-NI) first costs a fraction of that.
std::string signed_bytes(std::string_view header);

/// A site's private Ed25519 key.
class signing_key {
 public:
  /// Reads a PEM private key; it must be Ed25519. Errors name the file.
  static result<signing_key> load(const std::filesystem::path& pem);
  /// Wraps raw 32-byte private key material (test vectors).
  static result<signing_key> from_raw(std::string_view private_key);

  /// The raw 32-byte public key.
  [[nodiscard]] const std::string& public_key() const noexcept { return public_; }
  /// The 64-byte Ed25519 signature of `message`.
  [[nodiscard]] std::string sign(std::string_view message) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string public_;
};

/// Verifies Ed25519 signatures, keeping parsed keys.
class verifier {
 public:
  /// True when `signature` (64 bytes) is the signature of `message` by the
  /// raw 32-byte `public_key`.
  bool verify(std::string_view public_key, std::string_view message, std::string_view signature);

 private:
  std::unordered_map<std::string, std::shared_ptr<EVP_PKEY>> keys_;
};

}  // namespace coop::comm::crypto
