// The importer facade: format names and detection, the summary, and the
// JSON-lines and binary sinks read back through libevent-model.
#include <unistd.h>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "coop/model/codec.h"
#include "coop/model/json.h"
#include "import_support.h"

namespace {

using namespace coop::importer;
using namespace coop::importer::test;
namespace model = coop::model;

format detected(std::string_view head, std::string_view name = "x") {
  auto f = detect_format(head, name);
  REQUIRE_MESSAGE(f.ok(), (f.ok() ? "" : f.err().message));
  return *f;
}

TEST_CASE("session: format names round-trip and unknown names are refused") {
  for (auto f : {format::automatic, format::zeek, format::apache, format::sshd, format::intel,
                 format::stix, format::misp, format::iplist}) {
    CHECK(parse_format(to_string(f)).value() == f);
  }
  auto bad = parse_format("csv");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().message.find("unknown format 'csv'") != std::string::npos);
}

TEST_CASE("session: detection from the first lines") {
  CHECK(detected("#separator \\x09\n#set_separator\t,\n") == format::zeek);
  CHECK(detected("ts\tuid\tid.orig_h\n1.0\tC\t1.2.3.4\n") == format::zeek);
  CHECK(detected("{\"_path\":\"dns\",\"ts\":1.0}\n") == format::zeek);
  CHECK(detected("#fields\tindicator\tindicator_type\tmeta.source\n") == format::intel);
  CHECK(detected("{\"type\": \"bundle\", \"objects\": []}") == format::stix);
  CHECK(detected("{\"response\": [{\"Event\": {}}]}") == format::misp);
  CHECK(detected("1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1\n") ==
        format::apache);
  CHECK(detected("Feb 12 14:10:21 host sshd[1]: Invalid user a from 1.2.3.4\n") == format::sshd);
  CHECK(detected("2023-11-14T00:20:42.738197+01:00 host sshd[1]: x\n") == format::sshd);
  CHECK(detected("# ipsum\n; x\n1.2.3.4\t3\n") == format::iplist);
  CHECK(detected("\xEF\xBB\xBF" "10.0.0.0/8\n") == format::iplist);
  auto none = detect_format("hello world\n", "notes.txt");
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().code == model::errc::unsupported);
  CHECK(none.err().message.find("notes.txt: cannot tell the format") == 0);
}

TEST_CASE("session: the summary totals its kinds and the buffer entry point") {
  model::registry reg;
  counting_sink sink;
  const std::string text =
      "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1\n"
      "garbage\n"
      "[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10] x\n";
  auto s = parse_buffer(text, format::automatic, reg, sink);
  REQUIRE(s.ok());
  const auto t = s->total();
  CHECK(t.lines == 3);
  CHECK(t.records == 1);
  CHECK(t.events == 2);
  CHECK(t.skipped == 1);
  CHECK(t.ignored == 1);
  CHECK(sink.events == 2);
  CHECK(sink.problems == 2);  // the malformed line and the error-log warning
  CHECK(s->events.at("http_request") == 1);
}

TEST_CASE("session: JSON lines and binary output decode back to the same events") {
  outcome o;
  run(o, fixture("http-escapes.log"));
  REQUIRE(o.sink.events.size() == 3);

  std::ostringstream json;
  json_lines_sink js(json);
  std::ostringstream bin;
  binary_sink bs(bin);
  for (const auto& e : o.sink.events) {
    REQUIRE(js.on_event(e).ok());
    REQUIRE(bs.on_event(e).ok());
  }
  REQUIRE(bs.flush().ok());

  std::istringstream lines(json.str());
  std::size_t i = 0;
  for (std::string line; std::getline(lines, line); ++i) {
    auto e = model::from_json(line, o.reg);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.err().message));
    CHECK(*e == o.sink.events[i]);
  }
  CHECK(i == 3);

  const std::string bytes = bin.str();
  model::stream_reader reader(model::byte_view(bytes));
  for (const auto& expected : o.sink.events) {
    auto e = reader.next(o.reg);
    REQUIRE(e.ok());
    REQUIRE(e->has_value());
    CHECK(**e == expected);
  }
  auto end = reader.next(o.reg);
  REQUIRE(end.ok());
  CHECK_FALSE(end->has_value());
}

TEST_CASE("session: a line longer than 16 MiB is skipped, not held in memory") {
  const fs::path file = fs::temp_directory_path() / ("coop-import-long-" + std::to_string(::getpid()));
  {
    std::ofstream out(file, std::ios::binary);
    const std::string ok = "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1\n";
    out << ok << std::string(17u << 20, 'x') << "\n" << ok;
  }
  outcome o;
  run(o, file, format::apache);
  fs::remove(file);
  REQUIRE(o.status.ok());
  CHECK(o.totals.events.at("http_request") == 2);
  REQUIRE(o.sink.problems.size() == 1);
  CHECK(o.sink.problems[0].line == 2);
  CHECK(o.sink.problems[0].message == "line longer than 16 MiB; skipped");
}

TEST_CASE("session: an input that cannot be opened is an io error naming it") {
  outcome o;
  run(o, fixture("no-such-file.log"));
  REQUIRE_FALSE(o.status.ok());
  CHECK(o.status.err().code == model::errc::io);
  CHECK(o.status.err().message.find("no-such-file.log: cannot open") != std::string::npos);
}

}  // namespace
