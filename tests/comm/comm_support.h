// Helpers shared by the libcoopcomm tests: a temporary directory, a test PKI
// (one CA and any number of sites, made with coop::comm's identity
// functions), configuration text for a site, and waiting for a condition
// with a generous deadline (a wait, never a timing assertion).
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coop/comm/config.h"
#include "coop/comm/identity.h"
#include "coop/comm/node.h"

namespace coop::comm::testing {

/// A fresh directory under the system temp dir, removed on destruction.
class scratch_dir {
 public:
  scratch_dir() {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            ("coop-comm-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A CA and the sites it certified, under one scratch directory.
class test_pki {
 public:
  explicit test_pki(std::string ca_name = "test-ca") {
    auto ca = create_authority(dir_.path(), ca_name);
    REQUIRE_MESSAGE(ca.ok(), (ca.ok() ? "" : ca.err().to_string()));
    ca_ = *ca;
  }

  /// Creates (once) and returns the identity of `site`.
  const identity_files& site(const std::string& name, const validity& v = {}) {
    auto it = sites_.find(name);
    if (it != sites_.end()) return it->second;
    auto id = create_site(ca_, dir_.path(), name, v);
    REQUIRE_MESSAGE(id.ok(), (id.ok() ? "" : id.err().to_string()));
    return sites_.emplace(name, *id).first->second;
  }

  /// The pin of `site`'s certificate.
  std::string pin(const std::string& name) {
    auto p = spki_pin_of_certificate(site(name).cert);
    REQUIRE(p.ok());
    return *p;
  }

  [[nodiscard]] const identity_files& ca() const { return ca_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  scratch_dir dir_;
  identity_files ca_;
  std::map<std::string, identity_files> sites_;
};

/// A neighbour in a test configuration.
struct test_peer {
  std::string name;
  std::uint16_t connect_port = 0;  ///< 0: it dials us.
};

/// Configuration text for `site`, listening on 127.0.0.1:0, with `peers`,
/// fast reconnects and `extra` lines (rules, limits) appended.
inline std::string config_text(test_pki& pki, const std::string& site,
                               const std::vector<test_peer>& peers, const std::string& extra,
                               const std::filesystem::path& state = {}) {
  std::string t = "site " + site + "\n";
  t += "key " + pki.site(site).key.string() + "\n";
  t += "cert " + pki.site(site).cert.string() + "\n";
  t += "ca " + pki.ca().cert.string() + "\n";
  t += "listen 127.0.0.1:0\n";
  if (!state.empty()) t += "state " + state.string() + "\n";
  t += "limit reconnect-min 20ms\nlimit reconnect-max 200ms\n";
  for (const auto& p : peers) {
    t += "peer " + p.name + " spki=" + pki.pin(p.name);
    if (p.connect_port) t += " connect=127.0.0.1:" + std::to_string(p.connect_port);
    t += "\n";
  }
  return t + extra;
}

/// Parses configuration text, failing the test with the parser's message.
inline site_config parsed(const std::string& text) {
  auto c = parse_config(text, "test.conf");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().to_string()));
  return *c;
}

/// Starts a node, failing the test with the error.
inline std::unique_ptr<node> started(const std::string& text) {
  auto n = node::start(parsed(text));
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? "" : n.err().to_string()));
  return std::move(*n);
}

/// Polls `pred` every few milliseconds until it holds or `limit` passes;
/// returns its last value. Used to wait for network events, with a limit far
/// above what they need, never to measure time.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

/// The state of `peer` as `n` sees it.
inline peer_state state_of(const node& n, const std::string& peer) {
  for (const auto& p : n.peers())
    if (p.name == peer) return p.state;
  return peer_state::down;
}

/// Whether `n` reports `peer` as subscribed to `prefix`.
inline bool peer_subscribed(const node& n, const std::string& peer, const std::string& prefix) {
  for (const auto& p : n.peers())
    if (p.name == peer)
      for (const auto& s : p.subscriptions)
        if (s == prefix) return true;
  return false;
}

/// A thread-safe collector of delivered messages.
class inbox {
 public:
  message_handler handler() {
    return [this](const message& m) {
      std::lock_guard lock(mutex_);
      messages_.push_back(m);
    };
  }
  std::vector<message> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<message> messages_;
};

}  // namespace coop::comm::testing
