// node: start-up, shutdown and the public members, which hand work to the
// I/O thread.
#include "coop/comm/node.h"

#include <chrono>
#include <filesystem>

#include "coop/comm/topic.h"
#include "node/node_impl.h"
#include "node/session.h"

namespace coop::comm {

result<void> init_tls(node_impl& n);
void free_ca_stores(node_impl& n);

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* to_string(peer_state s) noexcept {
  switch (s) {
    case peer_state::down: return "down";
    case peer_state::connecting: return "connecting";
    case peer_state::up: return "up";
    case peer_state::refused: return "refused";
  }
  return "unknown";
}

const char* to_string(approval_state s) noexcept {
  switch (s) {
    case approval_state::pending: return "pending";
    case approval_state::approved: return "approved";
    case approval_state::refused: return "refused";
    case approval_state::expired: return "expired";
  }
  return "unknown";
}

node_impl::node_impl(site_config cfg) : cfg_(std::move(cfg)), self_(cfg_.site) {
  limits_.max_bytes = cfg_.limits.max_frame_bytes;
  limits_.max_segments = cfg_.limits.max_segments;
  limits_.max_nesting = cfg_.limits.max_nesting;
}

node_impl::~node_impl() { free_ca_stores(*this); }

result<void> node_impl::init() {
  started_at_ = now_ns();
  auto key = crypto::signing_key::load(cfg_.key);
  if (!key) return key.err();
  key_ = std::move(*key);
  if (auto r = init_tls(*this); !r) return r;
  if (!cfg_.state.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg_.state, ec);
    if (ec) return error{errc::io, "cannot create state directory " + cfg_.state.string() + ": " + ec.message()};
  }
  auto replay = state::replay_window::open(cfg_.state, started_at_);
  if (!replay) return replay.err();
  replay_.emplace(std::move(*replay));
  auto answers = state::answer_log::open(
      cfg_.state, started_at_ - 2 * std::chrono::nanoseconds(cfg_.limits.envelope_ttl).count());
  if (!answers) return answers.err();
  answers_.emplace(std::move(*answers));
  auto lease = state::sequence_lease::open(cfg_.state);
  if (!lease) return lease.err();
  lease_.emplace(std::move(*lease));
  for (const auto& p : cfg_.peers) {
    if (!p.neighbour) continue;
    link l;
    l.cfg = &p;
    l.status.name = p.name;
    l.status.dials = p.connect.has_value();
    links_.emplace(p.name, std::move(l));
  }
  if (cfg_.listen) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(cfg_.listen->host, ec);
    if (ec) return error{errc::invalid_argument, "listen address '" + cfg_.listen->host + "' is not an IP address"};
    tcp::endpoint ep(addr, cfg_.listen->port);
    auto acc = std::make_unique<tcp::acceptor>(io_);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return error{errc::io, "cannot listen on " + cfg_.listen->host + ":" +
                                 std::to_string(cfg_.listen->port) + ": " + ec.message()};
    port_ = acc->local_endpoint().port();
    acceptor_ = std::move(acc);
  }
  return {};
}

void node_impl::save_state() {
  if (auto r = replay_->save(); !r) note_refusal(self_, "", "", "state", r.err().message);
  // Forget answers older than twice the envelope lifetime: a re-sent request
  // that old would be refused as expired anyway.
  const auto horizon = now_ns() - 2 * std::chrono::nanoseconds(cfg_.limits.envelope_ttl).count();
  if (auto r = answers_->forget_before(horizon); !r)
    note_refusal(self_, "", "", "state", "compacting the answer log: " + r.err().message);
}

void node_impl::housekeeping() {
  housekeeping_->expires_after(std::chrono::seconds(1));
  housekeeping_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    save_state();
    update_pressure();  // a peer that stalled since stops holding the inbox
    housekeeping();
  });
}

void node_impl::run_thread() {
  verify_work_.emplace(verify_io_.get_executor());
  verify_thread_ = std::thread([this] { verify_io_.run(); });
  work_.emplace(io_.get_executor());
  housekeeping_ = std::make_unique<asio::steady_timer>(io_);
  thread_ = std::thread([this] {
    io_thread_id_ = std::this_thread::get_id();
    asio::post(io_, [this] {
      accept_next();
      for (auto& [name, l] : links_)
        if (l.cfg->connect) dial(l);
      housekeeping();
    });
    io_.run();
  });
}

bool node_impl::idle() const {
  {
    std::lock_guard lock(inbox_mutex_);
    if (inbox_items_ != 0 || !staged_.empty() || flush_posted_) return false;
  }
  for (const auto& s : sessions_)
    if (s->state() == session::phase::up && (s->queue_bytes() > 0 || s->writing())) return false;
  return true;
}

void node_impl::shutdown(std::chrono::milliseconds grace) {
  if (stopped_.exchange(true)) return;
  const auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until) {
    std::promise<bool> p;
    auto f = p.get_future();
    asio::post(io_, [this, &p] { p.set_value(idle()); });
    if (f.get()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(inbox_mutex_);
    stopping_ = true;
  }
  inbox_room_.notify_all();
  std::promise<void> closed;
  asio::post(io_, [this, &closed] {
    boost::system::error_code ec;
    if (acceptor_) acceptor_->close(ec);
    for (auto& [name, l] : links_)
      if (l.retry) l.retry->cancel();
    if (housekeeping_) housekeeping_->cancel();
    for (auto& [id, h] : held_) h.expiry->cancel();
    for (auto& [id, r] : requests_) r.deadline->cancel();
    auto sessions = sessions_;
    for (auto& s : sessions) s->close("site '" + self_ + "' is shutting down");
    (void)replay_->save();
    closed.set_value();
  });
  closed.get_future().get();
  // Envelopes still being checked are dropped with the connections.
  verify_work_.reset();
  verify_io_.stop();
  if (verify_thread_.joinable()) verify_thread_.join();
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  joined_ = true;
  // Requests still waiting learn that the node closed.
  for (auto& [id, r] : requests_)
    if (r.done) r.done(error{errc::closed, "node of '" + self_ + "' stopped"});
  requests_.clear();
}

void node_impl::note_refusal(std::string peer, std::string origin, std::string topic,
                              std::string what, std::string reason) {
  refusals_.push_back(refusal{now_ns(), std::move(peer), std::move(origin), std::move(topic),
                              std::move(what), std::move(reason)});
  if (refusals_.size() > 1000) refusals_.pop_front();
  if (refusal_handler_) refusal_handler_(refusals_.back());
}

// ---------------------------------------------------------------- node

node::node(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

node::~node() { stop(); }

result<std::unique_ptr<node>> node::start(site_config config) {
  auto p = std::make_unique<node_impl>(std::move(config));
  if (auto r = p->init(); !r) return r.err();
  p->run_thread();
  return std::unique_ptr<node>(new node(std::move(p)));
}

const std::string& node::site() const noexcept { return impl_->self_; }
std::uint16_t node::listen_port() const noexcept { return impl_->port_; }

result<void> node::publish(std::string_view topic, std::string_view content_type,
                           std::string_view payload, const send_options& opts) {
  if (auto v = validate_topic(topic); !v) return v;
  envelope::item_view it;
  it.k = envelope::kind::publish;
  it.topic = topic;
  it.content_type = content_type;
  it.payload = payload;
  return impl_->post_outgoing(it, opts);
}

result<void> node::send(std::string_view to, std::string_view topic, std::string_view content_type,
                        std::string_view payload, const send_options& opts) {
  if (auto v = validate_topic(topic); !v) return v;
  if (to == impl_->self_) return error{errc::invalid_argument, "cannot send to this site itself"};
  envelope::item_view it;
  it.k = envelope::kind::direct;
  it.destination = to;
  it.topic = topic;
  it.content_type = content_type;
  it.payload = payload;
  return impl_->post_outgoing(it, opts);
}

result<std::uint64_t> node::request(std::string_view to, std::string_view topic,
                                    std::string_view content_type, std::string_view payload,
                                    response_handler done, std::chrono::milliseconds timeout) {
  if (auto v = validate_topic(topic); !v) return v.err();
  if (to == impl_->self_) return error{errc::invalid_argument, "cannot send a request to this site itself"};
  if (impl_->stopped_) return error{errc::closed, "node of '" + impl_->self_ + "' stopped"};
  static std::atomic<std::uint64_t> counter{static_cast<std::uint64_t>(now_ns())};
  const std::uint64_t id = ++counter;
  envelope::item it;
  it.k = envelope::kind::request;
  it.destination = std::string(to);
  it.topic = std::string(topic);
  it.content_type = std::string(content_type);
  it.payload = std::string(payload);
  it.request_id = id;
  if (timeout.count() == 0) timeout = impl_->cfg_.limits.request_timeout;
  asio::post(impl_->io_, [p = impl_.get(), id, it = std::move(it), done = std::move(done), timeout]() mutable {
    pending_request pr;
    pr.id = id;
    pr.item = it;
    pr.done = std::move(done);
    pr.deadline = std::make_unique<asio::steady_timer>(p->io_, timeout);
    pr.deadline->async_wait([p, id, timeout](const boost::system::error_code& ec) {
      if (ec) return;
      auto q = p->requests_.find(id);
      if (q == p->requests_.end() || q->second.held) return;
      auto d = std::move(q->second.done);
      const auto dest = q->second.item.destination;
      p->requests_.erase(q);
      if (d) d(error{errc::timeout, "no answer from '" + dest + "' within " +
                                        std::to_string(timeout.count()) + " ms"});
    });
    p->requests_.emplace(id, std::move(pr));
    p->stage(std::move(it));
  });
  return id;
}

result<message> node::request_sync(std::string_view to, std::string_view topic,
                                   std::string_view content_type, std::string_view payload,
                                   std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<result<message>>>();
  auto fut = promise->get_future();
  auto id = request(to, topic, content_type, payload,
                    [promise](result<message> r) { promise->set_value(std::move(r)); }, timeout);
  if (!id) return id.err();
  try {
    return fut.get();
  } catch (const std::future_error&) {  // the node stopped before the request was sent
    return error{errc::closed, "node of '" + impl_->self_ + "' stopped"};
  }
}

result<std::uint64_t> node::subscribe(std::string_view prefix, message_handler handler) {
  if (auto v = validate_topic(prefix); !v) return v.err();
  return impl_->run_sync([&]() -> result<std::uint64_t> {
    const auto id = impl_->next_local_id_++;
    impl_->subscriptions_.emplace(
        id, node_impl::subscription{std::string(prefix),
                                    std::make_shared<const message_handler>(std::move(handler))});
    impl_->peer_subscriptions_changed();
    return id;
  });
}

void node::unsubscribe(std::uint64_t id) {
  impl_->run_sync([&] {
    if (impl_->subscriptions_.erase(id)) impl_->peer_subscriptions_changed();
  });
}

result<void> node::on_request(std::string_view prefix, request_handler handler) {
  if (auto v = validate_topic(prefix); !v) return v;
  impl_->run_sync([&] { impl_->handlers_[std::string(prefix)] = std::move(handler); });
  return {};
}

void node::on_status(status_handler handler) {
  impl_->run_sync([&] { impl_->status_handler_ = std::move(handler); });
}

void node::on_refusal(refusal_handler handler) {
  impl_->run_sync([&] { impl_->refusal_handler_ = std::move(handler); });
}

std::vector<approval> node::approvals() const {
  return impl_->run_sync([&] {
    std::vector<approval> out;
    for (const auto& [id, h] : impl_->held_)
      if (h.info.state == approval_state::pending) out.push_back(h.info);
    for (const auto& [id, h] : impl_->held_)
      if (h.info.state != approval_state::pending) out.push_back(h.info);
    return out;
  });
}

namespace {

// Decides held request `id` on the I/O thread: it must exist and be pending.
result<void> decide_held(node_impl& n, std::uint64_t id, bool approve, std::string note) {
  return n.run_sync([&]() -> result<void> {
    auto it = n.held_.find(id);
    if (it == n.held_.end()) return error{errc::not_found, "no held request " + std::to_string(id)};
    if (it->second.info.state != approval_state::pending)
      return error{errc::invalid_argument, "request " + std::to_string(id) + " is already " +
                                               to_string(it->second.info.state)};
    n.decide(id, approve, std::move(note));
    return {};
  });
}

}  // namespace

result<void> node::approve(std::uint64_t id) { return decide_held(*impl_, id, true, {}); }

result<void> node::refuse(std::uint64_t id, std::string_view note) {
  return decide_held(*impl_, id, false, std::string(note));
}

std::vector<peer_status> node::peers() const {
  return impl_->run_sync([&] {
    std::vector<peer_status> out;
    for (const auto& [name, l] : impl_->links_) {
      out.push_back(l.status);
      out.back().queue_bytes = l.current ? l.current->queue_bytes() : 0;
    }
    return out;
  });
}

node_stats node::stats() const {
  return impl_->run_sync([&] {
    node_stats st = impl_->stats_;
    // Publications taken but not flushed yet (or dropped at once, nobody
    // subscribing) count as published too.
    std::lock_guard lock(impl_->inbox_mutex_);
    st.published += impl_->inbox_published_;
    return st;
  });
}

std::vector<refusal> node::refusals() const {
  return impl_->run_sync([&] { return std::vector<refusal>(impl_->refusals_.begin(), impl_->refusals_.end()); });
}

result<void> node::flush(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (impl_->run_sync([&] { return impl_->idle(); })) return {};
    if (std::chrono::steady_clock::now() >= until)
      return error{errc::timeout, "queues of '" + impl_->self_ + "' not empty after " +
                                      std::to_string(timeout.count()) + " ms"};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void node::stop(std::chrono::milliseconds grace) { impl_->shutdown(grace); }

}  // namespace coop::comm
