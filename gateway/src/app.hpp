// The application behind the HTTP server, free of Beast: resolves the tenant of each request
// once (tenant_resolution + the registry snapshot), routes it through one explicit table,
// authenticates, runs the handler, and turns every outcome - including exceptions - into a
// response with the contract's error shape. It also logs and counts every request.
//
// Request pipeline (app::handle):
//   1. platform endpoints (/healthz, /readyz, /metrics) on any host, without a /t/ prefix
//   2. tenant from /t/SLUG or Host -> 404 tenant_not_found / 503 tenant_suspended
//   3. route (method, template) -> 404 not_found / 405 + Allow
//   4. the tenant's store from the pool; credentials for member routes -> 401 / 403 not_a_member;
//      CSRF for cookie requests that change state -> 403 csrf_required
//   5. handler -> result<http_response>; failures mapped by errors.cpp
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth.hpp"
#include "http_types.hpp"
#include "metrics.hpp"
#include "oidc_client.hpp"  // OpenID Connect feature
#include "query.hpp"
#include "router.hpp"
#include "samverka/core/error.hpp"
#include "samverka/provisioning/digest_timer.hpp"  // content2: daily digest
#include "samverka/provisioning/registry.hpp"
#include "samverka/sharing/service.hpp"
#include "samverka/tenant/model.hpp"
#include "samverka/tenant/pool.hpp"
#include "tenant_directory.hpp"
#include "tenant_resolution.hpp"
#include "throttle.hpp"

namespace samverka::cluster {
class session_directory;
}

namespace samverka::gateway {

class sharing_link;
class session_sync;

struct app_config {
  std::filesystem::path data_dir = "data";
  std::string base_domain = "localhost";
  std::size_t max_open_tenants = tenant::default_max_open_tenants;
  // PEM CA bundle trusted for identity providers instead of the system store (OpenID Connect).
  std::string oidc_ca_file;
  // The daily digest timer (content2); none without an SMTP relay.
  std::optional<provisioning::digest_schedule> digest;
  // Cluster mode: the e-mail behind a token whose home tenant lives on another node (asked of
  // that node); unset in single-node mode, where every home is in the local registry.
  std::function<result<std::string>(std::string_view home, std::string_view token)> remote_session;
  // Cluster mode: the tenant owning an e-mail domain on any node (the local registry knows only
  // this node's tenants), so a login is refused where it would break the identity rule.
  std::function<std::optional<std::string>(std::string_view domain)> cluster_domain_owner;
  // Cluster mode: ends a session whose home tenant lives on another node (logout elsewhere).
  std::function<result<void>(std::string_view home, std::string_view token)> remote_revoke;
  // Cluster mode: failed sign-ins counted in Redis per remote address and per account (tenant
  // + e-mail; empty: address only), so the limits hold across store nodes, restarts and tenant
  // moves. `login_blocked` gives the wait when over either limit; all are no-ops while Redis is
  // down (the local throttle still applies).
  std::function<std::optional<std::chrono::seconds>(std::string_view address,
                                                    std::string_view account)>
      login_blocked;
  std::function<void(std::string_view address, std::string_view account)> login_failed;
  std::function<void(std::string_view account)> login_succeeded;
  // Cluster mode: sessions in Redis (samverka/cluster/sessions.hpp). The app publishes the
  // sessions of its tenants and deletes revoked ones (session_sync.hpp); outlives the app.
  cluster::session_directory* sessions = nullptr;
  // Cluster mode (tenant move, tenant_move.hpp): background work (the sharing relay, digests)
  // enters a tenant's store like a write request: refused (false) while a move pauses it, and
  // counted until the store handle is dropped (`background_leave`), so a move waits for it.
  std::function<bool(std::string_view slug)> background_enter;
  std::function<void(std::string_view slug)> background_leave;
  // Cluster mode: the sharing relay's link to partners on other store nodes (outlives the app).
  sharing_link* sharing_remote = nullptr;
  // Cluster mode: the person's memberships in active tenants on the other store nodes, as
  // (slug, name) pairs, for /api/v1/me; nodes that cannot answer in time are left out.
  std::function<std::vector<std::pair<std::string, std::string>>(std::string_view email)>
      remote_memberships;
};

// The caller of a member route: who they are here, and the credentials they came with.
struct principal {
  tenant::viewer viewer;
  credentials creds;
  session_token token;
};

// Everything a handler needs about one request.
struct request_context {
  const http_request& req;
  std::string request_id;
  tenant_address addr;
  std::shared_ptr<const tenant_snapshot> snap;
  const provisioning::tenant_info* tenant = nullptr;  // points into *snap
  std::shared_ptr<tenant::store> store;
  std::vector<std::string> params;  // values of the route template's placeholders
  query_params query;
  std::optional<principal> who;  // set for member routes
};

class app final : public request_handler {
 public:
  // Opens the registry in `cfg.data_dir` and loads the first tenant snapshot.
  static result<std::unique_ptr<app>> open(const app_config& cfg);
  ~app() override;

  http_response handle(const http_request& req) override;
  http_response reject(int status, std::string_view code, std::string_view message) override;
  void on_drain() override { draining_ = true; }

  // Starts / stops the registry poller (CLI changes become visible while serving).
  void start_background();
  void stop_background();
  tenant_directory& directory() noexcept { return directory_; }
  // Cluster mode: the e-mail of the person behind `token` if its home tenant is served here,
  // active, and the session is valid (the answer other nodes rely on); unauthenticated otherwise.
  result<std::string> resolve_local_session(std::string_view token);
  // Cluster mode: ends the session `token` if its home tenant is served here (logout on another
  // node); unauthenticated if it is not valid here.
  result<void> revoke_local_session(std::string_view token);
  // Cluster mode (tenant move, tenant_move.cpp): the base domain tenants are resolved under, and
  // the hook run when a moved tenant has arrived here (its queued sharing deliveries go out).
  const std::string& base_domain() const noexcept { return cfg_.base_domain; }
  void tenant_arrived(std::string_view slug);
  // The store of `t` for background work (relay, digests): unavailable while a move pauses it.
  result<std::shared_ptr<tenant::store>> background_store(const provisioning::tenant_info& t);
  // Cluster mode: answers another node's sharing request (sharing_link::handle_internal).
  http_response sharing_internal(const http_request& req);
  // The memberships of `email` in active tenants served here, as (slug, name) pairs sorted by
  // slug: what /api/v1/me lists, and what this node answers other nodes (cluster mode).
  result<std::vector<std::pair<std::string, std::string>>> local_memberships(
      std::string_view email);

 private:
  enum class access { anyone, member };
  using handler_fn = result<http_response> (app::*)(request_context&);
  struct action {
    handler_fn fn;
    access who;
  };

  app(const app_config& cfg, std::shared_ptr<provisioning::registry> reg);

  http_response dispatch(request_context& ctx, std::string& route);
  http_response platform(request_context& ctx, const std::string& path, std::string& route);
  result<principal> authenticate(request_context& ctx);
  // Sign-in throttling, local and (cluster mode) in Redis: the wait when `address` or `account`
  // (tenant + "\n" + e-mail; empty: the address only) is over its limit, a failure counted
  // against both, and a success clearing the account (handlers.cpp).
  std::optional<std::chrono::seconds> login_wait(std::string_view address, std::string_view account,
                                                 login_throttle::clock::time_point now);
  void login_failure(std::string_view address, std::string_view account,
                     login_throttle::clock::time_point now);
  void login_success(std::string_view account);
  // Cluster mode: a session the store of `home` just created or vouched for goes to Redis.
  void publish_session(const provisioning::tenant_info& home, std::string_view secret,
                       std::string_view email, std::int64_t expires_ms);
  // Cluster mode: the sessions of `t` revoked since the last flush leave Redis now (read from
  // `store`, the request's handle of t's store, if given).
  void flush_sessions(const provisioning::tenant_info& t, tenant::store* store = nullptr);
  http_response failure(const request_context& ctx, const error& e);

  // Handlers (handlers.cpp).
  result<http_response> home_page(request_context& ctx);
  result<http_response> login(request_context& ctx);
  result<http_response> logout(request_context& ctx);
  result<http_response> me(request_context& ctx);
  result<http_response> list_news(request_context& ctx);
  result<http_response> create_news(request_context& ctx);
  result<http_response> get_news(request_context& ctx);
  result<http_response> update_news(request_context& ctx);
  result<http_response> delete_news(request_context& ctx);
  result<http_response> list_units(request_context& ctx);
  result<http_response> list_users(request_context& ctx);

  // Web front end assets (handlers_ui.cpp); the shell is home_page.
  result<http_response> static_asset(request_context& ctx);

  // Sharing handlers (handlers_sharing.cpp).
  result<http_response> sharing_inbox(request_context& ctx);
  result<http_response> sharing_accept(request_context& ctx);
  result<http_response> sharing_decline(request_context& ctx);
  result<http_response> sharing_catalog(request_context& ctx);
  result<http_response> sharing_borrow(request_context& ctx);
  result<http_response> sharing_share(request_context& ctx);
  result<http_response> sharing_unlink(request_context& ctx);
  result<http_response> sharing_distribution(request_context& ctx);
  result<http_response> sharing_policies(request_context& ctx);
  result<http_response> sharing_set_policy(request_context& ctx);
  result<http_response> sharing_audit(request_context& ctx);
  // Publishes news with share_with / shareable (called by create_news in handlers.cpp).
  result<tenant::news_item> create_shared_news(request_context& ctx,
                                               const tenant::news_draft& draft,
                                               const std::vector<std::string>& share_with,
                                               bool shareable);
  // The relay: delivers committed sharing changes to partners (set up in the constructor,
  // started by start_background; stopped by stop_background before the pool goes away).
  std::unique_ptr<sharing::service> sharing_;
  // The daily digest e-mails (content2), when an SMTP relay is configured.
  std::unique_ptr<provisioning::digest_timer> digest_;

  // Content and start page handlers (handlers_content.cpp).
  result<http_response> list_pages(request_context& ctx);
  result<http_response> create_page(request_context& ctx);
  result<http_response> get_page(request_context& ctx);
  result<http_response> update_page(request_context& ctx);
  result<http_response> delete_page(request_context& ctx);
  result<http_response> approve_page(request_context& ctx);
  result<http_response> page_versions(request_context& ctx);
  result<http_response> pages_for_review(request_context& ctx);
  result<http_response> create_guide(request_context& ctx);
  result<http_response> get_guide(request_context& ctx);
  result<http_response> update_guide(request_context& ctx);
  result<http_response> delete_guide(request_context& ctx);
  result<http_response> list_links(request_context& ctx);
  result<http_response> add_link(request_context& ctx);
  result<http_response> update_link(request_context& ctx);
  result<http_response> delete_link(request_context& ctx);
  result<http_response> get_profile(request_context& ctx);
  result<http_response> my_profile(request_context& ctx);
  result<http_response> update_profile(request_context& ctx);
  result<http_response> set_photo(request_context& ctx);
  result<http_response> get_photo(request_context& ctx);
  result<http_response> start_page(request_context& ctx);
  result<http_response> list_audit(request_context& ctx);
  result<http_response> upload_document(request_context& ctx);
  result<http_response> get_document(request_context& ctx);
  result<http_response> download_document(request_context& ctx);
  result<http_response> delete_document(request_context& ctx);
  // Content lists (handlers_content2.cpp).
  result<http_response> list_documents(request_context& ctx);
  result<http_response> list_guides(request_context& ctx);

 public:
  // Streamed uploads: POST /api/v1/documents and .../documents/{id}/versions of an active
  // tenant spool to DATA/tenants/SLUG/files/.uploads (handlers_content.cpp).
  std::optional<std::filesystem::path> upload_spool_dir(std::string_view method,
                                                        std::string_view host,
                                                        std::string_view target) override;

 private:
  // Search handlers (handlers_search.cpp).
  result<http_response> search(request_context& ctx);

  // Social handlers (handlers_social.cpp).
  result<http_response> list_groups(request_context& ctx);
  result<http_response> create_group(request_context& ctx);
  result<http_response> get_group(request_context& ctx);
  result<http_response> join_group(request_context& ctx);
  result<http_response> leave_group(request_context& ctx);
  result<http_response> invite_to_group(request_context& ctx);
  result<http_response> list_group_members(request_context& ctx);
  result<http_response> add_group_admin(request_context& ctx);
  result<http_response> set_group_subscription(request_context& ctx);
  result<http_response> list_group_posts(request_context& ctx);
  result<http_response> create_post(request_context& ctx);
  result<http_response> get_post(request_context& ctx);
  result<http_response> update_post(request_context& ctx);
  result<http_response> delete_post(request_context& ctx);
  result<http_response> list_comments(request_context& ctx);
  result<http_response> create_comment(request_context& ctx);
  result<http_response> like_post(request_context& ctx);
  result<http_response> unlike_post(request_context& ctx);
  result<http_response> set_post_subscription(request_context& ctx);
  result<http_response> feed(request_context& ctx);
  result<http_response> list_notifications(request_context& ctx);
  result<http_response> mark_notifications_read(request_context& ctx);
  result<http_response> get_notification_prefs(request_context& ctx);
  result<http_response> set_notification_prefs(request_context& ctx);
  result<http_response> list_ideas(request_context& ctx);
  result<http_response> create_idea(request_context& ctx);
  result<http_response> get_idea(request_context& ctx);
  result<http_response> vote_idea(request_context& ctx);
  result<http_response> unvote_idea(request_context& ctx);
  result<http_response> list_idea_comments(request_context& ctx);
  result<http_response> comment_idea(request_context& ctx);
  result<http_response> set_idea_status(request_context& ctx);

  // Directory handlers: SCIM 2.0 at /scim/v2 (handlers_directory.cpp).
  // Every /scim/v2 route: authenticates the tenant's SCIM bearer token itself and answers in
  // SCIM's shapes (errors included), so the routes are `anyone` for the session pipeline.
  result<http_response> scim(request_context& ctx);

  // Tenant administration: people and units (handlers_admin.cpp).
  result<http_response> admin_get_user(request_context& ctx);
  result<http_response> admin_update_user(request_context& ctx);
  result<http_response> admin_create_unit(request_context& ctx);
  result<http_response> admin_update_unit(request_context& ctx);
  result<http_response> admin_delete_unit(request_context& ctx);

  // OpenID Connect sign-in (handlers_oidc.cpp): the login screen's sign-in methods, and the
  // authorization code flow's start and callback (HTML pages and redirects, not JSON).
  result<http_response> auth_providers(request_context& ctx);
  result<http_response> oidc_start(request_context& ctx);
  result<http_response> oidc_callback(request_context& ctx);
  // The callback's answer to a query string that cannot be parsed: the HTML failure page.
  http_response oidc_bad_callback(request_context& ctx);

  app_config cfg_;
  // Identity providers' discovery documents and keys, cached (after cfg_: built from it).
  std::unique_ptr<oidc::client> oidc_ =
      std::make_unique<oidc::client>(oidc::client_options{cfg_.oidc_ca_file});
  // Sign-in starts counted per address (oidc::limits::max_starts_per_address).
  login_throttle oidc_starts_{login_throttle::config{SIZE_MAX, oidc::limits::max_starts_per_address,
                                                     oidc::limits::start_window,
                                                     limits::max_throttle_entries}};
  std::shared_ptr<provisioning::registry> registry_;
  tenant::pool pool_;
  tenant_directory directory_;  // after pool_: its eviction callback uses the pool
  login_throttle throttle_;
  // Cluster mode: this node's half of sessions in Redis (session_sync.hpp).
  std::unique_ptr<session_sync> session_sync_;
  metrics metrics_;
  router<action> routes_;
  std::atomic<bool> draining_{false};
};

}  // namespace samverka::gateway
