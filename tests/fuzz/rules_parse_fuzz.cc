// Fuzz target of the time machine's rules text (coop::tm::rule_set::parse):
// parses arbitrary bytes against the standard catalogue. An error must start
// `rules:LINE:COL: ` with a position inside the text; a success must hold a
// consistent set (the default class last, compiled filters, every tier
// chain starting raw with strictly increasing ages) and parse again from
// its own text to the same set.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/catalogue.h"
#include "coop/tm/rules.h"

namespace model = coop::model;

namespace {

const model::registry& catalogue() {
  static const model::registry reg = [] {
    model::registry r;
    if (!model::add_catalogue(r)) std::abort();
    return r;
  }();
  return reg;
}

// Reads a decimal number at `pos` followed by `stop`; false if absent.
bool read_number(std::string_view s, std::size_t& pos, char stop, std::size_t& out) {
  const std::size_t start = pos;
  out = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    out = out * 10 + static_cast<std::size_t>(s[pos] - '0');
    if (out > (std::size_t{1} << 40)) return false;
    ++pos;
  }
  if (pos == start || pos >= s.size() || s[pos] != stop) return false;
  ++pos;
  return true;
}

// The error's LINE:COL must name a place in `text`: a line that exists, and
// a column at most one past its end.
void check_error_position(std::string_view text, const std::string& msg) {
  constexpr std::string_view prefix = "rules:";
  if (msg.rfind(prefix, 0) != 0) std::abort();
  std::size_t pos = prefix.size(), line = 0, column = 0;
  if (!read_number(msg, pos, ':', line) || !read_number(msg, pos, ':', column)) std::abort();
  if (pos >= msg.size() || msg[pos] != ' ' || line == 0 || column == 0) std::abort();
  std::size_t start = 0;
  for (std::size_t l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) std::abort();  // no such line
    ++start;
  }
  std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  if (column > end - start + 1) std::abort();
}

void check_set(const coop::tm::rule_set& r) {
  if (r.classes().empty() || r.classes().back().name != "default") std::abort();
  for (const auto& rule : r.rules()) {
    if (!rule.match.valid() || rule.line == 0) std::abort();
    if (rule.action == coop::tm::rule_action::sample && rule.every == 0) std::abort();
    if (rule.action == coop::tm::rule_action::rate &&
        (rule.per_second == 0 || rule.rate_window.ns <= 0))
      std::abort();
  }
  for (const auto& c : r.classes()) {
    const coop::tm::class_tiers t = r.tiers_of(c.name);
    if (t.tiers.empty() || t.tiers.front().name != "raw") std::abort();
    for (std::size_t i = 1; i < t.tiers.size(); ++i) {
      const coop::tm::tier& prev = t.tiers[i - 1];
      const coop::tm::tier& cur = t.tiers[i];
      if (prev.until.ns == 0 || cur.bucket.ns <= 0) std::abort();
      if (cur.until.ns != 0 && cur.until <= prev.until) std::abort();
      if (prev.bucket.ns > 0 && cur.bucket.ns % prev.bucket.ns != 0) std::abort();
    }
    for (const auto& type : c.types) {
      if (r.class_of(type).name != c.name) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Longer inputs only repeat what short ones exercise (and compile filters
  // slowly); the parser's own limit is tested by the unit tests.
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = coop::tm::rule_set::parse(text, catalogue());
  if (!r) {
    check_error_position(text, r.err().message);
    return 0;
  }
  if (r->text() != text) std::abort();
  check_set(*r);
  auto again = coop::tm::rule_set::parse(r->text(), catalogue());
  if (!again || again->rules().size() != r->rules().size() ||
      again->classes().size() != r->classes().size() ||
      again->tiers().size() != r->tiers().size() || again->packet_cutoff() != r->packet_cutoff()) {
    std::abort();
  }
  return 0;
}
