// coop-certs: creates a small test certificate authority and site identities
// (Ed25519 keys, X.509 certificates, PEM files) for Coop, and prints the SPKI
// pins that peer configurations carry (see `coop-certs --help`). Everything
// cryptographic is done by libcoopcomm's identity functions; this file only
// reads the command line and prints.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coop/comm/identity.h"

namespace fs = std::filesystem;
using coop::comm::identity_files;
using coop::comm::validity;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr std::string_view help_text =
    R"(coop-certs: create a test certificate authority and site identities for Coop

usage:
  coop-certs ca   --dir DIR [--name NAME] [--days N | --expired]
  coop-certs site --ca CA --dir DIR --name SITE [--days N | --expired]
  coop-certs pin  CERT
  coop-certs demo --dir DIR --sites SITE[,SITE...] [--name NAME] [--days N]
  coop-certs --help

commands:
  ca    create an authority: DIR/NAME.key (private key, mode 0600) and
        DIR/NAME.crt (self-signed certificate). NAME defaults to coop-ca.
  site  create a site's identity DIR/SITE.key (mode 0600) and DIR/SITE.crt,
        signed by the authority CA, given as DIR/NAME (the .key and .crt files
        beside each other; a path ending in .crt or .key is accepted too).
        Prints the site's pin and the line its peers put in their config.
  pin   print the pin of the PEM certificate CERT: the SHA-256 of its
        SubjectPublicKeyInfo as 64 lowercase hex digits
  demo  create an authority and every listed site in DIR in one go, then print
        each site's files, pin and `peer SITE spki=PIN` config line

options:
  --days N    validity in days from now (default 365; at most 36500)
  --expired   make a certificate that expired yesterday (to test refusals)

Keys are Ed25519; certificates are X.509 v3 and serve TLS 1.3 as client and
server. Site and authority names are 1-64 characters of A-Z a-z 0-9 . _ -
starting with a letter or digit. Existing files are never overwritten: move
them away to create new ones. Keep the authority's key private: whoever holds
it can create identities your sites' CA check accepts (peers are also pinned).

exit codes: 0 success, 1 the operation failed (the message names the file or
name), 2 wrong command line
)";

// A command-line mistake.
struct usage_error {
  std::string message;
};

int usage(const usage_error& e) {
  std::cerr << "coop-certs: " << e.message << "; see coop-certs --help\n";
  return exit_usage;
}

// Options shared by the commands; each command checks which it accepts.
struct options {
  std::optional<std::string> dir, name, ca, sites, days;
  bool expired = false;
  std::vector<std::string> positional;
};

std::optional<usage_error> parse(std::span<const std::string> args, options& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::optional<std::string>& slot) -> std::optional<usage_error> {
      if (i + 1 >= args.size()) return usage_error{a + " needs a value"};
      if (slot) return usage_error{a + " given twice"};
      slot = args[++i];
      return std::nullopt;
    };
    std::optional<usage_error> e;
    if (a == "--dir") {
      e = value(o.dir);
    } else if (a == "--name") {
      e = value(o.name);
    } else if (a == "--ca") {
      e = value(o.ca);
    } else if (a == "--sites") {
      e = value(o.sites);
    } else if (a == "--days") {
      e = value(o.days);
    } else if (a == "--expired") {
      o.expired = true;
    } else if (a.starts_with("-") && a != "-") {
      return usage_error{"unknown option " + a};
    } else {
      o.positional.push_back(a);
    }
    if (e) return e;
  }
  return std::nullopt;
}

// Refuses options that `command` does not take.
std::optional<usage_error> only(const options& o, std::string_view command,
                                std::set<std::string_view> allowed, std::size_t positional) {
  const std::pair<std::string_view, bool> given[] = {
      {"--dir", o.dir.has_value()},   {"--name", o.name.has_value()},
      {"--ca", o.ca.has_value()},     {"--sites", o.sites.has_value()},
      {"--days", o.days.has_value()}, {"--expired", o.expired}};
  for (const auto& [flag, set] : given) {
    if (set && !allowed.contains(flag)) {
      return usage_error{std::string(command) + " does not take " + std::string(flag)};
    }
  }
  if (o.positional.size() > positional) {
    return usage_error{"unexpected argument '" + o.positional[positional] + "'"};
  }
  return std::nullopt;
}

std::optional<usage_error> validity_of(const options& o, validity& v) {
  using namespace std::chrono_literals;
  if (o.expired) {
    if (o.days) return usage_error{"--expired and --days exclude each other"};
    v = validity{-48h, 24h};
    return std::nullopt;
  }
  if (!o.days) return std::nullopt;
  int days = 0;
  const std::string& s = *o.days;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), days);
  if (ec != std::errc{} || end != s.data() + s.size() || days < 1 || days > 36500) {
    return usage_error{"--days expects a whole number of days from 1 to 36500, got '" + s + "'"};
  }
  v.valid_for = std::chrono::hours(24) * days;
  return std::nullopt;
}

std::optional<usage_error> require(const std::optional<std::string>& v, std::string_view command,
                                   std::string_view flag) {
  if (!v) return usage_error{std::string(command) + " needs " + std::string(flag)};
  return std::nullopt;
}

// DIR/NAME, DIR/NAME.crt or DIR/NAME.key -> the authority's two files.
identity_files authority_files(const std::string& ca) {
  fs::path base(ca);
  if (base.extension() == ".crt" || base.extension() == ".key") base.replace_extension();
  fs::path key = base, cert = base;
  key += ".key";
  cert += ".crt";
  return {key, cert};
}

int fail(const coop::comm::error& e) {
  std::cerr << "coop-certs: " << e.message << "\n";
  return exit_failed;
}

int cmd_ca(const options& o, validity v) {
  constexpr std::string_view c = "ca";
  if (auto e = only(o, c, {"--dir", "--name", "--days", "--expired"}, 0)) return usage(*e);
  if (auto e = require(o.dir, c, "--dir DIR")) return usage(*e);
  const std::string name = o.name.value_or("coop-ca");
  auto r = coop::comm::create_authority(*o.dir, name, v);
  if (!r) return fail(r.err());
  std::cout << "authority " << name << "\n  cert  " << r->cert.string() << "\n  key   "
            << r->key.string() << "  (keep private: it signs new sites)\n";
  return exit_ok;
}

// Prints a site's files, pin and peer line; false (after printing the error)
// when the pin cannot be read back.
bool print_site(std::string_view site, const identity_files& f) {
  auto pin = coop::comm::spki_pin_of_certificate(f.cert);
  if (!pin) {
    fail(pin.err());
    return false;
  }
  std::cout << "site " << site << "\n  cert  " << f.cert.string() << "\n  key   " << f.key.string()
            << "\n  pin   " << *pin << "\n  peer " << site << " spki=" << *pin << "\n";
  return true;
}

int cmd_site(const options& o, validity v) {
  constexpr std::string_view c = "site";
  if (auto e = only(o, c, {"--ca", "--dir", "--name", "--days", "--expired"}, 0)) return usage(*e);
  if (auto e = require(o.ca, c, "--ca DIR/NAME")) return usage(*e);
  if (auto e = require(o.dir, c, "--dir DIR")) return usage(*e);
  if (auto e = require(o.name, c, "--name SITE")) return usage(*e);
  auto r = coop::comm::create_site(authority_files(*o.ca), *o.dir, *o.name, v);
  if (!r) return fail(r.err());
  return print_site(*o.name, *r) ? exit_ok : exit_failed;
}

int cmd_pin(const options& o) {
  if (auto e = only(o, "pin", {}, 1)) return usage(*e);
  if (o.positional.empty()) return usage(usage_error{"pin needs a certificate file"});
  auto pin = coop::comm::spki_pin_of_certificate(o.positional.front());
  if (!pin) return fail(pin.err());
  std::cout << *pin << "\n";
  return exit_ok;
}

std::vector<std::string> split_sites(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list.find(',', start);
    out.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Removes what a failed demo created, so a second attempt starts clean.
void remove_created(const std::vector<identity_files>& created) {
  for (const auto& f : created) {
    std::error_code ec;
    fs::remove(f.cert, ec);
    fs::remove(f.key, ec);
  }
}

int cmd_demo(const options& o, validity v) {
  constexpr std::string_view c = "demo";
  if (auto e = only(o, c, {"--dir", "--sites", "--name", "--days"}, 0)) return usage(*e);
  if (auto e = require(o.dir, c, "--dir DIR")) return usage(*e);
  if (auto e = require(o.sites, c, "--sites SITE[,SITE...]")) return usage(*e);
  const std::vector<std::string> sites = split_sites(*o.sites);
  std::set<std::string> seen;
  for (const auto& s : sites) {
    if (!seen.insert(s).second) return usage(usage_error{"site '" + s + "' is listed twice in --sites"});
  }
  const std::string ca_name = o.name.value_or("coop-ca");
  if (seen.contains(ca_name)) {
    return usage(usage_error{"site '" + ca_name + "' has the authority's name; pick another --name"});
  }
  // Absolute paths, so the printed config lines work from any directory.
  std::error_code ec;
  const fs::path dir = fs::absolute(*o.dir, ec);
  if (ec) return fail({coop::comm::errc::io, *o.dir + ": " + ec.message()});

  std::vector<identity_files> created;
  auto ca = coop::comm::create_authority(dir, ca_name, v);
  if (!ca) return fail(ca.err());
  created.push_back(*ca);
  std::vector<std::pair<std::string, std::string>> pins;
  for (const auto& s : sites) {
    auto r = coop::comm::create_site(*ca, dir, s, v);
    if (!r) {
      remove_created(created);
      return fail(r.err());
    }
    created.push_back(*r);
    auto pin = coop::comm::spki_pin_of_certificate(r->cert);
    if (!pin) {
      remove_created(created);
      return fail(pin.err());
    }
    pins.emplace_back(s, *pin);
  }

  std::cout << "authority " << ca_name << "\n  cert  " << ca->cert.string() << "\n  key   "
            << ca->key.string() << "  (keep private: it signs new sites)\n\n";
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const auto& [site, pin] = pins[i];
    std::cout << "site " << site << "\n  cert  " << created[i + 1].cert.string() << "\n  key   "
              << created[i + 1].key.string() << "\n  pin   " << pin << "\n  peer " << site
              << " spki=" << pin << "\n\n";
  }
  // One site's configuration as an example; add listen/connect and access rules.
  const std::string& first = pins.front().first;
  std::cout << "# configuration of site " << first
            << " (add listen or connect=HOST:PORT, and allow rules)\n"
            << "site " << first << "\nkey " << created[1].key.string() << "\ncert "
            << created[1].cert.string() << "\nca " << ca->cert.string() << "\n";
  for (std::size_t i = 1; i < pins.size(); ++i) {
    std::cout << "peer " << pins[i].first << " spki=" << pins[i].second << "\n";
  }
  return exit_ok;
}

int run(std::span<const std::string> args) {
  if (args.empty()) {
    std::cerr << help_text;
    return exit_usage;
  }
  const std::string& command = args.front();
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << help_text;
    return exit_ok;
  }
  for (const auto& a : args.subspan(1)) {
    if (a == "--help" || a == "-h") {
      std::cout << help_text;
      return exit_ok;
    }
  }
  options o;
  if (auto e = parse(args.subspan(1), o)) return usage(*e);
  validity v;
  if (command == "pin") return cmd_pin(o);
  if (auto e = validity_of(o, v)) return usage(*e);
  if (command == "ca") return cmd_ca(o, v);
  if (command == "site") return cmd_site(o, v);
  if (command == "demo") return cmd_demo(o, v);
  return usage(usage_error{"unknown command '" + command + "'"});
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return run(args);
}
