// rule_set::parse: reads the rules text in two passes. The first reads the
// `class` lines, so that the other statements may name a class declared
// further down and so that the default class's types are known; the second
// reads every other statement in order.
#include <algorithm>
#include <charconv>
#include <utility>

#include "rules/builder.h"

namespace coop::tm {

using model::errc;
using model::result;

namespace detail {

namespace {

constexpr std::size_t max_text_bytes = 16 << 20;

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// The class owning event type `type`, or -1.
int owner_of(const rules_builder& b, std::string_view type) noexcept {
  for (std::size_t i = 0; i < b.classes.size(); ++i) {
    const auto& t = b.classes[i].types;
    if (std::find(t.begin(), t.end(), type) != t.end()) return static_cast<int>(i);
  }
  return -1;
}

result<void> parse_types(line_cursor& cur, rules_builder& b, storage_class& c) {
  auto items = cur.list("event type");
  if (!items) return items.err();
  for (const word& w : *items) {
    if (!b.types.find(w.text)) {
      return rules_error(errc::not_found, cur.line(), w.column,
                         "unknown event type " + quoted(w.text));
    }
    if (std::find(c.types.begin(), c.types.end(), w.text) != c.types.end()) {
      return rules_error(errc::invalid_argument, cur.line(), w.column,
                         "event type " + quoted(w.text) + " is listed twice");
    }
    if (int other = owner_of(b, w.text); other >= 0) {
      return rules_error(errc::invalid_argument, cur.line(), w.column,
                         "event type " + quoted(w.text) + " already belongs to class " +
                             quoted(b.classes[other].name) + " (line " +
                             std::to_string(b.class_lines[other]) + ")");
    }
    c.types.emplace_back(w.text);
  }
  return {};
}

result<void> parse_precedence(line_cursor& cur, const word& w, int& out) {
  const char* first = w.text.data();
  const char* last = first + w.text.size();
  auto [p, ec] = std::from_chars(first, last, out);
  if (w.text.empty() || ec != std::errc() || p != last) {
    return rules_error(errc::invalid_argument, cur.line(), w.column,
                       "invalid precedence " + quoted(w.text) + " (expected an integer)");
  }
  return {};
}

// Makes "default" the last class, declaring it when the text did not, and
// lists its types.
void finish_classes(rules_builder& b) {
  const int d = b.find_class("default");
  if (d < 0) {
    b.classes.push_back(storage_class{"default", {}, 0, 0});
    b.class_lines.push_back(0);
  } else if (static_cast<std::size_t>(d) + 1 != b.classes.size()) {
    std::rotate(b.classes.begin() + d, b.classes.begin() + d + 1, b.classes.end());
    std::rotate(b.class_lines.begin() + d, b.class_lines.begin() + d + 1, b.class_lines.end());
  }
  for (const auto& s : b.types.newest()) {
    if (owner_of(b, s->name()) < 0) b.default_types.push_back(s->name());
  }
}

}  // namespace

int rules_builder::find_class(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const std::vector<std::string>& rules_builder::types_of(std::size_t index) const noexcept {
  return classes[index].name == "default" ? default_types : classes[index].types;
}

result<void> parse_class(line_cursor& cur, rules_builder& b) {
  const word name = cur.next();
  if (!valid_name(name.text)) {
    return rules_error(errc::invalid_argument, cur.line(), name.column,
                       name.text.empty() ? std::string("expected a class name")
                                         : "invalid class name " + quoted(name.text) +
                                               " (expected [a-z0-9_]+, at most 64 characters)");
  }
  if (int prev = b.find_class(name.text); prev >= 0) {
    return rules_error(errc::invalid_argument, cur.line(), name.column,
                       "class " + quoted(name.text) + " is already declared on line " +
                           std::to_string(b.class_lines[prev]));
  }
  storage_class c;
  c.name = std::string(name.text);
  const bool is_default = c.name == "default";
  bool seen_types = false, seen_budget = false, seen_precedence = false;
  while (!cur.at_end()) {
    const word opt = cur.next();
    bool* seen = opt.text == "types"        ? &seen_types
                 : opt.text == "budget"     ? &seen_budget
                 : opt.text == "precedence" ? &seen_precedence
                                            : nullptr;
    if (seen == nullptr) {
      return rules_error(
          errc::invalid_argument, cur.line(), opt.column,
          "unexpected " + quoted(opt.text) + " (expected types, budget or precedence)");
    }
    if (*seen) {
      return rules_error(errc::invalid_argument, cur.line(), opt.column,
                         quoted(opt.text) + " is given twice");
    }
    *seen = true;
    if (opt.text == "types") {
      if (is_default) {
        return rules_error(errc::invalid_argument, cur.line(), opt.column,
                           "class 'default' takes no types: it holds every type no other "
                           "class names");
      }
      if (auto r = parse_types(cur, b, c); !r) return r;
      continue;
    }
    const word arg = cur.next();
    if (arg.text.empty()) {
      return rules_error(errc::invalid_argument, cur.line(), arg.column,
                         "expected a value after " + quoted(opt.text));
    }
    if (opt.text == "budget") {
      auto size = parse_size(arg, cur.line());
      if (!size) return size.err();
      c.budget_bytes = *size;
    } else if (auto r = parse_precedence(cur, arg, c.precedence); !r) {
      return r;
    }
  }
  if (!is_default && c.types.empty()) {
    return rules_error(errc::invalid_argument, cur.line(), name.column,
                       "class " + quoted(c.name) + " lists no event types (add 'types TYPE,...')");
  }
  b.classes.push_back(std::move(c));
  b.class_lines.push_back(cur.line());
  return {};
}

result<void> parse_packet_cutoff(const word& keyword, line_cursor& cur, rules_builder& b) {
  const std::size_t col = cur.column();
  if (b.packet_cutoff_line != 0) {
    return rules_error(
        errc::invalid_argument, cur.line(), keyword.column,
        "packet_cutoff is already set on line " + std::to_string(b.packet_cutoff_line));
  }
  const word arg = cur.next();
  if (arg.text.empty()) {
    return rules_error(errc::invalid_argument, cur.line(), col,
                       "expected a size after packet_cutoff (e.g. 15KiB)");
  }
  auto size = parse_size(arg, cur.line());
  if (!size) return size.err();
  if (!cur.at_end()) {
    const word extra = cur.next();
    return rules_error(errc::invalid_argument, cur.line(), extra.column,
                       "unexpected " + quoted(extra.text) + " after the cut-off size");
  }
  b.packet_cutoff = *size;
  b.packet_cutoff_line = cur.line();
  return {};
}

}  // namespace detail

result<rule_set> rule_set::parse(std::string_view text, const model::registry& types) {
  using detail::line_cursor;
  if (text.size() > detail::max_text_bytes) {
    return detail::rules_error(errc::overloaded, 1, 1,
                               "the rules text is " + std::to_string(text.size()) +
                                   " bytes, more than the limit of 16 MiB");
  }
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    lines.push_back(line.substr(0, detail::content_length(line)));
    start = end + 1;
  }

  detail::rules_builder b(types);
  for (int pass = 1; pass <= 2; ++pass) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      line_cursor cur(lines[i], static_cast<std::uint32_t>(i + 1));
      if (cur.at_end()) continue;
      const detail::word kw = cur.next();
      if ((kw.text == "class") != (pass == 1)) continue;
      result<void> r;
      if (kw.text == "class") {
        r = detail::parse_class(cur, b);
      } else if (kw.text == "tier") {
        r = detail::parse_tier(cur, b);
      } else if (kw.text == "packet_cutoff") {
        r = detail::parse_packet_cutoff(kw, cur, b);
      } else if (detail::is_rule_keyword(kw.text)) {
        r = detail::parse_rule(kw, cur, b);
      } else {
        r = detail::rules_error(errc::invalid_argument, cur.line(), kw.column,
                                "unknown statement " + detail::quoted(kw.text) +
                                    " (expected class, tier, packet_cutoff, drop, keep, "
                                    "sample, project or rate)");
      }
      if (!r) return r.err();
    }
    if (pass == 1) detail::finish_classes(b);
  }

  rule_set out;
  out.text_ = std::string(text);
  out.rules_ = std::move(b.rules);
  out.classes_ = std::move(b.classes);
  out.tiers_ = std::move(b.tiers);
  out.packet_cutoff_ = b.packet_cutoff;
  return out;
}

}  // namespace coop::tm
