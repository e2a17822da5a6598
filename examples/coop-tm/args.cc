// The command line: options, sizes, times, lists, and how errors are shown.
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include "cli.h"

namespace coop::cli {

using model::errc;

model::result<arguments> arguments::parse(std::span<const std::string> args,
                                          std::span<const option_spec> spec) {
  arguments out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a == "-" || !a.starts_with("-")) {
      out.pos_.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (!a.starts_with("--")) {
      return model::error{errc::invalid_argument,
                          "unknown option '" + a + "' (options start with --)"};
    }
    std::string_view body = std::string_view(a).substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const option_spec* found = nullptr;
    for (const auto& s : spec) {
      if (s.name == body) found = &s;
    }
    if (found == nullptr) {
      return model::error{errc::invalid_argument, "unknown option '--" + std::string(body) + "'"};
    }
    if (!found->takes_value) {
      if (inline_value) {
        return model::error{errc::invalid_argument,
                            "option '--" + std::string(body) + "' takes no value"};
      }
      out.opts_[std::string(body)] = "";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return model::error{errc::invalid_argument,
                            "option '--" + std::string(body) + "' needs a value"};
      }
      inline_value = args[++i];
    }
    out.opts_[std::string(body)] = std::move(*inline_value);
  }
  return out;
}

std::optional<std::string> arguments::get(std::string_view name) const {
  auto it = opts_.find(name);
  if (it == opts_.end()) return std::nullopt;
  return it->second;
}

bool arguments::has(std::string_view name) const { return opts_.find(name) != opts_.end(); }

std::optional<int> parse_command(std::string_view command, std::span<const std::string> args,
                                 std::span<const option_spec> spec, arguments& out) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      std::cout << help_text(command);
      return exit_ok;
    }
  }
  auto parsed = arguments::parse(args, spec);
  if (!parsed) return usage_error(command, parsed.err().message);
  out = std::move(parsed.value());
  return std::nullopt;
}

int fail(std::string_view message) {
  std::cerr << "coop-tm: " << message << "\n";
  return exit_failed;
}

int usage_error(std::string_view command, std::string_view message) {
  std::cerr << "coop-tm " << command << ": " << message << "\n"
            << "see `coop-tm help " << command << "`\n";
  return exit_usage;
}

void warn(std::string_view message) { std::cerr << "coop-tm: warning: " << message << "\n"; }

model::result<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t n = 0;
  const char* last = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), last, n);
  if (text.empty() || ec != std::errc() || p != last) {
    return model::error{errc::invalid_argument,
                        "'" + std::string(text) + "' is not a non-negative integer"};
  }
  return n;
}

model::result<model::timestamp> parse_time(std::string_view option, std::string_view text) {
  auto t = model::timestamp::parse(text);
  if (!t) {
    return model::error{errc::invalid_argument,
                        "--" + std::string(option) + " '" + std::string(text) +
                            "': not a time (give epoch seconds like 1521911720.865716 or "
                            "RFC 3339 like 2018-03-24T17:15:20Z)"};
  }
  return t;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

model::result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return model::error{errc::io, path.string() + ": cannot open: " + std::strerror(errno)};
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return model::error{errc::io, path.string() + ": read failed"};
  return std::move(buf).str();
}

}  // namespace coop::cli
