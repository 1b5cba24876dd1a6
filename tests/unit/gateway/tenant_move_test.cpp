// The tenant-move gate: which requests a paused, moved or arriving tenant admits, and waiting
// for the writes it admitted before the pause.
#include "tenant_move.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace samverka::gateway {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

TEST(MoveGate, UnknownTenantsAdmitEverything) {
  move_gate g;
  EXPECT_TRUE(g.admit("eksjo", false));
  EXPECT_TRUE(g.admit("eksjo", true));
  g.end_write("eksjo");
  EXPECT_FALSE(g.paused("eksjo"));
  EXPECT_FALSE(g.unregistered("eksjo"));
}

TEST(MoveGate, PauseRefusesWritesButServesReads) {
  move_gate g;
  ASSERT_TRUE(g.pause("eksjo"));
  EXPECT_FALSE(g.pause("eksjo")) << "a second move of the same tenant";
  EXPECT_TRUE(g.admit("eksjo", false));
  EXPECT_FALSE(g.admit("eksjo", true));
  EXPECT_TRUE(g.admit("savsjo", true)) << "other tenants are not paused";
  g.end_write("savsjo");
  EXPECT_TRUE(g.paused("eksjo"));
  EXPECT_FALSE(g.unregistered("eksjo")) << "a paused tenant is still this node's";
  g.resume("eksjo");
  EXPECT_TRUE(g.admit("eksjo", true));
  g.end_write("eksjo");
  EXPECT_FALSE(g.paused("eksjo"));
}

TEST(MoveGate, WaitIdleWaitsForAdmittedWrites) {
  move_gate g;
  ASSERT_TRUE(g.admit("eksjo", true));  // a write running when the move starts
  ASSERT_TRUE(g.pause("eksjo"));
  EXPECT_FALSE(g.wait_idle("eksjo", steady::now() + 50ms)) << "the write is still running";
  std::thread done([&] {
    std::this_thread::sleep_for(50ms);
    g.end_write("eksjo");
  });
  EXPECT_TRUE(g.wait_idle("eksjo", steady::now() + 10s));
  done.join();
  EXPECT_TRUE(g.wait_idle("savsjo", steady::now())) << "nothing running";
}

TEST(MoveGate, MovedTenantsAnswerNothingAndStayUnregistered) {
  move_gate g;
  ASSERT_TRUE(g.pause("eksjo"));
  g.mark_moved("eksjo");
  EXPECT_FALSE(g.admit("eksjo", false));
  EXPECT_FALSE(g.admit("eksjo", true));
  EXPECT_TRUE(g.unregistered("eksjo"));
  EXPECT_TRUE(g.paused("eksjo"));
  EXPECT_FALSE(g.pause("eksjo")) << "a tenant moved away cannot be moved from here";
  // It comes back: hidden while it arrives, then served again.
  g.hide("eksjo");
  EXPECT_TRUE(g.unregistered("eksjo"));
  EXPECT_FALSE(g.admit("eksjo", false));
  g.unhide("eksjo");
  EXPECT_FALSE(g.unregistered("eksjo"));
  EXPECT_TRUE(g.admit("eksjo", true));
  g.end_write("eksjo");
}

TEST(MoveGate, TheRefusalIsTenantMovingWithRetryAfter) {
  const auto res = tenant_moving_response();
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("\"tenant_moving\""), std::string::npos);
  bool retry = false;
  for (const auto& [name, value] : res.headers) retry = retry || name == "Retry-After";
  EXPECT_TRUE(retry);
}

}  // namespace
}  // namespace samverka::gateway
