// Fragment reassembly: ranges received kept sorted; bytes written only into
// gaps; conflicting overlaps drop the datagram; memory bounded by bytes and
// datagram count, oldest evicted first; datagrams older than 30 s expire.
#include "decode/fragments.h"

#include <algorithm>
#include <cstring>

namespace coop::sensor::detail {

namespace {
constexpr std::uint32_t max_datagram = 65535;
constexpr std::int64_t frag_timeout_ns = 30'000'000'000;
}  // namespace

void reassembler::drop(std::map<frag_key, partial>::iterator it) {
  held_ -= it->second.buf.capacity();
  parts_.erase(it);
}

void reassembler::expire(std::int64_t now_ns) {
  if (order_.size() > 4 * max_datagrams_ + 1024) {
    // Drop entries of datagrams already completed or dropped.
    std::deque<std::pair<std::int64_t, frag_key>> live;
    for (auto& e : order_) {
      auto it = parts_.find(e.second);
      if (it != parts_.end() && it->second.first_ns == e.first) live.push_back(e);
    }
    order_.swap(live);
  }
  while (!order_.empty()) {
    auto& [ts, key] = order_.front();
    auto it = parts_.find(key);
    if (it == parts_.end() || it->second.first_ns != ts) {  // already gone
      order_.pop_front();
      continue;
    }
    bool too_old = now_ns - ts > frag_timeout_ns;
    bool over = held_ > max_bytes_ || parts_.size() > max_datagrams_;
    if (!too_old && !over) break;
    ++drops;
    drop(it);
    order_.pop_front();
  }
}

std::span<const std::uint8_t> reassembler::add(const frag_key& k, std::int64_t ts_ns,
                                               std::uint32_t offset, bool more,
                                               std::span<const std::uint8_t> data) {
  auto len = static_cast<std::uint32_t>(data.size());
  std::uint32_t end = offset + len;
  if (end > max_datagram || (more && len == 0)) {
    auto it = parts_.find(k);
    if (it != parts_.end()) {
      ++drops;
      drop(it);
    }
    return {};
  }
  auto [it, fresh] = parts_.try_emplace(k);
  partial& p = it->second;
  if (fresh) {
    p.first_ns = ts_ns;
    order_.emplace_back(ts_ns, k);
  }
  if (!more) {
    if (p.have_last && p.total != end) {  // two different ends: inconsistent
      ++drops;
      drop(it);
      return {};
    }
    p.have_last = true;
    p.total = end;
  }
  if (p.have_last && end > p.total) {
    ++drops;
    drop(it);
    return {};
  }
  if (p.buf.size() < end) {
    std::size_t before = p.buf.capacity();
    p.buf.resize(end);
    held_ += p.buf.capacity() - before;
  }
  // Write only into the gaps; compare the overlapping bytes.
  std::uint32_t pos = offset;
  for (const auto& [b, e] : p.have) {
    if (e <= pos) continue;
    if (b >= end) break;
    if (b > pos) std::memcpy(p.buf.data() + pos, data.data() + (pos - offset), b - pos);
    std::uint32_t ob = std::max(b, pos);
    std::uint32_t oe = std::min(e, end);
    if (ob < oe && std::memcmp(p.buf.data() + ob, data.data() + (ob - offset), oe - ob) != 0) {
      ++drops;  // overlapping fragments disagree: refuse the datagram
      drop(it);
      return {};
    }
    pos = std::max(pos, e);
    if (pos >= end) break;
  }
  if (pos < end) std::memcpy(p.buf.data() + pos, data.data() + (pos - offset), end - pos);
  // Merge the range.
  p.have.emplace_back(offset, end);
  std::sort(p.have.begin(), p.have.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
  merged.reserve(p.have.size());
  for (const auto& r : p.have) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  p.have.swap(merged);
  if (p.have_last && p.have.size() == 1 && p.have[0].first == 0 && p.have[0].second == p.total) {
    out_.assign(p.buf.begin(), p.buf.begin() + p.total);
    ++completed;
    drop(it);
    expire(ts_ns);
    return {out_.data(), out_.size()};
  }
  expire(ts_ns);
  return {};
}

}  // namespace coop::sensor::detail
