// Outbound: the application's inbox, batch signing, and routing items to
// the peers that subscribed (publish) or toward their destination (direct,
// request, response, outcome); the subscription sets advertised to peers.
#include <capnp/message.h>

#include <algorithm>
#include <set>

#include "coop/comm/topic.h"
#include "frame.capnp.h"
#include "node/node_impl.h"
#include "node/session.h"

namespace coop::comm {

result<void> node::impl::post_outgoing(envelope::item it, const send_options& opts) {
  const std::size_t size = it.payload.size() + it.topic.size() + it.content_type.size() + 64;
  std::unique_lock lock(inbox_mutex_);
  if (stopping_) return error{errc::closed, "node of '" + self_ + "' is stopping"};
  if (inbox_bytes_ + size > cfg_.limits.inbox_bytes) {
    const bool room = opts.block_for.count() > 0 &&
                      inbox_room_.wait_for(lock, opts.block_for, [&] {
                        return stopping_ || inbox_bytes_ + size <= cfg_.limits.inbox_bytes;
                      });
    if (stopping_) return error{errc::closed, "node of '" + self_ + "' is stopping"};
    if (!room)
      return error{errc::overloaded, "inbox of '" + self_ + "' is full (limit inbox-bytes " +
                                         std::to_string(cfg_.limits.inbox_bytes) + ")"};
  }
  inbox_bytes_ += size;
  inbox_.push_back(std::move(it));
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(io_, [this] { flush_outgoing(); });
  }
  return {};
}

void node::impl::stage(envelope::item it) {
  std::lock_guard lock(inbox_mutex_);
  staged_.push_back(std::move(it));
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(io_, [this] { flush_outgoing(); });
  }
}

void node::impl::flush_outgoing() {
  std::vector<envelope::item> items;
  {
    std::lock_guard lock(inbox_mutex_);
    items.swap(inbox_);
    stats_.published += items.size();
    for (auto& s : staged_) items.push_back(std::move(s));
    staged_.clear();
    inbox_bytes_ = 0;
    flush_posted_ = false;
  }
  inbox_room_.notify_all();
  const std::size_t max_bytes = cfg_.limits.max_frame_bytes / 2;
  std::size_t i = 0;
  while (i < items.size()) {
    std::vector<envelope::item> batch;
    std::size_t bytes = 0;
    while (i < items.size() && batch.size() < cfg_.limits.batch_items &&
           (batch.empty() || bytes + items[i].payload.size() + 128 <= max_bytes)) {
      bytes += items[i].payload.size() + 128;
      batch.push_back(std::move(items[i++]));
    }
    auto seq = lease_->next();
    if (!seq) {
      note_refusal(self_, self_, "", "envelope", "cannot reserve sequence numbers: " + seq.err().message);
      stats_.dropped_no_route += batch.size();
      continue;
    }
    envelope::header h;
    h.origin = self_;
    h.sequence = *seq;
    h.issued_at = now_ns();
    h.expires_at = h.issued_at + std::chrono::nanoseconds(cfg_.limits.envelope_ttl).count();
    h.hop_limit = static_cast<std::uint8_t>(cfg_.limits.hop_limit);
    auto env = envelope::seal(key_, std::move(h), batch);
    ++stats_.envelopes_signed;
    route_sealed(env, batch);
  }
}

void node::impl::route_sealed(const envelope::wire_envelope& env,
                              const std::vector<envelope::item>& items) {
  auto part = std::make_shared<signed_part>(signed_part{env.header_bytes, env.signature, {}});
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto bytes = std::make_shared<const std::string>(env.items[i]);
    route_item(part, bytes, items[i], self_, {}, nullptr);
  }
}

bool node::impl::enqueue(session& s, queued_item q) {
  if (s.enqueue(std::move(q))) return true;
  ++stats_.dropped_overflow;
  if (s.peer_link()) ++s.peer_link()->status.dropped;
  return false;
}

void node::impl::route_item(const std::shared_ptr<const signed_part>& part,
                            const std::shared_ptr<const std::string>& bytes,
                            const envelope::item& it, const std::string& origin,
                            const std::vector<std::string>& hops, const session* from) {
  auto excluded = [&](const std::string& name) {
    return name == origin || (from && from->peer() == name) ||
           std::find(hops.begin(), hops.end(), name) != hops.end();
  };
  const auto policy = overflow_for(cfg_, it.topic);
  auto send_to = [&](session& s) {
    if (enqueue(s, queued_item{part, bytes, policy}) && from) ++stats_.relayed;
  };
  if (it.k == envelope::kind::publish) {
    for (auto& [name, l] : links_) {
      if (!l.current || l.current->state() != session::phase::up || excluded(name)) continue;
      const auto& subs = l.current->subscriptions;
      if (std::none_of(subs.begin(), subs.end(),
                       [&](const std::string& p) { return topic_covers(p, it.topic); }))
        continue;
      if (!check_access(cfg_, name, verb::subscribe, it.topic).allowed) continue;
      send_to(*l.current);
    }
    return;
  }
  // Addressed to one site: directly when it is a neighbour, else through
  // every relay (receivers drop the copies they already have).
  if (link* d = link_by_name(it.destination);
      d && d->current && d->current->state() == session::phase::up && !excluded(it.destination)) {
    send_to(*d->current);
    return;
  }
  bool sent = false;
  for (auto& [name, l] : links_) {
    if (!l.current || l.current->state() != session::phase::up || !l.current->relays() ||
        excluded(name))
      continue;
    send_to(*l.current);
    sent = true;
  }
  if (!sent && it.k != envelope::kind::request) ++stats_.dropped_no_route;
}

std::vector<std::string> node::impl::advertised_for(const session& s) const {
  std::set<std::string> out;
  for (const auto& [id, sub] : subscriptions_) out.insert(sub.prefix);
  if (cfg_.relay) {
    for (const auto& other : sessions_) {
      if (other.get() == &s || other->state() != session::phase::up) continue;
      out.insert(other->subscriptions.begin(), other->subscriptions.end());
    }
  }
  std::vector<std::string> v(out.begin(), out.end());
  if (v.size() > cfg_.limits.max_subscriptions) v.resize(cfg_.limits.max_subscriptions);
  return v;
}

void node::impl::peer_subscriptions_changed() {
  for (auto& s : sessions_) {
    if (s->state() != session::phase::up) continue;
    if (link* l = s->peer_link(); l && l->current == s) l->status.subscriptions = s->subscriptions;
    auto adv = advertised_for(*s);
    if (adv == s->advertised) continue;
    capnp::MallocMessageBuilder mb;
    auto list = mb.initRoot<wire::Frame>().initSubscriptions().initPrefixes(
        static_cast<unsigned>(adv.size()));
    for (unsigned i = 0; i < adv.size(); ++i) list.set(i, adv[i]);
    s->send_control(wire_io::serialise_frame(mb));
    s->advertised = std::move(adv);
  }
}

}  // namespace coop::comm
