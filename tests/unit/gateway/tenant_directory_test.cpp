// The registry snapshot: lookups, domain owners, and which pool handles go stale on a change.
#include "tenant_directory.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace samverka::gateway {
namespace {

using provisioning::tenant_info;
using provisioning::tenant_state;

tenant_info tenant(std::int64_t id, std::string slug, tenant_state state = tenant_state::active,
                   std::vector<std::string> domains = {}) {
  tenant_info t;
  t.id = id;
  t.slug = std::move(slug);
  t.name = t.slug + " kommun";
  t.state = state;
  t.domains = std::move(domains);
  return t;
}

TEST(TenantDirectory, SnapshotLookups) {
  const auto s = tenant_snapshot::from(
      {tenant(1, "eksjo", tenant_state::active, {"eksjo.se"}),
       tenant(2, "vetlanda", tenant_state::suspended, {"vetlanda.se", "vetlanda.org"})},
      7);
  EXPECT_EQ(s.data_version, 7);
  ASSERT_NE(s.find("eksjo"), nullptr);
  EXPECT_EQ(s.find("eksjo")->id, 1);
  EXPECT_EQ(s.find("nassjo"), nullptr);
  EXPECT_EQ(s.owner_of("vetlanda.org"), "vetlanda");
  EXPECT_EQ(s.owner_of("eksjo.se"), "eksjo");
  EXPECT_EQ(s.owner_of("gmail.com"), std::nullopt);
}

TEST(TenantDirectory, StaleTenants) {
  const auto before =
      tenant_snapshot::from({tenant(1, "eksjo"), tenant(2, "vetlanda"), tenant(3, "nassjo"),
                             tenant(4, "aneby"), tenant(5, "tranas", tenant_state::suspended)},
                            1);
  const auto after =
      tenant_snapshot::from({tenant(1, "eksjo"),     // unchanged
                             tenant(9, "vetlanda"),  // deleted and re-created
                             tenant(3, "nassjo", tenant_state::suspended),  // suspended
                             tenant(5, "tranas"),   // resumed: nothing open to evict
                             tenant(6, "savsjo")},  // new
                            2);                     // aneby deleted
  auto stale = stale_tenants(before, after);
  std::sort(stale.begin(), stale.end());
  EXPECT_EQ(stale, (std::vector<std::string>{"aneby", "nassjo", "vetlanda"}));
}

}  // namespace
}  // namespace samverka::gateway
