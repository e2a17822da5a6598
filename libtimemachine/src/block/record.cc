// Stored records: packing uids, deriving Community IDs (record.h).
#include "block/record.h"

#include <array>
#include <cstdio>

#include "block/endian.h"
#include "coop/model/community_id.h"

namespace coop::tm::detail {
namespace {

// A uid packs when it is one character and then 1 to 40 base-62 digits,
// stored at 6 bits a digit: for the digit counts uids have, as many bytes
// as their value in binary would take (17 digits: 101.2 bits, 13 bytes),
// and packing and unpacking need only shifts.
constexpr std::size_t max_uid_digits = 40;

constexpr std::size_t digit_bytes(std::size_t n) noexcept { return (6 * n + 7) / 8; }

// The digit values of the characters, 0xff for the others.
constexpr std::array<std::uint8_t, 256> digit_values = [] {
  std::array<std::uint8_t, 256> v{};
  v.fill(0xff);
  for (unsigned c = 0; c < 10; ++c) v['0' + c] = static_cast<std::uint8_t>(c);
  for (unsigned c = 0; c < 26; ++c) v['A' + c] = static_cast<std::uint8_t>(10 + c);
  for (unsigned c = 0; c < 26; ++c) v['a' + c] = static_cast<std::uint8_t>(36 + c);
  return v;
}();

// The characters of the digit values; 62 and 63 are not digits (refused).
constexpr char digit_chars[65] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz??";

// Appends the packed form of `uid` to `out`: false (nothing appended) when
// it has not the packable shape.
bool pack_uid(std::string_view uid, std::string& out) {
  if (uid.size() < 2 || uid.size() > 1 + max_uid_digits) return false;
  const std::size_t n = uid.size() - 1;
  const std::size_t start = out.size();
  out.push_back(uid[0]);
  out.push_back(static_cast<char>(n));
  std::uint32_t bits = 0;  // pending bits, the oldest highest
  unsigned pending = 0;
  for (std::size_t i = 1; i < uid.size(); ++i) {
    const std::uint8_t d = digit_values[static_cast<unsigned char>(uid[i])];
    if (d == 0xff) {
      out.resize(start);
      return false;
    }
    bits = (bits << 6) | d;
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      out.push_back(static_cast<char>(bits >> pending));
    }
  }
  if (pending != 0) out.push_back(static_cast<char>(bits << (8 - pending)));
  return true;
}

// Bytes of the packed uid at the start of `packed`, 0 when damaged.
std::size_t packed_uid_size(std::string_view packed) {
  if (packed.size() < 2) return 0;
  const auto n = static_cast<std::uint8_t>(packed[1]);
  if (n == 0 || n > max_uid_digits) return 0;
  const std::size_t size = 2 + digit_bytes(n);
  return size <= packed.size() ? size : 0;
}

// The uid packed in `packed` (sized by packed_uid_size), into `out`; false
// when a digit is out of range.
bool unpack_uid(std::string_view packed, std::string& out) {
  const auto n = static_cast<std::uint8_t>(packed[1]);
  out.resize(1 + std::size_t{n});
  out[0] = packed[0];
  std::uint32_t bits = 0;
  unsigned pending = 0;
  std::size_t in = 2;
  unsigned bad = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    if (pending < 6) {
      bits = (bits << 8) | static_cast<std::uint8_t>(packed[in++]);
      pending += 8;
    }
    pending -= 6;
    const unsigned d = (bits >> pending) & 63u;
    bad |= d >= 62 ? 1u : 0u;
    out[i] = digit_chars[d];
  }
  return bad == 0;
}

// The layout of `e`'s schema, computed on first sight. The cache holds the
// schema, so its address cannot be reused by another while it is cached.
const record_layout& layout_of(std::vector<record_layout>& cache, const model::event& e) {
  const model::schema* s_ptr = &e.type();
  for (const auto& l : cache) {
    if (l.type.get() == s_ptr) return l;
  }
  if (cache.size() >= 64) cache.clear();  // bounded
  const model::schema& s = *s_ptr;
  record_layout l;
  l.type = e.schema_ptr();
  auto find = [&](std::string_view name, model::type_kind kind) {
    auto i = s.index_of(name);
    return i && s[*i].ty.kind() == kind ? *i : record_layout::none;
  };
  l.community_id = find("community_id", model::type_kind::string);
  // Only an optional field can be left out of a message.
  if (l.community_id != record_layout::none && !s[l.community_id].optional) {
    l.community_id = record_layout::none;
  }
  if (l.community_id != record_layout::none) {
    l.orig_h = find("orig_h", model::type_kind::address);
    l.orig_p = find("orig_p", model::type_kind::port);
    l.resp_h = find("resp_h", model::type_kind::address);
    l.resp_p = find("resp_p", model::type_kind::port);
  }
  cache.push_back(std::move(l));
  return cache.back();
}

// The Community ID of `e`'s 5-tuple into `out`; false when it has none (a
// field unset, ports of two transports, or a transport it does not cover).
bool tuple_community_id(const model::event& e, const record_layout& l, std::string& out) {
  if (l.orig_h == record_layout::none || l.orig_p == record_layout::none ||
      l.resp_h == record_layout::none || l.resp_p == record_layout::none) {
    return false;
  }
  const auto* oh = e.field(l.orig_h).get_if<model::address>();
  const auto* op = e.field(l.orig_p).get_if<model::port>();
  const auto* rh = e.field(l.resp_h).get_if<model::address>();
  const auto* rp = e.field(l.resp_p).get_if<model::port>();
  if (!oh || !op || !rh || !rp || op->proto != rp->proto) return false;
  const std::uint8_t proto = model::community_id_protocol(op->proto);
  if (proto == 0) return false;
  return model::community_id(*oh, op->number, *rh, rp->number, proto, out);
}

}  // namespace

const char* next_record(std::string_view payload, std::size_t& pos, stored_record& out) {
  if (payload.size() - pos < 4) return "truncated record";
  const std::uint32_t word = get_le32(payload, pos);
  const std::size_t len = word & record_length_mask;
  if (len > payload.size() - pos - 4) return "record overruns the block";
  out.flags = word & ~record_length_mask;
  std::string_view body = payload.substr(pos + 4, len);
  pos += 4 + len;
  if (out.flags == 0) {
    out.packed = {};
    out.message = body;
    return nullptr;
  }
  if ((out.flags & ~record_known_flags) != 0) {
    static thread_local char why[48];
    std::snprintf(why, sizeof why, "unknown record flags 0x%08x", out.flags);
    return why;
  }
  std::size_t packed = 0;
  if ((out.flags & record_packed_uid) != 0) {
    packed = packed_uid_size(body);
    if (packed == 0) return "damaged packed uid";
  }
  out.packed = body.substr(0, packed);
  out.message = body.substr(packed);
  return nullptr;
}

bool packed_record_uid(const stored_record& r, std::string& out) {
  if ((r.flags & record_packed_uid) == 0) return false;
  return unpack_uid(r.packed, out);
}

model::result<void> record_writer::append(std::string& payload, const model::event& e) {
  std::uint32_t flags = 0;
  model::encode_omissions omit;
  packed_.clear();
  if (!e.uid.empty() && pack_uid(e.uid, packed_)) {
    flags |= record_packed_uid;
    omit.uid = true;
  }
  const record_layout& l = layout_of(layouts_, e);
  if (l.community_id != record_layout::none) {
    const auto* cid = e.field(l.community_id).get_if<std::string>();
    if (cid && cid->size() == model::community_id_length && cid->starts_with("1:") &&
        tuple_community_id(e, l, computed_) && computed_ == *cid) {
      flags |= record_derived_community_id;
      omit.field = l.community_id;
    }
  }
  auto bytes = flags == 0 ? enc_.encode(e) : enc_.encode(e, omit);
  if (!bytes) return bytes.err();
  if (packed_.size() + bytes->size() > record_length_mask) {
    return model::error{model::errc::invalid_argument,
                        e.type().name() + " event encodes to " + std::to_string(bytes->size()) +
                            " bytes, more than a stored record may take"};
  }
  put_le32(payload, static_cast<std::uint32_t>(packed_.size() + bytes->size()) | flags);
  payload += packed_;
  payload.append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  return {};
}

model::result<void> record_reader::decode(const stored_record& r, const model::registry& types,
                                          model::event& out) {
  auto span = std::as_bytes(std::span<const char>(r.message.data(), r.message.size()));
  if (auto d = model::decode_into(span, types, out); !d) return d;
  if (r.flags == 0) return {};
  if ((r.flags & record_packed_uid) != 0 && !unpack_uid(r.packed, out.uid)) {
    return model::error{model::errc::corruption, "damaged packed uid"};
  }
  if ((r.flags & record_derived_community_id) != 0) {
    const record_layout& l = layout_of(layouts_, out);
    if (l.community_id == record_layout::none || !tuple_community_id(out, l, computed_)) {
      return model::error{model::errc::corruption,
                          "the record's community_id is marked derived, but its " +
                              out.type().name() + " event has no 5-tuple to derive it from"};
    }
    out.field(l.community_id) = model::value(computed_);
  }
  return {};
}

}  // namespace coop::tm::detail
