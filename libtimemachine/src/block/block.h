// Stored blocks: up to 256 events of one class as stored records
// (block/record.h), cut into frames of a few records that are compressed with zstd
// independently (with the partition's dictionary when it has one), behind
// a header and a frame table. A CRC (CRC-32C since format 5) over the whole
// block is checked when the block is read whole; a CRC of the header and
// frame table and one per frame are checked when single frames are read
// (an index lookup), so
// corruption is detected and located before any decoding
// (docs/timemachine.md, "Blocks").
//
// Thread-safety: a block_dictionary is immutable and may be shared; a
// block_codec is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/result.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;
struct ZSTD_CDict_s;
struct ZSTD_DDict_s;

namespace coop::tm::detail {

/// The fixed header in front of every block (little-endian).
struct block_header {
  static constexpr std::size_t size = 48;
  static constexpr std::uint32_t magic = 0x32425443;  // "CTB2"
  static constexpr std::size_t frame_entry = 12;      // bytes per frame table entry
  static constexpr std::uint8_t checksum_crc32 = 0;   ///< checksum: zlib's CRC-32 (formats 2 to 4)
  static constexpr std::uint8_t checksum_crc32c = 1;  ///< checksum: CRC-32C (written since format 5)
  std::uint8_t compression = 0;   ///< 0 none, 1 zstd, 2 zstd with the partition's dictionary
  std::uint8_t checksum = 0;      ///< byte 5: which CRC the three checksums use (checksum_*)
  std::uint32_t events = 0;       ///< records in the block
  std::uint32_t raw_bytes = 0;    ///< size of the records once decompressed
  std::uint32_t stored_bytes = 0; ///< bytes after the header (frame table and frames)
  std::uint32_t crc = 0;          ///< CRC of header bytes 4..19 and 24..47, then the stored bytes
  std::int64_t min_ts = 0;        ///< smallest event ts (ns)
  std::int64_t max_ts = 0;        ///< largest event ts (ns)
  std::uint16_t frames = 0;       ///< frames in the block
  std::uint16_t frame_records = 0;  ///< records per frame (the last may hold fewer)
  std::uint32_t table_crc = 0;    ///< CRC of header bytes 4..19 and 24..43, then the frame table
};

/// Largest decompressed block accepted (a damaged header cannot make the
/// reader allocate more).
inline constexpr std::uint32_t max_block_raw_bytes = 256u << 20;

/// Records per frame written by seal().
/// 8: a lookup decompresses about 2.5 KB per record it reads, and with a
/// dictionary the blocks are about 4% larger than with 16 (measured on the
/// benchmark's campus traffic).
inline constexpr std::uint16_t default_frame_records = 8;

/// Where the frames of `records` stored records (`payload`, block/record.h) of
/// `frame_records` records each begin, then payload.size(): frame f is
/// [cuts[f], cuts[f + 1]).
std::vector<std::size_t> frame_cuts(std::string_view payload, std::uint32_t records,
                                    std::uint16_t frame_records = default_frame_records);

/// A zstd dictionary shared by the blocks of a partition, prepared once
/// for compression and decompression. Immutable.
class block_dictionary {
 public:
  /// Prepares `bytes` (from train(), or read back from a partition) for
  /// compression at `level`. Errors: corruption when zstd refuses it.
  static model::result<std::shared_ptr<const block_dictionary>> make(std::string bytes, int level);
  /// Trains a dictionary of at most `capacity` bytes on `samples` (frames'
  /// records); nullopt when there is too little to learn from.
  static std::optional<std::string> train(const std::vector<std::string_view>& samples,
                                          std::size_t capacity);
  ~block_dictionary();
  block_dictionary(const block_dictionary&) = delete;
  block_dictionary& operator=(const block_dictionary&) = delete;

  [[nodiscard]] const std::string& bytes() const noexcept { return bytes_; }
  /// The compression level the dictionary was prepared for.
  [[nodiscard]] int level() const noexcept { return level_; }
  [[nodiscard]] ZSTD_CDict_s* cdict() const noexcept { return cdict_; }
  [[nodiscard]] ZSTD_DDict_s* ddict() const noexcept { return ddict_; }

 private:
  block_dictionary() = default;
  std::string bytes_;
  int level_ = 0;
  ZSTD_CDict_s* cdict_ = nullptr;
  ZSTD_DDict_s* ddict_ = nullptr;
};

/// A block's header and frame table, checked (table CRC) but with the
/// frames not yet read: see block_codec::frames(). Views `stored`, which
/// must outlive it.
struct block_frames {
  block_header header;
  std::string_view stored;            ///< the whole block
  std::vector<std::uint32_t> offset;  ///< byte offset of each frame in `stored`
  std::vector<std::uint32_t> packed;  ///< stored size of each frame
  std::vector<std::uint32_t> raw;     ///< decompressed size of each frame
  std::vector<std::uint32_t> crc;     ///< CRC of each frame's stored bytes (header.checksum)
};

/// Compression and decompression contexts, reused between blocks. A
/// resource: move-only, one thread at a time.
class block_codec {
 public:
  block_codec();
  ~block_codec();
  block_codec(block_codec&&) noexcept;
  block_codec& operator=(block_codec&&) noexcept;
  block_codec(const block_codec&) = delete;
  block_codec& operator=(const block_codec&) = delete;

  /// Frames `records` stored records (`payload`, block/record.h) as a
  /// block: frames of `frame_records` records compressed with zstd at
  /// `level` (with `dict` when given; 0: stored uncompressed) unless
  /// compression does not help.
  std::string seal(std::string_view payload, std::uint32_t records, std::int64_t min_ts,
                   std::int64_t max_ts, int level, const block_dictionary* dict,
                   std::uint16_t frame_records = default_frame_records);

  /// Checks the whole of `stored` (block CRC) and decompresses every frame
  /// into `out` (capacity reused). `dict` is the partition's dictionary
  /// (nullptr when it has none). Errors: corruption naming `where`.
  model::result<void> open(std::string_view stored, std::string_view where,
                           const block_dictionary* dict, std::string& out);

  /// Parses the header and frame table of `stored` into `out` (capacity
  /// reused) and checks the table CRC, without reading the frames.
  /// Errors: corruption naming `where`.
  static model::result<void> frames(std::string_view stored, std::string_view where,
                                    block_frames& out);

  /// Checks frame `f`'s CRC and decompresses it into `out`. Errors:
  /// corruption naming `where` and the frame.
  model::result<void> frame(const block_frames& b, std::size_t f, std::string_view where,
                            const block_dictionary* dict, std::string& out);

 private:
  // Decompresses one frame of `raw` bytes into `out`; what went wrong, or
  // an empty string.
  std::string decompress(std::string_view in, std::uint8_t compression,
                         const block_dictionary* dict, char* out, std::size_t raw);
  ZSTD_CCtx_s* cctx_ = nullptr;
  ZSTD_DCtx_s* dctx_ = nullptr;
  block_frames table_;  // open()'s frame table
};

/// Parses and checks the header of `stored` (sizes, magic, block CRC).
/// Errors: corruption naming `where` and what is wrong.
model::result<block_header> check_block(std::string_view stored, std::string_view where);

/// seal() with a fresh codec and no dictionary (tests and tools).
std::string seal_block(std::string_view payload, std::uint32_t events, std::int64_t min_ts,
                       std::int64_t max_ts, int level);

/// open() with a fresh codec (tests, tools, the fuzz target).
model::result<void> open_block(std::string_view stored, std::string_view where, std::string& out,
                               const block_dictionary* dict = nullptr);

}  // namespace coop::tm::detail
