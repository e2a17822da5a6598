// Topics: hierarchical names like "/coop/hotlist/ip". Subscriptions and
// access rules name topic prefixes, matched segment by segment: the prefix
// "/a/b" covers "/a/b" and "/a/b/c" but never "/a/bc"; "/" covers every
// topic. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "coop/comm/export.h"
#include "coop/comm/result.h"

namespace coop::comm {

/// Longest topic accepted, in bytes.
inline constexpr std::size_t max_topic_bytes = 255;
/// Most segments a topic may have.
inline constexpr std::size_t max_topic_segments = 32;

/// Checks that `topic` is well formed: starts with '/', has no empty segment
/// (no "//", no trailing '/' except the root "/" itself), at most
/// max_topic_bytes bytes and max_topic_segments segments, and only printable
/// ASCII other than space. The error names the byte offset of the problem.
COOP_COMM_EXPORT result<void> validate_topic(std::string_view topic);

/// True when prefix `prefix` covers `topic` segment-wise (both assumed valid).
COOP_COMM_EXPORT bool topic_covers(std::string_view prefix, std::string_view topic) noexcept;

}  // namespace coop::comm
