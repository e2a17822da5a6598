// Recognising application protocols by content. Each side's first bytes
// are looked at; the port only breaks ties (a "220" greeting is SMTP or FTP
// depending on what the client says next, or failing that the port).
#include <cstring>
#include <string_view>

#include "analyzers/analyzer.h"
#include "analyzers/dns/dns.h"
#include "analyzers/ftp/ftp.h"
#include "analyzers/http/http.h"
#include "analyzers/smtp/smtp.h"
#include "analyzers/ssh/ssh.h"
#include "analyzers/syslog/syslog.h"
#include "analyzers/text/lines.h"
#include "analyzers/tls/tls.h"
#include "coop/sensor/sensor.h"

namespace coop::sensor::detail {

namespace {

using bytes_view = std::span<const std::uint8_t>;

std::string_view text(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The first line, and whether it is complete.
std::string_view first_line(std::string_view s, bool& complete) {
  auto nl = s.find('\n');
  complete = nl != std::string_view::npos;
  std::string_view l = complete ? s.substr(0, nl) : s;
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

bool http_request_line(std::string_view l) {
  std::size_t i = 0;
  while (i < l.size() && ((l[i] >= 'A' && l[i] <= 'Z') || l[i] == '-' || l[i] == '_')) ++i;
  if (i == 0 || i > 20 || i >= l.size() || l[i] != ' ') return false;
  auto v = l.rfind(" HTTP/");
  return v != std::string_view::npos && v > i;
}

bool syslog_start(std::string_view s) {
  if (s.size() < 4 || s[0] != '<') return false;
  std::size_t i = 1;
  while (i < s.size() && i < 5 && s[i] >= '0' && s[i] <= '9') ++i;
  return i > 1 && i < s.size() && s[i] == '>';
}

bool port_is(const conn& c, std::uint16_t p) { return c.resp_p == p || c.orig_p == p; }

bool tls_hello(bytes_view b, std::uint8_t type) {
  return b.size() >= 6 && b[0] == 0x16 && b[1] == 3 && b[5] == type;
}

bool dns_over_tcp(const conn& c, bytes_view b) {
  if (b.size() < 14) return false;
  std::size_t len = (std::size_t{b[0]} << 8) | b[1];
  if (len + 2 > b.size()) return false;
  // A whole message in the first bytes, or port 53 to allow a partial one.
  if (len + 2 != b.size() && !port_is(c, 53)) return false;
  dns_message m;
  return parse_dns(b.subspan(2, len), m) && m.has_question;
}

std::unique_ptr<app_analyzer> detect_tcp(const conn& c, bytes_view orig, bytes_view resp,
                                         std::uint32_t on, bool& done) {
  std::string_view o = text(orig), r = text(resp);
  bool o_line = false, r_line = false;
  std::string_view ol = first_line(o, o_line), rl = first_line(r, r_line);
  if ((on & analyze_ssh) && (o.substr(0, 4) == "SSH-" || r.substr(0, 4) == "SSH-"))
    return make_ssh();
  if ((on & analyze_ssh) && port_is(c, 22) && r.find("\nSSH-") != std::string_view::npos)
    return make_ssh();
  if ((on & analyze_tls) && (tls_hello(orig, 1) || tls_hello(resp, 2))) return make_tls();
  if ((on & analyze_tls) && orig.size() >= 3 && (orig[0] & 0x80) && orig[2] == 1 && port_is(c, 443))
    return make_tls();  // SSLv2-style ClientHello
  if ((on & analyze_http) && ((o_line && http_request_line(ol)) || r.substr(0, 7) == "HTTP/1."))
    return make_http();
  bool banner = r_line && rl.substr(0, 3) == "220";
  if (o_line) {
    bool smtp_cmd = starts_with_nocase(ol, "EHLO ") || starts_with_nocase(ol, "HELO ");
    bool ftp_cmd =
        starts_with_nocase(ol, "USER ") && (r.empty() || banner || r.substr(0, 3) == "331");
    if (smtp_cmd && (on & analyze_smtp)) return make_smtp();
    if (ftp_cmd && (on & analyze_ftp)) return make_ftp();
  }
  if (banner) {
    bool smtp = rl.find("SMTP") != std::string_view::npos || port_is(c, 25) || port_is(c, 587);
    bool ftp = rl.find("FTP") != std::string_view::npos || port_is(c, 21);
    if (smtp != ftp && !o_line) {
      if (smtp && (on & analyze_smtp)) return make_smtp();
      if (ftp && (on & analyze_ftp)) return make_ftp();
    }
  }
  if ((on & analyze_syslog) && (syslog_start(o) || (o.size() > 2 && o[0] >= '1' && o[0] <= '9' &&
                                                    o.find(' ') != std::string_view::npos &&
                                                    syslog_start(o.substr(o.find(' ') + 1)))))
    return make_syslog();
  if ((on & analyze_dns) && dns_over_tcp(c, orig)) return make_dns();
  if (orig.size() >= 1024 || resp.size() >= 1024 || (o_line && !banner && !r.empty())) done = true;
  return nullptr;
}

}  // namespace

std::unique_ptr<app_analyzer> detect(const conn& c, bool is_orig, bytes_view orig, bytes_view resp,
                                     std::uint32_t enabled, bool& done) {
  done = false;
  if (c.proto == 17) {
    done = true;  // a datagram decides at once
    bytes_view d = is_orig ? orig : resp;
    dns_message m;
    if ((enabled & analyze_dns) && parse_dns(d, m) && (m.has_question || port_is(c, 53)) &&
        m.opcode <= 5)
      return make_dns();
    if ((enabled & analyze_syslog) && is_orig && syslog_start(text(d))) return make_syslog();
    return nullptr;
  }
  if (c.proto != 6) {
    done = true;
    return nullptr;
  }
  return detect_tcp(c, orig, resp, enabled, done);
}

}  // namespace coop::sensor::detail
