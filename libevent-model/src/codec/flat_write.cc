// The direct event writer (see flat.h): lays out the message of section 3
// of docs/format-binary.md word by word, checking and writing the fields in
// one pass. It must stay byte-identical to write_event() through capnp; the
// test vectors and the codec tests compare the two.
#include <algorithm>
#include <cstring>
#include <string>

#include "codec/flat.h"
#include "codec/payload.h"

namespace coop::model::detail {
namespace {

// A Cap'n Proto list pointer of bytes, at segment word `from`, to an object
// at segment word `to` of `count` bytes.
std::uint64_t byte_list_pointer(std::size_t from, std::size_t to, std::size_t count) noexcept {
  const auto offset = static_cast<std::int64_t>(to) - static_cast<std::int64_t>(from) - 1;
  const auto lo = static_cast<std::uint32_t>(static_cast<std::uint64_t>(offset) << 2) | 1u;
  const std::uint64_t hi = 2u | (static_cast<std::uint64_t>(count) << 3);  // 2: one byte each
  return lo | hi << 32;
}

// The root pointer of our messages: the Event struct right after it.
constexpr std::uint64_t root_pointer =
    std::uint64_t{event_data_words} << 32 | std::uint64_t{event_pointer_count} << 48;

// Copies `n` bytes to `p` and zeroes the rest of `words` words (a Text's
// NUL is one of those zeroes).
void put_blob(unsigned char* p, const char* s, std::size_t n, std::size_t words) noexcept {
  if (n != 0) std::memcpy(p, s, n);
  std::memset(p + n, 0, words * 8 - n);
}

void put_word(unsigned char* p, std::uint64_t v) noexcept { store_le(v, p, 8); }

}  // namespace

result<std::size_t> write_event_flat(const event& e, word_buffer& buf,
                                     const encode_omissions& omit) {
  // The same checks as write_event(), in the same order, with the same words.
  if (!e.has_type()) return error{errc::invalid_argument, "event has no type"};
  const schema& s = e.type();
  const std::size_t n = s.size();
  if (e.size() != n) {
    return error{errc::invalid_argument, s.name() + ": event has " + std::to_string(e.size()) +
                                             " fields, its schema " + std::to_string(n)};
  }
  // The envelope's strings usually live on the heap, away from the event:
  // start fetching them now (the field values, contiguous, are left to the
  // hardware prefetcher: asking for each of their lines measured slower).
  __builtin_prefetch(e.uid.data());
  __builtin_prefetch(e.from.site.data());
  __builtin_prefetch(e.from.sensor.data());
  const std::string& name = s.name();
  const std::string& site = e.from.site;
  const std::string& sensor = e.from.sensor;
  static const std::string no_uid;
  const std::string& uid = omit.uid ? no_uid : e.uid;
  if (std::max({name.size(), site.size(), sensor.size(), uid.size(), n}) >= flat_max_bytes) {
    return std::size_t{0};  // giant: capnp decides
  }

  // Where everything goes, in segment words: the root pointer, the struct,
  // the non-empty texts, kinds, then the payload.
  std::size_t w = 1 + event_data_words + event_pointer_count;
  const std::size_t name_at = w;
  w += text_words(name.size());
  const std::size_t site_at = w;
  w += site.empty() ? 0 : text_words(site.size());
  const std::size_t sensor_at = w;
  w += sensor.empty() ? 0 : text_words(sensor.size());
  const std::size_t uid_at = w;
  w += uid.empty() ? 0 : text_words(uid.size());
  const std::size_t kinds_at = w;
  w += data_words(n);
  const std::size_t payload_at = w;

  // Room for the payload: 21 bytes a field hold any value but a long string
  // (a subnet takes 17 bytes, a short string at most 21) and the 8 bytes a
  // wide store may write past a value's end (payload.h); a longer string
  // adds its size as it comes. The 8 more cover the final padding.
  std::size_t room = 8 * (1 + payload_at) + 21 * n + 8;
  if (buf.size() * 8 < room) buf.resize(std::max(room / 8 + 1, buf.size() * 2));
  auto* base = reinterpret_cast<unsigned char*>(buf.data());
  std::size_t pos = 8 * (1 + payload_at);  // the next payload byte, from the buffer's start

  // One pass over the fields: check each, write its kind byte and payload.
  unsigned char* kinds = base + 8 * (1 + kinds_at);
  for (std::size_t i = 0; i < n; ++i) {
    const field& f = s[i];
    const value& v = e.field(i);
    if (v.is_none() || i == omit.field) {
      if (!f.optional) {
        return error{errc::invalid_argument, s.name() + "." + f.name +
                                                 (v.is_none() ? ": required field is unset"
                                                              : ": a required field cannot be omitted")};
      }
      kinds[i] = 0;
      continue;
    }
    const type_kind k = v.kind();
    if (k != f.ty.kind()) return prefixed(s.name() + "." + f.name, kind_mismatch(f.ty, k));
    if (is_nested_kind(static_cast<unsigned>(k))) return std::size_t{0};  // capnp writes these
    if (k == type_kind::enumeration) {
      const auto& label = v.get<enum_value>().label;
      if (f.ty.index_of(label) < 0) {
        return error{errc::invalid_argument, s.name() + "." + f.name + ": '" + label +
                                                 "' is not a label of " + f.ty.to_string()};
      }
    }
    std::size_t bytes = 0;
    const unsigned char code = code_of(v, bytes);
    if (bytes > 21) {  // a long string: make room for its characters
      if (bytes >= flat_max_bytes) return std::size_t{0};
      room += bytes;
      if (buf.size() * 8 < room) {
        buf.resize(std::max(room / 8 + 1, buf.size() * 2));
        base = reinterpret_cast<unsigned char*>(buf.data());
        kinds = base + 8 * (1 + kinds_at);
      }
    }
    kinds[i] = code;
    put_value<true>(base + pos, v, code);
    pos += bytes;
  }
  const std::size_t payload = pos - 8 * (1 + payload_at);
  if (payload >= flat_max_bytes) return std::size_t{0};
  std::memset(kinds + n, 0, data_words(n) * 8 - n);
  std::memset(base + pos, 0, data_words(payload) * 8 - payload);
  w += data_words(payload);

  // The segment table, the root pointer and the struct.
  unsigned char* seg = base + 8;
  put_word(base, std::uint64_t{w} << 32);  // one segment (count - 1 = 0) of w words
  put_word(seg, root_pointer);
  unsigned char* data = seg + 8;
  put_word(data, s.version());
  put_word(data + 8, static_cast<std::uint64_t>(e.ts.ns));
  put_word(data + 16, e.id.hi);
  put_word(data + 24, e.id.lo);
  const std::size_t ptr0 = 1 + event_data_words;  // segment word of pointer 0
  unsigned char* ptrs = seg + 8 * ptr0;
  auto text = [&](event_pointer which, const std::string& t, std::size_t at, bool present) {
    if (!present) {
      put_word(ptrs + 8 * which, 0);  // empty: a null pointer
      return;
    }
    put_word(ptrs + 8 * which, byte_list_pointer(ptr0 + which, at, t.size() + 1));
    put_blob(seg + 8 * at, t.data(), t.size(), text_words(t.size()));
  };
  text(ptr_type_name, name, name_at, true);
  text(ptr_site, site, site_at, !site.empty());
  text(ptr_sensor, sensor, sensor_at, !sensor.empty());
  text(ptr_uid, uid, uid_at, !uid.empty());
  put_word(ptrs + 8 * ptr_kinds, byte_list_pointer(ptr0 + ptr_kinds, kinds_at, n));
  put_word(ptrs + 8 * ptr_payload,
           payload == 0 ? 0 : byte_list_pointer(ptr0 + ptr_payload, payload_at, payload));
  put_word(ptrs + 8 * ptr_nested, 0);
  return 8 * (1 + w);
}

}  // namespace coop::model::detail
