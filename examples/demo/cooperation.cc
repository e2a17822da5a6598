// The cooperating sites: campus records its connections in a time machine;
// partner shares hot lists and asks incident queries; clearinghouse relays
// between them and trusts neither with more than its rules allow.
#include "cooperation.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "coop/comm/identity.h"
#include "coop/comm/node.h"
#include "coop/comm/topic.h"
#include "coop/model/anonymize.h"
#include "coop/model/json.h"
#include "coop/model/transform.h"
#include "coop/tm/store.h"

namespace coop::demo {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int fail(const std::string& what) {
  std::fprintf(stderr, "coop-demo: cooperation: %s\n", what.c_str());
  return 1;
}

// Waits (up to 15 s) for `pred`; network events take milliseconds here.
template <class P>
bool wait_for(P pred) {
  for (int i = 0; i < 3000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

bool up(const comm::node& n, const std::string& peer) {
  for (const auto& p : n.peers())
    if (p.name == peer && p.state == comm::peer_state::up) return true;
  return false;
}

bool subscribed(const comm::node& n, const std::string& peer, const std::string& topic) {
  for (const auto& p : n.peers())
    if (p.name == peer)
      for (const auto& s : p.subscriptions)
        if (comm::topic_covers(s, topic)) return true;
  return false;
}

struct pki {
  comm::identity_files ca;
  std::map<std::string, comm::identity_files> sites;
  std::map<std::string, std::string> pins;
};

std::string config(const pki& p, const std::string& site, const fs::path& state,
                   const std::string& rest) {
  return "site " + site + "\nkey " + p.sites.at(site).key.string() + "\ncert " +
         p.sites.at(site).cert.string() + "\nca " + p.ca.cert.string() + "\nstate " +
         state.string() + "\n" + rest;
}

std::unique_ptr<comm::node> start(const std::string& text, std::string& error) {
  auto cfg = comm::parse_config(text, "demo.conf");
  if (!cfg) {
    error = cfg.err().to_string();
    return nullptr;
  }
  auto n = comm::node::start(std::move(*cfg));
  if (!n) {
    error = n.err().to_string();
    return nullptr;
  }
  return std::move(*n);
}

}  // namespace

int cooperation_step(const std::vector<model::event>& events, const model::registry& reg) {
  const fs::path root = fs::temp_directory_path() / ("coop-demo-sites-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  struct cleanup {
    fs::path p;
    ~cleanup() { fs::remove_all(p); }
  } cleanup_root{root};

  // Identities: a small authority and one Ed25519 key per site.
  pki p;
  auto ca = comm::create_authority(root, "demo-ca");
  if (!ca) return fail(ca.err().to_string());
  p.ca = *ca;
  for (const char* s : {"campus", "clearinghouse", "partner"}) {
    auto id = comm::create_site(p.ca, root, s);
    if (!id) return fail(id.err().to_string());
    p.sites[s] = *id;
    p.pins[s] = *comm::spki_pin_of_certificate(id->cert);
  }
  std::printf("9. Three sites, mutual TLS 1.3 with pinned keys (demo CA in %s):\n", root.c_str());
  for (const auto& [s, pin] : p.pins) std::printf("     %-14s spki %s...\n", s.c_str(), pin.substr(0, 16).c_str());

  // Campus: the time machine, answering approved queries.
  tm::store_options opts;
  opts.root = root / "campus-tm";
  auto store = tm::store::create(opts, reg);
  if (!store) return fail(store.err().to_string());
  if (auto r = store->append(events); !r) return fail(r.err().to_string());
  if (auto r = store->commit(); !r) return fail(r.err().to_string());

  std::string error;
  auto campus = start(config(p, "campus", root / "campus-state",
                             "listen 127.0.0.1:0\n"
                             "peer clearinghouse spki=" + p.pins["clearinghouse"] + "\n"
                             "origin partner spki=" + p.pins["partner"] + "\n"
                             "allow clearinghouse,partner publish /coop/hotlist\n"
                             "allow clearinghouse,partner request /coop/query\n"
                             "approve /coop/query timeout=1h\n"),
                      error);
  if (!campus) return fail("campus: " + error);
  auto clearinghouse = start(config(p, "clearinghouse", root / "ch-state",
                                    "listen 127.0.0.1:0\nrelay on\n"
                                    "peer campus spki=" + p.pins["campus"] +
                                        " connect=127.0.0.1:" + std::to_string(campus->listen_port()) + "\n"
                                    "peer partner spki=" + p.pins["partner"] + "\n"
                                    "allow partner publish,request /coop\n"
                                    "allow campus subscribe,respond /coop\n"
                                    "allow partner subscribe,respond /coop\n"),
                             error);
  if (!clearinghouse) return fail("clearinghouse: " + error);
  auto partner = start(config(p, "partner", root / "partner-state",
                              "peer clearinghouse spki=" + p.pins["clearinghouse"] +
                                  " connect=127.0.0.1:" + std::to_string(clearinghouse->listen_port()) + "\n"
                              "origin campus spki=" + p.pins["campus"] + "\n"
                              "allow clearinghouse subscribe /coop/hotlist\n"
                              "allow clearinghouse,campus respond /coop\n"),
                       error);
  if (!partner) return fail("partner: " + error);

  // Campus subscribes to hot lists; the subscription travels to partner.
  std::mutex m;
  std::vector<comm::message> hot;
  auto sub = campus->subscribe("/coop/hotlist", [&](const comm::message& msg) {
    std::lock_guard l(m);
    hot.push_back(msg);
  });
  if (!sub) return fail(sub.err().to_string());
  if (!wait_for([&] { return up(*partner, "clearinghouse") && up(*campus, "clearinghouse") &&
                             subscribed(*partner, "clearinghouse", "/coop/hotlist/ip"); }))
    return fail("the sites did not connect");
  std::printf("   partner -> clearinghouse (relay) -> campus: links up, campus's hot-list\n"
              "   subscription propagated to partner through the clearing house\n");

  // 10. A hot list entry from partner, signed by partner, relayed untouched.
  const std::string suspect = events.front().get("resp_h")->to_string();
  const std::string indicator = R"({"type":"indicator","version":1,"ts":"2009-11-18T09:00:00Z",)"
                                R"("id":"7061727472657200000000000000000a","site":"partner","fields":{"indicator":")" + suspect +
                                R"(","indicator_type":"ADDR","source":"partner-cert",)"
                                R"("description":"ssh scanner seen at partner"}})";
  if (auto r = partner->publish("/coop/hotlist/ip", "application/vnd.coop.event+json", indicator); !r)
    return fail(r.err().to_string());
  if (!wait_for([&] { std::lock_guard l(m); return !hot.empty(); }))
    return fail("the hot-list entry did not arrive");
  comm::message got;
  {
    std::lock_guard l(m);
    got = hot.front();
  }
  auto ev = model::from_json(got.payload, reg);
  if (!ev) return fail("campus cannot read the indicator: " + ev.err().to_string());
  tm::query_spec lookup;
  lookup.filter = "orig_h == " + suspect + " || resp_h == " + suspect;
  auto seen = store->count(lookup);
  if (!seen) return fail(seen.err().to_string());
  std::printf("10. Hot list: campus got indicator %s (%s) signed by '%s', relayed by '%s';\n"
              "    its time machine has %llu connection(s) involving it\n",
              ev->get("indicator")->to_string().c_str(), ev->get("description")->to_string().c_str(),
              got.origin.c_str(), got.hops.empty() ? "-" : got.hops[0].c_str(),
              static_cast<unsigned long long>(seen->events));

  // 11. Partner asks campus's time machine; campus's operator approves.
  std::array<std::uint8_t, model::anonymization_key_size> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(31 * i + 7);
  model::anonymizer_options aopts;
  aopts.only = {*model::subnet::parse("192.168.0.0/16"), *model::subnet::parse("10.0.0.0/8")};
  auto anon = model::anonymizer::make(key, aopts);
  if (!anon) return fail(anon.err().to_string());
  auto share = model::transform::compile(reg, model::transform_spec{}, std::move(*anon));
  if (!share) return fail(share.err().to_string());
  auto handler = campus->on_request("/coop/query/connections", [&](const comm::message& req)
                                                                   -> comm::result<comm::reply> {
    tm::query_spec q;
    q.filter = req.payload;
    q.limit = 100;
    auto c = store->query(q);
    if (!c) return comm::error{comm::errc::invalid_argument, c.err().message};
    std::string lines;
    while (true) {
      auto e = c->next();
      if (!e) return comm::error{comm::errc::io, e.err().message};
      if (*e == nullptr) break;
      model::event out = **e;
      if (auto r = share->apply(out); !r) return comm::error{comm::errc::invalid_argument, r.err().message};
      if (auto r = model::to_json(out, lines); !r) return comm::error{comm::errc::invalid_argument, r.err().message};
      lines += '\n';
    }
    return comm::reply{"application/x-ndjson", lines};
  });
  if (!handler) return fail(handler.err().to_string());
  std::optional<comm::result<comm::message>> answer;
  auto asked = partner->request("campus", "/coop/query/connections", "text/plain", lookup.filter,
                                [&](comm::result<comm::message> r) {
                                  std::lock_guard l(m);
                                  answer = std::move(r);
                                });
  if (!asked) return fail(asked.err().to_string());
  comm::approval held;
  if (!wait_for([&] {
        auto a = campus->approvals();
        if (a.empty()) return false;
        held = a.front();
        return true;
      }))
    return fail("the query was not held for approval");
  tm::query_spec what;
  what.filter = held.request.payload;
  auto cost = store->estimate(what);
  std::printf("11. Incident query held at campus for its operator (rule %s):\n"
              "      from '%s' via '%s', topic %s, filter: %s\n"
              "      cost before running: %s\n",
              held.rule.c_str(), held.request.origin.c_str(), held.request.from.c_str(),
              held.request.topic.c_str(), held.request.payload.c_str(),
              cost ? cost->plan.c_str() : cost.err().message.c_str());
  if (auto r = campus->approve(held.id); !r) return fail(r.err().to_string());
  if (!wait_for([&] { std::lock_guard l(m); return answer.has_value(); }))
    return fail("no answer to the approved query");
  if (!*answer) return fail("the query failed: " + answer->err().to_string());
  const auto& body = answer->value().payload;
  const auto rows = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  std::printf("    Approved: partner received %zu connection(s) from campus (internal addresses\n"
              "    anonymised before they left), e.g.\n      %s\n",
              rows, body.substr(0, std::min<std::size_t>(body.find('\n'), 230)).c_str());
  if (rows != seen->events) return fail("the answer does not hold every matching connection");

  // 12. What campus's rules do not allow is refused and logged.
  auto denied = partner->request_sync("campus", "/coop/admin/config", "text/plain", "dump", 5s);
  std::printf("12. partner asks campus for /coop/admin/config: %s\n",
              denied ? "ANSWERED (bug)" : denied.err().message.c_str());
  if (denied) return 1;
  for (const auto& r : campus->refusals())
    std::printf("    campus logged: peer=%s origin=%s verb=%s topic=%s rule=%s\n", r.peer.c_str(),
                r.origin.c_str(), r.what.c_str(), r.topic.c_str(), r.reason.c_str());
  auto ch = clearinghouse->stats();
  auto cs = campus->stats();
  std::printf("    clearinghouse relayed %llu messages; campus accepted %llu, refused %llu\n",
              static_cast<unsigned long long>(ch.relayed), static_cast<unsigned long long>(cs.delivered),
              static_cast<unsigned long long>(cs.refused_access));
  partner->stop();
  clearinghouse->stop();
  campus->stop();
  return 0;
}

}  // namespace coop::demo
