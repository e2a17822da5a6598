// Zeek logs: TSV with escapes, sets, unset and empty markers, redef'd
// separators, zeek-cut output, JSON lines, gzip; real zed-sample-data logs
// in both TSV and JSON must give identical events.
#include <unistd.h>
#include <zlib.h>

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <functional>
#include <string>
#include <vector>

#include "coop/model/json.h"
#include "import_support.h"

namespace {

using namespace coop::importer;
using namespace coop::importer::test;
namespace model = coop::model;

options path_option(const std::string& path) {
  options o;
  o.zeek_path = path;
  return o;
}

options seeded(std::uint64_t seed) {
  options o;
  o.id_seed = seed;
  return o;
}

const problem* find_problem(const outcome& o, std::uint64_t line) {
  for (const auto& p : o.sink.problems) {
    if (p.line == line) return &p;
  }
  return nullptr;
}

TEST_CASE("zeek TSV: escapes, sets, vectors, unset and empty markers") {
  outcome o;
  run(o, fixture("http-escapes.log"));
  REQUIRE(o.status.ok());
  // Row 1 gives a request and a reply (it has a status), row 2 only a request.
  REQUIRE(o.sink.events.size() == 3);
  const auto& req = o.sink.events[0];
  CHECK(req.type().name() == "http_request");
  CHECK(req.uid == "CHhAvVGS1DHFjwGM9");
  CHECK(req.ts.to_string() == "1258531221.486539");
  CHECK(req.get("uri")->get<std::string>() == "/a\tb\\c\x07");
  CHECK(req.get("referrer")->get<std::string>() == "-");  // \x2d is a dash, not unset
  CHECK(req.get("user_agent")->get<std::string>().empty());  // (empty)
  CHECK(field(req, "orig_p") == "51880/tcp");  // http runs over TCP
  CHECK(field(req, "proxied") == "{\"a\", \"b,c\"}");
  CHECK(req.get("tags")->get<model::set_value>().elements.empty());
  const auto& rep = o.sink.events[1];
  CHECK(rep.type().name() == "http_reply");
  CHECK(rep.uid == req.uid);
  CHECK(field(rep, "status_code") == "200");
  const auto& mimes = rep.get("resp_mime_types")->get<model::vector_value>().elements;
  REQUIRE(mimes.size() == 2);
  CHECK(mimes[0].get<std::string>() == "text/html");
  CHECK(mimes[1].is_none());
  const auto& v6 = o.sink.events[2];
  CHECK(v6.type().name() == "http_request");
  CHECK(field(v6, "orig_h") == "2001:db8::1");
  CHECK(v6.get("host")->is_none());

  // Rows 3, 4 and 5 are malformed: each reported with its line, and skipped.
  const auto& t = o.totals.kinds.at("zeek/http");
  CHECK(t.lines == 5);
  CHECK(t.records == 2);
  CHECK(t.skipped == 3);
  const problem* bad_addr = find_problem(o, 11);
  REQUIRE(bad_addr != nullptr);
  CHECK(bad_addr->to_string().find("http-escapes.log:11: column 'id.orig_h'") != std::string::npos);
  CHECK(bad_addr->message.find("bad-address") != std::string::npos);
  const problem* short_row = find_problem(o, 12);
  REQUIRE(short_row != nullptr);
  CHECK(short_row->message == "10 columns but the header has 16");
  const problem* bad_port = find_problem(o, 13);
  REQUIRE(bad_port != nullptr);
  CHECK(bad_port->message.find("99999") != std::string::npos);
}

TEST_CASE("zeek TSV: redef'd separators and a log the catalogue does not define") {
  outcome o;
  run(o, fixture("redef-separators.log"));
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 2);
  const auto& e = o.sink.events[0];
  // A schema zeek.<path> built from the header; enums become strings.
  CHECK(e.type().name() == "zeek.test_log");
  CHECK(e.uid == "Cx");
  CHECK(field(e, "id_orig_h") == "10.0.0.1");
  CHECK(field(e, "status") == "Test::OK");
  CHECK(field(e, "tags") == "{\"a\", \"b;c\"}");
  CHECK(field(e, "n") == "7");
  CHECK(e.get("ratio")->get<double>() == doctest::Approx(3.14));
  CHECK(field(e, "when") == "1300000001.500000");
  CHECK(e.get("span")->get<model::interval>().ns == 60'000'000'000);
  CHECK(e.get("_write_ts") == nullptr);  // writer extensions are not fields
  const auto& unset = o.sink.events[1];
  CHECK(unset.uid.empty());
  CHECK(unset.get("status")->is_none());
  CHECK(unset.get("tags")->get<model::set_value>().elements.empty());  // EMPTY
  // Row 3: a count of -1.
  REQUIRE(o.sink.problems.size() == 1);
  CHECK(o.sink.problems[0].line == 10);
  CHECK(o.sink.problems[0].message.find("column 'n'") != std::string::npos);
  auto schema = o.reg.find("zeek.test_log");
  REQUIRE(schema != nullptr);
  CHECK(schema->size() == 7);  // ts and uid are the envelope
}

TEST_CASE("zeek-cut -m output: one line of names, transport from proto") {
  outcome o;
  run(o, fixture("syslog.cut"), format::zeek, path_option("syslog"));
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 2);
  const auto& e = o.sink.events[0];
  CHECK(e.type().name() == "syslog_message");
  CHECK(field(e, "orig_p") == "12345/tcp");
  CHECK(field(o.sink.events[1], "resp_p") == "514/udp");
  CHECK(field(e, "facility") == "USER");
  CHECK(e.get("message")->get<std::string>() == "Oct 11 22:14:15 mymachine su: 'su root' failed ");
  CHECK(o.sink.problems.empty());
}

TEST_CASE("zeek JSON lines: numbers or ISO times, unknown keys, malformed rows") {
  outcome o;
  run(o, fixture("conn-mixed.json"), format::automatic, path_option("conn"));
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 2);
  const auto& e = o.sink.events[0];
  CHECK(e.type().name() == "connection_end");
  CHECK(field(e, "resp_p") == "53/udp");
  // A JSON double is rounded to the microsecond, as the TSV writer prints it.
  CHECK(e.get("duration")->get<model::interval>().ns == 670'000);
  CHECK(e.get("tunnel_parents")->get<model::set_value>().elements.empty());
  CHECK(e.get("orig_pkts")->is_none());
  const auto& icmp = o.sink.events[1];
  CHECK(icmp.ts.to_string() == "1258531222.000001");
  CHECK(field(icmp, "orig_p") == "8/icmp");
  std::vector<std::string> texts;
  for (const auto& p : o.sink.problems) texts.push_back(p.to_string());
  REQUIRE(texts.size() == 4);
  CHECK(texts[0].find("conn-mixed.json:2: key 'mystery'") != std::string::npos);
  CHECK_FALSE(o.sink.problems[0].skipped);
  CHECK(texts[1].find("conn-mixed.json:3: key 'id.orig_p': a JSON string is not a port") !=
        std::string::npos);
  CHECK(texts[2].find("conn-mixed.json:4: not valid JSON") != std::string::npos);
  CHECK(texts[3].find("conn-mixed.json:5: key 'proto'") != std::string::npos);
  CHECK(o.totals.kinds.at("zeek/conn").skipped == 3);
}

// Writes `text` gzip-compressed to `path`, cut to `keep` bytes if nonzero.
void write_gzip(const fs::path& path, const std::string& text, std::size_t keep = 0) {
  gzFile g = gzopen(path.c_str(), "wb");
  REQUIRE(g != nullptr);
  gzwrite(g, text.data(), static_cast<unsigned>(text.size()));
  gzclose(g);
  if (keep != 0) fs::resize_file(path, keep);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_CASE("zeek: gzip input gives the same events, damaged gzip is reported with the line") {
  const fs::path dir = fs::temp_directory_path() / ("coop-import-gz-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string text = read_all(fixture("http-escapes.log"));
  write_gzip(dir / "http.log.gz", text);
  outcome plain, gz;
  run(plain, fixture("http-escapes.log"));
  run(gz, dir / "http.log.gz");
  REQUIRE(gz.status.ok());
  CHECK(gz.sink.events == plain.sink.events);

  // A big log cut in the middle of its compressed stream.
  std::string big = text.substr(0, text.find("1258531221"));
  for (int i = 0; i < 20000; ++i) {
    big += "1258531221.486539\tC" + std::to_string(i) +
           "\t10.0.0.1\t1\t10.0.0.2\t80\t1\tGET\th\t/" + std::to_string(i * 7919) +
           "\t-\t-\t200\t-\t-\t-\n";
  }
  write_gzip(dir / "cut.log.gz", big);
  const auto full = fs::file_size(dir / "cut.log.gz");
  fs::resize_file(dir / "cut.log.gz", full / 2);
  outcome cut;
  run(cut, dir / "cut.log.gz");
  REQUIRE_FALSE(cut.status.ok());
  CHECK(cut.status.err().code == model::errc::corruption);
  CHECK(cut.status.err().message.find("cut.log.gz: damaged compressed data after line") !=
        std::string::npos);
  CHECK(cut.sink.events.size() > 1000);  // what came before the damage was imported
  fs::remove_all(dir);
}

// Keeps one digest per event (its JSON text), so big logs compare cheaply.
class digest_sink final : public sink {
 public:
  model::result<void> on_event(const model::event& e) override {
    text_.clear();
    if (auto r = model::to_json(e, text_); !r) return r;
    digests.push_back(std::hash<std::string>()(text_));
    if (samples.size() < 3) samples.push_back(text_);
    return {};
  }
  void on_problem(const problem& p) override { problems.push_back(p.to_string()); }
  std::vector<std::size_t> digests;
  std::vector<std::string> samples;
  std::vector<std::string> problems;

 private:
  std::string text_;
};

TEST_CASE("zeek: every zed-sample-data log gives identical events from TSV and from JSON") {
  const fs::path tsv_dir = shared("zeek-logs/zed-sample-data/zeek-default");
  if (tsv_dir.empty()) return;
  const fs::path json_dir = tsv_dir.parent_path() / "zeek-json";
  for (const char* log : {"ssh", "ftp", "notice", "smtp", "dns"}) {
    CAPTURE(log);
    digest_sink from_tsv, from_json;
    model::registry r1, r2;
    options opt;
    opt.id_seed = 7;
    auto a = importer::create(r1, from_tsv, opt);
    auto b = importer::create(r2, from_json, opt);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a->import_file(tsv_dir / (std::string(log) + ".log.gz")).ok());
    REQUIRE(b->import_file(json_dir / (std::string(log) + ".json.gz")).ok());
    CHECK(from_tsv.problems.empty());
    CHECK(from_json.problems.empty());
    REQUIRE(from_tsv.digests.size() == from_json.digests.size());
    CHECK(from_tsv.samples == from_json.samples);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < from_tsv.digests.size(); ++i) {
      differ += from_tsv.digests[i] != from_json.digests[i] ? 1 : 0;
    }
    CHECK(differ == 0);
    CHECK(a->totals().total().lines == b->totals().total().lines);
  }
}

TEST_CASE("zeek: the real dns.log: every row, a known row's fields") {
  const fs::path file = shared("zeek-logs/zed-sample-data/zeek-default/dns.log.gz");
  if (file.empty()) return;
  digest_sink s;
  model::registry reg;
  collecting_sink first;
  // Count everything, and keep the first row's events in a separate import
  // of the file's head.
  auto imp = importer::create(reg, s, seeded(1));
  REQUIRE(imp.ok());
  REQUIRE(imp->import_file(file).ok());
  const auto& t = imp->totals().kinds.at("zeek/dns");
  CHECK(t.lines == 53615);  // the file's rows, headers excluded
  CHECK(t.skipped == 0);
  CHECK(imp->totals().events.at("dns_request") == 53615);
  CHECK(imp->totals().events.at("dns_reply") > 40000);
  CHECK(s.samples[0].find("\"query\":\"ise.wrccdc.org\"") != std::string::npos);

  outcome o;
  run(o, file);
  REQUIRE(o.status.ok());
  const auto& req = o.sink.events[0];
  CHECK(req.type().name() == "dns_request");
  CHECK(req.ts.to_string() == "1521911720.865716");
  CHECK(req.uid == "CqKst53mF3det3eDV9");
  CHECK(field(req, "orig_p") == "41772/udp");
  CHECK(field(req, "qtype_name") == "A");
  CHECK(field(req, "rd") == "T");
  const auto& rep = o.sink.events[1];
  CHECK(rep.type().name() == "dns_reply");
  CHECK(field(rep, "answers") == "[\"ise.wrccdc.cpp.edu\", \"134.71.3.16\"]");
  CHECK(rep.get("rtt")->get<model::interval>().ns == 870'000);
  CHECK(field(rep, "rcode_name") == "NOERROR");
}

}  // namespace

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// btest canonifies timestamps and adds a first line; undo both.
std::string uncanonify(std::string text) {
  if (text.rfind("### BTest", 0) == 0) text.erase(0, text.find('\n') + 1);
  const std::string mask = "XXXXXXXXXX.XXXXXX";
  for (auto at = text.find(mask); at != std::string::npos; at = text.find(mask, at)) {
    text.replace(at, mask.size(), "1300000000.000001");
  }
  return text;
}

TEST_CASE("zeek: every protocol log of Zeek's own test baselines imports without a skipped row") {
  const fs::path dir = shared("zeek-baselines");
  if (dir.empty()) return;
  std::map<std::string, std::size_t> events_by_type;
  std::size_t files = 0;
  for (const auto& d : fs::directory_iterator(dir)) {
    // The logging framework's tests write synthetic streams under protocol names.
    if (d.path().filename().string().find("frameworks.logging") != std::string::npos) continue;
    for (const auto& f : fs::directory_iterator(d.path())) {
      if (f.path().extension() != ".log") continue;
      const std::string name = d.path().filename().string() + "/" + f.path().filename().string();
      // zeek-cut output of selected columns without the addresses cannot make valid events.
      if (name == "scripts.base.protocols.syslog.tcp-framing/conn.log") continue;
      CAPTURE(name);
      outcome o;
      options opt;
      opt.zeek_path = f.path().stem().string();
      run_text(o, uncanonify(read_text(f.path())), name, format::zeek, opt);
      REQUIRE(o.status.ok());
      for (const auto& p : o.sink.problems) {
        CHECK_MESSAGE(!p.skipped, p.to_string());
      }
      for (const auto& e : o.sink.events) ++events_by_type[e.type().name()];
      ++files;
    }
  }
  CHECK(files >= 50);
  for (const char* type : {"connection_end", "dns_request", "dns_reply", "http_request",
                           "http_reply", "ssh_login", "smtp_message", "file_transfer",
                           "ftp_command", "tls_handshake", "syslog_message", "sighting", "notice",
                           "zeek.x509"}) {
    CHECK_MESSAGE(events_by_type[type] > 0, "no " << type << " event from the baselines");
  }
}

TEST_CASE("zeek JSON: a log the catalogue does not define gets a schema from its first row") {
  const std::string text =
      "{\"_path\":\"weird\",\"ts\":1300000000.5,\"uid\":\"C1\",\"name\":\"bad_TCP_checksum\","
      "\"notice\":false,\"count\":3,\"ratio\":0.5,\"peers\":[\"a\",\"b\"]}\n"
      "{\"_path\":\"weird\",\"ts\":1300000001.5,\"name\":\"x\",\"extra\":1}\n";
  outcome o;
  run_text(o, text, "weird.json", format::zeek);
  REQUIRE(o.status.ok());
  REQUIRE(o.sink.events.size() == 2);
  const auto& e = o.sink.events[0];
  CHECK(e.type().name() == "zeek.weird");
  CHECK(e.uid == "C1");
  CHECK(field(e, "name") == "bad_TCP_checksum");
  CHECK(field(e, "notice") == "F");
  CHECK(field(e, "count") == "3");
  CHECK(field(e, "peers") == "[\"a\", \"b\"]");
  CHECK(o.sink.events[1].get("notice")->is_none());
  REQUIRE(o.sink.problems.size() == 1);
  CHECK(o.sink.problems[0].line == 2);
  CHECK_FALSE(o.sink.problems[0].skipped);
  CHECK(o.sink.problems[0].message.find("key 'extra'") != std::string::npos);
}

}  // namespace
