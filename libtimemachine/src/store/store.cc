// coop::tm::store: the public face; forwards to store_impl.
#include "coop/tm/store.h"

#include <algorithm>

#include "store/store_impl.h"

namespace coop::tm {

namespace detail {
struct store_access {
  static store make(std::unique_ptr<store_impl> impl) { return store(std::move(impl)); }
};
}  // namespace detail

namespace {

model::result<void> check_options(const store_options& o) {
  auto bad = [](std::string m) { return model::error{model::errc::invalid_argument, std::move(m)}; };
  if (o.root.empty()) return bad("store_options.root is empty");
  if (o.partition_span.ns <= 0) return bad("store_options.partition_span must be positive");
  if (o.block_events == 0 || o.block_events > detail::max_block_records) {
    return bad("store_options.block_events must be 1.." + std::to_string(detail::max_block_records) +
               ", not " + std::to_string(o.block_events));
  }
  if (o.partition_map_bytes <= o.partition_max_bytes) {
    return bad("store_options.partition_map_bytes must exceed partition_max_bytes");
  }
  if (o.compression_level < 0 || o.compression_level > 19) {
    return bad("store_options.compression_level must be 0..19");
  }
  return {};
}

model::result<store> make(const store_options& opts, const model::registry& types, bool create) {
  if (auto r = check_options(opts); !r) return r.err();
  auto impl = std::make_unique<detail::store_impl>();
  impl->opts = opts;
  impl->clock = opts.clock != nullptr ? opts.clock : &impl->system_clock;
  impl->types = std::make_shared<const model::registry>(types);
  for (const auto& f : opts.indexed_strings) impl->index.strings.insert(f);
  if (auto r = impl->load(create); !r) return r.err();
  impl->rebuild_routing();
  impl->reduce = std::make_unique<detail::reducer>(impl->rules);
  impl->start_threads();
  return detail::store_access::make(std::move(impl));
}

}  // namespace

model::result<store> store::create(const store_options& opts, const model::registry& types) {
  return make(opts, types, true);
}

model::result<store> store::open(const store_options& opts, const model::registry& types) {
  return make(opts, types, false);
}

store::store(std::unique_ptr<detail::store_impl> impl) : impl_(std::move(impl)) {}
store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;

store::~store() {
  if (!impl_) return;
  impl_->stop_threads();
  (void)impl_->commit();
}

model::result<ingest_receipt> store::append(std::span<const model::event> events) {
  return impl_->append(events);
}

model::result<std::uint64_t> store::commit() { return impl_->commit(); }

std::uint64_t store::committed() const noexcept { return impl_->committed.load(); }

model::result<void> store::set_rules(std::string_view text) {
  auto parsed = rule_set::parse(text, *impl_->types_snapshot());
  if (!parsed) return parsed.err();
  if (auto r = impl_->save_setting("rules", text); !r) return r;
  std::lock_guard lock(impl_->ingest_mu);
  std::lock_guard rl(impl_->rules_mu);
  impl_->rules = std::move(parsed.value());
  impl_->rebuild_routing();
  impl_->reduce = std::make_unique<detail::reducer>(impl_->rules);
  return {};
}

rule_set store::rules() const {
  std::lock_guard lock(impl_->rules_mu);
  return impl_->rules;
}

model::result<pin> store::add_pin(pin p) {
  std::lock_guard lock(impl_->rules_mu);
  p.id = impl_->next_pin_id++;
  std::string v = std::to_string(p.id) + " " + (p.hosts ? p.hosts->to_string() : "-") + " " +
                  std::to_string(p.range.from.ns) + " " + std::to_string(p.range.to.ns) + " " +
                  p.reason;
  if (auto r = impl_->save_setting("pin/" + std::to_string(p.id), v); !r) return r.err();
  impl_->pin_list.push_back(p);
  return p;
}

model::result<void> store::remove_pin(std::uint64_t id) {
  std::lock_guard lock(impl_->rules_mu);
  auto& l = impl_->pin_list;
  auto it = std::find_if(l.begin(), l.end(), [&](const pin& p) { return p.id == id; });
  if (it == l.end()) {
    return model::error{model::errc::not_found, "no pin with id " + std::to_string(id)};
  }
  auto t = lmdb::txn::begin(impl_->meta_env, true);
  if (!t) return t.err();
  if (auto r = t->del(impl_->meta_db, "pin/" + std::to_string(id)); !r) return r;
  if (auto r = t->commit(); !r) return r;
  l.erase(it);
  return {};
}

std::vector<pin> store::pins() const {
  std::lock_guard lock(impl_->rules_mu);
  return impl_->pin_list;
}

}  // namespace coop::tm
