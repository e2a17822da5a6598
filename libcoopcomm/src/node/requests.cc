// Requests and responses: the requester's pending table, the responder's
// de-duplication and answer cache, and the approval queue.
#include <charconv>
#include <fstream>

#include "coop/comm/topic.h"
#include "node/node_impl.h"
#include "node/session.h"

namespace coop::comm {

namespace {

std::string key_of(const std::string& origin, std::uint64_t id) {
  return origin + "/" + std::to_string(id);
}

}  // namespace

void node_impl::answer(const message& request, envelope::item a) {
  a.topic = request.topic;
  a.destination = request.origin;
  a.request_id = request.request_id;
  const bool final = a.k == envelope::kind::response ||
                     (a.result != envelope::outcome::pending && a.result != envelope::outcome::approved);
  if (final) {
    const auto key = key_of(request.origin, request.request_id);
    in_flight_.erase(key);
    answers_->add(request.origin, request.request_id, now_ns(), envelope::encode_item(a));
  }
  stage(std::move(a));
}

void node_impl::handle_request(const message& m, const envelope::item&) {
  const auto key = key_of(m.origin, m.request_id);
  if (const std::string* done = answers_->find(m.origin, m.request_id)) {
    ++stats_.duplicates;
    auto again = envelope::decode_item(*done, limits_);
    if (again) stage(std::move(*again));  // the same answer again
    return;
  }
  if (in_flight_.count(key)) {
    ++stats_.duplicates;
    for (auto& [id, h] : held_) {
      if (h.info.state == approval_state::pending && h.info.request.origin == m.origin &&
          h.info.request.request_id == m.request_id) {
        envelope::item p;
        p.k = envelope::kind::outcome;
        p.result = envelope::outcome::pending;
        p.payload = std::to_string(h.info.expires_at);
        answer(m, std::move(p));
      }
    }
    return;
  }
  if (const approval_rule* rule = approval_for(cfg_, m.topic)) {
    std::size_t pending = 0;
    for (const auto& [id, h] : held_) pending += h.info.state == approval_state::pending;
    envelope::item reply_item;
    reply_item.k = envelope::kind::outcome;
    if (pending >= cfg_.limits.max_pending_approvals) {
      reply_item.result = envelope::outcome::failed;
      reply_item.reason = "approval queue of '" + self_ + "' is full";
      answer(m, std::move(reply_item));
      return;
    }
    const auto id = next_approval_++;
    held_request h;
    h.info.id = id;
    h.info.request = m;
    h.info.received_at = now_ns();
    h.info.expires_at = h.info.received_at + std::chrono::nanoseconds(rule->timeout).count();
    h.info.rule = rule->where;
    h.expiry = std::make_unique<asio::steady_timer>(io_, rule->timeout);
    h.expiry->async_wait([this, id](const boost::system::error_code& ec) {
      if (!ec) expire_held(id);
    });
    reply_item.result = envelope::outcome::pending;
    reply_item.payload = std::to_string(h.info.expires_at);
    held_.emplace(id, std::move(h));
    in_flight_.insert(key);
    answer(m, std::move(reply_item));
    return;
  }
  run_handler(m);
}

void node_impl::run_handler(const message& m) {
  const std::string* best = nullptr;
  const request_handler* handler = nullptr;
  for (const auto& [prefix, h] : handlers_) {
    if (topic_covers(prefix, m.topic) && (!best || prefix.size() > best->size())) {
      best = &prefix;
      handler = &h;
    }
  }
  envelope::item a;
  if (!handler) {
    a.k = envelope::kind::outcome;
    a.result = envelope::outcome::failed;
    a.reason = "no handler for " + m.topic + " at '" + self_ + "'";
    answer(m, std::move(a));
    return;
  }
  auto h = *handler;  // the handler may replace itself
  result<reply> r = error{errc::closed, "handler did not run"};
  try {
    r = h(m);
  } catch (const std::exception& e) {
    r = error{errc::invalid_argument, std::string("handler threw: ") + e.what()};
  }
  ++stats_.delivered;
  if (r) {
    a.k = envelope::kind::response;
    a.content_type = r->content_type;
    a.payload = std::move(r->payload);
  } else {
    a.k = envelope::kind::outcome;
    a.result = envelope::outcome::failed;
    a.reason = r.err().message;
  }
  answer(m, std::move(a));
}

void node_impl::handle_answer(const message& m, const envelope::item& it) {
  auto p = requests_.find(m.request_id);
  if (p == requests_.end() || p->second.item.destination != m.origin) {
    ++stats_.duplicates;  // answered already (re-sent request), or late
    return;
  }
  auto& pr = p->second;
  if (it.k == envelope::kind::outcome) {
    if (it.result == envelope::outcome::approved) return;
    if (it.result == envelope::outcome::pending) {
      // Held for approval: wait up to the other site's approval timeout more.
      std::int64_t until = 0;
      std::from_chars(m.payload.data(), m.payload.data() + m.payload.size(), until);
      const auto wait = std::chrono::nanoseconds(std::max<std::int64_t>(until - now_ns(), 0)) +
                        cfg_.limits.request_timeout;
      pr.held = true;
      pr.deadline->expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
      const auto id = pr.id;
      pr.deadline->async_wait([this, id](const boost::system::error_code& ec) {
        if (ec) return;
        auto q = requests_.find(id);
        if (q == requests_.end()) return;
        auto done = std::move(q->second.done);
        requests_.erase(q);
        done(error{errc::timeout, "request " + std::to_string(id) + " held for approval got no answer"});
      });
      return;
    }
    errc code = it.result == envelope::outcome::expired ? errc::timeout : errc::refused;
    std::string what = std::string("request ") + envelope::to_string(it.result) + " by '" +
                       m.origin + "'" + (it.reason.empty() ? "" : ": " + it.reason);
    auto done = std::move(pr.done);
    pr.deadline->cancel();
    requests_.erase(p);
    if (done) done(error{code, std::move(what)});
    return;
  }
  auto done = std::move(pr.done);
  pr.deadline->cancel();
  requests_.erase(p);
  ++stats_.delivered;
  if (done) done(m);
}

void node_impl::resend_requests(const std::string& peer) {
  link* l = link_by_name(peer);
  const bool via_relay = l && l->current && l->current->relays();
  for (auto& [id, pr] : requests_) {
    const auto& dest = pr.item.destination;
    link* d = link_by_name(dest);
    const bool direct_up = d && d->current && d->current->state() == session::phase::up;
    if (dest == peer || (via_relay && !direct_up)) stage(pr.item);
  }
}

void node_impl::expire_held(std::uint64_t id) {
  auto it = held_.find(id);
  if (it == held_.end() || it->second.info.state != approval_state::pending) return;
  it->second.info.state = approval_state::expired;
  envelope::item a;
  a.k = envelope::kind::outcome;
  a.result = envelope::outcome::expired;
  a.reason = "no operator decision at '" + self_ + "' in time (" + it->second.info.rule + ")";
  answer(it->second.info.request, std::move(a));
}

void node_impl::decide(std::uint64_t id, bool approve, std::string note) {
  auto it = held_.find(id);
  auto& h = it->second;
  h.expiry->cancel();
  h.info.note = std::move(note);
  envelope::item a;
  a.k = envelope::kind::outcome;
  if (approve) {
    h.info.state = approval_state::approved;
    a.result = envelope::outcome::approved;
    answer(h.info.request, a);  // informational: the answer follows from the handler
    message m = h.info.request;
    in_flight_.erase(key_of(m.origin, m.request_id));
    run_handler(m);
  } else {
    h.info.state = approval_state::refused;
    a.result = envelope::outcome::refused;
    a.reason = h.info.note.empty() ? "refused by the operator of '" + self_ + "'" : h.info.note;
    answer(h.info.request, std::move(a));
  }
  // Keep the last decisions for listing; forget older ones.
  std::size_t decided = 0;
  for (auto r = held_.rbegin(); r != held_.rend();) {
    if (r->second.info.state != approval_state::pending && ++decided > 256) {
      r = decltype(r)(held_.erase(std::next(r).base()));
    } else {
      ++r;
    }
  }
}

}  // namespace coop::comm
