// Private to samverka_tenant: where a store keeps its files, how its schema is versioned, and how
// SQLite failures become samverka::error. Shared by schema.cpp and store.cpp.
#pragma once

#include <filesystem>
#include <string_view>

#include "samverka/core/error.hpp"

namespace samverka::db {
class connection;
class sqlite_error;
}  // namespace samverka::db

namespace samverka::tenant::schema {

// File names inside a tenant directory (DATA/tenants/SLUG).
inline constexpr std::string_view db_file_name = "tenant.sqlite";
inline constexpr std::string_view files_dir_name = "files";

inline std::filesystem::path db_path(const std::filesystem::path& dir) {
  return dir / db_file_name;
}
inline std::filesystem::path files_path(const std::filesystem::path& dir) {
  return dir / files_dir_name;
}

// Applies every missing migration in one BEGIN IMMEDIATE transaction and returns the version the
// database was at before. A newer version is refused (conflict, "schema_too_new") untouched.
// Throws db::sqlite_error on storage failures.
result<int> migrate(db::connection& c);

// Succeeds only if the database is exactly at the current version: a store is served only by the
// build that understands it. unavailable with "schema_too_new" or "schema_outdated" otherwise.
result<void> check_current(db::connection& c);

// Columns of a news row as read_news_row() in store.cpp expects them (a macro so the queries
// below stay compile-time string literals usable with connection::cached()).
#define SAMVERKA_NEWS_COLUMNS                                                       \
  "n.id, n.title, n.summary, n.body, n.published_at, n.updated_at, n.author_name, " \
  "n.roles_mask, n.source_slug, n.source_name, n.source_news_id, n.all_units, n.unpublish_at"

// The feed queries of store::list_news, kept here so tests can EXPLAIN them against the schema.
// Both walk the partial index news_feed newest first, starting after the keyset cursor
// (?1 published_at, ?2 id; INT64_MAX for the first page), so a page costs O(rows skipped) and
// never sorts. ?3 is the viewer's role mask. Cost note: a viewer who may read only a sliver of a
// large tenant's news makes the walk skip many rows; keeping published_at in news_units to walk
// news_units_unit instead is the road not taken until a tenant needs it.
//
// Scheduling: the caller binds a cursor no later than now, so scheduled items (published_at in
// the future) are never walked; ?6 (mine) / ?5 (all) is now for the unpublish check, which runs
// on the rows a page returns anyway.
//
// scope=mine adds the unit match: ?4 is a JSON array of the viewer's reach (their units and all
// ancestors), tested once per candidate against its news_units rows. ?5 is the row limit.
// The unary + keeps unit_id out of the index lookup: an item targets one or a few units, so
// reading its news_units rows by news_id and testing each against the viewer's reach (one probe
// of the list) beats one primary-key probe per unit in the reach (measured: 70 -> 34 us a page).
inline constexpr std::string_view feed_mine_sql =
    "SELECT " SAMVERKA_NEWS_COLUMNS
    " FROM news n"
    " WHERE n.deleted = 0 AND (n.published_at, n.id) < (?1, ?2)"
    "  AND (n.roles_mask = 0 OR (n.roles_mask & ?3) != 0)"
    "  AND (n.all_units = 1 OR EXISTS (SELECT 1 FROM news_units nu WHERE nu.news_id = n.id"
    "       AND +nu.unit_id IN (SELECT value FROM json_each(?4))))"
    "  AND (n.unpublish_at IS NULL OR n.unpublish_at > ?6)"
    " ORDER BY n.published_at DESC, n.id DESC LIMIT ?5";
// scope=all: role match only. ?4 is the row limit.
inline constexpr std::string_view feed_all_sql =
    "SELECT " SAMVERKA_NEWS_COLUMNS
    " FROM news n"
    " WHERE n.deleted = 0 AND (n.published_at, n.id) < (?1, ?2)"
    "  AND (n.roles_mask = 0 OR (n.roles_mask & ?3) != 0)"
    "  AND (n.unpublish_at IS NULL OR n.unpublish_at > ?5)"
    " ORDER BY n.published_at DESC, n.id DESC LIMIT ?4";

// constraint -> conflict, busy/locked -> unavailable, anything else -> internal. `context` names
// the operation for the message (which the gateway logs, not returns, for internal errors).
error from_sqlite(const db::sqlite_error& e, std::string_view context);

}  // namespace samverka::tenant::schema
