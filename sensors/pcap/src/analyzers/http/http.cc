// HTTP/1.x in both directions: request and status lines, headers, bodies
// framed by Content-Length, chunked encoding or the end of the connection,
// interim 1xx replies, and pipelining (replies matched to requests in
// order). One http_request per request (after its body) and one http_reply
// per final reply, both carrying trans_depth as Zeek's http.log does.
#include "analyzers/http/http.h"

#include <cctype>
#include <charconv>
#include <deque>
#include <string>

#include "analyzers/text/lines.h"
#include "coop/model/catalogue.h"

namespace coop::sensor::detail {

namespace {

enum class phase : std::uint8_t {
  start,
  headers,
  body_len,
  chunk_size,
  chunk_data,
  chunk_crlf,
  trailer,
  body_close
};

struct request_info {
  std::string method;
  std::string uri;
  std::string version;
  std::string host;
  std::string user_agent;
  std::string referrer;
  std::uint64_t body = 0;
  std::uint64_t depth = 0;
  std::int64_t ts = 0;
  bool emitted = false;
};

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded, as Zeek logs the URI.
std::string unescape_uri(std::string_view u) {
  std::string out;
  out.reserve(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) {
    if (u[i] == '%' && i + 2 < u.size() && hex(u[i + 1]) >= 0 && hex(u[i + 2]) >= 0) {
      out += static_cast<char>(hex(u[i + 1]) * 16 + hex(u[i + 2]));
      i += 2;
    } else {
      out += u[i];
    }
  }
  return out;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '!' || c == '~' || c == '*' || c == '+' || c == '#' || c == '$' || c == '%' ||
         c == '&' || c == '\'' || c == '^' || c == '`' || c == '|';
}

std::uint64_t to_u64(std::string_view s, int base = 10) {
  s = trim(s);
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, base);
  return v;
}

class http_analyzer final : public app_analyzer {
 public:
  void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
            std::int64_t ts) override {
    side& s = is_orig ? req_ : rep_;
    while (!d.empty()) {
      if (s.ph == phase::body_len || s.ph == phase::chunk_data) {
        std::uint64_t take = std::min<std::uint64_t>(s.remaining, d.size());
        s.body += take;
        s.remaining -= take;
        d = d.subspan(static_cast<std::size_t>(take));
        if (s.remaining == 0) {
          if (s.ph == phase::body_len)
            done(out, c, is_orig, ts);
          else
            s.ph = phase::chunk_crlf;
        }
        continue;
      }
      if (!is_orig && s.ph == phase::start) {
        // A reply to an HTTP/0.9 request has no status line: all body.
        const request_info* r = current_request();
        if (r != nullptr && r->version == "0.9") {
          s.ph = phase::body_close;
          s.status = 0;
          s.msg.clear();
          s.version = "0.9";
          s.body = 0;
          rep_ts_ = ts;
        }
      }
      if (s.ph == phase::body_close) {
        s.body += d.size();
        return;
      }
      // Line-oriented phases: take one line at a time so that a body that
      // follows in the same chunk is counted, not split into lines.
      const auto* nl = static_cast<const std::uint8_t*>(std::memchr(d.data(), '\n', d.size()));
      std::size_t n = nl == nullptr ? d.size() : static_cast<std::size_t>(nl - d.data()) + 1;
      std::size_t before = s.lines_seen;
      s.lines.feed(d.subspan(0, n), [&](std::string_view l) {
        ++s.lines_seen;
        line(out, c, is_orig, s, l, ts);
      });
      (void)before;
      d = d.subspan(n);
    }
  }
  void end(emit_context& out, const conn& c, std::int64_t ts) override {
    if (rep_.ph == phase::body_close || (rep_.ph != phase::start && rep_.ph != phase::headers)) {
      done(out, c, false, ts);
    }
    if (req_.ph != phase::start && req_.ph != phase::headers) done(out, c, true, ts);
    for (auto& r : queue_) {
      if (!r.emitted) emit_request(out, c, r);
    }
  }
  std::string_view service() const override { return "http"; }

 private:
  struct side {
    line_splitter lines{65536};
    std::size_t lines_seen = 0;
    phase ph = phase::start;
    std::uint64_t remaining = 0;
    std::uint64_t body = 0;
    std::int64_t content_length = -1;
    bool chunked = false;
    // reply only
    unsigned status = 0;
    std::string msg;
    std::string version;
  };

  void line(emit_context& out, const conn& c, bool is_orig, side& s, std::string_view l,
            std::int64_t ts) {
    switch (s.ph) {
      case phase::start: {
        if (l.empty()) return;
        if (is_orig) {
          std::size_t i = 0;
          while (i < l.size() && is_token_char(l[i])) ++i;
          if (i == 0 || i >= l.size() || l[i] != ' ') return;  // not a request line
          request_info r;
          r.method = std::string(l.substr(0, i));
          std::string_view rest = l.substr(i + 1);
          auto v = rest.rfind(" HTTP/");
          if (rest.substr(0, 5) == "HTTP/") {  // "GET HTTP/1.1": no URI at all
            r.version = std::string(trim(rest.substr(5)));
          } else if (v != std::string_view::npos) {
            r.uri = std::string(rest.substr(0, v));
            r.version = std::string(trim(rest.substr(v + 6)));
          } else {
            r.uri = std::string(trim(rest));
            r.version = "0.9";  // no version: an HTTP/0.9 request
          }
          r.depth = ++depth_;
          r.ts = ts;
          if (queue_.size() >= 64) queue_.pop_front();
          queue_.push_back(std::move(r));
        } else {
          if (l.substr(0, 5) != "HTTP/") return;
          auto sp = l.find(' ');
          if (sp == std::string_view::npos) return;
          s.version = std::string(l.substr(5, sp - 5));
          std::string_view rest = l.substr(sp + 1);
          auto sp2 = rest.find(' ');
          s.status = static_cast<unsigned>(to_u64(rest.substr(0, sp2)));
          s.msg = sp2 == std::string_view::npos ? std::string() : std::string(rest.substr(sp2 + 1));
          rep_ts_ = ts;
        }
        s.ph = phase::headers;
        s.content_length = -1;
        s.chunked = false;
        s.body = 0;
        return;
      }
      case phase::headers: {
        if (!l.empty()) {
          header(is_orig, s, l);
          return;
        }
        body_start(out, c, is_orig, s, ts);
        return;
      }
      case phase::chunk_size: {
        std::uint64_t n = to_u64(l.substr(0, l.find(';')), 16);
        if (n == 0)
          s.ph = phase::trailer;
        else {
          s.remaining = n;
          s.ph = phase::chunk_data;
        }
        return;
      }
      case phase::chunk_crlf: s.ph = phase::chunk_size; return;
      case phase::trailer:
        if (l.empty()) done(out, c, is_orig, ts);
        return;
      default: return;
    }
  }

  void header(bool is_orig, side& s, std::string_view l) {
    auto colon = l.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view name = trim(l.substr(0, colon));
    std::string_view value = trim(l.substr(colon + 1));
    if (starts_with_nocase(name, "content-length") && name.size() == 14) {
      s.content_length = static_cast<std::int64_t>(to_u64(value));
    } else if (starts_with_nocase(name, "transfer-encoding") && name.size() == 17) {
      if (value.find("chunked") != std::string_view::npos) s.chunked = true;
    } else if (is_orig && !queue_.empty()) {
      request_info& r = queue_.back();
      if (name.size() == 4 && starts_with_nocase(name, "host"))
        r.host = std::string(value);
      else if (name.size() == 10 && starts_with_nocase(name, "user-agent"))
        r.user_agent = std::string(value);
      else if (name.size() == 7 && starts_with_nocase(name, "referer"))
        r.referrer = std::string(value);
    }
  }

  void body_start(emit_context& out, const conn& c, bool is_orig, side& s, std::int64_t ts) {
    bool no_body = false;
    if (!is_orig) {
      if (s.status >= 100 && s.status < 200) {  // interim: wait for the final reply
        s.ph = phase::start;
        return;
      }
      const request_info* r = current_request();
      if (s.status == 204 || s.status == 304 || (r != nullptr && r->method == "HEAD"))
        no_body = true;
    }
    if (no_body) {
      done(out, c, is_orig, ts);
    } else if (s.chunked) {
      s.ph = phase::chunk_size;
    } else if (s.content_length > 0) {
      s.ph = phase::body_len;
      s.remaining = static_cast<std::uint64_t>(s.content_length);
    } else if (s.content_length == 0 || no_body || is_orig) {
      done(out, c, is_orig, ts);
    } else {
      s.ph = phase::body_close;  // reply without length: until the connection closes
    }
  }

  // The request the reply being parsed answers.
  request_info* current_request() {
    for (auto& r : queue_) {
      if (r.depth == replied_ + 1) return &r;
    }
    return nullptr;
  }

  void emit_request(emit_context& out, const conn& c, request_info& r) {
    r.emitted = true;
    model::event* e = out.make(model::catalogue::http_request, c, r.ts);
    if (e == nullptr) return;
    set_field(*e, "trans_depth", r.depth);
    set_field(*e, "method", r.method);
    if (!r.host.empty()) set_field(*e, "host", r.host);
    set_field(*e, "uri", unescape_uri(r.uri));
    if (!r.version.empty()) set_field(*e, "version", r.version);
    if (!r.user_agent.empty()) set_field(*e, "user_agent", r.user_agent);
    if (!r.referrer.empty()) set_field(*e, "referrer", r.referrer);
    set_field(*e, "request_body_len", r.body);
    out.emit();
  }

  void done(emit_context& out, const conn& c, bool is_orig, std::int64_t ts) {
    side& s = is_orig ? req_ : rep_;
    (void)ts;
    if (is_orig) {
      for (auto& r : queue_) {
        if (!r.emitted) {
          r.body = s.body;
          emit_request(out, c, r);
          break;
        }
      }
    } else {
      std::uint64_t depth = ++replied_;
      model::event* e = out.make(model::catalogue::http_reply, c, rep_ts_);
      if (e != nullptr) {
        set_field(*e, "trans_depth", depth);
        set_field(*e, "version", s.version);
        set_field(*e, "status_code", std::uint64_t{s.status});
        set_field(*e, "status_msg", s.msg);
        set_field(*e, "response_body_len", s.body);
        out.emit();
      }
      while (!queue_.empty() && queue_.front().emitted && queue_.front().depth <= replied_)
        queue_.pop_front();
    }
    s.ph = phase::start;
    s.body = 0;
    s.remaining = 0;
  }

  side req_;
  side rep_;
  std::deque<request_info> queue_;
  std::uint64_t depth_ = 0;
  std::uint64_t replied_ = 0;
  std::int64_t rep_ts_ = 0;
};

}  // namespace

std::unique_ptr<app_analyzer> make_http() { return std::make_unique<http_analyzer>(); }

}  // namespace coop::sensor::detail
