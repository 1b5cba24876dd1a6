// Unit tests of tenant::pool: LRU bound, generations, eviction and concurrent use.
#include "samverka/tenant/pool.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace samverka::tenant {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::must;
using testing::temp_dir;

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* slug : {"eksjo", "sala", "mjolby", "savsjo", "vetlanda"})
      must(create_store(pool::tenant_dir(tmp.path(), slug)));
  }
  temp_dir tmp;
};

TEST_F(PoolTest, TenantDirIsUnderTenants) {
  EXPECT_EQ(pool::tenant_dir("/data", "eksjo"), fs::path("/data/tenants/eksjo"));
}

TEST_F(PoolTest, SameSlugAndGenerationShareOneHandle) {
  pool p(tmp.path(), 4);
  EXPECT_EQ(p.capacity(), 4u);
  auto a = must(p.get("eksjo", 1));
  EXPECT_EQ(a->slug(), "eksjo");
  EXPECT_EQ(a->dir(), pool::tenant_dir(tmp.path(), "eksjo"));
  EXPECT_EQ(must(p.get("eksjo", 1)), a);
  EXPECT_EQ(p.open_count(), 1u);
}

TEST_F(PoolTest, LeastRecentlyUsedIsClosedFirst) {
  pool p(tmp.path(), 2);
  auto eksjo = must(p.get("eksjo", 1));
  auto sala = must(p.get("sala", 2));
  EXPECT_EQ(must(p.get("eksjo", 1)), eksjo);  // eksjo is now the most recent
  auto mjolby = must(p.get("mjolby", 3));     // evicts sala
  EXPECT_EQ(p.open_count(), 2u);
  EXPECT_EQ(must(p.get("eksjo", 1)), eksjo);
  auto sala_again = must(p.get("sala", 2));
  EXPECT_NE(sala_again, sala);
  EXPECT_EQ(p.open_count(), 2u);

  // The evicted handle keeps working for whoever still holds it.
  must(sala->add_unit("Skola", std::nullopt));
  EXPECT_EQ(must(sala_again->list_units()).size(), 1u);
}

TEST_F(PoolTest, NewGenerationReopens) {
  pool p(tmp.path(), 4);
  auto old = must(p.get("eksjo", 1));
  auto fresh = must(p.get("eksjo", 2));
  EXPECT_NE(old, fresh);
  EXPECT_EQ(p.open_count(), 1u);
  EXPECT_EQ(must(p.get("eksjo", 2)), fresh);
}

TEST_F(PoolTest, EvictDropsTheHandle) {
  pool p(tmp.path(), 4);
  auto a = must(p.get("eksjo", 1));
  must(p.get("sala", 1));
  p.evict("eksjo");
  p.evict("unknown");
  EXPECT_EQ(p.open_count(), 1u);
  EXPECT_NE(must(p.get("eksjo", 1)), a);
  must(a->list_units());
}

TEST_F(PoolTest, UnknownOrInvalidSlugs) {
  pool p(tmp.path(), 4);
  expect_error(p.get("ghost", 1), errc::not_found);
  for (const char* bad : {"../eksjo", "Eksjo", "", "e", "eksjo/..", "a b"})
    expect_error(p.get(bad, 1), errc::invalid_input, "invalid_slug");
  EXPECT_EQ(p.open_count(), 0u);
  EXPECT_EQ(pool(tmp.path(), 0).capacity(), 1u);  // at least one store stays open
}

TEST_F(PoolTest, ConcurrentGetsStayWithinCapacity) {
  pool p(tmp.path(), 3);
  const std::vector<std::string> slugs{"eksjo", "sala", "mjolby", "savsjo", "vetlanda"};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const auto& slug = slugs[static_cast<std::size_t>(t + i * 3) % slugs.size()];
        auto s = p.get(slug, 1);
        if (!s || (*s)->slug() != slug || !(*s)->list_units()) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(p.open_count(), 3u);
}

}  // namespace
}  // namespace samverka::tenant
