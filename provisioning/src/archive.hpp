// Tenant export archives: a tar (pax) file, gzip-compressed when its name ends in .gz or .tgz,
// holding exactly
//
//     manifest.json   {"format":"samverka-tenant-export/1","slug","name","domains",
//                      "schema_version","exported_at"}
//     tenant.sqlite   a consistent snapshot of the tenant's database (VACUUM INTO)
//     files/...       the tenant's file folder (directories and regular files only)
//
// This file knows libarchive and the manifest's JSON; the registry decides what to snapshot and
// how to register an import. Reading treats the archive as hostile: see read_export().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "samverka/core/error.hpp"
#include "samverka/provisioning/registry.hpp"

namespace samverka::provisioning::archive {

// Written into every manifest; an import refuses any other value (a future format gets a new one).
inline constexpr std::string_view format_id = "samverka-tenant-export/1";

// Bytes an import may write in total: far above any municipality's intranet, but a bound, so a
// crafted archive (or a gzip bomb) cannot fill the data volume shared by every tenant.
inline constexpr std::uint64_t max_import_bytes = 64ULL << 30;  // 64 GiB
// Entries an import may create: bounds inodes the same way max_import_bytes bounds blocks.
inline constexpr std::size_t max_import_entries = 1'000'000;
// The manifest is a few hundred bytes; anything large is not ours.
inline constexpr std::size_t max_manifest_bytes = 1 << 20;

// Writes an export of `snapshot_db` (becomes tenant.sqlite) and the folder `files_dir` (may be
// absent) to `out`, atomically: it is written to `out`.tmp and renamed into place. Symbolic links
// and special files in `files_dir` are skipped; `out` may replace a regular file, not a directory.
result<void> write_export(const export_manifest& manifest, const std::filesystem::path& snapshot_db,
                          const std::filesystem::path& files_dir, const std::filesystem::path& out);

// Extracts the export `archive` into the existing empty directory `into` (tenant.sqlite and
// files/) and returns its validated manifest. Refused (invalid_input unless noted), with partial
// output left in `into` for the caller to remove: absolute paths, ".." or "." components, links,
// devices, FIFOs, unknown or duplicate entries, a missing or malformed manifest or database, a
// foreign format, more than max_import_bytes/entries (too_large), and a schema newer than this
// build's (conflict "schema_too_new").
// `on_manifest`, if set, is called as soon as the manifest is validated (write_export puts it
// first), so the caller can refuse, e.g. a taken slug, before a large database is extracted.
result<export_manifest> read_export(
    const std::filesystem::path& archive, const std::filesystem::path& into,
    const std::function<result<void>(const export_manifest&)>& on_manifest = {});

// Parses and validates a manifest's JSON (exposed for tests).
result<export_manifest> parse_manifest(std::string_view json);
// The manifest's JSON text.
std::string manifest_json(const export_manifest& m);

}  // namespace samverka::provisioning::archive
