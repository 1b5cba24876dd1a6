// Schema of the search feature, part 2: social groups in the search index (kind 'group').
// Appended to the migrations array in schema.cpp as one entry; never edited once released.
//
// Design notes:
//  1. Like news and people, groups are indexed by triggers on their own table (social_groups),
//     inside the writing transaction, so the social feature's writers (and the units trigger
//     that creates department groups) keep the index current without calling search code.
//  2. Who may find a group is decided at query time (search.cpp): department and open groups by
//     every member of the tenant, closed groups only by their members (group_members), as
//     everywhere else in the social feature. The index holds the name and description only;
//     member counts are never indexed, so nothing about a closed group can leak through it.
//  3. The migration ends by merging the index into one segment ('optimize'). FTS5 writes a
//     segment per transaction and merges them level by level, so an index built item by item
//     (imports, the seeding of a large tenant) holds ~20 segments, and every phrase of every
//     query opens an iterator in each: measured on a Jönköping-scale index, one segment serves
//     25-35 % more searches per second. A later bulk load needs the same merge again
//     (`samverkactl search optimize`, store::optimize_search_index).
#pragma once

#include <string_view>

#include "schema_search.hpp"

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_search_groups =
    R"sql(
CREATE TRIGGER search_groups_ai AFTER INSERT ON social_groups WHEN NEW.deleted = 0 BEGIN
  INSERT INTO search_docs(kind, item_id, fresh_at) VALUES ('group', NEW.id, NEW.created_at);
  INSERT INTO search_fts(rowid, title, body, extra, kind)
    VALUES ()sql" SAMVERKA_DOC_ROW("group", "NEW.id") R"sql(, NEW.name, NEW.description, '',
            'group');
END;
CREATE TRIGGER search_groups_au AFTER UPDATE OF name, description, deleted ON social_groups
BEGIN
  DELETE FROM search_fts WHERE rowid = )sql" SAMVERKA_DOC_ROW("group", "OLD.id") R"sql(;
  DELETE FROM search_docs WHERE kind = 'group' AND item_id = OLD.id;
  INSERT INTO search_docs(kind, item_id, fresh_at)
    SELECT 'group', NEW.id, NEW.created_at WHERE NEW.deleted = 0;
  INSERT INTO search_fts(rowid, title, body, extra, kind)
    SELECT id, NEW.name, NEW.description, '', 'group'
    FROM search_docs WHERE kind = 'group' AND item_id = NEW.id;
END;
CREATE TRIGGER search_groups_ad AFTER DELETE ON social_groups BEGIN
  DELETE FROM search_fts WHERE rowid = )sql" SAMVERKA_DOC_ROW("group", "OLD.id") R"sql(;
  DELETE FROM search_docs WHERE kind = 'group' AND item_id = OLD.id;
END;

-- Backfill the groups that existed before this version.
INSERT INTO search_docs(kind, item_id, fresh_at)
  SELECT 'group', id, created_at FROM social_groups WHERE deleted = 0;
INSERT INTO search_fts(rowid, title, body, extra, kind)
  SELECT d.id, g.name, g.description, '', 'group'
  FROM search_docs d JOIN social_groups g ON g.id = d.item_id WHERE d.kind = 'group';

-- One segment (design note 3).
INSERT INTO search_fts(search_fts) VALUES ('optimize');
)sql";

}  // namespace samverka::tenant::schema
