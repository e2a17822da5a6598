#include "index/keys.h"

#include <algorithm>

#include "coop/model/address.h"
#include "coop/model/value.h"

namespace coop::tm::detail {

namespace {

std::string addr_key(const model::address& a) {
  std::string k(1, 'a');
  k.append(reinterpret_cast<const char*>(a.bytes().data()), 16);
  return k;
}

std::string port_key(const model::port& p) {
  std::string k(1, 'p');
  k.push_back(static_cast<char>(p.proto));
  k.push_back(static_cast<char>(p.number >> 8));
  k.push_back(static_cast<char>(p.number & 0xff));
  return k;
}

std::string string_key(std::string_view field, std::string_view s) {
  std::string k(1, 's');
  k.append(field);
  k.push_back('\0');
  k.append(s);
  return k;
}

// True when string field `field` is indexed (no allocation: the set holds
// a few names).
bool indexed_string(const index_config& cfg, std::string_view field) {
  for (const auto& name : cfg.strings) {
    if (name == field) return true;
  }
  return false;
}

void keys_of_value(const model::value& v, std::string_view field, const index_config& cfg,
                   char record, std::vector<std::string>& out, block_key_set* seen) {
  if (const auto* a = v.get_if<model::address>()) {
    out.push_back(addr_key(*a));
    out.back().push_back(record);
  } else if (const auto* p = v.get_if<model::port>()) {
    const std::uint32_t code = std::uint32_t{static_cast<std::uint8_t>(p->proto)} << 16 | p->number;
    if (seen == nullptr || seen->first_port(code)) out.push_back(port_key(*p));
  } else if (const auto* s = v.get_if<std::string>()) {
    if (!cfg.strings.empty() && indexed_string(cfg, field)) {
      out.push_back(string_key(field, *s));
      out.back().push_back(record);
    }
  } else if (const auto* set = v.get_if<model::set_value>()) {
    for (const auto& el : set->elements) keys_of_value(el, field, cfg, record, out, seen);
  } else if (const auto* vec = v.get_if<model::vector_value>()) {
    for (const auto& el : vec->elements) keys_of_value(el, field, cfg, record, out, seen);
  }
}

}  // namespace

bool block_key_set::first_type(std::string_view key) {
  for (const auto& t : types_) {
    if (t == key) return false;
  }
  types_.emplace_back(key);
  return true;
}

bool block_key_set::first_port(std::uint32_t p) noexcept {
  if (port_count_ >= slots / 2) return true;  // full enough: let duplicates through
  if (ports_.empty()) ports_.assign(slots, 0);
  const std::uint32_t stored = p + 1;  // 0 marks an empty slot
  std::size_t i = (p * 0x9e3779b1u) >> 22;  // top 10 bits: 0..1023
  while (ports_[i] != 0) {
    if (ports_[i] == stored) return false;
    i = (i + 1) & (slots - 1);
  }
  ports_[i] = stored;
  ++port_count_;
  return true;
}

void block_key_set::clear() noexcept {
  types_.clear();
  if (port_count_ > 0) std::fill(ports_.begin(), ports_.end(), 0);
  port_count_ = 0;
}

std::string type_key(std::string_view name) {
  std::string k(1, 't');
  k.append(name);
  return k;
}

void index_keys(const model::event& e, const index_config& cfg, std::uint8_t record,
                std::vector<std::string>& out, block_key_set* seen) {
  if (seen == nullptr || seen->first_type(e.type().name())) out.push_back(type_key(e.type().name()));
  const auto& fields = e.type().fields();
  const char tag = static_cast<char>(record);
  for (std::size_t i = 0; i < e.size(); ++i) {
    keys_of_value(e.field(i), fields[i].name, cfg, tag, out, seen);
  }
}

std::optional<std::vector<key_probe>> probes_for(const model::filter_hints& hints,
                                                 const index_config& cfg) {
  if (!hints.any_of) return std::nullopt;
  std::vector<key_probe> probes;
  for (const auto& t : *hints.any_of) {
    key_probe p;
    using kind = model::index_term::kind;
    if (t.field == "uid" && t.what == kind::equals) {
      const auto* s = t.lo.get_if<std::string>();
      if (s == nullptr) return std::nullopt;
      p.uid = *s;
    } else if (t.what == kind::equals) {
      if (const auto* a = t.lo.get_if<model::address>()) {
        p.lo = addr_key(*a);
      } else if (const auto* port = t.lo.get_if<model::port>()) {
        p.lo = port_key(*port);
      } else if (const auto* s = t.lo.get_if<std::string>()) {
        if (cfg.strings.count(t.field) == 0) return std::nullopt;
        p.lo = string_key(t.field, *s);
      } else {
        return std::nullopt;
      }
    } else if (t.what == kind::subnet) {
      const auto* net = t.lo.get_if<model::subnet>();
      if (net == nullptr) return std::nullopt;
      auto lo = net->network().bytes();
      auto hi = lo;
      unsigned len = net->length_v6();
      for (unsigned bit = len; bit < 128; ++bit) {
        hi[bit / 8] = static_cast<std::uint8_t>(hi[bit / 8] | (0x80u >> (bit % 8)));
      }
      p.lo = addr_key(model::address::v6(lo));
      p.hi = addr_key(model::address::v6(hi));
    } else {  // range
      const auto* a = t.lo.get_if<model::port>();
      const auto* b = t.hi.get_if<model::port>();
      const auto* x = t.lo.get_if<model::address>();
      const auto* y = t.hi.get_if<model::address>();
      if (a != nullptr && b != nullptr) {
        if (a->proto != b->proto) return std::nullopt;
        p.lo = port_key(*a);
        p.hi = port_key(*b);
      } else if (x != nullptr && y != nullptr) {
        p.lo = addr_key(*x);
        p.hi = addr_key(*y);
      } else {
        return std::nullopt;
      }
    }
    probes.push_back(std::move(p));
  }
  return probes;
}

}  // namespace coop::tm::detail
