// Compiler of the filter language (see compiler.h).
#include "filter/compiler.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "filter/lexer.h"

namespace coop::model::filter_impl {
namespace {

// A subexpression after folding: a constant, or the node that computes it.
struct folded {
  bool constant = false;
  bool value = false;
  std::uint32_t index = 0;
};

class builder {
 public:
  builder(type_program& out, const checked& c, std::size_t slot, std::size_t& budget)
      : out_(out), checked_(c), slot_(slot), budget_(budget) {}

  result<void> build(const expr& root) {
    auto f = emit(root);
    if (!f) return f.err();
    if (f->constant) {
      auto idx = push(node{node::kind::constant, f->value, 0, 0});
      if (!idx) return idx.err();
      out_.root = *idx;
    } else {
      out_.root = f->index;
    }
    for (const auto& t : out_.tests) {
      if (t.ref.src == source::field) out_.used.push_back(t.ref.top);
    }
    std::sort(out_.used.begin(), out_.used.end());
    out_.used.erase(std::unique(out_.used.begin(), out_.used.end()), out_.used.end());
    return {};
  }

 private:
  result<std::uint32_t> push(node n) {
    if (budget_ == 0) {
      return error_at(errc::overloaded, 1, "filter too large: its programs exceed the limit of program nodes");
    }
    --budget_;
    out_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }

  static folded constant(bool v) { return folded{true, v, 0}; }

  result<folded> emit(const expr& e) {
    switch (e.k) {
      case expr::kind::constant:
        return constant(e.value);
      case expr::kind::predicate: {
        const binding& b = checked_.bindings.at(&e)[slot_];
        if (b.k == binding::kind::never) return constant(false);
        if (b.k == binding::kind::always) return constant(true);
        out_.tests.push_back(test{b.ref, b.op});
        auto idx = push(node{node::kind::test, false, static_cast<std::uint32_t>(out_.tests.size() - 1), 0});
        if (!idx) return idx.err();
        return folded{false, false, *idx};
      }
      case expr::kind::negate: {
        auto inner = emit(e.children.front());
        if (!inner) return inner;
        if (inner->constant) return constant(!inner->value);
        const auto first = static_cast<std::uint32_t>(out_.kids.size());
        out_.kids.push_back(inner->index);
        auto idx = push(node{node::kind::negate, false, first, 1});
        if (!idx) return idx.err();
        return folded{false, false, *idx};
      }
      case expr::kind::all:
      case expr::kind::any: {
        const bool conj = e.k == expr::kind::all;
        std::vector<std::uint32_t> parts;
        for (const auto& c : e.children) {
          auto f = emit(c);
          if (!f) return f;
          if (!f->constant) {
            parts.push_back(f->index);
          } else if (f->value != conj) {
            return constant(!conj);  // false in a conjunction, true in a disjunction
          }
        }
        if (parts.empty()) return constant(conj);
        if (parts.size() == 1) return folded{false, false, parts.front()};
        const auto first = static_cast<std::uint32_t>(out_.kids.size());
        out_.kids.insert(out_.kids.end(), parts.begin(), parts.end());
        auto idx = push(node{conj ? node::kind::all : node::kind::any, false, first,
                             static_cast<std::uint32_t>(parts.size())});
        if (!idx) return idx.err();
        return folded{false, false, *idx};
      }
    }
    return constant(false);
  }

  type_program& out_;
  const checked& checked_;
  std::size_t slot_;
  std::size_t& budget_;
};

}  // namespace

result<void> compile(program& p, checked&& c, const filter_limits& limits) {
  std::size_t budget = limits.max_program_nodes;
  p.programs.clear();
  type_program never;
  never.nodes.push_back(node{node::kind::constant, false, 0, 0});
  p.programs.push_back(std::move(never));

  auto build = [&](std::size_t slot, std::shared_ptr<const schema> type) -> result<std::uint32_t> {
    type_program tp;
    tp.type = std::move(type);
    auto r = builder(tp, c, slot, budget).build(p.ast);
    if (!r) return r.err();
    if (tp.is_constant(false)) return 0u;
    p.programs.push_back(std::move(tp));
    return static_cast<std::uint32_t>(p.programs.size() - 1);
  };

  std::vector<std::uint32_t> index(c.all.size(), 0);
  for (std::size_t i = 0; i < c.candidates.size(); ++i) {
    const std::uint32_t t = c.candidates[i];
    auto idx = build(i, c.all[t]);
    if (!idx) return idx.err();
    index[t] = *idx;
  }
  p.unknown = 0;
  if (c.unknown_candidate) {
    auto idx = build(c.candidates.size(), nullptr);
    if (!idx) return idx.err();
    p.unknown = *idx;
  }

  p.by_ptr.clear();
  p.by_name.clear();
  p.matchable.clear();
  for (std::size_t t = 0; t < c.all.size(); ++t) {
    p.by_ptr.emplace_back(c.all[t].get(), index[t]);
    p.by_name.emplace_back(c.all[t]->name(), index[t]);
    if (index[t] != 0) p.matchable.push_back(c.all[t]->name());
  }
  std::sort(p.by_ptr.begin(), p.by_ptr.end(), [](const auto& a, const auto& b) {
    return std::less<const schema*>()(a.first, b.first);
  });
  std::sort(p.by_name.begin(), p.by_name.end());
  std::sort(p.matchable.begin(), p.matchable.end());
  // Keep the schemas of non-matching types alive too: by_ptr holds their
  // addresses, which must not be reused by other schemas.
  for (std::size_t t = 0; t < c.all.size(); ++t) {
    if (index[t] == 0) p.keep_alive.push_back(c.all[t]);
  }
  p.operands = std::move(c.operands);
  return {};
}

}  // namespace coop::model::filter_impl
