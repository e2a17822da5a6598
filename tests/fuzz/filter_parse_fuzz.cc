// Fuzz target of the filter language: compiles arbitrary bytes against a
// registry of a few schemas (records, enums, containers, a field whose type
// differs between event types) and, when the text compiles, evaluates it on
// a few events, including ones of a type the registry does not know and one
// that does not conform to its schema. Checks that a compiled filter keeps
// its text and that its error messages always carry a column.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/filter.h"

using namespace coop::model;

namespace {

field make_field(const char* name, const char* t) {
  field f;
  f.name = name;
  f.ty = type::parse(t).value();
  f.optional = true;
  return f;
}

struct world {
  registry reg;
  std::vector<event> events;
  timestamp now{1'700'000'000'000'000'000};

  world() {
    auto conn = reg.add(schema(
        "connection_end", 1,
        {make_field("orig_h", "addr"), make_field("resp_p", "port"),
         make_field("proto", "enum { tcp, udp, icmp }"), make_field("duration", "interval"),
         make_field("orig_bytes", "count"), make_field("delta", "int"), make_field("ratio", "double"),
         make_field("state", "string"), make_field("local", "bool"), make_field("tags", "set[string]"),
         make_field("hops", "vector of addr"), make_field("start", "time"), make_field("net", "subnet"),
         make_field("server", "record { name: string; version: count; }"), make_field("id.orig_h", "addr")}));
    auto dns = reg.add(schema("dns_request", 1,
                              {make_field("query", "string"), make_field("status", "count"),
                               make_field("resp_p", "port")}));
    auto http = reg.add(schema("http_request", 1,
                               {make_field("uri", "string"), make_field("status", "string"),
                                make_field("body", "bytes")}));
    if (!conn || !dns || !http) std::abort();

    event c(*conn);
    (void)c.set("orig_h", address::parse("10.1.2.3").value());
    (void)c.set("resp_p", port::parse("22/tcp").value());
    (void)c.set("proto", enum_value{"tcp"});
    (void)c.set("duration", interval::seconds(90));
    (void)c.set("orig_bytes", std::uint64_t{1500});
    (void)c.set("delta", std::int64_t{-7});
    (void)c.set("ratio", 0.25);
    (void)c.set("state", "SF");
    (void)c.set("local", true);
    (void)c.set("tags", value::make_set({value("ssh")}));
    (void)c.set("hops", vector_value{{value(address::parse("2001:db8::1").value())}});
    (void)c.set("start", timestamp{now.ns - 1000});
    (void)c.set("net", subnet::parse("10.0.0.0/8").value());
    (void)c.set("server", record_value{{value("OpenSSH"), value(std::uint64_t{9})}});
    c.ts = now;
    c.uid = "C1";
    c.from = origin{"lbl.gov", "zeek"};
    events.push_back(c);

    event bad = c;  // values that do not match the schema's types
    bad.fields()[1] = value("not a port");
    bad.fields()[13] = record_value{};
    bad.fields().pop_back();
    events.push_back(bad);

    event d(*dns);
    (void)d.set("query", "www.example.com");
    (void)d.set("status", std::uint64_t{3});
    events.push_back(d);

    event h(*http);
    (void)h.set("uri", "/index.php");
    (void)h.set("body", bytes{std::string("\0\xff", 2)});
    events.push_back(h);

    auto stranger = std::make_shared<const schema>(
        "stranger", 1, std::vector<field>{make_field("uri", "string"), make_field("resp_p", "port")});
    events.emplace_back(stranger);
    events.emplace_back();  // no type at all
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const world w;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  filter_limits limits;
  limits.max_length = 8192;
  auto f = filter::compile(text, w.reg, limits);
  if (!f) {
    // Every error names the column where it was found.
    if (f.err().message.rfind("column ", 0) != 0) std::abort();
    return 0;
  }
  if (f->text() != text) std::abort();
  const filter copy = f.value();
  for (const event& e : w.events) {
    const bool a = copy.matches(e, w.now);
    const bool b = f->matches(e, w.now);
    if (a != b) std::abort();
  }
  (void)f->event_types();
  return 0;
}
