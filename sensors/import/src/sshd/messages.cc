#include "sshd/messages.h"

#include "scan/scalars.h"

namespace coop::importer::sshd {

namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Strips a trailing " [preauth]" (and spaces); true if it was there.
bool strip_preauth(std::string_view& s) {
  auto rtrim = [&] {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  };
  rtrim();
  if (ends(s, "[preauth]")) {
    s.remove_suffix(9);
    rtrim();
    return true;
  }
  return false;
}

// "IP port N" or "IP" at the start of `s`; the rest after it in `rest`.
bool address_port(std::string_view s, login& out, std::string_view& rest) {
  const auto sp = s.find_first_of(" :");
  // An IPv6 address contains ':' itself: take up to the space then.
  std::string_view ip = s.substr(0, s.find(' '));
  if (sp != std::string_view::npos && s[sp] == ':' && scan::is_ipv4(s.substr(0, sp))) {
    ip = s.substr(0, sp);
  }
  coop::model::address a;
  if (!scan::parse_address(ip, a)) return false;
  out.client = ip;
  rest = s.substr(ip.size());
  if (starts(rest, " port ")) {
    rest.remove_prefix(6);
    std::size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    out.port = rest.substr(0, n);
    rest.remove_prefix(n);
  }
  return true;
}

// "[invalid user |authenticating user |user ]NAME IP port N" as in
// disconnect messages. The name is the text before the address.
bool user_address_port(std::string_view s, login& out, std::string_view& rest) {
  if (address_port(s, out, rest)) return true;
  for (std::string_view kind : {std::string_view("invalid user "),
                                std::string_view("authenticating user "),
                                std::string_view("user ")}) {
    if (!starts(s, kind)) continue;
    std::string_view tail = s.substr(kind.size());
    // The user name ends at the last space before the address.
    const auto port_at = tail.rfind(" port ");
    const auto addr_end = port_at == std::string_view::npos ? tail.size() : port_at;
    const auto sp = tail.rfind(' ', addr_end == 0 ? 0 : addr_end - 1);
    if (sp == std::string_view::npos) return false;
    if (!address_port(tail.substr(sp + 1), out, rest)) return false;
    out.user = tail.substr(0, sp);
    out.has_user = true;
    out.invalid_user = kind == "invalid user ";
    return true;
  }
  return false;
}

// "... for [invalid user ]NAME from IP port N[ ssh2[: KEY FP]]".
bool for_user_from(std::string_view s, login& out) {
  if (starts(s, "invalid user ")) {
    out.invalid_user = true;
    s.remove_prefix(13);
  }
  const auto from = s.rfind(" from ");
  if (from == std::string_view::npos) return false;
  out.user = s.substr(0, from);
  out.has_user = true;
  std::string_view rest;
  if (!address_port(s.substr(from + 6), out, rest)) return false;
  if (starts(rest, " ssh2")) {
    out.ssh2 = true;
    rest.remove_prefix(5);
    if (starts(rest, ": ")) {
      rest.remove_prefix(2);
      const auto sp = rest.find(' ');
      if (sp != std::string_view::npos) {
        out.key_type = rest.substr(0, sp);
        out.key_fingerprint = scan::trim(rest.substr(sp + 1));
      }
    }
  }
  return true;
}

// "key=value" in a PAM message ("rhost=1.2.3.4"); empty if absent.
std::string_view pam_value(std::string_view msg, std::string_view key) {
  std::size_t at = 0;
  while ((at = msg.find(key, at)) != std::string_view::npos) {
    if (at == 0 || msg[at - 1] == ' ' || msg[at - 1] == ';') {
      std::string_view v = msg.substr(at + key.size());
      return v.substr(0, v.find_first_of(" ;"));
    }
    at += key.size();
  }
  return {};
}

verdict disconnect(std::string_view rest, std::string_view what, login& out) {
  if (!strip_preauth(rest)) return verdict::unrelated;  // a session ending after login
  std::string_view tail;
  if (!user_address_port(rest, out, tail)) return verdict::unrelated;
  out.reason = std::string(what) + " before authentication";
  if (out.has_user) out.success = 0;
  return verdict::login;
}

}  // namespace

verdict read_message(std::string_view program, std::string_view m, login& out) {
  out = login{};
  m = scan::trim(m);
  if (starts(m, "message repeated ")) {
    // rsyslog's "message repeated 5 times: [ Failed password for ...]".
    std::string_view rest = m.substr(17);
    const auto sp = rest.find(' ');
    std::uint64_t n = 0;
    const auto open = rest.find("[ ");
    if (sp == std::string_view::npos || !scan::parse_u64(rest.substr(0, sp), n) ||
        open == std::string_view::npos || !ends(rest, "]")) {
      return verdict::unrelated;
    }
    const auto v = read_message(program, rest.substr(open + 2, rest.size() - open - 3), out);
    out.repeat = n == 0 ? 1 : n;
    return v;
  }
  if (starts(m, "Accepted ")) {
    std::string_view rest = m.substr(9);
    const auto sp = rest.find(" for ");
    if (sp == std::string_view::npos) return verdict::unrelated;
    out.method = rest.substr(0, sp);
    if (!for_user_from(rest.substr(sp + 5), out)) return verdict::unrelated;
    out.success = 1;
    return verdict::login;
  }
  if (starts(m, "Failed ")) {
    std::string_view rest = m.substr(7);
    const auto sp = rest.find(" for ");
    if (sp == std::string_view::npos) return verdict::unrelated;
    out.method = rest.substr(0, sp);
    if (!for_user_from(rest.substr(sp + 5), out)) return verdict::unrelated;
    out.success = 0;
    out.reason = "failed " + std::string(out.method);
    return verdict::login;
  }
  if (starts(m, "Invalid user ")) {
    std::string_view rest = m.substr(13);
    strip_preauth(rest);
    const auto from = rest.rfind(" from ");
    if (from == std::string_view::npos) return verdict::unrelated;
    std::string_view tail;
    if (!address_port(rest.substr(from + 6), out, tail)) return verdict::unrelated;
    out.user = rest.substr(0, from);
    out.has_user = true;
    out.invalid_user = true;
    out.success = 0;
    out.reason = "invalid user";
    return verdict::login;
  }
  if (starts(m, "User ")) {
    // "User root from 192.168.1.1 not allowed because not listed in AllowUsers"
    const auto because = m.find(" not allowed because ");
    const auto from = m.rfind(" from ", because);
    if (because == std::string_view::npos || from == std::string_view::npos || from < 5) {
      return verdict::unrelated;
    }
    std::string_view tail;
    if (!address_port(m.substr(from + 6, because - from - 6), out, tail)) return verdict::unrelated;
    out.user = m.substr(5, from - 5);
    out.has_user = true;
    out.success = 0;
    out.reason = std::string(scan::trim(m.substr(because + 21)));
    return verdict::login;
  }
  if (starts(m, "error: maximum authentication attempts exceeded for ")) {
    std::string_view rest = m.substr(52);
    strip_preauth(rest);
    if (!for_user_from(rest, out)) return verdict::unrelated;
    out.success = 0;
    out.reason = "maximum authentication attempts exceeded";
    return verdict::login;
  }
  const bool pam_program = program.find("pam_unix") != std::string_view::npos;
  if (starts(m, "pam_unix(sshd:auth): authentication failure;") ||
      (pam_program && starts(m, "authentication failure;"))) {
    const std::string_view rhost = pam_value(m, "rhost=");
    coop::model::address a;
    if (!scan::parse_address(rhost, a)) return verdict::unrelated;  // a host name: no address
    out.client = rhost;
    const std::string_view user = pam_value(m, "user=");
    if (!user.empty()) {
      out.user = user;
      out.has_user = true;
    }
    out.success = 0;
    out.reason = "authentication failure";
    return verdict::login;
  }
  if (starts(m, "Connection closed by ")) return disconnect(m.substr(21), "connection closed", out);
  if (starts(m, "Connection reset by ")) return disconnect(m.substr(20), "connection reset", out);
  if (starts(m, "Disconnected from ")) return disconnect(m.substr(18), "disconnected", out);
  if (starts(m, "Received disconnect from ")) {
    std::string_view rest = m.substr(25);
    if (!strip_preauth(rest)) return verdict::unrelated;
    std::string_view tail;
    if (!address_port(rest, out, tail)) return verdict::unrelated;
    out.reason = "disconnected before authentication";
    return verdict::login;
  }
  if (starts(m, "Disconnecting ")) {
    // "Disconnecting invalid user x 1.2.3.4 port 5: Too many authentication failures [preauth]"
    std::string_view rest = m.substr(14);
    strip_preauth(rest);
    const auto colon = rest.rfind(": ");
    if (colon == std::string_view::npos) return verdict::unrelated;
    std::string_view tail;
    if (!user_address_port(rest.substr(0, colon), out, tail)) return verdict::unrelated;
    out.success = 0;
    out.reason = "disconnecting: " + std::string(rest.substr(colon + 2));
    return verdict::login;
  }
  auto simple = [&](std::string_view prefix, const char* reason) {
    std::string_view rest = m.substr(prefix.size());
    strip_preauth(rest);
    std::string_view tail;
    if (!user_address_port(rest, out, tail)) return verdict::unrelated;
    out.reason = reason;
    if (starts(tail, ": ")) out.reason += ": " + std::string(tail.substr(2));
    return verdict::login;
  };
  if (starts(m, "Unable to negotiate with ")) return simple("Unable to negotiate with ", "unable to negotiate");
  if (starts(m, "fatal: Timeout before authentication for ")) {
    return simple("fatal: Timeout before authentication for ", "timeout before authentication");
  }
  if (starts(m, "ssh_dispatch_run_fatal: Connection from ")) {
    return simple("ssh_dispatch_run_fatal: Connection from ", "fatal");
  }
  if (starts(m, "Did not receive identification string from ")) {
    return simple("Did not receive identification string from ", "no identification string");
  }
  if (starts(m, "Magic value check failed")) {
    const auto from = m.find(" from ");
    if (from == std::string_view::npos) return verdict::unrelated;
    std::string_view tail;
    if (!address_port(m.substr(from + 6), out, tail)) return verdict::unrelated;
    out.reason = "magic value check failed on obfuscated handshake";
    return verdict::login;
  }
  if (starts(m, "refused connect from ")) {
    // tcp_wrappers: "refused connect from host (1.2.3.4)"
    const auto open = m.rfind('(');
    if (open == std::string_view::npos || !ends(m, ")")) return verdict::unrelated;
    const std::string_view ip = m.substr(open + 1, m.size() - open - 2);
    coop::model::address a;
    if (!scan::parse_address(ip, a)) return verdict::unrelated;
    out.client = ip;
    out.reason = "refused connect";
    return verdict::login;
  }
  return verdict::unrelated;
}

}  // namespace coop::importer::sshd
