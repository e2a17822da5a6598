#include "rules/reducer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <string_view>

#include "coop/model/catalogue.h"

namespace coop::tm::detail {

namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);
// Projection plans cached at most; beyond that the cache starts over (it
// only grows past a few dozen when events arrive with ever new schema
// objects).
constexpr std::size_t max_projections = 256;

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::size_t index_or_npos(const model::schema& s, std::string_view name) noexcept {
  auto i = s.index_of(name);
  return i ? *i : npos;
}

const model::value* field_at(const model::event& e, std::size_t i) noexcept {
  return i < e.size() ? &e.field(i) : nullptr;
}

// Hashes the endpoints in a canonical order, so both directions of a
// connection give the same key; 0 if an endpoint is missing.
std::uint64_t endpoint_key(const model::value* oh, const model::value* op, const model::value* rh,
                           const model::value* rp) noexcept {
  if (oh == nullptr || op == nullptr || rh == nullptr || rp == nullptr) return 0;
  const auto* a_h = oh->get_if<model::address>();
  const auto* a_p = op->get_if<model::port>();
  const auto* b_h = rh->get_if<model::address>();
  const auto* b_p = rp->get_if<model::port>();
  if (a_h == nullptr || a_p == nullptr || b_h == nullptr || b_p == nullptr) return 0;
  const int order = std::memcmp(a_h->bytes().data(), b_h->bytes().data(), 16);
  if (order > 0 || (order == 0 && a_p->number > b_p->number)) {
    std::swap(a_h, b_h);
    std::swap(a_p, b_p);
  }
  std::array<char, 38> buf{};
  std::memcpy(buf.data(), a_h->bytes().data(), 16);
  std::memcpy(buf.data() + 16, b_h->bytes().data(), 16);
  buf[32] = static_cast<char>(a_p->number >> 8);
  buf[33] = static_cast<char>(a_p->number & 0xff);
  buf[34] = static_cast<char>(b_p->number >> 8);
  buf[35] = static_cast<char>(b_p->number & 0xff);
  buf[36] = static_cast<char>(a_p->proto);
  buf[37] = static_cast<char>(b_p->proto);
  // Odd keys for endpoints, even for uids: the two never collide.
  return std::hash<std::string_view>{}(std::string_view(buf.data(), buf.size())) | 1;
}

std::uint64_t uid_key(const std::string& uid) noexcept {
  return std::hash<std::string_view>{}(uid) & ~std::uint64_t{1};
}

}  // namespace

reducer::reducer(rule_set rules, std::size_t max_connections)
    : rules_(std::move(rules)), state_(rules_.rules().size()), connections_(max_connections) {}

reducer::verdict reducer::apply(model::event& e) {
  const std::vector<rule>& rules = rules_.rules();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const rule& r = rules[i];
    if (!r.match.matches(e, e.ts)) continue;
    rule_state& st = state_[i];
    ++st.matched;
    bool keep = true;
    switch (r.action) {
      case rule_action::keep: break;
      case rule_action::drop: keep = false; break;
      case rule_action::sample: keep = st.seen++ % r.every == 0; break;
      case rule_action::project: project(i, e); break;
      case rule_action::rate: {
        const std::int64_t w = floor_div(e.ts.ns, std::max<std::int64_t>(1, r.rate_window.ns));
        // An event older than the current window (out of order) counts
        // against the current one rather than reopening the past.
        if (w > st.window) {
          st.window = w;
          st.in_window = 0;
        }
        keep = st.in_window < r.per_second;
        if (keep) ++st.in_window;
        break;
      }
    }
    if (!keep) {
      ++st.dropped;
      return verdict::drop;
    }
    break;
  }
  if (rules_.packet_cutoff() != 0 && e.has_type() && e.type().name() == model::catalogue::packet &&
      cut_off(e)) {
    ++cutoff_dropped_;
    return verdict::drop;
  }
  return verdict::keep;
}

const reducer::projection& reducer::projection_for(std::size_t rule_index, const model::event& e) {
  const model::schema* s = e.schema_ptr().get();
  for (const projection& p : projections_) {
    if (p.rule == rule_index && p.type.get() == s) return p;
  }
  if (projections_.size() >= max_projections) projections_.clear();
  projection p{e.schema_ptr(), rule_index, std::vector<bool>(s->size())};
  const std::vector<std::string>& listed = rules_.rules()[rule_index].fields;
  for (std::size_t f = 0; f < s->size(); ++f) {
    const model::field& fd = (*s)[f];
    p.keep[f] = !fd.optional || std::find(listed.begin(), listed.end(), fd.name) != listed.end();
  }
  projections_.push_back(std::move(p));
  return projections_.back();
}

void reducer::project(std::size_t rule_index, model::event& e) {
  if (!e.has_type()) return;
  const projection& p = projection_for(rule_index, e);
  const std::size_t n = std::min(p.keep.size(), e.size());
  for (std::size_t f = 0; f < n; ++f) {
    if (!p.keep[f] && !e.field(f).is_none()) e.field(f) = model::value();
  }
}

bool reducer::cut_off(const model::event& e) {
  if (packet_.type.get() != e.schema_ptr().get()) {
    const model::schema& s = e.type();
    packet_ = packet_fields{e.schema_ptr(),
                            index_or_npos(s, "caplen"),
                            index_or_npos(s, "data"),
                            index_or_npos(s, "orig_h"),
                            index_or_npos(s, "orig_p"),
                            index_or_npos(s, "resp_h"),
                            index_or_npos(s, "resp_p")};
  }
  std::uint64_t key;
  if (!e.uid.empty()) {
    key = uid_key(e.uid);
  } else {
    key = endpoint_key(field_at(e, packet_.orig_h), field_at(e, packet_.orig_p),
                       field_at(e, packet_.resp_h), field_at(e, packet_.resp_p));
    if (key == 0) return false;  // no connection to attribute the packet to
  }
  std::uint64_t bytes = 0;
  if (const model::value* c = field_at(e, packet_.caplen); c && c->is<std::uint64_t>()) {
    bytes = c->get<std::uint64_t>();
  } else if (const model::value* d = field_at(e, packet_.data); d && d->is<model::bytes>()) {
    bytes = d->get<model::bytes>().data.size();
  }
  return connections_.add(key, bytes) >= rules_.packet_cutoff();
}

std::vector<reducer::rule_counter> reducer::counters() const {
  std::vector<rule_counter> out;
  out.reserve(state_.size());
  for (std::size_t i = 0; i < state_.size(); ++i) {
    out.push_back(rule_counter{rules_.rules()[i].line, state_[i].matched, state_[i].dropped});
  }
  return out;
}

}  // namespace coop::tm::detail
