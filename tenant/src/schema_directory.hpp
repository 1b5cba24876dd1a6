// Schema of the directory feature (SCIM 2.0 provisioning and CSV import). Appended to the
// migrations array in schema.cpp as one entry; never edited once released.
//
// Design notes:
//  1. users.manager_id is the manager relation (SCIM enterprise `manager`, CSV manager_email).
//     ON DELETE SET NULL: a manager's row going away never takes their reports with it.
//  2. directory_users holds what the IdP knows about a person beyond the users row: the SCIM
//     userName (unique, case-insensitive as SCIM says), externalId, the name parts and the
//     enterprise department. A person without a row was added by the CLI; SCIM then sees their
//     e-mail as userName. deleted = 1 after a SCIM DELETE: the person stays (deactivated) for
//     the authorship of what they wrote, but SCIM no longer finds them, and a later POST with the
//     same userName revives the row instead of failing on the e-mail's uniqueness.
//  3. directory_groups are SCIM groups. Each maps to a unit of the same name (created when
//     missing) when directory_settings.groups_as = 'units' (the default): a member of the group
//     is a member of the unit, so news audiences and department groups follow the directory.
//  4. directory_settings: key/value per tenant ('create_units' = '1'|'0', 'groups_as' =
//     'units'|'none'); an absent key means the default.
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_directory = R"sql(
ALTER TABLE users ADD COLUMN manager_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX users_manager ON users(manager_id) WHERE manager_id IS NOT NULL;

CREATE TABLE directory_users(
  user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  user_name   TEXT NOT NULL UNIQUE COLLATE NOCASE,
  external_id TEXT,
  given_name  TEXT NOT NULL DEFAULT '',
  family_name TEXT NOT NULL DEFAULT '',
  department  TEXT NOT NULL DEFAULT '',
  deleted     INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE directory_groups(
  id           INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  external_id  TEXT,
  unit_id      INTEGER REFERENCES units(id),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE directory_group_members(
  group_id INTEGER NOT NULL REFERENCES directory_groups(id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX directory_group_members_user ON directory_group_members(user_id, group_id);

CREATE TABLE directory_settings(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

}  // namespace samverka::tenant::schema
