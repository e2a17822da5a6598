#include "store/format.h"

namespace coop::tm::detail {

std::uint32_t current_format_version() noexcept { return format_version; }

std::string readable_formats() {
  if (oldest_format_version == format_version) return "format " + std::to_string(format_version);
  const char* between = format_version == oldest_format_version + 1 ? " and " : " to ";
  return "formats " + std::to_string(oldest_format_version) + between +
         std::to_string(format_version);
}

}  // namespace coop::tm::detail
