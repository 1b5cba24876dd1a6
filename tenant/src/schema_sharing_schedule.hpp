// Private to samverka_tenant: shared news follows its original's schedule (one migration, appended
// to the list in schema.cpp). A change of an original's publish_at (stored as published_at) or
// unpublish_at is a new revision like a text edit, so the relay delivers it to every partner
// holding a copy, and the receiver applies it to linked copies (tenant/src/sharing.cpp).
//  - sharing_revisions.unpublish_at: the snapshot carries the whole schedule (published_at was
//    already there).
//  - sharing_copies.unpublish_at: the schedule the copy last received, so a pending offer is
//    accepted with the newest one, and a delivery rewrites the local news row's schedule only
//    when the original's changed (a schedule the receiver set on its copy survives text edits).
//  - sharing_news_changed also fires on published_at and unpublish_at (dropped and created again:
//    a trigger cannot be altered).
//  - sharing_copies.schedule_synced: whether the stored schedule is the original's as delivered
//    (copies from before this migration start at 0, see below).
//  - Not caught up: a schedule set on an original before this migration reaches its copies with
//    the original's second revision after it (the first one records the schedule).
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_sharing_schedule = R"sql(
ALTER TABLE sharing_revisions ADD COLUMN unpublish_at INTEGER;
ALTER TABLE sharing_copies ADD COLUMN unpublish_at INTEGER;
-- 0 for copies received before this version: their published_at is the first delivery's and
-- unpublish_at unknown, so the next delivery records the original's schedule without applying
-- it (it cannot tell the original's change from the receiver's own); 1 from then on.
ALTER TABLE sharing_copies ADD COLUMN schedule_synced INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER sharing_news_changed;
CREATE TRIGGER sharing_news_changed
AFTER UPDATE OF title, summary, body, deleted, attachments, published_at, unpublish_at ON news
WHEN (NEW.title IS NOT OLD.title OR NEW.summary IS NOT OLD.summary OR NEW.body IS NOT OLD.body
      OR NEW.deleted IS NOT OLD.deleted OR NEW.attachments IS NOT OLD.attachments
      OR NEW.published_at IS NOT OLD.published_at OR NEW.unpublish_at IS NOT OLD.unpublish_at)
  AND EXISTS (SELECT 1 FROM sharing_items WHERE news_id = NEW.id)
BEGIN
  UPDATE sharing_items SET revision = revision + 1 WHERE news_id = NEW.id;
  INSERT INTO sharing_revisions(news_id, revision, title, summary, body, author_name,
                                published_at, updated_at, roles_mask, withdrawn, attachments,
                                unpublish_at)
    SELECT NEW.id, i.revision, NEW.title, NEW.summary, NEW.body, NEW.author_name,
           NEW.published_at, NEW.updated_at, NEW.roles_mask, NEW.deleted, NEW.attachments,
           NEW.unpublish_at
    FROM sharing_items i WHERE i.news_id = NEW.id;
  INSERT INTO sharing_outbox(news_id, revision, partner, created_at)
    SELECT t.news_id, i.revision, t.partner, NEW.updated_at
    FROM sharing_targets t JOIN sharing_items i ON i.news_id = t.news_id
    WHERE t.news_id = NEW.id AND t.ended = 0;
  UPDATE sharing_items SET shareable = 0 WHERE news_id = NEW.id AND NEW.deleted = 1;
END;
)sql";

}  // namespace samverka::tenant::schema
