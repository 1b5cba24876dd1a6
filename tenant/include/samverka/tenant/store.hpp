// tenant::store — the handle to one municipality's database and file folder.
//
// Architecture invariant: this handle is the only way into a tenant's data, and it is bound at
// construction to exactly one directory. No method takes another tenant's slug or path, so nothing
// of one tenant is reachable through another tenant's handle. The sharing service is the only
// component that holds two handles at once.
//
// Thread safety: every method may be called concurrently; the store hands each call a connection
// of its own (WAL lets readers run beside the single writer). Writes run in BEGIN IMMEDIATE.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/tenant/model.hpp"

namespace samverka::tenant {

// Schema version this build writes. Stores at a newer version are refused, never touched.
int current_schema_version() noexcept;

// Creates a new, empty tenant store in `dir` (which must not exist yet) at the current schema.
result<void> create_store(const std::filesystem::path& dir);

// Brings the store in `dir` to the current schema; returns the version it was at before.
// A store at an unknown newer version is refused with errc::conflict ("schema_too_new").
result<int> migrate_store(const std::filesystem::path& dir);

class store {
 public:
  // Opens an existing store in `dir` (database `dir/tenant.sqlite`, files in `dir/files`).
  // Refuses a store whose schema is newer than this build's or older (needs `migrate`):
  // errc::unavailable with code "schema_too_new" / "schema_outdated"; no store: not_found.
  static result<std::shared_ptr<store>> open(std::string slug, const std::filesystem::path& dir);

  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  const std::string& slug() const noexcept;
  const std::filesystem::path& dir() const noexcept;

  // --- Org tree -------------------------------------------------------------------------------
  // Adds a unit; `parent` names an existing unit. Unit names are unique in a tenant.
  result<unit> add_unit(std::string_view name, std::optional<std::string_view> parent);
  result<std::vector<unit>> list_units();

  // --- People ---------------------------------------------------------------------------------
  // Adds a person. `password`, if given, is hashed with argon2id. Duplicate e-mail: conflict.
  result<user> add_user(const new_user& u);
  result<user> get_user(std::int64_t id);
  result<user> find_user(std::string_view email);
  result<std::vector<user>> list_users();
  result<void> set_password(std::int64_t user_id, std::string_view password);
  // Deactivates (or reactivates) a person. Deactivation takes effect at once: their sessions stop
  // resolving and viewer_for() refuses them, which blocks them on every tenant (SCIM, admins).
  result<void> set_active(std::int64_t user_id, bool active);
  // The person as a request principal (roles, units and their ancestors); not_found if inactive.
  result<viewer> viewer_for(std::int64_t user_id);
  result<viewer> viewer_for(std::string_view email);

  // --- Authentication (only at the person's home tenant) --------------------------------------
  // The same errc::unauthenticated for an unknown e-mail and a wrong password; the unknown
  // case still spends an argon2 verification so timing does not tell them apart.
  result<user> verify_password(std::string_view email, std::string_view password);
  // Creates a session and returns its secret (stored only as a SHA-256 hash).
  result<std::string> create_session(std::int64_t user_id);
  // The live session for `secret`; unauthenticated if unknown, expired, revoked or user inactive.
  result<session_info> resolve_session(std::string_view secret);
  result<void> revoke_session(std::string_view secret);

  // --- News -----------------------------------------------------------------------------------
  // Publishes news now (or at draft.published_at_ms). Sanitises the body; unknown unit or role
  // names are invalid_input.
  // Creating, updating and deleting news needs the editor or admin role (else forbidden).
  result<news_item> create_news(const viewer& author, const news_draft& draft);
  result<news_page> list_news(const viewer& who, news_scope scope, std::size_t limit,
                              std::optional<std::string_view> cursor);
  // not_found unless `who` may read it (editors and admins read every item of their tenant).
  result<news_item> get_news(const viewer& who, std::int64_t id);
  result<news_item> update_news(const viewer& who, std::int64_t id, const news_patch& patch);
  result<void> delete_news(const viewer& who, std::int64_t id);

  // --- Operations -----------------------------------------------------------------------------
  // Bytes used by the database (incl. WAL) and the file folder.
  std::uint64_t size_bytes() const;
  // A consistent online snapshot of the database into `target` (VACUUM INTO).
  result<void> snapshot_to(const std::filesystem::path& target);

  struct impl;

 private:
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace samverka::tenant
