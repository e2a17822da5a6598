#include "store/format.h"

namespace coop::tm::detail {

std::uint32_t current_format_version() noexcept { return format_version; }

}  // namespace coop::tm::detail
