// Topic syntax and segment-aware prefix matching.
#include "coop/comm/topic.h"

#include <string>

namespace coop::comm {

result<void> validate_topic(std::string_view topic) {
  auto bad = [&](std::size_t at, std::string_view why) {
    return result<void>(errc::invalid_argument, "topic '" + std::string(topic.substr(0, 80)) +
                                                    "': " + std::string(why) + " at byte " +
                                                    std::to_string(at));
  };
  if (topic.empty()) return result<void>(errc::invalid_argument, "empty topic (topics start with '/')");
  if (topic.size() > max_topic_bytes)
    return bad(max_topic_bytes, "longer than " + std::to_string(max_topic_bytes) + " bytes");
  if (topic[0] != '/') return bad(0, "does not start with '/'");
  if (topic.size() == 1) return {};
  std::size_t segments = 0;
  for (std::size_t i = 0; i < topic.size(); ++i) {
    const char c = topic[i];
    if (c == '/') {
      if (i + 1 == topic.size()) return bad(i, "trailing '/'");
      if (topic[i + 1] == '/') return bad(i + 1, "empty segment");
      if (++segments > max_topic_segments)
        return bad(i, "more than " + std::to_string(max_topic_segments) + " segments");
    } else if (c <= ' ' || c > '~') {
      return bad(i, "a space or a non-printable byte");
    }
  }
  return {};
}

bool topic_covers(std::string_view prefix, std::string_view topic) noexcept {
  if (prefix == "/") return true;
  if (!topic.starts_with(prefix)) return false;
  return topic.size() == prefix.size() || topic[prefix.size()] == '/';
}

}  // namespace coop::comm
