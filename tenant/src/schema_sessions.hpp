// Private to samverka_tenant: revocations numbered in order (one migration, appended to the list
// in schema.cpp), so cluster mode can tell Redis of every session that stopped being valid
// (samverka/cluster/sessions.hpp) by asking "what was revoked after number N".
//  - session_revocation_counter: one row, the last number handed out. Not MAX(revoked_seq):
//    expired rows are deleted, and a number must never be handed out twice.
//  - sessions.revoked_seq: set by trigger when `revoked` turns 1, whoever writes it (the
//    server, samverkactl, SCIM), so no revoking code path can forget to number it.
//  - users_deactivated_revoke: deactivating a person revokes their sessions in the same
//    statement. Every deactivation path already did so by hand; now the store guarantees it.
//  - users_email_changed_revoke: so does a new e-mail address (SCIM renames): the person signs in
//    again, and no node keeps accepting a session under the old address.
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_sessions = R"sql(
CREATE TABLE session_revocation_counter(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  n  INTEGER NOT NULL
);
INSERT INTO session_revocation_counter(id, n) VALUES (1, 0);

ALTER TABLE sessions ADD COLUMN revoked_seq INTEGER;
CREATE INDEX sessions_revoked_seq ON sessions(revoked_seq) WHERE revoked_seq IS NOT NULL;

CREATE TRIGGER sessions_revoked AFTER UPDATE OF revoked ON sessions
WHEN NEW.revoked = 1 AND OLD.revoked = 0 BEGIN
  UPDATE session_revocation_counter SET n = n + 1 WHERE id = 1;
  UPDATE sessions SET revoked_seq = (SELECT n FROM session_revocation_counter WHERE id = 1)
   WHERE token_hash = NEW.token_hash;
END;

CREATE TRIGGER users_deactivated_revoke AFTER UPDATE OF active ON users
WHEN NEW.active = 0 AND OLD.active = 1 BEGIN
  UPDATE sessions SET revoked = 1 WHERE user_id = NEW.id AND revoked = 0;
END;

-- A changed e-mail address is a changed identity: other nodes know sessions by address.
CREATE TRIGGER users_email_changed_revoke AFTER UPDATE OF email ON users
WHEN NEW.email IS NOT OLD.email BEGIN
  UPDATE sessions SET revoked = 1 WHERE user_id = NEW.id AND revoked = 0;
END;

-- Sessions revoked before this version get numbers too, so a cluster node tells Redis of them
-- (one pass: numbered by window function, joined on the primary key).
UPDATE session_revocation_counter SET n = (SELECT count(*) FROM sessions WHERE revoked = 1);
UPDATE sessions SET revoked_seq = numbered.n
  FROM (SELECT token_hash, row_number() OVER (ORDER BY token_hash) AS n
          FROM sessions WHERE revoked = 1) AS numbered
 WHERE sessions.token_hash = numbered.token_hash;
)sql";

}  // namespace samverka::tenant::schema
