// Pins: keep a host, a subnet or a time range raw for an incident.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace coop::cli {

namespace {

std::string describe(const tm::pin& p) {
  tm::time_range all;
  std::string hosts = p.hosts ? p.hosts->to_string() : "all hosts";
  std::string from = p.range.from == all.from ? "the beginning" : show_time(p.range.from);
  std::string to = p.range.to == all.to ? "the end" : show_time(p.range.to);
  return hosts + ", " + from + " to " + to;
}

// An address is a subnet of one host.
model::result<model::subnet> parse_hosts(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return model::subnet::parse(text);
  auto a = model::address::parse(text);
  if (!a) return a.err();
  return model::subnet::make(*a, a->is_v4() ? 32 : 128);
}

}  // namespace

int run_pin(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}, {"host"}, {"from"}, {"to"}, {"reason"}};
  arguments a;
  if (auto stop = parse_command("pin", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("pin", "unexpected argument '" + a.positional().front() + "'");
  }
  tm::pin p;
  if (auto h = a.get("host")) {
    auto s = parse_hosts(*h);
    if (!s) {
      return usage_error("pin", "--host '" + *h +
                                    "': expected an address (10.0.0.1, 2001:db8::1) or a subnet "
                                    "(10.0.0.0/8)");
    }
    p.hosts = *s;
  }
  for (const char* opt : {"from", "to"}) {
    if (auto v = a.get(opt)) {
      auto t = parse_time(opt, *v);
      if (!t) return usage_error("pin", t.err().message);
      (std::string_view(opt) == "from" ? p.range.from : p.range.to) = *t;
    }
  }
  if (!p.hosts && !a.has("from") && !a.has("to")) {
    return usage_error("pin", "say what to pin: --host ADDR|SUBNET and/or --from T --to T");
  }
  if (p.range.to <= p.range.from) return usage_error("pin", "--to must be later than --from");
  auto reason = a.get("reason");
  if (!reason || reason->empty()) {
    return usage_error("pin", "--reason TEXT is required (e.g. --reason \"incident 42\")");
  }
  p.reason = *reason;
  int code = exit_ok;
  auto st = open_store("pin", a, store_mode::read_write, code);
  if (!st) return code;
  auto added = st->add_pin(p);
  if (!added) return fail("pin: " + added.err().to_string());
  std::cout << "pin " << added->id << ": " << describe(*added) << " (" << added->reason << ")\n";
  return exit_ok;
}

int run_unpin(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}};
  arguments a;
  if (auto stop = parse_command("unpin", args, spec, a)) return *stop;
  if (a.positional().size() != 1)
    return usage_error("unpin", "give one pin ID (see `coop-tm pins`)");
  auto id = parse_count(a.positional().front());
  if (!id) return usage_error("unpin", "pin ID " + id.err().message);
  int code = exit_ok;
  auto st = open_store("unpin", a, store_mode::read_write, code);
  if (!st) return code;
  if (auto r = st->remove_pin(*id); !r) {
    if (r.err().code == model::errc::not_found) {
      return fail("unpin: there is no pin " + std::to_string(*id) + " (see `coop-tm pins --store " +
                  *a.get("store") + "`)");
    }
    return fail("unpin: " + r.err().to_string());
  }
  std::cout << "removed pin " << *id << "\n";
  return exit_ok;
}

int run_pins(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}};
  arguments a;
  if (auto stop = parse_command("pins", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("pins", "unexpected argument '" + a.positional().front() + "'");
  }
  int code = exit_ok;
  auto st = open_store("pins", a, store_mode::read_only, code);
  if (!st) return code;
  const auto pins = st->pins();
  if (pins.empty()) {
    std::cout << "no pins\n";
    return exit_ok;
  }
  tm::time_range all;
  text_table t({"id", "hosts", "from", "to", "reason"});
  for (const auto& p : pins) {
    t.add({std::to_string(p.id), p.hosts ? p.hosts->to_string() : "all",
           p.range.from == all.from ? "-" : show_time(p.range.from),
           p.range.to == all.to ? "-" : show_time(p.range.to), p.reason});
  }
  t.print(std::cout);
  return exit_ok;
}

}  // namespace coop::cli
