// The compiled form of a filter: one small program per event type it can
// match, with field names resolved to positions and literals converted to
// the field's representation, plus the tables that find an event's program
// by its schema pointer. Immutable once built; evaluation (evaluator.cc)
// reads it from any number of threads without locking or allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/event.h"
#include "coop/model/schema.h"
#include "filter/ast.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace coop::model::filter_impl {

/// How a literal is held for comparison with a field.
enum class repr : std::uint8_t {
  u64,       ///< count fields
  i64,       ///< int, time and interval fields (nanoseconds for the latter)
  f64,       ///< real fields, or count/int fields against a real literal
  str,       ///< string, bytes and enum (label) fields
  addr,      ///< address fields
  subnet,    ///< subnet fields
  port,      ///< port fields against a port literal (number and transport)
  port_num,  ///< port fields against a bare number (any transport)
  boolean,   ///< bool fields
  id,        ///< the event id
};

enum class rel : std::uint8_t { eq, ne, lt, le, gt, ge };

enum class opcode : std::uint8_t {
  present,      ///< true whenever the field has a value of the expected kind
  compare,      ///< field <rel> lo
  range,        ///< lo <= field <= hi (each end optional), negated for !in
  in_set,       ///< field is one of set (addresses also in set's subnets)
  in_subnet,    ///< address or subnet field inside lo.n
  starts_with,  ///< string ops against lo.s
  ends_with,
  contains,
  regex,        ///< partial match of re, negated for !~
  elem_eq,      ///< a set/vector field has an element equal to elem
};

/// A converted literal. Only the member matching the operand's repr is used.
struct scalar {
  std::uint64_t u = 0;
  std::int64_t i = 0;     ///< For relative time: offset from `now`.
  double f = 0;
  bool b = false;
  bool rel_now = false;   ///< i is relative to the `now` of the evaluation.
  bool present = true;    ///< For range ends: false means unbounded.
  std::string s;
  address a;
  subnet n;
  port p;
  event_id id;
};

/// The members of a set literal, converted and sorted for binary search.
struct set_data {
  std::vector<std::uint64_t> u;
  std::vector<std::int64_t> i;
  std::vector<double> f;
  std::vector<std::string> s;
  std::vector<address> a;
  std::vector<subnet> n;         ///< Membership for addresses, equality for subnets.
  std::vector<port> p;
  std::vector<std::uint16_t> pn; ///< Bare numbers matched against ports of any transport.
  std::vector<event_id> ids;
};

/// One predicate bound to a field representation.
struct operand {
  opcode code = opcode::present;
  repr r = repr::u64;
  rel relation = rel::eq;
  bool negate = false;
  scalar lo, hi;
  std::shared_ptr<const set_data> set;
  std::shared_ptr<const re2::RE2> re;
  std::shared_ptr<const operand> elem;
};

/// Where a test reads its value.
enum class source : std::uint8_t { field, ts, uid, id, site, sensor };

struct field_ref {
  source src = source::field;
  std::uint32_t top = 0;               ///< Position in the schema (src == field).
  std::vector<std::uint32_t> sub;      ///< Positions inside nested records.
};

struct test {
  field_ref ref;
  const operand* op = nullptr;         ///< Owned by program::operands.
};

struct node {
  enum class kind : std::uint8_t { constant, all, any, negate, test };
  kind k = kind::constant;
  bool value = false;                  ///< constant
  std::uint32_t first = 0;             ///< all/any/negate: index into kids; test: index into tests
  std::uint32_t count = 0;             ///< all/any/negate: number of kids
};

/// The filter specialised for one event type.
struct type_program {
  std::shared_ptr<const schema> type;  ///< null for the constant and unknown-type programs
  std::vector<node> nodes;
  std::vector<std::uint32_t> kids;
  std::vector<test> tests;
  std::uint32_t root = 0;
  std::vector<std::uint32_t> used;     ///< Top-level field positions read (sorted, unique).

  [[nodiscard]] bool is_constant(bool v) const {
    return nodes[root].k == node::kind::constant && nodes[root].value == v;
  }
};

/// A compiled filter.
struct program {
  std::string text;
  expr ast;
  bool uses_now = false;
  std::vector<std::shared_ptr<const operand>> operands;
  std::vector<type_program> programs;                           ///< [0] is constant false
  std::vector<std::pair<const schema*, std::uint32_t>> by_ptr;  ///< sorted by pointer
  std::vector<std::pair<std::string, std::uint32_t>> by_name;   ///< sorted by name
  std::uint32_t unknown = 0;                                    ///< program for unknown types
  std::vector<std::string> matchable;                           ///< sorted type names
  /// Schemas whose addresses by_ptr holds but no program references.
  std::vector<std::shared_ptr<const schema>> keep_alive;
};

/// Evaluates `p` on `e` (see filter::matches).
bool evaluate(const program& p, const event& e, timestamp now) noexcept;

}  // namespace coop::model::filter_impl
