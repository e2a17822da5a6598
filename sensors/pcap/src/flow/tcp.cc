// TCP endpoint tracking with Zeek's semantics (TCPSessionAdapter): endpoint
// state machine, sequence numbers unwrapped to 64 bits, sizes from sequence
// space (so retransmissions are not counted twice), history letters.
// Written from Zeek's documented behaviour and checked against its logs.
#include <algorithm>

#include "flow/conn.h"

namespace coop::sensor::detail {

namespace {

constexpr std::int64_t too_large_seq_delta = 1048576;

inline std::int32_t seq_delta(std::uint32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(a - b);
}

// Unwraps a raw 32-bit sequence number near the 64-bit reference `ref`.
inline std::int64_t unwrap(std::int64_t ref, std::uint32_t raw) noexcept {
  return ref + seq_delta(raw, static_cast<std::uint32_t>(ref));
}

void init_seqs(endpoint& e, std::uint32_t start, std::int64_t last_rel_one_past) noexcept {
  e.start_raw = start;
  e.start = start;
  e.ack = start;
  e.last = unwrap(e.start, static_cast<std::uint32_t>(last_rel_one_past));
}

void init_endpoint(endpoint& e, std::uint8_t flags, std::uint32_t seq,
                   std::uint32_t one_past) noexcept {
  bool syn = (flags & th_syn) != 0;
  switch (e.state) {
    case tcp_state::inactive:
      if (syn) {
        init_seqs(e, seq, one_past);
      } else {
        // Partial: number as if a SYN had come just before.
        init_seqs(e, seq - 1, seq);
      }
      break;
    case tcp_state::syn_sent:
    case tcp_state::syn_ack_sent:
    case tcp_state::established:
    case tcp_state::partial:
      if (syn && seq != e.start_raw)
        init_seqs(e, seq, one_past);
      else if (syn && (e.state == tcp_state::established || e.state == tcp_state::partial))
        init_seqs(e, seq, one_past);
      break;
    case tcp_state::reset:
      if (syn && e.prev_state == tcp_state::inactive) init_seqs(e, seq, one_past);
      break;
    default: break;
  }
}

void update_history(conn& c, endpoint& e, bool is_orig, std::uint8_t flags, std::int64_t rel,
                    std::uint32_t len) noexcept {
  bool syn = flags & th_syn, fin = flags & th_fin, rst = flags & th_rst;
  int bits = int{syn} + int{fin} + int{rst};
  if (bits > 1) {
    if (fin && rst)
      c.check_history(hist_fin_rst, 'I', is_orig);
    else
      c.check_history(hist_multi, 'Q', is_orig);
  } else if (bits == 1) {
    if (syn) {
      char code = (flags & th_ack) ? 'H' : 'S';
      if (c.check_history(hist_syn, code, is_orig) && rel != e.hist_last_syn)
        c.add_history(is_orig ? code : static_cast<char>(code + 32));
      e.hist_last_syn = rel;
    }
    if (fin) {
      std::int64_t at = rel + len;
      if (c.check_history(hist_fin, 'F', is_orig) && at != e.hist_last_fin)
        c.add_history(is_orig ? 'F' : 'f');
      e.hist_last_fin = at;
    }
    if (rst) {
      if (c.check_history(hist_rst, 'R', is_orig) && rel != e.hist_last_rst)
        c.add_history(is_orig ? 'R' : 'r');
      e.hist_last_rst = rel;
    }
  } else {
    if (len != 0)
      c.check_history(hist_data, 'D', is_orig);
    else if (flags & th_ack)
      c.check_history(hist_ack, 'A', is_orig);
  }
}

std::int64_t update_last_seq(conn& c, endpoint& e, bool is_orig, std::int64_t one_past,
                             std::uint8_t flags, std::uint32_t len) noexcept {
  std::int64_t delta = one_past - e.last;
  bool syn = flags & th_syn, rst = flags & th_rst, fin = flags & th_fin;
  if ((syn || rst) && (delta > too_large_seq_delta || delta < -too_large_seq_delta)) {
    // distrust
  } else if (fin && e.last == e.start + 1) {
    e.last = one_past;
  } else if (e.state == tcp_state::reset) {
    // no trust after a reset
  } else if (delta > 0) {
    e.last = one_past;
  } else if (len > 0) {
    c.scaled_history('T', is_orig, e.rxmt_cnt, e.rxmt_thresh);
  }
  return delta;
}

void flip_roles(conn& c) noexcept {
  std::swap(c.orig_h, c.resp_h);
  std::swap(c.orig_p, c.resp_p);
  std::swap(c.ep[0], c.ep[1]);
  c.hist_seen = (c.hist_seen >> 16) | (c.hist_seen << 16);
  c.add_history('^');
}

// Returns do_close.
bool state_machine(conn& c, bool& is_orig, std::uint8_t flags, std::uint32_t seq, std::uint32_t len,
                   std::int64_t delta_last) noexcept {
  endpoint* e = &c.ep[is_orig ? 0 : 1];
  endpoint* peer = &c.ep[is_orig ? 1 : 0];
  bool syn = flags & th_syn, fin = flags & th_fin, rst = flags & th_rst, ack = flags & th_ack;
  bool do_close = false;
  switch (e->state) {
    case tcp_state::inactive: {
      if (syn) {
        if (is_orig) {
          e->set_state(ack ? tcp_state::syn_ack_sent : tcp_state::syn_sent);
        } else {
          if (!ack && peer->state == tcp_state::syn_ack_sent && seq == e->start_raw) {
            // SYN / SYN-ACK reversal: turn the connection around.
            flip_roles(c);
            is_orig = !is_orig;
            e = &c.ep[is_orig ? 0 : 1];
            peer = &c.ep[is_orig ? 1 : 0];
            peer->set_state(tcp_state::established);
          }
          if (peer->state == tcp_state::syn_sent) peer->set_state(tcp_state::established);
          e->set_state(tcp_state::established);
        }
      }
      if (fin) {
        e->set_state(tcp_state::closed);
        do_close = true;
      }
      if (rst) {
        e->set_state(tcp_state::reset);
        do_close = true;
      }
      if (e->state == tcp_state::inactive) {
        if (!is_orig && len == 0 && c.ep[0].state == tcp_state::syn_sent) {
          // an ack of the SYN before the SYN-ACK: not a partial connection
        } else {
          e->set_state(tcp_state::partial);
        }
      }
      break;
    }
    case tcp_state::syn_sent:
    case tcp_state::syn_ack_sent:
      if (fin) {
        e->set_state(tcp_state::closed);
        do_close = true;
      }
      if (rst) {
        e->set_state(tcp_state::reset);
        do_close = true;
      }
      break;
    case tcp_state::established:
    case tcp_state::partial:
      if (syn && e->state == tcp_state::partial && peer->state == tcp_state::inactive && !ack) {
        e->set_state(tcp_state::syn_sent);
      }
      if (fin && !rst) {
        e->set_state(tcp_state::closed);
        do_close = true;
      }
      if (rst) {
        e->set_state(tcp_state::reset);
        do_close = true;
      }
      break;
    case tcp_state::closed:
      if (rst && peer->state != tcp_state::closed) {
        e->set_state(tcp_state::reset);
        if (!e->did_close) do_close = true;
      }
      break;
    case tcp_state::reset: break;
  }
  (void)delta_last;
  return do_close;
}

}  // namespace

void tcp_update(conn& c, bool is_orig, const tcp_segment& s, std::int64_t ts) noexcept {
  endpoint& e = c.ep[is_orig ? 0 : 1];
  endpoint& peer = c.ep[is_orig ? 1 : 0];
  std::uint8_t flags = s.flags;
  std::uint32_t seq_len = s.len + ((flags & th_syn) ? 1 : 0) + ((flags & th_fin) ? 1 : 0);
  std::uint32_t one_past_raw = s.seq + seq_len;
  init_endpoint(e, flags, s.seq, one_past_raw);
  std::int64_t seq64 = unwrap(e.last, s.seq);
  std::int64_t rel = seq64 - e.start;
  update_history(c, e, is_orig, flags, rel, s.len);
  if (s.window == 0 && !(flags & th_syn) && !(flags & th_rst) && peer.state != tcp_state::reset) {
    c.scaled_history('W', is_orig, e.win0_cnt, e.win0_thresh);
  }
  if (!c.ep[0].did_close || !c.ep[1].did_close) c.last_ns = ts;
  if (flags & th_fin) ++e.fin_cnt;
  if (flags & th_ack) {
    if (peer.state == tcp_state::inactive) {
      init_seqs(peer, s.ack - 1, s.ack - 1);
    } else if (!(flags & th_rst)) {
      std::int64_t a = unwrap(peer.ack, s.ack);
      std::int64_t d = a - peer.ack;
      if (!(s.ack == 0 && d > too_large_seq_delta) && d > 0 && a >= peer.start) peer.ack = a;
    }
  }
  std::int64_t one_past = seq64 + seq_len;
  std::int64_t delta_last = update_last_seq(c, e, is_orig, one_past, flags, s.len);
  bool orig = is_orig;
  bool do_close = state_machine(c, orig, flags, s.seq, s.len, delta_last);
  if (do_close) {
    endpoint& closer = c.ep[orig ? 0 : 1];
    closer.did_close = true;
    if (c.close_ns == 0) c.close_ns = ts;
  }
}

bool tcp_is_reuse(const conn& c, bool is_orig, const tcp_segment& s) noexcept {
  if (!(s.flags & th_syn)) return false;
  const endpoint* conn_orig = &c.ep[0];
  if (s.flags & th_ack) {
    if (c.ep[0].state != tcp_state::inactive) return false;
    conn_orig = &c.ep[1];
  }
  (void)is_orig;
  if (!c.ep[0].did_close && !c.ep[1].did_close) return false;
  if (s.seq == conn_orig->start_raw) return false;
  return true;
}

std::uint64_t tcp_size(const conn& c, int i) noexcept {
  const endpoint& e = c.ep[i];
  const endpoint& peer = c.ep[1 - i];
  bool no_data_acked = e.ack == e.start || e.ack == e.start + 1;
  if (e.prev_state == tcp_state::syn_sent && e.state == tcp_state::reset &&
      peer.state == tcp_state::inactive && !no_data_acked)
    return 0;
  std::int64_t top = std::max(e.ack, e.last);
  std::int64_t size = top - e.start;
  if (size <= 0) return 0;
  --size;
  if (e.fin_cnt > 0 && size != 0) --size;
  return static_cast<std::uint64_t>(size);
}

const char* conn_state_name(const conn& c) noexcept {
  if (c.proto == 6) {
    tcp_state os = c.ep[0].state, rs = c.ep[1].state;
    bool o_inactive = os == tcp_state::inactive || os == tcp_state::partial;
    bool r_inactive = rs == tcp_state::inactive || rs == tcp_state::partial;
    if (rs == tcp_state::reset) {
      if (os == tcp_state::syn_sent || os == tcp_state::syn_ack_sent ||
          (os == tcp_state::reset && tcp_size(c, 0) == 0 && tcp_size(c, 1) == 0))
        return "REJ";
      if (o_inactive) return "RSTRH";
      return "RSTR";
    }
    if (os == tcp_state::reset) {
      if (r_inactive) {
        // history matches ^?S[^HAFGIQ]*R.*
        std::size_t i = 0;
        if (i < c.hist_len && c.hist[i] == '^') ++i;
        if (i < c.hist_len && c.hist[i] == 'S') {
          for (++i; i < c.hist_len; ++i) {
            char h = c.hist[i];
            if (h == 'R') return "RSTOS0";
            if (h == 'H' || h == 'A' || h == 'F' || h == 'G' || h == 'I' || h == 'Q') break;
          }
        }
        return "OTH";
      }
      return "RSTO";
    }
    if (rs == tcp_state::closed && os == tcp_state::closed) return "SF";
    if (os == tcp_state::closed) return r_inactive ? "SH" : "S2";
    if (rs == tcp_state::closed) return o_inactive ? "SHR" : "S3";
    if (os == tcp_state::syn_sent && rs == tcp_state::inactive) return "S0";
    if (os == tcp_state::established && rs == tcp_state::established) return "S1";
    return "OTH";
  }
  if (c.proto == 17) {
    bool oa = c.ep[0].pkts > 0, ra = c.ep[1].pkts > 0;
    if (oa) return ra ? "SF" : "S0";
    return ra ? "SHR" : "OTH";
  }
  return "OTH";
}

}  // namespace coop::sensor::detail
