// Credentials on a request (team notes, "Identity rules"): a session token
// "<home-slug>.<secret>" sent as `Authorization: Bearer TOKEN` or in the `samverka_session`
// cookie, and the CSRF rule for cookie-authenticated requests that change state. Pure functions;
// resolving a token against a store is the app's job.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http_types.hpp"
#include "samverka/core/error.hpp"

namespace samverka::gateway {

inline constexpr std::string_view session_cookie_name = "samverka_session";
inline constexpr std::string_view csrf_cookie_name = "samverka_csrf";
inline constexpr std::string_view csrf_header_name = "x-csrf-token";

struct credentials {
  std::string token;
  bool from_cookie = false;  // cookie-borne credentials need the CSRF header to change state
};

// The request's credentials: Bearer first, else the session cookie; nullopt if neither.
// An Authorization header that is not a well-formed Bearer is unauthenticated (never
// silently ignored in favour of a cookie).
result<std::optional<credentials>> extract_credentials(const http_request& req);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), if present.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

struct session_token {
  std::string home;    // slug of the tenant that issued it
  std::string secret;  // what that tenant's store knows by its hash
};

// Splits "<home>.<secret>"; nullopt unless home is a valid slug and secret non-empty base64url.
std::optional<session_token> split_token(std::string_view token);

// The CSRF token bound to a session token: first 32 hex chars of sha256(token + ":csrf").
std::string csrf_token_for(std::string_view token);

// True when the request may proceed: safe methods and Bearer requests need nothing; a cookie
// request that changes state needs X-CSRF-Token equal to csrf_token_for(token).
bool csrf_satisfied(std::string_view method, const credentials& creds,
                    std::optional<std::string_view> csrf_header);

// Set-Cookie values for a new session and for signing out.
std::string session_cookie(std::string_view token, std::chrono::seconds max_age, bool tls);
std::string csrf_cookie(std::string_view csrf, std::chrono::seconds max_age, bool tls);
std::string expired_cookie(std::string_view name, bool http_only, bool tls);

}  // namespace samverka::gateway
