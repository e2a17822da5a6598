// capture: libpcap behind a small interface. Files are read through zlib
// (gzopen reads plain files unchanged) and handed to libpcap as a FILE*
// made with fopencookie, so pcap, pcapng and their .gz forms all work.
#include "coop/sensor/capture.h"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace coop::sensor {

using model::errc;
using model::result;

namespace {

struct gz_cookie {
  gzFile gz = nullptr;
};

ssize_t gz_read(void* c, char* buf, size_t size) {
  auto* k = static_cast<gz_cookie*>(c);
  int n = gzread(k->gz, buf, static_cast<unsigned>(size > (1u << 30) ? (1u << 30) : size));
  return n < 0 ? -1 : n;
}

int gz_close(void* c) {
  auto* k = static_cast<gz_cookie*>(c);
  int rc = gzclose(k->gz);
  delete k;
  return rc == Z_OK ? 0 : -1;
}

}  // namespace

struct capture::impl {
  pcap_t* p = nullptr;
  gz_cookie* cookie = nullptr;  // owned by the FILE*, which libpcap closes
  std::uint32_t link = 0;
  std::uint64_t count = 0;
  std::uint64_t size = 0;
  bool live = false;
  bool nano = false;
  std::string name;

  ~impl() {
    if (p != nullptr) pcap_close(p);
  }
};

capture::capture(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
capture::capture(capture&&) noexcept = default;
capture& capture::operator=(capture&&) noexcept = default;
capture::~capture() = default;

result<capture> capture::open_file(const std::string& path) {
  auto im = std::make_unique<impl>();
  im->name = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {errc::io, path + ": cannot open capture file: " + std::strerror(errno)};
  }
  im->size = static_cast<std::uint64_t>(st.st_size);
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr)
    return {errc::io, path + ": cannot open capture file: " + std::strerror(errno)};
  gzbuffer(gz, 1u << 18);
  auto* cookie = new gz_cookie{gz};
  cookie_io_functions_t fns{gz_read, nullptr, nullptr, gz_close};
  FILE* f = fopencookie(cookie, "rb", fns);
  if (f == nullptr) {
    gzclose(gz);
    delete cookie;
    return {errc::io, path + ": fopencookie failed"};
  }
  im->cookie = cookie;
  char err[PCAP_ERRBUF_SIZE] = {0};
  im->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
  if (im->p == nullptr) {
    std::fclose(f);
    return {errc::invalid_argument, path + ": not a pcap or pcapng file: " + err};
  }
  im->nano = true;
  im->link = static_cast<std::uint32_t>(pcap_datalink(im->p));
  // libpcap reports DLT_ values; map the ones that differ from LINKTYPE_.
  if (im->link == DLT_RAW) im->link = link::raw;
  return capture(std::move(im));
}

result<capture> capture::open_live(const std::string& iface, const live_options& opts) {
  auto im = std::make_unique<impl>();
  im->name = iface;
  im->live = true;
  char err[PCAP_ERRBUF_SIZE] = {0};
  im->p = pcap_create(iface.c_str(), err);
  if (im->p == nullptr) return {errc::io, iface + ": cannot open interface: " + err};
  pcap_set_snaplen(im->p, opts.snaplen);
  pcap_set_promisc(im->p, opts.promiscuous ? 1 : 0);
  pcap_set_timeout(im->p, opts.timeout_ms);
  if (pcap_set_tstamp_precision(im->p, PCAP_TSTAMP_PRECISION_NANO) == 0) im->nano = true;
  int rc = pcap_activate(im->p);
  if (rc < 0) {
    return {errc::io, iface + ": cannot capture: " + std::string(pcap_geterr(im->p))};
  }
  if (!opts.filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(im->p, &prog, opts.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return {errc::invalid_argument,
              iface + ": bad filter '" + opts.filter + "': " + pcap_geterr(im->p)};
    }
    rc = pcap_setfilter(im->p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) return {errc::io, iface + ": cannot set filter: " + pcap_geterr(im->p)};
  }
  im->link = static_cast<std::uint32_t>(pcap_datalink(im->p));
  if (im->link == DLT_RAW) im->link = link::raw;
  return capture(std::move(im));
}

result<bool> capture::next(packet_view& out) {
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  int rc = pcap_next_ex(impl_->p, &h, &d);
  if (rc == 1) {
    ++impl_->count;
    std::int64_t frac = impl_->nano ? h->ts.tv_usec : std::int64_t{h->ts.tv_usec} * 1000;
    out.ts_ns = std::int64_t{h->ts.tv_sec} * 1'000'000'000 + frac;
    out.link_type = impl_->link;
    out.wirelen = h->len;
    out.data = {d, h->caplen};
    return true;
  }
  if (rc == 0) return false;  // live timeout
  if (rc == PCAP_ERROR_BREAK) return false;
  if (rc == -2) return false;  // end of file
  return {errc::corruption, impl_->name + ": packet " + std::to_string(impl_->count + 1) + ": " +
                                pcap_geterr(impl_->p)};
}

std::uint32_t capture::link_type() const noexcept { return impl_->link; }
std::uint64_t capture::packets() const noexcept { return impl_->count; }
std::uint64_t capture::file_size() const noexcept { return impl_->size; }

std::uint64_t capture::file_offset() const noexcept {
  if (impl_->cookie == nullptr) return 0;
  z_off_t off = gzoffset(impl_->cookie->gz);
  return off < 0 ? 0 : static_cast<std::uint64_t>(off);
}

void capture::interrupt() noexcept {
  if (impl_ && impl_->p != nullptr) pcap_breakloop(impl_->p);
}

}  // namespace coop::sensor
