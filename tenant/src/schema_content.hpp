// Schema of the content feature: pages (tree, owner, review date, approval, versions), guides,
// documents (content-addressed files with versions), personal links, profiles, the audit trail,
// and news scheduling. Appended to the migrations array in schema.cpp as one entry; never edited
// once released.
//
// Design notes:
//  1. pages holds the live version (title, body) so reads never join; page_versions keeps every
//     version with who/when. A page with requires_approval takes edits from non-owners as a
//     "pending" version that goes live when the owner or an admin approves it.
//  2. pages.live = 0 until a first version is approved; such a page is visible to its owner,
//     editors and admins only, and is not in the search index.
//  3. Rows are soft-deleted (deleted = 1) so ids are never reused (audit entries refer to them).
//  4. Files are stored by content hash under files/sha256/XX/HASH, shared by every version that
//     has the same bytes; documents.bytes_total is what quota counts (each version's size).
//  5. audit_log is append-only; its index serves the newest-first, keyset-paginated API.
//  6. news.unpublish_at (NULL = never) takes a news item off the feed and search at that time;
//     a future news.published_at is a scheduled publication.
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_content = R"sql(
CREATE TABLE pages(
  id                   INTEGER PRIMARY KEY,
  parent_id            INTEGER REFERENCES pages(id),
  title                TEXT NOT NULL,
  body                 TEXT NOT NULL DEFAULT '',
  owner_id             INTEGER NOT NULL REFERENCES users(id),
  review_interval_days INTEGER NOT NULL,
  review_at            INTEGER NOT NULL,
  requires_approval    INTEGER NOT NULL DEFAULT 0,
  live                 INTEGER NOT NULL DEFAULT 1,
  version              INTEGER NOT NULL DEFAULT 0,
  publish_at           INTEGER,
  unpublish_at         INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  deleted              INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pages_parent ON pages(parent_id, title) WHERE deleted = 0;
CREATE INDEX pages_review ON pages(review_at, owner_id) WHERE deleted = 0;
CREATE INDEX pages_owner ON pages(owner_id, review_at) WHERE deleted = 0;

CREATE TABLE page_versions(
  id          INTEGER PRIMARY KEY,
  page_id     INTEGER NOT NULL REFERENCES pages(id),
  version     INTEGER NOT NULL,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  editor_id   INTEGER,
  editor_name TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('live', 'pending', 'superseded', 'rejected')),
  approved_by TEXT,
  UNIQUE (page_id, version)
);

CREATE TABLE guides(
  id          INTEGER PRIMARY KEY,
  title       TEXT NOT NULL,
  summary     TEXT NOT NULL DEFAULT '',
  author_id   INTEGER,
  author_name TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE guide_steps(
  guide_id  INTEGER NOT NULL REFERENCES guides(id),
  position  INTEGER NOT NULL,
  text      TEXT NOT NULL,
  image_ref TEXT,
  PRIMARY KEY (guide_id, position)
) WITHOUT ROWID;

CREATE TABLE documents(
  id          INTEGER PRIMARY KEY,
  title       TEXT NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  owner_id    INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE document_versions(
  document_id  INTEGER NOT NULL REFERENCES documents(id),
  version      INTEGER NOT NULL,
  file_name    TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  uploader     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (document_id, version)
) WITHOUT ROWID;
CREATE INDEX document_versions_hash ON document_versions(sha256);
CREATE TABLE document_uses(
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  document_id INTEGER NOT NULL REFERENCES documents(id),
  used_at     INTEGER NOT NULL,
  PRIMARY KEY (user_id, document_id)
) WITHOUT ROWID;
CREATE INDEX document_uses_recent ON document_uses(user_id, used_at DESC);

CREATE TABLE user_links(
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  url        TEXT NOT NULL,
  position   INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX user_links_user ON user_links(user_id, position);

CREATE TABLE profiles(
  user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  title      TEXT NOT NULL DEFAULT '',
  phone      TEXT NOT NULL DEFAULT '',
  about      TEXT NOT NULL DEFAULT '',
  skills     TEXT NOT NULL DEFAULT '',
  photo_sha256 TEXT,
  photo_type TEXT,
  updated_at INTEGER NOT NULL
);

CREATE TABLE audit_log(
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor_id    INTEGER,
  actor_email TEXT NOT NULL,
  action      TEXT NOT NULL,
  item_type   TEXT NOT NULL,
  item_id     INTEGER NOT NULL,
  detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at DESC, id DESC);
CREATE INDEX audit_log_item ON audit_log(item_type, item_id);

ALTER TABLE news ADD COLUMN unpublish_at INTEGER;
)sql";

}  // namespace samverka::tenant::schema
