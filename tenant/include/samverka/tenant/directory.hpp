// Values of the directory feature: people and groups as the tenant's IdP (SCIM 2.0) and HR
// export (CSV import) describe them. No I/O here; tenant::store reads and writes them
// (tenant/src/directory.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "samverka/tenant/model.hpp"

namespace samverka::tenant {

// Limits of the directory feature.
struct directory_limits {
  // Largest SCIM page: Entra asks for 100 at most; a cap keeps one response small.
  static constexpr std::size_t max_page = 200;
  // Longest userName / externalId / department / title / phone: IdP values are short; anything
  // longer is junk and refused before it reaches the database.
  static constexpr std::size_t max_field = 256;
  // Most members one group write may name (Entra sends member changes in batches of ~100).
  static constexpr std::size_t max_members = 10000;
  // Most rows one CSV import may hold: one transaction must stay short next to a serving server.
  static constexpr std::size_t max_import_rows = 50000;
};

// A person as SCIM sees them. `id` is the users row id.
struct directory_person {
  std::int64_t id = 0;
  std::string user_name;  // SCIM userName (the e-mail for people added by the CLI)
  std::optional<std::string> external_id;
  std::string email;  // lower-cased
  std::string name;   // display name
  std::string given_name, family_name;
  std::string title, phone;
  std::string department;
  std::optional<std::int64_t> manager_id;
  std::vector<std::string> units;
  bool active = true;
  std::int64_t created_at_ms = 0, updated_at_ms = 0;
};

// A full description of a person (SCIM POST/PUT, and PATCH after merging). Empty strings clear.
struct directory_person_input {
  std::string user_name;
  std::optional<std::string> external_id;
  std::string email;  // empty: userName, if it is an e-mail address
  std::string name;   // empty: given + family name, else the e-mail
  std::string given_name, family_name;
  std::string title, phone;
  std::string department;  // -> the unit of that name (created if the tenant allows)
  std::optional<std::int64_t> manager_id;
  bool active = true;
};

struct directory_page_request {
  std::size_t start_index = 1;  // 1-based, as in SCIM
  std::size_t count = directory_limits::max_page;
};

struct directory_person_page {
  std::size_t total = 0;
  std::vector<directory_person> items;
};

struct directory_group {
  std::int64_t id = 0;
  std::string display_name;
  std::optional<std::string> external_id;
  std::optional<std::string> unit;    // the unit it maps to, if any
  std::vector<std::int64_t> members;  // user ids
  std::int64_t created_at_ms = 0, updated_at_ms = 0;
};

struct directory_group_input {
  std::string display_name;
  std::optional<std::string> external_id;
  std::vector<std::int64_t> members;
};

struct directory_group_page {
  std::size_t total = 0;
  std::vector<directory_group> items;
};

// Per-tenant settings of directory sync.
struct directory_settings {
  bool create_units = true;     // an unknown department / group name creates the unit
  bool groups_as_units = true;  // SCIM groups map to units (else they are stored only)
};

// One row of an HR export (CSV import). `line` is its line number in the file, for reports.
struct import_row {
  std::size_t line = 0;
  std::string email, name;
  std::string unit;  // a unit name or a path "Parent/Child"; created when missing; empty: keep
  std::optional<role_mask> roles;  // nullopt (empty column): kept, or employee for a new person
  // nullopt when the file has no such column: kept. Present but empty: cleared.
  std::optional<std::string> title, phone;
  std::optional<std::string> manager_email;  // "" : no manager
};

struct import_problem {
  std::size_t line = 0;
  std::string message;
};

struct import_report {
  std::size_t created = 0, updated = 0, unchanged = 0;
  std::vector<std::string> created_emails;  // new people (the caller records their memberships)
  std::vector<import_problem> problems;     // non-empty: nothing was applied
};

}  // namespace samverka::tenant
