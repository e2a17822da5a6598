// poll(2)-driven UDP and TCP syslog listeners for coop-syslogd.
#include "network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace coop_syslogd {

namespace model = coop::model;

namespace {

void from_sockaddr(const sockaddr_storage& ss, model::address& a, std::uint16_t& port) {
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    a = model::address::v4(ntohl(in.sin_addr.s_addr));
    port = ntohs(in.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &in6.sin6_addr, 16);
    a = model::address::v6(b);
    port = ntohs(in6.sin6_port);
  }
}

std::string endpoint_text(const model::address& a, std::uint16_t port) {
  if (a.is_v4()) return a.to_string() + ":" + std::to_string(port);
  return "[" + a.to_string() + "]:" + std::to_string(port);
}

}  // namespace

server::~server() {
  for (const auto& l : listeners_) ::close(l.fd);
  for (const auto& [fd, c] : conns_) ::close(fd);
}

model::result<std::string> server::listen(const std::string& spec, bool tcp) {
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon + 1 == spec.size()) {
    return {model::errc::invalid_argument, "'" + spec + "' is not HOST:PORT"};
  }
  std::string host = spec.substr(0, colon);
  const std::string port = spec.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return {model::errc::invalid_argument, "cannot resolve '" + spec + "': " + ::gai_strerror(rc)};
  }
  const int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(res);
    return {model::errc::io, "socket for " + spec + ": " + std::strerror(errno)};
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!tcp) {
    int rcvbuf = 4 << 20;  // absorb bursts; the kernel caps it at rmem_max
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  const int b = ::bind(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (b != 0 || (tcp && ::listen(fd, 64) != 0)) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return {model::errc::io, std::string("cannot listen on ") + (tcp ? "tcp " : "udp ") + spec + ": " + why};
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  listener l{fd, tcp, {}, 0};
  from_sockaddr(ss, l.addr, l.port);
  listeners_.push_back(l);
  return endpoint_text(l.addr, l.port);
}

model::result<void> server::run_once(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  fds.reserve(listeners_.size() + conns_.size());
  for (const auto& l : listeners_) fds.push_back({l.fd, POLLIN, 0});
  for (const auto& [fd, c] : conns_) fds.push_back({fd, POLLIN, 0});
  const int n = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  const auto now = std::chrono::steady_clock::now();
  if (n > 0) {
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      if (i < listeners_.size()) {
        const auto l = listeners_[i];
        if (l.tcp) {
          on_accept(l);
        } else if (auto r = on_udp(l); !r) {
          return r;
        }
        continue;
      }
      auto it = conns_.find(fds[i].fd);
      if (it == conns_.end()) continue;
      bool close_it = false;
      if (auto r = on_tcp(it->first, it->second, close_it); !r) return r;
      if (close_it) close_conn(it->first);
    }
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (now - it->second.last > limits_.idle) {
      ++stats_.idle_closed;
      const int fd = it->first;
      ++it;
      close_conn(fd);
    } else {
      ++it;
    }
  }
  return {};
}

model::result<void> server::on_udp(const listener& l) {
  buf_.resize(limits_.max_message + 1);
  // Drain what is queued, a bounded number per round so TCP is served too.
  for (int k = 0; k < 256; ++k) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const ssize_t n = ::recvfrom(l.fd, buf_.data(), buf_.size(), MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return {};
    ++stats_.datagrams;
    if (static_cast<std::size_t>(n) > limits_.max_message) {
      ++stats_.oversized;
      continue;
    }
    coop::importer::syslog_peer peer;
    peer.known = true;
    peer.proto = model::transport::udp;
    from_sockaddr(ss, peer.orig_h, peer.orig_p);
    peer.resp_h = l.addr;
    peer.resp_p = l.port;
    const std::string source = "udp " + endpoint_text(peer.orig_h, peer.orig_p);
    if (auto r = deliver_(std::string_view(buf_.data(), static_cast<std::size_t>(n)), peer, source); !r) {
      return r;
    }
  }
  return {};
}

void server::on_accept(const listener& l) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (conns_.size() >= limits_.max_connections) {
      ++stats_.refused;
      ::close(fd);
      continue;
    }
    ++stats_.connections;
    connection c{coop::importer::stream_framer(limits_.max_message), {}, {}, std::chrono::steady_clock::now()};
    c.peer.known = true;
    c.peer.proto = model::transport::tcp;
    from_sockaddr(ss, c.peer.orig_h, c.peer.orig_p);
    c.peer.resp_h = l.addr;
    c.peer.resp_p = l.port;
    c.source = "tcp " + endpoint_text(c.peer.orig_h, c.peer.orig_p);
    conns_.emplace(fd, std::move(c));
  }
}

model::result<void> server::on_tcp(int fd, connection& c, bool& close_it) {
  std::array<char, 64 * 1024> buf;
  const auto handler = [&](std::string_view msg) { return deliver_(msg, c.peer, c.source); };
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return {};
  c.last = std::chrono::steady_clock::now();
  if (n <= 0) {
    close_it = true;
    return c.framer.finish(handler);
  }
  auto r = c.framer.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), handler);
  if (!r) {
    if (r.err().code != model::errc::invalid_argument) return r;
    ++stats_.framing_errors;
    std::fprintf(stderr, "coop-syslogd: %s: %s; connection closed\n", c.source.c_str(),
                 r.err().message.c_str());
    close_it = true;
  }
  return {};
}

void server::close_conn(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  stats_.oversized += it->second.framer.oversized();
  stats_.truncated += it->second.framer.truncated();
  ::close(fd);
  conns_.erase(it);
}

}  // namespace coop_syslogd
