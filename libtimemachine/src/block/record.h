// Stored records: what a block's payload is a sequence of (format 6). Each
// record is a little-endian 32-bit word, whose low 28 bits give the bytes
// that follow it and whose high 4 bits are flags, then the values the flags
// say were packed, then the event's Cap'n Proto message. Two values that
// take a third of a connection event's compressed bytes are stored
// smaller:
// - a Zeek-style uid ("C" and up to 40 base-62 digits) is packed as its
//   first character, the digit count and the digits at 6 bits each (15
//   bytes instead of 18 random characters);
// - a community_id that is the Community ID (seed 0) of the event's own
//   orig_h, orig_p, resp_h and resp_p is not stored at all: it is computed
//   again when the record is read.
// A value is only left out when it reads back exactly as it was, so the
// stored event is the event appended, byte for byte once decoded. Formats
// 2 to 5 wrote the bare length (records are under 256 MiB, so its high
// bits are zero), which reads as a record without flags
// (docs/timemachine.md, "Records").
//
// Thread-safety: record_writer and record_reader are used by one thread
// at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/codec.h"
#include "coop/model/event.h"
#include "coop/model/result.h"

namespace coop::tm::detail {

/// The low bits of a record's first word: the bytes that follow it.
inline constexpr std::uint32_t record_length_mask = 0x0fff'ffffu;
/// Flag: the uid is packed in front of the message, not in it.
inline constexpr std::uint32_t record_packed_uid = 1u << 28;
/// Flag: the event's community_id is its 5-tuple's Community ID (seed 0)
/// and is not stored.
inline constexpr std::uint32_t record_derived_community_id = 1u << 29;
/// Every flag this version writes and reads.
inline constexpr std::uint32_t record_known_flags =
    record_packed_uid | record_derived_community_id;

/// One record of a payload, parsed: views into the payload.
struct stored_record {
  std::uint32_t flags = 0;       ///< record_* flags
  std::string_view packed;       ///< the packed values (empty without flags)
  std::string_view message;      ///< the event's Cap'n Proto message
};

/// Parses the record at `pos` of `payload` into `out` and advances `pos`
/// past it. Returns nullptr, or what is wrong ("truncated record",
/// "record overruns the block", "unknown record flags 0x...", "damaged
/// packed uid"): the caller names the block and record.
const char* next_record(std::string_view payload, std::size_t& pos, stored_record& out);

/// The uid packed in record `r` into `out`: false when the record has no
/// packed uid (its uid, if any, is in the message) or the packed digits are
/// damaged.
bool packed_record_uid(const stored_record& r, std::string& out);

/// Where the fields a record may leave out sit in one schema.
struct record_layout {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::shared_ptr<const model::schema> type;
  std::size_t community_id = none;  ///< a string field named community_id
  std::size_t orig_h = none, orig_p = none, resp_h = none, resp_p = none;
};

/// Encodes events into stored records.
class record_writer {
 public:
  /// Appends `e` (validated) to `payload` as one record; on error
  /// `payload` is unchanged. Errors: those of model::encoder::encode;
  /// invalid_argument when the record would be 256 MiB or more.
  model::result<void> append(std::string& payload, const model::event& e);

 private:
  model::encoder enc_;
  std::vector<record_layout> layouts_;
  std::string computed_;  // a Community ID computed to compare
  std::string packed_;
};

/// Decodes stored records into events, restoring what was left out.
class record_reader {
 public:
  /// Decodes `r` against `types` into `out` (storage reused, as
  /// model::decode_into). Errors: those of decode_into; corruption when
  /// the flags name a value the event cannot give back (a type without a
  /// community_id field, a 5-tuple with no Community ID).
  model::result<void> decode(const stored_record& r, const model::registry& types,
                             model::event& out);

 private:
  std::vector<record_layout> layouts_;
  std::string computed_;
};

}  // namespace coop::tm::detail
