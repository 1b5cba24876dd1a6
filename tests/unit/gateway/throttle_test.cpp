// Login throttling: per-account and per-address windows, reset on success, bounded memory.
#include "throttle.hpp"

#include <gtest/gtest.h>

namespace samverka::gateway {
namespace {

using namespace std::chrono_literals;
using clock_type = login_throttle::clock;

login_throttle::config small() {
  login_throttle::config c;
  c.max_per_account = 3;
  c.max_per_address = 5;
  c.window = 60s;
  c.max_entries = 4;
  return c;
}

TEST(Throttle, AccountLimitAndWindow) {
  login_throttle t(small());
  const auto t0 = clock_type::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(t.blocked("10.0.0.1", "eksjo\na@x.se", t0 + std::chrono::seconds(i)));
    t.record_failure("10.0.0.1", "eksjo\na@x.se", t0 + std::chrono::seconds(i));
  }
  // Window started at t0; 3 failures reached: blocked until t0 + 60 s.
  auto wait = t.blocked("10.0.0.1", "eksjo\na@x.se", t0 + 10s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 50s);
  // Another address is blocked for that account too; another account on this address is not.
  EXPECT_TRUE(t.blocked("10.0.0.2", "eksjo\na@x.se", t0 + 10s));
  EXPECT_FALSE(t.blocked("10.0.0.1", "eksjo\nb@x.se", t0 + 10s));
  // Same e-mail at another tenant is another account.
  EXPECT_FALSE(t.blocked("10.0.0.2", "vetlanda\na@x.se", t0 + 10s));
  // The window ends.
  EXPECT_FALSE(t.blocked("10.0.0.1", "eksjo\na@x.se", t0 + 60s));
  // A failure after the window starts a fresh one.
  t.record_failure("10.0.0.1", "eksjo\na@x.se", t0 + 61s);
  EXPECT_FALSE(t.blocked("10.0.0.1", "eksjo\na@x.se", t0 + 62s));
}

TEST(Throttle, RetryAfterRoundsUp) {
  login_throttle t(small());
  const auto t0 = clock_type::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) t.record_failure("a", "acct", t0);
  EXPECT_EQ(t.blocked("a", "acct", t0 + 59s + 500ms), 1s);
  EXPECT_EQ(t.blocked("a", "acct", t0 + 500ms), 60s);
}

TEST(Throttle, AddressLimitSpansAccounts) {
  login_throttle t(small());
  const auto t0 = clock_type::time_point{} + 1000s;
  for (int i = 0; i < 5; ++i) t.record_failure("10.0.0.9", "acct" + std::to_string(i % 2), t0);
  EXPECT_TRUE(t.blocked("10.0.0.9", "fresh-account", t0 + 1s));
  EXPECT_FALSE(t.blocked("10.0.0.8", "fresh-account", t0 + 1s));
}

TEST(Throttle, SuccessClearsAccountOnly) {
  login_throttle t(small());
  const auto t0 = clock_type::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) t.record_failure("ip", "acct", t0);
  EXPECT_TRUE(t.blocked("ip", "acct", t0));
  t.record_success("acct");
  EXPECT_FALSE(t.blocked("ip", "acct", t0));
  // The address still carries its 3 failures: 2 more block it.
  t.record_failure("ip", "other", t0);
  t.record_failure("ip", "other2", t0);
  EXPECT_TRUE(t.blocked("ip", "new", t0));
}

TEST(Throttle, BoundedMemory) {
  login_throttle t(small());  // 4 entries per kind
  const auto t0 = clock_type::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i)
    t.record_failure("ip" + std::to_string(i), "acct" + std::to_string(i), t0);
  EXPECT_LE(t.size(), 8u);
  // Live entries are not evicted by newcomers: ip0/acct0 still count.
  for (int i = 0; i < 2; ++i) t.record_failure("ip0", "acct0", t0);
  EXPECT_TRUE(t.blocked("zz", "acct0", t0));
  // Once the window passed, expired entries are pruned to make room.
  t.record_failure("late-ip", "late-acct", t0 + 61s);
  t.record_failure("late-ip", "late-acct", t0 + 61s);
  t.record_failure("late-ip", "late-acct", t0 + 61s);
  EXPECT_TRUE(t.blocked("x", "late-acct", t0 + 62s));
  EXPECT_LE(t.size(), 8u);
}

}  // namespace
}  // namespace samverka::gateway
