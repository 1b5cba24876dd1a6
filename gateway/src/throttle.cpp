#include "throttle.hpp"

#include <algorithm>

namespace samverka::gateway {

std::optional<login_throttle::clock::duration> login_throttle::wait_for(
    const table& t, std::string_view key, std::size_t max, clock::time_point now) const {
  const auto it = t.find(std::string(key));
  if (it == t.end() || it->second.count < max) return std::nullopt;
  const auto end = it->second.start + cfg_.window;
  if (now >= end) return std::nullopt;
  return end - now;
}

std::optional<std::chrono::seconds> login_throttle::blocked(std::string_view address,
                                                            std::string_view account,
                                                            clock::time_point now) const {
  std::lock_guard lock(mu_);
  const auto a = wait_for(by_address_, address, cfg_.max_per_address, now);
  const auto b = wait_for(by_account_, account, cfg_.max_per_account, now);
  if (!a && !b) return std::nullopt;
  const auto wait =
      std::max(a.value_or(clock::duration::zero()), b.value_or(clock::duration::zero()));
  // Round up: telling a client to retry a moment too early only earns it another 429.
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait));
}

void login_throttle::count(table& t, std::string_view key, clock::time_point now) {
  auto it = t.find(std::string(key));
  if (it == t.end()) {
    if (t.size() >= cfg_.max_entries)
      std::erase_if(t, [&](const auto& e) { return now >= e.second.start + cfg_.window; });
    if (t.size() >= cfg_.max_entries) return;  // full of live entries: see the header
    t.emplace(std::string(key), window_count{now, 1});
    return;
  }
  if (now >= it->second.start + cfg_.window)
    it->second = window_count{now, 1};
  else
    ++it->second.count;
}

void login_throttle::record_failure(std::string_view address, std::string_view account,
                                    clock::time_point now) {
  std::lock_guard lock(mu_);
  count(by_address_, address, now);
  count(by_account_, account, now);
}

void login_throttle::record_success(std::string_view account) {
  std::lock_guard lock(mu_);
  by_account_.erase(std::string(account));
}

std::size_t login_throttle::size() const {
  std::lock_guard lock(mu_);
  return by_address_.size() + by_account_.size();
}

}  // namespace samverka::gateway
