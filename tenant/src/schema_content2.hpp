// Schema of the second content round: document scopes (a closed group's files, the files of a
// partner's copy), attachments on news and posts, files travelling with shared news, and the
// digest timer's durable record of sent days. One appended migration (see schema.cpp).
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_content2 = R"sql(
-- A document is tenant-wide (both NULL), a group's (readable by the group's readers only) or a
-- partner copy's (readable by whoever may read the copy's local news item).
ALTER TABLE documents ADD COLUMN group_id INTEGER REFERENCES social_groups(id);
ALTER TABLE documents ADD COLUMN copy_id INTEGER REFERENCES sharing_copies(id);
CREATE INDEX documents_updated ON documents(updated_at DESC, id DESC) WHERE deleted = 0;
CREATE INDEX guides_updated ON guides(updated_at DESC, id DESC) WHERE deleted = 0;

-- Attachments: JSON arrays of document ids of this tenant, in order.
ALTER TABLE news ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE posts ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sharing_revisions ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sharing_copies ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

-- Receiver side: the local document made for each of the source's documents a copy carries.
CREATE TABLE sharing_copy_files(
  copy_id            INTEGER NOT NULL REFERENCES sharing_copies(id),
  source_document_id INTEGER NOT NULL,
  sha256             TEXT NOT NULL,
  document_id        INTEGER NOT NULL REFERENCES documents(id),
  PRIMARY KEY (copy_id, source_document_id)
) WITHOUT ROWID;

-- A change of an original's attachments is a new revision too.
DROP TRIGGER sharing_news_changed;
CREATE TRIGGER sharing_news_changed AFTER UPDATE OF title, summary, body, deleted, attachments
ON news
WHEN (NEW.title IS NOT OLD.title OR NEW.summary IS NOT OLD.summary OR NEW.body IS NOT OLD.body
      OR NEW.deleted IS NOT OLD.deleted OR NEW.attachments IS NOT OLD.attachments)
  AND EXISTS (SELECT 1 FROM sharing_items WHERE news_id = NEW.id)
BEGIN
  UPDATE sharing_items SET revision = revision + 1 WHERE news_id = NEW.id;
  INSERT INTO sharing_revisions(news_id, revision, title, summary, body, author_name,
                                published_at, updated_at, roles_mask, withdrawn, attachments)
    SELECT NEW.id, i.revision, NEW.title, NEW.summary, NEW.body, NEW.author_name,
           NEW.published_at, NEW.updated_at, NEW.roles_mask, NEW.deleted, NEW.attachments
    FROM sharing_items i WHERE i.news_id = NEW.id;
  INSERT INTO sharing_outbox(news_id, revision, partner, created_at)
    SELECT t.news_id, i.revision, t.partner, NEW.updated_at
    FROM sharing_targets t JOIN sharing_items i ON i.news_id = t.news_id
    WHERE t.news_id = NEW.id AND t.ended = 0;
  UPDATE sharing_items SET shareable = 0 WHERE news_id = NEW.id AND NEW.deleted = 1;
END;

DROP TRIGGER sharing_copy_read_only;
CREATE TRIGGER sharing_copy_read_only BEFORE UPDATE OF title, summary, body, attachments ON news
WHEN NEW.source_slug IS NOT NULL
  AND (NEW.title IS NOT OLD.title OR NEW.summary IS NOT OLD.summary OR NEW.body IS NOT OLD.body
       OR NEW.attachments IS NOT OLD.attachments)
  AND EXISTS (SELECT 1 FROM sharing_copies WHERE news_id = NEW.id AND linked = 1)
  AND NOT EXISTS (SELECT 1 FROM sharing_apply_guard)
BEGIN
  SELECT RAISE(ABORT, 'linked_copy: this news item follows a partner''s original; unlink it to edit it here');
END;

-- The digest timer: one row per local day whose digest run started (never twice a day, across
-- restarts too).
CREATE TABLE digest_days(
  day     TEXT PRIMARY KEY,  -- YYYY-MM-DD in the server's configured local time
  sent_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

}  // namespace samverka::tenant::schema
