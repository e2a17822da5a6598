// Appenders for the JSON text of scalars: strings (with surrogateescape for
// bytes that are not UTF-8), numbers, base64, times, addresses and ports.
// Each appends to a caller-owned std::string and allocates only when that
// string must grow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/address.h"
#include "coop/model/event.h"

namespace coop::model::json {

/// `s` as a quoted JSON string. Valid UTF-8 is copied; `"`, `\` and control
/// characters are escaped; every byte that is not part of a well-formed
/// UTF-8 sequence is written as the lone surrogate \udc80..\udcff.
void append_string(std::string& out, std::string_view s);
/// `data` as a quoted base64 string (RFC 4648 alphabet, with padding).
void append_base64(std::string& out, std::string_view data);
void append_u64(std::string& out, std::uint64_t v);
void append_i64(std::string& out, std::int64_t v);
/// Shortest round-tripping form; NaN and infinities as the strings "NaN",
/// "Infinity", "-Infinity".
void append_real(std::string& out, double v);
/// A quoted RFC 3339 UTC time with nine decimals.
void append_rfc3339(std::string& out, std::int64_t ns);
/// A JSON number of seconds with one to nine decimals ("1.5", "3600.0").
void append_seconds(std::string& out, std::int64_t ns);
/// Quoted text of addresses (dotted IPv4, RFC 5952 IPv6), subnets, ports.
void append_address(std::string& out, const address& a);
void append_subnet(std::string& out, const subnet& s);
void append_port(std::string& out, const port& p);
/// 32 lower-case hex digits, quoted.
void append_event_id(std::string& out, const event_id& id);

}  // namespace coop::model::json
