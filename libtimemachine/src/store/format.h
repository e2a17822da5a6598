// Constants of the on-disk format (docs/timemachine.md, "On-disk format").
#pragma once

#include <cstdint>
#include <string_view>

namespace coop::tm::detail {

/// The format version written into every store's FORMAT file and every
/// partition's `info` database. A store of another version is refused with
/// `incompatible` naming both versions.
inline constexpr std::uint32_t format_version = 2;

/// The first line of a store's FORMAT file.
inline constexpr std::string_view format_magic = "coop-timemachine";

/// Returns format_version; exported so tools can print it.
std::uint32_t current_format_version() noexcept;

}  // namespace coop::tm::detail
