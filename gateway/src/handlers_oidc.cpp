// Single sign-on with the tenant's OpenID Connect provider (authorization code flow with PKCE,
// state and nonce), and the login screen's list of sign-in methods.
//
//   GET /api/v1/auth/providers  -> {"password": true, "oidc": null | {"label","start_url"}}
//   GET /auth/oidc/start[?return_to=PATH]
//       -> 302 to the provider's authorization endpoint; the pending sign-in (state, nonce, PKCE
//          verifier, redirect_uri, return_to) is kept in the tenant store under sha256(state)
//          and bound to this browser by the `samverka_oidc` cookie (its sha256 is stored).
//   GET /auth/oidc/callback?code=..&state=..
//       -> takes the pending sign-in (single use), checks the browser binding, exchanges the
//          code (client_secret_basic + code_verifier), verifies the ID token, finds the person,
//          creates a session exactly as password login does and 303s to return_to.
//
// Who may sign in (team notes, "Identity rules"): a person authenticates only at the tenant that
// owns their e-mail domain. The token's e-mail must belong to a domain THIS tenant owns; a
// domain another tenant owns, or one nobody owns, is refused, so a tenant's provider can never
// mint a session for anyone else's people. The person is found by the (issuer, subject) link
// first, then by e-mail among the tenant's active people (no just-in-time accounts: SCIM and CSV
// provision people); the first e-mail match records the link.
//
// Every failure ends on a small HTML page (Swedish, English below) with a 4xx/502/503 status
// and a stable error code; untrusted values are HTML-escaped. Failed callbacks count against
// the login throttle like failed password logins.
#include <boost/json.hpp>

#include <chrono>

#include "app.hpp"
#include "json_output.hpp"
#include "limits.hpp"
#include "log.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/sanitize.hpp"

namespace samverka::gateway {

namespace {

// The cookie binding a pending sign-in to the browser that started it (login CSRF). Over TLS it
// carries the __Host- prefix (Secure, Path=/, no Domain), so a sibling host cannot plant one.
constexpr std::string_view oidc_cookie_name = "samverka_oidc";
constexpr std::string_view oidc_host_cookie_name = "__Host-samverka_oidc";
// Scopes asked for: the ID token's e-mail claim comes with "email" at most providers.
constexpr std::string_view oidc_scopes = "openid email profile";

struct page_text {
  int status;
  std::string_view sv;
  std::string_view en;
};

// Status and texts of each failure code of the sign-in pages.
page_text text_for(std::string_view code) {
  if (code == "oidc_not_configured")
    return {404, "Inloggning med organisationens konto är inte aktiverad här.",
            "Single sign-on is not enabled for this municipality."};
  if (code == "too_many_starts")
    return {429, "För många påbörjade inloggningar härifrån. Vänta en stund och försök igen.",
            "Too many sign-ins started from here. Wait a while and try again."};
  if (code == "too_many_attempts")
    return {429, "För många misslyckade inloggningar. Vänta en stund och försök igen.",
            "Too many failed sign-ins. Wait a while and try again."};
  if (code == "oidc_provider_unreachable" || code == "oidc_bad_discovery" ||
      code == "oidc_bad_jwks")
    return {502, "Inloggningstjänsten går inte att nå just nu. Försök igen om en stund.",
            "The sign-in service cannot be reached right now. Try again in a moment."};
  if (code == "oidc_state_invalid" || code == "oidc_browser_mismatch" ||
      code == "invalid_parameter")
    return {400,
            "Inloggningen har redan använts, har gått ut eller startades i en annan webbläsare. "
            "Börja om.",
            "This sign-in was already used, has expired or was started in another browser. "
            "Start again."};
  if (code == "oidc_denied" || code == "oidc_token_refused")
    return {401, "Inloggningstjänsten godkände inte inloggningen.",
            "The sign-in service did not approve the sign-in."};
  if (code.starts_with("oidc_wrong_") || code == "oidc_bad_signature" ||
      code == "oidc_unknown_key" || code == "oidc_unsupported_alg" ||
      code == "oidc_malformed_token" || code.starts_with("oidc_token_") ||
      code == "oidc_missing_subject" || code == "oidc_email_unverified")
    return {401, "Svaret från inloggningstjänsten kunde inte godkännas.",
            "The answer from the sign-in service could not be accepted."};
  if (code == "oidc_unknown_person")
    return {403, "Det finns inget aktivt konto för dig här. Kontakta din administratör.",
            "There is no active account for you here. Contact your administrator."};
  if (code == "oidc_foreign_domain")
    return {403,
            "Din e-postadress hör inte till den här kommunen. Logga in hos den kommun du är "
            "anställd i.",
            "Your e-mail address does not belong to this municipality. Sign in at the "
            "municipality that employs you."};
  if (code == "oidc_no_email")
    return {403, "Inloggningstjänsten uppgav ingen e-postadress.",
            "The sign-in service did not provide an e-mail address."};
  if (code == "oidc_identity_taken")
    return {403, "Ditt konto här är redan kopplat till en annan identitet hos inloggningstjänsten.",
            "Your account here is already linked to another identity at the sign-in service."};
  return {503, "Inloggningen kan inte genomföras just nu. Försök igen om en stund.",
          "Signing in is not possible right now. Try again in a moment."};
}

// The failure page for `code`; `detail` (untrusted, escaped) is shown under the texts.
http_response failure_page(const request_context& ctx, std::string_view code,
                           std::string_view detail = {},
                           std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  const auto t = text_for(code);
  const std::string& base = ctx.addr.base_path;
  std::string html =
      "<!doctype html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Inloggningen misslyckades</title></head><body><main>"
      "<h1>Inloggningen misslyckades</h1><p>";
  tenant::append_html_escaped(html, t.sv);
  html += "</p><p lang=\"en\"><strong>Sign-in failed.</strong> ";
  tenant::append_html_escaped(html, t.en);
  html += "</p>";
  if (!detail.empty()) {
    html += "<p lang=\"en\">";
    tenant::append_html_escaped(html, detail);
    html += "</p>";
  }
  html += "<p><a href=\"";
  tenant::append_html_escaped(html, base + "/auth/oidc/start");
  html += "\">Försök igen / Try again</a> &middot; <a href=\"";
  tenant::append_html_escaped(html, base + "/");
  html += "\">Till startsidan / To the start page</a></p><p><small>Felkod / error code: ";
  tenant::append_html_escaped(html, code);
  html += "</small></p></main></body></html>\n";
  http_response res;
  res.status = t.status;
  res.content_type = "text/html; charset=utf-8";
  res.body = std::move(html);
  if (retry_after) res.set_header("Retry-After", std::to_string(retry_after->count()));
  return res;
}

// Host header values accepted into a redirect_uri: a DNS name or IP literal with a port.
bool sane_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == ':' || c == '[' || c == ']'))
      return false;
  return true;
}

// https when the connection is TLS or a proxy in front of us terminated TLS.
bool via_tls(const http_request& req) {
  if (req.tls) return true;
  const auto proto = req.header("x-forwarded-proto");
  return proto && ascii_lower(*proto) == "https";
}

// The callback URL the provider must have registered for this tenant.
std::string redirect_uri_for(const request_context& ctx) {
  return std::string(via_tls(ctx.req) ? "https://" : "http://") + ascii_lower(ctx.req.host) +
         ctx.addr.base_path + "/auth/oidc/callback";
}

// `return_to` if it is a plain local path under the tenant's base path, else the start page.
std::string safe_return_to(const request_context& ctx, std::optional<std::string_view> wanted) {
  const std::string home = ctx.addr.base_path + "/";
  if (!wanted) return home;
  const std::string_view p = *wanted;
  if (p.size() > tenant::oidc_limits::max_return_to || !p.starts_with(home)) return home;
  // No other origin ("//host", "/\host"), no dot segments that climb out of the base path
  // (also percent-encoded), no control characters or spaces.
  if (p.find("//") != std::string_view::npos || p.find('\\') != std::string_view::npos ||
      p.find("/.") != std::string_view::npos || ascii_lower(p).find("%2e") != std::string::npos ||
      ascii_lower(p).find("%2f") != std::string::npos ||
      ascii_lower(p).find("%5c") != std::string::npos)
    return home;
  for (unsigned char c : p)
    if (c <= 0x20 || c >= 0x7f) return home;
  return std::string(p);
}

std::string_view binding_cookie_name(const request_context& ctx) {
  return ctx.req.tls ? oidc_host_cookie_name : oidc_cookie_name;
}

std::string binding_cookie(const request_context& ctx, std::string_view value,
                           std::chrono::seconds max_age) {
  std::string c = std::string(binding_cookie_name(ctx)) + "=" + std::string(value) + "; Path=" +
                  (ctx.req.tls ? std::string("/") : ctx.addr.base_path + "/auth/oidc/") +
                  "; Max-Age=" + std::to_string(max_age.count()) + "; HttpOnly; SameSite=Lax";
  if (ctx.req.tls) c += "; Secure";
  return c;
}

std::optional<std::string> request_cookie(const http_request& req, std::string_view name) {
  for (const auto& [h, value] : req.headers) {
    if (h != "cookie") continue;
    if (auto v = cookie_value(value, name); v && !v->empty()) return std::string(*v);
  }
  return std::nullopt;
}

bool looks_like_token(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

result<http_response> app::auth_providers(request_context& ctx) {
  auto settings = ctx.store->oidc_get_settings();
  if (!settings) return settings.err();
  boost::json::object out;
  out["password"] = true;
  if (*settings) {
    out["oidc"] = boost::json::object{{"label", (*settings)->label},
                                      {"start_url", ctx.addr.base_path + "/auth/oidc/start"}};
  } else {
    out["oidc"] = nullptr;
  }
  return json_response(200, out);
}

result<http_response> app::oidc_start(request_context& ctx) {
  const auto now = login_throttle::clock::now();
  if (const auto wait = login_wait(ctx.req.remote_addr, "", now))
    return failure_page(ctx, "too_many_attempts", {}, *wait);
  if (const auto wait = oidc_starts_.blocked(ctx.req.remote_addr, "", now))
    return failure_page(ctx, "too_many_starts", {}, *wait);
  auto settings = ctx.store->oidc_get_settings();
  if (!settings) return failure_page(ctx, settings.err().code);
  if (!*settings) return failure_page(ctx, "oidc_not_configured");
  const auto& s = **settings;
  oidc_starts_.record_failure(ctx.req.remote_addr, "", now);
  if (!sane_host(ctx.req.host))
    return failure_page(ctx, "invalid_parameter", "The Host header is not usable.");

  auto meta = oidc_->discover(s.issuer);
  if (!meta) {
    log_event("warn", "oidc provider unavailable",
              {{"request_id", ctx.request_id},
               {"tenant", ctx.tenant->slug},
               {"code", meta.err().code},
               {"detail", meta.err().message}});
    return failure_page(ctx, meta.err().code);
  }

  // One binding per browser, reused across tabs so parallel sign-ins do not cancel each other.
  std::string binding;
  if (auto c = request_cookie(ctx.req, binding_cookie_name(ctx)); c && looks_like_token(*c))
    binding = *c;
  else
    binding = crypto::random_token(32);
  const std::string state = crypto::random_token(32);
  tenant::oidc_pending p;
  p.binding_hash = crypto::sha256_hex(binding);
  p.issuer = s.issuer;
  p.nonce = crypto::random_token(32);
  p.code_verifier = crypto::random_token(32);  // 43 characters of base64url (RFC 7636: 43-128)
  p.redirect_uri = redirect_uri_for(ctx);
  p.return_to = safe_return_to(ctx, param(ctx.query, "return_to"));
  const auto ttl =
      std::chrono::duration_cast<std::chrono::milliseconds>(tenant::oidc_limits::state_ttl);
  p.expires_at_ms = now_ms() + ttl.count();
  if (auto r = ctx.store->oidc_put_state(state, p); !r) return failure_page(ctx, r.err().code);

  std::string location = meta->authorization_endpoint;
  location += location.find('?') == std::string::npos ? '?' : '&';
  location += "response_type=code&client_id=" + oidc::form_encode(s.client_id) +
              "&redirect_uri=" + oidc::form_encode(p.redirect_uri) +
              "&scope=" + oidc::form_encode(oidc_scopes) + "&state=" + state + "&nonce=" + p.nonce +
              "&code_challenge=" + oidc::pkce_s256(p.code_verifier) + "&code_challenge_method=S256";
  http_response res;
  res.status = 302;
  res.set_header("Location", location);
  res.set_header("Set-Cookie", binding_cookie(ctx, binding,
                                              std::chrono::duration_cast<std::chrono::seconds>(
                                                  tenant::oidc_limits::state_ttl)));
  return res;
}

http_response app::oidc_bad_callback(request_context& ctx) {
  return failure_page(ctx, "invalid_parameter");
}

result<http_response> app::oidc_callback(request_context& ctx) {
  const auto now = login_throttle::clock::now();
  const std::string& slug = ctx.tenant->slug;
  // Failures before the person is known count against the address only.
  const std::string address_account = slug + "\noidc-address\n" + ctx.req.remote_addr;
  auto refuse = [&](std::string_view code, std::string_view detail = {},
                    const std::string* account = nullptr) {
    login_failure(ctx.req.remote_addr, account ? *account : address_account, now);
    log_event("warn", "oidc sign-in refused",
              {{"request_id", ctx.request_id}, {"tenant", slug}, {"code", code}});
    return failure_page(ctx, code, detail);
  };
  if (const auto wait = login_wait(ctx.req.remote_addr, "", now))
    return failure_page(ctx, "too_many_attempts", {}, *wait);

  auto settings = ctx.store->oidc_get_settings();
  if (!settings) return failure_page(ctx, settings.err().code);
  if (!*settings) return failure_page(ctx, "oidc_not_configured");
  const auto& s = **settings;

  const auto state = param(ctx.query, "state");
  if (!state || !looks_like_token(*state)) return refuse("oidc_state_invalid");
  auto pending = ctx.store->oidc_take_state(*state);
  if (!pending) {
    if (pending.err().kind == errc::not_found) return refuse("oidc_state_invalid");
    return failure_page(ctx, pending.err().code);
  }
  const auto binding = request_cookie(ctx.req, binding_cookie_name(ctx));
  if (!binding || !crypto::constant_time_equal(crypto::sha256_hex(*binding), pending->binding_hash))
    return refuse("oidc_browser_mismatch");
  if (pending->issuer != s.issuer) return refuse("oidc_state_invalid");

  // RFC 9207, before anything else of the answer is believed (errors included): the provider
  // names itself in its answer. One naming another provider (a mix-up attack sends a code meant
  // for one provider to another), or silent when the provider promised to name itself, is
  // refused. Providers that never name themselves (not promised in discovery) are not asked to.
  auto meta = oidc_->discover(s.issuer);
  if (!meta) return failure_page(ctx, meta.err().code);
  const auto answered_by = param(ctx.query, "iss");
  if (answered_by ? *answered_by != s.issuer : meta->iss_in_authorization_response)
    return refuse("oidc_wrong_issuer");

  if (const auto idp_error = param(ctx.query, "error")) {
    log_event("info", "oidc sign-in not approved by the provider",
              {{"request_id", ctx.request_id}, {"tenant", slug}});
    return failure_page(ctx, "oidc_denied",
                        "The sign-in service answered: " + std::string(idp_error->substr(0, 100)));
  }
  const auto code = param(ctx.query, "code");
  if (!code || code->empty() || code->size() > 2048) return refuse("oidc_state_invalid");

  auto id_token =
      oidc_->exchange_code(*meta, {std::string(*code), pending->redirect_uri,
                                   pending->code_verifier, s.client_id, s.client_secret});
  if (!id_token) {
    if (id_token.err().kind == errc::unavailable) {
      log_event("warn", "oidc provider unavailable",
                {{"request_id", ctx.request_id},
                 {"tenant", slug},
                 {"code", id_token.err().code},
                 {"detail", id_token.err().message}});
      return failure_page(ctx, id_token.err().code);
    }
    return refuse(id_token.err().code);
  }
  oidc::id_token_checks checks;
  checks.issuer = s.issuer;
  checks.client_id = s.client_id;
  checks.nonce = pending->nonce;
  checks.email_claim = s.email_claim;
  checks.now_s = now_seconds();
  auto claims = oidc_->verify(*meta, *id_token, checks);
  if (!claims) {
    if (claims.err().kind == errc::unavailable) return failure_page(ctx, claims.err().code);
    return refuse(claims.err().code, claims.err().message);
  }

  // The person: by the stable subject first, then by e-mail; always within the domains this
  // tenant owns.
  const tenant::oidc_identity identity{s.issuer, claims->subject};
  std::optional<std::string> email;
  if (claims->email) email = ascii_lower(*claims->email);
  auto owned_here = [&](std::string_view e) {
    const auto owner = ctx.snap->owner_of(email_domain(e));
    return owner && *owner == slug;
  };
  if (email && (!valid_email(*email) || !owned_here(*email))) {
    const std::string account = slug + "\n" + *email;
    return refuse("oidc_foreign_domain", {}, &account);
  }
  auto linked = ctx.store->oidc_linked_user(identity);
  if (!linked) return failure_page(ctx, linked.err().code);
  std::optional<tenant::user> user = std::move(*linked);
  if (user && !owned_here(user->email)) return refuse("oidc_foreign_domain");
  if (!user) {
    if (!email) return refuse("oidc_no_email");
    auto found = ctx.store->find_user(*email);
    if (!found) {
      const std::string account = slug + "\n" + *email;
      if (found.err().kind == errc::not_found) return refuse("oidc_unknown_person", {}, &account);
      return failure_page(ctx, found.err().code);
    }
    user = std::move(*found);
  }
  const std::string account = slug + "\n" + user->email;
  if (const auto wait = login_wait(ctx.req.remote_addr, account, now))
    return failure_page(ctx, "too_many_attempts", {}, *wait);
  if (!user->active) return refuse("oidc_unknown_person", {}, &account);
  if (auto r = ctx.store->oidc_link(identity, user->id); !r) {
    if (r.err().kind == errc::conflict) return refuse("oidc_identity_taken", {}, &account);
    return failure_page(ctx, r.err().code);
  }
  login_success(account);

  // The session, exactly as password login creates it (handlers.cpp, app::login).
  auto secret = ctx.store->create_session(user->id);
  if (!secret) {
    if (secret.err().kind == errc::not_found) return refuse("oidc_unknown_person", {}, &account);
    return failure_page(ctx, secret.err().code);
  }
  if (auto session = ctx.store->resolve_session(secret.value()))
    publish_session(*ctx.tenant, secret.value(), user->email, session->expires_at_ms);
  const std::string token = slug + "." + secret.value();
  const std::string csrf = csrf_token_for(token);
  const auto max_age =
      std::chrono::duration_cast<std::chrono::seconds>(tenant::limits::session_ttl);
  log_event(
      "info", "oidc sign-in",
      {{"request_id", ctx.request_id}, {"tenant", slug}, {"user_id", std::to_string(user->id)}});
  http_response res;
  res.status = 303;
  res.set_header("Location", pending->return_to);
  res.set_header("Set-Cookie", session_cookie(token, max_age, ctx.req.tls));
  res.set_header("Set-Cookie", csrf_cookie(csrf, max_age, ctx.req.tls));
  res.set_header("Set-Cookie", binding_cookie(ctx, "", std::chrono::seconds(0)));
  return res;
}

}  // namespace samverka::gateway
