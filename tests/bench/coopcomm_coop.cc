// coop-bench-coopcomm: Coop itself. Two sites in this process, each with its
// own I/O thread: "bench-pub" listens on 127.0.0.1, "bench-sub" dials it;
// mutual TLS 1.3 with Ed25519 certificates from a test authority made by
// coop::comm::create_authority/create_site, pinned keys, signed envelopes.
// bench-sub subscribes to /bench; the benchmark publishes on /bench/load.
#include <thread>

#include "coop/comm/config.h"
#include "coop/comm/identity.h"
#include "coop/comm/node.h"
#include "coopcomm_bench.h"

namespace coop::bench::comm {
namespace {

namespace cc = coop::comm;

constexpr const char* topic = "/bench/load";

class coop_transport final : public transport {
 public:
  std::string name() const override { return "coop"; }
  std::string describe() const override {
    std::string l;
    for (const auto& x : limits_) l += (l.empty() ? "" : ", ") + x;
    return "Coop: mutual TLS 1.3 (Ed25519 certificates, pinned SPKI), Ed25519-signed batch "
           "envelopes, " + (l.empty() ? "default limits" : "limits " + l) +
           ", publish with block_for 5 s";
  }

  bool send(std::string_view payload) override {
    auto r = pub_->publish(topic, "application/octet-stream", payload, opts_);
    if (!r.ok() && !first_error_reported_) {
      first_error_reported_ = true;
      progress("coop: publish failed: " + r.err().to_string() + " (later failures not shown)");
    }
    return r.ok();
  }

  void finish() override {
    if (auto r = pub_->flush(std::chrono::seconds(30)); !r.ok())
      progress("coop: flush: " + r.err().to_string());
  }

  void begin_phase() override {
    pub_before_ = pub_->stats();
    sub_before_ = sub_->stats();
  }

  nlohmann::ordered_json counters() override {
    const auto p = pub_->stats();
    const auto s = sub_->stats();
    nlohmann::ordered_json j;
    j["published"] = p.published - pub_before_.published;
    j["envelopes_signed"] = p.envelopes_signed - pub_before_.envelopes_signed;
    j["dropped_overflow"] = p.dropped_overflow - pub_before_.dropped_overflow;
    j["dropped_no_route"] = p.dropped_no_route - pub_before_.dropped_no_route;
    j["delivered"] = s.delivered - sub_before_.delivered;
    j["refused"] = (s.refused_access - sub_before_.refused_access) +
                   (s.refused_signature - sub_before_.refused_signature) +
                   (s.replays - sub_before_.replays) + (s.duplicates - sub_before_.duplicates);
    j["protocol_errors"] = (p.protocol_errors - pub_before_.protocol_errors) +
                           (s.protocol_errors - sub_before_.protocol_errors);
    return j;
  }

  // Set up by make_coop.
  std::unique_ptr<cc::node> pub_, sub_;
  std::vector<std::string> limits_;

 private:
  cc::send_options opts_{std::chrono::milliseconds(5000)};
  cc::node_stats pub_before_, sub_before_;
  bool first_error_reported_ = false;
};

std::string config_text(const cc::identity_files& self, const std::string& site,
                        const cc::identity_files& ca, const std::string& peer,
                        const std::string& peer_pin, std::uint16_t connect_port,
                        const std::filesystem::path& state, const std::string& extra) {
  std::string t = "site " + site + "\n";
  t += "key " + self.key.string() + "\n";
  t += "cert " + self.cert.string() + "\n";
  t += "ca " + ca.cert.string() + "\n";
  t += "state " + state.string() + "\n";
  if (connect_port == 0) t += "listen 127.0.0.1:0\n";
  t += "peer " + peer + " spki=" + peer_pin;
  if (connect_port != 0) t += " connect=127.0.0.1:" + std::to_string(connect_port);
  t += "\nallow " + peer + " publish,subscribe /bench\n";
  return t + extra;
}

template <typename T>
bool ok_or_say(const cc::result<T>& r, const std::string& what) {
  if (r.ok()) return true;
  progress("coop: " + what + ": " + r.err().to_string());
  return false;
}

}  // namespace

std::unique_ptr<transport> make_coop(const std::filesystem::path& dir,
                                     const std::vector<std::string>& limits) {
  std::string extra;
  for (const auto& l : limits) extra += "limit " + l + "\n";
  auto ca = cc::create_authority(dir / "pki", "bench-ca");
  if (!ok_or_say(ca, "create_authority")) return nullptr;
  auto pub_id = cc::create_site(*ca, dir / "pki", "bench-pub");
  if (!ok_or_say(pub_id, "create_site bench-pub")) return nullptr;
  auto sub_id = cc::create_site(*ca, dir / "pki", "bench-sub");
  if (!ok_or_say(sub_id, "create_site bench-sub")) return nullptr;
  auto pub_pin = cc::spki_pin_of_certificate(pub_id->cert);
  auto sub_pin = cc::spki_pin_of_certificate(sub_id->cert);
  if (!ok_or_say(pub_pin, "pin of bench-pub") || !ok_or_say(sub_pin, "pin of bench-sub"))
    return nullptr;

  auto t = std::make_unique<coop_transport>();
  t->limits_ = limits;
  auto pub_cfg = cc::parse_config(
      config_text(*pub_id, "bench-pub", *ca, "bench-sub", *sub_pin, 0, dir / "state-pub", extra),
      "bench-pub.conf");
  if (!ok_or_say(pub_cfg, "configuration of bench-pub")) return nullptr;
  auto pub = cc::node::start(*pub_cfg);
  if (!ok_or_say(pub, "start bench-pub")) return nullptr;
  t->pub_ = std::move(*pub);

  auto sub_cfg = cc::parse_config(config_text(*sub_id, "bench-sub", *ca, "bench-pub", *pub_pin,
                                              t->pub_->listen_port(), dir / "state-sub", extra),
                                  "bench-sub.conf");
  if (!ok_or_say(sub_cfg, "configuration of bench-sub")) return nullptr;
  auto sub = cc::node::start(*sub_cfg);
  if (!ok_or_say(sub, "start bench-sub")) return nullptr;
  t->sub_ = std::move(*sub);

  tally* got = &t->received();
  auto id = t->sub_->subscribe("/bench", [got](const cc::message& m) {
    got->on_message(m.payload.data(), m.payload.size());
  });
  if (!ok_or_say(id, "subscribe")) return nullptr;

  // Ready when the publisher knows the subscription.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    bool ready = false;
    for (const auto& p : t->pub_->peers())
      if (p.name == "bench-sub" && p.state == cc::peer_state::up)
        for (const auto& s : p.subscriptions) ready = ready || s == "/bench";
    if (ready) break;
    if (std::chrono::steady_clock::now() > until) {
      for (const auto& p : t->pub_->peers())
        progress("coop: peer " + p.name + " is " + cc::to_string(p.state) + " " + p.reason);
      progress("coop: bench-sub did not connect and subscribe within 20 s");
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return t;
}

}  // namespace coop::bench::comm
