// Schema of the search feature: one FTS5 index over every searchable kind of item. Appended to
// the migrations array in schema.cpp as one entry; never edited once released.
//
// Design notes:
//  1. search_docs maps (kind, item_id) to the FTS row (search_fts.rowid = search_docs.id) and keeps
//     the freshness used in ranking. The index holds text only: who may read an item is decided at
//     query time from the item's own row (news.roles_mask, users.active, pages.live, ...), so
//     re-targeting or deactivating something takes effect in search at the same instant as
//     everywhere else, and nothing about permissions can go stale in the index.
//  2. News and people are indexed by triggers on their tables, inside the writing transaction, so
//     every writer (the news API, the sharing service's copies, the CLI, SCIM) keeps the index in
//     step without calling search code; a deleted or withdrawn news item leaves the index in the
//     same commit. Pages, guides, documents and profile details are indexed by content.cpp in its
//     write transactions (see search_index.hpp).
//  3. The tokenizer samverka_sv and the function samverka_html_text() are registered on every
//     connection (search_text.hpp); without them these tables and triggers cannot be used.
//  4. Columns: title (weighted highest), body, extra (profile details, document text, guide
//     steps), and kind (the item's type as a word, so a type filter is an FTS column filter that
//     narrows the match inside the index instead of after ranking).
//  5. prefix = '2 3 4 5' keeps prefix indexes for type-ahead: a 2..5-letter prefix is one
//     doclist read instead of a merge over every term it expands to (costs index space).
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

// The body text a person is found by: e-mail and unit names.
#define SAMVERKA_PERSON_BODY(ID)                                                              \
  "(SELECT pu.email || ' ' || coalesce((SELECT group_concat(un.name, ' ') FROM user_units uu" \
  " JOIN units un ON un.id = uu.unit_id WHERE uu.user_id = pu.id), '') FROM users pu"         \
  " WHERE pu.id = " ID ")"
#define SAMVERKA_DOC_ROW(KIND, ID) \
  "(SELECT id FROM search_docs WHERE kind = '" KIND "' AND item_id = " ID ")"

inline constexpr std::string_view schema_search =
    R"sql(
CREATE TABLE search_docs(
  id       INTEGER PRIMARY KEY,
  kind     TEXT NOT NULL,
  item_id  INTEGER NOT NULL,
  fresh_at INTEGER NOT NULL,
  UNIQUE (kind, item_id)
);
CREATE VIRTUAL TABLE search_fts USING fts5(title, body, extra, kind, tokenize = 'samverka_sv',
  prefix = '2 3 4 5');

CREATE TRIGGER search_news_ai AFTER INSERT ON news WHEN NEW.deleted = 0 BEGIN
  INSERT INTO search_docs(kind, item_id, fresh_at) VALUES ('news', NEW.id, NEW.published_at);
  INSERT INTO search_fts(rowid, title, body, extra, kind)
    VALUES ()sql" SAMVERKA_DOC_ROW("news", "NEW.id") R"sql(, NEW.title,
            NEW.summary || ' ' || samverka_html_text(NEW.body), '', 'news');
END;
CREATE TRIGGER search_news_au AFTER UPDATE OF title, summary, body, deleted, published_at ON news
BEGIN
  DELETE FROM search_fts WHERE rowid = )sql" SAMVERKA_DOC_ROW("news", "OLD.id") R"sql(;
  DELETE FROM search_docs WHERE kind = 'news' AND item_id = OLD.id;
  INSERT INTO search_docs(kind, item_id, fresh_at)
    SELECT 'news', NEW.id, NEW.published_at WHERE NEW.deleted = 0;
  INSERT INTO search_fts(rowid, title, body, extra, kind)
    SELECT id, NEW.title, NEW.summary || ' ' || samverka_html_text(NEW.body), '', 'news'
    FROM search_docs WHERE kind = 'news' AND item_id = NEW.id;
END;
CREATE TRIGGER search_news_ad AFTER DELETE ON news BEGIN
  DELETE FROM search_fts WHERE rowid = )sql" SAMVERKA_DOC_ROW("news", "OLD.id") R"sql(;
  DELETE FROM search_docs WHERE kind = 'news' AND item_id = OLD.id;
END;

CREATE TRIGGER search_users_ai AFTER INSERT ON users BEGIN
  INSERT INTO search_docs(kind, item_id, fresh_at) VALUES ('person', NEW.id, NEW.created_at);
  INSERT INTO search_fts(rowid, title, body, extra, kind)
    VALUES ()sql" SAMVERKA_DOC_ROW("person", "NEW.id") R"sql(, NEW.name,
            )sql" SAMVERKA_PERSON_BODY("NEW.id") R"sql(, '', 'person');
END;
CREATE TRIGGER search_users_au AFTER UPDATE OF name, email ON users BEGIN
  UPDATE search_fts SET title = NEW.name, body = )sql" SAMVERKA_PERSON_BODY("NEW.id") R"sql(
    WHERE rowid = )sql" SAMVERKA_DOC_ROW("person", "NEW.id") R"sql(;
END;
CREATE TRIGGER search_users_ad AFTER DELETE ON users BEGIN
  DELETE FROM search_fts WHERE rowid = )sql" SAMVERKA_DOC_ROW("person", "OLD.id") R"sql(;
  DELETE FROM search_docs WHERE kind = 'person' AND item_id = OLD.id;
END;
CREATE TRIGGER search_user_units_ai AFTER INSERT ON user_units BEGIN
  UPDATE search_fts SET body = )sql" SAMVERKA_PERSON_BODY("NEW.user_id") R"sql(
    WHERE rowid = )sql" SAMVERKA_DOC_ROW("person", "NEW.user_id") R"sql(;
END;
CREATE TRIGGER search_user_units_ad AFTER DELETE ON user_units BEGIN
  UPDATE search_fts SET body = )sql" SAMVERKA_PERSON_BODY("OLD.user_id") R"sql(
    WHERE rowid = )sql" SAMVERKA_DOC_ROW("person", "OLD.user_id") R"sql(;
END;

-- Backfill what existed before this version.
INSERT INTO search_docs(kind, item_id, fresh_at)
  SELECT 'news', id, published_at FROM news WHERE deleted = 0;
INSERT INTO search_docs(kind, item_id, fresh_at) SELECT 'person', id, created_at FROM users;
INSERT INTO search_fts(rowid, title, body, extra, kind)
  SELECT d.id, n.title, n.summary || ' ' || samverka_html_text(n.body), '', 'news'
  FROM search_docs d JOIN news n ON n.id = d.item_id WHERE d.kind = 'news';
INSERT INTO search_fts(rowid, title, body, extra, kind)
  SELECT d.id, u.name, )sql" SAMVERKA_PERSON_BODY("u.id") R"sql(, '', 'person'
  FROM search_docs d JOIN users u ON u.id = d.item_id WHERE d.kind = 'person';
)sql";

}  // namespace samverka::tenant::schema
