// Creating identities: an Ed25519 key pair and an X.509 v3 certificate,
// self-signed for an authority or signed by one for a site, written as PEM.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <ctime>
#include <string>
#include <system_error>
#include <vector>

#include "coop/comm/identity.h"
#include "identity/openssl_handles.h"
#include "identity/pem_files.h"

namespace coop::comm {
namespace {

using detail::openssl_errors;

constexpr std::size_t max_name_size = 64;
// Validity is bounded so the arithmetic and ASN.1 times stay in range.
constexpr std::chrono::seconds max_span = std::chrono::hours(24 * 366 * 100);

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

result<void> check_name(std::string_view name, const char* what) {
  auto bad = [&](const std::string& why) -> result<void> {
    return {errc::invalid_argument, std::string("invalid ") + what + " name \"" +
                                        std::string(name) + "\": " + why};
  };
  if (name.empty()) return bad("empty");
  if (name.size() > max_name_size) {
    return bad(std::to_string(name.size()) + " characters, at most " +
               std::to_string(max_name_size));
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i])) {
      return bad("character " + std::to_string(i + 1) +
                 " is not one of A-Z a-z 0-9 . _ -");
    }
  }
  // A leading '.' would make a hidden file (or "..key"), a leading '-' an
  // argument that command-line tools take for an option.
  if (name.front() == '.' || name.front() == '-') return bad("must start with a letter or digit");
  return {};
}

result<void> check_validity(const validity& v) {
  if (v.valid_for.count() <= 0) {
    return {errc::invalid_argument,
            "validity period must be positive, got " + std::to_string(v.valid_for.count()) + " s"};
  }
  if (v.valid_for > max_span || v.not_before > max_span || v.not_before < -max_span) {
    return {errc::invalid_argument, "validity beyond 100 years"};
  }
  return {};
}

result<detail::pkey_ptr> new_ed25519_key() {
  detail::pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return error{errc::io, "cannot generate an Ed25519 key: " + openssl_errors()};
  return key;
}

// A random positive serial of 127 bits (RFC 5280 allows up to 20 octets).
result<void> set_random_serial(X509* x) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    return {errc::io, "cannot draw a certificate serial: " + openssl_errors()};
  }
  b[0] &= 0x7f;
  b[0] |= 0x01;  // never zero, never shortened by leading zero bytes
  detail::bignum_ptr bn(BN_bin2bn(b, sizeof b, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) == nullptr) {
    return {errc::io, "cannot set a certificate serial: " + openssl_errors()};
  }
  return {};
}

result<void> add_extension(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  detail::x509_ext_ptr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1) {
    return {errc::invalid_argument, std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" +
                                        value + ": " + openssl_errors()};
  }
  return {};
}

// What a certificate says, apart from its key and issuer.
struct certificate_request {
  std::string_view common_name;
  bool authority = false;
  validity v;
};

// Builds and signs a certificate for `subject_key`. A null `issuer` makes
// it self-signed (then `issuer_key` is `subject_key`).
result<detail::x509_ptr> make_certificate(const certificate_request& req, EVP_PKEY* subject_key,
                                          X509* issuer, EVP_PKEY* issuer_key) {
  detail::x509_ptr x(X509_new());
  if (!x) return error{errc::io, "cannot allocate a certificate: " + openssl_errors()};
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) {
    return error{errc::io, "cannot set certificate version: " + openssl_errors()};
  }
  if (auto r = set_random_serial(x.get()); !r) return r.err();

  // Both bounds from the same "now".
  std::time_t now = std::time(nullptr);
  const long start = static_cast<long>(req.v.not_before.count());  // NOLINT(google-runtime-int)
  const long end = start + static_cast<long>(req.v.valid_for.count());  // NOLINT(google-runtime-int)
  if (X509_time_adj_ex(X509_getm_notBefore(x.get()), 0, start, &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(x.get()), 0, end, &now) == nullptr) {
    return error{errc::invalid_argument, "cannot set validity: " + openssl_errors()};
  }

  X509_NAME* subject = X509_get_subject_name(x.get());
  if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(req.common_name.data()),
                                 static_cast<int>(req.common_name.size()), -1, 0) != 1) {
    return error{errc::invalid_argument, "cannot set common name: " + openssl_errors()};
  }
  X509_NAME* issuer_name = issuer == nullptr ? subject : X509_get_subject_name(issuer);
  if (X509_set_issuer_name(x.get(), issuer_name) != 1 ||
      X509_set_pubkey(x.get(), subject_key) != 1) {
    return error{errc::io, "cannot fill certificate: " + openssl_errors()};
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer == nullptr ? x.get() : issuer, x.get(), nullptr, nullptr, 0);
  const std::string cn(req.common_name);
  struct ext {
    int nid;
    std::string value;
  };
  // The subject key id first: the authority key id of a self-signed
  // certificate is read from it.
  std::vector<ext> exts;
  if (req.authority) {
    exts = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
            {NID_key_usage, "critical,keyCertSign,cRLSign"},
            {NID_subject_key_identifier, "hash"},
            {NID_authority_key_identifier, "keyid:always"}};
  } else {
    exts = {{NID_basic_constraints, "critical,CA:FALSE"},
            {NID_key_usage, "critical,digitalSignature"},
            {NID_ext_key_usage, "serverAuth,clientAuth"},
            {NID_subject_alt_name, "DNS:" + cn},
            {NID_subject_key_identifier, "hash"},
            {NID_authority_key_identifier, "keyid:always"}};
  }
  for (const auto& e : exts) {
    if (auto r = add_extension(x.get(), &ctx, e.nid, e.value); !r) return r.err();
  }

  // Ed25519 and Ed448 sign the message itself (no digest); other authority
  // keys (an existing RSA or ECDSA CA) sign a SHA-256 digest.
  const int type = EVP_PKEY_get_id(issuer_key);
  const EVP_MD* md = (type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(x.get(), issuer_key, md) <= 0) {
    return error{errc::io, "cannot sign certificate: " + openssl_errors()};
  }
  return x;
}

result<identity_files> paths_for(const std::filesystem::path& dir, std::string_view name) {
  identity_files f{dir / (std::string(name) + ".key"), dir / (std::string(name) + ".crt")};
  if (auto r = detail::refuse_existing(f.key); !r) return r.err();
  if (auto r = detail::refuse_existing(f.cert); !r) return r.err();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error{errc::io, dir.string() + ": cannot create directory: " + ec.message()};
  return f;
}

// Writes the key (0600) then the certificate (0644); on failure nothing new
// is left behind.
result<void> write_identity(const identity_files& f, EVP_PKEY* key, X509* cert) {
  auto key_pem = detail::private_key_pem(key);
  if (!key_pem) return key_pem.err();
  auto cert_pem = detail::certificate_pem(cert);
  if (!cert_pem) return cert_pem.err();
  auto r = detail::write_new_file(f.key, *key_pem, 0600);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!r) return r;
  if (auto w = detail::write_new_file(f.cert, *cert_pem, 0644); !w) {
    std::error_code ec;
    std::filesystem::remove(f.key, ec);
    return w;
  }
  return {};
}

}  // namespace

result<identity_files> create_authority(const std::filesystem::path& dir, std::string_view name,
                                        const validity& v) {
  if (auto r = check_name(name, "authority"); !r) return r.err();
  if (auto r = check_validity(v); !r) return r.err();
  auto files = paths_for(dir, name);
  if (!files) return files;
  auto key = new_ed25519_key();
  if (!key) return key.err();
  auto cert = make_certificate({name, true, v}, key->get(), nullptr, key->get());
  if (!cert) return error{cert.err().code, "authority " + std::string(name) + ": " + cert.err().message};
  if (auto r = write_identity(*files, key->get(), cert->get()); !r) return r.err();
  return files;
}

result<identity_files> create_site(const identity_files& ca, const std::filesystem::path& dir,
                                   std::string_view site, const validity& v) {
  if (auto r = check_name(site, "site"); !r) return r.err();
  if (auto r = check_validity(v); !r) return r.err();
  auto ca_cert = detail::load_certificate(ca.cert);
  if (!ca_cert) return ca_cert.err();
  auto ca_key = detail::load_private_key(ca.key);
  if (!ca_key) return ca_key.err();
  if (X509_check_ca(ca_cert->get()) < 1) {
    return error{errc::invalid_argument,
                 ca.cert.string() + ": not a certificate authority (no CA:TRUE basic constraint)"};
  }
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    (void)openssl_errors();
    return error{errc::invalid_argument, ca.key.string() + ": key does not belong to certificate " +
                                             ca.cert.string()};
  }
  if (X509_cmp_current_time(X509_get0_notAfter(ca_cert->get())) <= 0) {
    return error{errc::invalid_argument,
                 ca.cert.string() + ": authority certificate has expired; create a new authority"};
  }
  auto files = paths_for(dir, site);
  if (!files) return files;
  auto key = new_ed25519_key();
  if (!key) return key.err();
  auto cert = make_certificate({site, false, v}, key->get(), ca_cert->get(), ca_key->get());
  if (!cert) return error{cert.err().code, "site " + std::string(site) + ": " + cert.err().message};
  if (auto r = write_identity(*files, key->get(), cert->get()); !r) return r.err();
  return files;
}

}  // namespace coop::comm
