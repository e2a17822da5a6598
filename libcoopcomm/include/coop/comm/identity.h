// Site identities: a site's Ed25519 key and X.509 certificate, a small test
// certificate authority, and the SPKI SHA-256 pin by which peers name each
// other's keys. The same key authenticates the site in TLS 1.3 and signs its
// envelopes. All functions are safe to call from any thread; they touch only
// the files they are given (and, while writing, temporary files beside them).
// The tool examples/coop-certs wraps them for the command line.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "coop/comm/export.h"
#include "coop/comm/result.h"

namespace coop::comm {

/// Validity of a certificate relative to now. A negative `not_before` moves
/// the start into the past, a positive one into the future; `valid_for`
/// counts from that start (so not_before = -2 days, valid_for = 1 day makes an
/// already expired certificate, which the tests need). `valid_for` must be
/// positive and both fields at most 100 years in magnitude.
struct validity {
  std::chrono::seconds not_before{std::chrono::seconds(-300)};  ///< Clock-skew allowance by default.
  std::chrono::seconds valid_for{std::chrono::hours(24 * 365)};  ///< One year by default.
};

/// Paths of a key and its certificate (PEM).
struct identity_files {
  std::filesystem::path key;   ///< Unencrypted PKCS#8 PEM private key, mode 0600.
  std::filesystem::path cert;  ///< X.509 v3 PEM certificate, mode 0644.
};

/// Creates a self-signed Ed25519 certificate authority named `name` in `dir`
/// (created if missing) as `<name>.key` and `<name>.crt`: subject CN=<name>,
/// critical CA:TRUE with pathlen 0, critical keyCertSign and cRLSign, subject
/// and authority key identifiers, a random 127-bit serial. `name` follows the
/// site name rule of create_site(). Each file is written under a temporary
/// name and linked into place, so it appears complete or not at all; on
/// failure neither file is left behind.
/// Errors: errc::invalid_argument for a bad name or validity (naming it) and
/// when either file exists ("refusing to overwrite existing file <path>":
/// existing files are never replaced); errc::io naming the path when the
/// directory or a file cannot be created.
COOP_COMM_EXPORT result<identity_files> create_authority(const std::filesystem::path& dir,
                                                         std::string_view name,
                                                         const validity& v = {});

/// Creates an Ed25519 key and a certificate for site `site`, signed by the
/// authority `ca`, in `dir` (created if missing) as `<site>.key` and
/// `<site>.crt`: subject CN=<site>, subjectAltName DNS:<site>, critical
/// CA:FALSE, critical digitalSignature, extendedKeyUsage serverAuth and
/// clientAuth (a site is both), key identifiers chaining it to `ca`. `site`
/// must be 1-64 chars of [A-Za-z0-9._-] starting with a letter or digit (no
/// hidden files, nothing a command line takes for an option). Files are
/// written as by create_authority() and never overwritten. An authority with
/// a non-Ed25519 key (RSA, ECDSA) signs with SHA-256.
/// Errors: errc::invalid_argument naming the site name, the validity, an
/// existing file, or the authority's file when it is not a CA, its key does
/// not match its certificate, or it has expired; errc::not_found / errc::io
/// naming an authority file that cannot be read; errc::io naming a path that
/// cannot be written.
COOP_COMM_EXPORT result<identity_files> create_site(const identity_files& ca,
                                                    const std::filesystem::path& dir,
                                                    std::string_view site,
                                                    const validity& v = {});

/// The SPKI pin of the certificate in PEM file `cert`: lowercase hex of the
/// SHA-256 of its DER SubjectPublicKeyInfo (64 chars), the value peer
/// configurations carry (`peer NAME spki=PIN`); the same as
/// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`.
/// Errors name the file: errc::not_found or errc::io when it cannot be read,
/// errc::invalid_argument when it holds no PEM certificate.
COOP_COMM_EXPORT result<std::string> spki_pin_of_certificate(const std::filesystem::path& cert);

/// The SPKI pin of a raw 32-byte Ed25519 public key (what envelopes carry):
/// equal to spki_pin_of_certificate() for a certificate holding that key.
/// Returns an empty string when `raw_public_key` is not 32 bytes long (no
/// valid pin is empty, so callers compare safely).
COOP_COMM_EXPORT std::string spki_pin_of_ed25519(std::string_view raw_public_key);

/// The common name of the certificate's subject (the site name), or an error
/// naming the file when it cannot be read (errc::not_found, errc::io), holds
/// no PEM certificate or has no common name (errc::invalid_argument).
COOP_COMM_EXPORT result<std::string> site_of_certificate(const std::filesystem::path& cert);

}  // namespace coop::comm
