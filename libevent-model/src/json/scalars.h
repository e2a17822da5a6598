// Conversions from JSON token text to scalar values, exact where the JSON
// format promises it: integers never pass through a double, decimal seconds
// become nanoseconds digit by digit. Each returns false and sets `why` (a
// phrase for an error message) when the text does not convert.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/address.h"
#include "coop/model/event.h"

namespace coop::model::json {

/// `token` is a JSON number (grammar already checked by the reader).
bool number_to_count(std::string_view token, std::uint64_t& out, std::string& why);
bool number_to_int(std::string_view token, std::int64_t& out, std::string& why);
/// Correctly rounded; underflow gives a signed zero, overflow fails.
bool number_to_real(std::string_view token, double& out, std::string& why);
/// A number of seconds to nanoseconds, rounded half away from zero at the
/// nanosecond; fails outside the int64 range.
bool seconds_to_ns(std::string_view token, std::int64_t& out, std::string& why);
/// A JSON number that must be an integer in [0, max].
bool number_to_u32(std::string_view token, std::uint32_t& out, std::string& why);

/// Strict RFC 3339: `YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)`.
bool rfc3339_to_ns(std::string_view text, std::int64_t& out, std::string& why);
/// Strict base64 (RFC 4648 alphabet, padding required, canonical).
bool base64_decode(std::string_view text, std::string& out, std::string& why);
/// `80/tcp`, `53/udp`, `8/icmp`, `0/unknown`.
bool text_to_port(std::string_view text, port& out, std::string& why);
/// 32 hex digits.
bool text_to_event_id(std::string_view text, event_id& out, std::string& why);

}  // namespace coop::model::json
