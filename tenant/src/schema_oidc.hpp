// Private to samverka_tenant: the OpenID Connect feature's tables (one migration, appended to the
// list in schema.cpp).
//  - oidc_settings: at most one row (id = 1), the tenant's identity provider. The client secret
//    is stored as given: the token endpoint needs it back, so it cannot be hashed. It travels in
//    tenant exports like the rest of the database.
//  - oidc_states: pending sign-ins, keyed by sha256(state) and bound to the browser by
//    sha256(binding cookie); a row is deleted when its callback arrives (single use) or once
//    expired. The nonce and PKCE verifier never leave the server.
//  - oidc_links: (issuer, subject) -> person, written at the first sign-in matched by e-mail;
//    later sign-ins match by subject first. UNIQUE (issuer, user_id): one identity per person
//    and provider, so an IdP account that merely claims someone's e-mail cannot take them over.
#pragma once

#include <string_view>

namespace samverka::tenant::schema {

inline constexpr std::string_view schema_oidc = R"sql(
CREATE TABLE oidc_settings(
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  issuer        TEXT NOT NULL,
  client_id     TEXT NOT NULL,
  client_secret TEXT NOT NULL,
  email_claim   TEXT NOT NULL DEFAULT 'email',
  label         TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE oidc_states(
  state_hash    TEXT PRIMARY KEY,
  binding_hash  TEXT NOT NULL,
  issuer        TEXT NOT NULL,
  nonce         TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  redirect_uri  TEXT NOT NULL,
  return_to     TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_states_expiry ON oidc_states(expires_at);

CREATE TABLE oidc_links(
  issuer        TEXT NOT NULL,
  subject       TEXT NOT NULL,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  last_login_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, subject),
  UNIQUE (issuer, user_id)
) WITHOUT ROWID;
)sql";

}  // namespace samverka::tenant::schema
