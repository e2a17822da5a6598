// Reading and writing the PEM files of site identities: new files are written
// under a temporary name, synced and then linked into place, so a reader sees
// either no file or the whole file, and an existing file is never replaced.
// Private to libcoopcomm. Functions are thread-safe; two writers racing for
// the same path are resolved by the file system (one wins, the other gets
// "refusing to overwrite").
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "coop/comm/result.h"
#include "identity/openssl_handles.h"

namespace coop::comm::detail {

/// Largest PEM file read (a certificate or key is a few hundred bytes).
inline constexpr std::size_t max_pem_file_size = 1 << 20;

/// errc::invalid_argument "refusing to overwrite existing file <p>" when `p`
/// exists (as anything, even a dangling symlink), success otherwise.
result<void> refuse_existing(const std::filesystem::path& p);

/// Creates `p` holding `data` with permission bits `mode`: writes a temporary
/// file in the same directory, fsyncs it, links it to `p` (which fails if `p`
/// appeared meanwhile: errc::invalid_argument naming `p`) and fsyncs the
/// directory. Errors: errc::io naming the path and the system's reason.
result<void> write_new_file(const std::filesystem::path& p, std::string_view data, mode_t mode);

/// The contents of `p` (at most max_pem_file_size bytes). Errors:
/// errc::not_found or errc::io naming `p`; errc::invalid_argument when larger.
result<std::string> read_small_file(const std::filesystem::path& p);

/// The first certificate of PEM file `p`. Errors name `p`.
result<x509_ptr> load_certificate(const std::filesystem::path& p);

/// The private key of PEM file `p` (PKCS#8 or traditional). Errors name `p`.
result<pkey_ptr> load_private_key(const std::filesystem::path& p);

/// PEM text of a certificate.
result<std::string> certificate_pem(X509* cert);

/// Unencrypted PKCS#8 PEM text of a private key.
result<std::string> private_key_pem(EVP_PKEY* key);

}  // namespace coop::comm::detail
