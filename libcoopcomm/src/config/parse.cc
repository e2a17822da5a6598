// The configuration text: one directive per line, words separated by blanks,
// '#' to the end of the line is a comment. See docs/protocol.md.
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config/values.h"
#include "coop/comm/config.h"
#include "coop/comm/topic.h"

namespace coop::comm {

namespace {

namespace cv = config_values;

using words = std::vector<std::string_view>;

words split_words(std::string_view line) {
  words out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// "key=value" options after the positional words of a line.
struct options {
  std::map<std::string, std::string, std::less<>> values;
};

class parser {
 public:
  parser(std::string_view source, std::filesystem::path base) : base_(std::move(base)) {
    cfg_.source = std::string(source);
  }

  result<site_config> run(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      ++line_;
      auto w = split_words(text.substr(start, end - start));
      if (!w.empty()) {
        if (auto r = directive(w); !r) return r.err();
      }
      if (end == text.size()) break;
      start = end + 1;
    }
    return finish();
  }

 private:
  std::string where() const { return cfg_.source + ":" + std::to_string(line_); }

  error fail(const std::string& what) const { return {errc::invalid_argument, where() + ": " + what}; }

  std::filesystem::path path_of(std::string_view s) const {
    std::filesystem::path p{std::string(s)};
    return p.is_relative() && !base_.empty() ? base_ / p : p;
  }

  result<void> expect_args(const words& w, std::size_t min, std::size_t max, const char* usage) {
    if (w.size() - 1 < min || w.size() - 1 > max)
      return fail(std::string("'") + std::string(w[0]) + "' expects: " + usage);
    return {};
  }

  // Splits "k=v" words from index `from` into options; unknown keys are errors.
  result<options> opts(const words& w, std::size_t from, std::initializer_list<const char*> known) {
    options o;
    for (std::size_t i = from; i < w.size(); ++i) {
      auto eq = w[i].find('=');
      if (eq == std::string_view::npos || eq == 0)
        return fail("expected key=value, got '" + std::string(w[i]) + "'");
      std::string key(w[i].substr(0, eq));
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok) return fail("unknown option '" + key + "' for '" + std::string(w[0]) + "'");
      if (!o.values.emplace(key, std::string(w[i].substr(eq + 1))).second)
        return fail("option '" + key + "' given twice");
    }
    return o;
  }

  result<std::string> prefix_arg(std::string_view s) {
    if (auto r = validate_topic(s); !r) return fail(r.err().message);
    return std::string(s);
  }

  result<void> directive(const words& w);
  result<void> single(const words& w);
  result<void> peer(const words& w, bool neighbour);
  result<void> rule(const words& w);
  result<void> approve(const words& w);
  result<void> overflow(const words& w);
  result<void> rate(const words& w);
  result<void> limit(const words& w);
  result<site_config> finish();

  site_config cfg_;
  std::filesystem::path base_;
  std::size_t line_ = 0;
  std::map<std::string, std::string, std::less<>> seen_;  // single directives -> where
};

result<void> parser::directive(const words& w) {
  const auto d = w[0];
  if (d == "site" || d == "key" || d == "cert" || d == "ca" || d == "listen" || d == "state" ||
      d == "relay")
    return single(w);
  if (d == "peer") return peer(w, true);
  if (d == "origin") return peer(w, false);
  if (d == "allow" || d == "deny") return rule(w);
  if (d == "approve") return approve(w);
  if (d == "overflow") return overflow(w);
  if (d == "rate") return rate(w);
  if (d == "limit") return limit(w);
  return fail("unknown directive '" + std::string(d) +
              "' (expected site, key, cert, ca, listen, state, relay, peer, origin, allow, deny, "
              "approve, overflow, rate or limit)");
}

result<void> parser::single(const words& w) {
  if (auto r = expect_args(w, 1, 1, "one value"); !r) return r;
  const std::string d(w[0]);
  if (auto it = seen_.find(d); it != seen_.end())
    return fail("'" + d + "' given twice (first at " + it->second + ")");
  seen_.emplace(d, where());
  const auto v = w[1];
  if (d == "site") {
    if (!cv::valid_site_name(v))
      return fail("bad site name '" + std::string(v) + "' (1-64 of A-Z a-z 0-9 . _ -)");
    cfg_.site = std::string(v);
  } else if (d == "key") {
    cfg_.key = path_of(v);
  } else if (d == "cert") {
    cfg_.cert = path_of(v);
  } else if (d == "ca") {
    cfg_.ca = path_of(v);
  } else if (d == "state") {
    cfg_.state = path_of(v);
  } else if (d == "listen") {
    auto e = cv::parse_endpoint(v);
    if (!e) return fail("bad endpoint '" + std::string(v) + "' (host:port or [v6]:port)");
    cfg_.listen = *e;
  } else if (d == "relay") {
    if (v != "on" && v != "off") return fail("relay expects on or off, got '" + std::string(v) + "'");
    cfg_.relay = v == "on";
  }
  return {};
}

result<void> parser::peer(const words& w, bool neighbour) {
  if (w.size() < 3)
    return fail(neighbour ? "'peer' expects: NAME spki=PIN [connect=HOST:PORT] [ca=FILE]"
                          : "'origin' expects: NAME spki=PIN");
  peer_config p;
  p.name = std::string(w[1]);
  p.neighbour = neighbour;
  p.where = where();
  if (!cv::valid_site_name(p.name))
    return fail("bad site name '" + p.name + "' (1-64 of A-Z a-z 0-9 . _ -)");
  if (cfg_.find_peer(p.name)) return fail("site '" + p.name + "' defined twice");
  auto o = neighbour ? opts(w, 2, {"spki", "connect", "ca"}) : opts(w, 2, {"spki"});
  if (!o) return o.err();
  auto& v = o->values;
  auto spki = v.find("spki");
  if (spki == v.end()) return fail("site '" + p.name + "' has no spki=PIN");
  auto pin = cv::parse_pin(spki->second);
  if (!pin) return fail("spki of '" + p.name + "' is not 64 hex digits (a SHA-256 of the key)");
  p.spki_pin = *pin;
  if (auto c = v.find("connect"); c != v.end()) {
    auto e = cv::parse_endpoint(c->second);
    if (!e) return fail("bad endpoint '" + c->second + "' for '" + p.name + "'");
    p.connect = *e;
  }
  if (auto c = v.find("ca"); c != v.end()) p.ca = path_of(c->second);
  cfg_.peers.push_back(std::move(p));
  return {};
}

result<void> parser::rule(const words& w) {
  if (auto r = expect_args(w, 3, 3, "PEERS VERBS PREFIX (PEERS and VERBS: '*' or comma lists)");
      !r)
    return r;
  acl_rule a;
  a.allow = w[0] == "allow";
  a.where = where();
  if (w[1] != "*") {
    std::string_view list = w[1];
    while (!list.empty()) {
      auto comma = list.find(',');
      auto name = list.substr(0, comma);
      if (!cv::valid_site_name(name)) return fail("bad peer name '" + std::string(name) + "'");
      a.peers.emplace_back(name);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  if (w[2] == "*") {
    a.verbs = 0x0f;
  } else {
    std::string_view list = w[2];
    while (!list.empty()) {
      auto comma = list.find(',');
      auto name = list.substr(0, comma);
      if (name == "publish") a.verbs |= static_cast<std::uint8_t>(verb::publish);
      else if (name == "subscribe") a.verbs |= static_cast<std::uint8_t>(verb::subscribe);
      else if (name == "request") a.verbs |= static_cast<std::uint8_t>(verb::request);
      else if (name == "respond") a.verbs |= static_cast<std::uint8_t>(verb::respond);
      else
        return fail("unknown verb '" + std::string(name) +
                    "' (publish, subscribe, request, respond or *)");
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  auto p = prefix_arg(w[3]);
  if (!p) return p.err();
  a.prefix = std::move(*p);
  cfg_.acl.push_back(std::move(a));
  return {};
}

result<void> parser::approve(const words& w) {
  if (w.size() < 2) return fail("'approve' expects: PREFIX [timeout=DURATION]");
  approval_rule a;
  a.where = where();
  auto p = prefix_arg(w[1]);
  if (!p) return p.err();
  a.prefix = std::move(*p);
  auto o = opts(w, 2, {"timeout"});
  if (!o) return o.err();
  if (auto t = o->values.find("timeout"); t != o->values.end()) {
    auto d = cv::parse_duration(t->second);
    if (!d || d->count() < 1000) return fail("bad timeout '" + t->second + "' (at least 1s)");
    a.timeout = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  cfg_.approvals.push_back(std::move(a));
  return {};
}

result<void> parser::overflow(const words& w) {
  if (auto r = expect_args(w, 2, 2, "PREFIX drop-oldest|drop-newest|disconnect"); !r) return r;
  overflow_rule o;
  o.where = where();
  auto p = prefix_arg(w[1]);
  if (!p) return p.err();
  o.prefix = std::move(*p);
  if (w[2] == "drop-oldest") o.policy = overflow_policy::drop_oldest;
  else if (w[2] == "drop-newest") o.policy = overflow_policy::drop_newest;
  else if (w[2] == "disconnect") o.policy = overflow_policy::disconnect;
  else return fail("unknown policy '" + std::string(w[2]) + "' (drop-oldest, drop-newest, disconnect)");
  cfg_.overflow.push_back(std::move(o));
  return {};
}

result<void> parser::rate(const words& w) {
  if (w.size() < 3) return fail("'rate' expects: PEER|* msgs=N/s and/or bytes=SIZE/s");
  rate_limit r;
  r.where = where();
  r.peer = std::string(w[1]);
  if (r.peer != "*" && !cv::valid_site_name(r.peer)) return fail("bad peer name '" + r.peer + "'");
  auto o = opts(w, 2, {"msgs", "bytes"});
  if (!o) return o.err();
  for (auto& [k, v] : o->values) {
    if (!v.ends_with("/s")) return fail(k + " must be a rate per second, e.g. " + k + "=1000/s");
    auto n = cv::parse_size(std::string_view(v).substr(0, v.size() - 2));
    if (!n || *n == 0) return fail("bad rate '" + v + "'");
    (k == "msgs" ? r.msgs_per_s : r.bytes_per_s) = static_cast<double>(*n);
  }
  cfg_.rates.push_back(std::move(r));
  return {};
}

result<void> parser::limit(const words& w) {
  if (auto r = expect_args(w, 2, 2, "NAME VALUE"); !r) return r;
  const auto name = w[1], value = w[2];
  auto& l = cfg_.limits;
  auto size = [&](auto& field, std::uint64_t min, std::uint64_t max) -> result<void> {
    auto n = cv::parse_size(value);
    if (!n || *n < min || *n > max)
      return fail("limit " + std::string(name) + ": bad value '" + std::string(value) + "' (" +
                  std::to_string(min) + " to " + std::to_string(max) + ")");
    field = static_cast<std::remove_reference_t<decltype(field)>>(*n);
    return {};
  };
  auto duration = [&](std::chrono::milliseconds& field) -> result<void> {
    auto d = cv::parse_duration(value);
    if (!d || d->count() == 0)
      return fail("limit " + std::string(name) + ": bad duration '" + std::string(value) +
                  "' (e.g. 500ms, 30s, 5m)");
    field = *d;
    return {};
  };
  if (name == "frame-bytes") return size(l.max_frame_bytes, 4096, 64u << 20);
  if (name == "segments") return size(l.max_segments, 1, 512);
  if (name == "nesting") return size(l.max_nesting, 4, 64);
  if (name == "queue-bytes") return size(l.queue_bytes, 4096, 1ull << 40);
  if (name == "inbox-bytes") return size(l.inbox_bytes, 4096, 1ull << 40);
  if (name == "pending-handshakes") return size(l.max_pending_handshakes, 1, 100000);
  if (name == "subscriptions") return size(l.max_subscriptions, 1, 1000000);
  if (name == "pending-approvals") return size(l.max_pending_approvals, 1, 1000000);
  if (name == "hop-limit") return size(l.hop_limit, 1, 64);
  if (name == "batch-items") return size(l.batch_items, 1, 65536);
  if (name == "batch-linger") {
    // Microseconds matter here: "250us", or any duration ("1ms"); 0 to 1 s.
    std::chrono::microseconds us{};
    if (value.ends_with("us")) {
      const auto digits = value.substr(0, value.size() - 2);
      const bool numeric = !digits.empty() && digits.size() <= 7 &&
                           digits.find_first_not_of("0123456789") == std::string_view::npos;
      const auto n = numeric ? cv::parse_size(digits) : std::nullopt;
      if (!n || *n > 1000000)
        return fail("limit batch-linger: bad duration '" + std::string(value) +
                    "' (e.g. 250us, 1ms; at most 1s)");
      us = std::chrono::microseconds(static_cast<std::int64_t>(*n));
    } else {
      auto d = cv::parse_duration(value);
      if (!d || d->count() > 1000)
        return fail("limit batch-linger: bad duration '" + std::string(value) +
                    "' (e.g. 250us, 1ms; at most 1s)");
      us = *d;
    }
    l.batch_linger = us;
    return {};
  }
  if (name == "handshake-timeout") return duration(l.handshake_timeout);
  if (name == "idle-timeout") return duration(l.idle_timeout);
  if (name == "keepalive") return duration(l.keepalive);
  if (name == "request-timeout") return duration(l.request_timeout);
  if (name == "envelope-ttl") return duration(l.envelope_ttl);
  if (name == "clock-skew") return duration(l.clock_skew);
  if (name == "reconnect-min") return duration(l.reconnect_min);
  if (name == "reconnect-max") return duration(l.reconnect_max);
  return fail("unknown limit '" + std::string(name) + "' (see docs/protocol.md, Configuration)");
}

result<site_config> parser::finish() {
  auto missing = [&](const char* what) {
    return error{errc::invalid_argument, cfg_.source + ": no '" + what + "' line"};
  };
  if (cfg_.site.empty()) return missing("site");
  if (cfg_.key.empty()) return missing("key");
  if (cfg_.cert.empty()) return missing("cert");
  for (auto& p : cfg_.peers) {
    if (p.name == cfg_.site) return error{errc::invalid_argument, p.where + ": a site cannot be its own peer"};
    if (p.neighbour && p.ca.empty()) {
      if (cfg_.ca.empty())
        return error{errc::invalid_argument,
                     p.where + ": peer '" + p.name + "' has no ca= and there is no 'ca' line"};
      p.ca = cfg_.ca;
    }
  }
  for (auto& r : cfg_.rates) {
    if (r.peer != "*" && !cfg_.find_peer(r.peer))
      return error{errc::invalid_argument, r.where + ": rate for unknown peer '" + r.peer + "'"};
  }
  if (cfg_.limits.keepalive >= cfg_.limits.idle_timeout)
    return error{errc::invalid_argument,
                 cfg_.source + ": limit keepalive must be shorter than idle-timeout"};
  return std::move(cfg_);
}

}  // namespace

result<site_config> parse_config(std::string_view text, std::string_view source,
                                 const std::filesystem::path& base) {
  return parser(source, base).run(text);
}

result<site_config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{errc::io, "cannot read configuration " + path.string()};
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return error{errc::io, "error reading configuration " + path.string()};
  return parse_config(ss.str(), path.string(), path.parent_path());
}

}  // namespace coop::comm
