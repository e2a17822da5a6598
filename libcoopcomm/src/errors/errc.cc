// Names of libcoopcomm's error codes.
#include "coop/comm/result.h"

namespace coop::comm {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::io: return "io";
    case errc::protocol: return "protocol";
    case errc::refused: return "refused";
    case errc::timeout: return "timeout";
    case errc::overloaded: return "overloaded";
    case errc::tls: return "tls";
    case errc::signature: return "signature";
    case errc::closed: return "closed";
    case errc::unsupported: return "unsupported";
  }
  return "unknown";
}

}  // namespace coop::comm
