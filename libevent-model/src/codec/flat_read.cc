// The direct event reader (see flat.h): reads the envelope and the field
// arrays of a one-segment Event message with plain loads. Every check capnp
// makes on these pointers is made here too (kind, element size, bounds, the
// Text's NUL, the traversal limit); where one fails, or the message uses a
// form this reader does not handle, it declines and capnp reads the message
// (and words the error) as before.
#include "codec/flat.h"

namespace coop::model::detail {
namespace {

std::uint64_t load64(const unsigned char* p) noexcept { return load_le(p, 8); }

// The signed word offset of a struct or list pointer (bits 2..31).
std::int64_t pointer_offset(std::uint64_t raw) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)) >> 2;
}

// Reads one message's segment, counting words against the traversal limit
// as capnp does (the root pointer, then each struct's and each blob's size
// when it is read).
class flat_reader {
 public:
  flat_reader(const unsigned char* segment, std::uint64_t words, std::uint64_t budget) noexcept
      : seg_(segment), words_(words), budget_(budget) {}

  bool charge(std::uint64_t words) noexcept {
    if (words > budget_) return false;
    budget_ -= words;
    return true;
  }

  // The bytes of the byte-list pointer at segment word `at`; a null pointer
  // is empty. `text`: a Text, which must end with a NUL (not counted).
  bool blob(std::uint64_t at, bool text, const unsigned char*& out, std::size_t& size) noexcept {
    out = nullptr;
    size = 0;
    const std::uint64_t raw = load64(seg_ + 8 * at);
    if (raw == 0) return true;
    if ((raw & 3) != 1 || ((raw >> 32) & 7) != 2) return false;  // a list of bytes
    const std::uint64_t count = raw >> 35;
    const std::int64_t target = static_cast<std::int64_t>(at) + 1 + pointer_offset(raw);
    const std::uint64_t words = data_words(count);
    if (target < 0 || static_cast<std::uint64_t>(target) > words_ ||
        words > words_ - static_cast<std::uint64_t>(target) || !charge(words)) {
      return false;
    }
    const unsigned char* p = seg_ + 8 * static_cast<std::uint64_t>(target);
    if (text) {
      if (count == 0 || p[count - 1] != 0) return false;
      size = static_cast<std::size_t>(count - 1);
    } else {
      size = static_cast<std::size_t>(count);
    }
    out = p;
    return true;
  }

  const unsigned char* segment() const noexcept { return seg_; }

 private:
  const unsigned char* seg_;
  std::uint64_t words_;
  std::uint64_t budget_;
};

std::string_view as_text(const unsigned char* p, std::size_t n) noexcept {
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
}

}  // namespace

bool read_event_flat(std::span<const std::byte> bytes, const decode_limits& limits, envelope& env,
                     dense_fields& d) noexcept {
  const auto* m = reinterpret_cast<const unsigned char*>(bytes.data());
  // check_single_frame has made sure of the table and that the segments
  // fill `bytes` exactly; only one-segment messages are read here.
  if (bytes.size() < 16 || load_le(m, 4) != 0) return false;
  const std::uint64_t words = load_le(m + 4, 4);
  if (8 + 8 * words != bytes.size()) return false;
  flat_reader r(m + 8, words, limits.max_traversal_words);

  // The root pointer: a struct pointer (a null root is left to capnp).
  // capnp charges its word twice (locating the root, then reading it).
  if (!r.charge(2)) return false;
  const std::uint64_t root = load64(r.segment());
  if (root == 0 || (root & 3) != 0) return false;
  const std::int64_t at = 1 + pointer_offset(root);
  const std::uint64_t data_size = (root >> 32) & 0xffff;  // words
  const std::uint64_t ptr_count = root >> 48;
  if (at < 0 || static_cast<std::uint64_t>(at) + data_size + ptr_count > words ||
      !r.charge(data_size + ptr_count)) {
    return false;
  }
  const auto start = static_cast<std::uint64_t>(at);
  // Fields beyond a (shorter, older) struct's end read as zero or null.
  const unsigned char* data = r.segment() + 8 * start;
  env.version = data_size > 0 ? static_cast<std::uint32_t>(load_le(data, 4)) : 0;
  env.ts = data_size > 1 ? static_cast<std::int64_t>(load64(data + 8)) : 0;
  env.id_hi = data_size > 2 ? load64(data + 16) : 0;
  env.id_lo = data_size > 3 ? load64(data + 24) : 0;

  const std::uint64_t ptr0 = start + data_size;
  auto blob = [&](event_pointer which, bool text, const unsigned char*& p, std::size_t& n) {
    if (which >= ptr_count) {
      p = nullptr;
      n = 0;
      return true;
    }
    return r.blob(ptr0 + which, text, p, n);
  };
  const unsigned char* p = nullptr;
  std::size_t n = 0;
  if (!blob(ptr_type_name, true, p, n)) return false;
  env.type_name = as_text(p, n);
  if (!blob(ptr_site, true, p, n)) return false;
  env.site = as_text(p, n);
  if (!blob(ptr_sensor, true, p, n)) return false;
  env.sensor = as_text(p, n);
  if (!blob(ptr_uid, true, p, n)) return false;
  env.uid = as_text(p, n);
  if (!blob(ptr_kinds, false, d.kinds, d.count)) return false;
  if (!blob(ptr_payload, false, d.payload, d.payload_size)) return false;
  d.payload_readable =
      d.payload ? static_cast<std::size_t>(r.segment() + 8 * words - d.payload) : 0;
  // Containers are read through capnp.
  if (ptr_nested < ptr_count && load64(r.segment() + 8 * (ptr0 + ptr_nested)) != 0) return false;
  d.nested = {};
  return true;
}

}  // namespace coop::model::detail
