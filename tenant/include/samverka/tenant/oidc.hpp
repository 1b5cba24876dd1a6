// Values of the OpenID Connect feature (Samverka as relying party): a tenant's identity provider
// settings, a pending sign-in between /auth/oidc/start and /auth/oidc/callback, and the limits
// of both. No I/O here; tenant::store keeps them (tenant/src/oidc.cpp, schema_oidc.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "samverka/core/error.hpp"

namespace samverka::tenant {

struct oidc_limits {
  // A pending sign-in lives this long: enough to type a password and pass a second factor at the
  // identity provider, short enough that a leaked state value is soon worthless.
  static constexpr std::chrono::minutes state_ttl{10};
  // Pending sign-ins kept per tenant. /auth/oidc/start is unauthenticated, so this bounds what a
  // flood of starts can make the store hold; past it, starts are refused until some expire.
  static constexpr std::size_t max_pending_states = 10000;
  // Issuer URLs are short (https://login.example.org/tenant-id/v2.0); longer input is junk.
  static constexpr std::size_t max_issuer = 512;
  // Client ids are GUIDs or short names; secrets of common IdPs are under 100 characters.
  static constexpr std::size_t max_client_id = 256;
  static constexpr std::size_t max_client_secret = 1024;
  // A claim name such as "email", "upn" or "preferred_username".
  static constexpr std::size_t max_claim_name = 64;
  // The login button's text.
  static constexpr std::size_t max_label = 80;
  // `sub` is at most 255 ASCII characters (OpenID Connect Core 1.0, section 2).
  static constexpr std::size_t max_subject = 255;
  // A return_to path kept with a pending sign-in.
  static constexpr std::size_t max_return_to = 512;
  // A redirect_uri kept with a pending sign-in (host header + base path + fixed suffix).
  static constexpr std::size_t max_redirect_uri = 1024;
};

// A tenant's identity provider. The client secret is kept because the token endpoint needs it;
// it is never printed, logged or returned by any API.
struct oidc_settings {
  std::string issuer;  // https URL, exactly as the IdP's discovery document names it
  std::string client_id;
  std::string client_secret;
  std::string email_claim = "email";  // the ID token claim holding the person's e-mail
  std::string label;                  // the login button's text
  std::int64_t updated_at_ms = 0;
};

// Checks and normalises settings before they are stored: issuer https without query or
// fragment (a trailing '/' is kept: issuers compare exactly), printable ASCII ids and secret,
// a plain claim name, and a label (default: the issuer's host).
result<oidc_settings> validate_oidc_settings(oidc_settings s);

// A sign-in between start and callback, found by the hash of its `state` and bound to the
// browser that started it by the hash of a cookie value.
struct oidc_pending {
  std::string binding_hash;  // sha256_hex of the browser's binding cookie
  std::string issuer;        // the issuer the sign-in was started against
  std::string nonce;
  std::string code_verifier;  // PKCE
  std::string redirect_uri;
  std::string return_to;
  std::int64_t expires_at_ms = 0;
};

// Who a person is at an identity provider: the stable (issuer, subject) pair.
struct oidc_identity {
  std::string issuer;
  std::string subject;
};

}  // namespace samverka::tenant
