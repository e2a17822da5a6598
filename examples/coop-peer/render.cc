// Rendering of messages and node state for coop-peer.
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <ostream>

#include "peer.h"

namespace coop_peer {

using namespace coop::comm;

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || c >= 0x80) {
      // Multi-byte UTF-8 passes through when well formed.
      std::size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
      bool ok = len > 0 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k)
        ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      if (ok) {
        out.append(s.substr(i, len));
        i += len - 1;
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string message_json(const message& m) {
  std::string out = "{\"topic\":" + json_string(m.topic) + ",\"origin\":" + json_string(m.origin) +
                    ",\"from\":" + json_string(m.from) + ",\"content_type\":" +
                    json_string(m.content_type) + ",\"payload\":" + json_string(m.payload) +
                    ",\"sequence\":" + std::to_string(m.sequence) +
                    ",\"issued_at_ns\":" + std::to_string(m.issued_at) +
                    ",\"direct\":" + (m.direct ? "true" : "false") + ",\"hops\":[";
  for (std::size_t i = 0; i < m.hops.size(); ++i) out += (i ? "," : "") + json_string(m.hops[i]);
  return out + "]}";
}

void print_peers(std::ostream& out, const node& n) {
  out << std::left << std::setw(16) << "PEER" << std::setw(11) << "STATE" << std::setw(22)
      << "ADDRESS" << std::right << std::setw(10) << "QUEUE" << std::setw(10) << "SENT"
      << std::setw(10) << "RECEIVED" << std::setw(9) << "DROPPED" << std::setw(9) << "REFUSED"
      << "  SUBSCRIPTIONS / REASON\n";
  for (const auto& p : n.peers()) {
    std::string subs;
    for (const auto& s : p.subscriptions) subs += (subs.empty() ? "" : ",") + s;
    out << std::left << std::setw(16) << p.name << std::setw(11) << to_string(p.state)
        << std::setw(22) << (p.address.empty() ? "-" : p.address) << std::right << std::setw(10)
        << p.queue_bytes << std::setw(10) << p.sent << std::setw(10) << p.received
        << std::setw(9) << p.dropped << std::setw(9) << p.refused << "  "
        << (p.reason.empty() ? subs : p.reason) << "\n";
  }
}

void print_stats(std::ostream& out, const node& n) {
  const auto s = n.stats();
  out << "published " << s.published << "\ndelivered " << s.delivered << "\nrelayed "
      << s.relayed << "\nenvelopes_signed " << s.envelopes_signed << "\ndropped_overflow "
      << s.dropped_overflow << "\ndropped_no_route " << s.dropped_no_route << "\nrefused_access "
      << s.refused_access << "\nrefused_signature " << s.refused_signature << "\nreplays "
      << s.replays << "\nduplicates " << s.duplicates << "\nrefused_connections "
      << s.refused_connections << "\nprotocol_errors " << s.protocol_errors << "\n";
}

namespace {

std::string clock_time(std::int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void print_refusals(std::ostream& out, const node& n, std::size_t limit) {
  auto all = n.refusals();
  const std::size_t from = all.size() > limit ? all.size() - limit : 0;
  for (std::size_t i = from; i < all.size(); ++i) {
    const auto& r = all[i];
    out << clock_time(r.at) << "  peer=" << r.peer << " what=" << r.what;
    if (!r.origin.empty()) out << " origin=" << r.origin;
    if (!r.topic.empty()) out << " topic=" << r.topic;
    out << "  " << r.reason << "\n";
  }
  if (all.empty()) out << "no refusals\n";
}

void print_approvals(std::ostream& out, const node& n) {
  auto all = n.approvals();
  for (const auto& a : all) {
    out << "#" << a.id << " " << to_string(a.state) << " from " << a.request.origin << " topic "
        << a.request.topic << " received " << clock_time(a.received_at);
    if (a.state == approval_state::pending) out << " expires " << clock_time(a.expires_at);
    out << " rule " << a.rule << "\n    payload " << json_string(a.request.payload.substr(0, 200))
        << (a.note.empty() ? "" : "\n    note " + a.note) << "\n";
  }
  if (all.empty()) out << "no requests held for approval\n";
}

}  // namespace coop_peer
