// JSON text of scalars, written straight into the output buffer.
#include "json/writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "json/utf8.h"
#include "value/time_format.h"

namespace coop::model::json {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// True for bytes that can be copied into a JSON string unchanged without
// looking further: printable ASCII other than '"' and '\'.
constexpr bool plain_ascii(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

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
  out.push_back('"');
  detail::append_rfc3339(out, ns);
  out.push_back('"');
}

void append_seconds(std::string& out, std::int64_t ns) { detail::append_seconds(out, ns, 1); }

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
