// Versioned schema of a tenant store.
//
// Design notes:
//  1. migrations[i] takes a database from version i to i + 1; the version lives in
//     PRAGMA user_version, so it travels with the file (exports, snapshots, imports).
//  2. Migrations are append-only: a released script is never edited, only followed by another.
//  3. All missing migrations run in one BEGIN IMMEDIATE transaction together with the version
//     bump, so a store is never left half-migrated and two migrators cannot interleave.
//  4. A database newer than this build is never written: older code cannot know what the newer
//     schema's invariants are.
#include "schema.hpp"

#include <array>
#include <string>
#include <system_error>

#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/store.hpp"
#include "schema_content.hpp"
#include "schema_content2.hpp"
#include "schema_directory.hpp"
#include "schema_oidc.hpp"
#include "schema_search.hpp"
#include "schema_search_groups.hpp"
#include "schema_sessions.hpp"
#include "schema_sharing.hpp"
#include "schema_sharing_schedule.hpp"
#include "schema_social.hpp"
#include "search_text.hpp"

namespace samverka::tenant {

namespace {

namespace fs = std::filesystem;

// Version 1: org tree, people, sessions and news with their audience.
//  - roles columns are role_mask bits (model.hpp); news.roles_mask = 0 means "every role".
//  - news.all_units = 1 means "every unit" (no news_units rows); otherwise news_units lists the
//    targeted units, and a unit includes its sub-units (matched against the viewer's reach).
//  - news rows are soft-deleted (deleted = 1) so an id is never reused: partners' linked copies
//    refer to news by id. The feed index is partial, so deleted rows cost the feed nothing, and
//    it carries roles_mask and all_units so the feed rejects rows without reading them.
//  - unit names are unique under NOCASE, which folds ASCII letters only ("Å" and "å" differ).
//  - news.author_id has no foreign key: news outlives its author's account, and author_name is
//    kept for display.
constexpr std::string_view v1 = R"sql(
CREATE TABLE units(
  id        INTEGER PRIMARY KEY,
  name      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  parent_id INTEGER REFERENCES units(id)
);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE users(
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  roles         INTEGER NOT NULL CHECK (roles BETWEEN 1 AND 15),
  password_hash TEXT,
  active        INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL
);

CREATE TABLE user_units(
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  PRIMARY KEY (user_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX user_units_unit ON user_units(unit_id, user_id);

CREATE TABLE sessions(
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id, expires_at);

CREATE TABLE news(
  id             INTEGER PRIMARY KEY,
  title          TEXT NOT NULL,
  summary        TEXT NOT NULL DEFAULT '',
  body           TEXT NOT NULL DEFAULT '',
  author_id      INTEGER,
  author_name    TEXT NOT NULL DEFAULT '',
  published_at   INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  roles_mask     INTEGER NOT NULL DEFAULT 0,
  all_units      INTEGER NOT NULL DEFAULT 1,
  source_slug    TEXT,
  source_name    TEXT,
  source_news_id INTEGER,
  deleted        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX news_feed ON news(published_at DESC, id DESC, roles_mask, all_units)
  WHERE deleted = 0;

CREATE TABLE news_units(
  news_id INTEGER NOT NULL REFERENCES news(id) ON DELETE CASCADE,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  PRIMARY KEY (news_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX news_units_unit ON news_units(unit_id, news_id);
)sql";

constexpr std::array migrations{v1,
                                schema::schema_social,
                                schema_sharing,
                                schema::schema_content,
                                schema::schema_search,
                                schema::schema_directory,
                                schema::schema_content2,
                                schema::schema_oidc,
                                schema::schema_search_groups,
                                schema::schema_sessions,
                                schema::schema_sharing_schedule};

error too_new(int found, errc kind) {
  return error(kind, "schema_too_new",
               "tenant store schema version " + std::to_string(found) +
                   " is newer than this build's version " +
                   std::to_string(current_schema_version()) + "; upgrade samverka");
}

error internal_fs(const std::string& what, const std::error_code& ec) {
  return error(errc::internal, what + ": " + ec.message());
}

}  // namespace

int current_schema_version() noexcept {
  return static_cast<int>(migrations.size());
}

namespace schema {

result<int> migrate(db::connection& c) {
  // The search migration and the index triggers need the Swedish tokenizer (search_text.hpp).
  if (search_text::register_on(c.raw()) != SQLITE_OK)
    return error(errc::internal, "cannot register the search tokenizer");
  db::write_txn tx(c);
  const int before = c.user_version();
  if (before > current_schema_version()) return too_new(before, errc::conflict);
  if (before < 0) return error(errc::internal, "negative tenant store schema version");
  for (int v = before; v < current_schema_version(); ++v) c.exec(migrations[v]);
  if (before != current_schema_version()) c.set_user_version(current_schema_version());
  tx.commit();
  return before;
}

result<void> check_current(db::connection& c) {
  const int v = c.user_version();
  if (v > current_schema_version()) return too_new(v, errc::unavailable);
  if (v < current_schema_version())
    return error(errc::unavailable, "schema_outdated",
                 "tenant store schema version " + std::to_string(v) + " is older than " +
                     std::to_string(current_schema_version()) + "; run `samverkactl migrate`");
  return {};
}

error from_sqlite(const db::sqlite_error& e, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += e.what();
  if (e.is_constraint()) return error(errc::conflict, std::move(msg));
  if (e.is_busy()) return error(errc::unavailable, "store_busy", std::move(msg));
  return error(errc::internal, std::move(msg));
}

}  // namespace schema

result<void> create_store(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) return internal_fs("create " + dir.parent_path().string(), ec);
  }
  // create_directory reports an existing directory as "not created": the existence check and
  // the creation are one step, so two concurrent creators cannot both succeed.
  if (!fs::create_directory(dir, ec)) {
    if (ec) return internal_fs("create " + dir.string(), ec);
    return error(errc::conflict, "store_exists",
                 "a tenant store already exists at " + dir.string());
  }
  auto undo = [&] {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  };
  fs::create_directory(schema::files_path(dir), ec);
  if (ec) {
    undo();
    return internal_fs("create " + schema::files_path(dir).string(), ec);
  }
  try {
    const int busy_ms = static_cast<int>(limits::busy_timeout.count());
    db::connection c(schema::db_path(dir), db::connection::mode::read_write_create, busy_ms);
    auto r = schema::migrate(c);
    if (!r) {
      undo();
      return r.err();
    }
  } catch (const db::sqlite_error& e) {
    undo();
    return schema::from_sqlite(e, "create tenant store");
  }
  return {};
}

result<int> migrate_store(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(schema::db_path(dir), ec))
    return error(errc::not_found, "store_missing", "no tenant store at " + dir.string());
  int before = 0;
  try {
    const int busy_ms = static_cast<int>(limits::busy_timeout.count());
    db::connection c(schema::db_path(dir), db::connection::mode::read_write, busy_ms);
    auto r = schema::migrate(c);
    if (!r) return r;
    before = *r;
  } catch (const db::sqlite_error& e) {
    return schema::from_sqlite(e, "migrate tenant store");
  }
  // A store restored from an archive without attachments still gets its folder.
  fs::create_directories(schema::files_path(dir), ec);
  if (ec) return internal_fs("create " + schema::files_path(dir).string(), ec);
  return before;
}

}  // namespace samverka::tenant
