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

namespace {

// Items sealed per turn of the I/O thread before it writes what it has.
constexpr std::size_t items_per_turn = 2048;

// What an item adds to its envelope's header: its digest (32 bytes) and
// the Data pointer to it (8).
constexpr std::size_t header_bytes_per_item = 40;

std::size_t weight(const envelope::item_view& it) {
  return it.payload.size() + it.topic.size() + it.content_type.size() + 64;
}

}  // namespace

result<void> node_impl::post_outgoing(const envelope::item_view& it, const send_options& opts) {
  const std::size_t size = weight(it);
  std::unique_lock lock(inbox_mutex_);
  if (stopping_) return error{errc::closed, "node of '" + self_ + "' is stopping"};
  if (it.k == envelope::kind::publish &&
      std::none_of(recipients_.begin(), recipients_.end(),
                   [&](const std::string& p) { return topic_covers(p, it.topic); })) {
    ++inbox_published_;  // nobody subscribed: nothing to sign or send
    return {};
  }
  auto full = [&] { return inbox_bytes_ + size > cfg_.limits.inbox_bytes; };
  if (full() || (opts.block_for.count() > 0 && pressure_)) {
    // A caller that may wait also waits for the peers' queues to drain.
    const bool room = opts.block_for.count() > 0 &&
                      inbox_room_.wait_for(lock, opts.block_for, [&] {
                        return stopping_ || (!full() && !pressure_);
                      });
    if (stopping_) return error{errc::closed, "node of '" + self_ + "' is stopping"};
    if (!room && full())
      return error{errc::overloaded, "inbox of '" + self_ + "' is full (limit inbox-bytes " +
                                         std::to_string(cfg_.limits.inbox_bytes) + ")"};
  }
  // Into the batch being filled, or a new one when it holds batch_items or
  // would pass half a frame, ours or the smallest a connected peer accepts
  // (the header, 40 bytes per item, and the items must fit one).
  const std::size_t frame = min_peer_frame_ == 0
                                ? cfg_.limits.max_frame_bytes
                                : std::min(cfg_.limits.max_frame_bytes, min_peer_frame_);
  const std::size_t max_bytes = frame / 2;
  if (inbox_.empty() || inbox_.back().spans.size() >= cfg_.limits.batch_items ||
      (!inbox_.back().spans.empty() &&
       inbox_.back().bytes.size() + header_bytes_per_item * (inbox_.back().spans.size() + 1) +
               size + 64 >
           max_bytes)) {
    // Room for a few dozen messages; a busy batch grows by doubling. (A
    // batch sized for batch_items up front would keep hundreds of KiB per
    // message alive in the peers' queues at low rates.)
    auto& b = inbox_.emplace_back();
    const std::size_t n = std::min<std::size_t>(cfg_.limits.batch_items, 32);
    b.bytes.reserve(std::min(max_bytes, n * (size + 64)));
    b.spans.reserve(n);
    b.digests.reserve(n);
    b.routes.reserve(n);
  }
  outgoing_batch& b = inbox_.back();
  const std::size_t at = b.bytes.size();
  const std::size_t names_at = b.names.size();
  try {
    const auto index = static_cast<std::uint32_t>(b.spans.size());
    envelope::encode_item_into(it, index, b.bytes);
    const std::string_view one(b.bytes.data() + at, b.bytes.size() - at);
    const auto digest = envelope::item_digest(it, index, digest_scratch_);
    outgoing_batch::route r{it.k, 0, static_cast<std::uint32_t>(it.topic.size()), 0,
                            static_cast<std::uint32_t>(it.destination.size())};
    if (!b.routes.empty() && b.routes.back().topic_size == r.topic_size &&
        std::string_view(b.names).substr(b.routes.back().topic_at, r.topic_size) == it.topic) {
      r.topic_at = b.routes.back().topic_at;
    } else {
      r.topic_at = static_cast<std::uint32_t>(b.names.size());
      b.names.append(it.topic);
    }
    r.dest_at = static_cast<std::uint32_t>(b.names.size());
    b.names.append(it.destination);
    // Room first (doubling), so that the three pushes below cannot fail
    // half-way.
    auto room_for_one = [](auto& v) {
      if (v.size() == v.capacity()) v.reserve(std::max<std::size_t>(16, 2 * v.capacity()));
    };
    room_for_one(b.spans);
    room_for_one(b.digests);
    room_for_one(b.routes);
    b.spans.emplace_back(static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(one.size()));
    b.digests.push_back(digest);
    b.routes.push_back(r);
  } catch (const std::exception& e) {
    // Out of memory (or a message Cap'n Proto cannot hold): the batch is
    // left as it was, and an empty one is not kept.
    b.bytes.resize(at);
    b.names.resize(names_at);
    if (b.spans.empty()) inbox_.pop_back();
    return error{errc::overloaded, std::string("cannot queue the message: ") + e.what()};
  }
  b.weight += size;
  inbox_bytes_ += size;
  ++inbox_items_;
  ++inbox_published_;
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(io_, [this] { schedule_flush(); });
  } else if (b.spans.size() == cfg_.limits.batch_items) {
    // A full batch gains nothing from the linger: flush it now.
    asio::post(io_, [this] { flush_full(); });
  }
  return {};
}

void node_impl::stage(envelope::item it) {
  std::lock_guard lock(inbox_mutex_);
  staged_.push_back(std::move(it));
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(io_, [this] { schedule_flush(); });
  }
}

void node_impl::flush_full() {
  {
    std::lock_guard lock(inbox_mutex_);
    if (inbox_.empty() || inbox_.front().spans.size() < cfg_.limits.batch_items) return;
  }
  // A pending linger timer would flush what is left later: cancelled (its
  // handler then does nothing), flush_outgoing decides whether more follows.
  if (flush_timer_) flush_timer_->cancel();
  flush_outgoing();
}

void node_impl::schedule_flush() {
  // Signing is the costly part of sending (one Ed25519 signature per
  // envelope, one verification at each receiver): after a flush, the next
  // waits the linger so that messages arriving meanwhile share an envelope.
  // An idle node flushes at once.
  const auto due = last_flush_ + cfg_.limits.batch_linger;
  std::size_t waiting = 0;
  {
    std::lock_guard lock(inbox_mutex_);
    waiting = inbox_items_ + staged_.size();
  }
  if (std::chrono::steady_clock::now() >= due || waiting >= cfg_.limits.batch_items) {
    flush_outgoing();
    return;
  }
  if (!flush_timer_) flush_timer_ = std::make_unique<asio::steady_timer>(io_);
  flush_timer_->expires_at(due);
  flush_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) flush_outgoing();
  });
}

bool node_impl::has_recipient(const envelope::item& it) const {
  if (it.k != envelope::kind::publish) return true;
  for (const auto& [name, l] : links_) {
    if (!l.current || l.current->state() != session::phase::up) continue;
    for (const auto& p : l.current->subscriptions)
      if (topic_covers(p, it.topic)) return true;
  }
  return false;
}

void node_impl::refresh_recipients() {
  std::vector<std::string> prefixes;
  std::size_t min_frame = 0;
  for (const auto& [name, l] : links_) {
    if (!l.current || l.current->state() != session::phase::up) continue;
    prefixes.insert(prefixes.end(), l.current->subscriptions.begin(),
                    l.current->subscriptions.end());
    const std::size_t f = l.current->peer_max_frame();
    min_frame = min_frame == 0 ? f : std::min(min_frame, f);
  }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  std::lock_guard lock(inbox_mutex_);
  recipients_ = std::move(prefixes);
  min_peer_frame_ = min_frame;
}

void node_impl::update_pressure() {
  const std::size_t limit = cfg_.limits.queue_bytes;
  bool high = false, low = true;
  for (const auto& s : sessions_) {
    // A peer that stopped reading gets its overflow policy, not a wait.
    if (s->state() != session::phase::up || !s->draining()) continue;
    high = high || s->queue_bytes() > limit / 2;
    low = low && s->queue_bytes() <= limit / 4;
  }
  bool resume = false;
  {
    std::lock_guard lock(inbox_mutex_);
    if (!pressure_ && high) pressure_ = true;
    if (pressure_ && low) {
      pressure_ = false;
      resume = !inbox_.empty() && !flush_posted_;
      flush_posted_ = flush_posted_ || resume;
    }
  }
  if (resume) {
    inbox_room_.notify_all();
    asio::post(io_, [this] { flush_outgoing(); });
  } else if (!pressure_) {
    inbox_room_.notify_all();
  }
}

void node_impl::flush_outgoing() {
  last_flush_ = std::chrono::steady_clock::now();
  std::vector<envelope::item> items;
  std::vector<outgoing_batch> batches;
  bool more = false;
  {
    std::lock_guard lock(inbox_mutex_);
    items.swap(staged_);
    // Under pressure the inbox waits (it is bounded, and publishers that
    // may block are blocked); what the node itself staged goes out.
    std::size_t taken = 0;
    while (!pressure_ && !inbox_.empty() && (taken == 0 || taken < items_per_turn)) {
      outgoing_batch& b = inbox_.front();
      taken += b.spans.size();
      inbox_items_ -= b.spans.size();
      inbox_bytes_ -= b.weight;
      batches.push_back(std::move(b));
      inbox_.pop_front();
    }
    stats_.published += inbox_published_;
    inbox_published_ = 0;
    more = !inbox_.empty() && !pressure_;
    flush_posted_ = more;
  }
  inbox_room_.notify_all();
  send_batches(batches);
  // Items the node made itself (answers, outcomes, re-sent requests), and
  // publications nobody subscribed to are not signed at all. (Consecutive
  // items mostly share a topic: the answer is remembered.)
  std::string last_topic;  // a copy: remove_if moves the items it keeps
  bool last_answer = false;
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const envelope::item& it) {
                               if (it.k != envelope::kind::publish) return false;
                               if (last_topic.empty() || last_topic != it.topic) {
                                 last_answer = has_recipient(it);
                                 last_topic = it.topic;
                               }
                               return !last_answer;
                             }),
              items.end());
  const std::size_t max_bytes = cfg_.limits.max_frame_bytes / 2;
  std::size_t i = 0;
  while (i < items.size()) {
    const std::size_t first = i;
    std::size_t bytes = 0;
    while (i < items.size() && i - first < cfg_.limits.batch_items &&
           (i == first || bytes + items[i].payload.size() + 128 <= max_bytes)) {
      bytes += items[i++].payload.size() + 128;
    }
    const std::span<const envelope::item> batch(items.data() + first, i - first);
    auto seq = lease_->next();
    if (!seq) {
      note_refusal(self_, self_, "", "envelope", "cannot reserve sequence numbers: " + seq.err().message);
      stats_.dropped_no_route += batch.size();
      continue;
    }
    auto sealed = envelope::seal_batch(key_, header_for(*seq), batch);
    ++stats_.envelopes_signed;
    route_sealed(std::move(sealed), batch);
  }
  update_pressure();
  // The rest waits for the next turn, so that writes and reads interleave.
  if (more) asio::post(io_, [this] { flush_outgoing(); });
}

envelope::header node_impl::header_for(std::uint64_t sequence) const {
  envelope::header h;
  h.origin = self_;
  h.sequence = sequence;
  h.issued_at = now_ns();
  h.expires_at = h.issued_at + std::chrono::nanoseconds(cfg_.limits.envelope_ttl).count();
  h.hop_limit = static_cast<std::uint8_t>(cfg_.limits.hop_limit);
  return h;
}

void node_impl::send_batches(std::vector<outgoing_batch>& batches) {
  for (auto& b : batches) {
    auto seq = lease_->next();
    if (!seq) {
      note_refusal(self_, self_, "", "envelope", "cannot reserve sequence numbers: " + seq.err().message);
      stats_.dropped_no_route += b.spans.size();
      continue;
    }
    envelope::header h = header_for(*seq);
    h.digests = std::move(b.digests);
    auto [header_bytes, signature] = envelope::sign_header(key_, std::move(h));
    ++stats_.envelopes_signed;
    // The items stay in memory until every peer's queue let them go:
    // without the slack that doubling left.
    if (b.bytes.capacity() > b.bytes.size() + b.bytes.size() / 4 + 4096) b.bytes.shrink_to_fit();
    auto part = std::make_shared<const signed_part>(
        signed_part{std::move(header_bytes), std::move(signature), {}, std::move(b.bytes)});
    route_cache cache;
    const std::string_view names(b.names);
    for (std::size_t i = 0; i < b.spans.size(); ++i) {
      const auto [at, n] = b.spans[i];
      const auto& r = b.routes[i];
      envelope::item_view v;
      v.k = r.k;
      v.topic = names.substr(r.topic_at, r.topic_size);
      v.destination = names.substr(r.dest_at, r.dest_size);
      route_item(part, std::string_view(part->item_bytes).substr(at, n), v, self_, {}, nullptr,
                 &cache);
    }
  }
}

void node_impl::route_sealed(envelope::sealed_batch batch,
                              std::span<const envelope::item> items) {
  auto part = std::make_shared<const signed_part>(signed_part{
      std::move(batch.header_bytes), std::move(batch.signature), {}, std::move(batch.item_bytes)});
  route_cache cache;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto [at, n] = batch.spans[i];
    route_item(part, std::string_view(part->item_bytes).substr(at, n), envelope::view_of(items[i]), self_, {},
               nullptr, &cache);
  }
}

bool node_impl::enqueue(session& s, queued_item q) {
  if (s.enqueue(std::move(q))) return true;
  ++stats_.dropped_overflow;
  if (s.peer_link()) ++s.peer_link()->status.dropped;
  return false;
}

void node_impl::route_targets(const envelope::item_view& it, const std::string& origin,
                              const std::vector<std::string>& hops, const session* from,
                              std::vector<std::shared_ptr<session>>& out) const {
  auto excluded = [&](std::string_view name) {
    return name == origin || (from && from->peer() == name) ||
           std::find(hops.begin(), hops.end(), name) != hops.end();
  };
  if (it.k == envelope::kind::publish) {
    for (const auto& [name, l] : links_) {
      if (!l.current || l.current->state() != session::phase::up || excluded(name)) continue;
      const auto& subs = l.current->subscriptions;
      if (std::none_of(subs.begin(), subs.end(),
                       [&](const std::string& p) { return topic_covers(p, it.topic); }))
        continue;
      if (!check_access(cfg_, name, verb::subscribe, it.topic).allowed) continue;
      out.push_back(l.current);
    }
    return;
  }
  // Addressed to one site: directly when it is a neighbour, else through
  // every relay (receivers drop the copies they already have).
  if (auto d = links_.find(it.destination);
      d != links_.end() && d->second.current &&
      d->second.current->state() == session::phase::up && !excluded(it.destination)) {
    out.push_back(d->second.current);
    return;
  }
  for (const auto& [name, l] : links_) {
    if (!l.current || l.current->state() != session::phase::up || !l.current->relays() ||
        excluded(name))
      continue;
    out.push_back(l.current);
  }
}

void node_impl::route_item(const std::shared_ptr<const signed_part>& part,
                            std::string_view bytes, const envelope::item_view& it, const std::string& origin,
                            const std::vector<std::string>& hops, const session* from,
                            route_cache* cache) {
  route_cache local;
  route_cache& c = cache ? *cache : local;
  // Within one envelope origin, hops and sender are fixed, so the targets
  // depend only on kind, topic and destination.
  if (!c.valid || c.k != it.k || c.topic != it.topic || c.destination != it.destination) {
    c.valid = true;
    c.k = it.k;
    c.topic = it.topic;
    c.destination = it.destination;
    c.policy = overflow_for(cfg_, it.topic);
    c.targets.clear();
    route_targets(it, origin, hops, from, c.targets);
  }
  // Shared pointers: a session closed by its overflow policy stays valid
  // (and refuses further items) until the cache goes.
  for (const auto& s : c.targets) {
    if (enqueue(*s, queued_item{part, bytes, c.policy}) && from) ++stats_.relayed;
  }
  if (c.targets.empty() && it.k != envelope::kind::publish && it.k != envelope::kind::request)
    ++stats_.dropped_no_route;
}

std::vector<std::pair<std::string, std::uint8_t>> node_impl::advertised_for(
    const session& s) const {
  // Each prefix with the fewest relays to a subscriber. A relay passes on
  // what it learnt one relay further, and nothing beyond the hop limit: in
  // a cycle, a withdrawn subscription that neighbours keep advertising to
  // each other climbs to the limit and disappears (as RIP counts to
  // infinity), instead of circulating for ever.
  std::map<std::string, std::uint8_t> out;
  for (const auto& [id, sub] : subscriptions_) out[sub.prefix] = 0;
  if (cfg_.relay) {
    for (const auto& other : sessions_) {
      if (other.get() == &s || other->state() != session::phase::up) continue;
      for (std::size_t i = 0; i < other->subscriptions.size(); ++i) {
        const unsigned d = (i < other->distances.size() ? other->distances[i] : 0) + 1u;
        if (d > cfg_.limits.hop_limit) continue;
        auto [it, fresh] = out.emplace(other->subscriptions[i], static_cast<std::uint8_t>(d));
        if (!fresh && d < it->second) it->second = static_cast<std::uint8_t>(d);
      }
    }
  }
  std::vector<std::pair<std::string, std::uint8_t>> v(out.begin(), out.end());
  if (v.size() > cfg_.limits.max_subscriptions) v.resize(cfg_.limits.max_subscriptions);
  return v;
}

void node_impl::peer_subscriptions_changed() {
  refresh_recipients();
  for (auto& s : sessions_) {
    if (s->state() != session::phase::up) continue;
    if (link* l = s->peer_link(); l && l->current == s) l->status.subscriptions = s->subscriptions;
    auto adv = advertised_for(*s);
    if (adv == s->advertised) continue;
    capnp::MallocMessageBuilder mb;
    auto subs = mb.initRoot<wire::Frame>().initSubscriptions();
    auto list = subs.initPrefixes(static_cast<unsigned>(adv.size()));
    auto far = subs.initDistances(static_cast<unsigned>(adv.size()));
    for (unsigned i = 0; i < adv.size(); ++i) {
      list.set(i, adv[i].first);
      far.set(i, adv[i].second);
    }
    s->send_control(wire_io::serialise_frame(mb));
    s->advertised = std::move(adv);
  }
}

}  // namespace coop::comm
