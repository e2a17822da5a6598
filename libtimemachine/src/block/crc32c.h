// CRC-32C (Castagnoli), the checksum of blocks written since store format 5:
// computed with the SSE 4.2 instruction where the CPU has it (91 ns for a
// 700-byte frame here, one CRC after another; zlib's CRC-32 takes 285 ns),
// else by slicing-by-8 tables (333 ns, about zlib's speed). Both give the
// same value. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace coop::tm::detail {

/// Extends `crc` (0 to start; the value a previous call returned to
/// continue) over `bytes`. CRC-32C of "123456789" is 0xe3069283.
std::uint32_t crc32c(std::uint32_t crc, std::string_view bytes) noexcept;

/// crc32c() without the instruction, always by the table (what a CPU
/// without SSE 4.2 runs; the tests compare the two).
std::uint32_t crc32c_by_table(std::uint32_t crc, std::string_view bytes) noexcept;

}  // namespace coop::tm::detail
