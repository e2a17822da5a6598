// Inbound: verifying envelopes, the replay window, access rules on receipt,
// local delivery and relaying.
#include <boost/container/small_vector.hpp>

#include <algorithm>

#include "coop/comm/topic.h"
#include "node/node_impl.h"
#include "node/session.h"

namespace coop::comm {

namespace {

verb verb_of(envelope::kind k) {
  switch (k) {
    case envelope::kind::publish:
    case envelope::kind::direct: return verb::publish;
    case envelope::kind::request: return verb::request;
    case envelope::kind::response:
    case envelope::kind::outcome: return verb::respond;
  }
  return verb::publish;
}

}  // namespace

void node_impl::verify_checked(checked_envelope& c) {
  try {
    envelope::check_context ctx{&cfg_, &verifier_, now_ns(), limits_};
    c.header = envelope::verify(c.env, ctx);
    // Our own envelopes coming back through a cycle are dropped whole.
    if (c.header && c.header->origin != self_) {
      c.items.reserve(c.env.items.size());
      for (const auto raw : c.env.items) {
        wire_io::word_buffer copy;
        c.items.push_back(envelope::open_item_view(raw, *c.header, limits_, copy));
        if (!copy.empty()) c.copies.push_back(std::move(copy));  // the views point into it
      }
    }
  } catch (const std::exception& e) {  // out of memory: the envelope is refused whole
    c.items.clear();
    c.header = error{errc::signature, std::string("envelope not checked: ") + e.what()};
  }
}

void node_impl::handle_checked(session& from, checked_envelope& c) {
  // A node that is stopping delivers nothing more (its handlers could no
  // longer publish or answer).
  if (!stopping_) {
    auto handled = wire_io::guard("envelope", [&]() -> result<void> {
      on_envelope(from, c);
      return {};
    });
    if (!handled) from.protocol_error(handled.err().message);
  }
  from.envelope_done(std::move(c.frame));
}

void node_impl::check_envelope(std::shared_ptr<session> from, checked_envelope c) {
  // Handing an envelope to the verifying thread and back costs two thread
  // wake-ups (tens of microseconds of CPU each on a virtual machine, and
  // as much latency when the cores are busy). It pays only when there is
  // something to read meanwhile: while the verifying thread has work, or
  // more of this peer's input is already here. Otherwise a small envelope
  // is verified here. The verifier is then free (every envelope handed
  // over has come back), and envelopes are still handled in arrival order.
  if (verifying_ == 0 && c.env.items.size() <= inline_verify_items && !from->input_waiting()) {
    verify_checked(c);
    handle_checked(*from, c);
    return;
  }
  ++verifying_;
  asio::post(verify_io_, [this, from = std::move(from), c = std::move(c)]() mutable {
    verify_checked(c);
    asio::post(io_, [this, from = std::move(from), c = std::move(c)]() mutable {
      --verifying_;
      handle_checked(*from, c);
    });
  });
}

void node_impl::on_envelope(session& from, checked_envelope& c) {
  const envelope::envelope_view& env = c.env;
  const auto& h = c.header;
  link* l = from.peer_link();
  if (!h) {
    stats_.refused_signature += std::max<std::size_t>(env.items.size(), 1);
    if (l) l->status.refused += env.items.size();
    note_refusal(from.peer(), "", "", "envelope", h.err().message);
    return;
  }
  if (h->origin == self_) {  // our own, back through a cycle
    stats_.duplicates += env.items.size();
    return;
  }
  std::shared_ptr<signed_part> onward;  // made when something is relayed
  // The items of an envelope mostly share a topic and kind: the topic check
  // and the access rules are evaluated again only when those change.
  struct verdict {
    bool known = false;
    envelope::kind k = envelope::kind::publish;
    std::string topic;
    result<void> valid;
    access_decision access;
  } last;
  route_cache relayed;
  // One message for the whole envelope: what the items share is set once,
  // and the per-item strings keep their capacity from item to item.
  message m;
  m.origin = h->origin;
  m.from = from.peer();
  m.sequence = h->sequence;
  m.issued_at = h->issued_at;
  m.hops = env.hops;
  for (std::size_t i = 0; i < c.items.size(); ++i) {
    const std::string_view raw = env.items[i];
    const auto& it = c.items[i];
    if (!it) {
      ++stats_.refused_signature;
      if (l) ++l->status.refused;
      note_refusal(from.peer(), h->origin, "", "envelope", it.err().message);
      continue;
    }
    switch (replay_->check(h->origin, h->sequence, h->issued_at, it->index,
                           static_cast<std::uint32_t>(h->digests.size()))) {
      case state::replay_verdict::duplicate: ++stats_.duplicates; continue;
      case state::replay_verdict::too_old:
        ++stats_.replays;
        if (l) ++l->status.refused;
        note_refusal(from.peer(), h->origin, std::string(it->topic), "envelope",
                     "replayed or older than the replay window (sequence " +
                         std::to_string(h->sequence) + ")");
        continue;
      case state::replay_verdict::fresh: break;
    }
    const verb v = verb_of(it->k);
    if (!last.known || last.k != it->k || last.topic != it->topic) {
      last.known = true;
      last.k = it->k;
      last.topic = it->topic;
      last.valid = validate_topic(it->topic);
      if (last.valid) {
        last.access = check_access(cfg_, from.peer(), v, it->topic);
        if (last.access.allowed && h->origin != from.peer())
          last.access = check_access(cfg_, h->origin, v, it->topic);
      }
    }
    if (!last.valid) {
      ++stats_.refused_signature;
      note_refusal(from.peer(), h->origin, "", "envelope", last.valid.err().message);
      continue;
    }
    const access_decision& d = last.access;
    if (!d.allowed) {
      ++stats_.refused_access;
      if (l) ++l->status.refused;
      note_refusal(from.peer(), h->origin, std::string(it->topic), to_string(v), d.rule);
      if (it->k == envelope::kind::request && it->destination == self_) {
        message req;
        req.origin = h->origin;
        req.topic = it->topic;
        req.request_id = it->request_id;
        envelope::item no;
        no.k = envelope::kind::outcome;
        no.result = envelope::outcome::denied;
        no.reason = "access rules of '" + self_ + "' refuse " + to_string(v) + " on " +
                    std::string(it->topic);
        answer(req, std::move(no));
      }
      continue;
    }
    if (l) ++l->status.received;
    const bool for_me = it->k == envelope::kind::publish || it->destination == self_;
    const bool forward = cfg_.relay && (it->k == envelope::kind::publish || !for_me) &&
                         env.hops.size() + 1 <= h->hop_limit;
    if (forward) {
      if (!onward) {
        auto hops = env.hops;
        hops.push_back(self_);
        onward = std::make_shared<signed_part>(
            signed_part{std::string(env.header_bytes), std::string(env.signature), hops, {}});
        std::size_t total = 0;
        for (const auto r : env.items) total += r.size();
        onward->item_bytes.reserve(total);  // views into it must never move
      }
      const std::size_t at = onward->item_bytes.size();
      onward->item_bytes.append(raw);
      route_item(onward, std::string_view(onward->item_bytes).substr(at, raw.size()), *it,
                 h->origin, env.hops, &from, &relayed);
    } else if (!for_me) {
      ++stats_.dropped_no_route;
    }
    if (!for_me) continue;
    m.topic.assign(it->topic);
    m.content_type.assign(it->content_type);
    m.payload.assign(it->payload);
    m.request_id = it->request_id;
    m.direct = it->k != envelope::kind::publish;
    switch (it->k) {
      case envelope::kind::publish:
      case envelope::kind::direct: deliver(m); break;
      case envelope::kind::request: handle_request(m, it->to_item()); break;
      case envelope::kind::response:
      case envelope::kind::outcome: handle_answer(m, it->to_item()); break;
    }
  }
}

void node_impl::deliver(const message& m) {
  // Handlers may subscribe or unsubscribe: hold the matching ones first,
  // and skip one that an earlier handler unsubscribed.
  boost::container::small_vector<std::pair<std::uint64_t, std::shared_ptr<const message_handler>>, 4>
      matched;
  for (const auto& [id, sub] : subscriptions_)
    if (topic_covers(sub.prefix, m.topic)) matched.emplace_back(id, sub.handler);
  bool any = false;
  for (const auto& [id, handler] : matched) {
    if (matched.size() > 1 && subscriptions_.count(id) == 0) continue;
    try {
      (*handler)(m);
    } catch (const std::exception& e) {
      // The application's fault, not the peer's: logged, and the other
      // handlers still get the message.
      note_refusal(m.from, m.origin, m.topic, "deliver",
                   std::string("subscription handler threw: ") + e.what());
    }
    any = true;
  }
  if (any) ++stats_.delivered;
}

}  // namespace coop::comm
