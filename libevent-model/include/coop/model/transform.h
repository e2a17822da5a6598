// Transformations applied to events before they leave a site: projection
// (keep or drop fields), truncation of string and bytes values, and
// prefix-preserving anonymisation of every address and subnet. A
// `transform_spec` (a plain aggregate) says what to do; `transform::compile`
// checks it against a schema or a registry, so every field name is verified
// once, up front; `transform::apply` then rewrites events in place. A
// `transform` is a resource (move-only) because it may own an `anonymizer`
// (a cipher context and a cache): it is not thread-safe, use one per
// thread. See docs/transform.md for what each transformation guarantees.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/anonymize.h"
#include "coop/model/event.h"
#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"

namespace coop::model {

/// What a transform does. A plain aggregate; every part is off by default.
struct transform_spec {
  /// Projection: if non-empty, only these fields keep their values; every
  /// other field becomes none. Default: empty (keep every field).
  std::vector<std::string> keep;
  /// Projection: these fields become none. Applied after `keep`.
  /// Default: empty.
  std::vector<std::string> drop;
  /// Truncation: the maximum length in bytes of string and bytes values
  /// (including those nested in containers and records). Strings are cut
  /// at a UTF-8 character boundary, so they may end up shorter. Default:
  /// no truncation.
  std::optional<std::size_t> truncate;
  /// Restricts truncation to these fields. Default: empty (every field).
  std::vector<std::string> truncate_fields;
  /// What `apply` does with an event whose type the transform was not
  /// compiled for: false (default) applies only the type-independent parts
  /// (anonymisation, and truncation when `truncate_fields` is empty);
  /// true refuses the event with errc::not_found.
  bool reject_unknown_types = false;
};

/// A compiled transform: a spec checked against the types it will see,
/// optionally with an anonymiser.
class COOP_MODEL_EXPORT transform {
 public:
  /// Compiles `spec` for events of type `s` (matched by identity, or by an
  /// equal schema). If `anon` is given, apply() anonymises every address
  /// and subnet value with it (subject to its options).
  /// Errors (messages name the field and the list it came from):
  /// not_found for a field `s` does not have; invalid_argument when a
  /// required (non-optional) field would be dropped, a `truncate_fields`
  /// entry holds no string or bytes, `truncate_fields` is given without
  /// `truncate`, or `s` is null.
  static result<transform> compile(std::shared_ptr<const schema> s, transform_spec spec,
                                   std::optional<anonymizer> anon = std::nullopt);

  /// Compiles `spec` for every type held by `reg`: the newest version of
  /// each type and every older version it holds. A field name
  /// must exist in at least one of these types; the projection applies to
  /// the types that have the field. Errors as above; the message also
  /// names the type for a required field that would be dropped (so a
  /// `keep` list must name the required fields of every type, or be
  /// compiled against the one schema it is meant for).
  static result<transform> compile(const registry& reg, transform_spec spec,
                                   std::optional<anonymizer> anon = std::nullopt);

  transform(transform&& other) noexcept;
  transform& operator=(transform&& other) noexcept;
  transform(const transform&) = delete;
  transform& operator=(const transform&) = delete;
  ~transform();

  /// Rewrites `e` in place. Allocates nothing when nothing changes, and
  /// nothing for projection, truncation or anonymisation of scalar values;
  /// re-sorting a table whose keys changed allocates. Sets and tables whose
  /// elements changed are re-sorted (and de-duplicated: truncation can make
  /// two elements equal; of colliding table keys the later one wins).
  /// For a type the transform was not compiled for, see
  /// `transform_spec::reject_unknown_types`.
  /// Errors: not_found (unknown type and reject_unknown_types); corruption
  /// when `e` has a different number of fields than its schema; overloaded
  /// when a value is nested deeper than max_type_depth (that field is set
  /// to none). After an error, discard the event: it may be partly
  /// transformed.
  result<void> apply(event& e);

  /// True if apply() has a compiled plan for events of type `s`.
  [[nodiscard]] bool compiled_for(const schema& s) const noexcept;

  /// The anonymiser in use, or nullptr (e.g. to read its cache statistics).
  [[nodiscard]] const anonymizer* anonymizer_in_use() const noexcept;

 private:
  struct impl;
  explicit transform(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

/// The length of the longest prefix of `s` of at most `max_bytes` bytes
/// that does not split a UTF-8 sequence. Bytes that are not valid UTF-8
/// are treated as single characters.
[[nodiscard]] COOP_MODEL_EXPORT std::size_t utf8_prefix_length(std::string_view s,
                                                               std::size_t max_bytes) noexcept;

}  // namespace coop::model
