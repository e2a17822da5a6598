// A consumer of the installed libevent-model, libtimemachine and libcoopcomm:
// defines a schema, registers it, fills an event through the public API,
// stores it in a time machine in a temporary directory and finds it again,
// then parses a site configuration and asks its access rules.
// Exits non-zero, saying what went wrong, if anything differs.
#include <coop/model/address.h>
#include <coop/model/event.h>
#include <coop/model/result.h>
#include <coop/model/schema.h>
#include <coop/model/type.h>
#include <coop/model/value.h>

#include <coop/tm/store.h>

#include <coop/comm/config.h>
#include <coop/comm/topic.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace cm = coop::model;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  cm::registry types;
  auto added = types.add(
      cm::schema("connection_attempt", 1,
                 {cm::field{"orig_h", cm::type(cm::type_kind::address), false, {}, "originator"},
                  cm::field{"resp_p", cm::type(cm::type_kind::port), false, {}, "responder port"},
                  cm::field{"note", cm::type(cm::type_kind::string), true, {}, "free text"}},
                 "a connection was attempted"));
  if (!added) {
    std::fprintf(stderr, "consumer: registry::add: %s\n", added.err().to_string().c_str());
    return 1;
  }
  check(types.find("connection_attempt") == *added, "the registry finds the schema");

  auto orig = cm::address::parse("192.0.2.7");
  check(orig.ok(), "address::parse accepts 192.0.2.7");
  if (!orig) return 1;

  cm::event e(*added);
  check(e.set("orig_h", *orig).ok(), "event::set(orig_h)");
  check(e.set("resp_p", cm::port{22, cm::transport::tcp}).ok(), "event::set(resp_p)");
  check(e.validate().ok(), "a complete event validates");

  const cm::value* resp = e.get("resp_p");
  check(resp != nullptr && resp->to_string() == "22/tcp", "resp_p prints as 22/tcp");

  auto wrong = e.set("no_such_field", cm::value(1));
  check(!wrong.ok() && wrong.err().code == cm::errc::not_found,
        "setting an unknown field is not_found");

  // The time machine: store the event, find it by host.
  auto dir = std::filesystem::temp_directory_path() /
             ("coop-consumer-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    coop::tm::store_options opts;
    opts.root = dir;
    opts.commit_interval = {};
    auto tm = coop::tm::store::create(opts, types);
    check(tm.ok(), "store::create in a temporary directory");
    if (!tm) return 1;
    check(tm->append(std::span(&e, 1)).ok(), "store::append");
    check(tm->commit().ok() && tm->committed() == 1, "store::commit makes batch 1 durable");
    coop::tm::query_spec q;
    q.filter = "orig_h == 192.0.2.7";
    auto n = tm->count(q);
    check(n.ok() && n->events == 1, "the stored event is found by host");
  }
  std::filesystem::remove_all(dir);

  // libcoopcomm: parse a site configuration and ask its access rules.
  auto cfg = coop::comm::parse_config(
      "site site-a\nkey a.key\ncert a.crt\nca ca.crt\nallow * subscribe /coop/hotlist\n",
      "consumer.conf");
  check(cfg.ok(), "coop::comm::parse_config");
  if (!cfg) return 1;
  check(coop::comm::check_access(*cfg, "site-b", coop::comm::verb::subscribe, "/coop/hotlist/ip").allowed,
        "access rules allow a subscription under the prefix");
  check(!coop::comm::topic_covers("/coop/hotlist", "/coop/hotlistx"), "prefixes match segment-wise");

  if (failures != 0) return 1;
  std::printf("consumer: ok (%s v%u, %zu fields, resp_p=%s)\n", e.type().name().c_str(),
              e.type().version(), e.size(), resp->to_string().c_str());
  return 0;
}
