// Standing queries: each appended event that the rules keep is offered to
// every active subscription; matches wait in a bounded queue.
#include <chrono>

#include "store/store_impl.h"

namespace coop::tm {

subscription::subscription(std::shared_ptr<detail::subscription_state> s) : s_(std::move(s)) {}
subscription::subscription(subscription&&) noexcept = default;
subscription& subscription::operator=(subscription&&) noexcept = default;
subscription::~subscription() { cancel(); }

std::size_t subscription::take(std::vector<model::event>& out, std::size_t max,
                               model::interval wait) {
  if (!s_) return 0;
  std::unique_lock lock(s_->mu);
  if (s_->queue.empty() && wait.ns > 0) {
    s_->cv.wait_for(lock, std::chrono::nanoseconds(wait.ns),
                    [&] { return !s_->queue.empty() || !s_->active; });
  }
  std::size_t n = 0;
  while (n < max && !s_->queue.empty()) {
    out.push_back(std::move(s_->queue.front()));
    s_->queue.pop_front();
    ++n;
  }
  return n;
}

std::uint64_t subscription::overflowed() const noexcept {
  if (!s_) return 0;
  std::lock_guard lock(s_->mu);
  return s_->overflowed;
}

bool subscription::active() const noexcept { return s_ && s_->active; }

void subscription::cancel() noexcept {
  if (!s_) return;
  s_->active = false;
  s_->cv.notify_all();
}

model::result<subscription> store::subscribe(std::string_view filter,
                                             std::optional<model::timestamp> expires,
                                             std::size_t queue_limit) {
  auto f = model::filter::compile(filter.empty() ? std::string_view("T") : filter,
                                  *impl_->types_snapshot());
  if (!f) return f.err();
  auto s = std::make_shared<detail::subscription_state>();
  s->match = std::move(f.value());
  s->expires = expires;
  s->limit = queue_limit == 0 ? 1 : queue_limit;
  std::lock_guard lock(impl_->subs_mu);
  impl_->subs.push_back(s);
  return subscription(s);
}

namespace detail {

void store_impl::deliver(const model::event& e) {
  std::lock_guard lock(subs_mu);
  if (subs.empty()) return;
  auto t = now();
  for (auto it = subs.begin(); it != subs.end();) {
    auto& s = **it;
    if (s.expires && e.ts > *s.expires) {
      s.active = false;
      s.cv.notify_all();
    }
    if (!s.active) {
      it = subs.erase(it);
      continue;
    }
    if (s.match.matches(e, t)) {
      std::lock_guard q(s.mu);
      if (s.queue.size() >= s.limit) {
        ++s.overflowed;
      } else {
        s.queue.push_back(e);
        s.cv.notify_one();
      }
    }
    ++it;
  }
}

}  // namespace detail
}  // namespace coop::tm
