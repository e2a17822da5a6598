// OpenSSL's error queue as a message.
#include <openssl/err.h>

#include "identity/openssl_handles.h"

namespace coop::comm::detail {

std::string openssl_errors() {
  std::string out;
  // NOLINTNEXTLINE(google-runtime-int): OpenSSL's type
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    const char* lib = ERR_lib_error_string(e);
    if (!out.empty()) out += "; ";
    if (reason != nullptr) {
      out += reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      out += buf;
    }
    if (lib != nullptr) out += std::string(" (") + lib + ")";
  }
  return out.empty() ? std::string("no detail from OpenSSL") : out;
}

}  // namespace coop::comm::detail
