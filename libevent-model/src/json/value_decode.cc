// Decoding values from JSON, directed by their type: each JSON token is
// checked against what the type allows, converted exactly, and containers
// are rebuilt with the invariants of value (sets and tables sorted, unique).
#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "json/codec.h"
#include "json/scalars.h"

namespace coop::model::json {
namespace {

bool starts_number(char c) { return c == '-' || (c >= '0' && c <= '9'); }

// Reads a string into the reader's scratch buffer, or fails with
// "expected <what>".
bool scratch_string(reader& r, std::string& s, std::string_view what) {
  if (r.peek() != '"') return r.fail_expected(what);
  return r.parse_string(s);
}

// A conversion of number text from scalars.h (number_to_count, ...).
template <class T>
using converter = bool (*)(std::string_view, T&, std::string&);

// Reads a number token and converts it with `convert`, failing at `at`, the
// token's offset, with the conversion's message.
template <class T>
bool read_number(reader& r, std::size_t at, converter<T> convert, T& out) {
  std::string_view tok;
  std::string why;
  if (!r.parse_number(tok)) return false;
  if (!convert(tok, out, why)) return r.fail(at, why);
  return true;
}

// A value that JSON writes as a number only: "expected <what>" otherwise;
// the converted number is stored as a V.
template <class V, class T>
bool decode_number(reader& r, std::string_view what, converter<T> convert, value& out) {
  if (!starts_number(r.peek())) return r.fail_expected(what);
  T n{};
  if (!read_number(r, r.pos(), convert, n)) return false;
  out = V{n};
  return true;
}

// A value that JSON writes as a string in the form T::parse reads:
// "expected <what>" for anything else, "<invalid>"<text>"" when T::parse
// refuses the text.
template <class T>
bool decode_parsed(reader& r, std::string_view what, std::string_view invalid, value& out) {
  std::string& s = r.scratch();
  r.peek();
  const std::size_t at = r.pos();
  if (!scratch_string(r, s, what)) return false;
  auto parsed = T::parse(s);
  if (!parsed) return r.fail(at, std::string(invalid) + quoted(s));
  out = *parsed;
  return true;
}

bool element_failed(reader& r, std::size_t i) {
  r.prefix_path("[" + std::to_string(i) + "]");
  return false;
}

// Called as each element (or table key) `v` arrives at offset `at`:
// `sorted` stays true while they ascend strictly. A duplicate of the one
// before fails at once; other duplicates are left to ascending_order.
bool note_order(reader& r, const std::vector<value>& before, const value& v, std::size_t at,
                std::string_view duplicate, bool& sorted) {
  if (before.empty() || !sorted) return true;
  const auto c = before.back() <=> v;
  if (c == 0) return r.fail(at, std::string(duplicate));
  sorted = c < 0;
  return true;
}

// The indices of `elems` in ascending order, equal ones in input order
// (any order is accepted; duplicates are not, as for object keys). A
// duplicate fails at the offset of its later copy, with that index in the
// path.
bool ascending_order(reader& r, const std::vector<value>& elems,
                     const std::vector<std::size_t>& offsets, std::string_view duplicate,
                     std::vector<std::size_t>& idx) {
  idx.resize(elems.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    auto c = elems[a] <=> elems[b];
    return c != 0 ? c < 0 : a < b;
  });
  for (std::size_t k = 1; k < idx.size(); ++k) {
    if (elems[idx[k]] == elems[idx[k - 1]]) {
      r.fail(offsets[idx[k]], std::string(duplicate));
      return element_failed(r, idx[k]);
    }
  }
  return true;
}

// Moves the elements of `v` into the order `idx`.
void reorder(std::vector<value>& v, const std::vector<std::size_t>& idx) {
  std::vector<value> ordered;
  ordered.reserve(idx.size());
  for (std::size_t k : idx) ordered.push_back(std::move(v[k]));
  v = std::move(ordered);
}

bool decode_set_or_vector(reader& r, const type& t, value& out) {
  const bool is_set = t.kind() == type_kind::set;
  if (r.peek() != '[') return r.fail_expected(is_set ? "an array (set)" : "an array (vector)");
  if (!r.begin_array()) return false;
  std::vector<value> elems;
  std::vector<std::size_t> offsets;
  bool sorted = true;
  if (!r.each_element([&](std::size_t i) {
        r.peek();
        const std::size_t at = r.pos();
        value v;
        if (!decode_value(r, t.element(), v)) return element_failed(r, i);
        if (is_set) {
          if (v.is_none()) {
            r.fail(at, "null is not allowed as a set element");
            return element_failed(r, i);
          }
          if (!note_order(r, elems, v, at, "duplicate set element", sorted)) {
            return element_failed(r, i);
          }
          offsets.push_back(at);
        }
        elems.push_back(std::move(v));
        return true;
      })) {
    return false;
  }
  if (!is_set) {
    out = vector_value{std::move(elems)};
    return true;
  }
  if (!sorted) {
    std::vector<std::size_t> idx;
    if (!ascending_order(r, elems, offsets, "duplicate set element", idx)) return false;
    reorder(elems, idx);
  }
  out = set_value{std::move(elems)};
  return true;
}

// One [key, value] entry of a table, its key's offset in `key_at`.
bool decode_entry(reader& r, const type& t, value& k, value& v, std::size_t& key_at) {
  if (r.peek() != '[') return r.fail_expected("a [key, value] pair");
  if (!r.begin_array()) return false;
  bool pair_first = true;
  for (std::size_t j = 0; j < 3; ++j) {
    auto ps = r.next_element(pair_first);
    if (ps == reader::step::fail) return false;
    if (ps == reader::step::end) {
      if (j == 2) break;
      return r.fail(r.pos() - 1, "a table entry must be a [key, value] pair");
    }
    if (j == 2) {
      r.peek();
      return r.fail(r.pos(), "a table entry must be a [key, value] pair, found a third element");
    }
    r.peek();
    if (j == 0) key_at = r.pos();
    if (!decode_value(r, j == 0 ? t.element() : t.mapped(), j == 0 ? k : v)) {
      r.prefix_path(j == 0 ? "[0]" : "[1]");
      return false;
    }
    if (j == 0 && k.is_none()) {
      r.fail(key_at, "null is not allowed as a table key");
      r.prefix_path("[0]");
      return false;
    }
  }
  return true;
}

bool decode_table(reader& r, const type& t, value& out) {
  if (r.peek() != '[') return r.fail_expected("an array of [key, value] pairs (table)");
  if (!r.begin_array()) return false;
  table_value tv;
  std::vector<std::size_t> offsets;
  bool sorted = true;
  if (!r.each_element([&](std::size_t i) {
        value k, v;
        std::size_t key_at = 0;
        if (!decode_entry(r, t, k, v, key_at)) return element_failed(r, i);
        if (!note_order(r, tv.keys, k, key_at, "duplicate table key", sorted)) {
          return element_failed(r, i);
        }
        offsets.push_back(key_at);
        tv.keys.push_back(std::move(k));
        tv.mapped.push_back(std::move(v));
        return true;
      })) {
    return false;
  }
  if (!sorted) {
    std::vector<std::size_t> idx;
    if (!ascending_order(r, tv.keys, offsets, "duplicate table key", idx)) return false;
    reorder(tv.keys, idx);
    reorder(tv.mapped, idx);
  }
  out = std::move(tv);
  return true;
}

bool decode_record(reader& r, const type& t, value& out) {
  if (r.peek() != '{') return r.fail_expected("an object (record)");
  if (!r.begin_object()) return false;
  record_value rv;
  rv.fields.resize(t.params().size());
  std::vector<bool> seen(t.params().size());
  if (!r.each_member([&](const std::string& key) {
        int i = t.index_of(key);
        if (i < 0) return r.fail(r.key_offset(), "unknown record field " + quoted(key));
        auto idx = static_cast<std::size_t>(i);
        if (seen[idx]) return r.fail(r.key_offset(), "duplicate key " + quoted(key));
        seen[idx] = true;
        if (!decode_value(r, t.params()[idx], rv.fields[idx])) {
          r.prefix_path("." + key);
          return false;
        }
        return true;
      })) {
    return false;
  }
  out = std::move(rv);
  return true;
}

}  // namespace

bool decode_value(reader& r, const type& t, value& out) {
  if (r.try_null()) {
    out = none;
    return true;
  }
  const char next = r.peek();
  const std::size_t at = r.pos();
  std::string why;
  switch (t.kind()) {
    case type_kind::none: return r.fail_expected("null (type none)");
    case type_kind::boolean: {
      if (next != 't' && next != 'f') return r.fail_expected("true or false (bool)");
      bool b = false;
      if (!r.parse_bool(b)) return false;
      out = b;
      return true;
    }
    case type_kind::count:
      return decode_number<std::uint64_t>(r, "a non-negative integer (count)", number_to_count,
                                          out);
    case type_kind::integer:
      return decode_number<std::int64_t>(r, "an integer (int)", number_to_int, out);
    case type_kind::real: {
      if (next == '"') {
        std::string& s = r.scratch();
        if (!r.parse_string(s)) return false;
        if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
        else if (s == "Infinity") out = std::numeric_limits<double>::infinity();
        else if (s == "-Infinity") out = -std::numeric_limits<double>::infinity();
        else {
          return r.fail(at, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\" (double), found " +
                                quoted(s));
        }
        return true;
      }
      if (!starts_number(next)) {
        return r.fail_expected("a number, \"NaN\", \"Infinity\" or \"-Infinity\" (double)");
      }
      double d = 0;
      if (!read_number(r, at, number_to_real, d)) return false;
      out = d;
      return true;
    }
    case type_kind::string: {
      if (next != '"') return r.fail_expected("a string");
      out = std::string();
      return r.parse_string(out.get<std::string>());
    }
    case type_kind::bytes: {
      std::string& s = r.scratch();
      if (!scratch_string(r, s, "a base64 string (bytes)")) return false;
      bytes b;
      if (!base64_decode(s, b.data, why)) return r.fail(at, why);
      out = std::move(b);
      return true;
    }
    case type_kind::address:
      return decode_parsed<address>(r, "an address string like \"10.0.0.1\"", "invalid address ",
                                    out);
    case type_kind::subnet:
      return decode_parsed<subnet>(r, "a subnet string like \"10.0.0.0/8\"", "invalid subnet ",
                                   out);
    case type_kind::port: {
      std::string& s = r.scratch();
      if (!scratch_string(r, s, "a port string like \"80/tcp\"")) return false;
      port p;
      if (!text_to_port(s, p, why)) return r.fail(at, why);
      out = p;
      return true;
    }
    case type_kind::time: {
      std::int64_t ns = 0;
      if (next == '"') {
        std::string& s = r.scratch();
        if (!r.parse_string(s)) return false;
        if (!rfc3339_to_ns(s, ns, why)) return r.fail(at, why);
      } else if (starts_number(next)) {
        if (!read_number(r, at, seconds_to_ns, ns)) return false;
      } else {
        return r.fail_expected("an RFC 3339 time string or a number of epoch seconds (time)");
      }
      out = timestamp{ns};
      return true;
    }
    case type_kind::interval:
      return decode_number<interval>(r, "a number of seconds (interval)", seconds_to_ns, out);
    case type_kind::enumeration: {
      std::string& s = r.scratch();
      if (!scratch_string(r, s, "an enum label string")) return false;
      if (t.index_of(s) < 0) return r.fail(at, "enum label " + quoted(s) + " is not one of " + t.to_string());
      out = enum_value{s};
      return true;
    }
    case type_kind::set:
    case type_kind::vector: return decode_set_or_vector(r, t, out);
    case type_kind::table: return decode_table(r, t, out);
    case type_kind::record: return decode_record(r, t, out);
  }
  return r.fail(at, "unsupported type " + t.to_string());
}

}  // namespace coop::model::json
