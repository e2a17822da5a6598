// Syslog over UDP (one message per datagram) and TCP (RFC 6587 octet
// counting or newline framing): "<PRI>" gives facility and severity, the
// rest of the message is kept as it is (as Zeek's syslog.log does).
#include "analyzers/syslog/syslog.h"

#include <cctype>
#include <string>

#include "coop/model/catalogue.h"

namespace coop::sensor::detail {

namespace {

const char* const facilities[] = {"KERN",   "USER",   "MAIL",   "DAEMON", "AUTH",     "SYSLOG",
                                  "LPR",    "NEWS",   "UUCP",   "CRON",   "AUTHPRIV", "FTP",
                                  "NTP",    "AUDIT",  "ALERT",  "CLOCK",  "LOCAL0",   "LOCAL1",
                                  "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6",   "LOCAL7"};
const char* const severities[] = {"EMERG",   "ALERT",  "CRIT", "ERR",
                                  "WARNING", "NOTICE", "INFO", "DEBUG"};

class syslog_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    if (!is_orig) return;
    std::string_view s(reinterpret_cast<const char*>(d.data()), d.size());
    if (c.proto == 17) {
      message(out, c, s, ts);
      return;
    }
    buf_.append(s);
    std::size_t pos = 0;
    for (;;) {
      std::string_view rest = std::string_view(buf_).substr(pos);
      if (rest.empty()) break;
      if (std::isdigit(static_cast<unsigned char>(rest[0]))) {  // octet counting
        std::size_t sp = rest.find(' ');
        if (sp == std::string_view::npos || sp > 9) {
          if (rest.size() > 10) {  // not a count after all: drop the junk
            buf_.clear();
            pos = 0;
          }
          break;
        }
        std::size_t n = std::stoul(std::string(rest.substr(0, sp)));
        if (rest.size() < sp + 1 + n) break;
        message(out, c, rest.substr(sp + 1, n), ts);
        pos += sp + 1 + n;
      } else {  // newline (or NUL) framing
        std::size_t nl = rest.find_first_of(std::string_view("\n\0", 2));
        if (nl == std::string_view::npos) break;
        std::string_view m = rest.substr(0, nl);
        if (!m.empty() && m.back() == '\r') m.remove_suffix(1);
        if (!m.empty()) message(out, c, m, ts);
        pos += nl + 1;
      }
    }
    buf_.erase(0, pos);
    if (buf_.size() > 65536) buf_.clear();
  }
  std::string_view service() const override { return "syslog"; }

 private:
  void message(emit_context& out, const conn& c, std::string_view m, std::int64_t ts) {
    if (m.size() < 3 || m[0] != '<') return;
    std::size_t close = m.find('>');
    if (close == std::string_view::npos || close < 2 || close > 4) return;
    unsigned pri = 0;
    for (std::size_t i = 1; i < close; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(m[i]))) return;
      pri = pri * 10 + static_cast<unsigned>(m[i] - '0');
    }
    if (pri > 191) return;
    model::event* e = out.make(model::catalogue::syslog_message, c, ts);
    if (e == nullptr) return;
    set_field(*e, "facility", std::string(facilities[pri / 8]));
    set_field(*e, "severity", std::string(severities[pri % 8]));
    set_field(*e, "message", std::string(m.substr(close + 1)));
    out.emit();
  }

  std::string buf_;
};

}  // namespace

std::unique_ptr<app_analyzer> make_syslog() { return std::make_unique<syslog_analyzer>(); }

}  // namespace coop::sensor::detail
