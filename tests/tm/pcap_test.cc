// Tests of libtimemachine/src/pcap: packet events exported as pcap, read back
// byte for byte, and real captures from ../shared/data round-tripped through
// packet events and compared with tshark's view of the original.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "coop/model/catalogue.h"
#include "coop/model/event.h"
#include "coop/tm/pcap.h"
#include "pcap_reader.h"

namespace fs = std::filesystem;
using coop::model::errc;
using coop::model::event;
using coop::tm::pcap_writer;
using coop::tm::testing::capture;
using coop::tm::testing::read_capture;

namespace {

coop::model::registry catalogue_registry() {
  coop::model::registry reg;
  REQUIRE(coop::model::add_catalogue(reg).ok());
  return reg;
}

// A fresh directory, removed with everything in it at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "coop-pcap-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] fs::path operator/(const char* name) const { return path_ / name; }

 private:
  fs::path path_;
};

event packet(const coop::model::registry& reg, std::int64_t ts_ns, std::uint64_t link_type,
             std::string data, std::uint64_t wirelen, std::uint64_t id) {
  event e(reg.find(coop::model::catalogue::packet));
  e.ts.ns = ts_ns;
  e.id = {0xabc, id};
  REQUIRE(e.set("link_type", link_type).ok());
  REQUIRE(e.set("caplen", std::uint64_t{data.size()}).ok());
  REQUIRE(e.set("wirelen", wirelen).ok());
  REQUIRE(e.set("data", coop::model::bytes{std::move(data)}).ok());
  REQUIRE(e.validate().ok());
  return e;
}

std::string payload(std::size_t n, char first) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(first + static_cast<char>(i % 50)));
  return s;
}

capture read_back(const fs::path& path) {
  auto c = read_capture(path);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? std::string() : c.err().message));
  return std::move(c.value());
}

fs::path data_dir() {
  if (const char* env = std::getenv("COOP_DATA"); env != nullptr && *env != '\0') return env;
  return fs::path(COOP_SOURCE_DIR) / ".." / "shared" / "data";
}

bool on_path(const char* program) {
  const std::string cmd = std::string("command -v ") + program + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string quoted(const fs::path& p) {
  std::string out = "'";
  for (char ch : p.string()) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// tshark's frame number, lengths and epoch time of every frame, one line each.
std::vector<std::string> tshark_frames(const fs::path& file) {
  const std::string cmd = "tshark -r " + quoted(file) +
                          " -T fields -e frame.number -e frame.len -e frame.cap_len"
                          " -e frame.time_epoch 2>/dev/null";
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  const int status = ::pclose(pipe);
  CHECK_MESSAGE(status == 0, "tshark failed on " << file.string());
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("pcap: written packets read back byte for byte, with nanosecond timestamps") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  const std::vector<event> events = {
      packet(reg, 1'362'692'526'869'344'123, 101, payload(60, 'a'), 60, 1),
      packet(reg, 1'362'692'526'869'344'124, 101, payload(1, 'x'), 1500, 2),
      packet(reg, 1'700'000'000'000'000'000, 101, payload(1514, '0'), 1514, 3),
  };
  auto w = pcap_writer::create(dir / "out.pcap", 4096);
  REQUIRE(w.ok());
  for (const event& e : events) REQUIRE(w->write(e).ok());
  CHECK(w->packets() == 3);
  CHECK(w->link_type() == 101u);
  REQUIRE(w->close().ok());

  const capture c = read_back(dir / "out.pcap");
  CHECK_FALSE(c.pcapng);
  CHECK(c.magic == 0xa1b23c4du);
  CHECK(c.snaplen == 4096);
  CHECK(c.link_type == 101);
  REQUIRE(c.packets.size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    CAPTURE(i);
    CHECK(c.packets[i].ts_ns == events[i].ts.ns);
    CHECK(c.packets[i].wirelen == events[i].get("wirelen")->get<std::uint64_t>());
    CHECK(c.packets[i].data == events[i].get("data")->get<coop::model::bytes>().data);
  }
  // Nothing but the 24-byte header and a 16-byte header per record.
  CHECK(fs::file_size(dir / "out.pcap") == 24 + 3 * 16 + 60 + 1 + 1514);
}

TEST_CASE("pcap: the file is classic pcap 2.4, little-endian, nanosecond magic") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  auto n = coop::tm::write_pcap(
      std::vector<event>{packet(reg, 1'000'000'002, 228, "ab", 0x0102, 1)}, dir / "one.pcap", 65535);
  REQUIRE(n.ok());
  auto bytes = coop::tm::testing::read_file(dir / "one.pcap");
  REQUIRE(bytes.ok());
  const std::string expected(
      "\x4d\x3c\xb2\xa1" "\x02\x00\x04\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x00"
      "\xff\xff\x00\x00" "\xe4\x00\x00\x00"                        // snaplen, LINKTYPE_IPV4
      "\x01\x00\x00\x00" "\x02\x00\x00\x00"                        // 1 s, 2 ns
      "\x02\x00\x00\x00" "\x02\x01\x00\x00" "ab",                  // incl_len, orig_len, data
      24 + 16 + 2);
  CHECK(*bytes == expected);
}

TEST_CASE("pcap: data longer than the snaplen is cut and the record says so") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  const event e = packet(reg, 1'000'000'000, 1, payload(100, 'a'), 1400, 1);
  auto w = pcap_writer::create(dir / "cut.pcap", 64);
  REQUIRE(w.ok());
  REQUIRE(w->write(e).ok());
  REQUIRE(w->close().ok());
  const capture c = read_back(dir / "cut.pcap");
  REQUIRE(c.packets.size() == 1);
  CHECK(c.packets[0].data == payload(100, 'a').substr(0, 64));
  CHECK(c.packets[0].wirelen == 1400);
}

TEST_CASE("pcap: a packet of another link type is refused and the file stays usable") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  auto w = pcap_writer::create(dir / "mixed.pcap");
  REQUIRE(w.ok());
  REQUIRE(w->write(packet(reg, 1'000'000'000, 1, payload(60, 'a'), 60, 1)).ok());
  auto r = w->write(packet(reg, 2'000'000'000, 101, payload(40, 'b'), 40, 2));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::unsupported);
  CHECK(r.err().message ==
        "packet event 0000000000000abc0000000000000002: link type 101 differs from the file's "
        "link type 1 (" + (dir / "mixed.pcap").string() + "); a pcap file holds one link type");
  REQUIRE(w->write(packet(reg, 3'000'000'000, 1, payload(70, 'c'), 70, 3)).ok());
  REQUIRE(w->close().ok());
  const capture c = read_back(dir / "mixed.pcap");
  REQUIRE(c.packets.size() == 2);
  CHECK(c.packets[1].data == payload(70, 'c'));
}

TEST_CASE("pcap: events that cannot become a record are refused naming the field") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  auto w = pcap_writer::create(dir / "bad.pcap");
  REQUIRE(w.ok());

  event conn(reg.find(coop::model::catalogue::connection_end));
  conn.id = {0, 7};
  auto r = w->write(conn);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(r.err().message == "packet event 00000000000000000000000000000007: is a "
                           "'connection_end' event, not a 'packet' event");

  event no_data = packet(reg, 1'000'000'000, 1, "abc", 3, 8);
  no_data.field(*no_data.type().index_of("data")) = coop::model::none;
  r = w->write(no_data);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "packet event 0000000000000abc0000000000000008: field 'data' is not set");

  r = w->write(packet(reg, 1'000'000'000, 1, "abcdef", 4, 9));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message == "packet event 0000000000000abc0000000000000009: field 'wirelen' is 4, "
                           "less than the 6 bytes of 'data'");

  r = w->write(packet(reg, -1, 1, "abc", 3, 10));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(r.err().message.find("outside pcap's time range") != std::string::npos);

  r = w->write(packet(reg, 0, std::uint64_t{1} << 32, "abc", 3, 11));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("field 'link_type' is 4294967296") != std::string::npos);

  // None of the refused events reached the file, which is still valid.
  CHECK(w->packets() == 0);
  REQUIRE(w->close().ok());
  const capture c = read_back(dir / "bad.pcap");
  CHECK(c.packets.empty());
  CHECK(c.link_type == 1);
  CHECK(fs::file_size(dir / "bad.pcap") == 24);
}

TEST_CASE("pcap: creating in a missing directory and writing after close are errors") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  auto missing = pcap_writer::create(dir / "no-such-dir/out.pcap");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().code == errc::io);
  CHECK(missing.err().message == "cannot create pcap file " +
                                     (dir / "no-such-dir/out.pcap").string() +
                                     ": No such file or directory");

  auto zero = pcap_writer::create(dir / "zero.pcap", 0);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.err().code == errc::invalid_argument);

  auto w = pcap_writer::create(dir / "closed.pcap");
  REQUIRE(w.ok());
  REQUIRE(w->close().ok());
  CHECK(w->close().ok());
  auto r = w->write(packet(reg, 1'000'000'000, 1, "abc", 3, 1));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(r.err().message == "pcap writer is closed");
}

TEST_CASE("pcap: write_pcap skips other events, and a stream gets the same bytes as a file") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  std::vector<event> events = {
      packet(reg, 5'000'000'001, 1, payload(60, 'a'), 60, 1),
      event(reg.find(coop::model::catalogue::dns_request)),
      packet(reg, 5'000'000'002, 1, payload(61, 'b'), 61, 2),
  };
  auto n = coop::tm::write_pcap(events, dir / "mixed.pcap");
  REQUIRE(n.ok());
  CHECK(*n == 2);

  std::ostringstream out;
  auto m = coop::tm::write_pcap(events, out);
  REQUIRE(m.ok());
  CHECK(*m == 2);
  auto file = coop::tm::testing::read_file(dir / "mixed.pcap");
  REQUIRE(file.ok());
  CHECK(out.str() == *file);
  CHECK(read_back(dir / "mixed.pcap").packets.size() == 2);
}

TEST_CASE("pcap: a moved writer keeps writing to the same file") {
  const auto reg = catalogue_registry();
  temp_dir dir;
  auto w = pcap_writer::create(dir / "moved.pcap");
  REQUIRE(w.ok());
  REQUIRE(w->write(packet(reg, 1'000'000'000, 1, "first", 5, 1)).ok());
  pcap_writer moved = std::move(w.value());
  REQUIRE(moved.write(packet(reg, 2'000'000'000, 1, "second", 6, 2)).ok());
  CHECK(moved.packets() == 2);
  REQUIRE(moved.close().ok());
  const capture c = read_back(dir / "moved.pcap");
  REQUIRE(c.packets.size() == 2);
  CHECK(c.packets[0].data == "first");
  CHECK(c.packets[1].data == "second");
}

TEST_CASE("pcap: real captures survive packet events and tshark sees the same frames") {
  const fs::path pcaps = data_dir() / "pcaps";
  // Ethernet (classic, microseconds), raw IPv4 (LINKTYPE_IPV4) and a pcapng
  // with nanosecond and microsecond interfaces.
  const char* const files[] = {"zeek/http/get.pcap", "zeek/tcp-syslog.pcap",
                               "zeek/pcapng-multi-interface.pcapng"};
  if (!fs::is_regular_file(pcaps / files[0])) {
    std::printf("COOP-SKIP: no captures at %s (set COOP_DATA to the shared data directory)\n",
                pcaps.string().c_str());
    return;
  }
  const bool tshark = on_path("tshark");
  const auto reg = catalogue_registry();
  temp_dir dir;
  for (const char* name : files) {
    CAPTURE(name);
    const fs::path original = pcaps / name;
    const capture in = read_back(original);
    REQUIRE_FALSE(in.packets.empty());
    const std::vector<event> events = coop::tm::testing::packet_events(in, reg);
    for (const event& e : events) REQUIRE(e.validate().ok());

    const fs::path out = dir / "export.pcap";
    auto n = coop::tm::write_pcap(events, out);
    REQUIRE_MESSAGE(n.ok(), (n.ok() ? std::string() : n.err().message));
    CHECK(*n == in.packets.size());

    const capture back = read_back(out);
    REQUIRE(back.packets.size() == in.packets.size());
    for (std::size_t i = 0; i < in.packets.size(); ++i) {
      CAPTURE(i);
      CHECK(back.packets[i].ts_ns == in.packets[i].ts_ns);
      CHECK(back.packets[i].link_type == in.packets[i].link_type);
      CHECK(back.packets[i].wirelen == in.packets[i].wirelen);
      CHECK(back.packets[i].data == in.packets[i].data);
    }

    if (tshark) {
      const auto expected = tshark_frames(original);
      const auto actual = tshark_frames(out);
      CHECK(expected.size() == in.packets.size());
      REQUIRE(actual.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) CHECK(actual[i] == expected[i]);
    }
  }
  if (!tshark) {
    std::printf("COOP-SKIP: tshark is not on PATH; the exports were checked with the test "
                "reader only (scripts/install-deps installs it)\n");
  }
}
