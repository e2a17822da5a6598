// `value`: one typed datum of an event field (none, bool, count, int, real,
// string, bytes, address, subnet, port, time, interval, enum, set, table,
// vector, record). Values have a total order across all kinds, a hash, and
// parse/print in Zeek's notation. A regular value type: copies are deep and
// independent; distinct objects may be used from distinct threads.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/time.h"
#include "coop/model/type.h"

namespace coop::model {

class value;

/// Absence of a value (an unset optional field).
struct none_t {
  friend auto operator<=>(none_t, none_t) = default;
};
inline constexpr none_t none{};

/// Raw bytes (payloads, hashes), distinct from text.
struct bytes {
  std::string data;
  friend auto operator<=>(const bytes&, const bytes&) = default;
};

/// An enum value, by label.
struct enum_value {
  std::string label;
  friend auto operator<=>(const enum_value&, const enum_value&) = default;
};

/// A set: elements kept sorted and unique (see `value::make_set`).
struct set_value {
  std::vector<value> elements;
};

/// A vector: ordered elements, duplicates allowed.
struct vector_value {
  std::vector<value> elements;
};

/// A table: keys kept sorted and unique, `mapped[i]` belongs to `keys[i]`.
struct table_value {
  std::vector<value> keys;
  std::vector<value> mapped;
};

/// A record: fields by position, as its record type orders them.
struct record_value {
  std::vector<value> fields;
};

/// A typed datum. Construct from any alternative; read with `kind()`,
/// `is<T>()` and `get<T>()`.
class COOP_MODEL_EXPORT value {
 public:
  using variant_type =
      std::variant<none_t, bool, std::uint64_t, std::int64_t, double, std::string, bytes,
                   address, subnet, port, timestamp, interval, enum_value, set_value,
                   table_value, vector_value, record_value>;

  /// The none value. The converting constructors below make a value of the
  /// matching kind: `bool` -> bool, `std::uint64_t`/`unsigned` -> count,
  /// `std::int64_t`/`int` -> int, `double` -> real, strings -> string, and
  /// each alternative type to its kind.
  value() = default;
  value(none_t) {}                                                  // NOLINT
  value(bool b) : v_(b) {}                                          // NOLINT
  value(std::uint64_t c) : v_(c) {}                                 // NOLINT
  value(std::int64_t i) : v_(i) {}                                  // NOLINT
  value(int i) : v_(std::int64_t{i}) {}                             // NOLINT
  value(unsigned c) : v_(std::uint64_t{c}) {}                       // NOLINT
  value(double d) : v_(d) {}                                        // NOLINT
  value(std::string s) : v_(std::move(s)) {}                        // NOLINT
  value(std::string_view s) : v_(std::string(s)) {}                 // NOLINT
  value(const char* s) : v_(std::string(s)) {}                      // NOLINT
  /// Other pointers would silently become bool: refused at compile time.
  value(const void*) = delete;
  value(bytes b) : v_(std::move(b)) {}                              // NOLINT
  value(address a) : v_(a) {}                                       // NOLINT
  value(subnet s) : v_(s) {}                                        // NOLINT
  value(port p) : v_(p) {}                                          // NOLINT
  value(timestamp t) : v_(t) {}                                     // NOLINT
  value(interval i) : v_(i) {}                                      // NOLINT
  value(enum_value e) : v_(std::move(e)) {}                         // NOLINT
  value(set_value s) : v_(std::move(s)) {}                          // NOLINT
  value(table_value t) : v_(std::move(t)) {}                        // NOLINT
  value(vector_value v) : v_(std::move(v)) {}                       // NOLINT
  value(record_value r) : v_(std::move(r)) {}                       // NOLINT

  /// A set from arbitrary elements: sorts and removes duplicates.
  static value make_set(std::vector<value> elements);
  /// A table from key/value pairs: sorts by key; a later duplicate key wins.
  static value make_table(std::vector<std::pair<value, value>> entries);

  /// Parses Zeek notation as the given type: scalars as in a Zeek log
  /// (`T`, `42`, `-1`, `3.5`, `10.0.0.1`, `10.0.0.0/8`, `80/tcp`,
  /// `1258531221.486539`, `1.5`), containers as `{1, 2}` (set),
  /// `[1, 2]` (vector), `{[k] = v, ...}` (table), `[a=1, b="x"]` (record),
  /// with strings quoted inside containers. `-` parses as none. Errors:
  /// invalid_argument naming the text and column.
  static result<value> parse(std::string_view text, const type& t);

  /// The kind of the held value.
  [[nodiscard]] type_kind kind() const noexcept { return static_cast<type_kind>(v_.index()); }
  /// True for the none value (an unset field).
  [[nodiscard]] bool is_none() const noexcept { return v_.index() == 0; }

  /// True if the held alternative is `T`.
  template <class T>
  [[nodiscard]] bool is() const noexcept { return std::holds_alternative<T>(v_); }
  /// The alternative `T`; asking for the wrong one is a programming bug.
  template <class T>
  [[nodiscard]] const T& get() const { return std::get<T>(v_); }
  /// Mutable access to the alternative `T` (reuse its storage in place).
  template <class T>
  [[nodiscard]] T& get() { return std::get<T>(v_); }
  /// Pointer to the alternative `T`, or nullptr.
  template <class T>
  [[nodiscard]] const T* get_if() const noexcept { return std::get_if<T>(&v_); }

  /// The underlying variant, for std::visit.
  [[nodiscard]] const variant_type& data() const noexcept { return v_; }
  [[nodiscard]] variant_type& data() noexcept { return v_; }

  /// True if this value is an instance of `t` (containers checked deeply;
  /// set elements and table keys must be sorted and unique, as make_set and
  /// make_table leave them). `none` conforms to every type.
  [[nodiscard]] bool conforms(const type& t) const;

  /// Zeek notation: scalars as in a Zeek log (strings raw at top level,
  /// quoted and escaped inside containers), `-` for none.
  [[nodiscard]] std::string to_string() const;

  /// A hash consistent with operator==.
  [[nodiscard]] std::size_t hash() const noexcept;

  /// Total order: first by kind, then by value; reals in IEEE total order
  /// (-0.0 before +0.0) except that every NaN is one value, after +inf.
  friend COOP_MODEL_EXPORT std::strong_ordering operator<=>(const value& a, const value& b);
  friend COOP_MODEL_EXPORT bool operator==(const value& a, const value& b);

 private:
  variant_type v_;
};

}  // namespace coop::model

template <>
struct std::hash<coop::model::value> {
  std::size_t operator()(const coop::model::value& v) const noexcept { return v.hash(); }
};
