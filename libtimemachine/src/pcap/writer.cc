// pcap_writer: buffers records and hands them to a file or a borrowed stream.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <string>
#include <utility>

#include "coop/model/catalogue.h"
#include "coop/tm/pcap.h"
#include "pcap/record.h"

namespace coop::tm {

using model::errc;
using model::result;

namespace {
// Records are gathered and written in chunks of about this many bytes.
constexpr std::size_t flush_threshold = 1 << 20;
}  // namespace

struct pcap_writer::impl {
  std::FILE* file = nullptr;      // owned, when writing to a path
  std::ostream* stream = nullptr;  // borrowed, when writing to a stream
  std::string where;               // the path, or "the output stream", for messages
  std::uint32_t snaplen = default_pcap_snaplen;
  std::optional<std::uint32_t> link_type;
  std::uint64_t packets = 0;
  std::string buffer;
  bool closed = false;
  bool failed = false;  // an io error happened: the output is incomplete

  ~impl() {
    if (file != nullptr) std::fclose(file);
  }

  result<void> io_error(const char* doing, int err) {
    failed = true;
    std::string msg = std::string(doing) + " " + where;
    if (err != 0) msg += std::string(": ") + std::strerror(err);
    return {errc::io, std::move(msg)};
  }

  result<void> flush() {
    if (buffer.empty()) return {};
    if (file != nullptr) {
      errno = 0;
      const std::size_t n = std::fwrite(buffer.data(), 1, buffer.size(), file);
      if (n != buffer.size()) return io_error("cannot write pcap file", errno);
    } else {
      stream->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (!*stream) return io_error("cannot write pcap data to", 0);
    }
    buffer.clear();
    return {};
  }

  result<void> finish() {
    if (closed) return {};
    closed = true;
    if (failed) return io_error("earlier write failed; incomplete pcap data in", 0);
    // A capture without packets still needs its header to be readable.
    if (!link_type) detail::append_pcap_file_header(buffer, snaplen, detail::linktype_ethernet);
    auto r = flush();
    if (file != nullptr) {
      errno = 0;
      const bool flushed = std::fflush(file) == 0;
      const int flush_err = errno;
      errno = 0;
      const bool closed_ok = std::fclose(file) == 0;
      const int close_err = errno;
      file = nullptr;
      if (r && !flushed) return io_error("cannot write pcap file", flush_err);
      if (r && !closed_ok) return io_error("cannot close pcap file", close_err);
    } else if (r) {
      stream->flush();
      if (!*stream) return io_error("cannot flush pcap data to", 0);
    }
    return r;
  }
};

pcap_writer::pcap_writer(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
pcap_writer::pcap_writer(pcap_writer&& other) noexcept = default;

pcap_writer& pcap_writer::operator=(pcap_writer&& other) noexcept {
  if (this != &other) {
    if (impl_) (void)impl_->finish();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

pcap_writer::~pcap_writer() {
  if (impl_) (void)impl_->finish();
}

result<pcap_writer> pcap_writer::create(const std::filesystem::path& path, std::uint32_t snaplen) {
  if (snaplen == 0) return {errc::invalid_argument, "pcap snaplen must be at least 1 byte"};
  auto p = std::make_unique<impl>();
  p->where = path.string();
  p->snaplen = snaplen;
  errno = 0;
  p->file = std::fopen(path.c_str(), "wb");
  if (p->file == nullptr) {
    return {errc::io, "cannot create pcap file " + p->where + ": " + std::strerror(errno)};
  }
  return pcap_writer(std::move(p));
}

result<pcap_writer> pcap_writer::open(std::ostream& out, std::uint32_t snaplen) {
  if (snaplen == 0) return {errc::invalid_argument, "pcap snaplen must be at least 1 byte"};
  auto p = std::make_unique<impl>();
  p->where = "the output stream";
  p->snaplen = snaplen;
  p->stream = &out;
  return pcap_writer(std::move(p));
}

result<void> pcap_writer::write(const model::event& e) {
  if (!impl_ || impl_->closed) {
    return {errc::invalid_argument, "pcap writer is closed"};
  }
  impl& s = *impl_;
  if (s.failed) return s.io_error("earlier write failed; incomplete pcap data in", 0);
  auto rec = detail::packet_record_of(e);
  if (!rec) return rec.err();
  if (!s.link_type) {
    s.link_type = rec->link_type;
    detail::append_pcap_file_header(s.buffer, s.snaplen, rec->link_type);
  } else if (*s.link_type != rec->link_type) {
    return {errc::unsupported,
            "packet event " + e.id.to_string() + ": link type " + std::to_string(rec->link_type) +
                " differs from the file's link type " + std::to_string(*s.link_type) + " (" +
                s.where + "); a pcap file holds one link type"};
  }
  detail::append_pcap_record(s.buffer, *rec, s.snaplen);
  ++s.packets;
  if (s.buffer.size() >= flush_threshold) return s.flush();
  return {};
}

result<void> pcap_writer::close() {
  if (!impl_) return {};
  return impl_->finish();
}

std::uint64_t pcap_writer::packets() const noexcept { return impl_ ? impl_->packets : 0; }

std::optional<std::uint32_t> pcap_writer::link_type() const noexcept {
  return impl_ ? impl_->link_type : std::nullopt;
}

std::uint32_t pcap_writer::snaplen() const noexcept {
  return impl_ ? impl_->snaplen : default_pcap_snaplen;
}

namespace {

result<std::uint64_t> write_all(result<pcap_writer> w, std::span<const model::event> events) {
  if (!w) return w.err();
  for (const model::event& e : events) {
    if (!e.has_type() || e.type().name() != model::catalogue::packet) continue;
    if (auto r = w->write(e); !r) {
      (void)w->close();  // keep the packets before the failing one
      return r.err();
    }
  }
  if (auto r = w->close(); !r) return r.err();
  return w->packets();
}

}  // namespace

result<std::uint64_t> write_pcap(std::span<const model::event> events,
                                 const std::filesystem::path& path, std::uint32_t snaplen) {
  return write_all(pcap_writer::create(path, snaplen), events);
}

result<std::uint64_t> write_pcap(std::span<const model::event> events, std::ostream& out,
                                 std::uint32_t snaplen) {
  return write_all(pcap_writer::open(out, snaplen), events);
}

}  // namespace coop::tm
