// Tenant administration endpoints: admins change people (roles, units, activity, name, title)
// and the org tree (create, rename, move, delete units). The store checks the admin role and
// writes the audit trail (tenant/src/admin.cpp). Documented in docs/openapi.yaml.
//
// People are created by samverkactl, SCIM and CSV import, never here: those paths own passwords
// and the rule that a person signs in only at the tenant owning their e-mail domain.
#include <boost/json.hpp>

#include "app.hpp"
#include "errors.hpp"
#include "json_input.hpp"
#include "json_output.hpp"
#include "log.hpp"
#include "samverka/tenant/admin.hpp"

namespace samverka::gateway {

namespace {

namespace json = boost::json;

constexpr field_rule person_patch_rules[] = {
    {"roles", json_type::string_array}, {"units", json_type::string_array},
    {"active", json_type::boolean},     {"name", json_type::string},
    {"title", json_type::string},
};
// `parent` may also be null (top level): unit_body() takes it out before these rules apply.
constexpr field_rule unit_create_rules[] = {
    {"name", json_type::string, true},
    {"parent", json_type::string},
};
constexpr field_rule unit_patch_rules[] = {
    {"name", json_type::string},
    {"parent", json_type::string},
};

error admin_required() {
  return error(errc::forbidden, "forbidden", "only administrators may change people and units");
}

bool is_admin(const request_context& ctx) {
  return tenant::has(ctx.who->viewer.roles, tenant::role::admin);
}

json::object person_json(const tenant::managed_person& p) {
  auto o = user_json(p.person);
  o["active"] = p.person.active;
  o["title"] = p.title;
  o["has_password"] = p.person.has_password;
  return o;
}

json::object unit_json(const tenant::unit& u) {
  json::object o{{"id", u.id}, {"name", u.name}};
  if (u.parent_id)
    o["parent_id"] = *u.parent_id;
  else
    o["parent_id"] = nullptr;
  return o;
}

// A unit body: strict like parse_json_body, except that `parent` may be null. Returns the body
// without a null parent, and whether one was there (= "move to the top level").
struct unit_body {
  json::object obj;
  bool parent_null = false;
};
result<unit_body> parse_unit_body(const http_request& req, std::span<const field_rule> rules) {
  const auto ct = req.header("content-type");
  if (!ct || !is_json_media_type(*ct))
    return error(errc::invalid_input, "unsupported_media_type",
                 "the body must be sent as Content-Type: application/json");
  json::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return error(errc::invalid_input, "malformed_json", "the body is not valid JSON");
  if (!v.is_object())
    return error(errc::invalid_input, "invalid_body", "the body must be a JSON object");
  unit_body out;
  out.obj = std::move(v.get_object());
  if (auto* p = out.obj.if_contains("parent"); p && p->is_null()) {
    out.parent_null = true;
    out.obj.erase("parent");
  }
  if (auto r = check_fields(out.obj, rules); !r) return r.err();
  return out;
}

}  // namespace

result<http_response> app::admin_get_user(request_context& ctx) {
  if (!is_admin(ctx)) return admin_required();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_user", "no such person");
  auto p = ctx.store->admin_get_person(ctx.who->viewer, *id);
  if (!p) return p.err();
  return json_response(200, person_json(*p));
}

result<http_response> app::admin_update_user(request_context& ctx) {
  // The role is checked before the body, so a non-admin learns nothing from validation errors.
  if (!is_admin(ctx)) return admin_required();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_user", "no such person");
  auto body = parse_json_body(ctx.req, person_patch_rules);
  if (!body) return body.err();
  tenant::person_patch p;
  p.roles = get_strings(*body, "roles");
  p.units = get_strings(*body, "units");
  p.active = get_bool(*body, "active");
  p.name = get_string(*body, "name");
  p.title = get_string(*body, "title");
  auto out = ctx.store->admin_update_person(ctx.who->viewer, *id, p);
  if (!out) return out.err();
  // Reactivation after `samverkactl user remove` (which ended the registry membership): the
  // person is a member here again, so /me lists this tenant for them. Idempotent otherwise.
  if (p.active && *p.active) {
    if (auto r = registry_->add_membership(out->person.email, ctx.tenant->slug); !r)
      log_event("warn", "admin: membership not recorded",
                {{"request_id", ctx.request_id}, {"code", r.err().code}});
  }
  return json_response(200, person_json(*out));
}

result<http_response> app::admin_create_unit(request_context& ctx) {
  if (!is_admin(ctx)) return admin_required();
  auto body = parse_unit_body(ctx.req, unit_create_rules);
  if (!body) return body.err();
  tenant::unit_draft d;
  d.name = get_string(body->obj, "name").value_or("");
  d.parent = get_string(body->obj, "parent");
  if (d.parent && d.parent->empty()) d.parent.reset();  // "" = top level, as null
  auto u = ctx.store->admin_create_unit(ctx.who->viewer, d);
  if (!u) return u.err();
  return json_response(201, unit_json(*u));
}

result<http_response> app::admin_update_unit(request_context& ctx) {
  if (!is_admin(ctx)) return admin_required();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_unit", "no such unit");
  auto body = parse_unit_body(ctx.req, unit_patch_rules);
  if (!body) return body.err();
  tenant::unit_patch p;
  p.name = get_string(body->obj, "name");
  if (body->parent_null) {
    p.parent = std::optional<std::string>();
  } else if (auto parent = get_string(body->obj, "parent")) {
    p.parent = parent->empty() ? std::optional<std::string>() : std::optional(*parent);
  }
  auto u = ctx.store->admin_update_unit(ctx.who->viewer, *id, p);
  if (!u) return u.err();
  return json_response(200, unit_json(*u));
}

result<http_response> app::admin_delete_unit(request_context& ctx) {
  if (!is_admin(ctx)) return admin_required();
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_unit", "no such unit");
  if (auto r = ctx.store->admin_delete_unit(ctx.who->viewer, *id); !r) return r.err();
  http_response res;
  res.status = 204;
  return res;
}

}  // namespace samverka::gateway
