// The request pipeline (see app.hpp) and the routing table. Handlers live in handlers.cpp.
#include "app.hpp"

#include <boost/json.hpp>

#include <chrono>

#include "errors.hpp"
#include "json_output.hpp"
#include "log.hpp"
#include "session_sync.hpp"
#include "sharing_link.hpp"

namespace samverka::gateway {

app::app(const app_config& cfg, std::shared_ptr<provisioning::registry> reg)
    : cfg_(cfg),
      registry_(reg),
      pool_(cfg.data_dir, cfg.max_open_tenants),
      directory_(std::move(reg), [this](std::string_view slug) { pool_.evict(slug); }) {
  // The routing table: every tenant-scoped endpoint, in one place. Contract endpoints not built
  // yet are deliberately absent and answer 404.
  routes_.add("GET", "/", {&app::home_page, access::anyone});
  // The web front end's assets: BASE/assets/VERSION/FILE or BASE/assets/VERSION/DIR/FILE.
  routes_.add("GET", "/assets/{version}/{file}", {&app::static_asset, access::anyone});
  routes_.add("GET", "/assets/{version}/{dir}/{file}", {&app::static_asset, access::anyone});
  routes_.add("POST", "/api/v1/auth/login", {&app::login, access::anyone});
  routes_.add("POST", "/api/v1/auth/logout", {&app::logout, access::member});
  routes_.add("GET", "/api/v1/me", {&app::me, access::member});
  routes_.add("GET", "/api/v1/news", {&app::list_news, access::member});
  routes_.add("POST", "/api/v1/news", {&app::create_news, access::member});
  routes_.add("GET", "/api/v1/news/{id}", {&app::get_news, access::member});
  routes_.add("PATCH", "/api/v1/news/{id}", {&app::update_news, access::member});
  routes_.add("DELETE", "/api/v1/news/{id}", {&app::delete_news, access::member});
  routes_.add("GET", "/api/v1/units", {&app::list_units, access::member});
  routes_.add("GET", "/api/v1/users", {&app::list_users, access::member});
  // Tenant administration routes (the handlers check the admin role).
  routes_.add("GET", "/api/v1/users/{id}", {&app::admin_get_user, access::member});
  routes_.add("PATCH", "/api/v1/users/{id}", {&app::admin_update_user, access::member});
  routes_.add("POST", "/api/v1/units", {&app::admin_create_unit, access::member});
  routes_.add("PATCH", "/api/v1/units/{id}", {&app::admin_update_unit, access::member});
  routes_.add("DELETE", "/api/v1/units/{id}", {&app::admin_delete_unit, access::member});
  // Sharing routes.
  routes_.add("POST", "/api/v1/news/{id}/share", {&app::sharing_share, access::member});
  routes_.add("POST", "/api/v1/news/{id}/unlink", {&app::sharing_unlink, access::member});
  routes_.add("GET", "/api/v1/news/{id}/distribution",
              {&app::sharing_distribution, access::member});
  routes_.add("GET", "/api/v1/sharing/inbox", {&app::sharing_inbox, access::member});
  routes_.add("POST", "/api/v1/sharing/inbox/{id}/accept", {&app::sharing_accept, access::member});
  routes_.add("POST", "/api/v1/sharing/inbox/{id}/decline",
              {&app::sharing_decline, access::member});
  routes_.add("GET", "/api/v1/sharing/partners/{slug}/catalog",
              {&app::sharing_catalog, access::member});
  routes_.add("POST", "/api/v1/sharing/borrow", {&app::sharing_borrow, access::member});
  routes_.add("GET", "/api/v1/sharing/policies", {&app::sharing_policies, access::member});
  routes_.add("PUT", "/api/v1/sharing/policies/{slug}", {&app::sharing_set_policy, access::member});
  routes_.add("GET", "/api/v1/sharing/audit", {&app::sharing_audit, access::member});
  sharing_ = std::make_unique<sharing::service>(
      registry_, [this](const provisioning::tenant_info& t) { return background_store(t); });
  sharing_->set_remote(cfg.sharing_remote);
  // Content routes.
  routes_.add("GET", "/api/v1/pages", {&app::list_pages, access::member});
  routes_.add("POST", "/api/v1/pages", {&app::create_page, access::member});
  routes_.add("GET", "/api/v1/pages/review", {&app::pages_for_review, access::member});
  routes_.add("GET", "/api/v1/pages/{id}", {&app::get_page, access::member});
  routes_.add("PATCH", "/api/v1/pages/{id}", {&app::update_page, access::member});
  routes_.add("DELETE", "/api/v1/pages/{id}", {&app::delete_page, access::member});
  routes_.add("POST", "/api/v1/pages/{id}/approve", {&app::approve_page, access::member});
  routes_.add("GET", "/api/v1/pages/{id}/versions", {&app::page_versions, access::member});
  routes_.add("POST", "/api/v1/guides", {&app::create_guide, access::member});
  routes_.add("GET", "/api/v1/guides", {&app::list_guides, access::member});  // content2
  routes_.add("GET", "/api/v1/guides/{id}", {&app::get_guide, access::member});
  routes_.add("PUT", "/api/v1/guides/{id}", {&app::update_guide, access::member});
  routes_.add("DELETE", "/api/v1/guides/{id}", {&app::delete_guide, access::member});
  routes_.add("GET", "/api/v1/start", {&app::start_page, access::member});
  routes_.add("GET", "/api/v1/me/links", {&app::list_links, access::member});
  routes_.add("POST", "/api/v1/me/links", {&app::add_link, access::member});
  routes_.add("PATCH", "/api/v1/me/links/{id}", {&app::update_link, access::member});
  routes_.add("DELETE", "/api/v1/me/links/{id}", {&app::delete_link, access::member});
  routes_.add("GET", "/api/v1/me/profile", {&app::my_profile, access::member});
  routes_.add("PATCH", "/api/v1/me/profile", {&app::update_profile, access::member});
  routes_.add("PUT", "/api/v1/me/photo", {&app::set_photo, access::member});
  routes_.add("GET", "/api/v1/people/{id}", {&app::get_profile, access::member});
  routes_.add("GET", "/api/v1/people/{id}/photo", {&app::get_photo, access::member});
  routes_.add("GET", "/api/v1/audit", {&app::list_audit, access::member});
  routes_.add("POST", "/api/v1/documents", {&app::upload_document, access::member});
  routes_.add("GET", "/api/v1/documents", {&app::list_documents, access::member});  // content2
  routes_.add("GET", "/api/v1/documents/{id}", {&app::get_document, access::member});
  routes_.add("DELETE", "/api/v1/documents/{id}", {&app::delete_document, access::member});
  routes_.add("POST", "/api/v1/documents/{id}/versions", {&app::upload_document, access::member});
  routes_.add("GET", "/api/v1/documents/{id}/content", {&app::download_document, access::member});
  // Search routes.
  routes_.add("GET", "/api/v1/search", {&app::search, access::member});
  // Social routes.
  routes_.add("GET", "/api/v1/groups", {&app::list_groups, access::member});
  routes_.add("POST", "/api/v1/groups", {&app::create_group, access::member});
  routes_.add("GET", "/api/v1/groups/{id}", {&app::get_group, access::member});
  routes_.add("POST", "/api/v1/groups/{id}/join", {&app::join_group, access::member});
  routes_.add("POST", "/api/v1/groups/{id}/leave", {&app::leave_group, access::member});
  routes_.add("POST", "/api/v1/groups/{id}/invite", {&app::invite_to_group, access::member});
  routes_.add("GET", "/api/v1/groups/{id}/members", {&app::list_group_members, access::member});
  routes_.add("POST", "/api/v1/groups/{id}/admins", {&app::add_group_admin, access::member});
  routes_.add("PUT", "/api/v1/groups/{id}/subscription",
              {&app::set_group_subscription, access::member});
  routes_.add("GET", "/api/v1/groups/{id}/posts", {&app::list_group_posts, access::member});
  routes_.add("POST", "/api/v1/groups/{id}/posts", {&app::create_post, access::member});
  routes_.add("GET", "/api/v1/posts/{id}", {&app::get_post, access::member});
  routes_.add("PATCH", "/api/v1/posts/{id}", {&app::update_post, access::member});
  routes_.add("DELETE", "/api/v1/posts/{id}", {&app::delete_post, access::member});
  routes_.add("GET", "/api/v1/posts/{id}/comments", {&app::list_comments, access::member});
  routes_.add("POST", "/api/v1/posts/{id}/comments", {&app::create_comment, access::member});
  routes_.add("POST", "/api/v1/posts/{id}/like", {&app::like_post, access::member});
  routes_.add("DELETE", "/api/v1/posts/{id}/like", {&app::unlike_post, access::member});
  routes_.add("PUT", "/api/v1/posts/{id}/subscription",
              {&app::set_post_subscription, access::member});
  routes_.add("PATCH", "/api/v1/comments/{id}", {&app::update_post, access::member});
  routes_.add("DELETE", "/api/v1/comments/{id}", {&app::delete_post, access::member});
  routes_.add("POST", "/api/v1/comments/{id}/like", {&app::like_post, access::member});
  routes_.add("DELETE", "/api/v1/comments/{id}/like", {&app::unlike_post, access::member});
  routes_.add("GET", "/api/v1/feed", {&app::feed, access::member});
  routes_.add("GET", "/api/v1/notifications", {&app::list_notifications, access::member});
  routes_.add("POST", "/api/v1/notifications/read",
              {&app::mark_notifications_read, access::member});
  routes_.add("GET", "/api/v1/notifications/preferences",
              {&app::get_notification_prefs, access::member});
  routes_.add("PATCH", "/api/v1/notifications/preferences",
              {&app::set_notification_prefs, access::member});
  routes_.add("GET", "/api/v1/ideas", {&app::list_ideas, access::member});
  routes_.add("POST", "/api/v1/ideas", {&app::create_idea, access::member});
  routes_.add("GET", "/api/v1/ideas/{id}", {&app::get_idea, access::member});
  routes_.add("POST", "/api/v1/ideas/{id}/vote", {&app::vote_idea, access::member});
  routes_.add("DELETE", "/api/v1/ideas/{id}/vote", {&app::unvote_idea, access::member});
  routes_.add("GET", "/api/v1/ideas/{id}/comments", {&app::list_idea_comments, access::member});
  routes_.add("POST", "/api/v1/ideas/{id}/comments", {&app::comment_idea, access::member});
  routes_.add("PUT", "/api/v1/ideas/{id}/status", {&app::set_idea_status, access::member});
  // Directory routes: SCIM 2.0 (the handler checks the SCIM bearer token).
  for (const char* m : {"GET", "POST"})
    routes_.add(m, "/scim/v2/Users", {&app::scim, access::anyone});
  for (const char* m : {"GET", "PUT", "PATCH", "DELETE"})
    routes_.add(m, "/scim/v2/Users/{id}", {&app::scim, access::anyone});
  for (const char* m : {"GET", "POST"})
    routes_.add(m, "/scim/v2/Groups", {&app::scim, access::anyone});
  for (const char* m : {"GET", "PUT", "PATCH", "DELETE"})
    routes_.add(m, "/scim/v2/Groups/{id}", {&app::scim, access::anyone});
  routes_.add("GET", "/scim/v2/ServiceProviderConfig", {&app::scim, access::anyone});
  routes_.add("GET", "/scim/v2/ResourceTypes", {&app::scim, access::anyone});
  routes_.add("GET", "/scim/v2/ResourceTypes/{id}", {&app::scim, access::anyone});
  routes_.add("GET", "/scim/v2/Schemas", {&app::scim, access::anyone});
  routes_.add("GET", "/scim/v2/Schemas/{id}", {&app::scim, access::anyone});
  // OpenID Connect sign-in routes (handlers_oidc.cpp).
  routes_.add("GET", "/api/v1/auth/providers", {&app::auth_providers, access::anyone});
  routes_.add("GET", "/auth/oidc/start", {&app::oidc_start, access::anyone});
  routes_.add("GET", "/auth/oidc/callback", {&app::oidc_callback, access::anyone});
  if (cfg_.sessions)
    session_sync_ = std::make_unique<session_sync>(
        *cfg_.sessions, cfg_.data_dir, [this] { return directory_.snapshot(); },
        [this](const provisioning::tenant_info& t) { return background_store(t); });
}

app::~app() {
  stop_background();
}

result<std::unique_ptr<app>> app::open(const app_config& cfg) {
  auto reg = provisioning::registry::open(cfg.data_dir);
  if (!reg) return reg.err();
  std::unique_ptr<app> a(new app(cfg, std::move(reg.value())));
  if (auto r = a->directory_.refresh(); !r) return r.err();
  return a;
}

void app::start_background() {
  directory_.start();
  sharing_->start();
  if (session_sync_) session_sync_->start();
  if (cfg_.sharing_remote) cfg_.sharing_remote->start(*sharing_);
  if (cfg_.digest && !digest_) {  // content2: the daily digest, on its own thread
    digest_ = std::make_unique<provisioning::digest_timer>(
        registry_, [this](const provisioning::tenant_info& t) { return background_store(t); },
        *cfg_.digest,
        [](std::string_view slug, const result<provisioning::digest_report>& r) {
          if (r)
            log_event("info", "digest sent",
                      {{"tenant", std::string(slug)},
                       {"sent", std::to_string(r->sent)},
                       {"failed", std::to_string(r->failed)}});
          else
            log_event("error", "digest failed",
                      {{"tenant", std::string(slug)}, {"code", r.err().code}});
        });
    digest_->start();
  }
}
void app::stop_background() {
  if (session_sync_) session_sync_->stop();
  if (digest_) digest_->stop();
  if (cfg_.sharing_remote) cfg_.sharing_remote->stop();
  sharing_->stop();
  directory_.stop();
}

http_response app::failure(const request_context& ctx, const error& e) {
  if (e.code == "store_busy") metrics_.store_busy();
  if (e.kind == errc::internal)
    log_event("error", "request failed",
              {{"request_id", ctx.request_id}, {"code", e.code}, {"detail", e.message}});
  return error_response(e);
}

http_response app::platform(request_context& ctx, const std::string& path, std::string& route) {
  route = path;
  if (ctx.req.method != "GET") {
    auto res = error_response(405, "method_not_allowed", "use GET");
    res.set_header("Allow", "GET");
    return res;
  }
  if (path == "/healthz") return json_response(200, boost::json::object{{"status", "ok"}});
  if (path == "/readyz") {
    if (draining_) return error_response(503, "draining", "the server is shutting down");
    if (!directory_.snapshot())
      return error_response(503, "not_ready", "the tenant registry is not loaded");
    return json_response(200, boost::json::object{{"status", "ready"}});
  }
  metrics_.set_open_stores(pool_.open_count());
  http_response res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = metrics_.serialize();
  return res;
}

result<principal> app::authenticate(request_context& ctx) {
  auto creds = extract_credentials(ctx.req);
  if (!creds) return creds.err();
  if (!*creds) return error(errc::unauthenticated, "unauthenticated", "sign in first");
  const auto token = split_token((*creds)->token);
  const error bad_token(errc::unauthenticated, "unauthenticated",
                        "the session is invalid or has expired; sign in again");
  if (!token) return bad_token;
  // The home tenant vouches for the session; a suspended or deleted home vouches for no one.
  const auto* home = ctx.snap->find(token->home);
  if (!home && cfg_.remote_session) {
    // Cluster mode: the home lives on another node, which alone can vouch (so deactivation
    // there ends access here at once).
    auto email = cfg_.remote_session(token->home, (*creds)->token);
    if (!email) return email.err().kind == errc::unauthenticated ? bad_token : email.err();
    auto v = ctx.store->viewer_for(*email);
    if (!v)
      return v.err().kind == errc::not_found ? error(errc::forbidden, "not_a_member",
                                                     "you are not a member of this municipality")
                                             : v.err();
    return principal{std::move(v.value()), std::move(**creds), *token};
  }
  if (!home || home->state != provisioning::tenant_state::active) return bad_token;
  if (token->home == ctx.tenant->slug) {
    auto v = ctx.store->viewer_for_session(token->secret);
    if (!v) return v.err().kind == errc::unauthenticated ? bad_token : v.err();
    return principal{std::move(v.value()), std::move(**creds), *token};
  }
  auto home_store = pool_.get(home->slug, home->id);
  if (!home_store) return home_store.err();
  auto session = home_store.value()->resolve_session(token->secret);
  if (!session) return session.err().kind == errc::unauthenticated ? bad_token : session.err();
  // Cross-employed: the person must hold an active membership here.
  auto v = ctx.store->viewer_for(session->email);
  if (!v)
    return v.err().kind == errc::not_found
               ? error(errc::forbidden, "not_a_member", "you are not a member of this municipality")
               : v.err();
  return principal{std::move(v.value()), std::move(**creds), *token};
}

result<std::string> app::resolve_local_session(std::string_view token) {
  const error bad_token(errc::unauthenticated, "unauthenticated",
                        "the session is invalid or has expired; sign in again");
  const auto parts = split_token(token);
  if (!parts) return bad_token;
  const auto snap = directory_.snapshot();
  const auto* home = snap ? snap->find(parts->home) : nullptr;
  if (!home || home->state != provisioning::tenant_state::active) return bad_token;
  auto store = pool_.get(home->slug, home->id);
  if (!store) return store.err();
  auto session = store.value()->resolve_session(parts->secret);
  if (!session) return session.err().kind == errc::unauthenticated ? bad_token : session.err();
  // The node that asked (and every other) finds it in Redis next time.
  publish_session(*home, parts->secret, session->email, session->expires_at_ms);
  return session->email;
}

result<void> app::revoke_local_session(std::string_view token) {
  const error bad_token(errc::unauthenticated, "unauthenticated",
                        "the session is invalid or has expired; sign in again");
  const auto parts = split_token(token);
  if (!parts) return bad_token;
  const auto snap = directory_.snapshot();
  const auto* home = snap ? snap->find(parts->home) : nullptr;
  if (!home || home->state != provisioning::tenant_state::active) return bad_token;
  auto store = pool_.get(home->slug, home->id);
  if (!store) return store.err();
  auto session = store.value()->resolve_session(parts->secret);
  if (!session) return session.err().kind == errc::unauthenticated ? bad_token : session.err();
  if (auto r = store.value()->revoke_session(parts->secret); !r) return r.err();
  flush_sessions(*home, store.value().get());  // before the asking node answers its caller
  return {};
}

void app::publish_session(const provisioning::tenant_info& home, std::string_view secret,
                          std::string_view email, std::int64_t expires_ms) {
  if (session_sync_) session_sync_->publish(home, secret, email, expires_ms);
}

void app::flush_sessions(const provisioning::tenant_info& t, tenant::store* store) {
  if (session_sync_) session_sync_->flush(t, store);
}

http_response app::dispatch(request_context& ctx, std::string& route) {
  ctx.addr = resolve_tenant(ctx.req.host, ctx.req.target, cfg_.base_domain);
  if (ctx.addr.base_path.empty() &&
      (ctx.addr.path == "/healthz" || ctx.addr.path == "/readyz" || ctx.addr.path == "/metrics"))
    return platform(ctx, ctx.addr.path, route);

  if (ctx.addr.slug.empty())
    return error_response(404, "tenant_not_found",
                          "no municipality in the host name or the /t/SLUG path prefix");
  const auto match = routes_.find(ctx.req.method, ctx.addr.path);
  if (!match.tmpl.empty()) route = match.tmpl;

  ctx.snap = directory_.snapshot();
  ctx.tenant = ctx.snap ? ctx.snap->find(ctx.addr.slug) : nullptr;
  if (!ctx.tenant) return error_response(404, "tenant_not_found", "no such municipality");
  if (ctx.tenant->state != provisioning::tenant_state::active)
    return failure(ctx, error(errc::suspended, "tenant_suspended",
                              "this municipality's intranet is suspended by its operator"));

  using outcome = router<action>::match::outcome;
  if (match.result == outcome::not_found)
    return error_response(404, "not_found", "no such endpoint");
  if (match.result == outcome::method_not_allowed) {
    auto res = error_response(405, "method_not_allowed", "use " + match.allow);
    res.set_header("Allow", match.allow);
    return res;
  }
  ctx.params = match.params;
  auto query = parse_query(ctx.addr.query);
  if (!query) {
    // A browser arrives at the single sign-on callback: it gets the sign-in failure page.
    if (match.found->handler.fn == &app::oidc_callback) return oidc_bad_callback(ctx);
    return failure(ctx, query.err());
  }
  ctx.query = std::move(query.value());

  auto store = pool_.get(ctx.tenant->slug, ctx.tenant->id);
  if (!store) {
    // E.g. a store at a newer schema, or files missing: the operator's problem, not the
    // client's, so the client sees 503 and the details go to the log.
    log_event("error", "cannot open tenant store",
              {{"request_id", ctx.request_id},
               {"tenant", ctx.tenant->slug},
               {"code", store.err().code},
               {"detail", store.err().message}});
    return error_response(error(errc::unavailable, "tenant_unavailable",
                                "this municipality cannot be served right now"));
  }
  ctx.store = std::move(store.value());

  const action& act = match.found->handler;
  if (act.who == access::member) {
    auto who = authenticate(ctx);
    if (!who) return failure(ctx, who.err());
    if (!csrf_satisfied(ctx.req.method, who->creds, ctx.req.header(csrf_header_name)))
      return error_response(403, "csrf_required",
                            "cookie-authenticated requests that change data need the X-CSRF-Token "
                            "header (csrf_token from login)");
    ctx.who = std::move(who.value());
  }
  auto res = (this->*act.fn)(ctx);
  if (!res) return failure(ctx, res.err());
  return std::move(res.value());
}

namespace {

// Headers every response carries; JSON is never cached (it is per-user), HTML gets a strict CSP.
void finish_headers(http_response& res, const std::string& request_id) {
  res.set_header("X-Request-Id", request_id);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (res.content_type.empty() || res.content_type.starts_with("application/json")) {
    res.set_header("Cache-Control", "no-store");
  } else if (res.content_type.starts_with("text/html")) {
    // Only this origin's own scripts and styles, nothing inline, no third-party hosts.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                   "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    res.set_header("Cache-Control", "no-cache");
  }
}

}  // namespace

http_response app::handle(const http_request& req) {
  const auto start = std::chrono::steady_clock::now();
  request_context ctx{req, sanitize_request_id(req.header("x-request-id")), {}, {}, {}, {}, {}, {},
                      {}};
  std::string route = "unmatched";
  http_response res;
  try {
    res = dispatch(ctx, route);
  } catch (const std::exception& e) {
    log_event("error", "handler threw", {{"request_id", ctx.request_id}, {"what", e.what()}});
    res = error_response(error(errc::internal, "unexpected exception"));
  } catch (...) {
    log_event("error", "handler threw a non-exception", {{"request_id", ctx.request_id}});
    res = error_response(error(errc::internal, "unexpected exception"));
  }
  // Cluster mode: a write may have revoked sessions (logout, deactivation); other nodes must
  // stop accepting them before the caller learns it is done. Outside the handler's try: the
  // write is committed whatever happens here (the sweep retries a failed flush).
  if (session_sync_ && ctx.tenant && ctx.store && req.method != "GET" && req.method != "HEAD" &&
      ctx.tenant->state == provisioning::tenant_state::active) {
    try {
      flush_sessions(*ctx.tenant, ctx.store.get());
    } catch (const std::exception& e) {
      log_event("error", "session flush threw",
                {{"request_id", ctx.request_id}, {"what", e.what()}});
    }
  }
  try {
    finish_headers(res, ctx.request_id);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.observe_request(route, req.method, res.status, secs);
    log_access({ctx.request_id, ctx.tenant ? std::string_view(ctx.tenant->slug) : "", req.method,
                route, res.status, secs * 1000});
  } catch (const std::exception& e) {
    // Logging or metrics failing (e.g. out of memory) must not take the response with it.
  }
  return res;
}

http_response app::reject(int status, std::string_view code, std::string_view message) {
  http_response res = error_response(status, code, message);
  res.close = true;
  const std::string request_id = sanitize_request_id(std::nullopt);
  try {
    finish_headers(res, request_id);
    metrics_.observe_request("unparsed", "OTHER", status, 0);
    log_access({request_id, "", "-", "unparsed", status, 0});
  } catch (const std::exception&) {
  }
  return res;
}

}  // namespace samverka::gateway
