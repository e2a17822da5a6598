// Creating a store (`init`) and opening it for the other commands, with the
// options `init` saved next to it.
//
// The library keeps rules and pins inside the store, but store_options
// (the global disk budget) are given at each open. So `init` writes them to
// `coop-tm.options` in the store directory, one `key value` per line, and
// every command reads them back.
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "cli.h"
#include "coop/model/catalogue.h"
#include "output.h"

namespace coop::cli {

namespace {

constexpr std::string_view options_file = "coop-tm.options";

model::result<void> save_options(const tm::store_options& o) {
  const auto path = o.root / options_file;
  std::ofstream out(path, std::ios::trunc);
  out << "# options of coop-tm for this store (read at every open)\n"
      << "disk_budget_bytes " << o.disk_budget_bytes << "\n";
  out.flush();
  if (!out) return model::error{model::errc::io, path.string() + ": cannot write"};
  return {};
}

// Reads what save_options wrote; a missing file means defaults (a store
// created by another program).
model::result<void> load_options(tm::store_options& o) {
  const auto path = o.root / options_file;
  std::ifstream in(path);
  if (!in) return {};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string val = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "disk_budget_bytes") {
      auto v = parse_count(val);
      if (!v) {
        return model::error{model::errc::corruption,
                            path.string() + ":" + std::to_string(n) + ": " + v.err().message};
      }
      o.disk_budget_bytes = *v;
    } else {
      return model::error{model::errc::corruption, path.string() + ":" + std::to_string(n) +
                                                       ": unknown option '" + key + "'"};
    }
  }
  return {};
}

}  // namespace

const model::registry& catalogue_types() {
  static const model::registry reg = [] {
    model::registry r;
    if (!model::add_catalogue(r)) throw std::logic_error("the built-in catalogue is broken");
    return r;
  }();
  return reg;
}

std::string rules_error_in(const std::filesystem::path& file, const model::error& e) {
  std::string_view m = e.message;
  if (m.starts_with("rules:"))
    m.remove_prefix(6);
  else
    return file.string() + ": " + e.message;
  return file.string() + ":" + std::string(m);
}

std::optional<tm::store> open_store(std::string_view command, const arguments& a, store_mode mode,
                                    int& exit_code) {
  auto dir = a.get("store");
  if (!dir || dir->empty()) {
    exit_code = usage_error(command, "--store DIR is required (the store's directory)");
    return std::nullopt;
  }
  tm::store_options o;
  o.root = *dir;
  o.read_only = mode == store_mode::read_only;
  if (auto r = load_options(o); !r) {
    exit_code = fail(r.err().message);
    return std::nullopt;
  }
  auto s = tm::store::open(o, catalogue_types());
  if (!s) {
    std::string msg = "--store " + *dir + ": ";
    std::string_view why = s.err().message;
    // The library names the directory itself; say it once.
    if (why.starts_with(*dir + ": ")) why.remove_prefix(dir->size() + 2);
    msg += why;
    if (s.err().code == model::errc::not_found) {
      msg += "; create one with `coop-tm init --store " + *dir + "`";
    }
    exit_code = fail(msg);
    return std::nullopt;
  }
  return std::move(s.value());
}

int run_init(std::span<const std::string> args) {
  static constexpr option_spec spec[] = {{"store"}, {"rules"}, {"budget"}};
  arguments a;
  if (auto stop = parse_command("init", args, spec, a)) return *stop;
  if (!a.positional().empty()) {
    return usage_error("init", "unexpected argument '" + a.positional().front() + "'");
  }
  auto dir = a.get("store");
  if (!dir || dir->empty()) return usage_error("init", "--store DIR is required");

  tm::store_options o;
  o.root = *dir;
  o.commit_interval = {};
  if (auto b = a.get("budget")) {
    auto size = coop::tm::parse_size(*b);
    if (!size) return usage_error("init", "--budget: " + size.err().message);
    o.disk_budget_bytes = *size;
  }
  // Rules are checked before anything is created, so a typo leaves no
  // half-made store behind.
  std::string rules_text;
  if (auto file = a.get("rules")) {
    auto text = read_file(*file);
    if (!text) return fail("--rules " + text.err().message);
    if (auto r = tm::rule_set::parse(*text, catalogue_types()); !r) {
      return fail(rules_error_in(*file, r.err()));
    }
    rules_text = std::move(text.value());
  }
  auto s = tm::store::create(o, catalogue_types());
  if (!s) return fail("--store " + s.err().message);
  if (!rules_text.empty()) {
    if (auto r = s->set_rules(rules_text); !r) return fail(r.err().message);
  }
  if (auto r = save_options(o); !r) return fail(r.err().message);
  const auto rules = s->rules();
  std::cout << "created a time machine store in " << *dir << "\n"
            << "  classes: " << rules.classes().size() << ", rules: " << rules.rules().size()
            << ", disk budget: "
            << (o.disk_budget_bytes == 0 ? std::string("none") : human_bytes(o.disk_budget_bytes))
            << "\n";
  return exit_ok;
}

}  // namespace coop::cli
