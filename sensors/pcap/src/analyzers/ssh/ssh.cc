// SSH: version strings of both sides, then the unencrypted key exchange
// packets until each side's NEWKEYS; after that, the sizes of the server's
// encrypted packets decide authentication as Zeek documents: the first is
// the SERVICE_ACCEPT, a USERAUTH_FAILURE repeats its size, and a
// USERAUTH_SUCCESS is 16 bytes shorter than the SERVICE_ACCEPT. One
// ssh_login per connection, at its end.
#include "analyzers/ssh/ssh.h"

#include <string>
#include <vector>

#include "analyzers/text/lines.h"
#include "coop/model/catalogue.h"

namespace coop::sensor::detail {

namespace {

class ssh_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    (void)out, (void)c;
    dir& s = side_[is_orig ? 0 : 1];
    if (ts_ == 0) ts_ = ts;
    if (!s.have_version) {
      // Lines before the version string are allowed (server banners).
      std::size_t used = 0;
      bool found = false;
      s.lines.feed(d, [&](std::string_view l) {
        if (found) return;
        if (l.substr(0, 4) == "SSH-") {
          s.version = std::string(l);
          s.have_version = true;
          found = true;
        }
      });
      if (!found) return;
      // Bytes after the version line continue as binary packets.
      std::string_view rest = s.lines.pending();
      s.buf.assign(rest.begin(), rest.end());
      s.lines.clear();
      (void)used;
      packets(is_orig, {});
      return;
    }
    packets(is_orig, d);
  }
  void end(emit_context& out, const conn& c, std::int64_t ts) override {
    (void)ts;
    if (!side_[0].have_version && !side_[1].have_version) return;
    model::event* e = out.make(model::catalogue::ssh_login, c, ts_);
    if (e == nullptr) return;
    if (side_[0].have_version) set_field(*e, "client", side_[0].version);
    if (side_[1].have_version) set_field(*e, "server", side_[1].version);
    if (side_[0].have_version && side_[1].have_version) {
      set_field(*e, "version", std::uint64_t{version1() ? 1u : 2u});
    }
    if (decided_ || attempts_ > 0) set_field(*e, "auth_success", success_);
    static const std::pair<const char*, std::size_t> algs[] = {{"kex_alg", 0},
                                                               {"host_key_alg", 1},
                                                               {"cipher_alg", 2},
                                                               {"mac_alg", 4},
                                                               {"compression_alg", 6}};
    for (const auto& [name, i] : algs) {
      std::string a = negotiated(i);
      if (!a.empty()) set_field(*e, name, a);
    }
    set_field(*e, "auth_attempts", std::uint64_t{attempts_});
    out.emit();
  }
  std::string_view service() const override { return "ssh"; }

 private:
  struct dir {
    line_splitter lines{4096};
    bool have_version = false;
    std::string version;
    std::string buf;  // unencrypted packet bytes not yet parsed
    bool encrypted = false;
    bool newkeys = false;
  };

  static bool is_v1(const std::string& v) {
    return v.rfind("SSH-1.", 0) == 0 && v.rfind("SSH-1.99", 0) != 0;
  }
  bool version1() const { return is_v1(side_[0].version) || is_v1(side_[1].version); }

  void packets(bool is_orig, std::span<const std::uint8_t> d) {
    dir& s = side_[is_orig ? 0 : 1];
    if (s.encrypted) {
      encrypted(is_orig, d.size());
      return;
    }
    s.buf.append(reinterpret_cast<const char*>(d.data()), d.size());
    std::size_t pos = 0;
    while (s.buf.size() - pos >= 6) {
      auto* p = reinterpret_cast<const std::uint8_t*>(s.buf.data() + pos);
      std::uint32_t len = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | p[3];
      if (len > 35000 || len < 2) {  // not SSH-2 framing (SSH-1, or garbage)
        s.encrypted = true;
        s.buf.clear();
        return;
      }
      if (s.buf.size() - pos < 4 + len) break;
      std::uint8_t type = p[5];
      if (type == 20 && len > 18)
        kexinit(is_orig, std::string_view(s.buf).substr(pos + 6, len - 2));
      pos += 4 + len;
      if (type == 21) {  // SSH_MSG_NEWKEYS: what follows is encrypted
        s.encrypted = true;
        s.newkeys = true;
        std::size_t rest = s.buf.size() - pos;
        s.buf.clear();
        if (rest > 0) encrypted(is_orig, rest);
        return;
      }
    }
    s.buf.erase(0, pos);
    if (s.buf.size() > 65536) s.buf.clear();
  }

  // KEXINIT: cookie, then ten name-lists (kex, host key, cipher c2s/s2c,
  // MAC c2s/s2c, compression c2s/s2c, languages).
  void kexinit(bool is_orig, std::string_view b) {
    auto& lists = algs_[is_orig ? 0 : 1];
    lists.clear();
    std::size_t p = 16;
    for (int i = 0; i < 10 && p + 4 <= b.size(); ++i) {
      std::size_t n = (std::size_t{static_cast<std::uint8_t>(b[p])} << 24) |
                      (std::size_t{static_cast<std::uint8_t>(b[p + 1])} << 16) |
                      (std::size_t{static_cast<std::uint8_t>(b[p + 2])} << 8) |
                      static_cast<std::uint8_t>(b[p + 3]);
      if (p + 4 + n > b.size()) break;
      lists.emplace_back(b.substr(p + 4, n));
      p += 4 + n;
    }
  }

  // The algorithm negotiated from list i: the client's first that the server offers.
  std::string negotiated(std::size_t i) const {
    if (algs_[0].size() <= i || algs_[1].size() <= i) return {};
    std::string_view c = algs_[0][i], sv = algs_[1][i];
    std::size_t b = 0;
    for (;;) {
      auto e = c.find(',', b);
      std::string_view name =
          c.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
      std::size_t q = 0;
      for (;;) {
        auto f = sv.find(',', q);
        if (sv.substr(q, f == std::string_view::npos ? std::string_view::npos : f - q) == name)
          return std::string(name);
        if (f == std::string_view::npos) break;
        q = f + 1;
      }
      if (e == std::string_view::npos) break;
      b = e + 1;
    }
    return {};
  }

  void encrypted(bool is_orig, std::size_t len) {
    if (is_orig || decided_ || len == 0) return;
    if (version1() || !side_[0].newkeys || !side_[1].newkeys) return;
    // Compressed packets' sizes say nothing about their content.
    std::string comp = negotiated(7);
    if (!comp.empty() && comp != "none") return;
    auto n = static_cast<std::int64_t>(len);
    if (service_accept_ == 0) {
      service_accept_ = n;
      return;
    }
    if (failure_ == 0) {
      failure_ = n;
      if (n - service_accept_ == -16) {
        ++attempts_;
        success_ = true;
        decided_ = true;
      }
      return;
    }
    if (n == failure_) {
      ++attempts_;
      success_ = false;
      return;
    }
    if (n - service_accept_ == -16) {
      ++attempts_;
      success_ = true;
      decided_ = true;
    }
  }

  dir side_[2];
  std::vector<std::string> algs_[2];  // KEXINIT name-lists of client and server
  std::int64_t ts_ = 0;
  std::int64_t service_accept_ = 0;
  std::int64_t failure_ = 0;
  unsigned attempts_ = 0;
  bool success_ = false;
  bool decided_ = false;
};

}  // namespace

std::unique_ptr<app_analyzer> make_ssh() { return std::make_unique<ssh_analyzer>(); }

}  // namespace coop::sensor::detail
