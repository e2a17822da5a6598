// The filter language: a boolean expression over event fields, such as
// `type == connection_end && resp_p in {22/tcp, 2222/tcp} && orig_h !in 10.0.0.0/8`,
// type-checked against the schemas of a registry and compiled once into a
// per-event-type program that evaluates without allocating. The grammar,
// semantics and error messages are specified in docs/filter.md. A `filter`
// is an immutable regular value: copies share the compiled program, and one
// filter may be evaluated from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"
#include "coop/model/value.h"

namespace coop::model {

namespace filter_impl {
struct program;
}  // namespace filter_impl

/// Bounds that keep compiling a hostile filter (e.g. one received from a
/// partner site) cheap in time and memory. Exceeding one is an `overloaded`
/// error that names the limit and, where there is one, the column.
struct filter_limits {
  /// Longest accepted filter text, in bytes. Default 256 KiB (room for a
  /// hot list of a few thousand addresses in one set).
  std::size_t max_length = 256 * 1024;
  /// Deepest nesting of parentheses, `!` and sets. Default 64; values
  /// above 256 act as 256, which bounds the parser's stack use.
  unsigned max_depth = 64;
  /// Most elements in one set literal `{...}`. Default 100000.
  std::size_t max_set_elements = 100'000;
  /// Most regular expressions in one filter. Default 32.
  std::size_t max_regexes = 32;
  /// Longest regular expression pattern, in bytes. Default 1024.
  std::size_t max_regex_length = 1024;
  /// Memory budget of one compiled regular expression (RE2's max_mem), in
  /// bytes. Default 1 MiB. Matching time is linear in the input whatever
  /// the pattern.
  std::int64_t max_regex_memory = 1 << 20;
  /// Most evaluation nodes over all event types' programs together (a
  /// filter of N predicates costs about N nodes per event type it can
  /// match). Default 1,000,000.
  std::size_t max_program_nodes = 1'000'000;
};

/// One necessary condition on one field, usable for an index lookup (see
/// filter::hints). A plain value.
struct index_term {
  /// How the event's field must relate to `lo` (and `hi`).
  enum class kind : std::uint8_t {
    equals,  ///< The field equals `lo` (value equality, operator==).
    subnet,  ///< `lo` holds a subnet: an addr field lies in it, or a subnet field is inside it.
    range,   ///< lo <= field <= hi in value's total order (ports: by number, then transport).
  };
  /// The field as the filter resolves it: a schema field name ("orig_h",
  /// or "server.name" for a record's subfield), or "uid" for the envelope's
  /// connection uid.
  std::string field;
  kind what = kind::equals;  ///< Default equals.
  /// equals: the value, of the field's type; subnet: a subnet value;
  /// range: the inclusive lower bound, of the field's type.
  value lo;
  value hi;  ///< range only: the inclusive upper bound; none otherwise.

  friend bool operator==(const index_term&, const index_term&) = default;
};

/// What a filter implies about every event it can match, for planning index
/// lookups. Sound but possibly weaker than the filter: a caller that reads
/// only the events these hints admit, then applies the filter, finds every
/// match. Holds for events whose field values conform to their types (as
/// event::set and the decoders ensure). A plain value.
struct filter_hints {
  /// When set: every event the filter matches satisfies at least one of
  /// these terms (at most 256, without duplicates); an empty vector means
  /// the filter matches no event. Unset: no such condition could be derived
  /// and the caller must scan.
  std::optional<std::vector<index_term>> any_of;
  std::optional<timestamp> ts_min;  ///< Every match has ts >= this; unset: unbounded.
  std::optional<timestamp> ts_max;  ///< Every match has ts <= this; unset: unbounded.
};

/// A compiled filter expression.
///
/// Evaluation semantics in brief (docs/filter.md has the rest): a
/// predicate on a field the event's type does not have, or whose value is
/// unset, is false, whatever its operator (so `x != 1` and `x !in {...}`
/// are false too, while `!(x == 1)` is true). Events of a type the
/// registry did not know at compile time only match through their
/// envelope fields (ts, uid, id, site, sensor) and `type` tests.
class COOP_MODEL_EXPORT filter {
 public:
  /// A filter that matches no event; its text is empty. Useful only as a
  /// target for assignment.
  filter() = default;

  /// Parses, type-checks and compiles `text` against the newest version of
  /// every type in `types`. The registry is only read during the call;
  /// the filter keeps the schemas it needs alive itself.
  /// Errors (the message always starts with `column N:`, 1-based, counting
  /// bytes from the start of `text`): invalid_argument for syntax errors,
  /// type mismatches and invalid regular expressions; not_found for unknown
  /// fields, event types and enum labels; overloaded when a `limits` bound
  /// is exceeded. Never throws.
  static result<filter> compile(std::string_view text, const registry& types,
                                const filter_limits& limits = {});

  /// True if `e` satisfies the filter. `now` is the time that `now` in the
  /// filter stands for (relative time such as `ts > now - 1h`); it is
  /// ignored when uses_relative_time() is false. Does not allocate; safe to
  /// call concurrently from many threads on the same filter.
  [[nodiscard]] bool matches(const event& e, timestamp now) const noexcept;

  /// The text the filter was compiled from.
  [[nodiscard]] const std::string& text() const noexcept;

  /// Names of the registry's event types that this filter can match,
  /// sorted: the types its `type` tests allow (every type when it has
  /// none), minus those for which it is false whatever the event (for
  /// example, types lacking a field that every match requires).
  [[nodiscard]] std::vector<std::string> event_types() const;

  /// True if the filter mentions `now`, so its result depends on the
  /// `now` passed to matches().
  [[nodiscard]] bool uses_relative_time() const noexcept;

  /// Conditions every matching event satisfies, derived from the compiled
  /// filter for index lookups (docs/filter.md, "Index hints"). `now`
  /// resolves relative times, as in matches(). A default-constructed filter
  /// gives an empty any_of (it matches nothing). Cost: linear in the size
  /// of the compiled programs. Thread-safe; never throws except
  /// std::bad_alloc.
  [[nodiscard]] filter_hints hints(timestamp now) const;

  /// True if this filter was compiled (not default-constructed).
  [[nodiscard]] bool valid() const noexcept { return program_ != nullptr; }

  /// Filters compare equal when compiled from the same text (the registry
  /// they were compiled against is not compared).
  friend COOP_MODEL_EXPORT bool operator==(const filter& a, const filter& b) noexcept;

 private:
  friend struct filter_access;  // Library-internal introspection (the AST).
  explicit filter(std::shared_ptr<const filter_impl::program> p) : program_(std::move(p)) {}

  std::shared_ptr<const filter_impl::program> program_;
};

}  // namespace coop::model
