// Login throttling: failed attempts are counted per remote address and per account (tenant +
// e-mail) in fixed windows that start at the first failure. Over either limit, logins are
// refused (429 too_many_attempts + Retry-After) until that window ends; a success clears the
// account's count. Thread-safe.
//
// Road not taken: a sliding log per key is exact but costs one timestamp per attempt; a fixed
// window lets at most twice the limit through around a window's end, which is fine here.
//
// Memory is bounded: each kind keeps at most `max_entries` keys. When full, expired entries are
// pruned (O(entries), only then); if still full, new keys go uncounted rather than evicting live
// ones, so a flood of fresh e-mails cannot wipe the count of an account under attack.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "limits.hpp"

namespace samverka::gateway {

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;

  struct config {
    std::size_t max_per_account = limits::max_failures_per_account;
    std::size_t max_per_address = limits::max_failures_per_address;
    clock::duration window = limits::failure_window;
    std::size_t max_entries = limits::max_throttle_entries;
  };

  login_throttle() : login_throttle(config{}) {}
  explicit login_throttle(config c) : cfg_(c) {}

  // How long to wait before `address` or `account` may try again; nullopt when allowed now.
  std::optional<std::chrono::seconds> blocked(std::string_view address, std::string_view account,
                                              clock::time_point now) const;
  // Counts one failed attempt against both keys.
  void record_failure(std::string_view address, std::string_view account, clock::time_point now);
  // A successful login clears the account's count (not the address's: one success must not
  // reset a spray over many accounts).
  void record_success(std::string_view account);
  // Keys tracked (addresses + accounts); for tests and metrics.
  std::size_t size() const;

 private:
  struct window_count {
    clock::time_point start;
    std::size_t count = 0;
  };
  using table = std::unordered_map<std::string, window_count>;

  std::optional<clock::duration> wait_for(const table& t, std::string_view key, std::size_t max,
                                          clock::time_point now) const;
  void count(table& t, std::string_view key, clock::time_point now);

  config cfg_;
  mutable std::mutex mu_;
  table by_address_;
  table by_account_;
};

}  // namespace samverka::gateway
