// The SSH type: ssh_login, from Zeek's ssh.log (one row per SSH connection,
// seen from the wire) and from sshd's own log (one line per authentication
// decision, seen by the server: user, method, result, reason).
#include "catalogue/spec.h"

namespace coop::model::catalogue_spec {
namespace {

// The tables keep one row per field, however long.
// clang-format off
constexpr field_spec login_fields[] = {
    {"user", "string", opt, "", "User name tried (sshd only: encrypted on the wire)."},
    {"auth_success", "bool", opt, "auth_success", "T if authentication succeeded, F if it failed; unset if unknown."},
    {"auth_method", "string", opt, "", "Method: password, publickey, keyboard-interactive, hostbased, gssapi-with-mic, none."},
    {"auth_attempts", "count", opt, "auth_attempts", "Authentication attempts on the connection."},
    {"failure_reason", "string", opt, "", "Why it failed, as the server said (\"invalid user\", \"not listed in AllowUsers\")."},
    {"invalid_user", "bool", opt, "", "T if the user does not exist on the server."},
    {"client_key_type", "string", opt, "", "Type of the client's public key (\"RSA\", \"ED25519\")."},
    {"client_key_fingerprint", "string", opt, "", "Fingerprint of the client's public key (\"SHA256:...\")."},
    {"hostname", "string", opt, "", "Host name of the server, as its log names it."},
    {"version", "count", opt, "version", "SSH protocol major version (1 or 2)."},
    {"direction", "enum {INBOUND, OUTBOUND}", opt, "direction", "Direction relative to the site's local networks."},
    {"client", "string", opt, "client", "Client's version string (\"SSH-2.0-OpenSSH_9.2\")."},
    {"server", "string", opt, "server", "Server's version string."},
    {"cipher_alg", "string", opt, "cipher_alg", "Encryption algorithm negotiated."},
    {"mac_alg", "string", opt, "mac_alg", "MAC algorithm negotiated."},
    {"compression_alg", "string", opt, "compression_alg", "Compression algorithm negotiated."},
    {"kex_alg", "string", opt, "kex_alg", "Key exchange algorithm negotiated."},
    {"host_key_alg", "string", opt, "host_key_alg", "Server host key algorithm."},
    {"host_key", "string", opt, "host_key|host_key_fingerprint", "Fingerprint of the server's host key."},
};

constexpr std::span<const field_spec> login_parts[] = {endpoints_client_required, login_fields};

constexpr schema_spec schemas[] = {
    {catalogue::ssh_login, "An SSH client tried to authenticate (one connection or one server decision).",
     "ssh", "", login_parts},
};

constexpr column_spec columns[] = {
    {"ssh", "remote_location.country_code", zeek_column_kind::dropped, geo_note},
    {"ssh", "remote_location.region", zeek_column_kind::dropped, geo_note},
    {"ssh", "remote_location.city", zeek_column_kind::dropped, geo_note},
    {"ssh", "remote_location.latitude", zeek_column_kind::dropped, geo_note},
    {"ssh", "remote_location.longitude", zeek_column_kind::dropped, geo_note},
};

// clang-format on

}  // namespace

group_spec ssh_group() noexcept { return {schemas, columns}; }

}  // namespace coop::model::catalogue_spec
