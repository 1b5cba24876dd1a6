// Whole-platform backups (`samverkactl backup` / `samverkactl restore`), built on the per-tenant
// export archive (archive.hpp) so there is one snapshot format to trust, test and restore.
//
// A backup is a directory:
//
//     DIR/manifest.json          {"format":"samverka-backup/1","created_at",
//                                 "tenants":[{"slug","name","state","domains","file",
//                                             "size_bytes","schema_version"}],
//                                 "partnerships":[{"a","b"}],
//                                 "remote_partnerships":[{"local","remote","remote_name"}]}
//     DIR/tenants/SLUG.tar.gz    one `tenant export` archive per tenant
//
// Consistency: every tenant's archive is a consistent snapshot of that tenant (VACUUM INTO in one
// read transaction) taken while the server runs; the list of tenants, their states and the
// partnerships are read from the registry once, at the start. Tenants are snapshotted one after
// another, so two tenants' snapshots may be seconds apart — tenants share nothing but the
// registry, so this is enough to restore any tenant, or all, to a usable state.
//
// The manifest is written last (via a temporary file and rename): a directory without one is an
// unfinished backup, and restore refuses it.
//
// Registry content that is NOT in a backup, deliberately: SCIM tokens (platform credentials;
// re-create them with `scim token create`). Memberships are rebuilt from each restored store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/provisioning/registry.hpp"

namespace samverka::provisioning::backup {

// Written into every backup manifest; restore refuses any other value.
inline constexpr std::string_view format_id = "samverka-backup/1";
// The manifest lists tenants and partnerships only; anything this large is not ours.
inline constexpr std::size_t max_manifest_bytes = 16 << 20;

struct tenant_entry {
  std::string slug;
  std::string name;
  std::string state;  // "active" or "suspended"
  std::vector<std::string> domains;
  std::uint64_t size_bytes = 0;  // of the archive, checked before a restore uses it
  int schema_version = 0;
};

struct manifest {
  std::int64_t created_at_ms = 0;
  std::vector<tenant_entry> tenants;
  std::vector<std::pair<std::string, std::string>> partnerships;  // (a, b), a < b
  // Cluster mode: this node's halves of partnerships with tenants other nodes own.
  struct remote_half {
    std::string local, remote, remote_name;
  };
  std::vector<remote_half> remote_partnerships;
};

// Snapshots every registered tenant into `out`, which must not exist or be an empty directory
// (a backup never overwrites another). Tenants deleted while the backup runs are left out.
result<manifest> create(registry& reg, const std::filesystem::path& out);

// What restore did with one tenant of the backup.
struct restore_outcome {
  std::string slug;
  enum class kind { restored, exists, failed } what = kind::failed;
  std::string detail;  // failure reason, or domains skipped because another tenant owns them
};

// Restores the tenants of backup `dir` that are not registered (all of them, or only `only` when
// it is non-empty), then their suspended state and the partnerships among registered tenants.
// A registered slug is never overwritten (delete it first to roll it back): it is reported as
// `exists`. Each tenant is imported on its own, so one bad archive does not stop the rest.
// Fails as a whole (nothing changed) if the manifest is missing, malformed or of another format,
// or if `only` names a tenant the backup lacks.
result<std::vector<restore_outcome>> restore(registry& reg, const std::filesystem::path& dir,
                                             const std::vector<std::string>& only);

// Reads and validates DIR/manifest.json (exposed for tests and `restore`).
result<manifest> read_manifest(const std::filesystem::path& dir);

// The archive of tenant `slug` inside backup `dir`; derived from the slug, never from the
// manifest's text, so a crafted manifest cannot point a restore elsewhere.
std::filesystem::path archive_path(const std::filesystem::path& dir, std::string_view slug);

}  // namespace samverka::provisioning::backup
