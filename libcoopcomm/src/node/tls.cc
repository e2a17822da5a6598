// TLS 1.3 with mutual authentication: the context every connection uses and
// the check of a peer's certificate against its pin, CA and name.
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdio>

#include "node/node_impl.h"
#include "node/session.h"

namespace coop::comm {

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

std::string pin_of(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return {};
  unsigned char digest[32];
  unsigned int dlen = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), digest, &dlen, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  return hex(digest, 32);
}

std::string common_name(X509* cert) {
  char buf[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

result<void> init_tls(node_impl& n) {
  namespace ssl = asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls);
  SSL_CTX* raw = ctx->native_handle();
  // TLS 1.3 only; no session tickets, so no resumption and no 0-RTT.
  SSL_CTX_set_min_proto_version(raw, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(raw, TLS1_3_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(raw, 0);
  SSL_CTX_set_max_early_data(raw, 0);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(raw, n.cfg_.cert.c_str()) != 1)
    return error{errc::tls, "cannot load certificate " + n.cfg_.cert.string()};
  if (SSL_CTX_use_PrivateKey_file(raw, n.cfg_.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return error{errc::tls, "cannot load private key " + n.cfg_.key.string()};
  if (SSL_CTX_check_private_key(raw) != 1)
    return error{errc::tls, "private key " + n.cfg_.key.string() + " does not match certificate " +
                                n.cfg_.cert.string()};
  if (X509* own = SSL_CTX_get0_certificate(raw); common_name(own) != n.cfg_.site)
    return error{errc::invalid_argument, "certificate " + n.cfg_.cert.string() + " is for '" +
                                             common_name(own) + "', not site '" + n.cfg_.site + "'"};
  // The handshake accepts any configured CA; the per-peer CA is checked
  // after it (verify_peer_certificate).
  for (const auto& p : n.cfg_.peers) {
    if (!p.neighbour) continue;
    const auto key = p.ca.string();
    if (n.ca_stores_.count(key)) continue;
    if (SSL_CTX_load_verify_locations(raw, key.c_str(), nullptr) != 1)
      return error{errc::tls, "cannot load CA " + key + " (" + p.where + ")"};
    X509_STORE* store = X509_STORE_new();
    if (!store || X509_STORE_load_file(store, key.c_str()) != 1) {
      X509_STORE_free(store);
      return error{errc::tls, "cannot load CA " + key + " (" + p.where + ")"};
    }
    n.ca_stores_.emplace(key, store);
  }
  SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  n.tls_ = std::move(ctx);
  return {};
}

result<link*> node_impl::verify_peer_certificate(void* ssl_handle, session& s, link* expected) {
  SSL* ssl = static_cast<SSL*>(ssl_handle);
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return error{errc::tls, "peer at " + s.address() + " presented no certificate"};
  const std::string pin = pin_of(cert);
  link* l = expected ? expected : link_by_pin(pin);
  if (!l)
    return error{errc::refused, "certificate of '" + common_name(cert) + "' at " + s.address() +
                                    " has key " + pin + ", which no peer line pins"};
  if (l->cfg->spki_pin != pin)
    return error{errc::refused, "peer '" + l->cfg->name + "' presented key " + pin +
                                    " but " + l->cfg->where + " pins " + l->cfg->spki_pin};
  auto store = ca_stores_.find(l->cfg->ca.string());
  if (store == ca_stores_.end()) return error{errc::tls, "no CA loaded for '" + l->cfg->name + "'"};
  X509_STORE_CTX* vctx = X509_STORE_CTX_new();
  bool chain_ok = vctx && X509_STORE_CTX_init(vctx, store->second, cert, SSL_get_peer_cert_chain(ssl)) == 1 &&
                  X509_verify_cert(vctx) == 1;
  std::string why = vctx ? X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)) : "no memory";
  X509_STORE_CTX_free(vctx);
  if (!chain_ok)
    return error{errc::tls, "certificate of '" + l->cfg->name + "' does not chain to " +
                                l->cfg->ca.string() + ": " + why};
  if (common_name(cert) != l->cfg->name)
    return error{errc::refused, "certificate pinned for '" + l->cfg->name + "' names '" +
                                    common_name(cert) + "'"};
  return l;
}

void free_ca_stores(node_impl& n) {
  for (auto& [k, v] : n.ca_stores_) X509_STORE_free(v);
  n.ca_stores_.clear();
}

}  // namespace coop::comm

namespace coop::comm {

std::string describe_handshake_failure(void* ssl_handle, const std::string& what) {
  SSL* ssl = static_cast<SSL*>(ssl_handle);
  std::string out = "TLS handshake failed: " + what;
  const long v = SSL_get_verify_result(ssl);
  if (v != X509_V_OK) out += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
  if (what.find("unsupported protocol") != std::string::npos ||
      what.find("wrong version") != std::string::npos)
    out += " (this site speaks TLS version 1.3 only)";
  return out;
}

}  // namespace coop::comm
