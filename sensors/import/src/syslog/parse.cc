// The syslog message parser: PRI, then an RFC 5424 header ("1 TIMESTAMP
// HOST APP PROCID MSGID SD") or an RFC 3164 one ("Mmm dd hh:mm:ss HOST
// TAG: "). Written by hand over string_views: no allocation except for the
// RFC 3339 timestamp text.
#include <array>
#include <string>

#include "coop/importer/syslog.h"
#include "scan/scalars.h"
#include "sshd/syslog_line.h"

namespace coop::importer {

namespace model = coop::model;

namespace {

constexpr std::array<std::string_view, 24> facilities = {
    "KERN",   "USER",   "MAIL",   "DAEMON", "AUTH",   "SYSLOG", "LPR",    "NEWS",
    "UUCP",   "CRON",   "AUTHPRIV", "FTP",  "NTP",    "AUDIT",  "ALERT",  "CLOCK",
    "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"};
constexpr std::array<std::string_view, 8> severities = {
    "EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"};

model::result<syslog_parts> bad(std::string what, std::size_t offset) {
  return {model::errc::invalid_argument, what + " at byte " + std::to_string(offset)};
}

// The next SP-terminated token of a 5424 header starting at `i`; "-" gives
// an empty view. False when the token is empty, too long or not printable.
bool header_field(std::string_view s, std::size_t& i, std::size_t max, std::string_view& out) {
  const auto sp = s.find(' ', i);
  if (sp == std::string_view::npos || sp == i || sp - i > max) return false;
  const auto tok = s.substr(i, sp - i);
  for (char c : tok) {
    if (c < 33 || c > 126) return false;
  }
  out = tok == "-" ? std::string_view() : tok;
  i = sp + 1;
  return true;
}

// Skips the STRUCTURED-DATA at `i` ("-" or one or more "[id k="v"...]").
// Returns false when an element is not closed or malformed.
bool skip_structured_data(std::string_view s, std::size_t& i) {
  if (i < s.size() && s[i] == '-') {
    ++i;
    return true;
  }
  if (i >= s.size() || s[i] != '[') return false;
  while (i < s.size() && s[i] == '[') {
    ++i;
    bool quoted = false;
    bool closed = false;
    while (i < s.size()) {
      const char c = s[i++];
      if (quoted) {
        if (c == '\\' && i < s.size()) {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ']') {
        closed = true;
        break;
      } else if (c == '[') {
        return false;
      }
    }
    if (!closed) return false;
  }
  return true;
}

model::result<syslog_parts> parse_5424(std::string_view s, std::size_t i, syslog_parts p) {
  p.version = 1;
  // TIMESTAMP
  const auto ts_start = i;
  std::string_view ts_text;
  if (!header_field(s, i, 64, ts_text)) return bad("malformed RFC 5424 TIMESTAMP", ts_start);
  if (!ts_text.empty()) {
    auto ts = model::timestamp::parse(std::string(ts_text));
    if (!ts) return bad("RFC 5424 TIMESTAMP '" + std::string(ts_text) + "' is not RFC 3339", ts_start);
    p.ts = *ts;
    p.has_time = true;
  }
  const auto host_at = i;
  if (!header_field(s, i, 255, p.hostname)) return bad("malformed RFC 5424 HOSTNAME", host_at);
  const auto app_at = i;
  if (!header_field(s, i, 48, p.app_name)) return bad("malformed RFC 5424 APP-NAME", app_at);
  const auto proc_at = i;
  if (!header_field(s, i, 128, p.procid)) return bad("malformed RFC 5424 PROCID", proc_at);
  const auto msgid_at = i;
  // MSGID may be the last field before "-" when SD and MSG are absent, but
  // RFC 5424 requires the SD; so a SP always follows MSGID.
  if (!header_field(s, i, 32, p.msgid)) return bad("malformed RFC 5424 MSGID", msgid_at);
  const auto sd_at = i;
  if (!skip_structured_data(s, i)) return bad("malformed RFC 5424 STRUCTURED-DATA", sd_at);
  if (i < s.size()) {
    if (s[i] != ' ') return bad("no space after RFC 5424 STRUCTURED-DATA", i);
    ++i;
  }
  auto msg = s.substr(i);
  if (msg.substr(0, 3) == "\xEF\xBB\xBF") msg.remove_prefix(3);
  p.message = msg;
  return p;
}

// The TAG of an RFC 3164 message at the start of `s`: "name:" or
// "name[pid]:", or "name[pid]" followed by a space (rsyslog writes tags of
// RFC 5424 input that way). Returns the length consumed including the
// space after it, 0 when `s` does not start with a tag.
std::size_t read_tag(std::string_view s, std::string_view& app, std::string_view& pid) {
  const auto sp = s.find(' ');
  std::string_view tok = s.substr(0, sp);
  if (tok.empty() || tok.size() > 128) return 0;
  const bool colon = tok.back() == ':';
  if (colon) tok.remove_suffix(1);
  std::string_view name = tok;
  std::string_view id;
  if (!tok.empty() && tok.back() == ']') {
    const auto open = tok.find('[');
    if (open == std::string_view::npos || open == 0) return 0;
    name = tok.substr(0, open);
    id = tok.substr(open + 1, tok.size() - open - 2);
  } else if (!colon) {
    return 0;
  }
  if (name.empty() || name.find_first_of("[]:") != std::string_view::npos) return 0;
  app = name;
  pid = id;
  return sp == std::string_view::npos ? s.size() : sp + 1;
}

// RFC 3164: "Mmm dd hh:mm:ss HOST TAG[PID]: MSG" (also with an RFC 3339
// timestamp, as rsyslog forwards by default, and without HOST). Never
// fails: what does not fit stays in the message.
syslog_parts parse_3164(std::string_view s, std::size_t i, syslog_parts p, model::timestamp now,
                        int year) {
  p.version = 0;
  const auto rest = s.substr(i);
  p.message = rest;
  // The auth-log header reader finds the time and the next word.
  sshd::syslog_line line;
  std::string why;
  if (!sshd::parse_syslog_line(rest, now, year, line, why)) return p;
  p.ts = line.ts;
  p.has_time = true;
  const auto host_at = static_cast<std::size_t>(line.host.data() - rest.data());
  auto after = rest.substr(host_at);
  // No HOST: the word after the time is already the tag.
  if (auto n = read_tag(after, p.app_name, p.procid); n != 0) {
    p.message = after.substr(n);
    return p;
  }
  p.hostname = line.host;
  after = after.substr(std::min(after.size(), line.host.size() + 1));
  if (auto n = read_tag(after, p.app_name, p.procid); n != 0) {
    p.message = after.substr(n);
  } else {
    p.message = after;
  }
  return p;
}

}  // namespace

std::string_view facility_name(int facility) noexcept {
  if (facility < 0 || facility >= static_cast<int>(facilities.size())) return {};
  return facilities[static_cast<std::size_t>(facility)];
}

std::string_view severity_name(int severity) noexcept {
  if (severity < 0 || severity >= static_cast<int>(severities.size())) return {};
  return severities[static_cast<std::size_t>(severity)];
}

model::result<syslog_parts> parse_syslog(std::string_view text, model::timestamp now, int year) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty() || text[0] != '<') return bad("no PRI ('<' expected)", 0);
  std::size_t i = 1;
  unsigned pri = 0;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 4) {
    pri = pri * 10 + static_cast<unsigned>(text[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0 || digits > 3 || i >= text.size() || text[i] != '>') {
    return bad("malformed PRI (expected '<' 1-3 digits '>')", 0);
  }
  if (pri > 191) return bad("PRI " + std::to_string(pri) + " is over 191", 1);
  if (digits > 1 && text[1] == '0') return bad("PRI has a leading zero", 1);
  ++i;
  syslog_parts p;
  p.facility = static_cast<int>(pri / 8);
  p.severity = static_cast<int>(pri % 8);
  if (i + 1 < text.size() && text[i] == '1' && text[i + 1] == ' ') {
    return parse_5424(text, i + 2, p);
  }
  if (i < text.size() && text[i] >= '2' && text[i] <= '9' && i + 1 < text.size() &&
      text[i + 1] == ' ') {
    return bad("syslog VERSION " + std::string(1, text[i]) + " is not supported (only 1)", i);
  }
  return parse_3164(text, i, p, now, year);
}

}  // namespace coop::importer
