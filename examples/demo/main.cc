// coop-demo: the most complete end-to-end path that exists today. It reads
// real connections (a Zeek conn.log from ../shared/data), turns them into
// catalogue events, round-trips them through the binary and JSON formats,
// selects some with a filter, anonymises what would leave the site, and
// shows that damaged input is refused; then records the connections in a
// time machine, queries them and expires them into aggregates; finally three
// sites cooperate over mutual TLS: a hot list shared through a clearing
// house, and an incident query approved by the answering site's operator.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "coop/model/anonymize.h"
#include "coop/model/catalogue.h"
#include "coop/model/codec.h"
#include "coop/model/filter.h"
#include "coop/model/json.h"
#include "coop/model/transform.h"
#include "cooperation.h"
#include "time_machine.h"
#include "zeek_conn_log.h"

namespace fs = std::filesystem;
using namespace coop::model;

namespace {

fs::path data_dir() {
  if (const char* env = std::getenv("COOP_DATA")) return env;
  for (fs::path p : {fs::path("../shared/data"), fs::path(COOP_SOURCE_DIR) / "../shared/data"}) {
    if (fs::exists(p)) return p;
  }
  return {};
}

int die(const std::string& what) {
  std::fprintf(stderr, "coop-demo: %s\n", what.c_str());
  return 1;
}

void show(const char* label, const event& e) {
  std::printf("    %-10s %s %s:%s -> %s:%s  %s\n", label, e.ts.to_rfc3339().c_str(),
              e.get("orig_h")->to_string().c_str(), e.get("orig_p")->to_string().c_str(),
              e.get("resp_h")->to_string().c_str(), e.get("resp_p")->to_string().c_str(),
              e.get("history")->to_string().c_str());
}

}  // namespace

int main() {
  registry reg;
  if (auto r = add_catalogue(reg); !r) return die(r.err().to_string());
  std::printf("1. Registry: %zu standard event types (docs/catalogue.md)\n", reg.size());

  fs::path dir = data_dir();
  fs::path log = dir / "zeek-baselines/scripts.base.protocols.ssh.basic/conn.log";
  if (dir.empty() || !fs::exists(log)) {
    std::printf("   Real data not found (set COOP_DATA to the shared data folder); using the\n"
                "   project's own small fixture instead.\n");
    log = fs::path(COOP_SOURCE_DIR) / "examples/demo/data/conn.log";
  }
  std::vector<std::string> skipped;
  auto events = coop::demo::read_conn_log(log.string(), reg, timestamp{1'258'531'221'000'000'000},
                                          skipped);
  if (!events) return die(events.err().to_string());
  std::printf("2. Read %zu connections from Zeek's conn.log (%s), %zu rows skipped\n",
              events->size(), log.lexically_normal().c_str(), skipped.size());
  for (const auto& s : skipped) std::printf("     skipped %s\n", s.c_str());
  if (events->empty()) return die("no events");
  show("first:", events->front());

  // Binary: one batch carrying its schemas, so a receiver can learn them.
  auto batch = encode_batch(*events, true);
  if (!batch) return die(batch.err().to_string());
  registry learner;  // knows nothing yet
  auto decoded = decode_batch_and_learn(byte_view(*batch), learner);
  if (!decoded) return die(decoded.err().to_string());
  bool same = *decoded == *events;
  std::printf("3. Binary: batch of %zu bytes (%.1f bytes/event); a receiver that knew no types\n"
              "   learned %zu from the batch and decoded %zu events: %s\n",
              batch->size(), static_cast<double>(batch->size()) / events->size(), learner.size(),
              decoded->size(), same ? "identical" : "DIFFERENT");
  if (!same) return die("binary round trip changed the events");

  // JSON lines.
  std::string lines;
  for (const auto& e : *events) {
    if (auto r = to_json(e, lines); !r) return die(r.err().to_string());
    lines += '\n';
  }
  std::size_t json_ok = 0, start = 0;
  for (const auto& e : *events) {
    auto end = lines.find('\n', start);
    auto back = from_json(std::string_view(lines).substr(start, end - start), reg);
    if (!back) return die(back.err().to_string());
    json_ok += *back == e;
    start = end + 1;
  }
  std::printf("4. JSON: %zu bytes as JSON lines; %zu/%zu events read back identical\n",
              lines.size(), json_ok, events->size());
  std::printf("   %s\n", lines.substr(0, lines.find('\n')).c_str());
  if (json_ok != events->size()) return die("JSON round trip changed events");

  // Filters.
  const timestamp now = events->back().ts + interval::seconds(1);
  for (const char* expr : {"resp_p == 22/tcp && orig_bytes > 1000",
                           "conn_state == \"SF\" && history ~ /^ShA/",
                           "type == connection_end && ts > now - 5s",
                           "orig_h in 192.168.0.0/16 || resp_h in 10.0.0.0/8"}) {
    auto f = filter::compile(expr, reg);
    if (!f) return die(f.err().to_string());
    std::size_t n = 0;
    for (const auto& e : *events) n += f->matches(e, now);
    std::printf("5. Filter %-48s matches %zu of %zu\n", expr, n, events->size());
  }
  auto typo = filter::compile("resp_pp == 22/tcp", reg);
  std::printf("   A typo is caught before anything runs: %s\n", typo.err().message.c_str());

  // Anonymise what leaves the site: internal addresses only, keyed.
  std::array<std::uint8_t, anonymization_key_size> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 7 + 1);
  anonymizer_options opts;
  opts.only = {*subnet::parse("192.168.0.0/16"), *subnet::parse("10.0.0.0/8"),
               *subnet::parse("172.16.0.0/12")};
  auto anon = anonymizer::make(key, opts);
  if (!anon) return die(anon.err().to_string());
  transform_spec spec;
  spec.drop = {"orig_l2_addr", "resp_l2_addr"};
  spec.truncate = 4;
  spec.truncate_fields = {"history"};
  auto t = transform::compile(reg, spec, std::move(*anon));
  if (!t) return die(t.err().to_string());
  event shared = events->front();
  if (auto r = t->apply(shared); !r) return die(r.err().to_string());
  std::printf("6. Before sharing: internal addresses anonymised (prefix-preserving), history cut\n");
  show("local:", events->front());
  show("shared:", shared);

  // Damaged input never crashes and says where.
  std::string damaged = *batch;
  damaged.resize(damaged.size() / 2);
  auto refused = decode_batch(byte_view(damaged), reg);
  std::printf("7. A truncated batch is refused: %s\n",
              refused ? "ACCEPTED (bug)" : refused.err().to_string().c_str());
  auto bad_json = from_json(R"({"type":"connection_end","version":1,"fields":{"resp_p":"22/tdp"}})", reg);
  std::printf("   Bad JSON is refused: %s\n",
              bad_json ? "ACCEPTED (bug)" : bad_json.err().to_string().c_str());
  if (refused || bad_json) return 1;

  if (int rc = coop::demo::time_machine_step(*events, reg); rc != 0) return rc;
  return coop::demo::cooperation_step(*events, reg);
}
