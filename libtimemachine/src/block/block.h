// Stored blocks: a group of events (one libevent-model batch message),
// compressed with zstd and framed by a header that carries a CRC-32 of the
// stored bytes, so corruption is detected and located before any decoding
// (docs/timemachine.md, "Blocks").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/result.h"

namespace coop::tm::detail {

/// The fixed header in front of every block (little-endian).
struct block_header {
  static constexpr std::size_t size = 40;
  static constexpr std::uint32_t magic = 0x31425443;  // "CTB1"
  std::uint8_t compression = 0;   ///< 0 none, 1 zstd
  std::uint32_t events = 0;       ///< events in the batch
  std::uint32_t raw_bytes = 0;    ///< size of the batch message once decompressed
  std::uint32_t stored_bytes = 0; ///< bytes after the header
  std::uint32_t crc = 0;          ///< CRC-32 (zlib) of header bytes 4..19 and 24..39, then the stored bytes
  std::int64_t min_ts = 0;        ///< smallest event ts (ns)
  std::int64_t max_ts = 0;        ///< largest event ts (ns)
};

/// Largest decompressed block accepted (a damaged header cannot make the
/// reader allocate more).
inline constexpr std::uint32_t max_block_raw_bytes = 256u << 20;

/// Frames the batch message `batch` as a block: compressed with zstd at
/// `level` (0: stored uncompressed) unless compression does not help.
std::string seal_block(std::string_view batch, std::uint32_t events, std::int64_t min_ts,
                       std::int64_t max_ts, int level);

/// Parses and checks the header of `stored` (sizes, magic, CRC).
/// Errors: corruption naming `where` and what is wrong.
model::result<block_header> check_block(std::string_view stored, std::string_view where);

/// Checks `stored` and returns the batch message it holds, decompressed
/// into `out` (whose capacity is reused). Errors: corruption naming `where`.
model::result<void> open_block(std::string_view stored, std::string_view where, std::string& out);

}  // namespace coop::tm::detail
