#include "auth.hpp"

#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"

namespace samverka::gateway {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_base64url(std::string_view s) {
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return !s.empty();
}

bool is_safe_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::string cookie(std::string_view name, std::string_view value, std::chrono::seconds max_age,
                   bool http_only, bool tls) {
  std::string c = std::string(name) + "=" + std::string(value) +
                  "; Path=/; Max-Age=" + std::to_string(max_age.count()) + "; SameSite=Lax";
  if (http_only) c += "; HttpOnly";
  if (tls) c += "; Secure";
  return c;
}

}  // namespace

result<std::optional<credentials>> extract_credentials(const http_request& req) {
  if (const auto auth = req.header("authorization")) {
    const std::string_view value = trim(*auth);
    const auto space = value.find(' ');
    if (space == std::string_view::npos || ascii_lower(value.substr(0, space)) != "bearer")
      return error(errc::unauthenticated, "unauthenticated", "use Authorization: Bearer TOKEN");
    const std::string_view token = trim(value.substr(space + 1));
    if (token.empty())
      return error(errc::unauthenticated, "unauthenticated", "the bearer token is empty");
    return std::optional<credentials>(credentials{std::string(token), false});
  }
  for (const auto& [name, value] : req.headers) {
    if (name != "cookie") continue;
    if (const auto token = cookie_value(value, session_cookie_name); token && !token->empty())
      return std::optional<credentials>(credentials{std::string(*token), true});
  }
  return std::optional<credentials>();
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

std::optional<session_token> split_token(std::string_view token) {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view home = token.substr(0, dot);
  const std::string_view secret = token.substr(dot + 1);
  if (!valid_slug(home) || !is_base64url(secret)) return std::nullopt;
  return session_token{std::string(home), std::string(secret)};
}

std::string csrf_token_for(std::string_view token) {
  return crypto::sha256_hex(std::string(token) + ":csrf").substr(0, 32);
}

bool csrf_satisfied(std::string_view method, const credentials& creds,
                    std::optional<std::string_view> csrf_header) {
  if (is_safe_method(method) || !creds.from_cookie) return true;
  return csrf_header && crypto::constant_time_equal(*csrf_header, csrf_token_for(creds.token));
}

std::string session_cookie(std::string_view token, std::chrono::seconds max_age, bool tls) {
  return cookie(session_cookie_name, token, max_age, true, tls);
}

std::string csrf_cookie(std::string_view csrf, std::chrono::seconds max_age, bool tls) {
  return cookie(csrf_cookie_name, csrf, max_age, false, tls);
}

std::string expired_cookie(std::string_view name, bool http_only, bool tls) {
  return cookie(name, "", std::chrono::seconds(0), http_only, tls);
}

}  // namespace samverka::gateway
