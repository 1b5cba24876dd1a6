// Unit tests of tenant/model.hpp: role names and masks.
#include "samverka/tenant/model.hpp"

#include <gtest/gtest.h>

namespace samverka::tenant {
namespace {

TEST(Model, ParseRoleIsExactAndCaseSensitive) {
  struct row {
    const char* name;
    std::optional<role> want;
  };
  for (auto [name, want] :
       {row{"employee", role::employee}, row{"manager", role::manager}, row{"editor", role::editor},
        row{"admin", role::admin}, row{"Admin", std::nullopt}, row{"", std::nullopt},
        row{"admin ", std::nullopt}, row{"owner", std::nullopt}})
    EXPECT_EQ(parse_role(name), want) << name;
}

TEST(Model, RoleNamesRoundTripInFixedOrder) {
  for (role r : {role::employee, role::manager, role::editor, role::admin})
    EXPECT_EQ(parse_role(to_string(r)), r);
  EXPECT_EQ(role_names(bit(role::admin) | bit(role::employee) | bit(role::manager)),
            (std::vector<std::string>{"employee", "manager", "admin"}));
  EXPECT_TRUE(role_names(0).empty());
}

}  // namespace
}  // namespace samverka::tenant
