// A hand-driven peer for tests: a TCP connection to a node, TLS through
// OpenSSL directly (any identity, any TLS version, or none at all), and
// frames written byte by byte. It plays hostile or malformed peers and
// replays captured envelopes, which a real node would never do.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <capnp/message.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "coop/comm/identity.h"
#include "envelope/envelope.h"
#include "frame.capnp.h"
#include "wire/frame_io.h"

namespace coop::comm::testing {

class raw_peer {
 public:
  raw_peer() = default;
  ~raw_peer() { close(); }
  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

  /// Opens a plain TCP connection to 127.0.0.1:port.
  bool connect_tcp(std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0)  // before connect, so the window is small from the start
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }

  /// Connects and runs a TLS client handshake with `id` (no certificate
  /// when its paths are empty), trusting `ca`, between TLS versions
  /// `min_version` and `max_version`. True when the handshake completed.
  bool connect_tls(std::uint16_t port, const identity_files& id, const std::filesystem::path& ca,
                   int min_version = TLS1_3_VERSION, int max_version = TLS1_3_VERSION,
                   int receive_buffer = 0) {
    if (!connect_tcp(port, receive_buffer)) return false;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, min_version);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    if (!id.cert.empty()) {
      SSL_CTX_use_certificate_chain_file(ctx_, id.cert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, id.key.c_str(), SSL_FILETYPE_PEM);
    }
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    const bool ok = SSL_connect(ssl_) == 1;
    ERR_clear_error();
    return ok;
  }

  /// Writes raw bytes (through TLS when connected with TLS).
  bool write(const std::string& bytes) {
    if (ssl_) return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) > 0;
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  /// Sends our hello as site `site`.
  bool hello(const std::string& site, std::uint16_t min_v = wire_io::protocol_version,
             std::uint16_t max_v = wire_io::protocol_version) {
    capnp::MallocMessageBuilder mb;
    auto h = mb.initRoot<wire::Frame>().initHello();
    h.setSite(site);
    h.setMinVersion(min_v);
    h.setMaxVersion(max_v);
    h.setMaxFrameBytes(1 << 20);
    return write(wire_io::serialise_frame(mb));
  }

  /// Reads until the peer closes or `wait` passes; returns what arrived.
  /// `closed()` tells which.
  std::string read_all(std::chrono::milliseconds wait) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + wait;
    char buf[16384];
    while (std::chrono::steady_clock::now() < until) {
      if (!ssl_ || SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1))) <= 0) continue;
      }
      int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
      if (n <= 0) {
        closed_ = true;
        ERR_clear_error();
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// True once a read saw the connection end.
  [[nodiscard]] bool closed() const { return closed_; }

  void close() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool closed_ = false;
};

/// An Envelope frame (length prefix included) carrying `e`'s header,
/// signature and hops, with the items whose indices are in `only` (all of
/// them when it is empty), as a site or a relay writes it.
inline std::string envelope_frame(const envelope::wire_envelope& e,
                                  const std::vector<std::size_t>& only = {}) {
  capnp::MallocMessageBuilder mb;
  auto b = mb.initRoot<wire::Frame>().initEnvelope();
  auto bytes = [](const std::string& s) {
    return kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(s.data()), s.size());
  };
  b.setHeader(bytes(e.header_bytes));
  b.setSignature(bytes(e.signature));
  auto hops = b.initHops(static_cast<unsigned>(e.hops.size()));
  for (unsigned i = 0; i < e.hops.size(); ++i) hops.set(i, e.hops[i]);
  std::vector<std::size_t> pick = only;
  if (pick.empty())
    for (std::size_t i = 0; i < e.items.size(); ++i) pick.push_back(i);
  auto items = b.initItems(static_cast<unsigned>(pick.size()));
  for (unsigned i = 0; i < pick.size(); ++i) items.set(i, bytes(e.items[pick[i]]));
  return wire_io::serialise_frame(mb);
}

/// The refusal frames in `bytes` (frames as a node writes them), as
/// "code:reason" strings.
inline std::vector<std::string> refusals_in(const std::string& bytes) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at + 4 <= bytes.size()) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data() + at);
    const std::size_t n = p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::size_t>(p[3]) << 24;
    if (at + 4 + n > bytes.size()) break;
    wire_io::message_limits lim;
    auto m = wire_io::open_message({p + 4, n}, lim);
    if (m) {
      auto f = m->root<wire::Frame>();
      if (f.which() == wire::Frame::REFUSAL)
        out.push_back(std::to_string(f.getRefusal().getCode()) + ":" +
                      std::string(f.getRefusal().getReason().cStr()));
    }
    at += 4 + n;
  }
  return out;
}

}  // namespace coop::comm::testing
