// SCIM 2.0 (RFC 7643/7644) at BASE/scim/v2, as Entra ID's provisioning client speaks it.
//
// Design notes:
//  1. Authentication is a SCIM bearer token of THIS tenant (registry::verify_scim_token), checked
//     here rather than by the session pipeline: the routes are `anyone` for app::dispatch, and
//     every answer, errors included, is in SCIM's shape with application/scim+json.
//  2. PATCH is applied to the current resource's JSON, which is then read back like a PUT body:
//     one reader of resources (person_input / group_input) whatever the operation, so every path
//     form Entra sends (`emails[type eq "work"].value`, `name.givenName`, the enterprise URN
//     prefix, no path with a value object) ends in the same validation.
//  3. Entra's quirks are accepted: op names in any letter case ("Replace"), booleans as strings
//     ("False"), attribute names in any letter case (SCIM says they are case-insensitive).
//  4. The store never sees SCIM: it gets directory_person_input / directory_group_input values.
//     Memberships in the registry follow creation and deletion, as `samverkactl user add` does.
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <variant>

#include "app.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/tenant/directory.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::gateway {

namespace {

namespace json = boost::json;

constexpr std::string_view user_schema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view group_schema = "urn:ietf:params:scim:schemas:core:2.0:Group";
constexpr std::string_view enterprise_schema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
constexpr std::string_view list_schema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
constexpr std::string_view error_schema = "urn:ietf:params:scim:api:messages:2.0:Error";
constexpr std::string_view scim_media_type = "application/scim+json";
// Most operations one PATCH may carry: Entra sends a handful; more is junk.
constexpr std::size_t max_patch_ops = 1000;

// A SCIM failure: status, optional scimType, detail.
struct scim_failure {
  int status;
  std::string scim_type;
  std::string detail;
};

template <class T>
using scim_result = std::variant<T, scim_failure>;

http_response scim_json(int status, const json::value& v) {
  http_response res;
  res.status = status;
  res.content_type = std::string(scim_media_type);
  res.body = json::serialize(v);
  res.set_header("Cache-Control", "no-store");
  return res;
}

http_response scim_error(const scim_failure& f) {
  json::object o;
  o["schemas"] = json::array{json::string(error_schema)};
  o["status"] = std::to_string(f.status);
  if (!f.scim_type.empty()) o["scimType"] = f.scim_type;
  o["detail"] = f.detail;
  auto res = scim_json(f.status, o);
  if (f.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"scim\"");
  return res;
}

// A store error as SCIM answers it.
scim_failure from_error(const error& e) {
  switch (e.kind) {
    case errc::invalid_input:
      return {400, "invalidValue", e.message};
    case errc::conflict:
      return {409, "uniqueness", e.message};
    case errc::not_found:
      return {404, "", e.message};
    case errc::too_large:
      return {413, "", e.message};
    case errc::internal:
      log_event("error", "scim request failed", {{"code", e.code}, {"detail", e.message}});
      return {500, "", "internal error; it has been logged"};
    default:
      return {http_status(e), "", e.message};
  }
}

std::string lower(std::string_view s) {
  return ascii_lower(s);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

// The member of `o` named `name` in any letter case.
json::value* find_ci(json::object& o, std::string_view name) {
  for (auto& kv : o)
    if (iequals(kv.key(), name)) return &kv.value();
  return nullptr;
}
const json::value* find_ci(const json::object& o, std::string_view name) {
  return find_ci(const_cast<json::object&>(o), name);
}

// Sets `name` (replacing a member of the same name in any letter case).
void set_ci(json::object& o, std::string_view name, json::value v) {
  if (auto* existing = find_ci(o, name)) {
    *existing = std::move(v);
    return;
  }
  o[name] = std::move(v);
}

void erase_ci(json::object& o, std::string_view name) {
  for (auto it = o.begin(); it != o.end(); ++it)
    if (iequals(it->key(), name)) {
      o.erase(it);
      return;
    }
}

std::string id_string(std::int64_t id) {
  return std::to_string(id);
}

std::string location(const request_context& ctx, std::string_view kind, std::int64_t id) {
  const std::string scheme = ctx.req.tls ? "https://" : "http://";
  return scheme + ctx.req.host + ctx.addr.base_path + "/scim/v2/" + std::string(kind) + "/" +
         id_string(id);
}

json::object meta(const request_context& ctx, std::string_view kind, std::int64_t id,
                  std::int64_t created, std::int64_t modified) {
  return json::object{{"resourceType", kind},
                      {"created", to_rfc3339(created)},
                      {"lastModified", to_rfc3339(modified)},
                      {"location", location(ctx, kind == "User" ? "Users" : "Groups", id)}};
}

json::object user_resource(const request_context& ctx, const tenant::directory_person& p) {
  json::object o;
  o["schemas"] = json::array{json::string(user_schema), json::string(enterprise_schema)};
  o["id"] = id_string(p.id);
  if (p.external_id) o["externalId"] = *p.external_id;
  o["userName"] = p.user_name;
  json::object name{{"formatted", p.name}};
  if (!p.given_name.empty()) name["givenName"] = p.given_name;
  if (!p.family_name.empty()) name["familyName"] = p.family_name;
  o["name"] = std::move(name);
  o["displayName"] = p.name;
  o["emails"] = json::array{json::object{{"value", p.email}, {"type", "work"}, {"primary", true}}};
  if (!p.title.empty()) o["title"] = p.title;
  if (!p.phone.empty())
    o["phoneNumbers"] = json::array{json::object{{"value", p.phone}, {"type", "work"}}};
  o["active"] = p.active;
  json::object ent;
  if (!p.department.empty()) ent["department"] = p.department;
  if (p.manager_id) ent["manager"] = json::object{{"value", id_string(*p.manager_id)}};
  o[enterprise_schema] = std::move(ent);
  o["meta"] = meta(ctx, "User", p.id, p.created_at_ms, p.updated_at_ms);
  return o;
}

json::object group_resource(const request_context& ctx, const tenant::directory_group& g,
                            bool with_members) {
  json::object o;
  o["schemas"] = json::array{json::string(group_schema)};
  o["id"] = id_string(g.id);
  if (g.external_id) o["externalId"] = *g.external_id;
  o["displayName"] = g.display_name;
  if (with_members) {
    json::array members;
    for (auto m : g.members)
      members.push_back(json::object{{"value", id_string(m)}, {"$ref", location(ctx, "Users", m)}});
    o["members"] = std::move(members);
  }
  o["meta"] = meta(ctx, "Group", g.id, g.created_at_ms, g.updated_at_ms);
  return o;
}

// ---- Reading resources ---------------------------------------------------------------------

scim_failure bad_value(std::string detail) {
  return {400, "invalidValue", std::move(detail)};
}

// A string attribute; numbers and booleans are accepted as their text (IdPs differ).
std::optional<std::string> text_of(const json::value* v) {
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  return std::nullopt;
}

// A boolean, also from Entra's strings "True" / "False" (any case).
std::optional<bool> bool_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) {
    const auto s = lower(v->get_string());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

// The value of a multi-valued attribute (emails, phoneNumbers): primary, else type work, else
// the first. An empty string when there is none.
std::string pick_value(const json::value* v) {
  if (!v || !v->is_array()) return {};
  const json::object* chosen = nullptr;
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) continue;
    const auto& o = e.get_object();
    if (bool_of(find_ci(o, "primary")).value_or(false)) {
      chosen = &o;
      break;
    }
    if (!chosen || iequals(text_of(find_ci(o, "type")).value_or(""), "work")) chosen = &o;
  }
  return chosen ? text_of(find_ci(*chosen, "value")).value_or("") : std::string();
}

std::optional<std::int64_t> parse_ref(std::string_view s) {
  auto id = parse_id(s);
  return id;
}

scim_result<tenant::directory_person_input> person_input(const json::object& o) {
  tenant::directory_person_input in;
  auto user_name = text_of(find_ci(o, "userName"));
  if (!user_name || user_name->empty()) return bad_value("userName is required");
  in.user_name = *user_name;
  if (auto* ext = find_ci(o, "externalId"); ext && !ext->is_null()) {
    auto s = text_of(ext);
    if (!s) return bad_value("externalId must be a string");
    in.external_id = *s;
  }
  in.email = pick_value(find_ci(o, "emails"));
  if (auto* name = find_ci(o, "name"); name && name->is_object()) {
    const auto& n = name->get_object();
    in.name = text_of(find_ci(n, "formatted")).value_or("");
    in.given_name = text_of(find_ci(n, "givenName")).value_or("");
    in.family_name = text_of(find_ci(n, "familyName")).value_or("");
  }
  if (in.name.empty()) in.name = text_of(find_ci(o, "displayName")).value_or("");
  in.title = text_of(find_ci(o, "title")).value_or("");
  in.phone = pick_value(find_ci(o, "phoneNumbers"));
  if (auto* active = find_ci(o, "active"); active && !active->is_null()) {
    auto b = bool_of(active);
    if (!b) return bad_value("active must be a boolean");
    in.active = *b;
  }
  if (auto* ent = find_ci(o, enterprise_schema); ent && ent->is_object()) {
    const auto& e = ent->get_object();
    in.department = text_of(find_ci(e, "department")).value_or("");
    if (auto* m = find_ci(e, "manager"); m && !m->is_null()) {
      std::optional<std::string> ref =
          m->is_object() ? text_of(find_ci(m->get_object(), "value")) : text_of(m);
      if (ref && !ref->empty()) {
        auto id = parse_ref(*ref);
        if (!id) return bad_value("manager: no such user '" + *ref + "'");
        in.manager_id = *id;
      }
    }
  }
  return in;
}

scim_result<tenant::directory_group_input> group_input(const json::object& o) {
  tenant::directory_group_input in;
  auto name = text_of(find_ci(o, "displayName"));
  if (!name || name->empty()) return bad_value("displayName is required");
  in.display_name = *name;
  if (auto* ext = find_ci(o, "externalId"); ext && !ext->is_null()) {
    auto s = text_of(ext);
    if (!s) return bad_value("externalId must be a string");
    in.external_id = *s;
  }
  if (auto* members = find_ci(o, "members"); members && !members->is_null()) {
    if (!members->is_array()) return bad_value("members must be an array");
    for (const auto& m : members->get_array()) {
      auto ref = m.is_object() ? text_of(find_ci(m.get_object(), "value")) : text_of(&m);
      auto id = ref ? parse_ref(*ref) : std::nullopt;
      if (!id) return bad_value("members: no such user '" + ref.value_or("?") + "'");
      in.members.push_back(*id);
    }
  }
  return in;
}

// ---- Filters -------------------------------------------------------------------------------

// One comparison `attr eq "value"`.
struct comparison {
  std::string attr;  // lower-cased
  std::string value;
};

// Parses `attr eq "value"` (the only filter Entra sends besides `and` of such); the value may be
// quoted with \" escapes, or a bare token.
std::optional<comparison> parse_comparison(std::string_view s) {
  auto t = [](std::string_view x) {
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.front()))) x.remove_prefix(1);
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back()))) x.remove_suffix(1);
    return x;
  };
  s = t(s);
  auto sp = s.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  comparison c;
  c.attr = lower(s.substr(0, sp));
  auto rest = t(s.substr(sp));
  auto sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos || lower(rest.substr(0, sp2)) != "eq") return std::nullopt;
  auto v = t(rest.substr(sp2));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) ++i;
      out += v[i];
    }
    c.value = std::move(out);
  } else {
    if (v.empty()) return std::nullopt;
    c.value = std::string(v);
  }
  return c;
}

// Splits a filter on " and " (case-insensitive) outside quotes and brackets.
std::vector<std::string> split_and(std::string_view f) {
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  int depth = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char ch = f[i];
    if (ch == '"' && (i == 0 || f[i - 1] != '\\')) quoted = !quoted;
    if (!quoted && ch == '[') ++depth;
    if (!quoted && ch == ']') --depth;
    if (!quoted && depth == 0 && i + 5 <= f.size() && lower(f.substr(i, 5)) == " and ") {
      parts.push_back(cur);
      cur.clear();
      i += 4;
      continue;
    }
    cur += ch;
  }
  parts.push_back(cur);
  return parts;
}

// ---- Paging --------------------------------------------------------------------------------

struct paging {
  std::size_t start = 1;
  std::size_t count = tenant::directory_limits::max_page;
};

scim_result<paging> parse_paging(const query_params& q) {
  paging p;
  auto num = [](std::string_view s) -> std::optional<long long> {
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
  };
  if (auto s = param(q, "startIndex")) {
    auto v = num(*s);
    if (!v) return bad_value("startIndex must be an integer");
    p.start = *v < 1 ? 1 : static_cast<std::size_t>(*v);  // RFC 7644 3.4.2.4: < 1 means 1
  }
  if (auto s = param(q, "count")) {
    auto v = num(*s);
    if (!v) return bad_value("count must be an integer");
    p.count = *v < 0 ? 0 : std::min<std::size_t>(*v, tenant::directory_limits::max_page);
  }
  return p;
}

json::object list_response(json::array resources, std::size_t total, std::size_t start) {
  json::object o;
  o["schemas"] = json::array{json::string(list_schema)};
  o["totalResults"] = total;
  o["startIndex"] = start;
  o["itemsPerPage"] = resources.size();
  o["Resources"] = std::move(resources);
  return o;
}

// Top-level attributes named in excludedAttributes (comma-separated; id and schemas stay).
void exclude(json::object& o, const query_params& q) {
  auto ex = param(q, "excludedAttributes");
  if (!ex) return;
  std::string_view s = *ex;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto name = s.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!iequals(name, "id") && !iequals(name, "schemas") && !name.empty()) erase_ci(o, name);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
}

// ---- PATCH ---------------------------------------------------------------------------------

// A parsed PATCH path: [schema URN:]attr[\[filter\]][.sub]
struct patch_path {
  bool in_extension = false;
  std::string attr;
  std::optional<comparison> filter;
  std::string sub;
};

scim_result<patch_path> parse_path(std::string_view path) {
  patch_path p;
  std::string_view s = path;
  const std::string l = lower(s);
  if (l.starts_with(lower(enterprise_schema) + ":")) {
    p.in_extension = true;
    s.remove_prefix(enterprise_schema.size() + 1);
  } else if (l.starts_with(lower(user_schema) + ":")) {
    s.remove_prefix(user_schema.size() + 1);
  } else if (l.starts_with(lower(group_schema) + ":")) {
    s.remove_prefix(group_schema.size() + 1);
  } else if (l.starts_with("urn:")) {
    return scim_failure{400, "invalidPath", "unknown schema in path '" + std::string(path) + "'"};
  }
  auto bracket = s.find('[');
  if (bracket != std::string_view::npos) {
    auto close = s.find(']', bracket);
    if (close == std::string_view::npos)
      return scim_failure{400, "invalidPath", "unbalanced [ in path"};
    p.attr = std::string(s.substr(0, bracket));
    p.filter = parse_comparison(s.substr(bracket + 1, close - bracket - 1));
    if (!p.filter) return scim_failure{400, "invalidFilter", "unsupported filter in path"};
    auto after = s.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != '.') return scim_failure{400, "invalidPath", "bad path"};
      p.sub = std::string(after.substr(1));
    }
  } else {
    auto dot = s.find('.');
    p.attr = std::string(s.substr(0, dot));
    if (dot != std::string_view::npos) p.sub = std::string(s.substr(dot + 1));
  }
  if (p.attr.empty()) return scim_failure{400, "invalidPath", "empty attribute in path"};
  return p;
}

bool element_matches(const json::value& e, const comparison& c) {
  if (!e.is_object()) return false;
  auto v = text_of(find_ci(e.get_object(), c.attr));
  return v && (c.attr == "value" ? *v == c.value : iequals(*v, c.value));
}

// Values listed in a remove/add operation's value for a multi-valued attribute.
json::array as_array(const json::value& v) {
  if (v.is_array()) return v.get_array();
  return json::array{v};
}

std::optional<scim_failure> apply_op(json::object& doc, std::string_view op,
                                     const json::value* path, const json::value* value);

// An operation without a path: `value` is an object of attributes to set (or add).
std::optional<scim_failure> apply_no_path(json::object& doc, std::string_view op,
                                          const json::value* value) {
  if (!value || !value->is_object())
    return scim_failure{400, "invalidValue", "an operation without path needs an object value"};
  for (const auto& kv : value->get_object()) {
    const std::string key(kv.key());
    if (iequals(key, enterprise_schema) && kv.value().is_object()) {
      for (const auto& e : kv.value().get_object()) {
        json::value p(std::string(enterprise_schema) + ":" + std::string(e.key()));
        if (auto f = apply_op(doc, op, &p, &e.value())) return f;
      }
      continue;
    }
    json::value p(key);  // "name.givenName" and URN-prefixed keys are paths too
    if (auto f = apply_op(doc, op, &p, &kv.value())) return f;
  }
  return std::nullopt;
}

std::optional<scim_failure> apply_op(json::object& doc, std::string_view op_raw,
                                     const json::value* path, const json::value* value) {
  const std::string op = lower(op_raw);
  if (op != "add" && op != "replace" && op != "remove")
    return scim_failure{400, "invalidSyntax", "unknown op '" + std::string(op_raw) + "'"};
  if (!path || path->is_null() || (path->is_string() && path->get_string().empty())) {
    if (op == "remove") return scim_failure{400, "noTarget", "remove needs a path"};
    return apply_no_path(doc, op, value);
  }
  if (!path->is_string()) return scim_failure{400, "invalidPath", "path must be a string"};
  auto parsed = parse_path(path->get_string());
  if (auto* f = std::get_if<scim_failure>(&parsed)) return *f;
  const auto& p = std::get<patch_path>(parsed);
  if (op != "remove" && !value) return scim_failure{400, "invalidValue", "value is required"};
  json::object* container = &doc;
  if (p.in_extension) {
    auto* ext = find_ci(doc, enterprise_schema);
    if (!ext || !ext->is_object()) {
      set_ci(doc, enterprise_schema, json::object{});
      ext = find_ci(doc, enterprise_schema);
    }
    container = &ext->get_object();
  }
  auto* target = find_ci(*container, p.attr);
  if (p.filter) {
    // attr[filter] or attr[filter].sub on a multi-valued attribute.
    if (!target || !target->is_array()) {
      if (op == "remove") return std::nullopt;
      set_ci(*container, p.attr, json::array{});
      target = find_ci(*container, p.attr);
    }
    auto& arr = target->get_array();
    bool matched = false;
    for (auto it = arr.begin(); it != arr.end();) {
      if (!element_matches(*it, *p.filter)) {
        ++it;
        continue;
      }
      matched = true;
      if (op == "remove" && p.sub.empty()) {
        it = arr.erase(it);
        continue;
      }
      auto& eo = it->as_object();
      if (op == "remove")
        erase_ci(eo, p.sub);
      else if (!p.sub.empty())
        set_ci(eo, p.sub, *value);
      else if (value->is_object())
        for (const auto& kv : value->get_object()) set_ci(eo, kv.key(), kv.value());
      ++it;
    }
    if (!matched && op != "remove") {
      json::object fresh{{p.filter->attr, p.filter->value}};
      if (!p.sub.empty())
        fresh[p.sub] = *value;
      else if (value->is_object())
        for (const auto& kv : value->get_object()) set_ci(fresh, kv.key(), kv.value());
      arr.push_back(std::move(fresh));
    }
    return std::nullopt;
  }
  if (!p.sub.empty()) {
    // attr.sub on a complex attribute (name.givenName).
    if (!target || !target->is_object()) {
      if (op == "remove") return std::nullopt;
      set_ci(*container, p.attr, json::object{});
      target = find_ci(*container, p.attr);
    }
    if (op == "remove")
      erase_ci(target->get_object(), p.sub);
    else
      set_ci(target->get_object(), p.sub, *value);
    return std::nullopt;
  }
  // A whole attribute.
  const bool multi =
      iequals(p.attr, "members") || iequals(p.attr, "emails") || iequals(p.attr, "phoneNumbers");
  if (op == "remove") {
    if (multi && value && target && target->is_array()) {
      // Remove only the listed values (Entra's member removal).
      auto& arr = target->get_array();
      for (const auto& v : as_array(*value)) {
        auto ref = v.is_object() ? text_of(find_ci(v.get_object(), "value")) : text_of(&v);
        if (!ref) continue;
        for (auto it = arr.begin(); it != arr.end();)
          it = element_matches(*it, comparison{"value", *ref}) ? arr.erase(it) : it + 1;
      }
      return std::nullopt;
    }
    erase_ci(*container, p.attr);
    return std::nullopt;
  }
  if (multi && op == "add" && target && target->is_array()) {
    auto& arr = target->get_array();
    for (const auto& v : as_array(*value)) {
      auto ref = v.is_object() ? text_of(find_ci(v.get_object(), "value")) : text_of(&v);
      bool dup = false;
      if (ref)
        for (const auto& e : arr) dup = dup || element_matches(e, comparison{"value", *ref});
      if (!dup) arr.push_back(v);
    }
    return std::nullopt;
  }
  if (multi) {
    set_ci(*container, p.attr, as_array(*value));
    return std::nullopt;
  }
  if (value->is_object() && target && target->is_object()) {
    // Replacing a complex attribute with an object merges its sub-attributes (RFC 7644 3.5.2.3).
    for (const auto& kv : value->get_object()) set_ci(target->get_object(), kv.key(), kv.value());
    return std::nullopt;
  }
  set_ci(*container, p.attr, *value);
  return std::nullopt;
}

// After a PATCH, the display name follows whichever of displayName, name.formatted or the name
// parts the IdP changed (the resource carries all three, and only one of them may have moved).
void reconcile_name(json::object& doc, const tenant::directory_person& before) {
  auto* name = find_ci(doc, "name");
  if (!name || !name->is_object()) {
    set_ci(doc, "name", json::object{});
    name = find_ci(doc, "name");
  }
  auto& n = name->get_object();
  const auto display = text_of(find_ci(doc, "displayName")).value_or("");
  const auto formatted = text_of(find_ci(n, "formatted")).value_or("");
  const auto given = text_of(find_ci(n, "givenName")).value_or("");
  const auto family = text_of(find_ci(n, "familyName")).value_or("");
  if (formatted != before.name) return;  // name.formatted was set: it wins
  if (!display.empty() && display != before.name) {
    set_ci(n, "formatted", json::string(display));
    return;
  }
  const bool parts_moved = given != before.given_name || family != before.family_name;
  if (parts_moved && !(given + family).empty()) {
    std::string joined = given;
    if (!given.empty() && !family.empty()) joined += ' ';
    joined += family;
    set_ci(n, "formatted", json::string(joined));
  }
}

// Applies a PatchOp body to `doc`.
std::optional<scim_failure> apply_patch(json::object& doc, const json::object& body) {
  const auto* ops = find_ci(body, "Operations");
  if (!ops || !ops->is_array() || ops->get_array().empty())
    return scim_failure{400, "invalidSyntax", "Operations must be a non-empty array"};
  if (ops->get_array().size() > max_patch_ops)
    return scim_failure{400, "tooMany", "too many operations"};
  for (const auto& o : ops->get_array()) {
    if (!o.is_object()) return scim_failure{400, "invalidSyntax", "an operation is not an object"};
    const auto& op = o.get_object();
    auto name = text_of(find_ci(op, "op"));
    if (!name) return scim_failure{400, "invalidSyntax", "op is required"};
    if (auto f = apply_op(doc, *name, find_ci(op, "path"), find_ci(op, "value"))) return f;
  }
  return std::nullopt;
}

// ---- Static discovery documents --------------------------------------------------------------

json::object service_provider_config() {
  return json::object{
      {"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
      {"patch", json::object{{"supported", true}}},
      {"bulk", json::object{{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter",
       json::object{{"supported", true}, {"maxResults", tenant::directory_limits::max_page}}},
      {"changePassword", json::object{{"supported", false}}},
      {"sort", json::object{{"supported", false}}},
      {"etag", json::object{{"supported", false}}},
      {"authenticationSchemes",
       json::array{json::object{{"type", "oauthbearertoken"},
                                {"name", "OAuth Bearer Token"},
                                {"description", "a token from `samverkactl scim token create`"},
                                {"primary", true}}}},
      {"meta", json::object{{"resourceType", "ServiceProviderConfig"}}}};
}

json::object resource_type(std::string_view name) {
  const bool user = name == "User";
  json::object o{{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
                 {"id", name},
                 {"name", name},
                 {"endpoint", user ? "/Users" : "/Groups"},
                 {"schema", user ? user_schema : group_schema},
                 {"meta", json::object{{"resourceType", "ResourceType"}}}};
  if (user)
    o["schemaExtensions"] =
        json::array{json::object{{"schema", enterprise_schema}, {"required", false}}};
  return o;
}

json::object attr(std::string_view name, std::string_view type, bool multi = false,
                  bool required = false, json::array sub = {}) {
  json::object a{{"name", name},
                 {"type", type},
                 {"multiValued", multi},
                 {"required", required},
                 {"caseExact", false},
                 {"mutability", name == "id" ? "readOnly" : "readWrite"},
                 {"returned", "default"},
                 {"uniqueness", name == "userName" || name == "displayName" ? "server" : "none"}};
  if (!sub.empty()) a["subAttributes"] = std::move(sub);
  return a;
}

json::object schema_doc(std::string_view id) {
  json::array attrs;
  std::string name;
  if (id == user_schema) {
    name = "User";
    attrs = {attr("userName", "string", false, true),
             attr("name", "complex", false, false,
                  {attr("formatted", "string"), attr("givenName", "string"),
                   attr("familyName", "string")}),
             attr("displayName", "string"),
             attr("title", "string"),
             attr("active", "boolean"),
             attr("emails", "complex", true, false,
                  {attr("value", "string"), attr("type", "string"), attr("primary", "boolean")}),
             attr("phoneNumbers", "complex", true, false,
                  {attr("value", "string"), attr("type", "string")})};
  } else if (id == group_schema) {
    name = "Group";
    attrs = {attr("displayName", "string", false, true),
             attr("members", "complex", true, false, {attr("value", "string")})};
  } else {
    name = "EnterpriseUser";
    attrs = {attr("department", "string"),
             attr("manager", "complex", false, false, {attr("value", "string")})};
  }
  return json::object{{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
                      {"id", id},
                      {"name", name},
                      {"attributes", std::move(attrs)},
                      {"meta", json::object{{"resourceType", "Schema"}}}};
}

}  // namespace

// ---- Pipeline --------------------------------------------------------------------------------

namespace {

// The bearer token of a SCIM request, if the Authorization header carries one.
std::optional<std::string> bearer(const http_request& req) {
  auto h = req.header("authorization");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  if (v.size() < 8 || lower(v.substr(0, 7)) != "bearer ") return std::nullopt;
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

// The request body as a JSON object (application/scim+json or application/json).
scim_result<json::object> scim_body(const http_request& req) {
  auto ct = lower(req.header("content-type").value_or(""));
  auto semi = ct.find(';');
  auto media = std::string_view(ct).substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media != scim_media_type && media != "application/json")
    return scim_failure{415, "", "send application/scim+json or application/json"};
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec) return scim_failure{400, "invalidSyntax", "the body is not valid JSON"};
  if (!v.is_object()) return scim_failure{400, "invalidSyntax", "the body must be a JSON object"};
  return std::move(v.get_object());
}

}  // namespace

result<http_response> app::scim(request_context& ctx) {
  // Authentication first: nothing about the tenant's directory is told to a stranger.
  auto token = bearer(ctx.req);
  if (!token) return scim_error({401, "", "a SCIM bearer token is required"});
  auto ok = registry_->verify_scim_token(ctx.tenant->slug, *token);
  if (!ok) return scim_error(from_error(ok.err()));
  if (!*ok) return scim_error({401, "", "the bearer token is not valid for this tenant"});

  const auto& path = ctx.addr.path;
  const auto& method = ctx.req.method;
  auto& store = *ctx.store;
  const std::string slug = ctx.tenant->slug;
  auto fail = [](const scim_failure& f) -> result<http_response> { return scim_error(f); };
  auto membership = [&](const std::string& email, bool add) {
    auto r =
        add ? registry_->add_membership(email, slug) : registry_->remove_membership(email, slug);
    if (!r)
      log_event("warn", "scim: membership not recorded",
                {{"request_id", ctx.request_id}, {"code", r.err().code}});
  };

  // Discovery.
  if (path == "/scim/v2/ServiceProviderConfig") return scim_json(200, service_provider_config());
  if (path == "/scim/v2/ResourceTypes")
    return scim_json(
        200, list_response(json::array{resource_type("User"), resource_type("Group")}, 2, 1));
  if (path.starts_with("/scim/v2/ResourceTypes/")) {
    const auto id = path.substr(std::string_view("/scim/v2/ResourceTypes/").size());
    if (id == "User" || id == "Group") return scim_json(200, resource_type(id));
    return fail({404, "", "no such resource type"});
  }
  const std::array<std::string_view, 3> schema_ids{user_schema, group_schema, enterprise_schema};
  if (path == "/scim/v2/Schemas") {
    json::array all;
    for (auto id : schema_ids) all.push_back(schema_doc(id));
    return scim_json(200, list_response(std::move(all), schema_ids.size(), 1));
  }
  if (path.starts_with("/scim/v2/Schemas/")) {
    const auto id = path.substr(std::string_view("/scim/v2/Schemas/").size());
    for (auto s : schema_ids)
      if (id == s) return scim_json(200, schema_doc(s));
    return fail({404, "", "no such schema"});
  }

  // Users.
  if (path == "/scim/v2/Users" && method == "GET") {
    auto pg = parse_paging(ctx.query);
    if (auto* f = std::get_if<scim_failure>(&pg)) return fail(*f);
    const auto& page = std::get<paging>(pg);
    std::optional<std::string> user_name;
    std::optional<std::int64_t> only_id;
    if (auto f = param(ctx.query, "filter")) {
      auto c = parse_comparison(*f);
      if (!c || (c->attr != "username" && c->attr != "id"))
        return fail(
            {400, "invalidFilter", "supported filters: userName eq \"...\", id eq \"...\""});
      if (c->attr == "username") user_name = c->value;
      if (c->attr == "id") only_id = parse_id(c->value).value_or(-1);
    }
    json::array resources;
    std::size_t total = 0;
    if (only_id) {
      if (auto p = store.dir_get_person(*only_id)) {
        total = 1;
        if (page.start == 1 && page.count > 0) resources.push_back(user_resource(ctx, *p));
      }
    } else {
      auto r = store.dir_list_people(user_name, {page.start, page.count});
      if (!r) return fail(from_error(r.err()));
      total = r->total;
      for (const auto& p : r->items) {
        auto o = user_resource(ctx, p);
        exclude(o, ctx.query);
        resources.push_back(std::move(o));
      }
    }
    return scim_json(200, list_response(std::move(resources), total, page.start));
  }
  if (path == "/scim/v2/Users" && method == "POST") {
    auto body = scim_body(ctx.req);
    if (auto* f = std::get_if<scim_failure>(&body)) return fail(*f);
    auto in = person_input(std::get<json::object>(body));
    if (auto* f = std::get_if<scim_failure>(&in)) return fail(*f);
    auto p = store.dir_put_person(std::nullopt, std::get<tenant::directory_person_input>(in));
    if (!p) return fail(from_error(p.err()));
    membership(p->email, true);
    auto res = scim_json(201, user_resource(ctx, *p));
    res.set_header("Location", location(ctx, "Users", p->id));
    return res;
  }
  if (path.starts_with("/scim/v2/Users/")) {
    const auto id = parse_id(ctx.params.at(0));
    if (!id) return fail({404, "", "no such user"});
    auto cur = store.dir_get_person(*id);
    if (!cur) return fail(from_error(cur.err()));
    if (method == "GET") {
      auto o = user_resource(ctx, *cur);
      exclude(o, ctx.query);
      return scim_json(200, o);
    }
    if (method == "DELETE") {
      auto gone = store.dir_delete_person(*id);
      if (!gone) return fail(from_error(gone.err()));
      membership(gone->email, false);
      http_response res;
      res.status = 204;
      return res;
    }
    auto body = scim_body(ctx.req);
    if (auto* f = std::get_if<scim_failure>(&body)) return fail(*f);
    json::object doc;
    if (method == "PATCH") {
      doc = user_resource(ctx, *cur);
      if (auto f = apply_patch(doc, std::get<json::object>(body))) return fail(*f);
      reconcile_name(doc, *cur);
    } else {  // PUT
      doc = std::move(std::get<json::object>(body));
    }
    auto in = person_input(doc);
    if (auto* f = std::get_if<scim_failure>(&in)) return fail(*f);
    auto p = store.dir_put_person(*id, std::get<tenant::directory_person_input>(in));
    if (!p) return fail(from_error(p.err()));
    if (p->email != cur->email) {
      membership(cur->email, false);
      membership(p->email, true);
    }
    return scim_json(200, user_resource(ctx, *p));
  }

  // Groups.
  if (path == "/scim/v2/Groups" && method == "GET") {
    auto pg = parse_paging(ctx.query);
    if (auto* f = std::get_if<scim_failure>(&pg)) return fail(*f);
    const auto& page = std::get<paging>(pg);
    std::optional<std::string> display_name;
    std::optional<std::int64_t> only_id;
    std::optional<std::int64_t> must_have_member;
    if (auto f = param(ctx.query, "filter")) {
      for (const auto& part : split_and(*f)) {
        // Entra checks membership with: id eq "G" and members[value eq "U"].
        std::string_view ps = part;
        while (!ps.empty() && ps.front() == ' ') ps.remove_prefix(1);
        if (lower(ps).starts_with("members[") && ps.ends_with("]")) {
          auto c = parse_comparison(ps.substr(8, ps.size() - 9));
          if (!c || c->attr != "value")
            return fail({400, "invalidFilter", "unsupported members filter"});
          must_have_member = parse_id(c->value).value_or(-1);
          continue;
        }
        auto c = parse_comparison(ps);
        if (!c || (c->attr != "displayname" && c->attr != "id"))
          return fail({400, "invalidFilter",
                       "supported filters: displayName eq \"...\", id eq \"...\" [and "
                       "members[value eq \"...\"]]"});
        if (c->attr == "displayname") display_name = c->value;
        if (c->attr == "id") only_id = parse_id(c->value).value_or(-1);
      }
    }
    std::vector<tenant::directory_group> found;
    std::size_t total = 0;
    if (only_id || must_have_member) {
      // Small result sets: filter in memory after the store's own filter.
      std::vector<tenant::directory_group> candidates;
      if (only_id) {
        if (auto g = store.dir_get_group(*only_id)) candidates.push_back(std::move(*g));
      } else {
        auto r = store.dir_list_groups(display_name, {1, tenant::directory_limits::max_page});
        if (!r) return fail(from_error(r.err()));
        candidates = std::move(r->items);
      }
      for (auto& g : candidates) {
        if (display_name && !iequals(g.display_name, *display_name)) continue;
        if (must_have_member &&
            std::find(g.members.begin(), g.members.end(), *must_have_member) == g.members.end())
          continue;
        found.push_back(std::move(g));
      }
      total = found.size();
      if (page.start > 1 || page.count == 0) found.clear();
    } else {
      auto r = store.dir_list_groups(display_name, {page.start, page.count});
      if (!r) return fail(from_error(r.err()));
      total = r->total;
      found = std::move(r->items);
    }
    json::array resources;
    for (const auto& g : found) {
      auto o = group_resource(ctx, g, true);
      exclude(o, ctx.query);
      resources.push_back(std::move(o));
    }
    return scim_json(200, list_response(std::move(resources), total, page.start));
  }
  if (path == "/scim/v2/Groups" && method == "POST") {
    auto body = scim_body(ctx.req);
    if (auto* f = std::get_if<scim_failure>(&body)) return fail(*f);
    auto in = group_input(std::get<json::object>(body));
    if (auto* f = std::get_if<scim_failure>(&in)) return fail(*f);
    auto g = store.dir_put_group(std::nullopt, std::get<tenant::directory_group_input>(in));
    if (!g) return fail(from_error(g.err()));
    auto res = scim_json(201, group_resource(ctx, *g, true));
    res.set_header("Location", location(ctx, "Groups", g->id));
    return res;
  }
  if (path.starts_with("/scim/v2/Groups/")) {
    const auto id = parse_id(ctx.params.at(0));
    if (!id) return fail({404, "", "no such group"});
    auto cur = store.dir_get_group(*id);
    if (!cur) return fail(from_error(cur.err()));
    if (method == "GET") {
      auto o = group_resource(ctx, *cur, true);
      exclude(o, ctx.query);
      return scim_json(200, o);
    }
    if (method == "DELETE") {
      if (auto r = store.dir_delete_group(*id); !r) return fail(from_error(r.err()));
      http_response res;
      res.status = 204;
      return res;
    }
    auto body = scim_body(ctx.req);
    if (auto* f = std::get_if<scim_failure>(&body)) return fail(*f);
    json::object doc;
    if (method == "PATCH") {
      doc = group_resource(ctx, *cur, true);
      if (auto f = apply_patch(doc, std::get<json::object>(body))) return fail(*f);
    } else {
      doc = std::move(std::get<json::object>(body));
    }
    auto in = group_input(doc);
    if (auto* f = std::get_if<scim_failure>(&in)) return fail(*f);
    auto g = store.dir_put_group(*id, std::get<tenant::directory_group_input>(in));
    if (!g) return fail(from_error(g.err()));
    if (method == "PATCH") {  // Entra expects 204 (or 200); members may be many
      http_response res;
      res.status = 204;
      return res;
    }
    return scim_json(200, group_resource(ctx, *g, true));
  }
  return fail({404, "", "no such SCIM endpoint"});
}

}  // namespace samverka::gateway
