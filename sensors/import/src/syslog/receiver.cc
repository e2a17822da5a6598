// The syslog receiver: each message becomes a syslog_message event; sshd's
// messages are also rewritten as one RFC 3339 auth-log line and handed to
// the sshd importer, so ssh_login events come from the same parser as the
// auth.log importer.
#include <string>

#include "coop/importer/syslog.h"
#include "coop/model/catalogue.h"

namespace coop::importer {

namespace model = coop::model;

namespace {

struct message_fields {
  std::size_t orig_h, orig_p, resp_h, resp_p, facility, severity, hostname, app_name, procid,
      msgid, message;
};

void set_text(model::value& v, std::string_view s) {
  if (s.empty()) {
    v = model::none;
    return;
  }
  if (!v.is<std::string>()) v = std::string();
  v.get<std::string>().assign(s);
}

bool is_sshd(std::string_view app) {
  return app == "sshd" || app == "sshd-session" || app.substr(0, 5) == "sshd(";
}

}  // namespace

struct syslog_receiver::impl {
  impl(model::registry& r, sink& o, receiver_options opt, importer imp)
      : reg(r),
        out(o),
        options(std::move(opt)),
        sshd(std::move(imp)),
        ids(options.import.id_seed != 0 ? model::id_generator(options.import.id_seed)
                                        : model::id_generator()) {}

  model::timestamp now() const {
    if (options.import.clock != nullptr) return options.import.clock->now();
    return model::system_clock().now();
  }

  model::registry& reg;
  sink& out;
  receiver_options options;
  importer sshd;
  model::id_generator ids;
  model::event event;
  message_fields f{};
  receiver_stats stats;
  std::string line;  // the auth-log line given to the sshd importer
};

model::result<syslog_receiver> syslog_receiver::create(model::registry& reg, sink& out,
                                                       receiver_options opt) {
  options sshd_opt = opt.import;
  // Distinct generator parts so ids of both event streams never collide.
  if (sshd_opt.id_seed != 0) sshd_opt.id_seed ^= 0x5ca1ab1e00000000ULL;
  auto imp = importer::create(reg, out, sshd_opt);
  if (!imp) return imp.err();
  auto p = std::make_unique<impl>(reg, out, std::move(opt), std::move(*imp));
  auto s = reg.find(model::catalogue::syslog_message);
  if (!s) return {model::errc::not_found, "the registry has no syslog_message type"};
  p->event = model::event(s);
  p->event.from = p->options.import.from;
  auto at = [&](std::string_view n) { return *s->index_of(n); };
  p->f = {at("orig_h"),   at("orig_p"),   at("resp_h"), at("resp_p"),
          at("facility"), at("severity"), at("hostname"), at("app_name"),
          at("procid"),   at("msgid"),    at("message")};
  return syslog_receiver(std::move(p));
}

syslog_receiver::syslog_receiver(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
syslog_receiver::~syslog_receiver() = default;
syslog_receiver::syslog_receiver(syslog_receiver&&) noexcept = default;
syslog_receiver& syslog_receiver::operator=(syslog_receiver&&) noexcept = default;

const receiver_stats& syslog_receiver::stats() const noexcept { return impl_->stats; }
const summary& syslog_receiver::sshd_totals() const noexcept { return impl_->sshd.totals(); }

model::result<void> syslog_receiver::on_message(std::string_view text, const syslog_peer& from,
                                                std::string_view source) {
  auto& st = impl_->stats;
  ++st.messages;
  const auto now = impl_->now();
  auto parsed = parse_syslog(text, now, impl_->options.import.year);
  if (!parsed) {
    ++st.malformed;
    problem p;
    p.file = std::string(source);
    p.message = parsed.err().message;
    impl_->out.on_problem(p);
    return {};
  }
  const auto& m = *parsed;
  ++(m.version == 1 ? st.rfc5424 : st.rfc3164);
  auto& e = impl_->event;
  auto& fl = e.fields();
  const auto& f = impl_->f;
  if (from.known) {
    fl[f.orig_h] = from.orig_h;
    fl[f.orig_p] = model::port{from.orig_p, from.proto};
    fl[f.resp_h] = from.resp_h;
    fl[f.resp_p] = model::port{from.resp_p, from.proto};
  } else {
    fl[f.orig_h] = model::none;
    fl[f.orig_p] = model::none;
    fl[f.resp_h] = model::none;
    fl[f.resp_p] = model::none;
  }
  set_text(fl[f.facility], facility_name(m.facility));
  set_text(fl[f.severity], severity_name(m.severity));
  set_text(fl[f.hostname], m.hostname);
  set_text(fl[f.app_name], m.app_name);
  set_text(fl[f.procid], m.procid);
  set_text(fl[f.msgid], m.msgid);
  if (!fl[f.message].is<std::string>()) fl[f.message] = std::string();
  fl[f.message].get<std::string>().assign(m.message);
  e.ts = m.has_time && !impl_->options.receive_time ? m.ts : now;
  e.id = impl_->ids.next();
  if (auto r = impl_->out.on_event(e); !r) return r;
  ++st.events;

  if (!is_sshd(m.app_name)) return {};
  // "2026-11-28T09:10:58.123456Z host sshd[42]: Accepted ...", one line.
  auto& line = impl_->line;
  line = e.ts.to_rfc3339();
  line += ' ';
  if (!m.hostname.empty()) {
    line += m.hostname;
  } else if (from.known) {
    line += from.orig_h.to_string();
  } else {
    line += '-';
  }
  line += ' ';
  line += m.app_name;
  if (!m.procid.empty()) {
    line += '[';
    line += m.procid;
    line += ']';
  }
  line += ": ";
  const auto msg_at = line.size();
  line += m.message;
  for (std::size_t i = msg_at; i < line.size(); ++i) {
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  }
  const auto before = impl_->sshd.totals().events.find(model::catalogue::ssh_login);
  const std::uint64_t had = before == impl_->sshd.totals().events.end() ? 0 : before->second;
  if (auto r = impl_->sshd.import_buffer(line, source, format::sshd); !r) return r;
  const auto after = impl_->sshd.totals().events.find(model::catalogue::ssh_login);
  if (after != impl_->sshd.totals().events.end()) st.ssh_logins += after->second - had;
  return {};
}

}  // namespace coop::importer
