#include "block/block.h"

#include <zlib.h>
#include <zstd.h>

#include "block/endian.h"

namespace coop::tm::detail {

namespace {

std::uint32_t crc_add(std::uint32_t crc, std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// The CRC covers every header field but the CRC itself (bytes 4..19 and
// 24..39), then the stored bytes.
std::uint32_t crc_of(std::string_view header, std::string_view stored) {
  std::uint32_t crc = crc_add(0, header.substr(4, 16));
  crc = crc_add(crc, header.substr(24, 16));
  return crc_add(crc, stored);
}

model::error damaged(std::string_view where, const std::string& what) {
  return {model::errc::corruption, std::string(where) + ": damaged block: " + what};
}

}  // namespace

std::string seal_block(std::string_view batch, std::uint32_t events, std::int64_t min_ts,
                       std::int64_t max_ts, int level) {
  std::string out;
  out.resize(block_header::size);
  std::uint8_t compression = 0;
  if (level != 0) {
    std::size_t bound = ZSTD_compressBound(batch.size());
    out.resize(block_header::size + bound);
    std::size_t n = ZSTD_compress(out.data() + block_header::size, bound, batch.data(), batch.size(),
                                  level);
    if (!ZSTD_isError(n) && n < batch.size()) {
      out.resize(block_header::size + n);
      compression = 1;
    }
  }
  if (compression == 0) {
    out.resize(block_header::size);
    out.append(batch);
  }
  std::string_view stored(out.data() + block_header::size, out.size() - block_header::size);
  std::string h;
  put_le32(h, block_header::magic);
  h.push_back(static_cast<char>(compression));
  h.append(3, '\0');
  put_le32(h, events);
  put_le32(h, static_cast<std::uint32_t>(batch.size()));
  put_le32(h, static_cast<std::uint32_t>(stored.size()));
  put_le32(h, 0);  // the CRC, computed below over the finished header
  put_le64(h, static_cast<std::uint64_t>(min_ts));
  put_le64(h, static_cast<std::uint64_t>(max_ts));
  std::uint32_t crc = crc_of(h, stored);
  std::string c;
  put_le32(c, crc);
  h.replace(20, 4, c);
  out.replace(0, block_header::size, h);
  return out;
}

model::result<block_header> check_block(std::string_view stored, std::string_view where) {
  if (stored.size() < block_header::size) {
    return damaged(where, "only " + std::to_string(stored.size()) + " bytes, header needs " +
                              std::to_string(block_header::size));
  }
  if (get_le32(stored, 0) != block_header::magic) return damaged(where, "bad magic at byte 0");
  block_header h;
  h.compression = static_cast<std::uint8_t>(stored[4]);
  h.events = get_le32(stored, 8);
  h.raw_bytes = get_le32(stored, 12);
  h.stored_bytes = get_le32(stored, 16);
  h.crc = get_le32(stored, 20);
  h.min_ts = static_cast<std::int64_t>(get_le64(stored, 24));
  h.max_ts = static_cast<std::int64_t>(get_le64(stored, 32));
  if (h.compression > 1) {
    return damaged(where, "unknown compression " + std::to_string(h.compression) + " at byte 4");
  }
  if (h.stored_bytes != stored.size() - block_header::size) {
    return damaged(where, "header says " + std::to_string(h.stored_bytes) + " stored bytes, " +
                              std::to_string(stored.size() - block_header::size) + " present");
  }
  if (h.raw_bytes > max_block_raw_bytes) {
    return damaged(where, "decompressed size " + std::to_string(h.raw_bytes) + " over the limit");
  }
  if (h.compression == 0 && h.raw_bytes != h.stored_bytes) {
    return damaged(where, "uncompressed block with mismatched sizes");
  }
  std::uint32_t crc = crc_of(stored.substr(0, block_header::size), stored.substr(block_header::size));
  if (crc != h.crc) {
    return damaged(where, "checksum mismatch (stored " + std::to_string(h.crc) + ", computed " +
                              std::to_string(crc) + ")");
  }
  return h;
}

model::result<void> open_block(std::string_view stored, std::string_view where, std::string& out) {
  auto h = check_block(stored, where);
  if (!h) return h.err();
  std::string_view payload = stored.substr(block_header::size);
  if (h->compression == 0) {
    out.assign(payload);
    return {};
  }
  out.resize(h->raw_bytes);
  std::size_t n = ZSTD_decompress(out.data(), out.size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != h->raw_bytes) {
    return damaged(where, std::string("decompression failed: ") +
                              (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short output"));
  }
  return {};
}

}  // namespace coop::tm::detail
