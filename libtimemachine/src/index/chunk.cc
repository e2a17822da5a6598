#include "index/chunk.h"

#include <zlib.h>

#include <algorithm>
#include <cassert>

#include "block/endian.h"

namespace coop::tm::detail {

namespace {

constexpr std::size_t header_bytes = 8;  // CRC-32, entry count

void put_varint(std::string& out, std::uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads an LEB128 varint of at most 32 bits at `pos` of `s` (not past
// `end`); false when truncated or too long.
bool get_varint(std::string_view s, std::size_t& pos, std::size_t end, std::uint32_t& v) {
  std::uint64_t acc = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (pos >= end) return false;
    auto b = static_cast<unsigned char>(s[pos++]);
    acc |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) {
      if (acc > 0xffffffffu) return false;
      v = static_cast<std::uint32_t>(acc);
      return true;
    }
  }
  return false;
}

std::size_t common_prefix(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

std::uint32_t chunk_crc(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

std::uint32_t chunk_entry_count(std::string_view value) noexcept {
  return value.size() < header_bytes ? 0 : get_le32(value, 4);
}

std::string printable_key(std::string_view key) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  if (key.empty()) return "(empty)";
  out.push_back(key[0] >= 0x20 && key[0] < 0x7f ? key[0] : '?');
  for (std::size_t i = 1; i < key.size() && i < 48; ++i) {
    auto b = static_cast<unsigned char>(key[i]);
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  if (key.size() > 48) out += "...";
  return out;
}

// --- writer ------------------------------------------------------------

void chunk_writer::encode_entry(std::string& out, std::string_view prev, std::string_view key,
                                std::span<const std::uint32_t> postings) {
  std::size_t shared = common_prefix(prev, key);
  put_varint(out, static_cast<std::uint32_t>(shared));
  put_varint(out, static_cast<std::uint32_t>(key.size() - shared));
  out.append(key.substr(shared));
  put_varint(out, static_cast<std::uint32_t>(postings.size()));
  scratch_.clear();
  std::uint32_t before = 0;
  for (std::size_t i = 0; i < postings.size(); ++i) {
    put_varint(scratch_, i == 0 ? postings[i] : postings[i] - before);
    before = postings[i];
  }
  put_varint(out, static_cast<std::uint32_t>(scratch_.size()));
  out.append(scratch_);
}

void chunk_writer::start(std::string_view key) {
  first_.assign(key);
  last_.assign(key);
  body_.assign(header_bytes, '\0');
  entries_ = 0;
}

void chunk_writer::add(std::string_view key, std::span<const std::uint32_t> postings) {
  assert(!postings.empty() && key.size() <= chunk_max_key);
  if (entries_ == 0) start(key);
  std::size_t mark = body_.size();
  // The first entry of a chunk holds its whole key (checked against the
  // LMDB key the chunk is stored under).
  encode_entry(body_, entries_ == 0 ? std::string_view() : std::string_view(last_), key, postings);
  if (entries_ > 0 && body_.size() > target_) {
    // Over the target: close the chunk without this entry, which opens the
    // next one.
    body_.resize(mark);
    finish();
    start(key);
    encode_entry(body_, {}, key, postings);
  }
  last_.assign(key);
  ++entries_;
}

void chunk_writer::finish() {
  if (entries_ == 0) return;
  std::string count;
  put_le32(count, entries_);
  body_.replace(4, 4, count);
  std::string crc;
  put_le32(crc, chunk_crc(std::string_view(body_).substr(4)));
  body_.replace(0, 4, crc);
  done_.emplace_back(std::move(first_), std::move(body_));
  first_.clear();
  body_.clear();
  entries_ = 0;
}

std::pair<std::string, std::string> chunk_writer::take() {
  auto out = std::move(done_.front());
  done_.pop_front();
  return out;
}

// --- reader ------------------------------------------------------------

model::error chunk_reader::bad(std::size_t at, std::string_view why) const {
  return model::error{model::errc::corruption, "index chunk " + printable_key(first_) + ": " +
                                                   std::string(why) + " at byte " +
                                                   std::to_string(at)};
}

model::result<chunk_reader> chunk_reader::open(std::string_view first_key, std::string_view value) {
  chunk_reader r;
  r.first_ = first_key;
  r.v_ = value;
  if (first_key.empty() || first_key.size() > chunk_max_key) {
    return r.bad(0, "first key of " + std::to_string(first_key.size()) + " bytes");
  }
  if (value.size() < header_bytes + 4) {
    return r.bad(0, "chunk of " + std::to_string(value.size()) + " bytes is too short");
  }
  if (get_le32(value, 0) != chunk_crc(value.substr(4))) return r.bad(0, "CRC-32 mismatch");
  r.entries_ = get_le32(value, 4);
  // Each entry takes at least 5 bytes: a bound that needs no decoding.
  if (r.entries_ == 0 || r.entries_ > (value.size() - header_bytes) / 5) {
    return r.bad(4, "entry count " + std::to_string(r.entries_) + " does not fit the chunk");
  }
  r.pos_ = header_bytes;
  return r;
}

model::result<bool> chunk_reader::next() {
  if (seen_ == entries_) {
    if (pos_ != v_.size()) {
      return bad(pos_, std::to_string(v_.size() - pos_) + " bytes after the last entry");
    }
    return false;
  }
  const std::size_t at = pos_;
  std::uint32_t shared = 0, suffix = 0, count = 0, len = 0;
  if (!get_varint(v_, pos_, v_.size(), shared) || !get_varint(v_, pos_, v_.size(), suffix)) {
    return bad(at, "truncated entry header");
  }
  if (shared > key_.size()) {
    return bad(at, "entry shares " + std::to_string(shared) + " bytes with a key of " +
                       std::to_string(key_.size()));
  }
  if (suffix > v_.size() - pos_ || shared + std::uint64_t{suffix} > chunk_max_key) {
    return bad(at, "key suffix of " + std::to_string(suffix) + " bytes overruns the chunk");
  }
  std::string_view tail = v_.substr(pos_, suffix);
  // The first entry is the chunk's own key, whole; each later key is
  // greater than the one before it.
  if (seen_ == 0) {
    if (shared != 0 || tail != first_) return bad(at, "first entry is not the chunk's key");
  } else if (std::string_view(key_).substr(shared).compare(tail) >= 0) {
    return bad(at, "key out of order");
  }
  key_.resize(shared);
  key_.append(tail);
  pos_ += suffix;
  if (!get_varint(v_, pos_, v_.size(), count) || !get_varint(v_, pos_, v_.size(), len)) {
    return bad(at, "truncated posting count");
  }
  if (count == 0 || len < count || len > v_.size() - pos_ || len > std::uint64_t{count} * 5) {
    return bad(at,
               std::to_string(count) + " postings in " + std::to_string(len) + " bytes do not fit");
  }
  count_ = count;
  post_at_ = pos_;
  post_len_ = len;
  pos_ += len;
  ++seen_;
  return true;
}

model::result<void> chunk_reader::postings(std::vector<std::uint32_t>& out, unsigned shift) const {
  std::size_t p = post_at_;
  const std::size_t end = post_at_ + post_len_;
  std::uint32_t value = 0;
  for (std::uint32_t i = 0; i < count_; ++i) {
    std::uint32_t d = 0;
    if (!get_varint(v_, p, end, d)) return bad(p, "truncated posting");
    if (i > 0 && (d == 0 || d > 0xffffffffu - value)) return bad(p, "postings not increasing");
    value = i == 0 ? d : value + d;
    out.push_back(value >> shift);
  }
  if (p != end) return bad(p, "posting bytes left over");
  return {};
}

}  // namespace coop::tm::detail
