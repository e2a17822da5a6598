// The answer log.
#include "state/answers.h"

#include <fstream>
#include <sstream>

#include "state/replay.h"

namespace coop::comm::state {

namespace {

std::string key_of(const std::string& origin, std::uint64_t id) {
  return origin + "/" + std::to_string(id);
}

std::string to_hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::optional<std::string> from_hex(const std::string& h) {
  if (h.size() % 2) return std::nullopt;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out(h.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nib(h[2 * i]), lo = nib(h[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace

answer_log::answer_log(answer_log&& o) noexcept
    : entries_(std::move(o.entries_)), path_(std::move(o.path_)), file_(o.file_),
      file_lines_(o.file_lines_) {
  o.file_ = nullptr;
}

answer_log& answer_log::operator=(answer_log&& o) noexcept {
  if (this != &o) {
    if (file_) std::fclose(file_);
    entries_ = std::move(o.entries_);
    path_ = std::move(o.path_);
    file_ = o.file_;
    file_lines_ = o.file_lines_;
    o.file_ = nullptr;
  }
  return *this;
}

answer_log::~answer_log() {
  if (file_) std::fclose(file_);
}

result<answer_log> answer_log::open(const std::filesystem::path& dir, std::int64_t horizon) {
  answer_log log;
  if (dir.empty()) return log;
  const auto path = dir / "answers";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string origin, hex;
    std::uint64_t id = 0;
    std::int64_t at = 0;
    if (!(ls >> origin >> id >> at >> hex)) continue;
    auto bytes = from_hex(hex);
    if (!bytes || at < horizon) continue;
    log.entries_[key_of(origin, id)] = entry{at, std::move(*bytes)};
  }
  log.path_ = path;
  if (auto r = log.rewrite(); !r) return r.err();
  return log;
}

result<void> answer_log::rewrite() {
  std::string text;
  for (const auto& [key, e] : entries_) {
    const auto slash = key.rfind('/');
    text += key.substr(0, slash) + " " + key.substr(slash + 1) + " " + std::to_string(e.at) + " " +
            to_hex(e.answer) + "\n";
  }
  if (auto r = write_file_durably(path_, text); !r) return r;
  // The old handle points to the replaced file: reopen on the new one.
  std::FILE* f = std::fopen(path_.c_str(), "a");
  if (!f) return error{errc::io, "cannot append to " + path_.string()};
  if (file_) std::fclose(file_);
  file_ = f;
  file_lines_ = entries_.size();
  return {};
}

const std::string* answer_log::find(const std::string& origin, std::uint64_t id) const {
  auto it = entries_.find(key_of(origin, id));
  return it == entries_.end() ? nullptr : &it->second.answer;
}

void answer_log::add(const std::string& origin, std::uint64_t id, std::int64_t at, std::string answer) {
  if (file_) {
    const auto line = origin + " " + std::to_string(id) + " " + std::to_string(at) + " " + to_hex(answer) + "\n";
    std::fputs(line.c_str(), file_);
    std::fflush(file_);
    ++file_lines_;
  }
  entries_[key_of(origin, id)] = entry{at, std::move(answer)};
}

result<void> answer_log::forget_before(std::int64_t horizon) {
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->second.at < horizon ? entries_.erase(it) : std::next(it);
  if (!file_ || file_lines_ <= 2 * entries_.size() + 64) return {};
  return rewrite();
}

}  // namespace coop::comm::state
