#include "apache/access_log.h"

#include "scan/scalars.h"

namespace coop::importer::apache {

namespace {

int hex(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A cursor over the line that remembers where it is for messages.
struct cursor {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i >= s.size(); }
  // The token up to the next space (the space is consumed).
  std::string_view token() {
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    const std::string_view t = s.substr(start, i - start);
    if (i < s.size()) ++i;
    return t;
  }
  bool expect(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // A double-quoted string with backslash escapes; the quotes are consumed.
  bool quoted(std::string_view& out) {
    if (!expect('"')) return false;
    const std::size_t start = i;
    while (i < s.size()) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        i += 2;
        continue;
      }
      if (s[i] == '"') {
        out = s.substr(start, i - start);
        ++i;
        return true;
      }
      ++i;
    }
    return false;
  }
};

bool fail(std::string& why, const char* what, std::size_t at) {
  why = std::string(what) + " at byte " + std::to_string(at + 1);
  return false;
}

// "17/May/2015:10:05:03 +0000" -> UTC.
bool parse_clf_time(std::string_view t, coop::model::timestamp& out) {
  if (t.size() != 26 || t[2] != '/' || t[6] != '/' || t[11] != ':' || t[14] != ':' ||
      t[17] != ':' || t[20] != ' ' || (t[21] != '+' && t[21] != '-')) {
    return false;
  }
  const int day = scan::two_digits(t.data());
  const unsigned month = scan::month_of(t.substr(3, 3));
  std::uint64_t year = 0;
  const int hh = scan::two_digits(t.data() + 12);
  const int mm = scan::two_digits(t.data() + 15);
  const int ss = scan::two_digits(t.data() + 18);
  const int oh = scan::two_digits(t.data() + 22);
  const int om = scan::two_digits(t.data() + 24);
  // Nanoseconds since 1970 in 64 bits reach from 1678 to 2261.
  if (day < 1 || day > 31 || month == 0 || !scan::parse_u64(t.substr(7, 4), year) || year < 1678 ||
      year > 2261 || hh < 0 ||
      hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 || oh < 0 || om < 0) {
    return false;
  }
  const std::int64_t days =
      scan::days_from_civil(static_cast<std::int64_t>(year), month, static_cast<unsigned>(day));
  std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss;
  const std::int64_t offset = oh * 3600 + om * 60;
  secs -= t[21] == '+' ? offset : -offset;
  out.ns = secs * 1'000'000'000;
  return true;
}

}  // namespace

bool parse_access_line(std::string_view line, access_line& out, std::string& why) {
  cursor c{line};
  out = access_line{};
  std::string_view first = c.token();
  if (first.empty()) return fail(why, "expected the client address", 0);
  if (!scan::parse_address(first, out.client)) {
    // vhost_combined: "%v:%p %h ..." or "%v %h ...".
    const auto colon = first.rfind(':');
    if (colon != std::string_view::npos && first.find(':') == colon) {
      std::uint64_t p = 0;
      if (scan::parse_u64(first.substr(colon + 1), p) && p <= 65535) {
        out.vhost = first.substr(0, colon);
        out.vhost_port = static_cast<std::int64_t>(p);
      } else {
        out.vhost = first;
      }
    } else {
      out.vhost = first;
    }
    const std::size_t at = c.i;
    const std::string_view client = c.token();
    if (!scan::parse_address(client, out.client)) {
      why = "client '" + std::string(first.substr(0, 64)) + "' is not an IP address (byte 1)";
      if (!client.empty() && client != "-") {
        why = "client '" + std::string(client.substr(0, 64)) + "' is not an IP address (byte " +
              std::to_string(at + 1) + ")";
      }
      return false;
    }
  }
  out.ident = c.token();
  out.user = c.token();
  if (out.ident.empty() || out.user.empty()) return fail(why, "expected ident and user", c.i);
  const std::size_t time_at = c.i;
  if (!c.expect('[')) return fail(why, "expected '[' before the time", c.i);
  const auto close = line.find(']', c.i);
  if (close == std::string_view::npos) return fail(why, "unterminated time", time_at);
  if (!parse_clf_time(line.substr(c.i, close - c.i), out.ts)) {
    return fail(why, "time is not dd/Mon/yyyy:hh:mm:ss +zzzz", time_at);
  }
  c.i = close + 1;
  if (!c.expect(' ')) return fail(why, "expected a space after the time", c.i);
  const std::size_t request_at = c.i;
  if (!c.quoted(out.request)) {
    return fail(why,
                request_at < line.size() && line[request_at] == '"'
                    ? "the request line has no closing quote"
                    : "expected the quoted request line",
                request_at);
  }
  if (!c.expect(' ')) return fail(why, "expected a space after the request", c.i);
  const std::size_t status_at = c.i;
  const std::string_view status = c.token();
  std::uint64_t n = 0;
  if (status != "-") {
    if (status.size() != 3 || !scan::parse_u64(status, n)) {
      return fail(why, "status is not a three-digit code", status_at);
    }
    out.status = static_cast<int>(n);
  }
  const std::size_t bytes_at = c.i;
  const std::string_view bytes = c.token();
  if (bytes != "-") {
    if (!scan::parse_u64(bytes, n)) return fail(why, "size is not a number or '-'", bytes_at);
    out.bytes = static_cast<std::int64_t>(n);
  }
  if (c.done()) return true;
  // Combined: "referer" "user-agent"; anything after them is ignored.
  if (!c.quoted(out.referrer)) return fail(why, "expected the quoted Referer", c.i);
  if (!c.expect(' ')) return fail(why, "expected the quoted User-Agent", c.i);
  const std::size_t ua_at = c.i;
  if (!c.quoted(out.user_agent)) {
    // A line cut inside the User-Agent (seen in real logs): keep what is there.
    if (ua_at >= line.size() || line[ua_at] != '"') {
      return fail(why, "expected the quoted User-Agent", ua_at);
    }
    out.user_agent = line.substr(ua_at + 1);
    out.truncated = true;
  }
  out.combined = true;
  return true;
}

void unescape_apache(std::string_view s, std::string& out) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char n = s[i + 1];
    if (n == '"' || n == '\\') {
      out.push_back(n);
      ++i;
    } else if (n == 'x' && i + 3 < s.size() && hex(s[i + 2]) >= 0 && hex(s[i + 3]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 2]) * 16 + hex(s[i + 3])));
      i += 3;
    } else {
      out.push_back('\\');
    }
  }
}

}  // namespace coop::importer::apache
