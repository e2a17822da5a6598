// Compiling a transform_spec into per-type plans, and applying them.
#include "coop/model/transform.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "transform/rewrite.h"

namespace coop::model {
namespace {

using transform_detail::value_ops;

enum action : std::uint8_t { act_drop = 1, act_truncate = 2 };

// A spec compiled for one schema: one action mask per field.
struct plan {
  std::shared_ptr<const schema> s;
  std::vector<std::uint8_t> actions;
};

// Plans are ordered by type name, then version.
bool precedes(const schema& a, const schema& b) noexcept {
  if (a.name() != b.name()) return a.name() < b.name();
  return a.version() < b.version();
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// True if values of `t` can hold a string or bytes somewhere inside.
bool holds_text(const type& t) {
  switch (t.kind()) {
    case type_kind::string:
    case type_kind::bytes: return true;
    case type_kind::set:
    case type_kind::vector:
    case type_kind::table:
    case type_kind::record: return std::any_of(t.params().begin(), t.params().end(), holds_text);
    default: return false;
  }
}

// The named lists of a spec, for messages.
struct named_list {
  const std::vector<std::string>* names;
  const char* what;
};

std::vector<named_list> lists_of(const transform_spec& spec) {
  return {{&spec.keep, "keep"}, {&spec.drop, "drop"}, {&spec.truncate_fields, "truncate_fields"}};
}

result<void> check_spec(const transform_spec& spec) {
  if (!spec.truncate_fields.empty() && !spec.truncate) {
    return {errc::invalid_argument, "transform: truncate_fields lists '" +
                                        spec.truncate_fields.front() +
                                        "' but no truncate length is given"};
  }
  return {};
}

// Builds the plan for `s`. Names `s` lacks are ignored here (the callers
// decide whether that is an error); dropping a required field is one.
result<plan> build_plan(std::shared_ptr<const schema> s, const transform_spec& spec) {
  plan p;
  p.actions.assign(s->size(), 0);
  for (std::size_t i = 0; i < s->size(); ++i) {
    const field& f = (*s)[i];
    const bool in_keep = spec.keep.empty() || listed(spec.keep, f.name);
    const bool in_drop = listed(spec.drop, f.name);
    if (!in_keep || in_drop) {
      if (!f.optional) {
        return {errc::invalid_argument,
                "transform: cannot drop required field '" + f.name + "' of type '" + s->name() +
                    (in_drop ? "' (it is in the drop list)" : "' (it is not in the keep list)")};
      }
      p.actions[i] |= act_drop;
    }
    if (spec.truncate && (spec.truncate_fields.empty() || listed(spec.truncate_fields, f.name))) {
      p.actions[i] |= act_truncate;
    }
  }
  p.s = std::move(s);
  return p;
}

}  // namespace

struct transform::impl {
  transform_spec spec;
  std::optional<anonymizer> anon;
  std::vector<plan> plans;                                    // sorted by (name, version)
  std::vector<std::pair<const schema*, std::size_t>> by_ptr;  // sorted by pointer

  void index() {
    std::sort(plans.begin(), plans.end(),
              [](const plan& a, const plan& b) { return precedes(*a.s, *b.s); });
    by_ptr.clear();
    for (std::size_t i = 0; i < plans.size(); ++i) by_ptr.emplace_back(plans[i].s.get(), i);
    std::sort(by_ptr.begin(), by_ptr.end());
  }

  [[nodiscard]] const plan* find(const schema& s) const noexcept {
    auto p = std::lower_bound(by_ptr.begin(), by_ptr.end(), &s,
                              [](const auto& e, const schema* k) { return e.first < k; });
    if (p != by_ptr.end() && p->first == &s) return &plans[p->second];
    // Not the very object: an equal schema (e.g. decoded from the wire).
    auto q = std::lower_bound(plans.begin(), plans.end(), s,
                              [](const plan& e, const schema& k) { return precedes(*e.s, k); });
    if (q != plans.end() && q->s->name() == s.name() && q->s->version() == s.version() &&
        *q->s == s) {
      return &*q;
    }
    return nullptr;
  }

  [[nodiscard]] value_ops ops(bool truncate) {
    return value_ops{truncate ? spec.truncate : std::nullopt, anon ? &*anon : nullptr};
  }
};

transform::transform(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
transform::transform(transform&& other) noexcept = default;
transform& transform::operator=(transform&& other) noexcept = default;
transform::~transform() = default;

result<transform> transform::compile(std::shared_ptr<const schema> s, transform_spec spec,
                                     std::optional<anonymizer> anon) {
  if (!s) return {errc::invalid_argument, "transform: no schema given"};
  if (auto r = check_spec(spec); !r) return r.err();
  for (const auto& l : lists_of(spec)) {
    for (const auto& name : *l.names) {
      auto i = s->index_of(name);
      if (!i) {
        return {errc::not_found, "transform: unknown field '" + name + "' in the " + l.what +
                                     " list (type '" + s->name() + "' has no such field)"};
      }
      if (l.names == &spec.truncate_fields && !holds_text((*s)[*i].ty)) {
        return {errc::invalid_argument,
                "transform: field '" + name + "' in the truncate_fields list has type " +
                    (*s)[*i].ty.to_string() + ", which holds no string or bytes"};
      }
    }
  }
  auto p = build_plan(std::move(s), spec);
  if (!p) return p.err();
  auto t = std::make_unique<impl>();
  t->plans.push_back(std::move(p.value()));
  t->spec = std::move(spec);
  t->anon = std::move(anon);
  t->index();
  return transform(std::move(t));
}

result<transform> transform::compile(const registry& reg, transform_spec spec,
                                     std::optional<anonymizer> anon) {
  if (auto r = check_spec(spec); !r) return r.err();
  std::vector<std::shared_ptr<const schema>> types;
  for (const auto& newest : reg.newest()) {
    for (auto& s : reg.versions(newest->name())) types.push_back(std::move(s));
  }
  for (const auto& l : lists_of(spec)) {
    for (const auto& name : *l.names) {
      bool found = false;
      bool text = false;
      for (const auto& s : types) {
        if (auto i = s->index_of(name)) {
          found = true;
          text = text || holds_text((*s)[*i].ty);
        }
      }
      if (!found) {
        return {errc::not_found, "transform: unknown field '" + name + "' in the " + l.what +
                                     " list (no type in the registry has it)"};
      }
      if (l.names == &spec.truncate_fields && !text) {
        return {errc::invalid_argument, "transform: field '" + name +
                                            "' in the truncate_fields list holds no string or "
                                            "bytes in any type of the registry"};
      }
    }
  }
  auto t = std::make_unique<impl>();
  for (auto& s : types) {
    auto p = build_plan(std::move(s), spec);
    if (!p) return p.err();
    t->plans.push_back(std::move(p.value()));
  }
  t->spec = std::move(spec);
  t->anon = std::move(anon);
  t->index();
  return transform(std::move(t));
}

result<void> transform::apply(event& e) {
  if (!impl_) return {errc::invalid_argument, "transform: apply on a moved-from transform"};
  const plan* p = e.has_type() ? impl_->find(e.type()) : nullptr;
  if (p == nullptr && impl_->spec.reject_unknown_types) {
    return {errc::not_found,
            "transform: not compiled for event type '" +
                (e.has_type() ? e.type().name() + "' version " + std::to_string(e.type().version())
                              : std::string("(none)'"))};
  }
  if (p != nullptr && p->actions.size() != e.size()) {
    return {errc::corruption, "transform: event of type '" + e.type().name() + "' has " +
                                  std::to_string(e.size()) + " fields, its schema " +
                                  std::to_string(p->actions.size())};
  }
  // Type-independent parts: anonymisation, and truncation of every field
  // unless the spec lists fields.
  const value_ops independent = impl_->ops(impl_->spec.truncate_fields.empty());
  const value_ops listed_fields = impl_->ops(true);
  std::size_t deepest = e.size();
  for (std::size_t i = 0; i < e.size(); ++i) {
    value& v = e.field(i);
    const std::uint8_t act = p != nullptr ? p->actions[i] : 0;
    if ((act & act_drop) != 0) {
      if (!v.is_none()) v = none;
      continue;
    }
    const value_ops& ops = (act & act_truncate) != 0 ? listed_fields : independent;
    if (!ops.any()) continue;
    bool too_deep = false;
    transform_detail::rewrite(v, ops, 0, too_deep);
    if (too_deep) {
      v = none;  // fail closed: a half-rewritten value must not leave
      if (deepest == e.size()) deepest = i;
    }
  }
  if (deepest != e.size()) {
    const std::string name = e.has_type() && deepest < e.type().size()
                                 ? e.type()[deepest].name
                                 : "#" + std::to_string(deepest);
    return {errc::overloaded, "transform: field '" + name + "' is nested deeper than " +
                                  std::to_string(max_type_depth) + " levels; it was cleared"};
  }
  return {};
}

bool transform::compiled_for(const schema& s) const noexcept {
  return impl_ && impl_->find(s) != nullptr;
}

const anonymizer* transform::anonymizer_in_use() const noexcept {
  return impl_ && impl_->anon ? &*impl_->anon : nullptr;
}

}  // namespace coop::model
