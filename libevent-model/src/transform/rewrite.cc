#include "transform/rewrite.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "coop/model/transform.h"
#include "coop/model/type.h"

namespace coop::model {

std::size_t utf8_prefix_length(std::string_view s, std::size_t max_bytes) noexcept {
  if (s.size() <= max_bytes) return s.size();
  const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  // s[max_bytes] is the first byte cut off. If it continues a character,
  // find where that character starts (a UTF-8 character has at most three
  // continuation bytes).
  std::size_t lead = max_bytes;
  while (lead > 0 && max_bytes - lead < 3 && (byte(lead) & 0xC0) == 0x80) --lead;
  if (lead == max_bytes) return max_bytes;
  const unsigned char c = byte(lead);
  std::size_t len = 1;  // ASCII, or a stray byte that starts nothing
  if ((c & 0xE0) == 0xC0) {
    len = 2;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
  }
  // Cut before the character only if it reaches past the limit; otherwise
  // the continuation bytes at the limit are stray and cut as bytes.
  return lead + len > max_bytes ? lead : max_bytes;
}

namespace transform_detail {
namespace {

bool rewrite_all(std::vector<value>& elements, const value_ops& ops, unsigned depth,
                 bool& too_deep) {
  bool changed = false;
  for (auto& e : elements) changed |= rewrite(e, ops, depth, too_deep);
  return changed;
}

// Replaces an address or subnet with its anonymised form; true if that
// changed it.
template <class T>
bool anonymize_in_place(T& x, anonymizer& anon) {
  const T r = anon.anonymize(x);
  if (r == x) return false;
  x = r;
  return true;
}

}  // namespace

bool rewrite(value& v, const value_ops& ops, unsigned depth, bool& too_deep) {
  switch (v.kind()) {
    case type_kind::string: {
      if (!ops.truncate) return false;
      auto& s = v.get<std::string>();
      const std::size_t n = utf8_prefix_length(s, *ops.truncate);
      if (n == s.size()) return false;
      s.resize(n);  // shrinking never allocates
      return true;
    }
    case type_kind::bytes: {
      if (!ops.truncate) return false;
      auto& b = v.get<bytes>().data;
      if (b.size() <= *ops.truncate) return false;
      b.resize(*ops.truncate);
      return true;
    }
    case type_kind::address:
      return ops.anon != nullptr && anonymize_in_place(v.get<address>(), *ops.anon);
    case type_kind::subnet:
      return ops.anon != nullptr && anonymize_in_place(v.get<subnet>(), *ops.anon);
    case type_kind::set:
    case type_kind::vector:
    case type_kind::table:
    case type_kind::record: break;
    default: return false;
  }
  if (depth >= max_type_depth) {
    too_deep = true;
    return false;
  }
  const unsigned inner = depth + 1;
  switch (v.kind()) {
    case type_kind::set: {
      auto& el = v.get<set_value>().elements;
      if (!rewrite_all(el, ops, inner, too_deep)) return false;
      // Anonymisation does not preserve order; truncation can collide.
      std::sort(el.begin(), el.end());
      el.erase(std::unique(el.begin(), el.end()), el.end());
      return true;
    }
    case type_kind::vector:
      return rewrite_all(v.get<vector_value>().elements, ops, inner, too_deep);
    case type_kind::record: return rewrite_all(v.get<record_value>().fields, ops, inner, too_deep);
    case type_kind::table: {
      auto& t = v.get<table_value>();
      const bool mapped_changed = rewrite_all(t.mapped, ops, inner, too_deep);
      if (!rewrite_all(t.keys, ops, inner, too_deep)) return mapped_changed;
      std::vector<std::pair<value, value>> entries;
      entries.reserve(t.keys.size());
      for (std::size_t i = 0; i < t.keys.size() && i < t.mapped.size(); ++i) {
        entries.emplace_back(std::move(t.keys[i]), std::move(t.mapped[i]));
      }
      v = value::make_table(std::move(entries));
      return true;
    }
    default: return false;
  }
}

}  // namespace transform_detail
}  // namespace coop::model
