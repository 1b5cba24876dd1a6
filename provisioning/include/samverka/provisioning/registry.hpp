// The platform registry: one SQLite file (DATA/registry.sqlite) that knows which tenants exist,
// the e-mail domains each owns, their state, which people hold memberships where, and which
// tenants are partners. It never holds a tenant's content.
//
// Both the server and samverkactl open it; SQLite does the locking, and the server notices a
// change made by the CLI through data_version() within its refresh interval.
//
// Tenant lifecycle (each transition's function in brackets):
//
//     (absent) --[create_tenant / import_tenant]--> active
//     active   --[suspend]--> suspended --[resume]--> active
//     active|suspended --[delete_tenant]--> (absent)
//
// Invariants: 1. a slug and a domain belong to at most one tenant; 2. a registered tenant has a
// store directory at the current schema (create/import write the store first, then the row, and
// remove the store if the row cannot be written); 3. partnerships are symmetric and only between
// registered tenants.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"

namespace samverka::provisioning {

enum class tenant_state { active, suspended };
std::string_view to_string(tenant_state s) noexcept;

struct tenant_info {
  std::int64_t id = 0;  // generation: a re-created slug gets a new id
  std::string slug;
  std::string name;
  std::vector<std::string> domains;
  tenant_state state = tenant_state::active;
  std::int64_t created_at_ms = 0;
};

struct partnership {
  std::string a;  // slugs, a < b
  std::string b;
  std::int64_t since_ms = 0;
};

// Cluster mode: this node's tenant `local` is a partner of `remote`, which another store node owns
// (that node records the mirror half).
struct remote_partnership {
  std::string local;
  std::string remote;
  std::string remote_name;
  std::int64_t since_ms = 0;
};

// What a tenant occupies on disk, for operators (`samverkactl tenant show`).
struct tenant_usage {
  std::uint64_t size_bytes = 0;  // database incl. WAL, and the file folder
  int schema_version = 0;        // of the tenant's database (0 if it cannot be read)
};

struct export_manifest {
  std::string slug;
  std::string name;
  std::vector<std::string> domains;
  int schema_version = 0;
  std::int64_t exported_at_ms = 0;
};

class registry {
 public:
  // Opens (creating if needed) DATA/registry.sqlite and DATA/tenants/.
  static result<std::shared_ptr<registry>> open(const std::filesystem::path& data_dir);
  ~registry();

  const std::filesystem::path& data_dir() const noexcept;

  // Changes whenever any connection (another process included) commits to the registry.
  std::int64_t data_version();

  // --- Tenants --------------------------------------------------------------------------------
  // Creates the store (at the current schema) and registers it. Slug/domain rules and
  // uniqueness are checked first (invalid_input / conflict), and nothing is left behind on error.
  result<tenant_info> create_tenant(std::string_view slug, std::string_view name,
                                    const std::vector<std::string>& domains);
  result<std::vector<tenant_info>> list_tenants();
  result<tenant_info> get_tenant(std::string_view slug);
  result<tenant_info> suspend(std::string_view slug);
  result<tenant_info> resume(std::string_view slug);
  // Unregisters the tenant, its domains, memberships and partnerships, and removes its files.
  result<void> delete_tenant(std::string_view slug);
  // The tenant owning e-mail domain `domain` (lower-case), if any.
  result<std::optional<std::string>> domain_owner(std::string_view domain);
  // Disk usage and schema version of a registered tenant, read without opening its store, so it
  // works for a store that still needs `migrate`.
  result<tenant_usage> usage(std::string_view slug);

  // Online consistent snapshot: a tar archive holding manifest.json, tenant.sqlite (VACUUM INTO)
  // and files/, gzip-compressed if `out` ends in .gz or .tgz. Works while the server is serving
  // the tenant. `out` is written atomically (via `out`.tmp) and may replace a regular file.
  result<export_manifest> export_tenant(std::string_view slug, const std::filesystem::path& out);
  // Restores an export as `as_slug` (default: the slug in the archive). Domains already owned by
  // another tenant are not taken over; they are reported in `skipped_domains`. The archive is
  // untrusted: unsafe entries, a foreign format or a newer schema refuse it with nothing changed.
  // Everyone in the restored store gets a membership in it.
  struct import_result {
    tenant_info tenant;
    std::vector<std::string> skipped_domains;
  };
  result<import_result> import_tenant(const std::filesystem::path& archive,
                                      std::optional<std::string_view> as_slug);

  // Migrates every registered tenant's store; returns (slug, previous version) for each.
  result<std::vector<std::pair<std::string, int>>> migrate_all();

  // --- Memberships ----------------------------------------------------------------------------
  // Records that the person with `email` holds a membership in tenant `slug` (home included).
  result<void> add_membership(std::string_view email, std::string_view slug);
  result<void> remove_membership(std::string_view email, std::string_view slug);
  // Slugs of tenants where `email` holds a membership, sorted.
  result<std::vector<std::string>> memberships(std::string_view email);

  // --- Partnerships (both directions at once) --------------------------------------------------
  result<partnership> link(std::string_view a, std::string_view b);
  result<void> unlink(std::string_view a, std::string_view b);
  // Pairs of tenants both registered here.
  result<std::vector<partnership>> partnerships();
  // True for a local pair and for a cross-node pair recorded with link_remote (either order).
  result<bool> are_partners(std::string_view a, std::string_view b);
  // Cluster mode: records this node's half of a partnership between local tenant `local` and
  // `remote`, owned by another node (conflict if `remote` is registered here). Idempotent.
  result<remote_partnership> link_remote(std::string_view local, std::string_view remote,
                                         std::string_view remote_name);
  // Removes that half (not_found if there is none).
  result<void> unlink_remote(std::string_view local, std::string_view remote);
  // Every cross-node half recorded here, by local slug then partner slug. A half naming a tenant
  // that is registered here (it arrived by import or move) counts for nothing, here and in
  // are_partners: only both tenants' explicit consent makes a local pair (link).
  result<std::vector<remote_partnership>> remote_partners();
  // Moves with every change that can change a tenant's partners (link, unlink, either half,
  // a tenant registered or removed), whichever process made it.
  result<std::int64_t> partnership_version();

  // Cluster mode, a tenant moving away from this node: unregisters `slug` as delete_tenant does
  // (its directory too, unless the move has set it aside) and, in the same transaction, records
  // each of `keep` (local tenant -> `slug`) as a cross-node half, so no reader (the sharing relay)
  // ever sees those partnerships end. Rows of tenants no longer registered are skipped.
  result<void> delete_tenant_keeping_partners(std::string_view slug,
                                              const std::vector<remote_partnership>& keep);
  // A partner of a tenant arriving by a move, as its old node recorded it.
  struct arriving_partner {
    std::string slug;
    std::string name;
  };
  // Cluster mode, a tenant arriving by a move: import_tenant under `slug` whose registration,
  // in the same transaction, settles its partnerships: a partner registered here becomes a local
  // pair only if it holds the mirror half (a cross-node row naming `slug`), else none (a
  // one-sided half never becomes a pair); a partner not registered here gets `slug`'s cross-node
  // half. Every cross-node row naming `slug` is dropped and listed in `dropped` (to undo).
  result<import_result> import_moved_tenant(const std::filesystem::path& archive,
                                            std::string_view slug,
                                            const std::vector<arriving_partner>& partners,
                                            std::vector<remote_partnership>& dropped);

  // --- SCIM provisioning tokens ----------------------------------------------------------------
  // A platform credential, not tenant content: kept here (hashed) so it dies with the tenant and
  // is never carried by an export. Returns the new bearer token; only its SHA-256 is stored.
  result<std::string> create_scim_token(std::string_view slug);
  // Whether `token` is a live SCIM token of tenant `slug` (false for unknown tenants too).
  result<bool> verify_scim_token(std::string_view slug, std::string_view token);
  // (directory feature) The tenant's SCIM tokens, oldest first, each named by the first
  // scim_token_id_chars hex digits of its SHA-256 (never the token itself).
  struct scim_token_info {
    std::string id;
    std::int64_t created_at_ms = 0;
  };
  static constexpr std::size_t scim_token_id_chars = 12;
  result<std::vector<scim_token_info>> list_scim_tokens(std::string_view slug);
  // Revokes the token with that id at once; not_found if the tenant has none such.
  result<void> revoke_scim_token(std::string_view slug, std::string_view id);

  struct impl;

 private:
  explicit registry(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace samverka::provisioning
