// The type system of events: `type_kind` and `type`, a regular value that
// describes a field (`count`, `set[addr]`, `table[string] of count`,
// `vector of string`, `enum {a, b}`, `record {x: count; y: string}`), with
// parsing and printing in Zeek's notation. Thread-safe as any value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coop/model/export.h"
#include "coop/model/result.h"

namespace coop::model {

/// The kinds of values. The numbers are part of the binary format and the C API.
enum class type_kind : std::uint8_t {
  none = 0,
  boolean = 1,
  count = 2,
  integer = 3,
  real = 4,
  string = 5,
  bytes = 6,
  address = 7,
  subnet = 8,
  port = 9,
  time = 10,
  interval = 11,
  enumeration = 12,
  set = 13,
  table = 14,
  vector = 15,
  record = 16,
};

/// Zeek's name of a kind: "bool", "count", "int", "double", "string",
/// "bytes", "addr", "subnet", "port", "time", "interval", "enum", "set",
/// "table", "vector", "record", "none".
COOP_MODEL_EXPORT std::string_view to_string(type_kind k) noexcept;

/// Limits that keep type parsing and nesting bounded on untrusted input.
inline constexpr unsigned max_type_depth = 16;

/// A field's type. Scalar types carry only their kind; containers carry
/// element types; enums carry their labels; records their named fields.
class COOP_MODEL_EXPORT type {
 public:
  /// The `none` type.
  type() = default;
  /// A scalar type; `k` must not be a container, enum or record kind.
  explicit type(type_kind k) : kind_(k) {}

  /// `set[element]`.
  static type set_of(type element);
  /// `vector[element]`.
  static type vector_of(type element);
  /// `table[key] of mapped`.
  static type table_of(type key, type mapped);
  /// An enum with the given labels (order is significant: it is the order
  /// of the enum's values).
  static type enum_of(std::vector<std::string> labels);
  /// A record with named, ordered fields.
  static type record_of(std::vector<std::pair<std::string, type>> fields);

  /// Parses Zeek notation: `count`, `set[addr]`, `vector of string`,
  /// `vector[string]`, `table[addr] of count`, `enum { a, b }`,
  /// `record { a: count; b: string; }`. Errors: invalid_argument with the
  /// column (1-based) of the problem.
  static result<type> parse(std::string_view text);

  /// The kind of this type.
  [[nodiscard]] type_kind kind() const noexcept { return kind_; }
  /// Element type of a set or vector, key type of a table; the none type
  /// if this type has none (a malformed type built in code).
  [[nodiscard]] const type& element() const noexcept;
  /// Value type of a table; the none type if this type has none.
  [[nodiscard]] const type& mapped() const noexcept;
  /// Enum labels, or record field names.
  [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }
  /// Record field types, parallel to names().
  [[nodiscard]] const std::vector<type>& params() const noexcept { return params_; }
  /// Index of an enum label or record field, or -1.
  [[nodiscard]] int index_of(std::string_view name) const noexcept;

  /// Zeek notation, parseable by parse().
  [[nodiscard]] std::string to_string() const;

  /// Structural equality (enum labels and record names included).
  friend bool operator==(const type&, const type&) = default;

 private:
  type_kind kind_ = type_kind::none;
  std::vector<type> params_;
  std::vector<std::string> names_;
};

}  // namespace coop::model
