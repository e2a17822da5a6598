// SPKI pins and subject names of site certificates.
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

#include "coop/comm/identity.h"
#include "identity/openssl_handles.h"
#include "identity/pem_files.h"
#include "identity/spki.h"

namespace coop::comm {
namespace detail {
namespace {

std::string sha256_hex(const unsigned char* p, std::size_t n) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  unsigned int len = 0;
  if (EVP_Digest(p, n, md.data(), &len, EVP_sha256(), nullptr) != 1) return {};
  return to_hex(md.data(), len);
}

// DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) up to the key bytes:
// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) }.
constexpr std::array<unsigned char, 12> ed25519_spki_prefix = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
constexpr std::size_t ed25519_key_size = 32;

}  // namespace

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

std::string spki_pin_of(X509* cert) {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  if (spki == nullptr) return {};
  unsigned char* der = nullptr;
  int n = i2d_X509_PUBKEY(spki, &der);
  if (n <= 0) return {};
  std::string pin = sha256_hex(der, static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return pin;
}

std::string spki_pin_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return {};
  std::string pin = sha256_hex(der, static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return pin;
}

}  // namespace detail

result<std::string> spki_pin_of_certificate(const std::filesystem::path& cert) {
  auto x = detail::load_certificate(cert);
  if (!x) return x.err();
  std::string pin = detail::spki_pin_of(x->get());
  if (pin.empty()) {
    return error{errc::invalid_argument,
                 cert.string() + ": cannot encode the public key: " + detail::openssl_errors()};
  }
  return pin;
}

std::string spki_pin_of_ed25519(std::string_view raw_public_key) {
  if (raw_public_key.size() != detail::ed25519_key_size) return {};
  std::array<unsigned char, detail::ed25519_spki_prefix.size() + detail::ed25519_key_size> der{};
  std::copy(detail::ed25519_spki_prefix.begin(), detail::ed25519_spki_prefix.end(), der.begin());
  std::copy(raw_public_key.begin(), raw_public_key.end(),
            der.begin() + detail::ed25519_spki_prefix.size());
  return detail::sha256_hex(der.data(), der.size());
}

result<std::string> site_of_certificate(const std::filesystem::path& cert) {
  auto x = detail::load_certificate(cert);
  if (!x) return x.err();
  X509_NAME* subject = X509_get_subject_name(x->get());
  int i = subject == nullptr ? -1 : X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (i < 0) return error{errc::invalid_argument, cert.string() + ": subject has no common name"};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) {
    return error{errc::invalid_argument,
                 cert.string() + ": unreadable common name: " + detail::openssl_errors()};
  }
  std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return name;
}

}  // namespace coop::comm
