// Internal: IPv4 and IPv6 fragment reassembly under a memory bound.
// Overlapping fragments never overwrite bytes already received (first copy
// wins), so a later overlapping fragment cannot rewrite what an analyzer
// will see; a datagram whose overlaps disagree is dropped and counted.
// Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <vector>

#include "decode/decoded.h"

namespace coop::sensor::detail {

/// Identity of a datagram under reassembly.
struct frag_key {
  ip_addr src;
  ip_addr dst;
  std::uint32_t id = 0;
  std::uint8_t proto = 0;
  bool v6 = false;
  friend auto operator<=>(const frag_key&, const frag_key&) = default;
};

/// Reassembles fragments into complete transport payloads.
class reassembler {
 public:
  reassembler(std::size_t max_bytes, std::size_t max_datagrams) noexcept
      : max_bytes_(max_bytes), max_datagrams_(max_datagrams) {}

  /// Adds the fragment with transport-payload bytes `data` at byte `offset`;
  /// `more` is the MF flag. `header` is the IP header of the fragment with
  /// offset 0 (kept to rebuild the datagram). Returns the complete transport
  /// payload when this fragment completes it (valid until the next call),
  /// else an empty span.
  std::span<const std::uint8_t> add(const frag_key& k, std::int64_t ts_ns, std::uint32_t offset,
                                    bool more, std::span<const std::uint8_t> data);

  std::uint64_t drops = 0;      ///< Datagrams given up (limits, timeouts, conflicts).
  std::uint64_t completed = 0;  ///< Datagrams reassembled.
  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_; }
  [[nodiscard]] std::size_t held_datagrams() const noexcept { return parts_.size(); }

 private:
  struct partial {
    std::int64_t first_ns = 0;
    std::vector<std::uint8_t> buf;                              // payload bytes by offset
    std::vector<std::pair<std::uint32_t, std::uint32_t>> have;  // sorted [begin, end)
    std::uint32_t total = 0;                                    // known once the last fragment came
    bool have_last = false;
  };
  void drop(std::map<frag_key, partial>::iterator it);
  void expire(std::int64_t now_ns);

  std::size_t max_bytes_;
  std::size_t max_datagrams_;
  std::size_t held_ = 0;
  std::map<frag_key, partial> parts_;
  std::deque<std::pair<std::int64_t, frag_key>> order_;  // arrival order, for eviction
  std::vector<std::uint8_t> out_;
};

}  // namespace coop::sensor::detail
