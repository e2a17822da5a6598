// JSON text of scalars, written straight into the output buffer.
#include "json/writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "json/utf8.h"

namespace coop::model::json {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";
constexpr std::int64_t ns_per_s = 1'000'000'000;

// True for bytes that can be copied into a JSON string unchanged without
// looking further: printable ASCII other than '"' and '\'.
constexpr bool plain_ascii(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// Writes `v` as exactly `width` decimal digits (zero-padded) at `p`.
void put_digits(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Proleptic Gregorian date of a day count since 1970-01-01 (the classic
// era-based civil calendar algorithm).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const auto* run = p;
    while (p < end && plain_ascii(*p)) ++p;
    if (p != run) out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
    if (p == end) break;
    unsigned char c = *p;
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(p, end);
      if (n != 0) {
        out.append(reinterpret_cast<const char*>(p), n);
        p += n;
      } else {
        // surrogateescape: the byte 0xXY becomes the lone surrogate U+DCXY.
        char esc[6] = {'\\', 'u', 'd', 'c', hex_digits[c >> 4], hex_digits[c & 15]};
        out.append(esc, 6);
        ++p;
      }
      continue;
    }
    ++p;
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\f': out.append("\\f", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
        out.append(esc, 6);
      }
    }
  }
  out.push_back('"');
}

void append_base64(std::string& out, std::string_view data) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::size_t start = out.size();
  out.resize(start + 2 + (n + 2) / 3 * 4);
  char* o = out.data() + start;
  *o++ = '"';
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = alphabet[v & 63];
  }
  if (i < n) {
    std::uint32_t v = std::uint32_t{p[i]} << 16;
    if (i + 1 < n) v |= std::uint32_t{p[i + 1]} << 8;
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  *o = '"';
}

void append_u64(std::string& out, std::uint64_t v) {
  char buf[24];
  auto* e = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, static_cast<std::size_t>(e - buf));
}

void append_i64(std::string& out, std::int64_t v) {
  char buf[24];
  auto* e = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, static_cast<std::size_t>(e - buf));
}

void append_real(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("\"NaN\"");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[32];
    auto* e = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out.append(buf, static_cast<std::size_t>(e - buf));
  }
}

void append_rfc3339(std::string& out, std::int64_t ns) {
  std::int64_t secs = ns / ns_per_s;
  std::int64_t frac = ns % ns_per_s;
  if (frac < 0) {
    frac += ns_per_s;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  // The int64 nanosecond range spans the years 1677..2262: four digits.
  char buf[] = "\"YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ\"";
  auto r = static_cast<unsigned>(rem);
  put_digits(buf + 1, static_cast<unsigned>(y), 4);
  put_digits(buf + 6, m, 2);
  put_digits(buf + 9, d, 2);
  put_digits(buf + 12, r / 3600, 2);
  put_digits(buf + 15, r / 60 % 60, 2);
  put_digits(buf + 18, r % 60, 2);
  put_digits(buf + 21, static_cast<unsigned>(frac), 9);
  out.append(buf, sizeof buf - 1);
}

void append_seconds(std::string& out, std::int64_t ns) {
  char buf[32];
  char* p = buf;
  auto mag = static_cast<std::uint64_t>(ns);
  if (ns < 0) {
    *p++ = '-';
    mag = ~mag + 1;  // two's complement magnitude; exact for INT64_MIN too
  }
  p = std::to_chars(p, buf + sizeof buf, mag / ns_per_s).ptr;
  *p++ = '.';
  put_digits(p, static_cast<unsigned>(mag % ns_per_s), 9);
  std::size_t keep = 9;
  while (keep > 1 && p[keep - 1] == '0') --keep;
  out.append(buf, static_cast<std::size_t>(p - buf) + keep);
}

namespace {

// Writes the text of `a` at `p` (room for 39 characters) and returns its end.
char* put_address(char* p, const address& a) {
  const auto& b = a.bytes();
  if (a.is_v4()) {
    for (int i = 12; i < 16; ++i) {
      p = std::to_chars(p, p + 3, b[i]).ptr;
      if (i != 15) *p++ = '.';
    }
    return p;
  }
  // RFC 5952: lower-case hex, no leading zeros, the first longest run of
  // two or more zero groups replaced by "::".
  unsigned groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = (unsigned{b[2 * i]} << 8) | b[2 * i + 1];
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      *p++ = ':';
      *p++ = ':';
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best + best_len) *p++ = ':';
    p = std::to_chars(p, p + 4, groups[i], 16).ptr;
  }
  return p;
}

}  // namespace

void append_address(std::string& out, const address& a) {
  char buf[48];
  buf[0] = '"';
  char* p = put_address(buf + 1, a);
  *p++ = '"';
  out.append(buf, static_cast<std::size_t>(p - buf));
}

void append_subnet(std::string& out, const subnet& s) {
  char buf[56];
  buf[0] = '"';
  char* p = put_address(buf + 1, s.network());
  *p++ = '/';
  p = std::to_chars(p, p + 3, s.length()).ptr;
  *p++ = '"';
  out.append(buf, static_cast<std::size_t>(p - buf));
}

void append_port(std::string& out, const port& pt) {
  char buf[24];
  buf[0] = '"';
  char* p = std::to_chars(buf + 1, buf + 6, pt.number).ptr;
  *p++ = '/';
  std::string_view proto = to_string(pt.proto);
  std::memcpy(p, proto.data(), proto.size());
  p += proto.size();
  *p++ = '"';
  out.append(buf, static_cast<std::size_t>(p - buf));
}

void append_event_id(std::string& out, const event_id& id) {
  char buf[34];
  buf[0] = buf[33] = '"';
  for (int i = 0; i < 16; ++i) {
    buf[1 + i] = hex_digits[(id.hi >> (60 - 4 * i)) & 15];
    buf[17 + i] = hex_digits[(id.lo >> (60 - 4 * i)) & 15];
  }
  out.append(buf, sizeof buf);
}

}  // namespace coop::model::json
