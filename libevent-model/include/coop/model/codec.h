// The canonical binary format of events (Cap'n Proto messages, specified in
// docs/format-binary.md): encoding single events, batches and schemas;
// decoding them from untrusted bytes under limits and validating them
// against a registry; a zero-copy read path (`event_view`, `batch_view`) over
// received bytes; and framing for files (`stream_reader`, `stream_writer`).
// No function here throws. Free functions are thread-safe (they share no
// state); `encoder`, `stream_reader` and `stream_writer` are resources used
// by one thread at a time; views are values that may be read from several
// threads at once, as long as their input bytes stay alive and unmodified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/event.h"
#include "coop/model/export.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"
#include "coop/model/time.h"
#include "coop/model/type.h"
#include "coop/model/value.h"

namespace coop::model {

/// Limits applied to every untrusted message. Exceeding one gives
/// errc::overloaded naming the limit.
struct decode_limits {
  /// Largest accepted message, in bytes, framing included. Default 16 MiB.
  std::size_t max_message_bytes = std::size_t{16} << 20;
  /// Deepest accepted container nesting of a value: a field of type
  /// `set[count]` needs 1, `vector of set[count]` 2. Default 16; values
  /// above 64 are treated as 64.
  unsigned max_nesting = 16;
  /// Total 8-byte words a message may make the reader visit, counted again
  /// each time the same data is read (guards against messages whose
  /// pointers alias to look much larger than they are). Default 8 Mi words
  /// (64 MiB). An event's field arrays are charged once when it is opened
  /// or decoded; a view charges each read of a container field again.
  std::uint64_t max_traversal_words = std::uint64_t{8} << 20;
  /// Most events accepted in one batch. Default 65536.
  std::size_t max_batch_events = 65536;
};

/// Views the characters of `s` as bytes, for passing an encoded std::string
/// to the decoders. The span is valid while `s` is.
inline std::span<const std::byte> byte_view(std::string_view s) noexcept {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

/// What encoder::encode may leave out of a message, for a store that keeps
/// those values another way (the time machine packs uids and derives
/// Community IDs): the message then decodes with an empty uid and the
/// omitted field unset. A plain aggregate; the default omits nothing.
struct encode_omissions {
  /// Encode as if the event's uid were empty.
  bool uid = false;
  /// Encode the field at this position as unset; it must be optional
  /// (invalid_argument otherwise). The default, npos, omits no field.
  std::size_t field = static_cast<std::size_t>(-1);
};

/// A reusable encoder. It keeps its scratch memory between calls, so once
/// warm, encoding an event of a size seen before allocates nothing. A
/// resource: move-only (a moved-from encoder may only be destroyed or
/// assigned to), not thread-safe (use one per thread).
class COOP_MODEL_EXPORT encoder {
 public:
  /// An encoder whose scratch starts with `initial_bytes` (grows as needed).
  explicit encoder(std::size_t initial_bytes = 4096);
  ~encoder();
  encoder(encoder&&) noexcept;
  encoder& operator=(encoder&&) noexcept;
  encoder(const encoder&) = delete;
  encoder& operator=(const encoder&) = delete;

  /// Encodes `e` as one message (framing included). The returned bytes live
  /// in the encoder and stay valid until the next call on this encoder or
  /// its destruction. Errors: invalid_argument when the event has no type,
  /// the wrong number of fields, a required field unset, or a value that
  /// does not conform to its field's type (naming the field, e.g.
  /// "conn.resp_p: expected port, got string").
  result<std::span<const std::byte>> encode(const event& e);

  /// Encodes `e` as encode() does, without what `omit` names. The omitted
  /// values are neither written nor checked. Errors: as encode(), and
  /// invalid_argument when the omitted field is required.
  result<std::span<const std::byte>> encode(const event& e, const encode_omissions& omit);

  /// Encodes `events` as one batch message into `out` (previous contents
  /// replaced, capacity reused). With `include_schemas`, the schema of each
  /// distinct (type, version) is embedded once, so a receiver can learn
  /// unknown types. Errors: as encode(), prefixed with the event's index.
  result<void> encode_batch(std::span<const event> events, std::string& out, bool include_schemas);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Encodes `e` into a new string (see encoder::encode for errors). Uses a
/// fresh encoder, so it allocates; keep an `encoder` on hot paths.
COOP_MODEL_EXPORT result<std::string> encode(const event& e);

/// Encodes a batch into a new string (see encoder::encode_batch).
COOP_MODEL_EXPORT result<std::string> encode_batch(std::span<const event> events,
                                                   bool include_schemas);

/// Decodes one event message and validates it against `reg`. The bytes must
/// hold exactly one message. Type resolution: the exact (name, version) if
/// known, else the newest known version of the name, reading fields by
/// position: fields beyond the reader's schema are ignored, fields the
/// writer did not have take their default (none if no default).
/// Errors: corruption (malformed bytes, with the byte offset or the field),
/// overloaded (a limit), not_found (unknown type, named), invalid_argument
/// (a value that does not conform, or an unset required field, naming the
/// field), unsupported (a value kind this version does not know).
COOP_MODEL_EXPORT result<event> decode(std::span<const std::byte> bytes, const registry& reg,
                                       const decode_limits& limits = {});

/// Decodes one event message into `out`, exactly as decode() does, but
/// reusing `out`'s storage (its field vector and string capacities) when it
/// already has the resolved type: the consumer path that decodes many
/// events into one object. On error `out` is valid but its contents are
/// unspecified (partly overwritten). Errors: as decode().
COOP_MODEL_EXPORT result<void> decode_into(std::span<const std::byte> bytes, const registry& reg,
                                           event& out, const decode_limits& limits = {});

/// Decodes a batch message; every event is validated as by decode().
/// Schemas embedded in the batch are ignored. Errors: as decode(),
/// prefixed with the event's index; overloaded above max_batch_events.
COOP_MODEL_EXPORT result<std::vector<event>> decode_batch(std::span<const std::byte> bytes,
                                                          const registry& reg,
                                                          const decode_limits& limits = {});

/// Like decode_batch, but first adds the batch's embedded schemas to
/// `learn_into` (each through registry::add, so evolution rules hold) and
/// decodes against the result. All or nothing: on any error `learn_into` is
/// unchanged. (A separate name rather than a non-const overload, so that a
/// registry is never taught types just because it was not declared const.)
/// Errors: as decode_batch, plus those of registry::add naming the schema.
COOP_MODEL_EXPORT result<std::vector<event>> decode_batch_and_learn(
    std::span<const std::byte> bytes, registry& learn_into, const decode_limits& limits = {});

/// Encodes a schema as one message (type structure, defaults and docs
/// included). Errors: invalid_argument when the schema does not validate.
COOP_MODEL_EXPORT result<std::string> encode_schema(const schema& s);

/// Decodes a schema message and validates it (schema::validate). Errors:
/// corruption, overloaded, invalid_argument naming the field.
COOP_MODEL_EXPORT result<schema> decode_schema(std::span<const std::byte> bytes,
                                               const decode_limits& limits = {});

namespace detail {
struct message_holder;  // the parsed message a view reads (private)
struct view_access;     // builds views inside the library (private)
}  // namespace detail

/// A read-only view of one encoded event that reads the received bytes in
/// place, without copying them into new objects. Opening checks the framing
/// and the envelope and notes where the first 32 fields start; field
/// accessors check the field they read. Every
/// string_view and span it returns points into the input bytes (or, for
/// input that is not 8-byte aligned, into a copy the view owns) and stays
/// valid only while the input bytes are alive and unmodified AND some copy
/// of this view (or the batch_view it came from) exists. Copying a view is
/// cheap (a reference count). A view does not know the event's schema: use
/// to_event() for a validated event.
class COOP_MODEL_EXPORT event_view {
 public:
  /// Opens one event message (the bytes must hold exactly one message).
  /// Errors: corruption with the byte offset, overloaded (size limit).
  static result<event_view> open(std::span<const std::byte> bytes,
                                 const decode_limits& limits = {});

  /// Envelope, read at open(); the string_views follow the rule above.
  [[nodiscard]] std::string_view type_name() const noexcept { return type_name_; }
  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
  [[nodiscard]] timestamp ts() const noexcept { return ts_; }
  [[nodiscard]] event_id id() const noexcept { return id_; }
  [[nodiscard]] std::string_view site() const noexcept { return site_; }
  [[nodiscard]] std::string_view sensor() const noexcept { return sensor_; }
  [[nodiscard]] std::string_view uid() const noexcept { return uid_; }
  /// Number of field values in the message (may differ from the schema's).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Kind of field `i` (none for a field the writer left unset). Errors:
  /// not_found (i >= size()), unsupported (a kind written by a newer
  /// version), corruption. Field positions are found by walking the fields
  /// before `i`, so an unreadable field makes every later field report
  /// that field's error.
  [[nodiscard]] result<type_kind> field_kind(std::size_t i) const;

  /// Scalar getters. Errors: not_found (i >= size()), invalid_argument when
  /// field `i` holds another kind (or none), corruption.
  [[nodiscard]] result<bool> boolean_at(std::size_t i) const;
  [[nodiscard]] result<std::uint64_t> count_at(std::size_t i) const;
  [[nodiscard]] result<std::int64_t> integer_at(std::size_t i) const;
  [[nodiscard]] result<double> real_at(std::size_t i) const;
  [[nodiscard]] result<std::string_view> string_at(std::size_t i) const;
  [[nodiscard]] result<std::span<const std::byte>> bytes_at(std::size_t i) const;
  /// An enum field's label.
  [[nodiscard]] result<std::string_view> enum_at(std::size_t i) const;
  [[nodiscard]] result<coop::model::address> address_at(std::size_t i) const;
  [[nodiscard]] result<coop::model::subnet> subnet_at(std::size_t i) const;
  [[nodiscard]] result<coop::model::port> port_at(std::size_t i) const;
  [[nodiscard]] result<timestamp> time_at(std::size_t i) const;
  [[nodiscard]] result<coop::model::interval> interval_at(std::size_t i) const;

  /// Field `i` of any kind materialised as a value (containers copied, sets
  /// and tables re-canonicalised). Not checked against a schema. Errors:
  /// not_found, corruption, overloaded (nesting), unsupported.
  [[nodiscard]] result<value> field(std::size_t i) const;

  /// The whole event, validated against `reg` exactly as decode() does.
  [[nodiscard]] result<event> to_event(const registry& reg) const;

 private:
  friend struct detail::view_access;
  event_view() = default;

  static constexpr std::size_t cached_offsets = 32;
  std::shared_ptr<const detail::message_holder> msg_;
  alignas(8) unsigned char nested_[64] = {};  // the message's nested list reader (private)
  const unsigned char* kinds_ = nullptr;      // one kind byte per field
  const unsigned char* payload_ = nullptr;    // the non-container values
  std::size_t payload_size_ = 0;
  std::uint32_t offsets_[cached_offsets] = {};  // payload offset of field i < walked_
  std::size_t walked_ = 0;
  std::string_view type_name_, site_, sensor_, uid_;
  std::uint32_t version_ = 0;
  timestamp ts_;
  event_id id_;
  std::size_t size_ = 0;
};

/// A read-only view of a batch message: its events as event_views and its
/// embedded schemas, materialised only on request. Lifetime rules as for
/// event_view; views obtained from it keep the message alive.
class COOP_MODEL_EXPORT batch_view {
 public:
  /// Opens a batch message. Errors: corruption with the byte offset,
  /// overloaded (size limit or more than max_batch_events events).
  static result<batch_view> open(std::span<const std::byte> bytes,
                                 const decode_limits& limits = {});

  /// Number of events.
  [[nodiscard]] std::size_t size() const noexcept { return events_; }
  /// Event `i`. Errors: not_found (i >= size()), corruption.
  [[nodiscard]] result<event_view> at(std::size_t i) const;
  /// Number of embedded schemas.
  [[nodiscard]] std::size_t schema_count() const noexcept { return schemas_; }
  /// Embedded schema `i`, validated. Errors: as decode_schema, not_found.
  [[nodiscard]] result<schema> schema_at(std::size_t i) const;

 private:
  friend struct detail::view_access;
  batch_view() = default;
  std::shared_ptr<const detail::message_holder> msg_;
  std::size_t events_ = 0;
  std::size_t schemas_ = 0;
};

/// Reads a file or stream of event messages (standard Cap'n Proto framing,
/// one message after another, nothing in between) one message at a time.
/// Framing errors (truncation, oversized or damaged segment tables) are
/// final: every later call returns the same error. Errors in one message's
/// content (a bad field, an unknown type) only affect that message; the next
/// call reads the next one. A resource: move-only (moved-from: destroy or
/// assign only), one thread at a time.
class COOP_MODEL_EXPORT stream_reader {
 public:
  /// Reads from `in`, which must outlive the reader. Each view owns the
  /// bytes of its message (they stay valid while the view exists).
  explicit stream_reader(std::istream& in, const decode_limits& limits = {});
  /// Reads from `bytes`, which must stay alive and unmodified while the
  /// reader and any view it returned exist.
  explicit stream_reader(std::span<const std::byte> bytes, const decode_limits& limits = {});
  ~stream_reader();
  stream_reader(stream_reader&&) noexcept;
  stream_reader& operator=(stream_reader&&) noexcept;

  /// The next message as a view; an empty optional at the clean end of the
  /// input. Errors: corruption ("at byte offset N"), overloaded, io.
  result<std::optional<event_view>> next_view();
  /// The next message decoded and validated against `reg` (as decode());
  /// an empty optional at the clean end. Error messages name the byte offset.
  result<std::optional<event>> next(const registry& reg);
  /// Byte offset in the input where the message returned last began.
  [[nodiscard]] std::uint64_t message_offset() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Appends event messages to a std::ostream in the framing stream_reader
/// reads. A resource: move-only (moved-from: destroy or assign only), one
/// thread at a time.
class COOP_MODEL_EXPORT stream_writer {
 public:
  /// Writes to `out`, which must outlive the writer.
  explicit stream_writer(std::ostream& out);
  ~stream_writer();
  stream_writer(stream_writer&&) noexcept;
  stream_writer& operator=(stream_writer&&) noexcept;

  /// Encodes and appends `e`. Errors: as encoder::encode; io when the
  /// stream fails.
  result<void> write(const event& e);
  /// Appends an already encoded event message after checking that `message`
  /// is exactly one well-framed message. Errors: invalid_argument, io.
  result<void> write_encoded(std::span<const std::byte> message);
  /// Flushes the stream. Errors: io.
  result<void> flush();
  /// Bytes appended so far.
  [[nodiscard]] std::uint64_t bytes_written() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace coop::model
