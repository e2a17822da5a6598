// The pcap file format as pcap_writer writes it (classic pcap, nanosecond
// timestamps, little-endian), and the mapping of a `packet` event onto one
// record. Pure functions over buffers; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coop/model/event.h"
#include "coop/model/result.h"

namespace coop::tm::detail {

/// Magic of a classic pcap file with nanosecond timestamps, as written in the
/// writer's byte order (we always write little-endian).
inline constexpr std::uint32_t pcap_magic_nanoseconds = 0xa1b23c4d;
/// The only classic pcap format version (2.4).
inline constexpr std::uint16_t pcap_version_major = 2;
inline constexpr std::uint16_t pcap_version_minor = 4;
/// Sizes in bytes of the file header and of each record header.
inline constexpr std::size_t pcap_file_header_size = 24;
inline constexpr std::size_t pcap_record_header_size = 16;
/// LINKTYPE_ETHERNET, written into the header of a file without packets.
inline constexpr std::uint32_t linktype_ethernet = 1;

/// One packet event seen as a pcap record. `data` views the event's `data`
/// field and is valid while that event is alive and unmodified.
struct packet_record {
  std::uint32_t link_type = 0;
  std::uint32_t ts_sec = 0;   ///< seconds since 1970
  std::uint32_t ts_nsec = 0;  ///< nanoseconds within the second
  std::uint32_t wirelen = 0;  ///< original length (pcap's orig_len)
  std::string_view data;      ///< captured bytes, not yet cut to the snapshot length
};

/// Reads the record of packet event `e`. Errors: invalid_argument starting
/// "packet event <id>: " when `e` is not a packet event, a required field is
/// missing or of the wrong type, `link_type`/`wirelen` exceed 32 bits, the
/// wirelen is smaller than the data or the time is outside 1970..2106.
model::result<packet_record> packet_record_of(const model::event& e);

/// Appends the 24-byte file header.
void append_pcap_file_header(std::string& out, std::uint32_t snaplen, std::uint32_t link_type);

/// Appends `r` as a record: header and data cut to `snaplen` bytes (the
/// included length says how many were kept).
void append_pcap_record(std::string& out, const packet_record& r, std::uint32_t snaplen);

}  // namespace coop::tm::detail
