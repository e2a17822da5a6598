#include "sshd/syslog_line.h"

#include "scan/scalars.h"

namespace coop::importer::sshd {

namespace model = coop::model;

namespace {
constexpr std::int64_t ns_per_s = 1'000'000'000;

bool fail(std::string& why, const char* what) {
  why = what;
  return false;
}

// "14:10:21" at p -> seconds of the day, -1 if malformed.
std::int64_t clock_time(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return -1;
  const int h = scan::two_digits(s.data());
  const int m = scan::two_digits(s.data() + 3);
  const int sec = scan::two_digits(s.data() + 6);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;
  return h * 3600 + m * 60 + sec;
}
}  // namespace

model::timestamp resolve_year(unsigned month, unsigned day, std::int64_t seconds_of_day,
                              model::timestamp now, int year) {
  auto at = [&](std::int64_t y) {
    return model::timestamp{(scan::days_from_civil(y, month, day) * 86400 + seconds_of_day) *
                            ns_per_s};
  };
  if (year != 0) return at(year);
  const std::int64_t this_year = scan::year_of_days(now.ns / ns_per_s / 86400);
  const model::timestamp guess = at(this_year);
  if (guess.ns - now.ns > 86400 * ns_per_s) return at(this_year - 1);
  return guess;
}

bool parse_syslog_line(std::string_view line, model::timestamp now, int year, syslog_line& out,
                       std::string& why) {
  std::size_t i = 0;
  if (line.size() >= 15 && scan::month_of(line.substr(0, 3)) != 0 && line[3] == ' ') {
    // "Feb 12 14:10:21", "Jun  8 10:44:36", "Nov 2 15:40:14".
    const unsigned month = scan::month_of(line.substr(0, 3));
    i = 4;
    if (line[i] == ' ') ++i;
    unsigned day = 0;
    std::size_t digits = 0;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9' && digits < 2) {
      day = day * 10 + static_cast<unsigned>(line[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || day < 1 || day > 31 || i >= line.size() || line[i] != ' ') {
      return fail(why, "the day of the syslog timestamp is malformed");
    }
    ++i;
    const std::int64_t secs = clock_time(line.substr(i));
    if (secs < 0) return fail(why, "the time of the syslog timestamp is malformed");
    i += 8;
    // Fractions ("14:10:21.123") are rare but harmless.
    if (i < line.size() && line[i] == '.') {
      while (i < line.size() && line[i] != ' ') ++i;
    }
    if (year != 0 && (year < 1678 || year > 2261)) {
      return fail(why, "the year for syslog timestamps is outside 1678-2261");
    }
    out.ts = resolve_year(month, day, secs, now, year);
  } else if (line.size() > 19 && line[4] == '-' && line[7] == '-' && line[10] == 'T') {
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return fail(why, "nothing after the timestamp");
    std::string text(line.substr(0, sp));
    // journalctl -o short-iso writes "+0100"; RFC 3339 wants "+01:00".
    if (text.size() > 5 && (text[text.size() - 5] == '+' || text[text.size() - 5] == '-') &&
        text.find(':', text.size() - 5) == std::string::npos) {
      text.insert(text.size() - 2, ":");
    }
    auto ts = model::timestamp::parse(text);
    if (!ts) return fail(why, "the RFC 3339 timestamp is malformed");
    out.ts = *ts;
    i = sp;
  } else {
    return fail(why, "not a syslog line (expected 'Mmm dd hh:mm:ss host program: message')");
  }
  if (i >= line.size() || line[i] != ' ') return fail(why, "nothing after the timestamp");
  ++i;
  const auto host_end = line.find(' ', i);
  if (host_end == std::string_view::npos) return fail(why, "no program after the host name");
  out.host = line.substr(i, host_end - i);
  i = host_end + 1;
  const auto colon = line.find(": ", i);
  std::string_view tag = line.substr(i, colon == std::string_view::npos ? line.size() - i : colon - i);
  if (tag.empty() || tag.find(' ') != std::string_view::npos) {
    // A message without a tag (kernel continuation lines and the like).
    out.program = {};
    out.pid = {};
    out.message = line.substr(i);
    return true;
  }
  if (tag.back() == ':') tag.remove_suffix(1);
  out.pid = {};
  if (tag.back() == ']') {
    const auto open = tag.rfind('[');
    if (open != std::string_view::npos) {
      out.pid = tag.substr(open + 1, tag.size() - open - 2);
      tag = tag.substr(0, open);
    }
  }
  out.program = tag;
  out.message = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 2);
  return true;
}

}  // namespace coop::importer::sshd
