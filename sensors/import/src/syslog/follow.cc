// tail -F for log files: reads appended bytes through one open descriptor,
// and on each poll compares the path's inode with the open one (rotation)
// and the file's size with the offset read (truncation).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "coop/importer/syslog.h"

namespace coop::importer {

namespace model = coop::model;

log_follower::log_follower(std::filesystem::path path, bool from_start, std::size_t max_line)
    : path_(std::move(path)), from_start_(from_start), max_line_(max_line == 0 ? 1 : max_line) {}

log_follower::~log_follower() {
  if (fd_ >= 0) ::close(fd_);
}

log_follower::log_follower(log_follower&& o) noexcept
    : path_(std::move(o.path_)),
      from_start_(o.from_start_),
      max_line_(o.max_line_),
      fd_(o.fd_),
      inode_(o.inode_),
      device_(o.device_),
      offset_(o.offset_),
      first_(o.first_),
      partial_(std::move(o.partial_)),
      cutting_(o.cutting_),
      rotations_(o.rotations_),
      truncations_(o.truncations_),
      cut_(o.cut_) {
  o.fd_ = -1;
}

log_follower& log_follower::operator=(log_follower&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    from_start_ = o.from_start_;
    max_line_ = o.max_line_;
    fd_ = o.fd_;
    o.fd_ = -1;
    inode_ = o.inode_;
    device_ = o.device_;
    offset_ = o.offset_;
    first_ = o.first_;
    partial_ = std::move(o.partial_);
    cutting_ = o.cutting_;
    rotations_ = o.rotations_;
    truncations_ = o.truncations_;
    cut_ = o.cut_;
  }
  return *this;
}

model::result<std::uint64_t> log_follower::drain(const line_handler& on_line) {
  std::array<char, 64 * 1024> buf;
  std::uint64_t lines = 0;
  for (;;) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return {model::errc::io, "cannot read " + path_.string() + ": " + std::strerror(errno)};
    }
    if (n == 0) return lines;
    offset_ += static_cast<std::uint64_t>(n);
    std::string_view data(buf.data(), static_cast<std::size_t>(n));
    while (!data.empty()) {
      const auto nl = data.find('\n');
      const auto chunk = data.substr(0, nl);
      if (!cutting_) {
        const auto room = max_line_ - partial_.size();
        if (chunk.size() > room) {
          partial_.append(chunk.substr(0, room));
          cutting_ = true;
          ++cut_;
        } else {
          partial_.append(chunk);
        }
      }
      if (nl == std::string_view::npos) break;
      data.remove_prefix(nl + 1);
      std::string_view line = partial_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++lines;
      auto r = on_line(line);
      partial_.clear();
      cutting_ = false;
      if (!r) return r.err();
    }
  }
}

model::result<std::uint64_t> log_follower::poll(const line_handler& on_line) {
  std::uint64_t lines = 0;
  struct stat at_path {};
  const bool exists = ::stat(path_.c_str(), &at_path) == 0;
  if (fd_ >= 0) {
    struct stat open_st {};
    if (::fstat(fd_, &open_st) == 0 && static_cast<std::uint64_t>(open_st.st_size) < offset_) {
      // Truncated in place (copytruncate, "> file"): start again at 0.
      ++truncations_;
      offset_ = 0;
      partial_.clear();
      cutting_ = false;
      ::lseek(fd_, 0, SEEK_SET);
    }
    auto r = drain(on_line);
    if (!r) return r;
    lines += *r;
    const bool replaced = exists && (static_cast<std::uint64_t>(at_path.st_ino) != inode_ ||
                                     static_cast<std::uint64_t>(at_path.st_dev) != device_);
    if (!replaced) return lines;
    // Rotated: the old file has been read to its end; a partial last line
    // in it is complete now.
    ++rotations_;
    if (!partial_.empty()) {
      ++lines;
      auto last = on_line(partial_);
      partial_.clear();
      if (!last) return last.err();
    }
    cutting_ = false;
    ::close(fd_);
    fd_ = -1;
    from_start_ = true;  // a new file is read whole
  }
  if (!exists) {
    first_ = false;
    from_start_ = true;  // a file that appears later is read whole
    return lines;
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    if (errno == ENOENT) return lines;
    return {model::errc::io, "cannot open " + path_.string() + ": " + std::strerror(errno)};
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    return {model::errc::io, "cannot stat " + path_.string() + ": " + std::strerror(errno)};
  }
  inode_ = static_cast<std::uint64_t>(st.st_ino);
  device_ = static_cast<std::uint64_t>(st.st_dev);
  offset_ = 0;
  if (first_ && !from_start_) {
    offset_ = static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_END));
  }
  first_ = false;
  auto r = drain(on_line);
  if (!r) return r;
  return lines + *r;
}

}  // namespace coop::importer
