// The volume-reduction statements: drop, keep, sample, project and rate,
// each followed by a filter in libevent-model's language that runs to the
// end of the line (or to a `#` comment).
#include <algorithm>
#include <array>
#include <charconv>

#include "rules/builder.h"

namespace coop::tm::detail {

using model::errc;
using model::result;

namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Envelope fields every event has; a projection always keeps them.
constexpr std::array<std::string_view, 6> envelope_fields = {"ts",   "id",     "uid",
                                                             "site", "sensor", "type"};

// Compiles the filter that ends a rule line. Filter errors ("column N: ...",
// counted from the start of the filter) are re-based onto the line.
result<model::filter> compile_filter(const word& keyword, const word& text, std::uint32_t line,
                                     const model::registry& types) {
  if (text.text.empty()) {
    return rules_error(errc::invalid_argument, line, text.column,
                       "missing filter: " + quoted(keyword.text) +
                           " needs an expression saying which events it applies to");
  }
  auto f = model::filter::compile(text.text, types);
  if (!f) {
    const std::string& msg = f.err().message;
    std::size_t column = text.column;
    std::string_view what = msg;
    constexpr std::string_view prefix = "column ";
    if (what.substr(0, prefix.size()) == prefix) {
      const char* first = what.data() + prefix.size();
      const char* last = what.data() + what.size();
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(first, last, n);
      if (ec == std::errc() && n > 0 && last - p >= 2 && p[0] == ':' && p[1] == ' ') {
        column = text.column + n - 1;
        what = std::string_view(p + 2, static_cast<std::size_t>(last - p - 2));
      }
    }
    return rules_error(f.err().code, line, column, what);
  }
  if (f->uses_relative_time()) {
    return rules_error(errc::invalid_argument, line, text.column,
                       "a rule's filter cannot use 'now': rules see events as they are "
                       "ingested, so compare ts with absolute times instead");
  }
  return f;
}

result<void> parse_rate(const word& w, std::uint32_t line, rule& r) {
  const std::size_t slash = w.text.find('/');
  const auto n = parse_count(w.text.substr(0, slash));
  const std::string_view unit =
      slash == std::string_view::npos ? std::string_view() : w.text.substr(slash + 1);
  const std::int64_t seconds = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (!n || seconds == 0) {
    return rules_error(errc::invalid_argument, line, w.column,
                       w.text.empty() ? std::string("expected a rate after 'rate' (e.g. 1000/s)")
                                      : "invalid rate " + quoted(w.text) +
                                            " (expected N/s, N/m or N/h, as in 1000/s)");
  }
  if (*n == 0) {
    return rules_error(
        errc::invalid_argument, line, w.column,
        "rate " + quoted(w.text) + " keeps nothing: use 'drop' to drop every matching event");
  }
  r.per_second = *n;
  r.rate_window = model::interval::seconds(seconds);
  return {};
}

result<void> parse_sample(const word& w, std::uint32_t line, rule& r) {
  const auto n = parse_count(w.text);
  if (!n) {
    return rules_error(errc::invalid_argument, line, w.column,
                       w.text.empty()
                           ? std::string("expected N after 'sample' (keep 1 in N events)")
                           : "invalid sample rate " + quoted(w.text) +
                                 " (expected a whole number N: keep 1 in N events)");
  }
  if (*n == 0) {
    return rules_error(errc::invalid_argument, line, w.column,
                       "sample 0 is invalid: N must be at least 1 (keep 1 in N events; use "
                       "'drop' to drop every matching event)");
  }
  r.every = *n;
  return {};
}

// Every projected field must exist in at least one event type the filter
// can match (envelope fields are always kept and always allowed).
result<void> check_projection(const std::vector<word>& fields, const model::filter& f,
                              std::uint32_t line, const model::registry& types, rule& r) {
  const std::vector<std::string> matchable = f.event_types();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const word& w = fields[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (fields[j].text == w.text) {
        return rules_error(errc::invalid_argument, line, w.column,
                           "field " + quoted(w.text) + " is listed twice");
      }
    }
    if (std::find(envelope_fields.begin(), envelope_fields.end(), w.text) !=
        envelope_fields.end()) {
      continue;
    }
    const bool found = std::any_of(matchable.begin(), matchable.end(), [&](const auto& t) {
      auto s = types.find(t);
      return s && s->index_of(w.text).has_value();
    });
    if (!found) {
      std::string list;
      for (std::size_t k = 0; k < matchable.size() && k < 6; ++k) {
        list += (k == 0 ? "" : ", ") + matchable[k];
      }
      if (matchable.size() > 6) list += ", ...";
      return rules_error(
          errc::not_found, line, w.column,
          "field " + quoted(w.text) +
              (matchable.empty()
                   ? std::string(" cannot be kept: the filter matches no event type")
                   : " is not in any event type the filter can match (" + list + ")"));
    }
    r.fields.emplace_back(w.text);
  }
  return {};
}

}  // namespace

bool is_rule_keyword(std::string_view keyword) noexcept {
  return keyword == "drop" || keyword == "keep" || keyword == "sample" || keyword == "project" ||
         keyword == "rate";
}

result<void> parse_rule(const word& keyword, line_cursor& cur, rules_builder& b) {
  rule r;
  r.line = cur.line();
  std::vector<word> fields;
  if (keyword.text == "drop") {
    r.action = rule_action::drop;
  } else if (keyword.text == "keep") {
    r.action = rule_action::keep;
  } else if (keyword.text == "sample") {
    r.action = rule_action::sample;
    if (auto ok = parse_sample(cur.next(), cur.line(), r); !ok) return ok;
  } else if (keyword.text == "rate") {
    r.action = rule_action::rate;
    if (auto ok = parse_rate(cur.next(), cur.line(), r); !ok) return ok;
  } else {
    r.action = rule_action::project;
    auto list = cur.list("field");
    if (!list) return list.err();
    fields = std::move(*list);
  }
  auto f = compile_filter(keyword, cur.rest(), cur.line(), b.types);
  if (!f) return f.err();
  if (r.action == rule_action::project) {
    if (auto ok = check_projection(fields, *f, cur.line(), b.types, r); !ok) return ok;
  }
  r.match = std::move(*f);
  b.rules.push_back(std::move(r));
  return {};
}

}  // namespace coop::tm::detail
