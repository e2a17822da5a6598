// address, subnet and port: parsing, printing, masking.
#include "coop/model/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace coop::model {
namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

address address::v4(std::array<std::uint8_t, 4> b) noexcept {
  address a;
  std::memcpy(a.bytes_.data(), v4_mapped_prefix.data(), 12);
  std::memcpy(a.bytes_.data() + 12, b.data(), 4);
  return a;
}

address address::v4(std::uint32_t h) noexcept {
  return v4({static_cast<std::uint8_t>(h >> 24), static_cast<std::uint8_t>(h >> 16),
             static_cast<std::uint8_t>(h >> 8), static_cast<std::uint8_t>(h)});
}

address address::v6(const std::array<std::uint8_t, 16>& b) noexcept {
  address a;
  a.bytes_ = b;
  return a;
}

result<address> address::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) {
    return error{errc::invalid_argument, "invalid address '" + std::string(text) + "'"};
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    std::array<std::uint8_t, 4> b{};
    if (inet_pton(AF_INET, buf, b.data()) == 1) return v4(b);
  } else {
    std::array<std::uint8_t, 16> b{};
    if (inet_pton(AF_INET6, buf, b.data()) == 1) return v6(b);
  }
  return error{errc::invalid_argument, "invalid address '" + std::string(text) + "'"};
}

bool address::is_v4() const noexcept {
  return std::memcmp(bytes_.data(), v4_mapped_prefix.data(), 12) == 0;
}

std::uint32_t address::v4_host_order() const noexcept {
  return (std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
         (std::uint32_t{bytes_[14]} << 8) | std::uint32_t{bytes_[15]};
}

std::string address::to_string() const {
  if (is_v4()) {
    std::string out;
    out.reserve(15);
    for (int i = 12; i < 16; ++i) {
      unsigned b = bytes_[static_cast<std::size_t>(i)];
      if (b >= 100) out += static_cast<char>('0' + b / 100);
      if (b >= 10) out += static_cast<char>('0' + b / 10 % 10);
      out += static_cast<char>('0' + b % 10);
      if (i != 15) out += '.';
    }
    return out;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

address address::masked(unsigned bits) const noexcept {
  address a = *this;
  if (bits >= 128) return a;
  unsigned byte = bits / 8;
  unsigned rem = bits % 8;
  if (rem != 0) {
    a.bytes_[byte] &= static_cast<std::uint8_t>(0xff << (8 - rem));
    ++byte;
  }
  for (unsigned i = byte; i < 16; ++i) a.bytes_[i] = 0;
  return a;
}

result<subnet> subnet::make(const address& network, unsigned length) {
  unsigned max = network.is_v4() ? 32 : 128;
  if (length > max) {
    return error{errc::invalid_argument, "prefix length " + std::to_string(length) +
                                             " too long for " + network.to_string()};
  }
  subnet s;
  s.length_ = static_cast<std::uint8_t>(network.is_v4() ? length + 96 : length);
  s.network_ = network.masked(s.length_);
  return s;
}

result<subnet> subnet::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return error{errc::invalid_argument, "invalid subnet '" + std::string(text) + "': missing '/'"};
  }
  auto addr = address::parse(text.substr(0, slash));
  if (!addr) return error{errc::invalid_argument, "invalid subnet '" + std::string(text) + "': " + addr.err().message};
  auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [p, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || p != len_text.data() + len_text.size() || len_text.empty()) {
    return error{errc::invalid_argument, "invalid subnet '" + std::string(text) + "': bad prefix length"};
  }
  // An IPv4-mapped network written in IPv6 form counts its length over 128 bits.
  if (addr->is_v4() && text.find(':') != std::string_view::npos) {
    if (len < 96) {
      return error{errc::invalid_argument, "invalid subnet '" + std::string(text) +
                                               "': an IPv4-mapped prefix needs a length of at least 96"};
    }
    len -= 96;
  }
  return make(*addr, len);
}

unsigned subnet::length() const noexcept {
  return network_.is_v4() && length_ >= 96 ? length_ - 96u : length_;
}

bool subnet::contains(const address& a) const noexcept {
  const auto& n = network_.bytes();
  const auto& b = a.bytes();
  unsigned full = length_ / 8;
  if (std::memcmp(n.data(), b.data(), full) != 0) return false;
  unsigned rem = length_ % 8;
  if (rem == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rem));
  return (n[full] & mask) == (b[full] & mask);
}

std::string subnet::to_string() const {
  return network_.to_string() + "/" + std::to_string(length());
}

std::string_view to_string(transport t) noexcept {
  switch (t) {
    case transport::tcp: return "tcp";
    case transport::udp: return "udp";
    case transport::icmp: return "icmp";
    case transport::unknown: break;
  }
  return "unknown";
}

result<port> port::parse(std::string_view text) {
  auto slash = text.find('/');
  auto num = text.substr(0, slash);
  unsigned n = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
  if (num.empty() || ec != std::errc() || p != num.data() + num.size() || n > 65535) {
    return error{errc::invalid_argument, "invalid port '" + std::string(text) + "'"};
  }
  port out{static_cast<std::uint16_t>(n), transport::unknown};
  if (slash == std::string_view::npos) return out;
  auto proto = text.substr(slash + 1);
  if (proto == "tcp") out.proto = transport::tcp;
  else if (proto == "udp") out.proto = transport::udp;
  else if (proto == "icmp") out.proto = transport::icmp;
  else if (proto != "unknown") {
    return error{errc::invalid_argument, "invalid port '" + std::string(text) +
                                             "': transport must be tcp, udp, icmp or unknown"};
  }
  return out;
}

std::string port::to_string() const {
  return std::to_string(number) + "/" + std::string(coop::model::to_string(proto));
}

}  // namespace coop::model
