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

std::string quoted(std::string_view s) {
  std::string q = "\"";
  q.append(s.substr(0, 64));
  if (s.size() > 64) q.append("...");
  return q + "\"";
}

// Reads a string into the reader's scratch buffer, or fails with
// "expected <what>".
bool scratch_string(reader& r, std::string& s, std::string_view what) {
  if (r.peek() != '"') return r.fail_expected(what);
  return r.parse_string(s);
}

bool element_failed(reader& r, std::size_t i) {
  r.prefix_path("[" + std::to_string(i) + "]");
  return false;
}

bool decode_set_or_vector(reader& r, const type& t, value& out) {
  const bool is_set = t.kind() == type_kind::set;
  if (r.peek() != '[') return r.fail_expected(is_set ? "an array (set)" : "an array (vector)");
  if (!r.begin_array()) return false;
  std::vector<value> elems;
  std::vector<std::size_t> offsets;
  bool sorted = true;
  bool first = true;
  for (std::size_t i = 0;; ++i) {
    auto s = r.next_element(first);
    if (s == reader::step::fail) return false;
    if (s == reader::step::end) break;
    r.peek();
    std::size_t at = r.pos();
    value v;
    if (!decode_value(r, t.element(), v)) return element_failed(r, i);
    if (is_set) {
      if (v.is_none()) {
        r.fail(at, "null is not allowed as a set element");
        return element_failed(r, i);
      }
      if (!elems.empty() && sorted) {
        auto c = elems.back() <=> v;
        if (c == 0) {
          r.fail(at, "duplicate set element");
          return element_failed(r, i);
        }
        sorted = c < 0;
      }
      offsets.push_back(at);
    }
    elems.push_back(std::move(v));
  }
  if (!is_set) {
    out = vector_value{std::move(elems)};
    return true;
  }
  if (!sorted) {
    // Any order is accepted; duplicates are not (as for object keys).
    std::vector<std::size_t> idx(elems.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      auto c = elems[a] <=> elems[b];
      return c != 0 ? c < 0 : a < b;
    });
    for (std::size_t k = 1; k < idx.size(); ++k) {
      if (elems[idx[k]] == elems[idx[k - 1]]) {
        r.fail(offsets[idx[k]], "duplicate set element");
        return element_failed(r, idx[k]);
      }
    }
    std::vector<value> ordered;
    ordered.reserve(elems.size());
    for (std::size_t k : idx) ordered.push_back(std::move(elems[k]));
    elems = std::move(ordered);
  }
  out = set_value{std::move(elems)};
  return true;
}

bool decode_table(reader& r, const type& t, value& out) {
  if (r.peek() != '[') return r.fail_expected("an array of [key, value] pairs (table)");
  if (!r.begin_array()) return false;
  table_value tv;
  std::vector<std::size_t> offsets;
  bool sorted = true;
  bool first = true;
  for (std::size_t i = 0;; ++i) {
    auto s = r.next_element(first);
    if (s == reader::step::fail) return false;
    if (s == reader::step::end) break;
    if (r.peek() != '[') {
      r.fail_expected("a [key, value] pair");
      return element_failed(r, i);
    }
    if (!r.begin_array()) return element_failed(r, i);
    value k, v;
    bool pair_first = true;
    std::size_t key_at = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      auto ps = r.next_element(pair_first);
      if (ps == reader::step::fail) return element_failed(r, i);
      if (ps == reader::step::end) {
        if (j == 2) break;
        r.fail(r.pos() - 1, "a table entry must be a [key, value] pair");
        return element_failed(r, i);
      }
      if (j == 2) {
        r.peek();
        r.fail(r.pos(), "a table entry must be a [key, value] pair, found a third element");
        return element_failed(r, i);
      }
      r.peek();
      if (j == 0) key_at = r.pos();
      if (!decode_value(r, j == 0 ? t.element() : t.mapped(), j == 0 ? k : v)) {
        r.prefix_path(j == 0 ? "[0]" : "[1]");
        return element_failed(r, i);
      }
      if (j == 0 && k.is_none()) {
        r.fail(key_at, "null is not allowed as a table key");
        r.prefix_path("[0]");
        return element_failed(r, i);
      }
    }
    if (!tv.keys.empty() && sorted) {
      auto c = tv.keys.back() <=> k;
      if (c == 0) {
        r.fail(key_at, "duplicate table key");
        return element_failed(r, i);
      }
      sorted = c < 0;
    }
    offsets.push_back(key_at);
    tv.keys.push_back(std::move(k));
    tv.mapped.push_back(std::move(v));
  }
  if (!sorted) {
    std::vector<std::size_t> idx(tv.keys.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      auto c = tv.keys[a] <=> tv.keys[b];
      return c != 0 ? c < 0 : a < b;
    });
    table_value ordered;
    ordered.keys.reserve(idx.size());
    ordered.mapped.reserve(idx.size());
    for (std::size_t k = 1; k < idx.size(); ++k) {
      if (tv.keys[idx[k]] == tv.keys[idx[k - 1]]) {
        r.fail(offsets[idx[k]], "duplicate table key");
        return element_failed(r, idx[k]);
      }
    }
    for (std::size_t k : idx) {
      ordered.keys.push_back(std::move(tv.keys[k]));
      ordered.mapped.push_back(std::move(tv.mapped[k]));
    }
    tv = std::move(ordered);
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
  std::string key;
  bool first = true;
  for (;;) {
    auto s = r.next_member(first, key);
    if (s == reader::step::fail) return false;
    if (s == reader::step::end) break;
    int i = t.index_of(key);
    if (i < 0) return r.fail(r.key_offset(), "unknown record field " + quoted(key));
    auto idx = static_cast<std::size_t>(i);
    if (seen[idx]) return r.fail(r.key_offset(), "duplicate key " + quoted(key));
    seen[idx] = true;
    if (!decode_value(r, t.params()[idx], rv.fields[idx])) {
      r.prefix_path("." + key);
      return false;
    }
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
    case type_kind::count: {
      if (!starts_number(next)) return r.fail_expected("a non-negative integer (count)");
      std::string_view tok;
      std::uint64_t c = 0;
      if (!r.parse_number(tok)) return false;
      if (!number_to_count(tok, c, why)) return r.fail(at, why);
      out = c;
      return true;
    }
    case type_kind::integer: {
      if (!starts_number(next)) return r.fail_expected("an integer (int)");
      std::string_view tok;
      std::int64_t i = 0;
      if (!r.parse_number(tok)) return false;
      if (!number_to_int(tok, i, why)) return r.fail(at, why);
      out = i;
      return true;
    }
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
      std::string_view tok;
      double d = 0;
      if (!r.parse_number(tok)) return false;
      if (!number_to_real(tok, d, why)) return r.fail(at, why);
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
    case type_kind::address: {
      std::string& s = r.scratch();
      if (!scratch_string(r, s, "an address string like \"10.0.0.1\"")) return false;
      auto a = address::parse(s);
      if (!a) return r.fail(at, "invalid address " + quoted(s));
      out = *a;
      return true;
    }
    case type_kind::subnet: {
      std::string& s = r.scratch();
      if (!scratch_string(r, s, "a subnet string like \"10.0.0.0/8\"")) return false;
      auto sn = subnet::parse(s);
      if (!sn) return r.fail(at, "invalid subnet " + quoted(s));
      out = *sn;
      return true;
    }
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
        std::string_view tok;
        if (!r.parse_number(tok)) return false;
        if (!seconds_to_ns(tok, ns, why)) return r.fail(at, why);
      } else {
        return r.fail_expected("an RFC 3339 time string or a number of epoch seconds (time)");
      }
      out = timestamp{ns};
      return true;
    }
    case type_kind::interval: {
      if (!starts_number(next)) return r.fail_expected("a number of seconds (interval)");
      std::string_view tok;
      std::int64_t ns = 0;
      if (!r.parse_number(tok)) return false;
      if (!seconds_to_ns(tok, ns, why)) return r.fail(at, why);
      out = interval{ns};
      return true;
    }
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
