// Payload delivery to analyzers: recognition from the first bytes (held,
// bounded, until an analyzer matches), then in-order TCP reassembly with a
// bounded out-of-order buffer; UDP datagrams are delivered as they come.
#include <algorithm>

#include "analyzers/app_state.h"
#include "pipeline/impl.h"

namespace coop::sensor {

using detail::app_state;
using detail::conn;

namespace {
constexpr std::size_t max_held = 8192;           // bytes held while recognising
constexpr std::size_t max_out_of_order = 65536;  // per direction
}  // namespace

void sensor::impl::deliver(conn& c, bool is_orig, const std::uint8_t* payload, std::uint32_t len,
                           const detail::tcp_segment* seg, std::int64_t ts) {
  if (!c.app) c.app = std::make_unique<app_state>();
  app_state& st = *c.app;
  if (st.given_up) return;
  std::span<const std::uint8_t> chunk(payload, len);
  std::string ordered;  // TCP: the in-order bytes this segment releases
  if (seg != nullptr) {
    detail::stream_dir& sd = st.dir[is_orig ? 0 : 1];
    std::uint32_t raw = seg->seq + ((seg->flags & detail::th_syn) ? 1u : 0u);
    if (!sd.init) {
      sd.init = true;
      sd.next = raw;
    }
    std::int64_t seq =
        sd.next + static_cast<std::int32_t>(raw - static_cast<std::uint32_t>(sd.next));
    if (seq + len <= sd.next) return;        // retransmission
    if (seq == sd.next && sd.ooo.empty()) {  // the common case: in order, no copy
      sd.next += len;
      seg = nullptr;
    }
  }
  if (seg != nullptr) {
    detail::stream_dir& sd = st.dir[is_orig ? 0 : 1];
    std::uint32_t raw = seg->seq + ((seg->flags & detail::th_syn) ? 1u : 0u);
    std::int64_t seq =
        sd.next + static_cast<std::int32_t>(raw - static_cast<std::uint32_t>(sd.next));
    if (seq > sd.next) {
      if (sd.ooo_bytes + len > max_out_of_order) {
        // Give up waiting for the hole: skip to the earliest held segment.
        if (st.a) st.a->gap(*this, c, is_orig);
        if (!sd.ooo.empty())
          sd.next = sd.ooo.begin()->first;
        else
          sd.next = seq;
      } else {
        auto [it, fresh] = sd.ooo.try_emplace(seq, reinterpret_cast<const char*>(payload), len);
        if (fresh) sd.ooo_bytes += len;
        return;
      }
    }
    std::uint32_t skip = static_cast<std::uint32_t>(std::max<std::int64_t>(0, sd.next - seq));
    if (skip < len) {
      ordered.assign(reinterpret_cast<const char*>(payload) + skip, len - skip);
      sd.next = seq + len;
    }
    while (!sd.ooo.empty() && sd.ooo.begin()->first <= sd.next) {
      auto it = sd.ooo.begin();
      std::int64_t end = it->first + static_cast<std::int64_t>(it->second.size());
      if (end > sd.next) {
        ordered.append(it->second, static_cast<std::size_t>(sd.next - it->first),
                       std::string::npos);
        sd.next = end;
      }
      sd.ooo_bytes -= it->second.size();
      sd.ooo.erase(it);
    }
    if (ordered.empty()) return;
    chunk = {reinterpret_cast<const std::uint8_t*>(ordered.data()), ordered.size()};
  }
  if (!st.a) {
    if (st.held_bytes + chunk.size() > max_held) {
      st.given_up = true;
      st.held.clear();
      return;
    }
    st.held.emplace_back(is_orig,
                         std::string(reinterpret_cast<const char*>(chunk.data()), chunk.size()));
    st.held_bytes += chunk.size();
    // Recognise from everything held, per direction.
    std::string sides[2];
    for (const auto& [o, b] : st.held) sides[o ? 0 : 1] += b;
    auto view = [](const std::string& x) {
      return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(x.data()),
                                           x.size());
    };
    bool done = false;
    st.a = detail::detect(c, is_orig, view(sides[0]), view(sides[1]), cfg.analyzers, done);
    if (!st.a) {
      if (done) {
        st.given_up = true;
        st.held.clear();
      }
      return;
    }
    auto held = std::move(st.held);
    st.held.clear();
    st.held_bytes = 0;
    for (const auto& [o, b] : held) {
      st.a->data(*this, c, o, {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()}, ts);
    }
    return;
  }
  st.a->data(*this, c, is_orig, chunk, ts);
}

void sensor::impl::ack_gap(conn& c, bool data_from_orig, std::uint32_t ack) {
  app_state& st = *c.app;
  if (st.given_up) return;
  detail::stream_dir& sd = st.dir[data_from_orig ? 0 : 1];
  if (!sd.init) return;
  std::int64_t a = sd.next + static_cast<std::int32_t>(ack - static_cast<std::uint32_t>(sd.next));
  if (a <= sd.next) return;
  detail::endpoint& sender = c.ep[data_from_orig ? 0 : 1];
  if (a - sd.next == 1 && sender.fin_cnt > 0) return;  // the FIN's sequence number
  if (!sd.ooo.empty() && sd.ooo.begin()->first <= sd.next) return;
  // Acknowledged bytes we never saw: a gap in the capture (Zeek's 'G').
  std::int64_t to = sd.ooo.empty() ? a : std::min(a, sd.ooo.begin()->first);
  if (to <= sd.next) return;
  sender.missed += static_cast<std::uint64_t>(to - sd.next);
  c.scaled_history('G', data_from_orig, sender.gap_cnt, sender.gap_thresh);
  if (st.a) st.a->gap(*this, c, data_from_orig);
  sd.next = to;
  std::string ordered;
  while (!sd.ooo.empty() && sd.ooo.begin()->first <= sd.next) {
    auto it = sd.ooo.begin();
    std::int64_t end = it->first + static_cast<std::int64_t>(it->second.size());
    if (end > sd.next) {
      ordered.append(it->second, static_cast<std::size_t>(sd.next - it->first), std::string::npos);
      sd.next = end;
    }
    sd.ooo_bytes -= it->second.size();
    sd.ooo.erase(it);
  }
  if (!ordered.empty() && st.a) {
    st.a->data(*this, c, data_from_orig,
               {reinterpret_cast<const std::uint8_t*>(ordered.data()), ordered.size()}, c.last_ns);
  }
}

void sensor::impl::end_app(conn& c) {
  if (!c.app || !c.app->a) return;
  app_state& st = *c.app;
  for (int i = 0; i < 2; ++i) {  // release what waits behind a hole
    auto& sd = st.dir[i];
    if (sd.ooo.empty()) continue;
    st.a->gap(*this, c, i == 0);
    for (auto& [s, b] : sd.ooo) {
      st.a->data(*this, c, i == 0, {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()},
                 c.last_ns);
    }
    sd.ooo.clear();
  }
  st.a->end(*this, c, c.last_ns);
}

}  // namespace coop::sensor
