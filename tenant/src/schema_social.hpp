// Schema of the social feature (groups, posts, comments, likes, follow/mute, notifications,
// ideas). Appended to the migrations array in schema.cpp as one entry; never edited once released.
//
// Design notes:
//  1. Department groups mirror the org tree: a trigger on units creates one group per unit (and
//     renames it with the unit), and the migration backfills groups for existing units. Whichever
//     path adds a unit (CLI, SCIM, import) keeps the groups in step without calling social code.
//  2. Department group membership is NOT stored: it is computed from the viewer's reach (their
//     units and every ancestor, resolved once per request in store::viewer_for), so a person in
//     "Hemtjänst" is a member of the "Hemtjänst" and "Socialförvaltningen" groups. Moving a person
//     between units (SCIM, CLI) therefore needs no sync and can never drift. group_members holds
//     only open and closed group memberships.
//  3. Posts and comments share one table, `posts` (thread_id = the post's id for a post, the
//     parent post's id for a comment), with group_id denormalised onto comments. The feed is then
//     a walk of one index per group, posts_group_feed(group_id, created_at DESC, id DESC), which
//     stays O(page) however large the tenant grows. like_count/comment_count are denormalised so
//     lists never aggregate.
//  4. Rows are soft-deleted (deleted = 1) so ids are never reused (notifications and follows refer
//     to them); the feed indexes are partial over deleted = 0.
//  5. Notifications are one row per event; the list groups them per (thread, kind) at read time
//     and filters them by the reader's current access, so leaving a closed group hides its
//     notifications and their counts at once.
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_social = R"sql(
CREATE TABLE social_groups(
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  kind        INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),  -- 0 department, 1 open, 2 closed
  unit_id     INTEGER UNIQUE,                              -- department groups only
  created_by  INTEGER,
  created_at  INTEGER NOT NULL,
  deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX social_groups_kind ON social_groups(kind, id) WHERE deleted = 0;

INSERT INTO social_groups(name, kind, unit_id, created_at)
  SELECT name, 0, id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM units;

CREATE TRIGGER units_department_group AFTER INSERT ON units BEGIN
  INSERT INTO social_groups(name, kind, unit_id, created_at)
  VALUES (NEW.name, 0, NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER units_department_group_name AFTER UPDATE OF name ON units BEGIN
  UPDATE social_groups SET name = NEW.name WHERE unit_id = NEW.id;
END;
CREATE TRIGGER units_department_group_gone AFTER DELETE ON units BEGIN
  UPDATE social_groups SET deleted = 1, unit_id = NULL WHERE unit_id = OLD.id;
END;

-- Open and closed group memberships (department groups: see design note 2). role 1 = admin.
CREATE TABLE group_members(
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  group_id  INTEGER NOT NULL REFERENCES social_groups(id),
  role      INTEGER NOT NULL DEFAULT 0,
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX group_members_group ON group_members(group_id, user_id);

CREATE TABLE group_invites(
  group_id   INTEGER NOT NULL REFERENCES social_groups(id),
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  invited_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;

-- Follow (state 1) or mute (state -1) a group (target_kind 1) or a post's thread (2).
CREATE TABLE subscriptions(
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  target_kind INTEGER NOT NULL,
  target_id   INTEGER NOT NULL,
  state       INTEGER NOT NULL CHECK (state IN (-1, 1)),
  PRIMARY KEY (user_id, target_kind, target_id)
) WITHOUT ROWID;
CREATE INDEX subscriptions_target ON subscriptions(target_kind, target_id, state, user_id);

CREATE TABLE posts(
  id            INTEGER PRIMARY KEY,
  group_id      INTEGER NOT NULL REFERENCES social_groups(id),
  thread_id     INTEGER NOT NULL,        -- = id for a post; the post's id for a comment
  is_comment    INTEGER NOT NULL DEFAULT 0,
  author_id     INTEGER,
  author_name   TEXT NOT NULL DEFAULT '',
  body          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  like_count    INTEGER NOT NULL DEFAULT 0,
  comment_count INTEGER NOT NULL DEFAULT 0,
  deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_group_feed ON posts(group_id, created_at DESC, id DESC) WHERE deleted = 0;
CREATE INDEX posts_thread ON posts(thread_id, created_at DESC, id DESC) WHERE deleted = 0;
CREATE INDEX posts_group_posts ON posts(group_id, is_comment, created_at DESC, id DESC)
  WHERE deleted = 0;

CREATE TABLE post_mentions(
  post_id INTEGER NOT NULL REFERENCES posts(id),
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;

CREATE TABLE likes(
  post_id INTEGER NOT NULL REFERENCES posts(id),
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;

-- kind: 1 mention, 2 reply (comment on your post), 3 comment (followed thread), 4 post (group),
-- 5 like, 6 invite, 7 idea status.
CREATE TABLE notifications(
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind       INTEGER NOT NULL,
  group_id   INTEGER,
  thread_id  INTEGER NOT NULL,    -- post id, group id (invite) or idea id (idea status)
  item_id    INTEGER NOT NULL,
  actor_name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  read       INTEGER NOT NULL DEFAULT 0,
  digested   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications(user_id, read, created_at DESC);
CREATE INDEX notifications_digest ON notifications(digested, user_id) WHERE digested = 0;

-- Per-person notification preferences; no row = the defaults (see social.hpp).
CREATE TABLE notification_prefs(
  user_id           INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  group_posts       INTEGER NOT NULL,
  followed_comments INTEGER NOT NULL,
  likes             INTEGER NOT NULL,
  digest            INTEGER NOT NULL
);

-- status: 0 new, 1 under review, 2 planned, 3 done, 4 declined.
CREATE TABLE ideas(
  id            INTEGER PRIMARY KEY,
  group_id      INTEGER REFERENCES social_groups(id),   -- NULL: the tenant's idea box
  author_id     INTEGER,
  author_name   TEXT NOT NULL DEFAULT '',
  title         TEXT NOT NULL,
  body          TEXT NOT NULL DEFAULT '',
  status        INTEGER NOT NULL DEFAULT 0,
  reply         TEXT NOT NULL DEFAULT '',
  reply_by      TEXT NOT NULL DEFAULT '',
  votes         INTEGER NOT NULL DEFAULT 0,
  comment_count INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ideas_top ON ideas(votes DESC, id DESC) WHERE deleted = 0;
CREATE INDEX ideas_group ON ideas(group_id, created_at DESC) WHERE deleted = 0;

CREATE TABLE idea_votes(
  idea_id INTEGER NOT NULL REFERENCES ideas(id),
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (idea_id, user_id)
) WITHOUT ROWID;

CREATE TABLE idea_comments(
  id          INTEGER PRIMARY KEY,
  idea_id     INTEGER NOT NULL REFERENCES ideas(id),
  author_id   INTEGER,
  author_name TEXT NOT NULL DEFAULT '',
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX idea_comments_idea ON idea_comments(idea_id, created_at);
)sql";

}  // namespace samverka::tenant::schema
