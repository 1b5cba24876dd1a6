// Tenant administration values: what an administrator may change about a person and a unit
// through the HTTP API (store::admin_update_person, admin_*_unit in admin.cpp).
//
// People are created elsewhere (samverkactl, SCIM, CSV import): those paths own passwords and the
// home-tenant rule. Here an admin only adjusts people who already exist in this tenant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "samverka/tenant/model.hpp"

namespace samverka::tenant {

// Fields absent are left unchanged.
struct person_patch {
  std::optional<std::vector<std::string>> roles;  // role names; employee is always kept
  std::optional<std::vector<std::string>> units;  // unit names; replaces the person's units
  std::optional<bool> active;                     // false revokes their sessions at once
  std::optional<std::string> name;
  std::optional<std::string> title;  // the profile's job title ("" clears)
};

// A person as the administration screens show them.
struct managed_person {
  user person;
  std::string title;
};

struct unit_draft {
  std::string name;
  std::optional<std::string> parent;  // name of an existing unit; nullopt: top level
};

// Fields absent are left unchanged. parent: outer nullopt = unchanged, inner nullopt = top level.
struct unit_patch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> parent;
};

// Bounds of an administrator's change to a person.
struct admin_limits {
  // A person belongs to a handful of units; more in one request is a mistake or abuse, and each
  // name costs a lookup inside the write transaction.
  static constexpr std::size_t max_person_units = 50;
};

}  // namespace samverka::tenant
