#include "pcap/record.h"

#include <algorithm>
#include <limits>

#include "coop/model/catalogue.h"
#include "coop/model/value.h"

namespace coop::tm::detail {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

model::error bad(const model::event& e, std::string what) {
  return {model::errc::invalid_argument, "packet event " + e.id.to_string() + ": " + std::move(what)};
}

// The count field `name` of `e` as 32 bits, or an error naming the field.
model::result<std::uint32_t> count_field(const model::event& e, std::string_view name) {
  const model::value* v = e.get(name);
  if (v == nullptr || v->is_none()) return bad(e, "field '" + std::string(name) + "' is not set");
  const auto* c = v->get_if<std::uint64_t>();
  if (c == nullptr) return bad(e, "field '" + std::string(name) + "' is not a count");
  if (*c > std::numeric_limits<std::uint32_t>::max()) {
    return bad(e, "field '" + std::string(name) + "' is " + std::to_string(*c) +
                      ", more than pcap's 32 bits");
  }
  return static_cast<std::uint32_t>(*c);
}

}  // namespace

model::result<packet_record> packet_record_of(const model::event& e) {
  if (!e.has_type()) return bad(e, "the event has no type");
  if (e.type().name() != model::catalogue::packet) {
    return bad(e, "is a '" + e.type().name() + "' event, not a 'packet' event");
  }
  packet_record r;
  const model::value* data = e.get("data");
  if (data == nullptr || data->is_none()) return bad(e, "field 'data' is not set");
  const auto* b = data->get_if<model::bytes>();
  if (b == nullptr) return bad(e, "field 'data' is not bytes");
  r.data = b->data;

  auto link = count_field(e, "link_type");
  if (!link) return link.err();
  r.link_type = *link;
  auto wire = count_field(e, "wirelen");
  if (!wire) return wire.err();
  r.wirelen = *wire;
  if (r.wirelen < r.data.size()) {
    return bad(e, "field 'wirelen' is " + std::to_string(r.wirelen) + ", less than the " +
                      std::to_string(r.data.size()) + " bytes of 'data'");
  }

  const std::int64_t ns = e.ts.ns;
  const std::int64_t sec = ns / ns_per_s;
  if (ns < 0 || sec > std::numeric_limits<std::uint32_t>::max()) {
    return bad(e, "ts " + e.ts.to_rfc3339() + " is outside pcap's time range (1970 to 2106)");
  }
  r.ts_sec = static_cast<std::uint32_t>(sec);
  r.ts_nsec = static_cast<std::uint32_t>(ns % ns_per_s);
  return r;
}

void append_pcap_file_header(std::string& out, std::uint32_t snaplen, std::uint32_t link_type) {
  put_u32(out, pcap_magic_nanoseconds);
  put_u16(out, pcap_version_major);
  put_u16(out, pcap_version_minor);
  put_u32(out, 0);  // thiszone: timestamps are UTC
  put_u32(out, 0);  // sigfigs: always 0 in practice
  put_u32(out, snaplen);
  put_u32(out, link_type);
}

void append_pcap_record(std::string& out, const packet_record& r, std::uint32_t snaplen) {
  const std::size_t kept = std::min<std::size_t>(r.data.size(), snaplen);
  put_u32(out, r.ts_sec);
  put_u32(out, r.ts_nsec);
  put_u32(out, static_cast<std::uint32_t>(kept));
  put_u32(out, r.wirelen);
  out.append(r.data.substr(0, kept));
}

}  // namespace coop::tm::detail
