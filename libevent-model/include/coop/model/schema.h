// Event schemas and the registry that holds them. A `schema` names an event
// type, gives it a version and ordered, typed, documented fields. A
// `registry` holds the schemas a program knows, checks that a new version
// of a type evolves compatibly, and lets a receiver learn types it did not
// know. `schema` is a regular value; a `registry` is not thread-safe for
// concurrent modification (guard it, or fill it before sharing it; const
// lookups from many threads are safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::model {

/// Limits on schemas, enforced on every schema a registry accepts.
inline constexpr std::size_t max_fields = 256;
inline constexpr std::size_t max_name_length = 128;

/// One field of an event type.
struct field {
  std::string name;        ///< Identifier: [a-z_][a-z0-9_.]*, unique within the schema.
  type ty;                 ///< The field's type.
  bool optional = false;   ///< May be unset (none) in a valid event.
  value default_value;     ///< Used when the field is absent in older data; none if no default.
  std::string doc;         ///< One line for docs and operators.

  friend bool operator==(const field&, const field&) = default;
};

/// An event type: name, version and ordered fields.
class COOP_MODEL_EXPORT schema {
 public:
  /// An empty, unnamed schema (not valid; a target for assignment).
  schema() = default;
  /// A schema; nothing is checked until validate() or registry::add.
  schema(std::string name, std::uint32_t version, std::vector<field> fields, std::string doc = {});

  /// The event type's name ("connection_end").
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// The version, from 1.
  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
  /// One paragraph describing the event type.
  [[nodiscard]] const std::string& doc() const noexcept { return doc_; }
  /// The fields in order.
  [[nodiscard]] const std::vector<field>& fields() const noexcept { return fields_; }
  /// Number of fields.
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  /// Field `i`; `i` must be below size().
  [[nodiscard]] const field& operator[](std::size_t i) const { return fields_[i]; }

  /// Position of the field called `name`, if any.
  [[nodiscard]] std::optional<std::size_t> index_of(std::string_view name) const noexcept;

  /// Checks names, limits, uniqueness and that defaults conform to their
  /// types. Errors: invalid_argument naming the field.
  [[nodiscard]] result<void> validate() const;

  /// Checks that data written with `newer` can be read with this schema
  /// and vice versa: same name, `newer` keeps every field of this schema
  /// with the same name, type and position, a default once given never
  /// changes or disappears, a required field
  /// becomes optional only if it gains a default, an optional field never
  /// becomes required, and every appended field is optional or has a
  /// default. Errors: incompatible, naming the field.
  [[nodiscard]] result<void> check_evolution(const schema& newer) const;

  /// Same name, version, doc and fields.
  friend bool operator==(const schema&, const schema&) = default;

 private:
  std::string name_;
  std::uint32_t version_ = 1;
  std::vector<field> fields_;
  std::string doc_;
};

/// The schemas a program knows, by name and version. Schemas are held by
/// shared_ptr so events can keep theirs alive cheaply.
class COOP_MODEL_EXPORT registry {
 public:
  /// An empty registry (add_catalogue() fills in the standard types).
  registry() = default;

  /// Adds a schema after validating it. If other versions of the same type
  /// are known, the evolution rules must hold between neighbouring versions.
  /// Adding an identical schema again is a no-op returning the held one.
  /// Errors: invalid_argument (bad schema), incompatible (naming the field),
  /// overloaded (more than max_types).
  result<std::shared_ptr<const schema>> add(schema s);

  /// The newest known version of `name`, or nullptr.
  [[nodiscard]] std::shared_ptr<const schema> find(std::string_view name) const;
  /// Exactly `name` at `version`, or nullptr.
  [[nodiscard]] std::shared_ptr<const schema> find(std::string_view name,
                                                   std::uint32_t version) const;
  /// All newest versions, sorted by name.
  [[nodiscard]] std::vector<std::shared_ptr<const schema>> newest() const;
  /// Every known version of `name`, oldest first (empty if unknown).
  [[nodiscard]] std::vector<std::shared_ptr<const schema>> versions(std::string_view name) const;
  /// Number of (name, version) pairs held.
  [[nodiscard]] std::size_t size() const noexcept;

  /// Upper bound on (name, version) pairs, so a peer cannot exhaust memory
  /// by teaching endless types.
  static constexpr std::size_t max_types = 4096;

 private:
  std::map<std::string, std::map<std::uint32_t, std::shared_ptr<const schema>>, std::less<>>
      types_;
  std::size_t count_ = 0;
};

}  // namespace coop::model
