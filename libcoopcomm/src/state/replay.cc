// The replay window and the sequence lease.
#include "state/replay.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

namespace coop::comm::state {

namespace {

constexpr std::uint64_t lease_step = 1'000'000;

error io_error(const std::string& what, const std::filesystem::path& p) {
  return {errc::io, what + " " + p.string() + ": " + std::strerror(errno)};
}

}  // namespace

result<void> write_file_durably(const std::filesystem::path& path, const std::string& text) {
  const auto tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto e = io_error("cannot write", tmp);
      ::close(fd);
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = io_error("cannot sync", tmp);
    ::close(fd);
    return e;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename to", path);
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

result<replay_window> replay_window::open(const std::filesystem::path& dir,
                                          std::int64_t started_at, std::size_t window) {
  replay_window w;
  w.started_at_ = started_at;
  w.window_ = window;
  if (dir.empty()) return w;
  w.file_ = dir / "replay";
  std::ifstream in(w.file_);
  if (!in) return w;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string origin;
    std::uint64_t seq = 0;
    if (!(ls >> origin >> seq))
      return error{errc::invalid_argument, w.file_.string() + ":" + std::to_string(n) +
                                               ": expected 'ORIGIN SEQUENCE'"};
    auto& o = w.origins_[origin];
    o.floor = o.highest = seq;
  }
  return w;
}

replay_verdict replay_window::check(const std::string& origin, std::uint64_t sequence,
                                    std::int64_t issued_at, std::uint32_t index,
                                    std::uint32_t items) {
  auto& o = origins_[origin];
  if (sequence <= o.floor) return replay_verdict::too_old;
  auto it = o.seen.find(sequence);
  if (it == o.seen.end()) {
    // Not seen in this process: it must have been issued after the start.
    if (issued_at < started_at_) return replay_verdict::too_old;
    it = o.seen.emplace(sequence, std::vector<bool>(items, false)).first;
    while (o.seen.size() > window_) {
      o.floor = o.seen.begin()->first;
      o.seen.erase(o.seen.begin());
    }
    if (sequence <= o.floor) return replay_verdict::too_old;
  }
  auto& bits = it->second;
  if (index >= bits.size()) bits.resize(index + 1, false);
  if (bits[index]) return replay_verdict::duplicate;
  bits[index] = true;
  if (sequence > o.highest) {
    o.highest = sequence;
    dirty_ = true;
  }
  return replay_verdict::fresh;
}

result<void> replay_window::save() {
  if (file_.empty() || !dirty_) return {};
  std::string text = "# coop replay marks: ORIGIN HIGHEST-SEQUENCE\n";
  for (const auto& [origin, o] : origins_) {
    text += origin + " " + std::to_string(o.highest) + "\n";
  }
  if (auto r = write_file_durably(file_, text); !r) return r;
  dirty_ = false;
  return {};
}

result<sequence_lease> sequence_lease::open(const std::filesystem::path& dir) {
  sequence_lease l;
  if (dir.empty()) {
    l.next_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    l.ceiling_ = UINT64_MAX;
    return l;
  }
  l.file_ = dir / "sequence";
  std::ifstream in(l.file_);
  if (in) {
    std::uint64_t ceiling = 0;
    if (!(in >> ceiling))
      return error{errc::invalid_argument, l.file_.string() + ":1: expected a number"};
    l.next_ = ceiling + 1;
  }
  if (auto r = l.reserve(l.next_ + lease_step); !r) return r.err();
  return l;
}

result<void> sequence_lease::reserve(std::uint64_t ceiling) {
  if (!file_.empty()) {
    if (auto r = write_file_durably(file_, std::to_string(ceiling) + "\n"); !r) return r;
  }
  ceiling_ = ceiling;
  return {};
}

result<std::uint64_t> sequence_lease::next() {
  if (next_ >= ceiling_) {
    if (auto r = reserve(next_ + lease_step); !r) return r.err();
  }
  return next_++;
}

}  // namespace coop::comm::state
