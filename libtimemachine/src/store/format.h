// Constants of the on-disk format (docs/timemachine.md, "On-disk format").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coop::tm::detail {

/// The format version written into every new store's FORMAT file and every
/// new partition's `info` database.
inline constexpr std::uint32_t format_version = 6;

/// The oldest format this build opens: format 2 stores differ only in
/// having no packed (`sidx`) indexes, format 3 stores in keeping one block
/// per LMDB value and the ids of aggregate rows, format 4 stores in having
/// only zlib CRC-32 block checksums (each block names its own), format 5
/// stores in having no record flags (block/record.h; a record without
/// flags reads the same in both); their FORMAT file is rewritten to 6 when
/// opened for writing (their partitions are read as they are). Older or newer stores are refused with
/// `incompatible` naming both versions.
inline constexpr std::uint32_t oldest_format_version = 2;

/// The first line of a store's FORMAT file.
inline constexpr std::string_view format_magic = "coop-timemachine";

/// Returns format_version; exported so tools can print it.
std::uint32_t current_format_version() noexcept;

/// "formats 2 to 4": the versions this build reads, for messages.
std::string readable_formats();

}  // namespace coop::tm::detail
