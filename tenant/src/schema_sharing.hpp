// Private to samverka_tenant: the sharing service's tables in every tenant store (one migration,
// appended to the list in schema.cpp). A tenant is a source (what it offers) and a receiver
// (what it got) at once, so every store has both halves.
//
// Source side:
//  - sharing_items: originals that are shareable or shared, with their current revision.
//  - sharing_revisions: the snapshot each revision carries (shared by every partner's outbox row).
//  - sharing_targets: one row per (original, partner) that holds or will hold a copy.
//  - sharing_outbox: one row per change to deliver to one partner, written in the SAME
//    transaction as the change (the trigger sharing_news_changed does it for edits and deletes
//    made through news.cpp, so no path can change a shared original without queueing it).
// Receiver side:
//  - sharing_copies: the inbox; a copy's content, status and link state, and its local news row
//    once accepted. UNIQUE (source_slug, source_news_id) makes apply idempotent.
//  - sharing_policies: per source partner, manual (absent row) or automatic acceptance.
//  - sharing_apply_guard: holds a row only inside sharing_apply's transaction; the trigger
//    sharing_copy_read_only lets only that transaction rewrite a linked copy's content, so an
//    editor's PATCH of a linked copy is refused (conflict) instead of being silently overwritten
//    by the next update. Unlinking the copy lifts the guard.
// Both: sharing_audit, who did what (kept apart from any general audit table).
#pragma once

#include <string_view>

namespace samverka::tenant {

inline constexpr std::string_view schema_sharing = R"sql(
CREATE TABLE sharing_items(
  news_id   INTEGER PRIMARY KEY REFERENCES news(id),
  shareable INTEGER NOT NULL DEFAULT 0,
  revision  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sharing_items_shareable ON sharing_items(news_id) WHERE shareable = 1;

CREATE TABLE sharing_revisions(
  news_id      INTEGER NOT NULL,
  revision     INTEGER NOT NULL,
  title        TEXT NOT NULL,
  summary      TEXT NOT NULL,
  body         TEXT NOT NULL,
  author_name  TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  roles_mask   INTEGER NOT NULL,
  withdrawn    INTEGER NOT NULL,
  PRIMARY KEY (news_id, revision)
) WITHOUT ROWID;

CREATE TABLE sharing_targets(
  news_id            INTEGER NOT NULL,
  partner            TEXT NOT NULL,
  via                TEXT NOT NULL CHECK (via IN ('push', 'borrow')),
  ended              INTEGER NOT NULL DEFAULT 0,
  delivered_revision INTEGER NOT NULL DEFAULT 0,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (news_id, partner)
) WITHOUT ROWID;
CREATE INDEX sharing_targets_partner ON sharing_targets(partner, news_id);

CREATE TABLE sharing_outbox(
  id              INTEGER PRIMARY KEY,
  news_id         INTEGER NOT NULL,
  revision        INTEGER NOT NULL,
  partner         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'delivered', 'superseded', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  done_at         INTEGER
);
CREATE INDEX sharing_outbox_queued ON sharing_outbox(next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX sharing_outbox_target ON sharing_outbox(news_id, partner, id);

CREATE TABLE sharing_copies(
  id             INTEGER PRIMARY KEY,
  source_slug    TEXT NOT NULL,
  source_news_id INTEGER NOT NULL,
  source_name    TEXT NOT NULL,
  via            TEXT NOT NULL CHECK (via IN ('push', 'borrow')),
  status         TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
  linked         INTEGER NOT NULL DEFAULT 1,
  unlinked_at    INTEGER,
  unlink_reason  TEXT NOT NULL DEFAULT '',
  revision       INTEGER NOT NULL,
  title          TEXT NOT NULL,
  summary        TEXT NOT NULL,
  body           TEXT NOT NULL,
  author_name    TEXT NOT NULL,
  published_at   INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  roles_mask     INTEGER NOT NULL,
  news_id        INTEGER REFERENCES news(id),
  received_at    INTEGER NOT NULL,
  decided_at     INTEGER,
  decided_by     TEXT NOT NULL DEFAULT '',
  UNIQUE (source_slug, source_news_id)
);
CREATE INDEX sharing_copies_news ON sharing_copies(news_id) WHERE news_id IS NOT NULL;
CREATE INDEX sharing_copies_recent ON sharing_copies(received_at DESC, id DESC);

CREATE TABLE sharing_policies(
  source_slug TEXT PRIMARY KEY,
  automatic   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sharing_apply_guard(active INTEGER NOT NULL);

CREATE TABLE sharing_audit(
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  news_id INTEGER,
  partner TEXT NOT NULL DEFAULT '',
  detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sharing_audit_news ON sharing_audit(news_id, id);

CREATE TRIGGER sharing_news_changed AFTER UPDATE OF title, summary, body, deleted ON news
WHEN (NEW.title IS NOT OLD.title OR NEW.summary IS NOT OLD.summary OR NEW.body IS NOT OLD.body
      OR NEW.deleted IS NOT OLD.deleted)
  AND EXISTS (SELECT 1 FROM sharing_items WHERE news_id = NEW.id)
BEGIN
  UPDATE sharing_items SET revision = revision + 1 WHERE news_id = NEW.id;
  INSERT INTO sharing_revisions(news_id, revision, title, summary, body, author_name,
                                published_at, updated_at, roles_mask, withdrawn)
    SELECT NEW.id, i.revision, NEW.title, NEW.summary, NEW.body, NEW.author_name,
           NEW.published_at, NEW.updated_at, NEW.roles_mask, NEW.deleted
    FROM sharing_items i WHERE i.news_id = NEW.id;
  INSERT INTO sharing_outbox(news_id, revision, partner, created_at)
    SELECT t.news_id, i.revision, t.partner, NEW.updated_at
    FROM sharing_targets t JOIN sharing_items i ON i.news_id = t.news_id
    WHERE t.news_id = NEW.id AND t.ended = 0;
  UPDATE sharing_items SET shareable = 0 WHERE news_id = NEW.id AND NEW.deleted = 1;
END;

CREATE TRIGGER sharing_copy_read_only BEFORE UPDATE OF title, summary, body ON news
WHEN NEW.source_slug IS NOT NULL
  AND (NEW.title IS NOT OLD.title OR NEW.summary IS NOT OLD.summary OR NEW.body IS NOT OLD.body)
  AND EXISTS (SELECT 1 FROM sharing_copies WHERE news_id = NEW.id AND linked = 1)
  AND NOT EXISTS (SELECT 1 FROM sharing_apply_guard)
BEGIN
  SELECT RAISE(ABORT, 'linked_copy: this news item follows a partner''s original; unlink it to edit it here');
END;

CREATE TRIGGER sharing_copy_deleted AFTER UPDATE OF deleted ON news
WHEN NEW.deleted = 1 AND OLD.deleted = 0 AND NEW.source_slug IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM sharing_apply_guard)
BEGIN
  UPDATE sharing_copies SET linked = 0, unlinked_at = NEW.updated_at,
                            unlink_reason = 'deleted_locally'
  WHERE news_id = NEW.id AND linked = 1;
END;
)sql";

}  // namespace samverka::tenant
