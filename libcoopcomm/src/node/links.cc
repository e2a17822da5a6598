// Links to neighbours: listening, dialling with back-off, authentication
// outcome, duplicate connections, and status reporting.
#include <boost/asio/connect.hpp>

#include <algorithm>

#include "node/node_impl.h"
#include "node/session.h"
#include "wire/codes.h"

namespace coop::comm {

link* node_impl::link_by_pin(const std::string& pin) {
  for (auto& [name, l] : links_)
    if (l.cfg->spki_pin == pin) return &l;
  return nullptr;
}

link* node_impl::link_by_name(std::string_view name) {
  auto it = links_.find(std::string(name));
  return it == links_.end() ? nullptr : &it->second;
}

void node_impl::set_status(link& l, peer_state st, std::string reason) {
  if (l.status.state == st && l.status.reason == reason) return;
  l.status.state = st;
  l.status.reason = std::move(reason);
  if (status_handler_) status_handler_(l.status);
}

void node_impl::accept_next() {
  if (!acceptor_ || stopping_) return;
  acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket sock) {
    if (ec) {
      if (ec != asio::error::operation_aborted && !stopping_) accept_next();
      return;
    }
    std::size_t pending = 0;
    for (const auto& s : sessions_) {
      if (!s->dialled() && (s->state() == session::phase::handshaking ||
                            s->state() == session::phase::hello))
        ++pending;
    }
    if (pending >= cfg_.limits.max_pending_handshakes) {
      boost::system::error_code ignored;
      auto ep = sock.remote_endpoint(ignored);
      ++stats_.refused_connections;
      note_refusal(ep.address().to_string() + ":" + std::to_string(ep.port()), "", "", "connect",
                   "too many pending handshakes (limit pending-handshakes " +
                       std::to_string(cfg_.limits.max_pending_handshakes) + ")");
      sock.close(ignored);
    } else {
      sock.set_option(tcp::no_delay(true));
      auto s = std::make_shared<session>(*this, std::move(sock), nullptr);
      sessions_.push_back(s);
      s->start();
    }
    accept_next();
  });
}

void node_impl::dial(link& l) {
  if (stopping_ || l.dialling || l.current) return;
  l.dialling = true;
  set_status(l, peer_state::connecting, "");
  auto resolver = std::make_shared<tcp::resolver>(io_);
  const auto& ep = *l.cfg->connect;
  l.status.address = ep.host + ":" + std::to_string(ep.port);
  resolver->async_resolve(
      ep.host, std::to_string(ep.port),
      [this, &l, resolver](const boost::system::error_code& ec, tcp::resolver::results_type res) {
        if (stopping_) return;
        if (ec) {
          l.dialling = false;
          set_status(l, peer_state::down, "cannot resolve " + l.status.address + ": " + ec.message());
          schedule_redial(l);
          return;
        }
        auto sock = std::make_shared<tcp::socket>(io_);
        asio::async_connect(*sock, res,
                            [this, &l, sock](const boost::system::error_code& cec, const tcp::endpoint&) {
                              l.dialling = false;
                              if (stopping_) return;
                              if (cec) {
                                set_status(l, peer_state::down,
                                           "cannot connect to " + l.status.address + ": " + cec.message());
                                schedule_redial(l);
                                return;
                              }
                              sock->set_option(tcp::no_delay(true));
                              auto s = std::make_shared<session>(*this, std::move(*sock), &l);
                              sessions_.push_back(s);
                              s->start();
                            });
      });
}

void node_impl::schedule_redial(link& l) {
  if (stopping_ || !l.cfg->connect) return;
  // Exponential back-off with jitter: the next wait is drawn uniformly from
  // [b/2, 3b/2], b doubling from reconnect-min to reconnect-max.
  auto b = l.backoff.count() == 0 ? cfg_.limits.reconnect_min
                                  : std::min(l.backoff * 2, cfg_.limits.reconnect_max);
  l.backoff = b;
  std::uniform_int_distribution<std::int64_t> jitter(b.count() / 2, b.count() * 3 / 2);
  if (!l.retry) l.retry = std::make_unique<asio::steady_timer>(io_);
  l.retry->expires_after(std::chrono::milliseconds(jitter(rng_)));
  l.retry->async_wait([this, &l](const boost::system::error_code& ec) {
    if (!ec) dial(l);
  });
}

void node_impl::session_up(const std::shared_ptr<session>& s) {
  link& l = *s->peer_link();
  if (l.current && l.current != s) {
    // Both sites dialled each other: keep the connection dialled by the site
    // whose name sorts first, on both sides.
    const std::string& dialler_new = s->dialled() ? self_ : l.cfg->name;
    const std::string& dialler_old = l.current->dialled() ? self_ : l.cfg->name;
    if (dialler_old <= dialler_new) {
      s->refuse_and_close(wire_codes::duplicate, "already connected to '" + self_ + "'");
      return;
    }
    l.current->refuse_and_close(wire_codes::duplicate, "replaced by a connection from '" +
                                                           (s->dialled() ? self_ : l.cfg->name) + "'");
  }
  l.current = s;
  l.backoff = std::chrono::milliseconds(0);
  l.status.address = s->address();
  l.status.relay = s->relays();
  set_status(l, peer_state::up, "");
  s->advertised.clear();
  peer_subscriptions_changed();
  resend_requests(l.cfg->name);
}

void node_impl::session_down(session& s, const std::string& reason) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(),
                         [&](const std::shared_ptr<session>& p) { return p.get() == &s; });
  std::shared_ptr<session> keep;
  if (it != sessions_.end()) {
    keep = *it;
    sessions_.erase(it);
  }
  update_pressure();
  link* l = s.peer_link();
  if (!l) return;
  if (l->current.get() == &s) {
    l->current.reset();
    peer_subscriptions_changed();
  }
  // A refusal (TLS, pin, version) stays the reported state until a later
  // connection succeeds; anything else is "down" with the reason.
  if (!l->current && l->status.state != peer_state::refused) set_status(*l, peer_state::down, reason);
  if (s.dialled() && !l->current && !stopping_) schedule_redial(*l);
}

}  // namespace coop::comm
