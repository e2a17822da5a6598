// The sshd line parser: syslog and journal lines (file or journalctl
// -o short/short-iso/json); sshd's login messages become ssh_login events,
// every other line is counted as ignored.
#include <string>

#include <nlohmann/json.hpp>

#include "coop/model/catalogue.h"
#include "scan/scalars.h"
#include "session/context.h"
#include "sshd/messages.h"
#include "sshd/syslog_line.h"
#include "scan/json_depth.h"

namespace coop::importer::detail {

namespace model = coop::model;

namespace {

struct login_fields {
  std::size_t orig_h, orig_p, user, auth_success, auth_method, failure_reason, invalid_user,
      client_key_type, client_key_fingerprint, hostname, version;
};

std::size_t at(const model::schema& s, std::string_view name) { return *s.index_of(name); }

void set_text(model::value& v, std::string_view s, bool present) {
  if (!present) {
    v = model::none;
    return;
  }
  if (!v.is<std::string>()) v = std::string();
  v.get<std::string>().assign(s);
}

class sshd_parser final : public line_parser {
 public:
  explicit sshd_parser(context& ctx)
      : ctx_(ctx),
        counts_(ctx.kind("sshd")),
        event_(ctx.schema(model::catalogue::ssh_login)),
        logins_(ctx.counter(model::catalogue::ssh_login)),
        now_(ctx.now()) {
    const auto& s = event_.type();
    f_ = {at(s, "orig_h"),         at(s, "orig_p"),          at(s, "user"),
          at(s, "auth_success"),   at(s, "auth_method"),     at(s, "failure_reason"),
          at(s, "invalid_user"),   at(s, "client_key_type"), at(s, "client_key_fingerprint"),
          at(s, "hostname"),       at(s, "version")};
    event_.from = ctx.opt.from;
  }

  model::result<void> line(std::string_view text, std::uint64_t no) override {
    if (scan::trim(text).empty()) return {};
    ++counts_.lines;
    if (text[0] == '{') return journal_json(text, no);
    if (!sshd::parse_syslog_line(text, now_, ctx_.opt.year, line_, why_)) {
      ctx_.skip(counts_, no, why_);
      return {};
    }
    return message(line_.ts, line_.host, line_.program, line_.message, no);
  }

 private:
  model::result<void> message(model::timestamp ts, std::string_view host, std::string_view program,
                              std::string_view text, std::uint64_t no) {
    if (program.substr(0, 4) != "sshd" ||
        sshd::read_message(program, text, login_) != sshd::verdict::login) {
      ++counts_.ignored;
      return {};
    }
    auto& f = event_.fields();
    model::address a;
    if (!scan::parse_address(login_.client, a)) {
      ctx_.skip(counts_, no, "client address '" + std::string(login_.client) + "' is not valid");
      return {};
    }
    f[f_.orig_h] = a;
    std::uint64_t port = 0;
    if (!login_.port.empty() && scan::parse_u64(login_.port, port) && port <= 65535) {
      f[f_.orig_p] = model::port{static_cast<std::uint16_t>(port), model::transport::tcp};
    } else {
      f[f_.orig_p] = model::none;
    }
    set_text(f[f_.user], login_.user, login_.has_user);
    if (login_.success < 0) {
      f[f_.auth_success] = model::none;
    } else {
      f[f_.auth_success] = login_.success == 1;
    }
    set_text(f[f_.auth_method], login_.method, !login_.method.empty());
    set_text(f[f_.failure_reason], login_.reason, !login_.reason.empty());
    if (login_.invalid_user) {
      f[f_.invalid_user] = true;
    } else {
      f[f_.invalid_user] = model::none;
    }
    set_text(f[f_.client_key_type], login_.key_type, !login_.key_type.empty());
    set_text(f[f_.client_key_fingerprint], login_.key_fingerprint,
             !login_.key_fingerprint.empty());
    set_text(f[f_.hostname], host, !host.empty());
    if (login_.ssh2) {
      f[f_.version] = std::uint64_t{2};
    } else {
      f[f_.version] = model::none;
    }
    event_.ts = ts;
    for (std::uint64_t i = 0; i < login_.repeat; ++i) {
      if (auto r = ctx_.emit(event_, counts_, logins_); !r) return r;
    }
    ++counts_.records;
    return {};
  }

  // journalctl -o json: {"__REALTIME_TIMESTAMP":"...","_HOSTNAME":...,
  // "SYSLOG_IDENTIFIER":"sshd","MESSAGE":"..."}.
  model::result<void> journal_json(std::string_view text, std::uint64_t no) {
    if (!scan::json_depth_ok(text, 8)) {
      ctx_.skip(counts_, no, "journal JSON nested too deep");
      return {};
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ctx_.skip(counts_, no, "not a JSON object (expected journalctl -o json output)");
      return {};
    }
    auto str = [&](const char* key) -> std::string {
      auto it = j.find(key);
      if (it == j.end()) return {};
      if (it->is_string()) return it->get<std::string>();
      if (it->is_array()) {  // journald writes non-UTF-8 messages as byte arrays
        std::string out;
        for (const auto& b : *it) {
          if (b.is_number_unsigned() && b.get<std::uint64_t>() < 256) {
            out.push_back(static_cast<char>(b.get<std::uint64_t>()));
          }
        }
        return out;
      }
      return {};
    };
    const std::string message_text = str("MESSAGE");
    const std::string realtime = str("__REALTIME_TIMESTAMP");
    std::uint64_t micros = 0;
    if (message_text.empty() || !scan::parse_u64(realtime, micros)) {
      ctx_.skip(counts_, no, "journal entry without MESSAGE or __REALTIME_TIMESTAMP");
      return {};
    }
    // Nanoseconds must fit an int64 (up to the year 2262).
    if (micros > static_cast<std::uint64_t>(INT64_MAX) / 1000) {
      ctx_.skip(counts_, no, "journal __REALTIME_TIMESTAMP out of range");
      return {};
    }
    const std::string host = str("_HOSTNAME");
    const std::string program = str("SYSLOG_IDENTIFIER");
    return message(model::timestamp{static_cast<std::int64_t>(micros) * 1000}, host, program,
                   message_text, no);
  }

  context& ctx_;
  tally& counts_;
  model::event event_;
  std::uint64_t& logins_;
  model::timestamp now_;
  login_fields f_{};
  sshd::syslog_line line_;
  sshd::login login_;
  std::string why_;
};

}  // namespace

std::unique_ptr<line_parser> make_sshd_parser(context& ctx) {
  return std::make_unique<sshd_parser>(ctx);
}

}  // namespace coop::importer::detail
