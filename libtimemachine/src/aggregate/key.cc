// row_key, row_id, bucket_start and the order-preserving value encoding.
#include "aggregate/key.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "aggregate/aggregate.h"

namespace coop::tm::detail {
namespace row_keys {
namespace {

void append_be(std::string& out, std::uint64_t v, int bytes) {
  char buf[8];
  for (int i = 0; i < bytes; ++i) buf[i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xff);
  out.append(buf, static_cast<std::size_t>(bytes));
}

// Signed integers: flipping the sign bit makes unsigned byte order signed order.
void append_signed(std::string& out, std::int64_t v) {
  append_be(out, static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63), 8);
}

// IEEE total order as model::value orders reals: -0.0 before +0.0, every NaN
// one value after +inf.
void append_real(std::string& out, double d) {
  if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
  auto bits = std::bit_cast<std::uint64_t>(d);
  if (std::isnan(d)) bits &= ~(std::uint64_t{1} << 63);
  bits = (bits >> 63) != 0 ? ~bits : bits ^ (std::uint64_t{1} << 63);
  append_be(out, bits, 8);
}

// NUL is escaped as 00 ff and the text ends with 00 01, so a prefix sorts
// before its extensions and no encoding is a prefix of another.
void append_text(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xff');
  }
  out.push_back('\0');
  out.push_back('\x01');
}

void append_elements(std::string& out, const std::vector<model::value>& elements) {
  for (const auto& e : elements) {
    out.push_back('\x01');
    append_value(out, e);
  }
  out.push_back('\0');
}

}  // namespace

void append_prefix(std::string& out, std::string_view type_name, std::uint32_t version,
                   std::int64_t bucket_ns) {
  out.append(type_name);
  out.push_back('\0');
  append_signed(out, bucket_ns);
  append_be(out, version, 4);
}

void append_value(std::string& out, const model::value& v) {
  using model::type_kind;
  out.push_back(static_cast<char>(v.kind()));
  switch (v.kind()) {
    case type_kind::none: return;
    case type_kind::boolean: out.push_back(v.get<bool>() ? '\x01' : '\0'); return;
    case type_kind::count: append_be(out, v.get<std::uint64_t>(), 8); return;
    case type_kind::integer: append_signed(out, v.get<std::int64_t>()); return;
    case type_kind::real: append_real(out, v.get<double>()); return;
    case type_kind::string: append_text(out, v.get<std::string>()); return;
    case type_kind::bytes: append_text(out, v.get<model::bytes>().data); return;
    case type_kind::address: {
      const auto& b = v.get<model::address>().bytes();
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
      return;
    }
    case type_kind::subnet: {
      const auto& s = v.get<model::subnet>();
      const auto& b = s.network().bytes();
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
      out.push_back(static_cast<char>(s.length_v6()));
      return;
    }
    case type_kind::port: {
      const auto& p = v.get<model::port>();
      append_be(out, p.number, 2);
      out.push_back(static_cast<char>(p.proto));
      return;
    }
    case type_kind::time: append_signed(out, v.get<model::timestamp>().ns); return;
    case type_kind::interval: append_signed(out, v.get<model::interval>().ns); return;
    case type_kind::enumeration: append_text(out, v.get<model::enum_value>().label); return;
    case type_kind::set: append_elements(out, v.get<model::set_value>().elements); return;
    case type_kind::vector: append_elements(out, v.get<model::vector_value>().elements); return;
    case type_kind::record: append_elements(out, v.get<model::record_value>().fields); return;
    case type_kind::table: {
      const auto& t = v.get<model::table_value>();
      for (std::size_t i = 0; i < t.keys.size(); ++i) {
        out.push_back('\x01');
        append_value(out, t.keys[i]);
        append_value(out, i < t.mapped.size() ? t.mapped[i] : model::value{});
      }
      out.push_back('\0');
      return;
    }
  }
}

}  // namespace row_keys

std::optional<model::timestamp> bucket_start(model::timestamp ts, model::interval bucket) noexcept {
  if (bucket.ns <= 0) return ts;
  std::int64_t q = ts.ns / bucket.ns;
  const std::int64_t r = ts.ns % bucket.ns;
  if (r < 0) --q;  // C++ division truncates toward zero; floor for negative times
  // q * bucket.ns <= ts.ns always; it can only fall below the range when q < 0.
  if (q < std::numeric_limits<std::int64_t>::min() / bucket.ns) return std::nullopt;
  return model::timestamp{q * bucket.ns};
}

std::string row_key(const model::event& row, const tier& t) {
  const auto& s = row.type();
  const auto start = bucket_start(row.ts, t.bucket).value_or(row.ts);
  std::string out;
  out.reserve(s.name().size() + 16 + 20 * t.keys.size());
  row_keys::append_prefix(out, s.name(), s.version(), start.ns);
  for (const auto& k : t.keys) {
    if (auto i = s.index_of(k); i && *i < row.size()) row_keys::append_value(out, row.field(*i));
  }
  return out;
}

model::event_id row_id(const tier& t, std::string_view key) noexcept {
  // Two chains of 64-bit words through the splitmix64 finaliser (a
  // bijection), seeded differently, over a domain tag, the tier name and the
  // key; words are read little-endian so ids are the same on every host.
  // Changing this function changes the ids of stored rows.
  auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  std::uint64_t a = 0x636f6f702d746d31ULL, b = 0x9e3779b97f4a7c15ULL;
  std::uint64_t total = 0;
  auto feed = [&](std::string_view bytes) {
    total += bytes.size();
    while (!bytes.empty()) {
      std::uint64_t w = 0;
      const std::size_t n = std::min<std::size_t>(8, bytes.size());
      for (std::size_t i = 0; i < n; ++i) {
        w |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
      }
      w ^= std::uint64_t{n} << 60;  // a short final word differs from a padded full one
      a = mix(a ^ w);
      b = mix(b + w);
      bytes.remove_prefix(n);
    }
  };
  feed("coop-tm-row");
  feed(t.name);
  a = mix(a ^ total);  // separates the tier name from the key
  b = mix(b + total);
  feed(key);
  return {mix(a ^ total), mix(b + ~total)};
}

}  // namespace coop::tm::detail
