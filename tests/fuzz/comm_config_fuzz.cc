// Fuzz target of libcoopcomm's configuration parser (coop::comm::parse_config)
// and the access rules it yields. Arbitrary bytes are parsed as text; an
// error must be errc::invalid_argument naming the source ("fuzz.conf:LINE: "
// with a line that exists, or "fuzz.conf: " for whole-file checks). A
// success must hold what the parser promises (site, key and cert set, every
// neighbour with a CA and a pin, rules naming their line), and the access,
// overflow and approval verdicts for a few topics must follow the documented
// semantics: default deny, a matching deny wins, the longest prefix decides.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coop/comm/config.h"
#include "coop/comm/topic.h"

namespace comm = coop::comm;

namespace {

constexpr std::string_view source = "fuzz.conf";

// "fuzz.conf:LINE: ..." with 1 <= LINE <= lines, or "fuzz.conf: ...".
void check_error(std::string_view text, const comm::error& e) {
  if (e.code != comm::errc::invalid_argument) std::abort();
  const std::string& m = e.message;
  if (m.rfind(source, 0) != 0 || m.size() < source.size() + 2) std::abort();
  std::size_t pos = source.size();
  if (m[pos] != ':') std::abort();
  ++pos;
  if (m[pos] == ' ') return;  // a whole-file check
  std::size_t line = 0;
  const std::size_t start = pos;
  while (pos < m.size() && m[pos] >= '0' && m[pos] <= '9' && pos - start < 12)
    line = line * 10 + static_cast<std::size_t>(m[pos++] - '0');
  if (pos == start || pos >= m.size() || m[pos] != ':' || line == 0) std::abort();
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  if (line > lines) std::abort();
}

// Topics worth asking about: each rule's prefix, one level below it, a
// sibling sharing its characters but not its segment, and the root.
std::vector<std::string> topics_of(const comm::site_config& c) {
  std::vector<std::string> t = {"/", "/coop", "/coop/hotlist/ip"};
  auto add = [&](const std::string& prefix) {
    t.push_back(prefix);
    if (prefix != "/") {
      t.push_back(prefix + "/x");
      t.push_back(prefix + "x");
    }
  };
  for (const auto& r : c.acl) add(r.prefix);
  for (const auto& r : c.overflow) add(r.prefix);
  for (const auto& r : c.approvals) add(r.prefix);
  if (t.size() > 64) t.resize(64);
  return t;
}

void check_access(const comm::site_config& c, std::string_view peer, std::string_view topic) {
  for (comm::verb v : {comm::verb::publish, comm::verb::subscribe, comm::verb::request,
                       comm::verb::respond}) {
    const auto d = comm::check_access(c, peer, v, topic);
    bool any_allow = false, any_deny = false;
    for (const auto& r : c.acl) {
      if (!(r.verbs & static_cast<std::uint8_t>(v)) || !comm::topic_covers(r.prefix, topic))
        continue;
      bool named = r.peers.empty();
      for (const auto& p : r.peers) named = named || p == peer;
      if (!named) continue;
      (r.allow ? any_allow : any_deny) = true;
    }
    if (d.allowed != (any_allow && !any_deny)) std::abort();
    if (!any_allow && !any_deny && d.rule != "default deny") std::abort();
    if ((any_allow || any_deny) && d.rule.rfind(source, 0) != 0) std::abort();
  }
}

void check_config(const comm::site_config& c) {
  if (c.site.empty() || c.key.empty() || c.cert.empty() || c.source != source) std::abort();
  for (const auto& p : c.peers) {
    if (p.name.empty() || p.name == c.site || p.spki_pin.size() != 64) std::abort();
    if (p.neighbour && p.ca.empty()) std::abort();
    if (c.find_peer(p.name) != &p) std::abort();  // names are unique
  }
  for (const auto& r : c.acl) {
    if (!comm::validate_topic(r.prefix) || r.verbs == 0 || (r.verbs & ~0x0f) != 0) std::abort();
  }
  if (c.limits.keepalive >= c.limits.idle_timeout) std::abort();

  std::vector<std::string> peers = {"*", "unknown-site"};
  for (const auto& p : c.peers) peers.push_back(p.name);
  if (peers.size() > 8) peers.resize(8);
  for (const auto& topic : topics_of(c)) {
    if (!comm::validate_topic(topic)) continue;
    for (const auto& peer : peers) check_access(c, peer, topic);
    const auto policy = comm::overflow_for(c, topic);
    const comm::overflow_rule* best = nullptr;
    for (const auto& r : c.overflow)
      if (comm::topic_covers(r.prefix, topic) && (!best || r.prefix.size() > best->prefix.size()))
        best = &r;
    if (policy != (best ? best->policy : comm::overflow_policy::drop_newest)) std::abort();
    const comm::approval_rule* a = comm::approval_for(c, topic);
    if (a && (!comm::topic_covers(a->prefix, topic) || a->timeout.count() < 1)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Configurations are a few kilobytes; longer inputs only repeat lines.
  if (size > 16 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = comm::parse_config(text, source);
  if (!c) {
    check_error(text, c.err());
    return 0;
  }
  check_config(*c);
  return 0;
}
