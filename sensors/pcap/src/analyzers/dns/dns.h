// Internal: the DNS analyzer, UDP datagrams and TCP with length prefixes
// (dns_request and dns_reply events), and the message parser it uses.
// An analyzer belongs to one connection (single-threaded); parse_dns is reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"

namespace coop::sensor::detail {

/// A parsed DNS message (the parts the events carry).
struct dns_message {
  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  bool aa = false, tc = false, rd = false, ra = false;
  std::uint8_t z = 0;
  bool has_question = false;
  std::string query;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::vector<std::string> answers;  ///< Rendered as Zeek renders them.
  std::vector<std::uint32_t> ttls;
};

/// Parses one DNS message. Returns false when it is not plausibly DNS
/// (truncated header, counts that cannot fit, a bad name). Never reads out
/// of bounds; name compression loops are bounded.
bool parse_dns(std::span<const std::uint8_t> m, dns_message& out);

/// A new DNS analyzer.
std::unique_ptr<app_analyzer> make_dns();

}  // namespace coop::sensor::detail
