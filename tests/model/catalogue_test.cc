// Tests of the standard catalogue (src/catalogue/): the schemas, their
// documentation in docs/catalogue.md, and the mapping from real Zeek logs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "coop/model/catalogue.h"
#include "coop/model/event.h"

namespace {

using namespace coop::model;
namespace fs = std::filesystem;

registry standard() {
  registry r;
  auto added = add_catalogue(r);
  REQUIRE_MESSAGE(added.ok(), (added.ok() ? "" : added.err().to_string()));
  return r;
}

std::set<std::string> required_of(const schema& s) {
  std::set<std::string> out;
  for (const auto& f : s.fields()) {
    if (!f.optional) out.insert(f.name);
  }
  return out;
}

// A value of type `t`, for filling required fields.
value sample(const type& t) {
  switch (t.kind()) {
    case type_kind::boolean: return true;
    case type_kind::count: return std::uint64_t{1};
    case type_kind::integer: return std::int64_t{-1};
    case type_kind::real: return 1.5;
    case type_kind::string: return "x";
    case type_kind::bytes: return bytes{std::string("\x01\x02", 2)};
    case type_kind::address: return address::v4(0xc0000201u);
    case type_kind::port: return port{80, transport::tcp};
    case type_kind::time: return timestamp{1};
    case type_kind::interval: return interval{1};
    case type_kind::enumeration: return enum_value{t.names().at(0)};
    case type_kind::set: return value::make_set({sample(t.element())});
    case type_kind::vector: return vector_value{{sample(t.element())}};
    default: FAIL("no sample for " << t.to_string()); return {};
  }
}

TEST_CASE("catalogue: every standard type is registered, valid and documented") {
  registry r = standard();
  CHECK(r.size() == catalogue::all.size());
  for (auto name : catalogue::all) {
    CAPTURE(name);
    auto s = r.find(name);
    REQUIRE(s != nullptr);
    CHECK(s->version() == catalogue::version);
    auto valid = s->validate();
    CHECK_MESSAGE(valid.ok(), (valid.ok() ? "" : valid.err().message));
    CHECK(!s->doc().empty());
    for (const auto& f : s->fields()) {
      CAPTURE(f.name);
      CHECK(!f.doc.empty());
      CHECK(f.doc.find('\n') == std::string::npos);
      CHECK(f.doc.size() < 120);
    }
  }
}

TEST_CASE("catalogue: type names are unique and match the registry") {
  std::set<std::string_view> names(catalogue::all.begin(), catalogue::all.end());
  CHECK(names.size() == catalogue::all.size());
  registry r = standard();
  std::vector<std::string> held;
  for (const auto& s : r.newest()) held.push_back(s->name());
  CHECK(held == std::vector<std::string>(names.begin(), names.end()));
}

TEST_CASE("catalogue: a field name has one type across all types") {
  // `version` is each protocol's own notion (SSH 2, HTTP "1.1", TLS "TLSv13").
  registry r = standard();
  std::map<std::string, std::pair<std::string, std::string>> seen;  // name -> (type, where)
  for (const auto& s : r.newest()) {
    for (const auto& f : s->fields()) {
      if (f.name == "version") continue;
      auto [it, fresh] = seen.emplace(f.name, std::pair{f.ty.to_string(), s->name()});
      CHECK_MESSAGE(it->second.first == f.ty.to_string(),
                    s->name() << "." << f.name << " is " << f.ty.to_string() << " but "
                              << it->second.second << "." << f.name << " is " << it->second.first);
    }
  }
}

TEST_CASE("catalogue: add_catalogue is idempotent and all or nothing") {
  registry r = standard();
  CHECK(add_catalogue(r).ok());
  CHECK(r.size() == catalogue::all.size());

  // A registry that already holds its own connection_end v1, whose orig_p
  // is a count.
  registry clash;
  const auto& standard_end = *r.find(catalogue::connection_end);
  auto held = clash.add(
      schema("connection_end", 1,
             {standard_end[0], field{"orig_p", type(type_kind::count), false, {}, "Port."}}));
  REQUIRE(held.ok());
  auto added = add_catalogue(clash);
  REQUIRE_FALSE(added.ok());
  CHECK(added.err().code == errc::incompatible);
  CHECK(added.err().message.find("connection_end") != std::string::npos);
  CHECK(added.err().message.find("field 'orig_p' is count") != std::string::npos);
  CHECK(clash.size() == 1);  // nothing else was added
  CHECK(clash.find(catalogue::connection_attempt) == nullptr);
}

TEST_CASE("catalogue: required fields are the documented ones") {
  // docs/catalogue.md explains why: only what every producer can fill.
  const std::set<std::string> tuple{"orig_h", "orig_p", "resp_h", "resp_p"};
  const std::set<std::string> client{"orig_h"};
  const std::map<std::string_view, std::set<std::string>> expected{
      {catalogue::connection_attempt, tuple},
      {catalogue::connection_established, tuple},
      {catalogue::connection_end, tuple},
      {catalogue::dns_request, client},
      {catalogue::dns_reply, client},
      {catalogue::http_request, client},
      {catalogue::http_reply, client},
      {catalogue::ssh_login, client},
      {catalogue::smtp_message, client},
      {catalogue::file_transfer, {}},
      {catalogue::ftp_command, client},
      {catalogue::tls_handshake, client},
      {catalogue::syslog_message, {"message"}},
      {catalogue::packet, {"link_type", "caplen", "wirelen", "data"}},
      {catalogue::indicator, {"indicator", "indicator_type"}},
      {catalogue::sighting, {"indicator"}},
      {catalogue::notice, {"note"}},
  };
  REQUIRE(expected.size() == catalogue::all.size());
  registry r = standard();
  for (const auto& [name, fields] : expected) {
    CAPTURE(name);
    auto s = r.find(name);
    REQUIRE(s != nullptr);
    CHECK(required_of(*s) == fields);
  }
}

TEST_CASE("catalogue: an event with only its required fields validates") {
  registry r = standard();
  for (auto name : catalogue::all) {
    CAPTURE(name);
    event e(r.find(name));
    for (const auto& f : e.type().fields()) {
      if (!f.optional) REQUIRE(e.set(f.name, sample(f.ty)).ok());
    }
    auto valid = e.validate();
    CHECK_MESSAGE(valid.ok(), (valid.ok() ? "" : valid.err().message));
    // Leaving any required field unset is an error naming it.
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (e.type()[i].optional) continue;
      event missing = e;
      missing.field(i) = none;
      auto bad = missing.validate();
      REQUIRE_FALSE(bad.ok());
      CHECK(bad.err().message.find(e.type()[i].name) != std::string::npos);
    }
  }
}

TEST_CASE("catalogue: a populated connection_end validates") {
  registry r = standard();
  event e(r.find(catalogue::connection_end));
  e.ts = timestamp::parse("1258531221.486539").value();
  e.id = id_generator(7).next();
  e.from = {"example.edu", "zeek-border-1"};
  e.uid = "CHhAvVGS1DHFjwGM9";
  auto ok = [&](std::string_view name, value v) {
    auto set = e.set(name, std::move(v));
    CHECK_MESSAGE(set.ok(), name << ": " << (set.ok() ? "" : set.err().message));
  };
  ok("orig_h", address::parse("192.168.1.79").value());
  ok("orig_p", port::parse("51880/tcp").value());
  ok("resp_h", address::parse("131.159.21.1").value());
  ok("resp_p", port::parse("22/tcp").value());
  ok("service", "ssh");
  ok("duration", interval::parse("6.258327").value());
  ok("orig_bytes", std::uint64_t{1946});
  ok("resp_bytes", std::uint64_t{2705});
  ok("conn_state", "SF");
  ok("local_orig", true);
  ok("local_resp", false);
  ok("missed_bytes", std::uint64_t{0});
  ok("history", "ShADadFf");
  ok("orig_pkts", std::uint64_t{25});
  ok("orig_ip_bytes", std::uint64_t{3254});
  ok("resp_pkts", std::uint64_t{21});
  ok("resp_ip_bytes", std::uint64_t{3805});
  ok("tunnel_parents", value::make_set({"CjBXf63OBmQXmzHXxl"}));
  ok("ip_proto", std::uint64_t{6});
  ok("community_id", "1:SO5brt0NbL1xUvJ2YHx4OquSmuE=");
  auto valid = e.validate();
  CHECK_MESSAGE(valid.ok(), (valid.ok() ? "" : valid.err().message));

  auto wrong = e.set("orig_bytes", "many");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.err().message.find("orig_bytes") != std::string::npos);
  CHECK(e.set("proto", "tcp").err().code == errc::not_found);  // the transport lives in the ports
}

TEST_CASE("catalogue: an indicator withdraws nothing unless it says so") {
  registry r = standard();
  event e(r.find(catalogue::indicator));
  REQUIRE(e.get("removed") != nullptr);
  CHECK(*e.get("removed") == value(false));
  CHECK(e.set("indicator_type", enum_value{"DOMAIN"}).ok());
  CHECK_FALSE(e.set("indicator_type", enum_value{"Intel::DOMAIN"}).ok());
}

TEST_CASE("catalogue: the Zeek mapping names real fields") {
  registry r = standard();
  std::set<std::tuple<std::string_view, std::string_view, std::string_view>> rows;
  for (const auto& c : zeek_columns()) {
    CAPTURE(c.log);
    CAPTURE(c.column);
    CHECK(!c.column.empty());
    CHECK(c.column[0] != '_');
    CHECK(rows.insert({c.log, c.column, c.event}).second);  // no duplicates
    if (c.kind == zeek_column_kind::field) {
      auto s = r.find(c.event);
      REQUIRE(s != nullptr);
      CHECK(s->index_of(c.field).has_value());
      CHECK(zeek_log_of(c.event) == c.log);
    } else {
      CHECK(c.event.empty());
      CHECK(!c.note.empty());
    }
  }
  // Every type a Zeek log produces has at least its required fields mapped
  // from that log, so every row can become a valid event.
  for (auto name : catalogue::all) {
    auto log = zeek_log_of(name);
    if (log.empty()) continue;
    for (const auto& f : r.find(name)->fields()) {
      if (f.optional) continue;
      bool mapped = std::any_of(zeek_columns().begin(), zeek_columns().end(), [&](const auto& c) {
        return c.log == log && c.event == name && c.field == f.name;
      });
      CHECK_MESSAGE(mapped,
                    name << "." << f.name << " is required but no " << log << " column maps to it");
    }
  }
  CHECK(zeek_log_of(catalogue::connection_end) == "conn");
  CHECK(zeek_log_of(catalogue::packet).empty());
  CHECK(zeek_log_of("no_such_type").empty());
}

// ---- docs/catalogue.md -----------------------------------------------------

constexpr std::string_view begin_marker = "<!-- BEGIN GENERATED";
constexpr std::string_view end_marker = "<!-- END GENERATED -->";

TEST_CASE("catalogue: docs/catalogue.md is up to date") {
  const fs::path path = fs::path(COOP_SOURCE_DIR) / "docs" / "catalogue.md";
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  auto begin = doc.find(begin_marker);
  auto end = doc.find(end_marker);
  REQUIRE_MESSAGE((begin != std::string::npos && end != std::string::npos && begin < end),
                  path << " lacks the generated-section markers");
  begin = doc.find('\n', begin) + 1;

  auto generated = catalogue_markdown();
  REQUIRE_MESSAGE(generated.ok(), (generated.ok() ? "" : generated.err().message));
  const std::string current = doc.substr(begin, end - begin);
  const std::string wanted = "\n" + *generated + "\n";
  if (current != wanted && std::getenv("COOP_UPDATE_DOCS") != nullptr) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << doc.substr(0, begin) << wanted << doc.substr(end);
    REQUIRE(out.good());
    MESSAGE("rewrote the generated part of " << path);
    return;
  }
  if (current != wanted) {
    // Point at the first line that differs.
    std::istringstream a(current), b(wanted);
    std::string la, lb;
    int line = 0;
    while (true) {
      bool ga = static_cast<bool>(std::getline(a, la));
      bool gb = static_cast<bool>(std::getline(b, lb));
      ++line;
      if (!ga && !gb) break;
      if (!ga || !gb || la != lb) break;
    }
    FAIL_CHECK(
        path << " is out of date at line " << line << " of the generated part:\n  doc: " << la
             << "\n  new: " << lb
             << "\nregenerate: COOP_UPDATE_DOCS=1 coop-model-tests -tc='*docs/catalogue.md*'");
  }
}

// ---- real Zeek logs --------------------------------------------------------
// Every column of the Zeek logs in ../shared/data must have a documented
// mapping, with a compatible type, and every row must become valid events.

constexpr std::size_t max_rows_per_file = 2000;

struct zeek_file {
  std::string log;  // #path, or "intel-input"
  char separator = '\t';
  std::string set_separator = ",";
  std::vector<std::string> fields;
  std::vector<std::string> types;                         // empty for Intel input files
  std::vector<std::pair<std::size_t, std::string>> rows;  // (line number, text)
};

std::vector<std::string> split(std::string_view text, std::string_view sep) {
  std::vector<std::string> out;
  while (true) {
    auto at = text.find(sep);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + sep.size());
  }
}

// Reads a Zeek log (plain or gzip-compressed), at most max_rows_per_file rows.
zeek_file read_zeek_file(const fs::path& path) {
  zeek_file z;
  const bool gz = path.extension() == ".gz";
  FILE* f = gz ? popen(("gzip -dc '" + path.string() + "' 2>/dev/null").c_str(), "r")
               : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return z;
  std::string pending;
  std::size_t line_no = 0;
  char chunk[65536];
  auto take = [&](std::string line) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#separator ", 0) == 0) {
      unsigned code = 0;
      if (std::sscanf(line.c_str() + 11, "\\x%2x", &code) == 1)
        z.separator = static_cast<char>(code);
      return;
    }
    if (line.rfind('#', 0) == 0) {
      auto parts = split(std::string_view(line).substr(1), std::string(1, z.separator));
      const std::string key = parts[0];
      parts.erase(parts.begin());
      if (key == "fields") z.fields = parts;
      if (key == "types") z.types = parts;
      if (key == "path" && !parts.empty()) z.log = parts[0];
      if (key == "set_separator" && !parts.empty()) z.set_separator = parts[0];
      return;
    }
    if (!z.fields.empty() && !line.empty() && z.rows.size() < max_rows_per_file) {
      z.rows.emplace_back(line_no, std::move(line));
    }
  };
  std::size_t n;
  while (z.rows.size() < max_rows_per_file && (n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
    pending.append(chunk, n);
    std::size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      take(pending.substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  if (!pending.empty()) take(pending);
  if (gz)
    pclose(f);
  else
    std::fclose(f);
  return z;
}

// Zeek's TSV escapes: \xHH for a byte, \\ for a backslash.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 3]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 2, 2)), nullptr, 16));
      i += 3;
    } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

result<value> convert_scalar(std::string_view text, const type& t) {
  const std::string raw = unescape(text);
  if (t.kind() == type_kind::string) return value(raw);
  if (t.kind() == type_kind::enumeration) {
    // Zeek writes enums with their module (Intel::ADDR); the catalogue's
    // labels drop it.
    auto colons = raw.rfind("::");
    std::string label = colons == std::string::npos ? raw : raw.substr(colons + 2);
    if (t.index_of(label) < 0) return error{errc::invalid_argument, "no label " + label};
    return value(enum_value{label});
  }
  return value::parse(raw, t);
}

result<value> convert(std::string_view text, const type& t, const std::string& set_sep) {
  if (t.kind() == type_kind::set || t.kind() == type_kind::vector) {
    std::vector<value> elements;
    if (text != "(empty)") {
      for (const auto& part : split(text, set_sep)) {
        auto v = convert_scalar(part, t.element());
        if (!v) return v;
        elements.push_back(std::move(*v));
      }
    }
    if (t.kind() == type_kind::set) return value::make_set(std::move(elements));
    return value(vector_value{std::move(elements)});
  }
  return convert_scalar(text == "(empty)" ? std::string_view{} : text, t);
}

// True if a column of Zeek type `zeek` can fill a field of type `ours`.
bool compatible(std::string_view zeek, const type& ours) {
  if (zeek == "enum") {
    return ours.kind() == type_kind::enumeration || ours.kind() == type_kind::string;
  }
  for (auto [prefix, kind] : {std::pair{std::string_view("set["), type_kind::set},
                              std::pair{std::string_view("vector["), type_kind::vector}}) {
    if (zeek.rfind(prefix, 0) == 0 && zeek.back() == ']') {
      return ours.kind() == kind &&
             compatible(zeek.substr(prefix.size(), zeek.size() - prefix.size() - 1),
                        ours.element());
    }
  }
  auto t = type::parse(zeek);
  return t.ok() && *t == ours;
}

std::vector<zeek_column> mapping_of(std::string_view log, std::string_view column) {
  std::vector<zeek_column> out;
  for (const auto& c : zeek_columns()) {
    if (c.log == log && c.column == column) out.push_back(c);
  }
  return out;
}

struct tally {
  std::set<std::string> logs;
  std::size_t files = 0, rows = 0, events = 0;
};

void check_zeek_file(const fs::path& path, const zeek_file& z, const registry& r, tally& t) {
  std::set<std::string_view> events;
  for (const auto& c : zeek_columns()) {
    if (c.log == z.log && c.kind == zeek_column_kind::field) events.insert(c.event);
  }
  if (events.empty()) return;  // a log the catalogue does not import (x509, weird, ...)
  ++t.files;
  t.logs.insert(z.log);
  const std::string where = path.parent_path().filename().string() + "/" + path.filename().string();
  std::vector<std::vector<zeek_column>> mapped(z.fields.size());
  for (std::size_t i = 0; i < z.fields.size(); ++i) {
    const std::string& column = z.fields[i];
    if (column.rfind('_', 0) == 0) continue;  // writer extension (_write_ts, _path)
    const auto& rows = mapped[i] = mapping_of(z.log, column);
    CHECK_MESSAGE(!rows.empty(), where << ": column '" << column << "' of " << z.log
                                       << ".log has no documented mapping");
    for (const auto& c : rows) {
      if (c.kind != zeek_column_kind::field || i >= z.types.size()) continue;
      const auto& f = r.find(c.event)->fields()[*r.find(c.event)->index_of(c.field)];
      CHECK_MESSAGE(compatible(z.types[i], f.ty), where << ": column '" << column << "' is "
                                                        << z.types[i] << " but " << c.event << "."
                                                        << c.field << " is " << f.ty.to_string());
    }
  }
  for (const auto& [line_no, line] : z.rows) {
    const auto cells = split(line, std::string(1, z.separator));
    if (cells.size() != z.fields.size()) {
      FAIL_CHECK(where << ":" << line_no << ": " << cells.size() << " cells, " << z.fields.size()
                       << " fields");
      continue;
    }
    ++t.rows;
    for (auto name : events) {
      event e(r.find(name));
      transport proto = transport::unknown;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "-") continue;  // unset
        for (const auto& c : mapped[i]) {
          if (c.kind == zeek_column_kind::transport) {
            auto p = port::parse("0/" + cells[i]);
            if (p) proto = p->proto;
          }
          if (c.kind != zeek_column_kind::field || c.event != name) continue;
          const auto& f = e.type()[*e.type().index_of(c.field)];
          auto v = convert(cells[i], f.ty, z.set_separator);
          if (!v) {
            FAIL_CHECK(where << ":" << line_no << ": column '" << z.fields[i] << "' = '" << cells[i]
                             << "' is not a " << f.ty.to_string() << ": " << v.err().message);
            continue;
          }
          auto set = e.set(c.field, std::move(*v));
          CHECK_MESSAGE(set.ok(),
                        where << ":" << line_no << ": " << (set.ok() ? "" : set.err().message));
        }
      }
      for (auto& v : e.fields()) {
        if (auto* p = v.get_if<port>()) v = port{p->number, proto};
      }
      auto valid = e.validate();
      CHECK_MESSAGE(valid.ok(), where << ":" << line_no << ": " << name << ": "
                                      << (valid.ok() ? "" : valid.err().message));
      ++t.events;
    }
  }
}

fs::path data_dir() {
  if (const char* env = std::getenv("COOP_DATA"); env != nullptr && *env != '\0') return env;
  return fs::path(COOP_SOURCE_DIR) / ".." / "shared" / "data";
}

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("catalogue: the columns and rows of real Zeek logs map to catalogue events") {
  const fs::path data = data_dir();
  if (!fs::is_directory(data / "zeek-baselines")) {
    // ctest reports the test as skipped on this marker (tests/model/CMakeLists.txt).
    std::printf("COOP-SKIP: no Zeek logs at %s (set COOP_DATA to the shared data directory)\n",
                data.string().c_str());
    return;
  }
  registry r = standard();
  tally t;
  for (const auto& dir : sorted_files(data / "zeek-baselines")) {
    // The logging framework's own tests write synthetic streams, not protocol logs.
    if (dir.filename().string().find("frameworks.logging") != std::string::npos) continue;
    for (const auto& file : sorted_files(dir)) {
      const auto ext = file.extension();
      if (ext != ".log" && ext != ".dat") continue;
      zeek_file z = read_zeek_file(file);
      if (ext == ".dat") z.log = "intel-input";
      if (!z.fields.empty()) check_zeek_file(file, z, r, t);  // zeek-cut outputs have no #fields
    }
  }
  for (const auto& file : sorted_files(data / "zeek-logs" / "zed-sample-data" / "zeek-default")) {
    zeek_file z = read_zeek_file(file);
    if (!z.fields.empty()) check_zeek_file(file, z, r, t);
  }
  for (const auto& file : sorted_files(data / "intel" / "zeek-format" / "cps")) {
    if (file.extension() != ".intel") continue;
    zeek_file z = read_zeek_file(file);
    z.log = "intel-input";
    if (!z.fields.empty()) check_zeek_file(file, z, r, t);
  }
  MESSAGE("checked " << t.files << " Zeek files, " << t.rows << " rows, " << t.events << " events");
  // The logs the mapping must cover, so a broken file search cannot pass silently.
  for (const char* log : {"conn", "dns", "http", "ssh", "ssl", "smtp", "files", "ftp", "notice",
                          "intel", "syslog", "intel-input"}) {
    CHECK_MESSAGE(t.logs.count(log) == 1, "no " << log << " log was found under " << data.string());
  }
}

}  // namespace
