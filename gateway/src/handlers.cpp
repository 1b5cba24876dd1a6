// Tenant-scoped endpoints (CONTRACT.md, "Tenant-scoped HTTP API"). Each handler validates its
// input with json_input/query, calls the tenant's store, and shapes the answer with json_output.
// Authorisation by role is checked here; visibility of individual items is the store's job.
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "app.hpp"
#include "errors.hpp"
#include "json_input.hpp"
#include "json_output.hpp"
#include "limits.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/tenant/limits.hpp"
#include "static_assets.hpp"

namespace samverka::gateway {

namespace {

constexpr field_rule login_rules[] = {
    {"email", json_type::string, true},
    {"password", json_type::string, true},
};

constexpr field_rule audience_rules[] = {
    {"units", json_type::string_array},
    {"roles", json_type::string_array},
};

constexpr field_rule create_news_rules[] = {
    {"title", json_type::string, true},      {"body", json_type::string, true},
    {"summary", json_type::string},          {"audience", json_type::object, false, audience_rules},
    {"share_with", json_type::string_array}, {"shareable", json_type::boolean},
    {"publish_at", json_type::string},       {"unpublish_at", json_type::string},  // scheduling
    {"attachments", json_type::id_array},  // content2: document ids
};

constexpr field_rule update_news_rules[] = {
    {"title", json_type::string},
    {"summary", json_type::string},
    {"body", json_type::string},
    {"audience", json_type::object, false, audience_rules},
    {"shareable", json_type::boolean},
    {"publish_at", json_type::string},     // scheduling; "" publishes a scheduled item now
    {"unpublish_at", json_type::string},   // scheduling; "" clears
    {"attachments", json_type::id_array},  // content2: document ids (replaces the list)
};

// Scheduling: an optional RFC 3339 field. Outer nullopt = absent; inner nullopt = "" (cleared).
result<std::optional<std::optional<std::int64_t>>> schedule_time(const boost::json::object& o,
                                                                 std::string_view name) {
  using out = std::optional<std::optional<std::int64_t>>;
  auto s = get_string(o, name);
  if (!s) return out{};
  if (s->empty()) return out(std::optional<std::int64_t>{});
  auto t = parse_rfc3339(*s);
  if (!t)
    return error(
        errc::invalid_input, "invalid_field",
        "field \"" + std::string(name) + "\" must be an RFC 3339 time, e.g. 2026-12-01T08:00:00Z");
  return out(std::optional<std::int64_t>(*t));
}

tenant::audience audience_from(const boost::json::object* o) {
  tenant::audience a;
  if (!o) return a;
  a.units = get_strings(*o, "units").value_or(std::vector<std::string>{});
  a.roles = get_strings(*o, "roles").value_or(std::vector<std::string>{});
  return a;
}

bool is_editor(const principal& p) {
  return tenant::has(p.viewer.roles, tenant::role::editor) ||
         tenant::has(p.viewer.roles, tenant::role::admin);
}

error not_an_editor() {
  return error(errc::forbidden, "forbidden", "only editors may publish or change news");
}

error no_such_news() {
  return error(errc::not_found, "not_found", "no such news item");
}

http_response no_content() {
  http_response res;
  res.status = 204;
  return res;
}

}  // namespace

// The web front end's shell (static_assets.hpp), naming this municipality before scripts run.
result<http_response> app::home_page(request_context& ctx) {
  http_response res;
  res.content_type = "text/html; charset=utf-8";
  res.body = render_shell(ctx.tenant->name, ctx.addr.base_path);
  return res;
}

result<http_response> app::login(request_context& ctx) {
  auto body = parse_json_body(ctx.req, login_rules);
  if (!body) return body.err();
  const std::string email = ascii_lower(*get_string(*body, "email"));
  const std::string password = *get_string(*body, "password");
  const std::string& slug = ctx.tenant->slug;
  const std::string account = slug + "\n" + email;
  const auto now = login_throttle::clock::now();

  if (const auto wait = login_wait(ctx.req.remote_addr, account, now)) {
    return error_response(
        error(errc::throttled, "too_many_attempts", "too many failed sign-ins; try again later"),
        *wait);
  }
  // Only the tenant owning the e-mail's domain authenticates its people (team notes); a domain
  // nobody owns authenticates where the person has a local password.
  std::optional<std::string> owner;
  if (auto local = ctx.snap->owner_of(email_domain(email)))
    owner = std::string(*local);
  else if (cfg_.cluster_domain_owner)
    owner = cfg_.cluster_domain_owner(email_domain(email));
  std::optional<tenant::user> user;
  if ((!owner || *owner == slug) && email.size() <= limits::max_email) {
    auto u = ctx.store->verify_password(email, password);
    if (u)
      user = std::move(u.value());
    else if (u.err().kind != errc::unauthenticated)
      return u.err();
  }
  if (!user) {
    login_failure(ctx.req.remote_addr, account, now);
    return error(errc::unauthenticated, "invalid_credentials", "wrong e-mail address or password");
  }
  login_success(account);

  auto secret = ctx.store->create_session(user->id);
  if (!secret) return secret.err();
  const std::string token = slug + "." + secret.value();
  auto session = ctx.store->resolve_session(secret.value());
  const std::int64_t expires_ms =
      session
          ? session->expires_at_ms
          : now_ms() +
                std::chrono::duration_cast<std::chrono::milliseconds>(tenant::limits::session_ttl)
                    .count();
  if (session) publish_session(*ctx.tenant, secret.value(), user->email, expires_ms);
  const std::string csrf = csrf_token_for(token);

  boost::json::object out;
  out["token"] = token;
  out["csrf_token"] = csrf;
  out["user"] = user_json(*user);
  out["tenant"] = boost::json::object{{"slug", slug}, {"name", ctx.tenant->name}};
  out["expires_at"] = to_rfc3339(expires_ms);
  http_response res = json_response(200, out);
  const auto max_age =
      std::chrono::duration_cast<std::chrono::seconds>(tenant::limits::session_ttl);
  res.set_header("Set-Cookie", session_cookie(token, max_age, ctx.req.tls));
  res.set_header("Set-Cookie", csrf_cookie(csrf, max_age, ctx.req.tls));
  return res;
}

std::optional<std::chrono::seconds> app::login_wait(std::string_view address,
                                                    std::string_view account,
                                                    login_throttle::clock::time_point now) {
  auto wait = throttle_.blocked(address, account, now);
  if (!wait && cfg_.login_blocked) wait = cfg_.login_blocked(address, account);
  return wait;
}

void app::login_failure(std::string_view address, std::string_view account,
                        login_throttle::clock::time_point now) {
  throttle_.record_failure(address, account, now);
  if (cfg_.login_failed) cfg_.login_failed(address, account);
  metrics_.login_failed();
}

void app::login_success(std::string_view account) {
  throttle_.record_success(account);
  if (cfg_.login_succeeded) cfg_.login_succeeded(account);
}

result<http_response> app::logout(request_context& ctx) {
  const auto& who = *ctx.who;
  std::shared_ptr<tenant::store> home = ctx.store;
  if (who.token.home != ctx.tenant->slug) {
    const auto* t = ctx.snap->find(who.token.home);
    if (!t && cfg_.remote_revoke) {
      // Cluster mode: the home lives on another node; it ends the session there.
      if (auto r = cfg_.remote_revoke(who.token.home, who.creds.token); !r) return r.err();
      http_response res = no_content();
      res.set_header("Set-Cookie", expired_cookie(session_cookie_name, true, ctx.req.tls));
      res.set_header("Set-Cookie", expired_cookie(csrf_cookie_name, false, ctx.req.tls));
      return res;
    }
    if (!t) return error(errc::unauthenticated, "unauthenticated", "the session is invalid");
    // Through the move gate (503 tenant_moving while the home moves): a revoke written after
    // the move's export would be lost, and the session live again on the new node.
    auto s = background_store(*t);
    if (!s) return s.err();
    home = std::move(s.value());
  }
  if (auto r = home->revoke_session(who.token.secret); !r) return r.err();
  // Cluster mode: Redis forgets it before the answer (app::handle flushes only this tenant).
  if (home != ctx.store)
    if (const auto* t = ctx.snap->find(who.token.home)) flush_sessions(*t, home.get());
  http_response res = no_content();
  res.set_header("Set-Cookie", expired_cookie(session_cookie_name, true, ctx.req.tls));
  res.set_header("Set-Cookie", expired_cookie(csrf_cookie_name, false, ctx.req.tls));
  return res;
}

result<std::vector<std::pair<std::string, std::string>>> app::local_memberships(
    std::string_view email) {
  auto slugs = registry_->memberships(email);
  if (!slugs) return slugs.err();
  std::set<std::string> member_of(slugs->begin(), slugs->end());
  const auto snap = directory_.snapshot();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& slug : member_of) {
    const auto* t = snap ? snap->find(slug) : nullptr;
    if (!t || t->state != provisioning::tenant_state::active) continue;
    out.emplace_back(t->slug, t->name);
  }
  return out;
}

result<http_response> app::me(request_context& ctx) {
  const auto& v = ctx.who->viewer;
  auto user = ctx.store->get_user(v.user_id);
  if (!user) return user.err();
  auto local = local_memberships(v.email);
  if (!local) return local.err();
  // slug -> name: sorted by slug, each tenant once (a node's own answer wins).
  std::map<std::string, std::string> member_of(local->begin(), local->end());
  // Holding a viewer here is a membership by definition.
  member_of.emplace(ctx.tenant->slug, ctx.tenant->name);
  // Cluster mode: the other store nodes' tenants (a node that is down is left out).
  if (cfg_.remote_memberships)
    for (auto& [slug, name] : cfg_.remote_memberships(v.email))
      member_of.emplace(std::move(slug), std::move(name));
  boost::json::array memberships;
  for (const auto& [slug, name] : member_of)
    memberships.push_back(boost::json::object{{"slug", slug}, {"name", name}});
  boost::json::object out;
  out["user"] = user_json(*user);
  out["tenant"] = boost::json::object{{"slug", ctx.tenant->slug}, {"name", ctx.tenant->name}};
  out["memberships"] = std::move(memberships);
  return json_response(200, out);
}

result<http_response> app::list_news(request_context& ctx) {
  auto scope = parse_scope(param(ctx.query, "scope"));
  if (!scope) return scope.err();
  auto limit = parse_limit(param(ctx.query, "limit"));
  if (!limit) return limit.err();
  auto cursor = parse_cursor(param(ctx.query, "cursor"));
  if (!cursor) return cursor.err();
  auto page = ctx.store->list_news(
      ctx.who->viewer, *scope, *limit,
      cursor.value() ? std::optional<std::string_view>(**cursor) : std::nullopt);
  if (!page) return page.err();
  // One arena for the whole response: its many small allocations become pointer bumps and are
  // freed at once (the first block on the stack covers a typical page).
  unsigned char first_block[16 * 1024];
  boost::json::monotonic_resource arena(first_block, sizeof first_block);
  boost::json::storage_ptr sp(&arena);
  boost::json::array items(sp);
  items.reserve(page->items.size());
  for (const auto& n : page->items) items.push_back(news_json(n, sp));
  boost::json::object out(sp);
  out["items"] = std::move(items);
  if (page->next_cursor)
    out["next_cursor"] = *page->next_cursor;
  else
    out["next_cursor"] = nullptr;
  return json_response(200, out);
}

result<http_response> app::create_news(request_context& ctx) {
  if (!is_editor(*ctx.who)) return not_an_editor();
  auto body = parse_json_body(ctx.req, create_news_rules);
  if (!body) return body.err();
  tenant::news_draft draft;
  draft.title = *get_string(*body, "title");
  draft.body = *get_string(*body, "body");
  draft.summary = get_string(*body, "summary").value_or("");
  draft.target = audience_from(get_object(*body, "audience"));
  draft.attachments = get_ids(*body, "attachments").value_or(std::vector<std::int64_t>{});
  // Scheduling: a future publish_at schedules the item; a past one publishes now (no back-dating).
  auto publish_at = schedule_time(*body, "publish_at");
  if (!publish_at) return publish_at.err();
  auto unpublish_at = schedule_time(*body, "unpublish_at");
  if (!unpublish_at) return unpublish_at.err();
  if (*publish_at && **publish_at && ***publish_at > now_ms())
    draft.published_at_ms = ***publish_at;
  if (*unpublish_at) draft.unpublish_at_ms = **unpublish_at;

  // A non-partner in share_with refuses the whole request: nothing is published.
  const auto share_with = get_strings(*body, "share_with").value_or(std::vector<std::string>{});
  if (share_with.size() > limits::max_share_with)
    return error(errc::invalid_input, "invalid_field",
                 "field \"share_with\" names more than " + std::to_string(limits::max_share_with) +
                     " municipalities");
  for (const auto& slug : share_with) {
    // The registry, not the snapshot: in cluster mode a partner may live on another node.
    auto partners =
        valid_slug(slug) ? registry_->are_partners(ctx.tenant->slug, slug) : result<bool>(false);
    if (!partners) return partners.err();
    if (!*partners)
      return error(errc::unprocessable, "not_a_partner",
                   "\"" + slug + "\" is not a partner municipality; nothing was published");
  }
  // Sharing: the news, its offers and their outbox rows commit in one transaction (sharing
  // feature, handlers_sharing.cpp); the relay delivers them to the partners.
  const bool shareable = get_bool(*body, "shareable").value_or(false);
  auto item = !share_with.empty() || shareable
                  ? create_shared_news(ctx, draft, share_with, shareable)
                  : ctx.store->create_news(ctx.who->viewer, draft);
  if (!item) return item.err();
  http_response res = json_response(201, news_json(*item));
  res.set_header("Location", ctx.addr.base_path + "/api/v1/news/" + std::to_string(item->id));
  return res;
}

result<http_response> app::get_news(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such_news();
  auto item = ctx.store->get_news(ctx.who->viewer, *id);
  if (!item) return item.err();
  return json_response(200, news_json(*item));
}

result<http_response> app::update_news(request_context& ctx) {
  if (!is_editor(*ctx.who)) return not_an_editor();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such_news();
  auto body = parse_json_body(ctx.req, update_news_rules);
  if (!body) return body.err();
  tenant::news_patch patch;
  patch.title = get_string(*body, "title");
  patch.summary = get_string(*body, "summary");
  patch.body = get_string(*body, "body");
  if (const auto* a = get_object(*body, "audience")) patch.target = audience_from(a);
  patch.attachments = get_ids(*body, "attachments");     // content2
  auto publish_at = schedule_time(*body, "publish_at");  // scheduling
  if (!publish_at) return publish_at.err();
  patch.publish_at_ms = *publish_at;
  auto unpublish_at = schedule_time(*body, "unpublish_at");
  if (!unpublish_at) return unpublish_at.err();
  patch.unpublish_at_ms = *unpublish_at;
  auto item = ctx.store->update_news(ctx.who->viewer, *id, patch);
  if (!item) return item.err();
  // Linked copies follow: the edit queued their deliveries in its own transaction.
  if (const auto shareable = get_bool(*body, "shareable"))
    if (auto r = ctx.store->set_shareable(ctx.who->viewer, *id, *shareable); !r) return r.err();
  sharing_->wake(ctx.tenant->slug);
  return json_response(200, news_json(*item));
}

result<http_response> app::delete_news(request_context& ctx) {
  if (!is_editor(*ctx.who)) return not_an_editor();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such_news();
  if (auto r = ctx.store->delete_news(ctx.who->viewer, *id); !r) return r.err();
  sharing_->wake(ctx.tenant->slug);  // linked copies are withdrawn
  return no_content();
}

result<http_response> app::list_units(request_context& ctx) {
  auto units = ctx.store->list_units();
  if (!units) return units.err();
  boost::json::array items;
  for (const auto& u : *units) {
    boost::json::object o{{"id", u.id}, {"name", u.name}};
    if (u.parent_id)
      o["parent_id"] = *u.parent_id;
    else
      o["parent_id"] = nullptr;
    items.push_back(std::move(o));
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

result<http_response> app::list_users(request_context& ctx) {
  if (!tenant::has(ctx.who->viewer.roles, tenant::role::admin))
    return error(errc::forbidden, "forbidden", "only administrators may list people");
  auto users = ctx.store->list_users();
  if (!users) return users.err();
  boost::json::array items;
  for (const auto& u : *users) {
    auto o = user_json(u);
    o["active"] = u.active;
    items.push_back(std::move(o));
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

}  // namespace samverka::gateway
