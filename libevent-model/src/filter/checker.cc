// Type checker of the filter language (see checker.h, docs/filter.md).
#include "filter/checker.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "filter/binder.h"
#include "filter/lexer.h"

namespace coop::model::filter_impl {
namespace {

// Longest field path (and most components) that can name anything: field
// names are at most max_name_length and records nest at most
// max_type_depth deep. Longer paths are unknown without a search.
constexpr std::size_t max_path_length = (max_name_length + 1) * (max_type_depth + 1);
constexpr std::size_t max_path_components = 64;
constexpr std::size_t max_names_listed = 24;

// A set of event types: one flag per registry type, then one for types the
// registry does not know.
using typeset = std::vector<char>;

struct selection {
  typeset may;   // types for which the expression can be true
  typeset must;  // types for which it is true whatever the event
};

struct resolved {
  field_ref ref;
  const type* ty = nullptr;
};

bool resolve_record(const type& rec, std::string_view rest, std::vector<std::uint32_t>& sub, const type*& out,
                    unsigned depth) {
  if (depth > max_type_depth) return false;
  if (int i = rec.index_of(rest); i >= 0) {
    sub.push_back(static_cast<std::uint32_t>(i));
    out = &rec.params()[static_cast<std::size_t>(i)];
    return true;
  }
  // Field names may contain dots themselves: try the longest prefix first.
  for (std::size_t d = rest.rfind('.'); d != std::string_view::npos && d > 0; d = rest.rfind('.', d - 1)) {
    const int i = rec.index_of(rest.substr(0, d));
    if (i < 0) continue;
    const type& t = rec.params()[static_cast<std::size_t>(i)];
    if (t.kind() != type_kind::record) continue;
    sub.push_back(static_cast<std::uint32_t>(i));
    if (resolve_record(t, rest.substr(d + 1), sub, out, depth + 1)) return true;
    sub.pop_back();
  }
  return false;
}

std::optional<resolved> resolve(const schema& s, std::string_view path) {
  if (path.size() > max_path_length ||
      static_cast<std::size_t>(std::count(path.begin(), path.end(), '.')) >= max_path_components) {
    return std::nullopt;
  }
  resolved r;
  if (auto i = s.index_of(path)) {
    r.ref.top = static_cast<std::uint32_t>(*i);
    r.ty = &s[*i].ty;
    return r;
  }
  for (std::size_t d = path.rfind('.'); d != std::string_view::npos && d > 0; d = path.rfind('.', d - 1)) {
    auto i = s.index_of(path.substr(0, d));
    if (!i || s[*i].ty.kind() != type_kind::record) continue;
    r.ref.top = static_cast<std::uint32_t>(*i);
    r.ref.sub.clear();
    if (resolve_record(s[*i].ty, path.substr(d + 1), r.ref.sub, r.ty, 1)) return r;
  }
  return std::nullopt;
}

// The envelope fields every event has, whatever its type.
std::optional<std::pair<source, shape>> envelope(std::string_view path) {
  if (path == "ts") return std::pair{source::ts, shape{type_kind::time, nullptr, false}};
  if (path == "uid") return std::pair{source::uid, shape{type_kind::string, nullptr, false}};
  if (path == "id") return std::pair{source::id, shape{type_kind::none, nullptr, true}};
  if (path == "site" || path == "origin.site") return std::pair{source::site, shape{type_kind::string, nullptr, false}};
  if (path == "sensor" || path == "origin.sensor") {
    return std::pair{source::sensor, shape{type_kind::string, nullptr, false}};
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max_names_listed; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > max_names_listed) out += ", ...";
  return out;
}

std::size_t count_nodes(const expr& e) {
  std::size_t n = 1;
  for (const auto& c : e.children) n += count_nodes(c);
  return n;
}

class checker {
 public:
  checker(const registry& types, const filter_limits& limits) : limits_(limits) {
    out_.all = types.newest();
    std::sort(out_.all.begin(), out_.all.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
    n_ = out_.all.size();
  }

  result<checked> run(const expr& root) {
    auto sel = select(root);
    if (!sel) return sel.err();
    for (std::uint32_t i = 0; i < n_; ++i) {
      if (sel->may[i]) out_.candidates.push_back(i);
    }
    out_.unknown_candidate = sel->may[n_] != 0;
    const std::size_t programs = out_.candidates.size() + 1;
    const std::size_t nodes = count_nodes(root);
    if (nodes > limits_.max_program_nodes / programs) {
      return error_at(errc::overloaded, 1,
                      "filter too large: " + std::to_string(nodes) + " expression nodes for " +
                          std::to_string(programs) + " event types exceed the limit of " +
                          std::to_string(limits_.max_program_nodes) + " program nodes");
    }
    auto bound = bind_all(root);
    if (!bound) return bound.err();
    return std::move(out_);
  }

 private:
  typeset none() const { return typeset(n_ + 1, 0); }
  typeset all() const { return typeset(n_ + 1, 1); }

  result<selection> select(const expr& e) {
    switch (e.k) {
      case expr::kind::constant:
        return e.value ? selection{all(), all()} : selection{none(), none()};
      case expr::kind::predicate: {
        if (e.path != "type") return selection{all(), none()};
        auto s = type_test(e);
        if (!s) return s.err();
        type_sets_[&e] = *s;
        return selection{*s, *s};
      }
      case expr::kind::negate: {
        auto inner = select(e.children.front());
        if (!inner) return inner.err();
        selection s{none(), none()};
        for (std::size_t i = 0; i <= n_; ++i) {
          s.may[i] = !inner->must[i];
          s.must[i] = !inner->may[i];
        }
        return s;
      }
      case expr::kind::all:
      case expr::kind::any: {
        const bool conj = e.k == expr::kind::all;
        selection s = conj ? selection{all(), all()} : selection{none(), none()};
        for (const auto& c : e.children) {
          auto cs = select(c);
          if (!cs) return cs.err();
          for (std::size_t i = 0; i <= n_; ++i) {
            if (conj) {
              s.may[i] = s.may[i] && cs->may[i];
              s.must[i] = s.must[i] && cs->must[i];
            } else {
              s.may[i] = s.may[i] || cs->may[i];
              s.must[i] = s.must[i] || cs->must[i];
            }
          }
        }
        return s;
      }
    }
    return selection{all(), none()};
  }

  // The types for which `type <op> <names>` is true.
  result<typeset> type_test(const expr& e) {
    std::vector<const literal*> names;
    switch (e.o) {
      case op::eq:
      case op::ne:
        names.push_back(&e.rhs);
        break;
      case op::in:
      case op::not_in:
        if (e.rhs.kind != lit_kind::set) {
          return error_at(errc::invalid_argument, e.rhs.column, "'type' takes a set of event types after 'in'");
        }
        for (const auto& l : e.rhs.elems) names.push_back(&l);
        break;
      case op::truth:
        return error_at(errc::invalid_argument, e.column,
                        "'type' must be compared with event types: type == <name> or type in {...}");
      default:
        return error_at(errc::invalid_argument, e.op_column,
                        "'type' supports ==, !=, in {...} and !in {...}, not '" + std::string(spelling(e.o)) + "'");
    }
    typeset s = none();
    for (const literal* l : names) {
      if (l->kind != lit_kind::ident && l->kind != lit_kind::string) {
        return error_at(errc::invalid_argument, l->column, "expected an event type name");
      }
      auto it = std::lower_bound(out_.all.begin(), out_.all.end(), l->s,
                                 [](const auto& a, const std::string& b) { return a->name() < b; });
      if (it == out_.all.end() || (*it)->name() != l->s) {
        std::vector<std::string_view> known;
        for (const auto& t : out_.all) known.push_back(t->name());
        std::string shown = l->s.size() > 64 ? l->s.substr(0, 64) + "..." : l->s;
        return error_at(errc::not_found, l->column,
                        "unknown event type '" + shown + "' (known: " + join_names(known) + ")");
      }
      s[static_cast<std::size_t>(it - out_.all.begin())] = 1;
    }
    if (e.o == op::ne || e.o == op::not_in) {
      for (auto& f : s) f = !f;
    }
    return s;
  }

  result<void> bind_all(const expr& e) {
    if (e.k == expr::kind::predicate) return bind_predicate(e);
    for (const auto& c : e.children) {
      auto r = bind_all(c);
      if (!r) return r;
    }
    return {};
  }

  const operand* keep(operand o) {
    auto p = std::make_shared<const operand>(std::move(o));
    out_.operands.push_back(p);
    return p.get();
  }

  result<void> bind_predicate(const expr& e) {
    std::vector<binding> b(out_.candidates.size() + 1);
    if (auto it = type_sets_.find(&e); it != type_sets_.end()) {
      const typeset& s = it->second;
      for (std::size_t i = 0; i < out_.candidates.size(); ++i) {
        b[i].k = s[out_.candidates[i]] ? binding::kind::always : binding::kind::never;
      }
      b.back().k = s[n_] ? binding::kind::always : binding::kind::never;
    } else if (auto env = envelope(e.path)) {
      auto o = bind(env->second, e, limits_, regexes_);
      if (!o) return o.err();
      if (o->has_value()) {
        const operand* op = keep(std::move(**o));
        for (auto& x : b) {
          x.k = binding::kind::test;
          x.ref.src = env->first;
          x.op = op;
        }
      }
    } else {
      auto r = bind_field(e, b);
      if (!r) return r;
    }
    out_.bindings.emplace(&e, std::move(b));
    return {};
  }

  result<void> bind_field(const expr& e, std::vector<binding>& b) {
    // Check against the candidate types, or every type if none is left.
    std::vector<std::uint32_t> scope = out_.candidates;
    if (scope.empty()) {
      for (std::uint32_t i = 0; i < n_; ++i) scope.push_back(i);
    }
    struct per_type {
      std::optional<resolved> field;
      const operand* op = nullptr;
      bool ok = false;
    };
    std::vector<per_type> found(n_);
    std::vector<std::pair<const type*, std::size_t>> distinct;  // type, index into results
    std::vector<std::optional<const operand*>> results;         // nullopt = failed; nullptr = never
    std::optional<error> first_error;
    bool any_field = false;
    for (std::uint32_t t : scope) {
      auto r = resolve(*out_.all[t], e.path);
      if (!r) continue;
      any_field = true;
      std::size_t slot = results.size();
      for (const auto& [ty, k] : distinct) {
        if (ty == r->ty || *ty == *r->ty) {
          slot = k;
          break;
        }
      }
      if (slot == results.size()) {
        distinct.emplace_back(r->ty, slot);
        const shape s{r->ty->kind(), r->ty, false};
        auto o = bind(s, e, limits_, regexes_);
        if (!o) {
          if (!first_error) first_error = o.err();
          results.emplace_back(std::nullopt);
        } else {
          results.emplace_back(o->has_value() ? keep(std::move(**o)) : nullptr);
        }
      }
      found[t].field = std::move(r);
      found[t].ok = results[slot].has_value();
      found[t].op = found[t].ok ? *results[slot] : nullptr;
    }
    if (!any_field) return unknown_field(e, scope);
    if (std::none_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); })) {
      return *first_error;
    }
    for (std::size_t i = 0; i < out_.candidates.size(); ++i) {
      per_type& f = found[out_.candidates[i]];
      if (!f.ok || f.op == nullptr) continue;  // missing, incompatible or never true: false
      b[i].k = binding::kind::test;
      b[i].ref = f.field->ref;
      b[i].op = f.op;
    }
    return {};
  }

  error unknown_field(const expr& e, const std::vector<std::uint32_t>& scope) const {
    std::string msg = "unknown field '" + (e.path.size() > 64 ? e.path.substr(0, 64) + "..." : e.path) + "'";
    std::set<std::string_view> names{"ts", "uid", "id", "site", "sensor", "type"};
    std::vector<std::string> nested;  // record subfields, one level deep
    for (std::uint32_t t : scope) {
      for (const auto& f : out_.all[t]->fields()) {
        names.insert(f.name);
        if (f.ty.kind() != type_kind::record) continue;
        for (const auto& sub : f.ty.names()) nested.push_back(f.name + "." + sub);
      }
    }
    names.insert(nested.begin(), nested.end());
    if (e.path.size() <= 64 && names.size() <= 4096) {
      std::string_view best;
      std::size_t best_d = 3;
      for (std::string_view n : names) {
        const std::size_t d = edit_distance(e.path, n);
        if (d < best_d && d < std::max<std::size_t>(e.path.size(), 2)) {
          best = n;
          best_d = d;
        }
      }
      if (!best.empty()) msg += ", did you mean '" + std::string(best) + "'?";
    }
    if (scope.size() == 1) {
      std::vector<std::string_view> fields;
      for (const auto& f : out_.all[scope.front()]->fields()) fields.push_back(f.name);
      msg += " (" + out_.all[scope.front()]->name() + " has: " + join_names(fields) + ")";
    } else if (scope.empty()) {
      msg += " (the registry holds no event types)";
    } else {
      std::vector<std::string_view> types;
      for (std::uint32_t t : scope) types.push_back(out_.all[t]->name());
      msg += " (in none of the " + std::to_string(scope.size()) + " event types " + join_names(types) + ")";
    }
    return error_at(errc::not_found, e.column, msg);
  }

  const filter_limits& limits_;
  checked out_;
  std::size_t n_ = 0;
  std::unordered_map<const expr*, typeset> type_sets_;
  regex_cache regexes_;
};

}  // namespace

result<checked> check(const expr& root, const registry& types, const filter_limits& limits) {
  return checker(types, limits).run(root);
}

}  // namespace coop::model::filter_impl
