// Internal: a tracked connection and its two endpoints, with the state Zeek
// keeps for conn.log (TCP endpoint states, sequence-space sizes, history
// letters with their repeat and logarithmic rules). Single-threaded.
#pragma once

#include <cstdint>
#include <memory>

#include "decode/decoded.h"

namespace coop::sensor::detail {

struct app_state;  // analyzers/app_state.h: analyzer and stream reassembly

/// Zeek's TCP endpoint states (UDP uses inactive/established as inactive/active).
enum class tcp_state : std::uint8_t {
  inactive,
  syn_sent,
  syn_ack_sent,
  partial,
  established,
  closed,
  reset
};

/// One direction of a connection.
struct endpoint {
  std::uint64_t pkts = 0;
  std::uint64_t ip_bytes = 0;
  std::uint64_t size = 0;          ///< UDP/ICMP payload bytes.
  std::uint64_t payload_seen = 0;  ///< Payload bytes seen (packet cut-off).
  std::uint64_t missed = 0;        ///< Bytes acknowledged but never seen (gaps).
  tcp_state state = tcp_state::inactive;
  tcp_state prev_state = tcp_state::inactive;
  bool did_close = false;
  std::uint32_t start_raw = 0;  ///< Raw initial sequence number.
  std::int64_t start = 0;       ///< Unwrapped sequence numbers.
  std::int64_t last = 0;
  std::int64_t ack = 0;
  std::uint32_t fin_cnt = 0;
  std::int64_t hist_last_syn = INT64_MIN;
  std::int64_t hist_last_fin = INT64_MIN;
  std::int64_t hist_last_rst = INT64_MIN;
  std::uint32_t rxmt_cnt = 0, rxmt_thresh = 1;
  std::uint32_t win0_cnt = 0, win0_thresh = 1;
  std::uint32_t gap_cnt = 0, gap_thresh = 1;
  std::uint32_t chk_cnt = 0, chk_thresh = 1;

  void set_state(tcp_state s) noexcept {
    if (s != state) {
      prev_state = state;
      state = s;
    }
  }
};

/// Canonical key: the lower (address, port) pair first.
struct conn_key {
  ip_addr a;
  ip_addr b;
  std::uint16_t pa = 0;
  std::uint16_t pb = 0;
  std::uint8_t proto = 0;  ///< 6, 17, 1 (ICMP) or 58 (ICMPv6).
  friend bool operator==(const conn_key&, const conn_key&) = default;
};

/// History bits (originator; the responder's are shifted left by 16).
enum hist_bit : std::uint32_t {
  hist_syn = 1u << 0,
  hist_fin = 1u << 1,
  hist_rst = 1u << 2,
  hist_fin_rst = 1u << 3,
  hist_data = 1u << 4,
  hist_ack = 1u << 5,
  hist_multi = 1u << 6,
};

/// One connection.
struct conn {
  conn_key key;
  ip_addr orig_h;
  ip_addr resp_h;
  std::uint16_t orig_p = 0;
  std::uint16_t resp_p = 0;
  std::uint8_t proto = 0;
  bool v6 = false;
  bool in_use = false;
  bool tunnelled = false;
  std::uint16_t vlan = 0;
  std::uint16_t inner_vlan = 0;
  std::uint8_t lru = 0;  ///< Which timeout list it is on (0 tcp, 1 udp, 2 icmp).
  std::uint8_t hist_len = 0;
  char hist[46] = {};
  std::uint32_t hist_seen = 0;
  std::int64_t start_ns = 0;
  std::int64_t last_ns = 0;     ///< Last time counted in the duration.
  std::int64_t active_ns = 0;   ///< Last packet of any kind (inactivity).
  std::int64_t attempt_ns = 0;  ///< Zeek's attempt timer (S0 cut-off), 0 if none.
  std::int64_t close_ns = 0;    ///< When it closed (deletion after a delay), 0 if open.
  std::uint64_t serial = 0;     ///< For the uid.
  ip_addr tunnel_src;
  ip_addr tunnel_dst;
  endpoint ep[2];                  ///< [0] originator, [1] responder.
  std::unique_ptr<app_state> app;  // null until payload is seen
  std::uint32_t prev = 0;          ///< LRU links (pool index + 1; 0 = none).
  std::uint32_t next = 0;

  void add_history(char c) noexcept {
    if (hist_len < sizeof(hist)) hist[hist_len++] = c;
  }
  /// Zeek's CheckHistory: records `code` the first time `mask` is seen;
  /// returns true when it had been seen before.
  bool check_history(std::uint32_t mask, char code, bool is_orig) noexcept {
    if (!is_orig) {
      mask <<= 16;
      code = static_cast<char>(code - 'A' + 'a');
    }
    if ((hist_seen & mask) == 0) {
      hist_seen |= mask;
      add_history(code);
      return false;
    }
    return true;
  }
  /// Zeek's ScaledHistoryEntry: the letter at the 1st, 10th, 100th... time.
  void scaled_history(char code, bool is_orig, std::uint32_t& cnt, std::uint32_t& thresh) noexcept {
    if (++cnt == thresh) {
      add_history(is_orig ? code : static_cast<char>(code - 'A' + 'a'));
      std::uint64_t nt = std::uint64_t{thresh} * 10;
      if (nt > UINT32_MAX)
        cnt = 0;
      else
        thresh = static_cast<std::uint32_t>(nt);
    }
  }
};

/// A TCP segment's header fields.
struct tcp_segment {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint32_t len = 0;  ///< Payload length on the wire.
};

inline constexpr std::uint8_t th_fin = 0x01, th_syn = 0x02, th_rst = 0x04, th_ack = 0x10;

/// Updates `c` with a TCP segment from the originator (is_orig) or responder,
/// following Zeek's TCP analyzer. `ts` is the packet time.
void tcp_update(conn& c, bool is_orig, const tcp_segment& s, std::int64_t ts) noexcept;
/// Zeek's IsReuse: a new SYN on a closed connection starts a new one.
bool tcp_is_reuse(const conn& c, bool is_orig, const tcp_segment& s) noexcept;
/// Sequence-space payload size of endpoint i, as Zeek's TCP_Endpoint::Size.
std::uint64_t tcp_size(const conn& c, int i) noexcept;
/// conn_state as Zeek's conn/main.zeek computes it.
const char* conn_state_name(const conn& c) noexcept;

}  // namespace coop::sensor::detail
