// The sensor on the shared real captures, compared with Zeek's baselines.
// Needs ../shared/data (or COOP_DATA); skips with COOP-SKIP otherwise.
#include <doctest/doctest.h>

#include <coop/sensor/capture.h>
#include <coop/sensor/fidelity.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "frames.h"

using namespace coop::sensor;
using namespace coop::sensor::testing;
namespace catalogue = coop::model::catalogue;
namespace fs = std::filesystem;

namespace {

fs::path data_dir() {
  if (const char* env = std::getenv("COOP_DATA"); env != nullptr && *env != '\0') return env;
  return fs::path(COOP_SOURCE_DIR) / ".." / "shared" / "data";
}

bool have_data() {
  if (fs::exists(data_dir() / "zeek-baselines") && fs::exists(data_dir() / "pcaps" / "zeek"))
    return true;
  std::printf("COOP-SKIP: no shared data at %s (set COOP_DATA)\n", data_dir().string().c_str());
  return false;
}

std::vector<coop::model::event> sense(const fs::path& pcap, sensor_stats* st = nullptr) {
  coop::model::registry reg;
  (void)coop::model::add_catalogue(reg);
  std::vector<coop::model::event> out;
  auto s = sensor::make(reg, {}, [&](const coop::model::event& e) { out.push_back(e); });
  REQUIRE(s);
  auto cap = capture::open_file(pcap.string());
  REQUIRE_MESSAGE(cap, (cap ? "" : cap.err().message));
  packet_view p;
  while (true) {
    auto n = cap.value().next(p);
    REQUIRE(n);
    if (!n.value()) break;
    s.value().process(p);
  }
  s.value().flush();
  if (st != nullptr) *st = s.value().stats();
  return out;
}

}  // namespace

TEST_CASE("capture errors name the file and say what is wrong") {
  auto missing = capture::open_file("/nonexistent/x.pcap");
  REQUIRE(!missing);
  CHECK(missing.err().code == coop::model::errc::io);
  CHECK(missing.err().message.find("/nonexistent/x.pcap") != std::string::npos);
  fs::path junk = fs::temp_directory_path() / "coop-sensor-not-a-pcap.txt";
  std::ofstream(junk) << "this is not a capture file at all\n";
  auto bad = capture::open_file(junk.string());
  REQUIRE(!bad);
  CHECK(bad.err().code == coop::model::errc::invalid_argument);
  CHECK(bad.err().message.find("not a pcap or pcapng file") != std::string::npos);
  fs::remove(junk);
}

TEST_CASE("GRE sample: the tunnelled SSH connection has Zeek's values") {
  if (!have_data()) return;
  auto ev =
      of_type(sense(data_dir() / "pcaps/zeek/tunnels/gre-sample.pcap"), catalogue::connection_end);
  CHECK(ev.size() == 7);
  bool found = false;
  for (const auto& e : ev) {
    if (field(e, "orig_p") != "40264/tcp") continue;
    found = true;
    CHECK(field(e, "orig_h") == "66.59.111.190");
    CHECK(field(e, "resp_h") == "172.28.2.3");
    CHECK(field(e, "conn_state") == "SF");
    CHECK(field(e, "history") == "ShAdDaFf");
    CHECK(field(e, "orig_bytes") == "952");
    CHECK(field(e, "resp_bytes") == "1671");
    CHECK(field(e, "orig_ip_bytes") == "1584");
    CHECK(field(e, "resp_ip_bytes") == "2199");
    CHECK(field(e, "duration") == "3.157831");
  }
  CHECK(found);
}

TEST_CASE("gzip-compressed pcap and multi-interface pcapng are read") {
  if (!have_data()) return;
  sensor_stats st;
  auto ev = of_type(sense(data_dir() / "pcaps/zeek/echo-connections.pcap.gz", &st),
                    catalogue::connection_end);
  CHECK(st.packets == 82582);
  CHECK(ev.size() == 500);
  auto ng = of_type(sense(data_dir() / "pcaps/zeek/pcapng-multi-interface.pcapng"),
                    catalogue::connection_end);
  CHECK(ng.size() == 3);
}

TEST_CASE("agreement with Zeek over every shared pcap/baseline pair") {
  if (!have_data()) return;
  auto pairs = find_pairs(data_dir().string());
  REQUIRE(pairs);
  CHECK(pairs.value().size() >= 25);
  fidelity_report total;
  for (const auto& p : pairs.value()) {
    auto r = compare_with_zeek(p.pcap, p.dir, config_for(p.run));
    REQUIRE_MESSAGE(r, p.dir);
    accumulate(total, r.value());
  }
  auto ratio = [](const log_score& s) {
    return static_cast<double>(s.matched) / static_cast<double>(s.zeek);
  };
  MESSAGE(to_json(total));
  REQUIRE(total.logs.count("conn") == 1);
  CHECK(total.logs["conn"].zeek == 128);
  CHECK(ratio(total.logs["conn"]) >= 0.99);
  CHECK(ratio(total.logs["ftp"]) >= 0.99);
  CHECK(ratio(total.overall()) >= 0.99);
}

TEST_CASE("Zeek logs are read with btest headers, zeek-cut columns and errors naming the line") {
  if (!have_data()) return;
  auto cut = read_zeek_log(
      (data_dir() / "zeek-baselines/scripts.base.protocols.syslog.tcp-framing/conn.log").string());
  REQUIRE(cut);
  CHECK(cut.value().fields.size() == 6);
  CHECK(cut.value().rows.size() == 1);
  fs::path bad = fs::temp_directory_path() / "coop-sensor-bad.log";
  std::ofstream(bad) << "#fields\ta\tb\n1\t2\n1\n";
  auto r = read_zeek_log(bad.string());
  REQUIRE(!r);
  CHECK(r.err().message.find("coop-sensor-bad.log:3") != std::string::npos);
  fs::remove(bad);
}

TEST_CASE("a live capture on a missing interface fails with libpcap's reason") {
  auto live = capture::open_live("coop-no-such-if0");
  REQUIRE(!live);
  CHECK(live.err().code == coop::model::errc::io);
  CHECK(live.err().message.find("coop-no-such-if0") != std::string::npos);
}
