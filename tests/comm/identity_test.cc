// Tests of site identities (libcoopcomm/src/identity): authorities and site
// certificates created as real files in a temporary directory, checked with
// OpenSSL's own verifier, the openssl(1) command line, and a mutually
// authenticated TLS 1.3 handshake between two sites.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "coop/comm/identity.h"
#include "identity/openssl_handles.h"
#include "identity/pem_files.h"

namespace fs = std::filesystem;
using namespace coop::comm;
using namespace std::chrono_literals;

namespace {

// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> n{0};
    path_ = fs::temp_directory_path() /
            ("coop-comm-identity-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

coop::comm::detail::x509_ptr load_cert(const fs::path& p) {
  coop::comm::detail::bio_ptr bio(BIO_new_file(p.c_str(), "r"));
  REQUIRE(bio);
  coop::comm::detail::x509_ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(x);
  return x;
}

// X509_verify_cert of `leaf` against a store holding only `ca`, for `purpose`
// (X509_PURPOSE_SSL_CLIENT / _SERVER); returns the X509_V_* result.
int verify(const fs::path& ca, const fs::path& leaf, int purpose) {
  auto ca_x = load_cert(ca);
  auto leaf_x = load_cert(leaf);
  coop::comm::detail::x509_store_ptr store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), ca_x.get()) == 1);
  coop::comm::detail::x509_store_ctx_ptr ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf_x.get(), nullptr) == 1);
  REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), purpose) == 1);
  int ok = X509_verify_cert(ctx.get());
  int err = X509_STORE_CTX_get_error(ctx.get());
  CHECK((ok == 1) == (err == X509_V_OK));
  ERR_clear_error();
  return err;
}

// An authority "test-ca" in <dir>/ca and sites in <dir>/sites.
struct pki {
  temp_dir dir;
  identity_files ca;
  pki() {
    auto r = create_authority(dir.path() / "ca", "test-ca");
    REQUIRE_MESSAGE(r.ok(), r.err().to_string());
    ca = *r;
  }
  identity_files site(const std::string& name, const validity& v = {}) {
    auto r = create_site(ca, dir.path() / "sites", name, v);
    REQUIRE_MESSAGE(r.ok(), r.err().to_string());
    return *r;
  }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("an authority and a site are PEM files with the extensions TLS needs") {
  pki p;
  CHECK(p.ca.key == p.dir.path() / "ca" / "test-ca.key");
  CHECK(p.ca.cert == p.dir.path() / "ca" / "test-ca.crt");
  auto site = p.site("site-a");
  CHECK(site.key == p.dir.path() / "sites" / "site-a.key");
  CHECK(site.cert == p.dir.path() / "sites" / "site-a.crt");
  // No temporary files left behind.
  CHECK(names_in(p.dir.path() / "ca") == std::vector<std::string>{"test-ca.crt", "test-ca.key"});
  CHECK(names_in(p.dir.path() / "sites") == std::vector<std::string>{"site-a.crt", "site-a.key"});

  CHECK(slurp(site.key).starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(slurp(site.cert).starts_with("-----BEGIN CERTIFICATE-----\n"));
  CHECK(mode_of(p.ca.key) == 0600);
  CHECK(mode_of(site.key) == 0600);
  CHECK(mode_of(site.cert) == 0644);

  auto name = site_of_certificate(site.cert);
  REQUIRE(name.ok());
  CHECK(*name == "site-a");
  auto ca_name = site_of_certificate(p.ca.cert);
  REQUIRE(ca_name.ok());
  CHECK(*ca_name == "test-ca");

  auto ca = load_cert(p.ca.cert);
  auto x = load_cert(site.cert);
  CHECK(X509_get_version(x.get()) == X509_VERSION_3);
  CHECK(X509_get_signature_nid(x.get()) == NID_ED25519);
  CHECK(EVP_PKEY_get_id(X509_get0_pubkey(x.get())) == EVP_PKEY_ED25519);
  CHECK(X509_check_ca(ca.get()) == 1);
  CHECK(X509_check_ca(x.get()) == 0);
  CHECK(X509_check_issued(ca.get(), x.get()) == X509_V_OK);
  CHECK((X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK(X509_get_key_usage(x.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(x.get()) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(X509_check_host(x.get(), "site-a", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(x.get(), "site-b", 0, 0, nullptr) == 0);
  // Key identifiers chain the site to its authority.
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ca.get());
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x.get());
  REQUIRE(ski != nullptr);
  REQUIRE(aki != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(ski, aki) == 0);
  // Serials are random: two sites differ.
  auto y = load_cert(p.site("site-b").cert);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(x.get()), X509_get0_serialNumber(y.get())) != 0);
}

TEST_CASE("a site certificate verifies against its authority and not against another") {
  pki p;
  auto site = p.site("site-a");
  CHECK(verify(p.ca.cert, site.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  CHECK(verify(p.ca.cert, site.cert, X509_PURPOSE_SSL_SERVER) == X509_V_OK);

  auto other = create_authority(p.dir.path() / "other", "other-ca");
  REQUIRE(other.ok());
  CHECK(verify(other->cert, site.cert, X509_PURPOSE_SSL_CLIENT) ==
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  // An authority with the same name but another key is another authority.
  auto twin = create_authority(p.dir.path() / "twin", "test-ca");
  REQUIRE(twin.ok());
  CHECK(verify(twin->cert, site.cert, X509_PURPOSE_SSL_CLIENT) != X509_V_OK);
}

TEST_CASE("an expired validity makes a certificate that verification rejects as expired") {
  pki p;
  auto expired = p.site("old-site", validity{-48h, 24h});
  CHECK(verify(p.ca.cert, expired.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_ERR_CERT_HAS_EXPIRED);
  auto future = p.site("future-site", validity{48h, 24h});
  CHECK(verify(p.ca.cert, future.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_ERR_CERT_NOT_YET_VALID);

  auto none = create_site(p.ca, p.dir.path() / "sites", "zero", validity{0s, 0s});
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().code == errc::invalid_argument);
  CHECK(none.err().message.find("validity") != std::string::npos);

  // An expired authority signs nothing.
  auto old_ca = create_authority(p.dir.path() / "old", "old-ca", validity{-48h, 24h});
  REQUIRE(old_ca.ok());
  auto r = create_site(*old_ca, p.dir.path() / "sites", "site-x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("old-ca.crt") != std::string::npos);
  CHECK(r.err().message.find("expired") != std::string::npos);
}

TEST_CASE("existing files are never overwritten") {
  pki p;
  const std::string ca_key = slurp(p.ca.key);
  auto again = create_authority(p.dir.path() / "ca", "test-ca");
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == errc::invalid_argument);
  CHECK(again.err().message == "refusing to overwrite existing file " + p.ca.key.string());
  CHECK(slurp(p.ca.key) == ca_key);

  auto site = p.site("site-a");
  const std::string site_cert = slurp(site.cert);
  auto twice = create_site(p.ca, p.dir.path() / "sites", "site-a");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.err().message.find(site.key.string()) != std::string::npos);
  CHECK(slurp(site.cert) == site_cert);

  // A lone certificate is protected too, and no key is created beside it.
  const fs::path lone = p.dir.path() / "sites" / "site-b.crt";
  std::ofstream(lone) << "mine\n";
  auto r = create_site(p.ca, p.dir.path() / "sites", "site-b");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "refusing to overwrite existing file " + lone.string());
  CHECK_FALSE(fs::exists(p.dir.path() / "sites" / "site-b.key"));
  CHECK(slurp(lone) == "mine\n");
}

TEST_CASE("new files appear whole, with the asked mode, and never replace a file") {
  temp_dir dir;
  const fs::path p = dir.path() / "f.pem";
  REQUIRE(coop::comm::detail::write_new_file(p, "first\n", 0600).ok());
  CHECK(slurp(p) == "first\n");
  CHECK(mode_of(p) == 0600);
  auto r = coop::comm::detail::write_new_file(p, "second\n", 0600);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(r.err().message == "refusing to overwrite existing file " + p.string());
  CHECK(slurp(p) == "first\n");
  // A dangling symbolic link is not followed or replaced either.
  const fs::path link = dir.path() / "link.pem";
  fs::create_symlink(dir.path() / "elsewhere", link);
  CHECK_FALSE(coop::comm::detail::write_new_file(link, "x", 0600).ok());
  CHECK_FALSE(fs::exists(dir.path() / "elsewhere"));
  // No temporary file is left behind.
  CHECK(names_in(dir.path()) == std::vector<std::string>{"f.pem", "link.pem"});
  // A directory that does not exist is an I/O error naming the path.
  const fs::path missing = dir.path() / "no" / "g.pem";
  r = coop::comm::detail::write_new_file(missing, "x", 0644);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::io);
  CHECK(r.err().message.find((dir.path() / "no").string()) != std::string::npos);
}

TEST_CASE("the pin is the SHA-256 of the certificate's SubjectPublicKeyInfo") {
  pki p;
  auto site = p.site("site-a");
  auto pin = spki_pin_of_certificate(site.cert);
  REQUIRE_MESSAGE(pin.ok(), pin.err().to_string());
  CHECK(pin->size() == 64);
  CHECK(pin->find_first_not_of("0123456789abcdef") == std::string::npos);

  auto x = load_cert(site.cert);
  std::array<unsigned char, 32> raw{};
  std::size_t n = raw.size();
  REQUIRE(EVP_PKEY_get_raw_public_key(X509_get0_pubkey(x.get()), raw.data(), &n) == 1);
  REQUIRE(n == 32);
  CHECK(spki_pin_of_ed25519(std::string_view(reinterpret_cast<const char*>(raw.data()), n)) ==
        *pin);

  auto other = spki_pin_of_certificate(p.site("site-b").cert);
  REQUIRE(other.ok());
  CHECK(*other != *pin);

  // A known answer: the RFC 8032 test 1 public key, whose DER SPKI
  // (302a300506032b6570032100 || key) hashes to this value with sha256sum.
  const std::array<unsigned char, 32> rfc8032 = {
      0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
      0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  CHECK(spki_pin_of_ed25519(std::string_view(reinterpret_cast<const char*>(rfc8032.data()),
                                             rfc8032.size())) ==
        "06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9");
  // Not an Ed25519 public key: no pin.
  CHECK(spki_pin_of_ed25519(std::string(31, 'x')).empty());
  CHECK(spki_pin_of_ed25519("").empty());
}

TEST_CASE("the pin equals what the openssl command line computes") {
  if (std::system("command -v openssl >/dev/null 2>&1 && command -v sha256sum >/dev/null 2>&1") !=
      0) {
    std::printf("COOP-SKIP: openssl(1) or sha256sum is not on PATH\n");
    return;
  }
  pki p;
  auto site = p.site("site-a");
  auto pin = spki_pin_of_certificate(site.cert);
  REQUIRE(pin.ok());
  const std::string cmd = "openssl x509 -in '" + site.cert.string() +
                          "' -pubkey -noout | openssl pkey -pubin -outform der | sha256sum";
  FILE* f = ::popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  std::array<char, 256> buf{};
  std::string out;
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), f) != nullptr) out += buf.data();
  CHECK(::pclose(f) == 0);
  REQUIRE(out.size() >= 64);
  CHECK(out.substr(0, 64) == *pin);
}

TEST_CASE("invalid names are refused with a message naming the name") {
  pki p;
  const fs::path dir = p.dir.path() / "bad";
  for (const std::string& name : std::vector<std::string>{
           "", "a b", "../x", "x/y", "-rf", ".hidden", "caf\xc3\xa9", "semi;colon",
        std::string(65, 'a')}) {
    CAPTURE(name);
    auto r = create_site(p.ca, dir, name);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::invalid_argument);
    CHECK(r.err().message.find("invalid site name \"" + name + "\"") != std::string::npos);
    auto a = create_authority(dir, name);
    REQUIRE_FALSE(a.ok());
    CHECK(a.err().message.find("invalid authority name \"" + name + "\"") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir));
  // The limits themselves are accepted.
  p.site(std::string(64, 'z'));
  p.site("a");
  p.site("Site_1.example-org");
}

TEST_CASE("errors name the file that is missing or wrong") {
  pki p;
  const fs::path missing = p.dir.path() / "nope.crt";
  auto pin = spki_pin_of_certificate(missing);
  REQUIRE_FALSE(pin.ok());
  CHECK(pin.err().code == errc::not_found);
  CHECK(pin.err().message.find(missing.string()) != std::string::npos);

  const fs::path junk = p.dir.path() / "junk.crt";
  std::ofstream(junk) << "not a certificate\n";
  auto name = site_of_certificate(junk);
  REQUIRE_FALSE(name.ok());
  CHECK(name.err().code == errc::invalid_argument);
  CHECK(name.err().message.starts_with(junk.string() + ": not a PEM certificate"));

  // A site is not an authority.
  auto site = p.site("site-a");
  auto r = create_site(site, p.dir.path() / "sites", "site-b");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == site.cert.string() +
                               ": not a certificate authority (no CA:TRUE basic constraint)");

  // The key of one authority with the certificate of another.
  auto other = create_authority(p.dir.path() / "other", "other-ca");
  REQUIRE(other.ok());
  r = create_site({other->key, p.ca.cert}, p.dir.path() / "sites", "site-b");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find(other->key.string() + ": key does not belong to certificate " +
                             p.ca.cert.string()) != std::string::npos);

  r = create_site({p.dir.path() / "x.key", p.ca.cert}, p.dir.path() / "sites", "site-b");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::not_found);
  CHECK(r.err().message.find((p.dir.path() / "x.key").string()) != std::string::npos);
  CHECK_FALSE(fs::exists(p.dir.path() / "sites" / "site-b.key"));
}

namespace {

using coop::comm::detail::ssl_ctx_ptr;
using coop::comm::detail::ssl_ptr;

// A TLS 1.3-only context for `self` that requires and verifies a peer
// certificate issued by the authority in `trust`.
ssl_ctx_ptr tls13_context(const identity_files& self, const fs::path& trust, bool server) {
  ssl_ctx_ptr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  REQUIRE(ctx);
  REQUIRE(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) == 1);
  REQUIRE(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) == 1);
  REQUIRE(SSL_CTX_use_certificate_file(ctx.get(), self.cert.c_str(), SSL_FILETYPE_PEM) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), self.key.c_str(), SSL_FILETYPE_PEM) == 1);
  REQUIRE(SSL_CTX_check_private_key(ctx.get()) == 1);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), trust.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

// Runs both ends of a handshake over a memory BIO pair until both finish or
// one fails; true when both finished.
bool handshake(SSL* client, SSL* server) {
  BIO* a = nullptr;
  BIO* b = nullptr;
  REQUIRE(BIO_new_bio_pair(&a, 0, &b, 0) == 1);
  SSL_set_bio(client, a, a);
  SSL_set_bio(server, b, b);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 50 && !(client_done && server_done); ++round) {
    for (auto [ssl, done] : {std::pair{client, &client_done}, std::pair{server, &server_done}}) {
      if (*done) continue;
      int rc = SSL_do_handshake(ssl);
      if (rc == 1) {
        *done = true;
        continue;
      }
      int e = SSL_get_error(ssl, rc);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return false;
      }
    }
  }
  return client_done && server_done;
}

std::string peer_name(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  REQUIRE(peer != nullptr);
  std::array<char, 128> cn{};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn.data(),
                            static_cast<int>(cn.size()));
  return cn.data();
}

}  // namespace

TEST_CASE("two sites signed by one authority complete a mutual TLS 1.3 handshake") {
  pki p;
  auto a = p.site("site-a");
  auto b = p.site("site-b");

  SUBCASE("both verify") {
    auto cctx = tls13_context(a, p.ca.cert, false);
    auto sctx = tls13_context(b, p.ca.cert, true);
    ssl_ptr client(SSL_new(cctx.get()));
    ssl_ptr server(SSL_new(sctx.get()));
    // The client also checks the server's name against its subjectAltName.
    REQUIRE(SSL_set1_host(client.get(), "site-b") == 1);
    REQUIRE(handshake(client.get(), server.get()));
    CHECK(SSL_version(client.get()) == TLS1_3_VERSION);
    CHECK(SSL_get_verify_result(client.get()) == X509_V_OK);
    CHECK(SSL_get_verify_result(server.get()) == X509_V_OK);
    CHECK(peer_name(client.get()) == "site-b");
    CHECK(peer_name(server.get()) == "site-a");
    // Application data flows both ways.
    REQUIRE(SSL_write(client.get(), "ping", 4) == 4);
    std::array<char, 8> buf{};
    REQUIRE(SSL_read(server.get(), buf.data(), static_cast<int>(buf.size())) == 4);
    CHECK(std::string(buf.data(), 4) == "ping");
  }
  SUBCASE("a server trusting another authority refuses the client") {
    auto other = create_authority(p.dir.path() / "other", "other-ca");
    REQUIRE(other.ok());
    auto cctx = tls13_context(a, p.ca.cert, false);
    auto sctx = tls13_context(b, other->cert, true);
    ssl_ptr client(SSL_new(cctx.get()));
    ssl_ptr server(SSL_new(sctx.get()));
    CHECK_FALSE(handshake(client.get(), server.get()));
    // The client sends its authority along (OpenSSL builds the chain from
    // its trust store), which the server does not trust.
    const long v = SSL_get_verify_result(server.get());  // NOLINT(google-runtime-int)
    CHECK((v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
  }
  SUBCASE("a client expecting another name refuses the server") {
    auto cctx = tls13_context(a, p.ca.cert, false);
    auto sctx = tls13_context(b, p.ca.cert, true);
    ssl_ptr client(SSL_new(cctx.get()));
    ssl_ptr server(SSL_new(sctx.get()));
    REQUIRE(SSL_set1_host(client.get(), "site-c") == 1);
    CHECK_FALSE(handshake(client.get(), server.get()));
    CHECK(SSL_get_verify_result(client.get()) == X509_V_ERR_HOSTNAME_MISMATCH);
  }
}
