// SPKI SHA-256 pins of OpenSSL certificates and keys, for the TLS layer's
// verification callback and for the public identity functions. Private to
// libcoopcomm; thread-safe (pure functions of their arguments).
#pragma once

#include <cstddef>
#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace coop::comm::detail {

/// Lowercase hex of `n` bytes at `p`.
std::string to_hex(const unsigned char* p, std::size_t n);

/// The pin of `cert`: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo
/// (64 chars), or an empty string if OpenSSL cannot encode it.
std::string spki_pin_of(X509* cert);

/// The pin of the public half of `key`, same form as spki_pin_of(X509*).
std::string spki_pin_of(EVP_PKEY* key);

}  // namespace coop::comm::detail
