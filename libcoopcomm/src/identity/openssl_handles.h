// Owning handles for the OpenSSL objects libcoopcomm uses (keys, certificates,
// stores, BIOs, ...): std::unique_ptr with the matching *_free as deleter, so
// every early return releases what it holds. Also the one place that turns
// OpenSSL's thread-local error queue into a message. Private to libcoopcomm;
// the handles are plain unique_ptrs (one owner, one thread at a time).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace coop::comm::detail {

/// A deleter calling the OpenSSL function `F` (e.g. EVP_PKEY_free).
template <auto F>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    F(p);
  }
};

/// A unique_ptr releasing a `T` with `F`.
template <class T, auto F>
using openssl_ptr = std::unique_ptr<T, openssl_deleter<F>>;

using pkey_ptr = openssl_ptr<EVP_PKEY, EVP_PKEY_free>;
using pkey_ctx_ptr = openssl_ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using x509_ptr = openssl_ptr<X509, X509_free>;
using x509_name_ptr = openssl_ptr<X509_NAME, X509_NAME_free>;
using x509_ext_ptr = openssl_ptr<X509_EXTENSION, X509_EXTENSION_free>;
using x509_store_ptr = openssl_ptr<X509_STORE, X509_STORE_free>;
using x509_store_ctx_ptr = openssl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using bio_ptr = openssl_ptr<BIO, BIO_free_all>;
using bignum_ptr = openssl_ptr<BIGNUM, BN_free>;
using asn1_integer_ptr = openssl_ptr<ASN1_INTEGER, ASN1_INTEGER_free>;
using md_ctx_ptr = openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using ssl_ctx_ptr = openssl_ptr<SSL_CTX, SSL_CTX_free>;
using ssl_ptr = openssl_ptr<SSL, SSL_free>;

/// Drains this thread's OpenSSL error queue into one line ("reason; reason"),
/// or "no detail from OpenSSL" when it is empty. Call it right after the
/// failing OpenSSL call, on the same thread.
std::string openssl_errors();

}  // namespace coop::comm::detail
