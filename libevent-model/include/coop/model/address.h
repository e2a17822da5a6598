// Network value types: `address` (IPv4 or IPv6), `subnet` and `port` (number
// plus transport), with parsing and printing in Zeek's notation, total order
// and hashing. All are small regular values; thread-safe as any value type.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/export.h"
#include "coop/model/result.h"

namespace coop::model {

/// An IPv4 or IPv6 address. IPv4 addresses are stored IPv4-mapped
/// (::ffff:a.b.c.d), as Zeek does, so both families share one order:
/// all IPv4 addresses sort between ::ffff:0:0 and ::ffff:ffff:ffff.
class COOP_MODEL_EXPORT address {
 public:
  /// The unspecified IPv6 address `::`.
  constexpr address() = default;

  /// An IPv4 address from four bytes in network order.
  static address v4(std::array<std::uint8_t, 4> bytes) noexcept;
  /// An IPv4 address from a host-order 32-bit integer (0x0a000001 = 10.0.0.1).
  static address v4(std::uint32_t host_order) noexcept;
  /// An IPv6 address from sixteen bytes in network order.
  static address v6(const std::array<std::uint8_t, 16>& bytes) noexcept;

  /// Parses dotted IPv4 or RFC 4291 IPv6 text (`10.0.0.1`, `2001:db8::1`,
  /// `::ffff:1.2.3.4`). Errors: invalid_argument naming the text.
  static result<address> parse(std::string_view text);

  /// True if this is an IPv4(-mapped) address.
  [[nodiscard]] bool is_v4() const noexcept;
  /// The IPv4 address in host order; only meaningful when is_v4().
  [[nodiscard]] std::uint32_t v4_host_order() const noexcept;
  /// The sixteen bytes in network order (IPv4-mapped for IPv4).
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }

  /// Dotted IPv4, or compressed IPv6 as RFC 5952 recommends.
  [[nodiscard]] std::string to_string() const;

  /// Keeps the first `bits` bits (of 128; for IPv4 pass 96 + prefix) and
  /// zeroes the rest.
  [[nodiscard]] address masked(unsigned bits) const noexcept;

  friend auto operator<=>(const address&, const address&) = default;
  friend bool operator==(const address&, const address&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

/// A network prefix. The length is stored in IPv6 terms (an IPv4 /24 is
/// stored as 96 + 24) and printed in the family's own terms (`10.0.0.0/24`).
/// The network address always has its host bits zeroed.
class COOP_MODEL_EXPORT subnet {
 public:
  constexpr subnet() = default;
  /// `network` masked to `length` bits in its own family (0..32 for IPv4,
  /// 0..128 for IPv6). Errors: invalid_argument when the length is too long.
  static result<subnet> make(const address& network, unsigned length);
  /// Parses `10.0.0.0/8` or `2001:db8::/32`.
  static result<subnet> parse(std::string_view text);

  [[nodiscard]] const address& network() const noexcept { return network_; }
  /// Prefix length in the family's own terms.
  [[nodiscard]] unsigned length() const noexcept;
  /// Prefix length over 128 bits (IPv4 lengths are offset by 96).
  [[nodiscard]] unsigned length_v6() const noexcept { return length_; }
  /// True if `a` lies inside this prefix.
  [[nodiscard]] bool contains(const address& a) const noexcept;
  [[nodiscard]] std::string to_string() const;

  friend auto operator<=>(const subnet&, const subnet&) = default;
  friend bool operator==(const subnet&, const subnet&) = default;

 private:
  address network_;
  std::uint8_t length_ = 0;
};

/// Transport protocol of a port, as in Zeek's `port` type.
enum class transport : std::uint8_t { unknown = 0, tcp = 1, udp = 2, icmp = 3 };

/// "tcp", "udp", "icmp" or "unknown".
COOP_MODEL_EXPORT std::string_view to_string(transport t) noexcept;

/// A transport-layer port: number and protocol, printed `80/tcp`.
struct COOP_MODEL_EXPORT port {
  std::uint16_t number = 0;
  transport proto = transport::unknown;

  /// Parses `80/tcp`, `53/udp`, `8/icmp`, `0/unknown`; a bare number means
  /// unknown transport.
  static result<port> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;

  friend auto operator<=>(const port&, const port&) = default;
  friend bool operator==(const port&, const port&) = default;
};

}  // namespace coop::model
