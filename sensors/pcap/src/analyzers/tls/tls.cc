// TLS (and SSLv2 hellos): handshake messages are collected from records
// until ChangeCipherSpec; the ClientHello gives the SNI, the ServerHello the
// version (or its supported_versions extension, for TLS 1.3). One
// tls_handshake per connection, at its end.
#include "analyzers/tls/tls.h"

#include <string>

#include "coop/model/catalogue.h"

namespace coop::sensor::detail {

namespace {

std::string version_name(unsigned v) {
  switch (v) {
    case 0x0002: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv10";
    case 0x0302: return "TLSv11";
    case 0x0303: return "TLSv12";
    case 0x0304: return "TLSv13";
    case 0xfeff: return "DTLSv10";
    case 0xfefd: return "DTLSv12";
    default: return "unknown-" + std::to_string(v);
  }
}

unsigned u16(const std::string& s, std::size_t p) {
  return (static_cast<std::uint8_t>(s[p]) << 8) | static_cast<std::uint8_t>(s[p + 1]);
}

class tls_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    (void)out, (void)c;
    if (ts_ == 0) ts_ = ts;
    dir& s = side_[is_orig ? 0 : 1];
    if (s.done) return;
    s.rec.append(reinterpret_cast<const char*>(d.data()), d.size());
    std::size_t pos = 0;
    while (s.rec.size() - pos >= 5 && !s.done) {
      auto type = static_cast<std::uint8_t>(s.rec[pos]);
      if (pos == 0 && !s.any && (type & 0x80) && s.rec.size() >= 5 && s.rec[pos + 2] == 1 &&
          is_orig) {
        s.done = true;  // SSLv2 ClientHello
        sslv2_ = true;
        break;
      }
      if (type < 20 || type > 24) {
        s.done = true;
        break;
      }
      std::size_t len = u16(s.rec, pos + 3);
      if (s.rec.size() - pos < 5 + len) break;
      s.any = true;
      if (type == 22) {
        s.hs.append(s.rec, pos + 5, len);
        handshake(is_orig, s);
        if (s.hs.size() > (1u << 20)) s.done = true;  // a handshake message that never ends
      } else if (type == 20) {
        s.done = true;  // ChangeCipherSpec: the rest is encrypted
        established_ = true;
      }
      pos += 5 + len;
    }
    s.rec.erase(0, pos);
    if (s.rec.size() > 70000) s.done = true;
  }
  void end(emit_context& out, const conn& c, std::int64_t ts) override {
    (void)ts;
    if (!side_[0].any && !side_[1].any && !sslv2_) return;
    model::event* e = out.make(model::catalogue::tls_handshake, c, ts_);
    if (e == nullptr) return;
    if (version_ != 0)
      set_field(*e, "version", version_name(version_));
    else if (sslv2_)
      set_field(*e, "version", std::string("SSLv2"));
    if (!sni_.empty()) set_field(*e, "server_name", sni_);
    set_field(*e, "established", established_ && version_ != 0);
    out.emit();
  }
  std::string_view service() const override { return "ssl"; }

 private:
  struct dir {
    std::string rec;
    std::string hs;
    bool done = false;
    bool any = false;
  };

  void handshake(bool is_orig, dir& s) {
    std::size_t pos = 0;
    while (s.hs.size() - pos >= 4) {
      auto type = static_cast<std::uint8_t>(s.hs[pos]);
      std::size_t len = (static_cast<std::size_t>(static_cast<std::uint8_t>(s.hs[pos + 1])) << 16) |
                        u16(s.hs, pos + 2);
      if (s.hs.size() - pos < 4 + len) break;
      std::string body = s.hs.substr(pos + 4, len);
      if (type == 1 && is_orig) client_hello(body);
      if (type == 2 && !is_orig) server_hello(body);
      pos += 4 + len;
    }
    s.hs.erase(0, pos);
  }

  // Walks extensions starting at `p`; calls f(type, offset, length).
  template <class F>
  static void extensions(const std::string& b, std::size_t p, F f) {
    if (p + 2 > b.size()) return;
    std::size_t end = std::min(b.size(), p + 2 + u16(b, p));
    p += 2;
    while (p + 4 <= end) {
      unsigned t = u16(b, p), l = u16(b, p + 2);
      if (p + 4 + l > end) return;
      f(t, p + 4, l);
      p += 4 + l;
    }
  }

  void client_hello(const std::string& b) {
    std::size_t p = 2 + 32;
    if (p + 1 > b.size()) return;
    p += 1 + static_cast<std::uint8_t>(b[p]);
    if (p + 2 > b.size()) return;
    p += 2 + u16(b, p);
    if (p + 1 > b.size()) return;
    p += 1 + static_cast<std::uint8_t>(b[p]);
    extensions(b, p, [&](unsigned t, std::size_t o, unsigned l) {
      if (t != 0 || l < 5) return;
      unsigned n = u16(b, o + 3);
      if (b[o + 2] == 0 && o + 5 + n <= o + l) sni_ = b.substr(o + 5, n);
    });
  }

  void server_hello(const std::string& b) {
    if (b.size() < 2) return;
    version_ = u16(b, 0);
    std::size_t p = 2 + 32;
    if (p + 1 > b.size()) return;
    p += 1 + static_cast<std::uint8_t>(b[p]);
    p += 3;  // cipher suite, compression
    extensions(b, p, [&](unsigned t, std::size_t o, unsigned l) {
      if (t == 43 && l == 2) version_ = u16(b, o);
    });
  }

  dir side_[2];
  std::int64_t ts_ = 0;
  unsigned version_ = 0;
  std::string sni_;
  bool sslv2_ = false;
  bool established_ = false;
};

}  // namespace

std::unique_ptr<app_analyzer> make_tls() { return std::make_unique<tls_analyzer>(); }

}  // namespace coop::sensor::detail
