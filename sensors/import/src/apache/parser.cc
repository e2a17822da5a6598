// The Apache access-log line parser: each request line gives an
// http_request, and an http_reply when the status is logged.
#include <cstring>
#include <string>

#include "apache/access_log.h"
#include "coop/model/catalogue.h"
#include "session/context.h"

namespace coop::importer::detail {

namespace model = coop::model;

namespace {

// Field positions in the catalogue schemas, looked up once.
struct request_fields {
  std::size_t orig_h, resp_p, method, host, uri, referrer, version, user_agent, username;
};
struct reply_fields {
  std::size_t orig_h, resp_p, version, status_code, response_body_len;
};

std::size_t at(const model::schema& s, std::string_view name) { return *s.index_of(name); }

// Sets `v` to the text `s` (unescaped), reusing its string storage; `-` is unset.
void set_text(model::value& v, std::string_view s, bool dash_is_unset = true) {
  if (s.empty() || (dash_is_unset && s == "-")) {
    v = model::none;
    return;
  }
  if (!v.is<std::string>()) v = std::string();
  auto& out = v.get<std::string>();
  out.clear();
  if (std::memchr(s.data(), '\\', s.size()) == nullptr) {
    out.assign(s);
  } else {
    apache::unescape_apache(s, out);
  }
}

class apache_parser final : public line_parser {
 public:
  explicit apache_parser(context& ctx)
      : ctx_(ctx),
        counts_(ctx.kind("apache")),
        request_(ctx.schema(model::catalogue::http_request)),
        reply_(ctx.schema(model::catalogue::http_reply)),
        requests_(ctx.counter(model::catalogue::http_request)),
        replies_(ctx.counter(model::catalogue::http_reply)) {
    const auto& q = request_.type();
    rq_ = {at(q, "orig_h"), at(q, "resp_p"),   at(q, "method"),     at(q, "host"),    at(q, "uri"),
           at(q, "referrer"), at(q, "version"), at(q, "user_agent"), at(q, "username")};
    const auto& r = reply_.type();
    rp_ = {at(r, "orig_h"), at(r, "resp_p"), at(r, "version"), at(r, "status_code"),
           at(r, "response_body_len")};
    request_.from = ctx.opt.from;
    reply_.from = ctx.opt.from;
  }

  model::result<void> line(std::string_view text, std::uint64_t no) override {
    if (text.empty()) return {};
    ++counts_.lines;
    if (text[0] == '[') {
      // An error-log line ("[Thu Oct 13 ...] [auth_basic:error] ...").
      ++counts_.ignored;
      if (!warned_error_log_) {
        warned_error_log_ = true;
        ctx_.warn(no, "Apache error-log lines are not access-log requests; they are ignored");
      }
      return {};
    }
    if (!apache::parse_access_line(text, line_, why_)) {
      ctx_.skip(counts_, no, why_);
      return {};
    }
    if (line_.truncated) {
      ctx_.warn(no, "the User-Agent has no closing quote (line cut short?); imported as it is");
    }
    auto& q = request_.fields();
    q[rq_.orig_h] = line_.client;
    if (line_.vhost_port >= 0) {
      q[rq_.resp_p] = model::port{static_cast<std::uint16_t>(line_.vhost_port), model::transport::tcp};
    } else {
      q[rq_.resp_p] = model::none;
    }
    set_text(q[rq_.host], line_.vhost);
    set_text(q[rq_.username], line_.user);
    split_request(q);
    if (line_.combined) {
      set_text(q[rq_.referrer], line_.referrer);
      set_text(q[rq_.user_agent], line_.user_agent);
    } else {
      q[rq_.referrer] = model::none;
      q[rq_.user_agent] = model::none;
    }
    request_.ts = line_.ts;
    if (auto r = ctx_.emit(request_, counts_, requests_); !r) return r;
    if (line_.status >= 0) {
      auto& p = reply_.fields();
      p[rp_.orig_h] = line_.client;
      p[rp_.resp_p] = q[rq_.resp_p];
      p[rp_.version] = q[rq_.version];
      p[rp_.status_code] = static_cast<std::uint64_t>(line_.status);
      // CLF writes "-" for a reply without a body.
      p[rp_.response_body_len] = static_cast<std::uint64_t>(line_.bytes < 0 ? 0 : line_.bytes);
      reply_.ts = line_.ts;
      if (auto r = ctx_.emit(reply_, counts_, replies_); !r) return r;
    }
    ++counts_.records;
    return {};
  }

 private:
  // "GET /path HTTP/1.1" -> method, uri, version ("1.1"). A request line
  // that is not of that shape (a TLS handshake sent to the HTTP port, a
  // bare "-") is kept whole as the uri with no method.
  void split_request(std::vector<model::value>& q) {
    const std::string_view r = line_.request;
    const auto sp1 = r.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : r.rfind(' ');
    std::string_view method, uri, version;
    if (sp1 != std::string_view::npos && sp2 > sp1 && r.substr(sp2 + 1, 5) == "HTTP/") {
      method = r.substr(0, sp1);
      uri = r.substr(sp1 + 1, sp2 - sp1 - 1);
      version = r.substr(sp2 + 6);
    } else if (sp1 != std::string_view::npos && sp1 == sp2) {
      method = r.substr(0, sp1);  // HTTP/0.9: "GET /"
      uri = r.substr(sp1 + 1);
    } else {
      uri = r;
    }
    bool token = !method.empty();
    for (char c : method) token = token && c > 32 && c < 127 && c != '"' && c != '\\';
    if (!token) {
      method = {};
      uri = r;
      version = {};
    }
    set_text(q[rq_.method], method);
    set_text(q[rq_.uri], uri);
    set_text(q[rq_.version], version);
  }

  context& ctx_;
  tally& counts_;
  model::event request_;
  model::event reply_;
  std::uint64_t& requests_;
  std::uint64_t& replies_;
  request_fields rq_{};
  reply_fields rp_{};
  apache::access_line line_;
  std::string why_;
  bool warned_error_log_ = false;
};

}  // namespace

std::unique_ptr<line_parser> make_apache_parser(context& ctx) {
  return std::make_unique<apache_parser>(ctx);
}

}  // namespace coop::importer::detail
