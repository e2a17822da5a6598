// value: total order, equality, hashing, conformance and container helpers.
#include "coop/model/value.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

namespace coop::model {
namespace {

std::strong_ordering compare_seq(const std::vector<value>& a, const std::vector<value>& b) {
  return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
}

struct less_than {
  std::strong_ordering operator()(const none_t&, const none_t&) const { return std::strong_ordering::equal; }
  std::strong_ordering operator()(double a, double b) const {
    // Every NaN is one value, ordered after +inf; other reals in IEEE total
    // order (so -0.0 < +0.0). Formats need not keep NaN payloads or signs.
    bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? std::strong_ordering::equal : (na ? std::strong_ordering::greater : std::strong_ordering::less);
    return std::strong_order(a, b);
  }
  std::strong_ordering operator()(const set_value& a, const set_value& b) const {
    return compare_seq(a.elements, b.elements);
  }
  std::strong_ordering operator()(const vector_value& a, const vector_value& b) const {
    return compare_seq(a.elements, b.elements);
  }
  std::strong_ordering operator()(const record_value& a, const record_value& b) const {
    return compare_seq(a.fields, b.fields);
  }
  std::strong_ordering operator()(const table_value& a, const table_value& b) const {
    auto c = compare_seq(a.keys, b.keys);
    return c != 0 ? c : compare_seq(a.mapped, b.mapped);
  }
  template <class T>
  std::strong_ordering operator()(const T& a, const T& b) const {
    if constexpr (std::is_same_v<T, std::string>) {
      int c = a.compare(b);
      return c < 0 ? std::strong_ordering::less
                   : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
    } else {
      auto c = a <=> b;
      if (c < 0) return std::strong_ordering::less;
      if (c > 0) return std::strong_ordering::greater;
      return std::strong_ordering::equal;
    }
  }
};

inline std::size_t mix(std::size_t h, std::size_t v) noexcept {
  // 64-bit variant of boost::hash_combine's constant, with extra rotation.
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::size_t hash_bytes(const void* p, std::size_t n) noexcept {
  return std::hash<std::string_view>{}(std::string_view(static_cast<const char*>(p), n));
}

}  // namespace

std::strong_ordering operator<=>(const value& a, const value& b) {
  if (a.v_.index() != b.v_.index()) return a.v_.index() <=> b.v_.index();
  return std::visit(
      [&](const auto& x) -> std::strong_ordering {
        using T = std::decay_t<decltype(x)>;
        return less_than{}(x, std::get<T>(b.v_));
      },
      a.v_);
}

bool operator==(const value& a, const value& b) { return (a <=> b) == 0; }

value value::make_set(std::vector<value> elements) {
  std::sort(elements.begin(), elements.end());
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  return set_value{std::move(elements)};
}

value value::make_table(std::vector<std::pair<value, value>> entries) {
  // Stable sort keeps insertion order among equal keys; the last one wins.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  table_value t;
  for (auto& [k, v] : entries) {
    if (!t.keys.empty() && t.keys.back() == k) {
      t.mapped.back() = std::move(v);
      continue;
    }
    t.keys.push_back(std::move(k));
    t.mapped.push_back(std::move(v));
  }
  return t;
}

bool value::conforms(const type& t) const {
  if (is_none()) return true;
  if (kind() != t.kind()) return false;
  switch (t.kind()) {
    case type_kind::enumeration:
      return t.index_of(get<enum_value>().label) >= 0;
    case type_kind::set: {
      // Elements must be sorted and unique (value::make_set) as well as typed.
      const auto& el = get<set_value>().elements;
      for (std::size_t i = 0; i < el.size(); ++i) {
        if (el[i].is_none() || !el[i].conforms(t.element())) return false;
        if (i > 0 && !(el[i - 1] < el[i])) return false;
      }
      return true;
    }
    case type_kind::vector:
      return std::all_of(get<vector_value>().elements.begin(), get<vector_value>().elements.end(),
                         [&](const value& e) { return e.conforms(t.element()); });
    case type_kind::table: {
      const auto& tv = get<table_value>();
      if (tv.keys.size() != tv.mapped.size()) return false;
      for (std::size_t i = 0; i < tv.keys.size(); ++i) {
        if (i > 0 && !(tv.keys[i - 1] < tv.keys[i])) return false;  // sorted, unique keys
        if (tv.keys[i].is_none() || !tv.keys[i].conforms(t.element()) ||
            !tv.mapped[i].conforms(t.mapped()))
          return false;
      }
      return true;
    }
    case type_kind::record: {
      const auto& rv = get<record_value>();
      if (rv.fields.size() != t.params().size()) return false;
      for (std::size_t i = 0; i < rv.fields.size(); ++i) {
        if (!rv.fields[i].conforms(t.params()[i])) return false;
      }
      return true;
    }
    default: return true;
  }
}

std::size_t value::hash() const noexcept {
  std::size_t h = std::hash<std::size_t>{}(v_.index());
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, none_t>) {
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::uint64_t> ||
                             std::is_same_v<T, std::int64_t>) {
          h = mix(h, std::hash<T>{}(x));
        } else if constexpr (std::is_same_v<T, double>) {
          // Equal reals are bit-identical, except that every NaN is one value.
          std::uint64_t bits = 0;
          double canonical = std::isnan(x) ? std::numeric_limits<double>::quiet_NaN() : x;
          std::memcpy(&bits, &canonical, sizeof bits);
          h = mix(h, std::hash<std::uint64_t>{}(bits));
        } else if constexpr (std::is_same_v<T, std::string>) {
          h = mix(h, std::hash<std::string>{}(x));
        } else if constexpr (std::is_same_v<T, bytes>) {
          h = mix(h, std::hash<std::string>{}(x.data));
        } else if constexpr (std::is_same_v<T, enum_value>) {
          h = mix(h, std::hash<std::string>{}(x.label));
        } else if constexpr (std::is_same_v<T, address>) {
          h = mix(h, hash_bytes(x.bytes().data(), 16));
        } else if constexpr (std::is_same_v<T, subnet>) {
          h = mix(mix(h, hash_bytes(x.network().bytes().data(), 16)), x.length_v6());
        } else if constexpr (std::is_same_v<T, port>) {
          h = mix(h, (std::size_t{x.number} << 8) | static_cast<std::size_t>(x.proto));
        } else if constexpr (std::is_same_v<T, timestamp> || std::is_same_v<T, interval>) {
          h = mix(h, std::hash<std::int64_t>{}(x.ns));
        } else if constexpr (std::is_same_v<T, set_value> || std::is_same_v<T, vector_value>) {
          for (const auto& e : x.elements) h = mix(h, e.hash());
        } else if constexpr (std::is_same_v<T, record_value>) {
          for (const auto& e : x.fields) h = mix(h, e.hash());
        } else if constexpr (std::is_same_v<T, table_value>) {
          for (std::size_t i = 0; i < x.keys.size(); ++i) {
            h = mix(mix(h, x.keys[i].hash()), x.mapped[i].hash());
          }
        }
      },
      v_);
  return h;
}

}  // namespace coop::model
