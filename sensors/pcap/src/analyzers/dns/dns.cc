// DNS messages: header, first question, answer records rendered like Zeek's
// dns.log answers (addresses, names, "TXT <len> <text>" per string, ...).
// Queries become dns_request events, responses dns_reply events. When the
// first message of a flow is a response, the roles are taken as reversed.
#include "analyzers/dns/dns.h"

#include <cstdio>
#include <string>

#include "coop/model/address.h"
#include "coop/model/catalogue.h"

namespace coop::sensor::detail {

namespace {

struct reader {
  std::span<const std::uint8_t> m;
  std::size_t pos = 0;
  bool ok = true;

  std::uint16_t u16() {
    if (pos + 2 > m.size()) {
      ok = false;
      return 0;
    }
    auto v = static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1]);
    pos += 2;
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
};

// Reads a possibly compressed name at `pos`; advances `pos` past it.
bool read_name(std::span<const std::uint8_t> m, std::size_t& pos, std::string& out) {
  out.clear();
  std::size_t p = pos;
  bool jumped = false;
  int hops = 0;
  for (;;) {
    if (p >= m.size()) return false;
    std::uint8_t len = m[p];
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= m.size() || ++hops > 32) return false;
      auto target = static_cast<std::size_t>(((len & 0x3f) << 8) | m[p + 1]);
      if (!jumped) pos = p + 2;
      jumped = true;
      p = target;
      continue;
    }
    if ((len & 0xc0) != 0) return false;
    if (len == 0) {
      if (!jumped) pos = p + 1;
      return true;
    }
    if (p + 1 + len > m.size() || out.size() > 255) return false;
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len; ++i) {  // Zeek logs names in lower case
      char ch = static_cast<char>(m[p + 1 + i]);
      out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    }
    p += 1 + len;
  }
}

std::string render_rdata(std::span<const std::uint8_t> m, std::uint16_t type, std::size_t at,
                         std::size_t len) {
  std::string name;
  std::size_t p = at;
  auto rd = m.subspan(at, len);
  switch (type) {
    case 1:
      if (len == 4) return model::address::v4({rd[0], rd[1], rd[2], rd[3]}).to_string();
      break;
    case 28:
      if (len == 16) {
        std::array<std::uint8_t, 16> b{};
        std::copy(rd.begin(), rd.end(), b.begin());
        return model::address::v6(b).to_string();
      }
      break;
    case 2:
    case 5:
    case 12:
    case 39:  // NS, CNAME, PTR, DNAME
      if (read_name(m, p, name)) return name;
      break;
    case 6:  // SOA: the primary name server
      if (read_name(m, p, name)) return name;
      break;
    case 15:  // MX
      p += 2;
      if (len >= 3 && read_name(m, p, name)) return name;
      break;
    case 33:  // SRV
      p += 6;
      if (len >= 7 && read_name(m, p, name)) return name;
      break;
    case 16:
    case 99: {  // TXT, SPF: each string as "TXT <len> <text>"
      std::string out;
      std::size_t i = 0;
      while (i < len) {
        std::size_t n = rd[i];
        if (i + 1 + n > len) break;
        if (!out.empty()) out += ' ';
        out += (type == 16 ? "TXT " : "SPF ") + std::to_string(n) + " ";
        out.append(reinterpret_cast<const char*>(rd.data() + i + 1), n);
        i += 1 + n;
      }
      return out;
    }
    case 46: {  // RRSIG: type covered and signer
      if (len < 18) break;
      auto covered = static_cast<std::uint16_t>((rd[0] << 8) | rd[1]);
      p = at + 18;
      if (read_name(m, p, name)) return "RRSIG " + std::to_string(covered) + " " + name;
      break;
    }
    default: break;
  }
  return "<unknown type=" + std::to_string(type) + ">";
}

}  // namespace

bool parse_dns(std::span<const std::uint8_t> m, dns_message& out) {
  if (m.size() < 12) return false;
  reader r{m};
  out.id = r.u16();
  std::uint16_t flags = r.u16();
  out.response = (flags & 0x8000) != 0;
  out.opcode = static_cast<std::uint8_t>((flags >> 11) & 0xf);
  out.aa = flags & 0x0400;
  out.tc = flags & 0x0200;
  out.rd = flags & 0x0100;
  out.ra = flags & 0x0080;
  out.z = static_cast<std::uint8_t>((flags >> 4) & 0x7);
  out.rcode = static_cast<std::uint8_t>(flags & 0xf);
  std::uint16_t qd = r.u16(), an = r.u16();
  r.u16();
  r.u16();
  if (qd > 64 || an > 1024) return false;
  std::string name;
  for (unsigned i = 0; i < qd; ++i) {
    if (!read_name(m, r.pos, name)) return false;
    std::uint16_t t = r.u16(), cl = r.u16();
    if (!r.ok) return false;
    if (i == 0) {
      out.has_question = true;
      out.query = name;
      out.qtype = t;
      out.qclass = cl;
    }
  }
  for (unsigned i = 0; i < an; ++i) {
    if (!read_name(m, r.pos, name)) return false;
    std::uint16_t t = r.u16();
    r.u16();
    std::uint32_t ttl = r.u32();
    std::uint16_t len = r.u16();
    if (!r.ok || r.pos + len > m.size()) return false;
    if (t != 41) {  // OPT is not an answer
      out.answers.push_back(render_rdata(m, t, r.pos, len));
      out.ttls.push_back(ttl);
    }
    r.pos += len;
  }
  return true;
}

namespace {

class dns_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    if (c.proto == 17) {
      message(out, c, is_orig, d, ts);
      return;
    }
    std::string& b = buf_[is_orig ? 0 : 1];
    b.append(reinterpret_cast<const char*>(d.data()), d.size());
    std::size_t pos = 0;
    while (b.size() - pos >= 2) {
      std::size_t len =
          (static_cast<std::uint8_t>(b[pos]) << 8) | static_cast<std::uint8_t>(b[pos + 1]);
      if (b.size() - pos - 2 < len) break;
      message(out, c, is_orig, {reinterpret_cast<const std::uint8_t*>(b.data() + pos + 2), len},
              ts);
      pos += 2 + len;
    }
    b.erase(0, pos);
    if (b.size() > 70000) b.clear();
  }
  std::string_view service() const override { return "dns"; }

 private:
  void message(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
               std::int64_t ts) {
    dns_message m;
    if (!parse_dns(d, m)) return;
    if (!seen_) {
      seen_ = true;
      swap_ = m.response == is_orig;  // first message a response from the originator
    }
    model::event* e = out.make(
        m.response ? model::catalogue::dns_reply : model::catalogue::dns_request, c, ts, swap_);
    if (e == nullptr) return;
    set_field(*e, "trans_id", std::uint64_t{m.id});
    if (m.has_question) {
      set_field(*e, "query", m.query);
      set_field(*e, "qtype", std::uint64_t{m.qtype});
      set_field(*e, "qclass", std::uint64_t{m.qclass});
    }
    set_field(*e, "opcode", std::uint64_t{m.opcode});
    if (!m.response) {
      set_field(*e, "rd", m.rd);
    } else {
      set_field(*e, "rcode", std::uint64_t{m.rcode});
      set_field(*e, "aa", m.aa);
      set_field(*e, "tc", m.tc);
      set_field(*e, "ra", m.ra);
      set_field(*e, "z", std::uint64_t{m.z});
      if (!m.answers.empty()) {
        model::vector_value a, t;
        for (auto& s : m.answers) a.elements.emplace_back(s);
        for (auto v : m.ttls) t.elements.emplace_back(model::interval::seconds(v));
        set_field(*e, "answers", std::move(a));
        set_field(*e, "ttls", std::move(t));
      }
    }
    out.emit();
  }

  std::string buf_[2];
  bool seen_ = false;
  bool swap_ = false;
};

}  // namespace

std::unique_ptr<app_analyzer> make_dns() { return std::make_unique<dns_analyzer>(); }

}  // namespace coop::sensor::detail
