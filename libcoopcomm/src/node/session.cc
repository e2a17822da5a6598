// A peer connection: handshake, hello, framed reads and writes, timers.
#include "node/session.h"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <capnp/message.h>
#include <openssl/ssl.h>

#include "coop/comm/topic.h"
#include "frame.capnp.h"
#include "wire/codes.h"

namespace coop::comm {

std::string describe_handshake_failure(void* ssl, const std::string& what);

namespace {

std::string text_of(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

}  // namespace

session::session(node_impl& owner, tcp::socket socket, link* expected)
    : owner_(owner),
      stream_(std::move(socket), *owner.tls_),
      handshake_timer_(owner.io_),
      idle_timer_(owner.io_),
      keepalive_timer_(owner.io_),
      rate_timer_(owner.io_),
      linger_timer_(owner.io_),
      link_(expected),
      dialled_(expected != nullptr) {
  boost::system::error_code ec;
  auto ep = stream_.lowest_layer().remote_endpoint(ec);
  address_ = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  if (link_) peer_ = link_->cfg->name;
}

void session::start() {
  auto self = shared_from_this();
  handshake_timer_.expires_after(owner_.cfg_.limits.handshake_timeout);
  handshake_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->phase_ == phase::up || self->phase_ == phase::closed) return;
    ++self->owner_.stats_.refused_connections;
    self->owner_.note_refusal(self->peer_.empty() ? self->address_ : self->peer_, "", "",
                              "connect", "handshake timeout");
    self->close("handshake timeout");
  });
  stream_.async_handshake(dialled_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server,
                          [self](const boost::system::error_code& ec) { self->on_handshake(ec); });
}

void session::on_handshake(const boost::system::error_code& ec) {
  if (phase_ == phase::closed) return;
  if (ec) {
    ++owner_.stats_.refused_connections;
    std::string reason = describe_handshake_failure(stream_.native_handle(), ec.message());
    owner_.note_refusal(peer_.empty() ? address_ : peer_, "", "", "connect", reason);
    if (link_) owner_.set_status(*link_, peer_state::refused, reason);
    close(reason);
    return;
  }
  link* expected = link_;
  auto verified = owner_.verify_peer_certificate(stream_.native_handle(), *this, expected);
  if (!verified) {
    ++owner_.stats_.refused_connections;
    owner_.note_refusal(peer_.empty() ? address_ : peer_, "", "", "connect", verified.err().message);
    if (link_) owner_.set_status(*link_, peer_state::refused, verified.err().message);
    refuse_and_close(wire_codes::not_authorised, verified.err().message);
    read_header();  // lets the refusal reach the peer before closing
    return;
  }
  link_ = verified.value();
  peer_ = link_->cfg->name;
  phase_ = phase::hello;
  capnp::MallocMessageBuilder mb;
  auto h = mb.initRoot<wire::Frame>().initHello();
  h.setSite(owner_.self_);
  h.setMinVersion(wire_io::protocol_version);
  h.setMaxVersion(wire_io::protocol_version);
  h.setMaxFrameBytes(static_cast<std::uint32_t>(owner_.cfg_.limits.max_frame_bytes));
  h.setRelay(owner_.cfg_.relay);
  send_control(wire_io::serialise_frame(mb));
  arm_idle();
  read_header();
}

void session::read_header() {
  if (phase_ == phase::closed) return;
  auto self = shared_from_this();
  asio::async_read(stream_, asio::buffer(header_, 4),
                   [self](const boost::system::error_code& ec, std::size_t) {
                     if (self->phase_ == phase::closed) return;
                     if (ec) {
                       self->end_reading(ec == asio::error::eof ? "connection closed by peer"
                                                                : "read failed: " + ec.message());
                       return;
                     }
                     auto n = wire_io::check_frame_header(self->header_, self->owner_.limits_);
                     if (!n) {
                       self->protocol_error(n.err().message);
                       return;
                     }
                     self->read_body(*n);
                   });
}

void session::read_body(std::size_t n) {
  auto self = shared_from_this();
  if (!body_) {
    if (spare_frames_.empty()) {
      body_ = std::make_shared<wire_io::word_buffer>();
    } else {
      body_ = std::move(spare_frames_.back());
      spare_frames_.pop_back();
    }
  }
  body_->resize(n / sizeof(capnp::word));  // n is a multiple of 8 (check_frame_header)
  body_bytes_ = n;
  asio::async_read(stream_, asio::buffer(body_->data(), n),
                   [self](const boost::system::error_code& ec, std::size_t) {
                     if (self->phase_ == phase::closed) return;
                     if (ec) {
                       self->end_reading("read failed: " + ec.message());
                       return;
                     }
                     self->on_frame();
                   });
}

void session::on_frame() {
  auto self = shared_from_this();
  wire_io::message_view frame;
  wire_io::word_buffer unused;  // body_ is aligned: never needed
  auto opened = wire_io::open_message_view(
      {reinterpret_cast<const std::uint8_t*>(body_->data()), body_bytes_}, owner_.limits_, frame,
      unused);
  if (!opened) {
    protocol_error(opened.err().message);
    return;
  }
  wire_io::message_view* m = &frame;
  std::size_t items = 1;
  auto handled = wire_io::guard("frame", [&]() -> result<void> {
    auto f = m->root<wire::Frame>();
    if (phase_ == phase::closing) return {};
    if (f.which() == wire::Frame::HELLO) {
      if (phase_ != phase::hello) return error{errc::protocol, "a second hello"};
      auto h = f.getHello();
      handle_hello(text_of(h.getSite()), h.getMinVersion(), h.getMaxVersion(),
                   h.getMaxFrameBytes(), h.getRelay());
      return {};
    }
    if (f.which() == wire::Frame::REFUSAL) {
      auto r = f.getRefusal();
      std::string reason = "refused by " + (peer_.empty() ? address_ : peer_) + " (code " +
                           std::to_string(r.getCode()) + "): " + text_of(r.getReason());
      if (link_) owner_.set_status(*link_, peer_state::refused, reason);
      close(reason);
      return {};
    }
    if (phase_ != phase::up) return error{errc::protocol, "a frame before the hello"};
    switch (f.which()) {
      case wire::Frame::SUBSCRIPTIONS: {
        auto list = f.getSubscriptions().getPrefixes();
        if (list.size() > owner_.cfg_.limits.max_subscriptions)
          return error{errc::protocol, std::to_string(list.size()) +
                                           " subscriptions exceed the limit of " +
                                           std::to_string(owner_.cfg_.limits.max_subscriptions)};
        auto far = f.getSubscriptions().getDistances();
        std::vector<std::string> prefixes;
        std::vector<std::uint8_t> hops;
        for (unsigned i = 0; i < list.size(); ++i) {
          auto s = text_of(list[i]);
          if (auto v = validate_topic(s); !v) return error{errc::protocol, "subscription: " + v.err().message};
          prefixes.push_back(std::move(s));
          hops.push_back(i < far.size() ? far[i] : 0);
        }
        subscriptions = std::move(prefixes);
        distances = std::move(hops);
        owner_.peer_subscriptions_changed();
        return {};
      }
      case wire::Frame::ENVELOPE: {
        auto e = f.getEnvelope();
        // Views into body_, which goes with them to the verifying thread.
        node_impl::checked_envelope c;
        envelope::envelope_view& env = c.env;
        auto hb = e.getHeader();
        env.header_bytes = {reinterpret_cast<const char*>(hb.begin()), hb.size()};
        auto sg = e.getSignature();
        env.signature = {reinterpret_cast<const char*>(sg.begin()), sg.size()};
        for (auto h : e.getHops()) env.hops.push_back(text_of(h));
        auto list = e.getItems();
        env.items.reserve(list.size());
        for (auto it : list) env.items.emplace_back(reinterpret_cast<const char*>(it.begin()), it.size());
        items = env.items.size();
        c.frame = std::move(body_);
        ++checking_;
        owner_.check_envelope(self, std::move(c));
        return {};
      }
      case wire::Frame::PING: {
        capnp::MallocMessageBuilder mb;
        mb.initRoot<wire::Frame>().setPong(f.getPing());
        send_control(wire_io::serialise_frame(mb));
        return {};
      }
      case wire::Frame::PONG: return {};
      case wire::Frame::BYE:
        end_reading("peer said bye: " + text_of(f.getBye()), true);
        return {};
      default: return error{errc::protocol, "unknown frame type"};
    }
  });
  if (!handled) {
    protocol_error(handled.err().message);
    return;
  }
  if (phase_ == phase::closed || read_ended_) return;
  arm_idle();
  if (rate_allows_read(items, body_bytes_ + 4)) {
    continue_reading();
    return;
  }
  // Over the peer's inbound rate: pause reading until back under it.
  double wait_s = 0;
  if (msg_rate_ > 0 && msg_tokens_ < 0) wait_s = std::max(wait_s, -msg_tokens_ / msg_rate_);
  if (byte_rate_ > 0 && byte_tokens_ < 0) wait_s = std::max(wait_s, -byte_tokens_ / byte_rate_);
  rate_timer_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(wait_s * 1e6) + 1));
  rate_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->phase_ == phase::closed) return;
    self->arm_idle();
    self->continue_reading();
  });
}

bool session::input_waiting() {
  boost::system::error_code ec;
  return stream_.next_layer().available(ec) > 0 || SSL_pending(stream_.native_handle()) > 0;
}

void session::end_reading(const std::string& reason, bool graceful) {
  if (checking_ == 0) {
    close(reason, graceful);
    return;
  }
  read_ended_ = true;
  end_reason_ = reason;
  end_graceful_ = graceful;
}

void session::continue_reading() {
  if (read_ended_) return;
  // One envelope being checked and one waiting keep both threads busy;
  // more would only hold memory.
  constexpr std::size_t max_checking = 2;
  if (checking_ >= max_checking) {
    read_waits_ = true;
    return;
  }
  read_header();
}

void session::envelope_done(std::shared_ptr<wire_io::word_buffer> frame) {
  --checking_;
  // One spare buffer, and not one grown by a rare large frame.
  if (frame && spare_frames_.empty() && frame.use_count() == 1 &&
      frame->size() * sizeof(capnp::word) <= (std::size_t{256} << 10))
    spare_frames_.push_back(std::move(frame));
  if (read_ended_) {
    if (checking_ == 0) close(end_reason_, end_graceful_);
    return;
  }
  if (read_waits_ && phase_ != phase::closed) {
    read_waits_ = false;
    arm_idle();
    read_header();
  }
}

void session::handle_hello(const std::string& site, std::uint16_t min_v, std::uint16_t max_v,
                           std::uint32_t max_frame, bool relay) {
  if (site != peer_) {
    std::string reason = "hello names site '" + site + "' but the certificate is '" + peer_ + "'";
    ++owner_.stats_.refused_connections;
    owner_.note_refusal(peer_, "", "", "connect", reason);
    refuse_and_close(wire_codes::not_authorised, reason);
    return;
  }
  if (min_v > wire_io::protocol_version || max_v < wire_io::protocol_version) {
    std::string reason = "no common protocol version (peer speaks " + std::to_string(min_v) +
                         ".." + std::to_string(max_v) + ", this site " +
                         std::to_string(wire_io::protocol_version) + ")";
    ++owner_.stats_.refused_connections;
    owner_.note_refusal(peer_, "", "", "connect", reason);
    if (link_) owner_.set_status(*link_, peer_state::refused, reason);
    refuse_and_close(wire_codes::unsupported_version, reason);
    return;
  }
  peer_max_frame_ = std::min<std::size_t>(max_frame, owner_.cfg_.limits.max_frame_bytes);
  if (peer_max_frame_ < 4096) peer_max_frame_ = 4096;
  peer_relays_ = relay;
  for (const auto& r : owner_.cfg_.rates) {
    if (r.peer == peer_ || (r.peer == "*" && msg_rate_ == 0 && byte_rate_ == 0)) {
      msg_rate_ = r.msgs_per_s;
      byte_rate_ = r.bytes_per_s;
    }
  }
  msg_tokens_ = msg_rate_;
  byte_tokens_ = byte_rate_;
  refill_at_ = std::chrono::steady_clock::now();
  phase_ = phase::up;
  handshake_timer_.cancel();
  arm_keepalive();
  owner_.session_up(shared_from_this());
}

bool session::rate_allows_read(std::size_t items, std::size_t bytes) {
  if (msg_rate_ <= 0 && byte_rate_ <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  const double dt = std::chrono::duration<double>(now - refill_at_).count();
  refill_at_ = now;
  if (msg_rate_ > 0) msg_tokens_ = std::min(msg_rate_, msg_tokens_ + dt * msg_rate_) - double(items);
  if (byte_rate_ > 0)
    byte_tokens_ = std::min(byte_rate_, byte_tokens_ + dt * byte_rate_) - double(bytes);
  return !(msg_rate_ > 0 && msg_tokens_ < 0) && !(byte_rate_ > 0 && byte_tokens_ < 0);
}

void session::arm_idle() {
  auto self = shared_from_this();
  idle_timer_.expires_after(owner_.cfg_.limits.idle_timeout);
  idle_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->phase_ == phase::closed) return;
    self->protocol_error("idle timeout: no complete frame for " +
                         std::to_string(self->owner_.cfg_.limits.idle_timeout.count()) + " ms");
  });
}

void session::arm_keepalive() {
  auto self = shared_from_this();
  keepalive_timer_.expires_after(owner_.cfg_.limits.keepalive);
  keepalive_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->phase_ != phase::up) return;
    if (std::chrono::steady_clock::now() - self->last_write_ >= self->owner_.cfg_.limits.keepalive) {
      capnp::MallocMessageBuilder mb;
      mb.initRoot<wire::Frame>().setPing(static_cast<std::uint64_t>(now_ns()));
      self->send_control(wire_io::serialise_frame(mb));
    }
    self->arm_keepalive();
  });
}

void session::protocol_error(const std::string& reason) {
  if (phase_ == phase::closed) return;
  ++owner_.stats_.protocol_errors;
  owner_.note_refusal(peer_.empty() ? address_ : peer_, "", "", "frame", reason);
  const bool too_large = reason.find("exceeds") != std::string::npos;
  const bool timeout = reason.find("timeout") != std::string::npos;
  refuse_and_close(too_large ? wire_codes::too_large
                             : timeout ? wire_codes::timeout : wire_codes::malformed,
                   reason);
}

bool session::enqueue(queued_item q) {
  if (phase_ != phase::up) return false;
  const std::size_t size = q.bytes.size() + 16;
  // A frame carries the envelope's header and at least one item. An
  // envelope signed for peers with larger frames (relayed here from a site
  // that batches more) may not fit this one's: dropped and counted, never
  // sent as a frame the peer would cut us off for.
  if (q.env->header_bytes.size() + q.env->signature.size() + 1024 + size > peer_max_frame_) {
    ++owner_.stats_.dropped_overflow;
    if (link_) ++link_->status.dropped;
    if (oversized_env_ != q.env.get()) {
      oversized_env_ = q.env.get();
      owner_.note_refusal(peer_, "", "", "queue",
                          "envelope header of " + std::to_string(q.env->header_bytes.size()) +
                              " bytes and an item of " + std::to_string(q.bytes.size()) +
                              " do not fit the peer's frame limit of " +
                              std::to_string(peer_max_frame_) + " bytes: dropped");
    }
    return false;
  }
  const std::size_t limit = owner_.cfg_.limits.queue_bytes;
  if (queue_bytes_ + size > limit) {
    switch (q.policy) {
      case overflow_policy::drop_newest: return false;
      case overflow_policy::disconnect:
        ++owner_.stats_.protocol_errors;
        owner_.note_refusal(peer_, "", "", "queue", "outbound queue overflow: disconnecting");
        close("outbound queue overflow");  // the peer is not reading: no farewell
        return false;
      case overflow_policy::drop_oldest:
        while (!items_.empty() && queue_bytes_ + size > limit) {
          queue_bytes_ -= items_.front().bytes.size() + 16;
          items_.pop_front();
          ++owner_.stats_.dropped_overflow;
          if (link_) ++link_->status.dropped;
        }
        if (queue_bytes_ + size > limit) return false;
        break;
    }
  }
  queue_bytes_ += size;
  items_.push_back(std::move(q));
  // Items come in bursts (the items of an envelope): write once the burst
  // is queued, not a frame for its first item alone.
  if (!writing_ && !write_posted_) {
    write_posted_ = true;
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->write_posted_ = false;
      self->write_next();
    });
  }
  return true;
}

void session::send_control(std::string frame) {
  if (phase_ == phase::closed) return;
  control_.push_back(std::move(frame));
  write_next();
}

void session::refuse_and_close(std::uint16_t code, const std::string& reason) {
  if (phase_ == phase::closed || phase_ == phase::closing) return;
  capnp::MallocMessageBuilder mb;
  auto r = mb.initRoot<wire::Frame>().initRefusal();
  r.setCode(code);
  r.setReason(reason.substr(0, 512));
  items_.clear();
  queue_bytes_ = 0;
  control_.push_back(wire_io::serialise_frame(mb));
  close(reason, true);
}

void session::compose_items(std::size_t budget, std::string& out) {
  const std::size_t start = out.size();
  const std::size_t frame_limit = peer_max_frame_ - 1024;
  while (!items_.empty() && out.size() - start < budget) {
    const auto env = items_.front().env;
    std::size_t n = 0, bytes = env->header_bytes.size() + 128;
    while (n < items_.size() && items_[n].env == env &&
           (n == 0 || bytes + items_[n].bytes.size() + 16 <= frame_limit)) {
      bytes += items_[n].bytes.size() + 16;
      ++n;
    }
    capnp::MallocMessageBuilder mb(static_cast<unsigned>(bytes / 8 + 64));
    auto e = mb.initRoot<wire::Frame>().initEnvelope();
    e.setHeader(kj::ArrayPtr<const kj::byte>(
        reinterpret_cast<const kj::byte*>(env->header_bytes.data()), env->header_bytes.size()));
    e.setSignature(kj::ArrayPtr<const kj::byte>(
        reinterpret_cast<const kj::byte*>(env->signature.data()), env->signature.size()));
    auto hops = e.initHops(static_cast<unsigned>(env->hops.size()));
    for (unsigned i = 0; i < env->hops.size(); ++i) hops.set(i, env->hops[i]);
    auto list = e.initItems(static_cast<unsigned>(n));
    for (unsigned i = 0; i < n; ++i) {
      const std::string_view b = items_.front().bytes;
      list.set(i, kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(b.data()), b.size()));
      queue_bytes_ -= b.size() + 16;
      items_.pop_front();
    }
    if (link_) link_->status.sent += n;
    wire_io::append_frame(mb, out);
  }
}

void session::write_next() {
  if (writing_ || phase_ == phase::closed || phase_ == phase::handshaking) return;
  out_.clear();
  while (!control_.empty()) {
    out_ += control_.front();
    control_.pop_front();
  }
  compose_items(256 * 1024, out_);
  if (out_.empty()) {
    if (close_after_write_) {
      close_after_write_ = false;
      close(closing_reason_);
    }
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(stream_, asio::buffer(out_),
                    [self](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (self->phase_ == phase::closed) return;
                      if (ec) {
                        self->close_after_write_ = false;
                        self->close("write failed: " + ec.message());
                        return;
                      }
                      self->last_write_ = std::chrono::steady_clock::now();
                      self->write_next();
                      self->owner_.update_pressure();
                    });
}

void session::close(const std::string& reason, bool graceful) {
  if (phase_ == phase::closed) return;
  if (graceful && (writing_ || !control_.empty() || !items_.empty())) {
    if (phase_ != phase::closing) {
      closing_reason_ = reason;
      // A peer that does not read what is left cannot hold the close up.
      auto self = shared_from_this();
      linger_timer_.expires_after(std::chrono::seconds(2));
      linger_timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->close(self->closing_reason_ + " (remaining output abandoned)");
      });
    }
    phase_ = phase::closing;
    close_after_write_ = true;
    write_next();
    return;
  }
  phase_ = phase::closed;
  handshake_timer_.cancel();
  idle_timer_.cancel();
  keepalive_timer_.cancel();
  rate_timer_.cancel();
  linger_timer_.cancel();
  items_.clear();
  queue_bytes_ = 0;
  boost::system::error_code ec;
  stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
  stream_.lowest_layer().close(ec);
  owner_.session_down(*this, reason);
}

}  // namespace coop::comm
