// The TLS type: tls_handshake (Zeek's ssl.log: one row per TLS or DTLS
// session, with the SNI, the version and the certificates' fingerprints).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec handshake_fields[] = {
    {"version", "string", opt, "version", "Protocol version negotiated (\"TLSv12\", \"TLSv13\", \"DTLSv12\")."},
    {"cipher", "string", opt, "cipher", "Cipher suite negotiated (\"TLS_AES_128_GCM_SHA256\")."},
    {"curve", "string", opt, "curve", "Elliptic curve or group of the key exchange (\"x25519\")."},
    {"server_name", "string", opt, "server_name", "Server name indication (SNI) the client sent."},
    {"resumed", "bool", opt, "resumed", "T if the session was resumed."},
    {"last_alert", "string", opt, "last_alert", "Last alert seen (\"unknown_ca\", ...)."},
    {"next_protocol", "string", opt, "next_protocol", "Application protocol negotiated (ALPN, \"h2\")."},
    {"established", "bool", opt, "established", "T if the handshake completed."},
    {"ssl_history", "string", opt, "ssl_history", "Zeek's handshake message history letters."},
    {"cert_chain_fps", "vector[string]", opt, "cert_chain_fps", "SHA-256 fingerprints of the server's certificates, leaf first."},
    {"client_cert_chain_fps", "vector[string]", opt, "client_cert_chain_fps", "SHA-256 fingerprints of the client's certificates, leaf first."},
    {"sni_matches_cert", "bool", opt, "sni_matches_cert", "T if the SNI matches the server certificate."},
    {"subject", "string", opt, "subject", "Subject of the server's leaf certificate."},
    {"issuer", "string", opt, "issuer", "Issuer of the server's leaf certificate."},
    {"client_subject", "string", opt, "client_subject", "Subject of the client's leaf certificate."},
    {"client_issuer", "string", opt, "client_issuer", "Issuer of the client's leaf certificate."},
    {"validation_status", "string", opt, "validation_status", "Result of certificate validation at the sensor (\"ok\", ...)."},
};

constexpr std::span<const field_spec> handshake_parts[] = {endpoints_client_required,
                                                           handshake_fields};

constexpr schema_spec schemas[] = {
    {catalogue::tls_handshake, "A TLS or DTLS handshake took place (successful or not).", "ssl", "",
     handshake_parts},
};

// clang-format on

}  // namespace

group_spec tls_group() noexcept { return {schemas, {}}; }

}  // namespace coop::model::catalogue_spec
