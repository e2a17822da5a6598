// Private: one line of an Apache access log in Common or Combined format,
// optionally prefixed by the virtual host (%v or %v:%p, as the
// vhost_combined format writes it), split into views. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/address.h"
#include "coop/model/time.h"

namespace coop::importer::apache {

/// The parts of one access-log line. Views point into the line.
struct access_line {
  std::string_view vhost;       ///< Virtual host, empty if the line has none.
  std::int64_t vhost_port = -1; ///< Its port, -1 if none.
  coop::model::address client;  ///< %h.
  std::string_view ident;       ///< %l ("-" when unknown).
  std::string_view user;        ///< %u ("-" when unknown).
  coop::model::timestamp ts;    ///< %t, converted to UTC.
  std::string_view request;     ///< %r, still escaped.
  int status = -1;              ///< %>s, -1 when "-".
  std::int64_t bytes = -1;      ///< %b, -1 when "-".
  bool combined = false;        ///< Referer and User-Agent present.
  bool truncated = false;       ///< The User-Agent's closing quote is missing (line cut short).
  std::string_view referrer;    ///< Still escaped.
  std::string_view user_agent;  ///< Still escaped.
};

/// Parses `line`. On failure returns false with what was wrong and the
/// byte offset in `why`.
bool parse_access_line(std::string_view line, access_line& out, std::string& why);

/// Appends `s` to `out` undoing Apache's escapes (\" \\ \xhh).
void unescape_apache(std::string_view s, std::string& out);

}  // namespace coop::importer::apache
