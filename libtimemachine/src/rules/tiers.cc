// Tier lines: `tier CLASS raw AGE` starts a class's chain, then each
// `tier CLASS NAME every BUCKET until AGE [key ...] [sum ...]` adds a coarser
// aggregate. The chain is checked as it grows, so that each tier can be
// computed from the one before it: ages strictly increase, buckets are
// multiples of the previous bucket, keys and sums are subsets of the
// previous aggregate's.
#include <algorithm>

#include "rules/builder.h"

namespace coop::tm::detail {

using model::errc;
using model::result;

namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// What the options of one aggregate tier line said, with positions.
struct tier_words {
  word every, until;
  std::vector<word> keys, sums;
  bool seen_every = false, seen_until = false, seen_key = false, seen_sum = false;
};

result<void> read_options(line_cursor& cur, tier_words& out) {
  while (!cur.at_end()) {
    const word opt = cur.next();
    bool* seen = opt.text == "every"   ? &out.seen_every
                 : opt.text == "until" ? &out.seen_until
                 : opt.text == "key"   ? &out.seen_key
                 : opt.text == "sum"   ? &out.seen_sum
                                       : nullptr;
    if (seen == nullptr) {
      return rules_error(errc::invalid_argument, cur.line(), opt.column,
                         "unexpected " + quoted(opt.text) + " (expected every, until, key or sum)");
    }
    if (*seen) {
      return rules_error(errc::invalid_argument, cur.line(), opt.column,
                         quoted(opt.text) + " is given twice");
    }
    *seen = true;
    if (opt.text == "key" || opt.text == "sum") {
      auto items = cur.list("field");
      if (!items) return items.err();
      (opt.text == "key" ? out.keys : out.sums) = std::move(*items);
      continue;
    }
    const word arg = cur.next();
    if (arg.text.empty()) {
      return rules_error(errc::invalid_argument, cur.line(), arg.column,
                         "expected an interval after " + quoted(opt.text));
    }
    (opt.text == "every" ? out.every : out.until) = arg;
  }
  return {};
}

// Checks key and sum fields against the class's event types and against
// the previous tier, and stores them in `t`.
result<void> check_fields(const tier_words& tw, const std::vector<std::string>& class_types,
                          const std::string& class_name, const tier& prev,
                          const model::registry& reg, std::uint32_t line, tier& t) {
  const bool prev_aggregate = prev.bucket.ns > 0;
  for (int pass = 0; pass < 2; ++pass) {
    const bool is_sum = pass == 1;
    const std::vector<word>& words = is_sum ? tw.sums : tw.keys;
    std::vector<std::string>& out = is_sum ? t.sums : t.keys;
    for (const word& w : words) {
      const std::string name(w.text);
      if (contains(out, name)) {
        return rules_error(errc::invalid_argument, line, w.column,
                           "field " + quoted(name) + " is listed twice");
      }
      if (is_sum && contains(t.keys, name)) {
        return rules_error(errc::invalid_argument, line, w.column,
                           "field " + quoted(name) + " cannot be both a key and a sum");
      }
      if (name == "events" || name == "first_seen" || name == "last_seen") {
        return rules_error(errc::invalid_argument, line, w.column,
                           "field " + quoted(name) +
                               " is reserved: every aggregate row has events, first_seen and "
                               "last_seen");
      }
      bool found = false;
      for (const auto& type_name : class_types) {
        auto s = reg.find(type_name);
        auto i = s ? s->index_of(name) : std::nullopt;
        if (!i) continue;
        found = true;
        const model::type_kind k = (*s)[*i].ty.kind();
        if (!is_sum && (k == model::type_kind::set || k == model::type_kind::table ||
                        k == model::type_kind::vector || k == model::type_kind::record)) {
          return rules_error(errc::invalid_argument, line, w.column,
                             "cannot group by field " + quoted(name) + ": it is " +
                                 (*s)[*i].ty.to_string() + " in " + type_name +
                                 " (keys must be single values, not containers or records)");
        }
        if (is_sum && k != model::type_kind::count && k != model::type_kind::integer &&
            k != model::type_kind::interval) {
          return rules_error(errc::invalid_argument, line, w.column,
                             "cannot sum field " + quoted(name) + ": it is " +
                                 std::string(model::to_string(k)) + " in " + type_name +
                                 " (sums need count, int or interval)");
        }
      }
      if (!found) {
        return rules_error(errc::not_found, line, w.column,
                           "field " + quoted(name) + " is not in any event type of class " +
                               quoted(class_name) +
                               (class_types.empty() ? std::string(" (it has none)")
                                                    : " (" + join(class_types) + ")"));
      }
      if (prev_aggregate && !contains(is_sum ? prev.sums : prev.keys, name)) {
        return rules_error(errc::invalid_argument, line, w.column,
                           std::string(is_sum ? "sum " : "key ") + quoted(name) + " is not a " +
                               (is_sum ? "sum" : "key") + " of the previous tier " +
                               quoted(prev.name) + ", so this tier cannot be computed from it");
      }
      out.push_back(name);
    }
  }
  return {};
}

result<void> parse_raw(const word& class_word, const word& name, line_cursor& cur,
                       rules_builder& b) {
  const word age = cur.next();
  tier t;
  t.name = "raw";
  if (age.text.empty()) {
    return rules_error(errc::invalid_argument, cur.line(), age.column,
                       "expected how long raw data is kept after 'raw' (e.g. 7d, or forever)");
  }
  if (age.text != "forever") {
    auto until = parse_age(age, cur.line());
    if (!until) return until.err();
    t.until = *until;
  }
  if (!cur.at_end()) {
    const word extra = cur.next();
    return rules_error(errc::invalid_argument, cur.line(), extra.column,
                       "unexpected " + quoted(extra.text) + " after the raw tier's age");
  }
  for (const auto& ct : b.tiers) {
    if (ct.class_name == class_word.text) {
      return rules_error(
          errc::invalid_argument, cur.line(), name.column,
          "class " + quoted(class_word.text) + " already has tiers: 'raw' can only be its first");
    }
  }
  b.tiers.push_back(class_tiers{std::string(class_word.text), {std::move(t)}});
  return {};
}

}  // namespace

result<void> parse_tier(line_cursor& cur, rules_builder& b) {
  const word class_word = cur.next();
  const int ci = b.find_class(class_word.text);
  if (ci < 0) {
    std::vector<std::string> names;
    for (const auto& c : b.classes) names.push_back(c.name);
    return rules_error(class_word.text.empty() ? errc::invalid_argument : errc::not_found,
                       cur.line(), class_word.column,
                       (class_word.text.empty() ? std::string("expected a class name after 'tier'")
                                                : "unknown class " + quoted(class_word.text)) +
                           " (classes: " + join(names) + ")");
  }
  const word name = cur.next();
  if (!valid_name(name.text)) {
    return rules_error(errc::invalid_argument, cur.line(), name.column,
                       name.text.empty()
                           ? std::string("expected a tier name ('raw', or e.g. 'hourly')")
                           : "invalid tier name " + quoted(name.text) +
                                 " (expected [a-z0-9_]+, at most 64 characters)");
  }
  if (name.text == "raw") return parse_raw(class_word, name, cur, b);

  auto ct = std::find_if(b.tiers.begin(), b.tiers.end(),
                         [&](const class_tiers& c) { return c.class_name == class_word.text; });
  if (ct == b.tiers.end()) {
    return rules_error(errc::invalid_argument, cur.line(), name.column,
                       "the first tier of class " + quoted(class_word.text) +
                           " must be 'raw AGE' (e.g. 'tier " + std::string(class_word.text) +
                           " raw 7d')");
  }
  for (const tier& t : ct->tiers) {
    if (t.name == name.text) {
      return rules_error(
          errc::invalid_argument, cur.line(), name.column,
          "class " + quoted(class_word.text) + " already has a tier " + quoted(name.text));
    }
  }
  const tier& prev = ct->tiers.back();
  if (prev.until.ns == 0) {
    return rules_error(errc::invalid_argument, cur.line(), name.column,
                       "tier " + quoted(name.text) + " follows tier " + quoted(prev.name) +
                           ", which keeps its data forever");
  }

  tier_words tw;
  if (auto r = read_options(cur, tw); !r) return r;
  const std::size_t end = cur.column();
  if (!tw.seen_every || !tw.seen_until) {
    return rules_error(
        errc::invalid_argument, cur.line(), end,
        "tier " + quoted(name.text) + " needs " +
            (tw.seen_every ? "'until AGE' (or 'until forever')" : "'every INTERVAL' (its bucket)"));
  }
  tier t;
  t.name = std::string(name.text);
  auto bucket = parse_age(tw.every, cur.line());
  if (!bucket) return bucket.err();
  t.bucket = *bucket;
  if (tw.until.text != "forever") {
    auto until = parse_age(tw.until, cur.line());
    if (!until) return until.err();
    t.until = *until;
    if (t.until <= prev.until) {
      return rules_error(errc::invalid_argument, cur.line(), tw.until.column,
                         "'until " + std::string(tw.until.text) +
                             "' must be later than the previous tier's (" + quoted(prev.name) +
                             " until " + format_age(prev.until) + ")");
    }
  }
  if (prev.bucket.ns > 0 && t.bucket.ns % prev.bucket.ns != 0) {
    return rules_error(errc::invalid_argument, cur.line(), tw.every.column,
                       "bucket " + std::string(tw.every.text) +
                           " is not a multiple of the previous tier's bucket (" +
                           quoted(prev.name) + " every " + format_age(prev.bucket) + ")");
  }
  if (auto r = check_fields(tw, b.types_of(static_cast<std::size_t>(ci)),
                            std::string(class_word.text), prev, b.types, cur.line(), t);
      !r) {
    return r;
  }
  ct->tiers.push_back(std::move(t));
  return {};
}

}  // namespace coop::tm::detail
