// Sharing endpoints (CONTRACT.md: share_with/shareable on news, the inbox, catalogues, borrowing;
// plus the project's own: share later, unlink, distribution, acceptance policies, audit).
// Authorisation by role is checked here; cross-tenant work goes through sharing::service, the
// only component holding two tenants' stores; partnership is checked there against the registry.
#include <boost/json.hpp>

#include <algorithm>

#include "app.hpp"
#include "errors.hpp"
#include "json_input.hpp"
#include "json_output.hpp"
#include "limits.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"
#include "sharing_link.hpp"

namespace samverka::gateway {

namespace {

constexpr field_rule audience_rules[] = {
    {"units", json_type::string_array},
    {"roles", json_type::string_array},
};
constexpr field_rule share_rules[] = {
    {"partners", json_type::string_array, true},
};
constexpr field_rule accept_rules[] = {
    {"audience", json_type::object, false, audience_rules},
};
constexpr field_rule borrow_rules[] = {
    {"from", json_type::string, true},
    {"news_id", json_type::integer, true},
    {"audience", json_type::object, false, audience_rules},
};
constexpr field_rule policy_rules[] = {
    {"policy", json_type::string, true},
};

// Lines of the sharing audit trail one request returns.
constexpr std::size_t audit_page = 200;

bool is_editor(const principal& p) {
  return tenant::has(p.viewer.roles, tenant::role::editor) ||
         tenant::has(p.viewer.roles, tenant::role::admin);
}

error editors_only() {
  return error(errc::forbidden, "forbidden", "only editors may use the sharing service");
}

error no_such(std::string_view what) {
  return error(errc::not_found, "not_found", "no such " + std::string(what));
}

tenant::audience audience_of(const boost::json::object& o) {
  tenant::audience a;
  a.units = get_strings(o, "units").value_or(std::vector<std::string>{});
  a.roles = get_strings(o, "roles").value_or(std::vector<std::string>{});
  return a;
}

// The optional body of accept: empty means "no re-targeting".
result<std::optional<tenant::audience>> optional_audience(const http_request& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return std::optional<tenant::audience>{};
  auto body = parse_json_body(req, accept_rules);
  if (!body) return body.err();
  if (const auto* a = get_object(*body, "audience")) return std::optional(audience_of(*a));
  return std::optional<tenant::audience>{};
}

boost::json::value time_or_null(std::optional<std::int64_t> ms) {
  if (!ms) return nullptr;
  return boost::json::value(to_rfc3339(*ms));
}

boost::json::object copy_json(const tenant::shared_copy& k) {
  boost::json::object o;
  o["id"] = k.id;
  // The contract's inbox statuses; a withdrawn copy is listed nowhere but in distribution.
  o["status"] = tenant::to_string(k.status);
  o["from"] = boost::json::object{{"slug", k.source_slug}, {"name", k.source_name}};
  o["news"] = news_json(k.news);
  o["via"] = tenant::to_string(k.via);
  o["linked"] = k.linked;
  o["unlinked_at"] = time_or_null(k.unlinked_at_ms);
  if (!k.linked) o["unlink_reason"] = k.unlink_reason;
  o["revision"] = k.revision;
  o["received_at"] = to_rfc3339(k.received_at_ms);
  if (k.local_news_id)
    o["local_news_id"] = *k.local_news_id;
  else
    o["local_news_id"] = nullptr;
  return o;
}

}  // namespace

result<tenant::news_item> app::create_shared_news(request_context& ctx,
                                                  const tenant::news_draft& draft,
                                                  const std::vector<std::string>& share_with,
                                                  bool shareable) {
  if (auto ok = sharing_->check_partners(ctx.tenant->slug, share_with); !ok) return ok.err();
  auto item = ctx.store->create_shared_news(ctx.who->viewer, draft, share_with, shareable);
  if (item && !share_with.empty()) sharing_->wake(ctx.tenant->slug);
  return item;
}

result<http_response> app::sharing_share(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such("news item");
  auto body = parse_json_body(ctx.req, share_rules);
  if (!body) return body.err();
  const auto partners = get_strings(*body, "partners").value_or(std::vector<std::string>{});
  if (partners.size() > limits::max_share_with)
    return error(errc::invalid_input, "invalid_field",
                 "field \"partners\" names more than " + std::to_string(limits::max_share_with) +
                     " municipalities");
  if (auto ok = sharing_->check_partners(ctx.tenant->slug, partners); !ok) return ok.err();
  auto added = ctx.store->share_news(ctx.who->viewer, *id, partners);
  if (!added) return added.err();
  if (!added->empty()) sharing_->wake(ctx.tenant->slug);
  boost::json::array out;
  for (const auto& p : *added) out.push_back(boost::json::string(p));
  return json_response(200, boost::json::object{{"news_id", *id}, {"offered_to", std::move(out)}});
}

result<http_response> app::sharing_unlink(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such("news item");
  auto copy = ctx.store->sharing_unlink(ctx.who->viewer, *id);
  if (!copy) return copy.err();
  sharing_->record_at_source(*copy, ctx.tenant->slug, "unlinked_by_partner", ctx.who->viewer.email);
  auto o = news_json(copy->news);
  o["linked"] = false;
  o["unlinked_at"] = time_or_null(copy->unlinked_at_ms);
  return json_response(200, o);
}

result<http_response> app::sharing_distribution(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such("news item");
  auto reports = sharing_->distribution(ctx.tenant->slug, *ctx.store, ctx.who->viewer, *id);
  if (!reports) return reports.err();
  boost::json::array items;
  for (const auto& r : *reports) {
    boost::json::object o;
    o["partner"] = boost::json::object{{"slug", r.delivery.partner}, {"name", r.partner_name}};
    o["state"] = r.state;
    o["delivery"] = r.delivery.state;
    o["via"] = tenant::to_string(r.delivery.via);
    o["revision"] = r.delivery.revision;
    o["delivered_revision"] = r.delivery.delivered_revision;
    o["attempts"] = r.delivery.attempts;
    if (r.delivery.last_error.empty())
      o["last_error"] = nullptr;
    else
      o["last_error"] = r.delivery.last_error;
    o["updated_at"] = to_rfc3339(r.delivery.updated_at_ms);
    items.push_back(std::move(o));
  }
  return json_response(200, boost::json::object{{"news_id", *id}, {"items", std::move(items)}});
}

result<http_response> app::sharing_inbox(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  auto copies = ctx.store->sharing_inbox(ctx.who->viewer);
  if (!copies) return copies.err();
  boost::json::array items;
  for (const auto& k : *copies) items.push_back(copy_json(k));
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

result<http_response> app::sharing_accept(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such("shared item");
  auto target = optional_audience(ctx.req);
  if (!target) return target.err();
  auto item = ctx.store->sharing_accept(ctx.who->viewer, *id, *target);
  if (!item) return item.err();
  if (auto copy = ctx.store->sharing_copy(*id))
    sharing_->record_at_source(*copy, ctx.tenant->slug, "accepted_by_partner",
                               ctx.who->viewer.email);
  return json_response(
      200, boost::json::object{{"id", *id}, {"status", "accepted"}, {"news", news_json(*item)}});
}

result<http_response> app::sharing_decline(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such("shared item");
  auto copy = ctx.store->sharing_decline(ctx.who->viewer, *id);
  if (!copy) return copy.err();
  sharing_->record_at_source(*copy, ctx.tenant->slug, "declined_by_partner", ctx.who->viewer.email);
  return json_response(200, copy_json(*copy));
}

result<http_response> app::sharing_catalog(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  // Cluster mode: a partner on another node shows its catalogue there (the same JSON).
  if (cfg_.sharing_remote && sharing_->is_remote_partner(ctx.tenant->slug, ctx.params.at(0)))
    return cfg_.sharing_remote->catalog(ctx.tenant->slug, ctx.params.at(0));
  auto items = sharing_->catalog(ctx.tenant->slug, ctx.params.at(0));
  if (!items) return items.err();
  boost::json::array out;
  for (const auto& n : *items) out.push_back(news_json(n));
  return json_response(200, boost::json::object{{"items", std::move(out)}});
}

result<http_response> app::sharing_borrow(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  auto body = parse_json_body(ctx.req, borrow_rules);
  if (!body) return body.err();
  const auto from = *get_string(*body, "from");
  const auto& raw_id = body->at("news_id");
  if (!raw_id.is_int64() || raw_id.get_int64() <= 0)
    return error(errc::invalid_input, "invalid_field", "field \"news_id\" must be a positive id");
  std::optional<tenant::audience> target;
  if (const auto* a = get_object(*body, "audience")) target = audience_of(*a);
  auto item = sharing_->borrow(ctx.tenant->slug, *ctx.store, ctx.who->viewer, from,
                               raw_id.get_int64(), target);
  if (!item) return item.err();
  http_response res = json_response(201, news_json(*item));
  res.set_header("Location", ctx.addr.base_path + "/api/v1/news/" + std::to_string(item->id));
  return res;
}

result<http_response> app::sharing_policies(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  auto pairs = registry_->partnerships();
  if (!pairs) return pairs.err();
  boost::json::array items;
  for (const auto& p : *pairs) {
    const std::string& other = p.a == ctx.tenant->slug ? p.b : p.a;
    if (p.a != ctx.tenant->slug && p.b != ctx.tenant->slug) continue;
    auto policy = ctx.store->get_accept_policy(other);
    if (!policy) return policy.err();
    const auto* t = ctx.snap->find(other);
    items.push_back(boost::json::object{
        {"partner", boost::json::object{{"slug", other}, {"name", t ? t->name : other}}},
        {"policy", tenant::to_string(*policy)}});
  }
  // Cluster mode: partners on other nodes (this node's half of each pair).
  auto remote = registry_->remote_partners();
  if (!remote) return remote.err();
  for (const auto& r : *remote) {
    if (r.local != ctx.tenant->slug) continue;
    auto policy = ctx.store->get_accept_policy(r.remote);
    if (!policy) return policy.err();
    items.push_back(boost::json::object{
        {"partner", boost::json::object{{"slug", r.remote}, {"name", r.remote_name}}},
        {"policy", tenant::to_string(*policy)}});
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

result<http_response> app::sharing_set_policy(request_context& ctx) {
  if (!tenant::has(ctx.who->viewer.roles, tenant::role::admin))
    return error(errc::forbidden, "forbidden", "only administrators set acceptance policies");
  auto body = parse_json_body(ctx.req, policy_rules);
  if (!body) return body.err();
  const auto policy = *get_string(*body, "policy");
  if (policy != "manual" && policy != "automatic")
    return error(errc::invalid_input, "invalid_field",
                 "field \"policy\" must be \"manual\" or \"automatic\"");
  const std::string& from = ctx.params.at(0);
  auto partners =
      valid_slug(from) ? registry_->are_partners(ctx.tenant->slug, from) : result<bool>(false);
  if (!partners) return partners.err();
  if (!*partners) return no_such("partner municipality");
  const auto p =
      policy == "automatic" ? tenant::accept_policy::automatic : tenant::accept_policy::manual;
  if (auto r = ctx.store->set_accept_policy(from, p, ctx.who->viewer.email); !r) return r.err();
  return json_response(200, boost::json::object{{"partner", from}, {"policy", policy}});
}

result<http_response> app::sharing_audit(request_context& ctx) {
  if (!is_editor(*ctx.who)) return editors_only();
  auto log = ctx.store->sharing_audit_log(audit_page);
  if (!log) return log.err();
  boost::json::array items;
  for (const auto& e : *log) {
    boost::json::object o{{"id", e.id},         {"at", to_rfc3339(e.at_ms)}, {"actor", e.actor},
                          {"action", e.action}, {"partner", e.partner},      {"detail", e.detail}};
    if (e.news_id)
      o["news_id"] = *e.news_id;
    else
      o["news_id"] = nullptr;
    items.push_back(std::move(o));
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

http_response app::sharing_internal(const http_request& req) {
  if (!cfg_.sharing_remote) return error_response(404, "not_found", "not a cluster node");
  // `samverkactl partner link|unlink` on another node: this node's half of a cross-node pair.
  const bool link = req.target == "/internal/v1/sharing/partners/link";
  if (link || req.target == "/internal/v1/sharing/partners/unlink") {
    if (req.method != "POST") return error_response(405, "method_not_allowed", "use POST");
    boost::json::error_code ec;
    auto v = boost::json::parse(req.body, ec);
    if (ec || !v.is_object()) return error_response(400, "invalid_json", "a JSON object, please");
    auto text = [&](std::string_view k) {
      auto* f = v.as_object().if_contains(k);
      return f && f->is_string() ? std::string(f->as_string()) : std::string();
    };
    const auto local = text("local"), remote = text("remote");
    auto me = registry_->get_tenant(local);
    if (!me) return error_response(me.err());
    if (link) {
      auto half = registry_->link_remote(local, remote, text("remote_name"));
      if (!half) return error_response(half.err());
    } else if (auto r = registry_->unlink_remote(local, remote);
               !r && r.err().kind != errc::not_found) {
      return error_response(r.err());
    }
    return json_response(200, boost::json::object{{"name", me->name}});
  }
  return cfg_.sharing_remote->handle_internal(req, *sharing_);
}

}  // namespace samverka::gateway
