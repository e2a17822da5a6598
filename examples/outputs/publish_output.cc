// `--publish CONFIG TOPIC`: every event as one message on TOPIC, from a
// coop::comm site started from CONFIG, to the peers subscribed to it.
#include <thread>

#include "coop/comm/node.h"
#include "coop/comm/topic.h"
#include "coop/model/json.h"
#include "parts.h"

namespace coop::outputs::detail {

namespace {

// Peers that are up and subscribed to a prefix covering `topic`.
std::size_t subscribed_peers(const comm::node& n, const std::string& topic) {
  std::size_t count = 0;
  for (const auto& p : n.peers()) {
    if (p.state != comm::peer_state::up) continue;
    for (const auto& s : p.subscriptions) {
      if (comm::topic_covers(s, topic)) {
        ++count;
        break;
      }
    }
  }
  return count;
}

model::error from_comm(const comm::error& e, const std::string& what) {
  const auto code = e.code == comm::errc::invalid_argument ? model::errc::invalid_argument
                    : e.code == comm::errc::not_found      ? model::errc::not_found
                                                           : model::errc::io;
  return model::error{code, what + e.message};
}

}  // namespace

publish_part::~publish_part() = default;

model::result<std::unique_ptr<publish_part>> publish_part::open(const output_options& o,
                                                                const std::string& tool) {
  if (auto v = comm::validate_topic(o.publish_topic); !v) {
    return from_comm(v.err(), "--publish: topic '" + o.publish_topic + "': ");
  }
  auto cfg = comm::load_config(o.publish_config);
  if (!cfg) return from_comm(cfg.err(), "--publish: ");
  bool has_neighbours = false;
  for (const auto& p : cfg->peers) has_neighbours = has_neighbours || p.neighbour;
  auto n = comm::node::start(std::move(cfg.value()));
  if (!n) return from_comm(n.err(), "--publish " + o.publish_config + ": cannot start the site: ");

  auto part = std::make_unique<publish_part>();
  part->site = std::move(n.value());
  part->config = o.publish_config;
  part->topic = o.publish_topic;
  part->tool = tool;
  part->format = o.format;
  part->block_for = o.block_for;
  part->flush_timeout = o.flush_timeout;

  // Messages published before a peer's subscription arrives go nowhere, so
  // wait (bounded) for one; a live sensor may still start without it.
  const auto until =
      std::chrono::steady_clock::now() + (has_neighbours ? o.wait_peers : std::chrono::seconds(0));
  bool told = false;
  while ((part->subscribers = subscribed_peers(*part->site, part->topic)) == 0 &&
         std::chrono::steady_clock::now() < until) {
    if (!told) {
      std::fprintf(stderr, "%s: waiting up to %lld s for a peer subscribed to %s\n", tool.c_str(),
                   static_cast<long long>(o.wait_peers.count()), part->topic.c_str());
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (part->subscribers == 0) {
    std::fprintf(stderr,
                 "%s: warning: no peer subscribed to %s after %lld s (%s); publishing "
                 "anyway, events nobody subscribed to are not sent\n",
                 tool.c_str(), part->topic.c_str(),
                 static_cast<long long>(has_neighbours ? o.wait_peers.count() : 0),
                 has_neighbours ? ("check the peers and access rules in " + part->config).c_str()
                                : (part->config + " names no peer").c_str());
  }
  return part;
}

model::result<void> publish_part::write(const model::event& e) {
  ++written;
  std::string_view content_type;
  std::string_view payload;
  if (format == publish_format::json) {
    text.clear();
    if (auto r = model::to_json(e, text); !r) {
      if (++not_encoded <= 5) {
        std::fprintf(stderr, "%s: --publish: event not encoded: %s\n", tool.c_str(),
                     r.err().message.c_str());
      }
      return {};
    }
    content_type = json_content_type;
    payload = text;
  } else {
    auto bytes = enc.encode(e);
    if (!bytes) {
      if (++not_encoded <= 5) {
        std::fprintf(stderr, "%s: --publish: event not encoded: %s\n", tool.c_str(),
                     bytes.err().message.c_str());
      }
      return {};
    }
    content_type = binary_content_type;
    payload = std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  }
  comm::send_options opts;
  opts.block_for = block_for;
  auto r = site->publish(topic, content_type, payload, opts);
  if (r) return {};
  if (r.err().code == comm::errc::overloaded) {
    // The peers did not take anything for block_for: count and go on.
    if (not_sent++ == 0) {
      std::fprintf(stderr, "%s: --publish: %s; events are counted as not sent\n", tool.c_str(),
                   r.err().message.c_str());
    }
    return {};
  }
  return model::error{model::errc::unsupported, "--publish " + topic + ": " + r.err().message};
}

void publish_part::finish() {
  if (finished) return;
  finished = true;
  if (auto f = site->flush(flush_timeout); !f) {
    flushed = false;
    std::fprintf(stderr, "%s: --publish: the peers did not take everything within %lld s: %s\n",
                 tool.c_str(), static_cast<long long>(flush_timeout.count() / 1000),
                 f.err().message.c_str());
  }
  site->stop(std::chrono::seconds(2));
  const auto st = site->stats();
  published = st.published;
  dropped_overflow = st.dropped_overflow;
  dropped_no_route = st.dropped_no_route;
  sent_to_peers = 0;
  for (const auto& p : site->peers()) sent_to_peers += p.sent;
}

void publish_part::print_summary(std::FILE* out) const {
  std::fprintf(
      out,
      "publish %s as %s on %s: %llu events, %llu published, %llu dropped (%llu by full "
      "peer queues, %llu with no route), %llu not sent (inbox full), %llu not encoded; "
      "%llu messages sent to %zu subscribed peer%s\n",
      site != nullptr ? site->site().c_str() : "?",
      format == publish_format::json ? "json" : "binary", topic.c_str(),
      static_cast<unsigned long long>(written), static_cast<unsigned long long>(published),
      static_cast<unsigned long long>(dropped_overflow + dropped_no_route),
      static_cast<unsigned long long>(dropped_overflow),
      static_cast<unsigned long long>(dropped_no_route), static_cast<unsigned long long>(not_sent),
      static_cast<unsigned long long>(not_encoded), static_cast<unsigned long long>(sent_to_peers),
      subscribers, subscribers == 1 ? "" : "s");
}

}  // namespace coop::outputs::detail
