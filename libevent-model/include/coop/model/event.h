// `event`: one occurrence of an event type, with its envelope (timestamp,
// unique id, origin, optional connection uid) and its field values in schema
// order. An event holds its schema by shared_ptr. A regular value: copies
// are deep and independent; distinct objects may be used from distinct
// threads. `id_generator` is not thread-safe (use one per thread or sensor).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"
#include "coop/model/value.h"

namespace coop::model {

/// A 128-bit event id, unique across sensors with overwhelming probability.
struct COOP_MODEL_EXPORT event_id {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  /// 32 lower-case hex digits.
  [[nodiscard]] std::string to_string() const;
  /// Parses 32 hex digits. Errors: invalid_argument.
  static result<event_id> parse(std::string_view text);

  friend auto operator<=>(const event_id&, const event_id&) = default;
  friend bool operator==(const event_id&, const event_id&) = default;
};

/// Produces event ids: a random 64-bit generator part and a counter.
class COOP_MODEL_EXPORT id_generator {
 public:
  /// Seeds the generator part from the operating system's randomness.
  id_generator();
  /// A fixed generator part, for reproducible tests.
  explicit id_generator(std::uint64_t generator_part) noexcept : hi_(generator_part) {}
  /// The next id.
  event_id next() noexcept { return {hi_, ++counter_}; }

 private:
  std::uint64_t hi_;
  std::uint64_t counter_ = 0;
};

/// Where an event was observed.
struct origin {
  std::string site;    ///< The monitoring site (e.g. "lbl.gov").
  std::string sensor;  ///< The sensor within the site (e.g. "zeek-border-1").
  friend bool operator==(const origin&, const origin&) = default;
};

/// One event. Fields are addressed by position (fast, for sensors) or by
/// name. Setters that take a name check the type; `field(i)` gives direct
/// access and `validate()` checks the whole event.
class COOP_MODEL_EXPORT event {
 public:
  /// An event without a type; only useful as a target for assignment.
  event() = default;
  /// An event of type `s`, every field set to its default (none if none).
  explicit event(std::shared_ptr<const schema> s);

  /// The event's schema; only valid when has_type() (a bug otherwise).
  [[nodiscard]] const schema& type() const noexcept {
    assert(schema_ != nullptr);
    return *schema_;
  }
  /// The shared schema pointer (null for a default-constructed event).
  [[nodiscard]] const std::shared_ptr<const schema>& schema_ptr() const noexcept { return schema_; }
  /// False only for a default-constructed event.
  [[nodiscard]] bool has_type() const noexcept { return schema_ != nullptr; }

  timestamp ts;      ///< When it happened.
  event_id id;       ///< Unique id.
  origin from;       ///< Site and sensor that observed it.
  std::string uid;   ///< Connection uid correlating events of one connection; empty if none.

  /// Number of fields (the schema's size).
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  /// Field `i` in schema order; no type check (see validate()).
  [[nodiscard]] value& field(std::size_t i) { return fields_[i]; }
  [[nodiscard]] const value& field(std::size_t i) const { return fields_[i]; }
  /// All fields in schema order.
  [[nodiscard]] const std::vector<value>& fields() const noexcept { return fields_; }
  /// All fields, mutable; keep the size equal to the schema's.
  [[nodiscard]] std::vector<value>& fields() noexcept { return fields_; }

  /// Gives the event type `s` (not null) while keeping its storage, for a
  /// decoder that reuses one event for records of several types: the
  /// field vector is resized to s's size without reallocating when it has
  /// the capacity, and a field that remains keeps its old value (and its
  /// string's buffer) until overwritten. The fields are NOT reset to s's
  /// defaults: the caller sets every one (validate() tells otherwise).
  void retype(std::shared_ptr<const schema> s);

  /// The field called `name`, or nullptr if the type has none.
  [[nodiscard]] const value* get(std::string_view name) const noexcept;
  /// Sets the field called `name` after checking the value's type. An int
  /// literal for a count field (or a count for an int field) is converted
  /// when it fits, so `set("orig_bytes", 5)` works.
  /// Errors: not_found (no such field), invalid_argument (wrong type).
  result<void> set(std::string_view name, value v);

  /// Checks every field against the schema: types conform, required fields
  /// are set. Errors: invalid_argument naming the field.
  [[nodiscard]] result<void> validate() const;

  /// Same type (name and version), envelope and fields.
  friend COOP_MODEL_EXPORT bool operator==(const event& a, const event& b);

 private:
  std::shared_ptr<const schema> schema_;
  std::vector<value> fields_;
};

}  // namespace coop::model
