// The abstract syntax tree of a filter expression, as the parser builds it
// and before it is checked against any schema. Private to the library; kept
// in the compiled program so later consumers (the time machine's index
// planner) can inspect the expression's structure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "coop/model/address.h"

namespace coop::model::filter_impl {

/// What a literal is, as written.
enum class lit_kind : std::uint8_t {
  count,     ///< 42 (u)
  integer,   ///< -42 (i)
  real,      ///< 3.5, -0.25 (f)
  string,    ///< "text" (s, escapes resolved)
  boolean,   ///< T, F, true, false (b)
  address,   ///< 10.0.0.1, 2001:db8::1 (a)
  subnet,    ///< 10.0.0.0/8 (n)
  port,      ///< 22/tcp (p)
  interval,  ///< 5m, -1.5h (i, nanoseconds)
  time,      ///< 2009-11-18T08:00:21Z (i, nanoseconds since the epoch)
  now,       ///< now, now - 1h (i, offset in nanoseconds)
  ident,     ///< connection_end, tcp: a type name or enum label (s)
  regex,     ///< /pattern/ or /pattern/i (s, flag_i)
  set,       ///< { a, b, ... } (elems)
  range,     ///< [ lo .. hi ] (elems[0], elems[1])
};

/// A literal and where it starts in the text.
struct literal {
  lit_kind kind = lit_kind::count;
  std::size_t column = 0;  ///< 1-based byte column.
  std::uint64_t u = 0;
  std::int64_t i = 0;
  double f = 0;
  bool b = false;
  bool flag_i = false;  ///< Case-insensitive regex.
  std::string s;
  model::address a;
  model::subnet n;
  model::port p;
  std::vector<literal> elems;
};

/// Predicate operators.
enum class op : std::uint8_t {
  eq, ne, lt, le, gt, ge,           // comparisons
  in, not_in,                       // subnet, set and range membership
  starts_with, ends_with, contains, // strings (contains also on sets/vectors)
  match, not_match,                 // regular expressions
  truth,                            // a bare bool field
};

/// The operator as written in the language ("==", "starts_with", ...).
const char* spelling(op o) noexcept;

/// One node of the expression tree.
struct expr {
  enum class kind : std::uint8_t { all, any, negate, constant, predicate };
  kind k = kind::constant;
  std::size_t column = 0;       ///< Where the node starts (1-based).
  std::vector<expr> children;   ///< all (&&), any (||): two or more; negate: one.
  bool value = false;           ///< constant: T or F.
  // predicate: `path o rhs` (rhs unused for truth)
  std::string path;             ///< Field path as written: "resp_p", "origin.site", "type".
  op o = op::eq;
  std::size_t op_column = 0;
  literal rhs;
};

}  // namespace coop::model::filter_impl
