// TCP framing of syslog (RFC 6587): octet counting ("LEN SP MSG") or
// non-transparent framing (messages end at LF), chosen by the first byte of
// the connection as RFC 6587 section 3.4 suggests.
#include <string>

#include "coop/importer/syslog.h"

namespace coop::importer {

namespace model = coop::model;

stream_framer::stream_framer(std::size_t max_message) : max_(max_message == 0 ? 1 : max_message) {}

model::result<void> stream_framer::feed(std::string_view bytes, const message_handler& on_message) {
  std::size_t i = 0;
  if (mode_ == framing::unknown && !bytes.empty()) {
    mode_ = bytes[0] >= '0' && bytes[0] <= '9' ? framing::octet_counting : framing::newline;
  }
  while (i < bytes.size()) {
    if (mode_ == framing::newline) {
      std::size_t end = i;
      while (end < bytes.size() && bytes[end] != '\n' && bytes[end] != '\0') ++end;
      const auto chunk = bytes.substr(i, end - i);
      if (!discarding_) {
        if (pending_.size() + chunk.size() > max_) {
          ++oversized_;
          discarding_ = true;
          pending_.clear();
        } else {
          pending_.append(chunk);
        }
      }
      offset_ += end - i;
      i = end;
      if (i == bytes.size()) break;
      ++i;  // the LF or NUL
      ++offset_;
      if (discarding_) {
        discarding_ = false;
        continue;
      }
      std::string_view msg = pending_;
      if (!msg.empty() && msg.back() == '\r') msg.remove_suffix(1);
      if (!msg.empty()) {
        if (auto r = on_message(msg); !r) return r;
      }
      pending_.clear();
      continue;
    }
    // Octet counting.
    if (reading_len_) {
      const char c = bytes[i];
      if (c >= '0' && c <= '9' && !(c == '0' && len_digits_ == 0)) {
        if (++len_digits_ > 9) {
          return {model::errc::invalid_argument,
                  "octet count over 9 digits at stream offset " + std::to_string(offset_)};
        }
        want_ = want_ * 10 + static_cast<unsigned>(c - '0');
      } else if (c == ' ' && len_digits_ > 0) {
        reading_len_ = false;
        len_digits_ = 0;
        discarding_ = want_ > max_;
        if (discarding_) ++oversized_;
        pending_.clear();
      } else if ((c == '\n' || c == '\r') && len_digits_ == 0) {
        // Some senders end octet-counted frames with a LF as well; harmless.
      } else {
        return {model::errc::invalid_argument,
                "malformed octet count (byte 0x" + std::string(1, "0123456789abcdef"[(c >> 4) & 15]) +
                    std::string(1, "0123456789abcdef"[c & 15]) + ") at stream offset " +
                    std::to_string(offset_)};
      }
      ++i;
      ++offset_;
      continue;
    }
    const std::size_t take = std::min<std::size_t>(bytes.size() - i, want_);
    if (!discarding_) pending_.append(bytes.substr(i, take));
    i += take;
    offset_ += take;
    want_ -= take;
    if (want_ == 0) {
      reading_len_ = true;
      if (!discarding_) {
        if (auto r = on_message(pending_); !r) return r;
      }
      discarding_ = false;
      pending_.clear();
    }
  }
  return {};
}

model::result<void> stream_framer::finish(const message_handler& on_message) {
  if (mode_ == framing::newline) {
    std::string_view msg = pending_;
    if (!msg.empty() && msg.back() == '\r') msg.remove_suffix(1);
    if (!discarding_ && !msg.empty()) {
      if (auto r = on_message(msg); !r) return r;
    }
  } else if (mode_ == framing::octet_counting && (!reading_len_ || len_digits_ > 0)) {
    ++truncated_;
  }
  pending_.clear();
  discarding_ = false;
  return {};
}

}  // namespace coop::importer
