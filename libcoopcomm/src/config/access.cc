// Evaluation of access rules, overflow policies and approval topics.
#include <algorithm>

#include "coop/comm/config.h"
#include "coop/comm/topic.h"

namespace coop::comm {

const char* to_string(verb v) noexcept {
  switch (v) {
    case verb::publish: return "publish";
    case verb::subscribe: return "subscribe";
    case verb::request: return "request";
    case verb::respond: return "respond";
  }
  return "unknown";
}

const peer_config* site_config::find_peer(std::string_view name) const noexcept {
  for (const auto& p : peers)
    if (p.name == name) return &p;
  return nullptr;
}

access_decision check_access(const site_config& config, std::string_view peer, verb v,
                             std::string_view topic) {
  const auto bit = static_cast<std::uint8_t>(v);
  const acl_rule* allow = nullptr;
  for (const auto& r : config.acl) {
    if (!(r.verbs & bit) || !topic_covers(r.prefix, topic)) continue;
    if (!r.peers.empty() && std::find(r.peers.begin(), r.peers.end(), peer) == r.peers.end())
      continue;
    if (!r.allow) return {false, r.where};
    if (!allow) allow = &r;
  }
  if (allow) return {true, allow->where};
  return {false, "default deny"};
}

namespace {

template <class Rules>
const typename Rules::value_type* longest(const Rules& rules, std::string_view topic) {
  const typename Rules::value_type* best = nullptr;
  for (const auto& r : rules) {
    if (topic_covers(r.prefix, topic) && (!best || r.prefix.size() > best->prefix.size()))
      best = &r;
  }
  return best;
}

}  // namespace

overflow_policy overflow_for(const site_config& config, std::string_view topic) {
  const auto* r = longest(config.overflow, topic);
  return r ? r->policy : overflow_policy::drop_newest;
}

const approval_rule* approval_for(const site_config& config, std::string_view topic) {
  return longest(config.approvals, topic);
}

}  // namespace coop::comm
