// Fuzz target of the handshake of a real libcoopcomm site: one node,
// started once with a fresh test PKI in a temporary directory and listening
// on 127.0.0.1:0, receives every input as the bytes a TCP client writes
// after connecting (for most inputs a garbled TLS ClientHello). An input
// starting with 'F' instead goes, without that byte, inside the TLS stream
// of the site's configured peer after a real mutual TLS 1.3 handshake, so
// the hello and the frames after it are fuzzed too. The client then
// half-closes, reads whatever the site answers until the site closes or
// 200 ms pass, and closes. The site must survive all of it: from time to
// time (after inputs 1, 2, 4, 8, ... and every 2048th) the target checks
// that the site still answers peers() and stats(), that it counted the
// refused connections, and that a legitimate site still connects to it over
// mutual TLS and comes up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "coop/comm/config.h"
#include "coop/comm/identity.h"
#include "coop/comm/node.h"

namespace comm = coop::comm;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "comm_handshake_fuzz: %s\n", what.c_str());
  std::abort();
}

template <class T>
T must(comm::result<T> r, const char* what) {
  if (!r) fail(std::string(what) + ": " + r.err().to_string());
  return std::move(*r);
}

// A connected TCP socket to 127.0.0.1:port, or -1.
int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The site under test and what the legitimate peer needs to reach it.
struct harness {
  fs::path dir;
  SSL_CTX* tls = nullptr;  // the configured peer's client context (framed inputs)
  std::uint64_t raw_inputs = 0;
  std::uint64_t raw_at_check = 0;
  std::string listener_conf;
  std::string dialler_conf;  // without its connect port
  std::unique_ptr<comm::node> site;
  std::uint64_t inputs = 0;
  std::uint64_t refused_at_check = 0;

  harness() {
    dir = fs::temp_directory_path() / ("coop-comm-handshake-fuzz-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(dir, ec);
    auto ca = must(comm::create_authority(dir, "fuzz-ca"), "create_authority");
    auto a = must(comm::create_site(ca, dir, "fuzz-site"), "create_site fuzz-site");
    auto b = must(comm::create_site(ca, dir, "fuzz-peer"), "create_site fuzz-peer");
    const auto pin_a = must(comm::spki_pin_of_certificate(a.cert), "pin of fuzz-site");
    const auto pin_b = must(comm::spki_pin_of_certificate(b.cert), "pin of fuzz-peer");
    // A short handshake timeout keeps inputs that stop mid-hello cheap.
    listener_conf = "site fuzz-site\nkey " + a.key.string() + "\ncert " + a.cert.string() +
                    "\nca " + ca.cert.string() +
                    "\nlisten 127.0.0.1:0\nlimit handshake-timeout 1s\n"
                    "peer fuzz-peer spki=" + pin_b + "\nallow * * /\n";
    dialler_conf = "site fuzz-peer\nkey " + b.key.string() + "\ncert " + b.cert.string() +
                   "\nca " + ca.cert.string() + "\nlimit reconnect-min 20ms\n" +
                   "allow * * /\npeer fuzz-site spki=" + pin_a + " connect=127.0.0.1:";
    auto cfg = must(comm::parse_config(listener_conf, "fuzz-site.conf"), "listener config");
    site = must(comm::node::start(std::move(cfg)), "start fuzz-site");
    // The legitimate peer's TLS identity, for inputs that fuzz the frames
    // after a successful handshake. It does not check the site's
    // certificate: only the site's behaviour is under test.
    tls = SSL_CTX_new(TLS_client_method());
    if (tls == nullptr || SSL_CTX_set_min_proto_version(tls, TLS1_3_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(tls, b.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls, b.key.c_str(), SSL_FILETYPE_PEM) != 1)
      fail("cannot set up the peer's TLS context");
    SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, nullptr);
  }

  ~harness() {
    site.reset();
    SSL_CTX_free(tls);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // Connects, writes `data`, half-closes, reads until the site closes or
  // 200 ms pass. Returns false if the connection could not be made at all.
  bool raw_connection(const std::uint8_t* data, std::size_t size) const {
    const int fd = connect_to(site->listen_port());
    if (fd < 0) return false;
    std::size_t off = 0;
    while (off < size) {
      const ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
      if (n <= 0) break;  // the site closed on us: fine
      off += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    drain(fd, nullptr);
    ::close(fd);
    return true;
  }

  // Completes a TLS 1.3 handshake as the configured peer, writes `data`
  // inside the TLS stream (frames: hello, subscriptions, envelopes...),
  // sends close_notify and reads until the site closes or 200 ms pass.
  bool framed_connection(const std::uint8_t* data, std::size_t size) const {
    const int fd = connect_to(site->listen_port());
    if (fd < 0) return false;
    timeval tv{0, 500000};  // bounds every blocking TLS call
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(tls);
    if (ssl == nullptr) fail("SSL_new failed");
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      std::size_t off = 0;
      while (off < size) {
        std::size_t n = 0;
        if (SSL_write_ex(ssl, data + off, size - off, &n) != 1) break;
        off += n;
      }
      SSL_shutdown(ssl);
      ::shutdown(fd, SHUT_WR);
      drain(fd, ssl);
    }
    SSL_free(ssl);
    ::close(fd);
    return true;
  }

  // Reads (through `ssl` when given) until the peer closes or 200 ms pass.
  static void drain(int fd, SSL* ssl) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      if (ssl == nullptr || SSL_pending(ssl) == 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      }
      if (ssl != nullptr) {
        std::size_t n = 0;
        if (SSL_read_ex(ssl, buf, sizeof buf, &n) != 1) break;
      } else if (::recv(fd, buf, sizeof buf, 0) <= 0) {
        break;  // closed or reset
      }
    }
  }

  // The site still works: its getters answer, it counted the connections it
  // refused, and a legitimate peer connects and comes up.
  void check_alive() {
    // Every raw input fails the TLS handshake, which counts as a refusal.
    if (raw_inputs > raw_at_check) {
      bool counted = false;
      for (int i = 0; i < 400 && !counted; ++i) {
        counted = site->stats().refused_connections > refused_at_check;
        if (!counted) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (!counted)
        fail("refused_connections did not grow after " + std::to_string(raw_inputs - raw_at_check) +
             " garbage connections");
    }
    refused_at_check = site->stats().refused_connections;
    raw_at_check = raw_inputs;
    if (site->peers().size() != 1) fail("peers() lost the configured peer");
    wait_down();

    auto cfg = must(comm::parse_config(dialler_conf + std::to_string(site->listen_port()) + "\n",
                                       "fuzz-peer.conf"),
                    "dialler config");
    auto peer = must(comm::node::start(std::move(cfg)), "start fuzz-peer");
    bool up = false;
    for (int i = 0; i < 2000 && !up; ++i) {
      for (const auto& p : site->peers()) up = up || p.state == comm::peer_state::up;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!up) {
      std::string why;
      for (const auto& p : peer->peers()) why += p.name + " " + comm::to_string(p.state) + " " + p.reason;
      fail("a legitimate site could not connect after the fuzz inputs: " + why);
    }
    peer->stop(std::chrono::milliseconds(200));
    wait_down();
  }

  // Waits (up to 10 s) until the site sees its peer down: a framed input's
  // session, or the check's own peer, has gone.
  void wait_down() const {
    for (int i = 0; i < 2000; ++i) {
      bool down = true;
      for (const auto& p : site->peers()) down = down && p.state != comm::peer_state::up;
      if (down) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
};

fs::path& scratch() {
  static fs::path* p = new fs::path();
  return *p;
}

harness& the_harness() {
  // Deliberately never destroyed: libFuzzer may exit from any thread, and
  // stopping the node while an input runs would be a false alarm. Only its
  // temporary files are removed at exit.
  static harness* h = [] {
    auto* made = new harness();
    scratch() = made->dir;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch(), ec);
    });
    return made;
  }();
  return *h;
}

bool power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  the_harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A ClientHello is at most a few kilobytes; more only repeats the record
  // layer's length checks.
  if (size > 16 * 1024) return 0;
  harness& h = the_harness();
  // An input starting with 'F' is the plaintext of an authenticated peer's
  // TLS stream (its frames); anything else is written raw, as a client that
  // has not done the handshake.
  const bool framed = size > 0 && data[0] == 'F';
  const bool connected =
      framed ? h.framed_connection(data + 1, size - 1) : h.raw_connection(data, size);
  if (!connected) fail("cannot connect to the site's listening socket");
  ++h.inputs;
  if (!framed) ++h.raw_inputs;
  if (power_of_two(h.inputs) || h.inputs % 2048 == 0) h.check_alive();
  return 0;
}
