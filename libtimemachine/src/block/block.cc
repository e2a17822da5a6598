#include "block/block.h"

#include <zdict.h>
#include <zlib.h>
// For ZSTD_c_literalCompressionMode, an experimental parameter (zstd 1.5.1
// and later; zstd.h and libzstd come from the same package). Without it, or
// were it refused, literals are coded as before, which every reader decodes.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "block/crc32c.h"
#include "block/record.h"
#include "block/endian.h"

namespace coop::tm::detail {

namespace {

// Extends `crc` over `s` with the block's checksum (block_header::checksum).
std::uint32_t crc_add(std::uint8_t kind, std::uint32_t crc, std::string_view s) {
  if (kind == block_header::checksum_crc32c) return crc32c(crc, s);
  return static_cast<std::uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// The block CRC covers every header field but itself (bytes 4..19 and
// 24..47), then the stored bytes.
std::uint32_t block_crc(std::uint8_t kind, std::string_view header, std::string_view stored) {
  std::uint32_t crc = crc_add(kind, 0, header.substr(4, 16));
  crc = crc_add(kind, crc, header.substr(24, 24));
  return crc_add(kind, crc, stored);
}

// The table CRC covers the header but both CRCs (bytes 4..19 and 24..43),
// then the frame table.
std::uint32_t table_crc(std::uint8_t kind, std::string_view header, std::string_view table) {
  std::uint32_t crc = crc_add(kind, 0, header.substr(4, 16));
  crc = crc_add(kind, crc, header.substr(24, 20));
  return crc_add(kind, crc, table);
}

model::error damaged(std::string_view where, const std::string& what) {
  return {model::errc::corruption, std::string(where) + ": damaged block: " + what};
}

// The header fields, read without any check.
block_header read_header(std::string_view s) {
  block_header h;
  h.compression = static_cast<std::uint8_t>(s[4]);
  h.checksum = static_cast<std::uint8_t>(s[5]);
  h.events = get_le32(s, 8);
  h.raw_bytes = get_le32(s, 12);
  h.stored_bytes = get_le32(s, 16);
  h.crc = get_le32(s, 20);
  h.min_ts = static_cast<std::int64_t>(get_le64(s, 24));
  h.max_ts = static_cast<std::int64_t>(get_le64(s, 32));
  h.frames = static_cast<std::uint16_t>(static_cast<unsigned char>(s[40]) |
                                        (static_cast<unsigned char>(s[41]) << 8));
  h.frame_records = static_cast<std::uint16_t>(static_cast<unsigned char>(s[42]) |
                                               (static_cast<unsigned char>(s[43]) << 8));
  h.table_crc = get_le32(s, 44);
  return h;
}

// The checks that need no CRC: size, magic, compression, sizes.
model::result<block_header> basic_checks(std::string_view stored, std::string_view where) {
  if (stored.size() < block_header::size) {
    return damaged(where, "only " + std::to_string(stored.size()) + " bytes, header needs " +
                              std::to_string(block_header::size));
  }
  if (get_le32(stored, 0) != block_header::magic) return damaged(where, "bad magic at byte 0");
  block_header h = read_header(stored);
  if (h.compression > 2) {
    return damaged(where, "unknown compression " + std::to_string(h.compression) + " at byte 4");
  }
  if (h.checksum > block_header::checksum_crc32c) {
    return damaged(where, "unknown checksum " + std::to_string(h.checksum) + " at byte 5");
  }
  if (h.stored_bytes != stored.size() - block_header::size) {
    return damaged(where, "header says " + std::to_string(h.stored_bytes) + " stored bytes, " +
                              std::to_string(stored.size() - block_header::size) + " present");
  }
  if (h.raw_bytes > max_block_raw_bytes) {
    return damaged(where, "decompressed size " + std::to_string(h.raw_bytes) + " over the limit");
  }
  return h;
}

// Parses the frame table of a block whose header passed basic_checks.
model::result<void> parse_table(std::string_view stored, const block_header& h,
                                std::string_view where, block_frames& b) {
  b.header = h;
  b.stored = stored;
  b.offset.clear();
  b.packed.clear();
  b.raw.clear();
  b.crc.clear();
  const std::size_t table = std::size_t{h.frames} * block_header::frame_entry;
  if (table > h.stored_bytes) {
    return damaged(where, std::to_string(h.frames) + " frames do not fit in the block");
  }
  std::uint64_t want_frames =
      h.frame_records == 0 ? 0 : (std::uint64_t{h.events} + h.frame_records - 1) / h.frame_records;
  if ((h.events > 0 && h.frame_records == 0) || want_frames != h.frames) {
    return damaged(where, std::to_string(h.frames) + " frames of " +
                              std::to_string(h.frame_records) + " records cannot hold " +
                              std::to_string(h.events) + " records");
  }
  std::uint64_t at = block_header::size + table;
  std::uint64_t raw_total = 0;
  for (std::size_t f = 0; f < h.frames; ++f) {
    std::size_t e = block_header::size + f * block_header::frame_entry;
    std::uint32_t packed = get_le32(stored, e);
    std::uint32_t raw = get_le32(stored, e + 4);
    b.offset.push_back(static_cast<std::uint32_t>(at));
    b.packed.push_back(packed);
    b.raw.push_back(raw);
    b.crc.push_back(get_le32(stored, e + 8));
    at += packed;
    raw_total += raw;
    if (h.compression == 0 && packed != raw) {
      return damaged(where, "uncompressed frame " + std::to_string(f) + " with mismatched sizes");
    }
  }
  if (at != stored.size() || raw_total != h.raw_bytes) {
    return damaged(where, "frame table does not add up to the block's sizes");
  }
  return {};
}

}  // namespace

std::vector<std::size_t> frame_cuts(std::string_view payload, std::uint32_t records,
                                    std::uint16_t frame_records) {
  frame_records = std::max<std::uint16_t>(frame_records, 1);
  // A payload that does not parse ends in one last frame.
  std::vector<std::size_t> cuts{0};
  std::size_t pos = 0;
  for (std::uint32_t r = 0; r < records && pos < payload.size(); ++r) {
    if (payload.size() - pos < 4) {
      pos = payload.size();
      break;
    }
    std::size_t len = get_le32(payload, pos) & record_length_mask;
    pos = len > payload.size() - pos - 4 ? payload.size() : pos + 4 + len;
    if ((r + 1) % frame_records == 0 && r + 1 < records && pos < payload.size()) {
      cuts.push_back(pos);
    }
  }
  cuts.push_back(payload.size());
  return cuts;
}

// --- block_dictionary -------------------------------------------------------

model::result<std::shared_ptr<const block_dictionary>> block_dictionary::make(std::string bytes,
                                                                               int level) {
  std::shared_ptr<block_dictionary> d(new block_dictionary());
  d->bytes_ = std::move(bytes);
  d->level_ = level;
  d->cdict_ = ZSTD_createCDict(d->bytes_.data(), d->bytes_.size(), std::max(level, 1));
  d->ddict_ = ZSTD_createDDict(d->bytes_.data(), d->bytes_.size());
  if (d->cdict_ == nullptr || d->ddict_ == nullptr) {
    return model::error{model::errc::corruption, "zstd refuses the dictionary"};
  }
  return std::shared_ptr<const block_dictionary>(std::move(d));
}

std::optional<std::string> block_dictionary::train(const std::vector<std::string_view>& samples,
                                                   std::size_t capacity) {
  std::string all;
  std::vector<std::size_t> sizes;
  for (auto s : samples) {
    all.append(s);
    sizes.push_back(s.size());
  }
  // zstd needs many samples and several times the dictionary's size.
  if (sizes.size() < 32 || all.size() < 8 * capacity) return std::nullopt;
  std::string dict(capacity, '\0');
  std::size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), all.data(), sizes.data(),
                                        static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) return std::nullopt;
  dict.resize(n);
  return dict;
}

block_dictionary::~block_dictionary() {
  ZSTD_freeCDict(cdict_);
  ZSTD_freeDDict(ddict_);
}

// --- block_codec --------------------------------------------------------------

// The contexts are created on first use: a reader never needs cctx_.
block_codec::block_codec() = default;
block_codec::~block_codec() {
  ZSTD_freeCCtx(cctx_);
  ZSTD_freeDCtx(dctx_);
}
block_codec::block_codec(block_codec&& o) noexcept : cctx_(o.cctx_), dctx_(o.dctx_) {
  o.cctx_ = nullptr;
  o.dctx_ = nullptr;
}
block_codec& block_codec::operator=(block_codec&& o) noexcept {
  std::swap(cctx_, o.cctx_);
  std::swap(dctx_, o.dctx_);
  return *this;
}

std::string block_codec::seal(std::string_view payload, std::uint32_t records, std::int64_t min_ts,
                              std::int64_t max_ts, int level, const block_dictionary* dict,
                              std::uint16_t frame_records) {
  frame_records = std::max<std::uint16_t>(frame_records, 1);
  std::vector<std::size_t> cuts = frame_cuts(payload, records, frame_records);
  const std::size_t frames = records == 0 ? 0 : cuts.size() - 1;

  std::uint8_t compression = 0;
  std::string body;
  std::vector<std::uint32_t> packed(frames);
  if (cctx_ == nullptr) cctx_ = ZSTD_createCCtx();
  if (level != 0 && frames > 0 && cctx_ != nullptr) {
    ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
    // The frame table holds the sizes and the block the dictionary:
    // nothing of it needs repeating in every frame.
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_dictIDFlag, 0);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);
    // A block of several frames is read a frame at a time by lookups, and
    // Huffman-coded literals cost more than half of decompressing a small
    // frame (docs/timemachine.md, "Blocks"): its literals are stored as
    // they are. A single-frame block keeps them coded.
#if ZSTD_VERSION_NUMBER >= 10501
    (void)ZSTD_CCtx_setParameter(cctx_, ZSTD_c_literalCompressionMode,
                                 frames > 1 ? ZSTD_ps_disable : ZSTD_ps_auto);
#endif
    ZSTD_CCtx_refCDict(cctx_, dict != nullptr ? dict->cdict() : nullptr);
    bool ok = true;
    for (std::size_t f = 0; f < frames && ok; ++f) {
      std::string_view in = payload.substr(cuts[f], cuts[f + 1] - cuts[f]);
      std::size_t start = body.size();
      std::size_t bound = ZSTD_compressBound(in.size());
      body.resize(start + bound);
      std::size_t n = ZSTD_compress2(cctx_, body.data() + start, bound, in.data(), in.size());
      ok = !ZSTD_isError(n);
      body.resize(ok ? start + n : start);
      packed[f] = static_cast<std::uint32_t>(n);
    }
    if (ok && body.size() < payload.size()) compression = dict != nullptr ? 2 : 1;
  }
  if (compression == 0) {
    body.assign(payload);
    for (std::size_t f = 0; f < frames; ++f) {
      packed[f] = static_cast<std::uint32_t>(cuts[f + 1] - cuts[f]);
    }
  }
  std::string h;
  put_le32(h, block_header::magic);
  h.push_back(static_cast<char>(compression));
  h.push_back(static_cast<char>(block_header::checksum_crc32c));
  h.append(2, '\0');
  put_le32(h, records);
  put_le32(h, static_cast<std::uint32_t>(payload.size()));
  std::string table;
  std::size_t at = 0;
  for (std::size_t f = 0; f < frames; ++f) {
    put_le32(table, packed[f]);
    put_le32(table, static_cast<std::uint32_t>(cuts[f + 1] - cuts[f]));
    const std::string_view frame = std::string_view(body).substr(at, packed[f]);
    put_le32(table, crc_add(block_header::checksum_crc32c, 0, frame));
    at += packed[f];
  }
  put_le32(h, static_cast<std::uint32_t>(table.size() + body.size()));
  put_le32(h, 0);  // the block CRC, computed below
  put_le64(h, static_cast<std::uint64_t>(min_ts));
  put_le64(h, static_cast<std::uint64_t>(max_ts));
  h.push_back(static_cast<char>(frames & 0xff));
  h.push_back(static_cast<char>(frames >> 8));
  h.push_back(static_cast<char>(frame_records & 0xff));
  h.push_back(static_cast<char>(frame_records >> 8));
  put_le32(h, table_crc(block_header::checksum_crc32c, h, table));
  std::string out = std::move(h);
  out += table;
  out += body;
  std::string c;
  put_le32(c, block_crc(block_header::checksum_crc32c, out,
                        std::string_view(out).substr(block_header::size)));
  out.replace(20, 4, c);
  return out;
}

std::string block_codec::decompress(std::string_view in, std::uint8_t compression,
                                    const block_dictionary* dict, char* out, std::size_t raw) {
  if (compression == 0) {
    if (!in.empty()) std::memcpy(out, in.data(), in.size());
    return {};
  }
  if (dctx_ == nullptr) dctx_ = ZSTD_createDCtx();
  if (dctx_ == nullptr) return "out of memory for a zstd context";
  if (compression == 2 && dict == nullptr) {
    return "compressed with the partition's dictionary, which is missing or damaged";
  }
  // A referenced DDict is faster per frame than ZSTD_decompress_usingDDict
  // (measured on 8-record frames); nullptr detaches the previous one.
  std::size_t n = ZSTD_DCtx_refDDict(dctx_, compression == 2 ? dict->ddict() : nullptr);
  if (!ZSTD_isError(n)) n = ZSTD_decompressDCtx(dctx_, out, raw, in.data(), in.size());
  if (ZSTD_isError(n)) return std::string("decompression failed: ") + ZSTD_getErrorName(n);
  if (n != raw) return "decompression failed: short output";
  return {};
}

model::result<void> block_codec::open(std::string_view stored, std::string_view where,
                                      const block_dictionary* dict, std::string& out) {
  auto h = check_block(stored, where);
  if (!h) return h.err();
  block_frames& b = table_;
  if (auto r = parse_table(stored, *h, where, b); !r) return r;
  out.resize(h->raw_bytes);
  std::size_t at = 0;
  for (std::size_t f = 0; f < b.offset.size(); ++f) {
    auto what = decompress(stored.substr(b.offset[f], b.packed[f]), h->compression, dict,
                           out.data() + at, b.raw[f]);
    if (!what.empty()) return damaged(where, what + " in frame " + std::to_string(f));
    at += b.raw[f];
  }
  return {};
}

model::result<void> block_codec::frames(std::string_view stored, std::string_view where,
                                        block_frames& out) {
  auto h = basic_checks(stored, where);
  if (!h) return h.err();
  const std::size_t table = std::size_t{h->frames} * block_header::frame_entry;
  if (table > h->stored_bytes) {
    return damaged(where, std::to_string(h->frames) + " frames do not fit in the block");
  }
  std::uint32_t crc = table_crc(h->checksum, stored.substr(0, block_header::size),
                                stored.substr(block_header::size, table));
  if (crc != h->table_crc) {
    return damaged(where, "frame table checksum mismatch (stored " + std::to_string(h->table_crc) +
                              ", computed " + std::to_string(crc) + ")");
  }
  return parse_table(stored, *h, where, out);
}

model::result<void> block_codec::frame(const block_frames& b, std::size_t f,
                                       std::string_view where, const block_dictionary* dict,
                                       std::string& out) {
  auto at = [&] { return std::string(where) + " frame " + std::to_string(f); };
  if (f >= b.offset.size()) return damaged(at(), "no such frame");
  std::string_view in = b.stored.substr(b.offset[f], b.packed[f]);
  std::uint32_t crc = crc_add(b.header.checksum, 0, in);
  if (crc != b.crc[f]) {
    return damaged(at(), "frame checksum mismatch (stored " + std::to_string(b.crc[f]) +
                             ", computed " + std::to_string(crc) + ")");
  }
  out.resize(b.raw[f]);
  auto what = decompress(in, b.header.compression, dict, out.data(), b.raw[f]);
  if (!what.empty()) return damaged(at(), what);
  return {};
}

model::result<block_header> check_block(std::string_view stored, std::string_view where) {
  auto h = basic_checks(stored, where);
  if (!h) return h;
  std::uint32_t crc = block_crc(h->checksum, stored.substr(0, block_header::size),
                                stored.substr(block_header::size));
  if (crc != h->crc) {
    return damaged(where, "checksum mismatch (stored " + std::to_string(h->crc) + ", computed " +
                              std::to_string(crc) + ")");
  }
  return h;
}

std::string seal_block(std::string_view payload, std::uint32_t events, std::int64_t min_ts,
                       std::int64_t max_ts, int level) {
  block_codec codec;
  return codec.seal(payload, events, min_ts, max_ts, level, nullptr);
}

model::result<void> open_block(std::string_view stored, std::string_view where, std::string& out,
                               const block_dictionary* dict) {
  block_codec codec;
  return codec.open(stored, where, dict, out);
}

}  // namespace coop::tm::detail
