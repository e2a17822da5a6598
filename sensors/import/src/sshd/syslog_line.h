// Private: the header of a syslog line as files and journal exports write
// it ("Feb 12 14:10:21 host prog[pid]: msg", RFC 3339 or journalctl
// short-iso timestamps), and the year rule for timestamps without a year.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/time.h"

namespace coop::importer::sshd {

/// The parts of one syslog line; views point into the line.
struct syslog_line {
  coop::model::timestamp ts;  ///< UTC (a year-less time is taken as UTC).
  std::string_view host;      ///< Host name field.
  std::string_view program;   ///< Tag up to '[' or ':' ("sshd", "sshd(pam_unix)").
  std::string_view pid;       ///< Between the brackets, empty if none.
  std::string_view message;   ///< After "prog[pid]: ".
};

/// Parses `line`; `now` and `year` resolve year-less timestamps (see
/// options::year). On failure returns false with the reason in `why`.
bool parse_syslog_line(std::string_view line, coop::model::timestamp now, int year,
                       syslog_line& out, std::string& why);

/// The year a "Mmm dd hh:mm:ss" timestamp belongs to: `year` if nonzero,
/// else the year of `now`, or the year before when that would put the
/// timestamp more than one day after `now`. Returns the timestamp.
coop::model::timestamp resolve_year(unsigned month, unsigned day, std::int64_t seconds_of_day,
                                    coop::model::timestamp now, int year);

}  // namespace coop::importer::sshd
