// Content endpoints (issue 4): pages, guides, the personal start page, links, profiles and the
// audit trail. Bodies are validated with json_input; the store decides visibility and roles.
// Documented in docs/openapi.yaml.
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "app.hpp"
#include "errors.hpp"
#include "json_input.hpp"
#include "json_output.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/tenant/content_limits.hpp"
#include "samverka/tenant/limits.hpp"

namespace samverka::gateway {

namespace {

constexpr field_rule page_create_rules[] = {
    {"title", json_type::string, true},
    {"body", json_type::string, true},
    {"parent_id", json_type::integer},
    {"owner_email", json_type::string},
    {"review_interval_days", json_type::integer},
    {"requires_approval", json_type::boolean},
    {"publish_at", json_type::string},
    {"unpublish_at", json_type::string},
};

constexpr field_rule page_patch_rules[] = {
    {"title", json_type::string},
    {"body", json_type::string},
    {"parent_id", json_type::integer},  // 0 moves the page to the top level
    {"owner_email", json_type::string},
    {"review_interval_days", json_type::integer},
    {"requires_approval", json_type::boolean},
    {"publish_at", json_type::string},  // "" clears
    {"unpublish_at", json_type::string},
};

constexpr field_rule link_rules[] = {
    {"title", json_type::string, true},
    {"url", json_type::string, true},
};

constexpr field_rule link_patch_rules[] = {
    {"title", json_type::string},
    {"url", json_type::string},
    {"position", json_type::integer},  // 1-based place in the caller's list
};

constexpr field_rule profile_rules[] = {
    {"title", json_type::string},
    {"phone", json_type::string},
    {"about", json_type::string},
    {"skills", json_type::string},
};

// Guides: "steps" is an array of {"text", "image"?} objects, checked by hand (json_input has no
// array-of-objects type).
constexpr field_rule guide_rules[] = {
    {"title", json_type::string, true},
    {"summary", json_type::string},
};

error invalid_field(std::string_view name, std::string_view why) {
  return error(errc::invalid_input, "invalid_field",
               "field \"" + std::string(name) + "\" " + std::string(why));
}

error bad_param(std::string_view name, std::string_view why) {
  return error(errc::invalid_input, "invalid_parameter",
               "query parameter \"" + std::string(name) + "\" " + std::string(why));
}

// An integer field of a validated body, if present and within [lo, hi].
result<std::optional<std::int64_t>> get_int(const boost::json::object& o, std::string_view name,
                                            std::int64_t lo, std::int64_t hi) {
  const auto* v = o.if_contains(name);
  if (!v) return std::optional<std::int64_t>{};
  if (v->is_uint64() && v->get_uint64() > static_cast<std::uint64_t>(hi))
    return invalid_field(name, "is out of range");
  const std::int64_t x =
      v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
  if (x < lo || x > hi) return invalid_field(name, "is out of range");
  return std::optional<std::int64_t>(x);
}

// An RFC 3339 time field: absent -> nullopt; "" -> engaged nullopt (clear); else the time.
result<std::optional<std::optional<std::int64_t>>> get_time(const boost::json::object& o,
                                                            std::string_view name) {
  auto s = get_string(o, name);
  if (!s) return std::optional<std::optional<std::int64_t>>{};
  if (s->empty()) return std::optional<std::optional<std::int64_t>>(std::optional<std::int64_t>{});
  auto t = parse_rfc3339(*s);
  if (!t) return invalid_field(name, "must be an RFC 3339 time, e.g. 2026-12-01T08:00:00Z");
  return std::optional<std::optional<std::int64_t>>(std::optional<std::int64_t>(*t));
}

boost::json::value opt_time(const std::optional<std::int64_t>& t) {
  if (t) return boost::json::value(to_rfc3339(*t));
  return nullptr;
}

boost::json::object page_json(const tenant::page& p, bool with_body = true) {
  boost::json::object o{{"id", p.id},
                        {"title", p.title},
                        {"owner", boost::json::object{{"id", p.owner_id}, {"name", p.owner_name}}},
                        {"review_at", to_rfc3339(p.review_at_ms)},
                        {"review_interval_days", p.review_interval_days},
                        {"requires_approval", p.requires_approval},
                        {"live", p.live},
                        {"version", p.version},
                        {"pending_approval", p.pending},
                        {"publish_at", opt_time(p.publish_at_ms)},
                        {"unpublish_at", opt_time(p.unpublish_at_ms)},
                        {"created_at", to_rfc3339(p.created_at_ms)},
                        {"updated_at", to_rfc3339(p.updated_at_ms)}};
  if (p.parent_id)
    o["parent_id"] = *p.parent_id;
  else
    o["parent_id"] = nullptr;
  if (with_body) o["body"] = p.body;
  return o;
}

boost::json::object guide_json(const tenant::guide& g) {
  boost::json::array steps;
  for (const auto& s : g.steps) {
    boost::json::object st{{"text", s.text}};
    if (s.image_ref)
      st["image"] = *s.image_ref;
    else
      st["image"] = nullptr;
    steps.push_back(std::move(st));
  }
  return {{"id", g.id},
          {"title", g.title},
          {"summary", g.summary},
          {"steps", std::move(steps)},
          {"author", boost::json::object{{"name", g.author_name}}},
          {"updated_at", to_rfc3339(g.updated_at_ms)}};
}

boost::json::object link_json(const tenant::user_link& l) {
  return {{"id", l.id}, {"title", l.title}, {"url", l.url}, {"position", l.position}};
}

boost::json::object profile_json(const tenant::profile& p, const std::string& base) {
  boost::json::array units, missing;
  for (const auto& u : p.units) units.emplace_back(u);
  for (const auto& m : p.missing) missing.emplace_back(m);
  boost::json::object o{{"id", p.user_id},           {"name", p.name},    {"email", p.email},
                        {"units", std::move(units)}, {"title", p.title},  {"phone", p.phone},
                        {"about", p.about},          {"skills", p.skills}};
  if (p.has_photo)
    o["photo_url"] = base + "/api/v1/people/" + std::to_string(p.user_id) + "/photo";
  else
    o["photo_url"] = nullptr;
  o["profile_strength"] =
      boost::json::object{{"score", p.strength}, {"missing", std::move(missing)}};
  return o;
}

boost::json::object document_json(const tenant::document& d, const std::string& base);

boost::json::object audit_json(const tenant::audit_entry& e) {
  boost::json::object o{{"id", e.id},
                        {"at", to_rfc3339(e.at_ms)},
                        {"actor", boost::json::object{{"email", e.actor_email}}},
                        {"action", e.action},
                        {"item", boost::json::object{{"type", e.item_type}, {"id", e.item_id}}},
                        {"detail", e.detail}};
  return o;
}

// A CSV field per RFC 4180, with formula-looking values neutralised (spreadsheet injection).
std::string csv_field(std::string_view s) {
  std::string out = "\"";
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) out += '\'';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

http_response no_content() {
  http_response res;
  res.status = 204;
  return res;
}

result<std::vector<tenant::guide_step>> guide_steps(const boost::json::object& body) {
  const auto* v = body.if_contains("steps");
  if (!v) return error(errc::invalid_input, "missing_field", "field \"steps\" is required");
  if (!v->is_array()) return invalid_field("steps", "must be an array of {\"text\",\"image\"?}");
  std::vector<tenant::guide_step> out;
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) return invalid_field("steps", "must be an array of {\"text\",\"image\"?}");
    static constexpr field_rule step_rules[] = {{"text", json_type::string, true},
                                                {"image", json_type::string}};
    if (auto r = check_fields(e.get_object(), step_rules, "steps[]"); !r) return r.err();
    out.push_back({*get_string(e.get_object(), "text"), get_string(e.get_object(), "image")});
  }
  return out;
}

// A guide body: "steps" is checked by guide_steps(), every other field by guide_rules.
result<tenant::guide_draft> guide_from(const http_request& req) {
  const auto ct = req.header("content-type");
  if (!ct || !is_json_media_type(*ct))
    return error(errc::invalid_input, "unsupported_media_type",
                 "the body must be sent as Content-Type: application/json");
  boost::json::error_code ec;
  auto v = boost::json::parse(req.body, ec);
  if (ec) return error(errc::invalid_input, "malformed_json", "the body is not valid JSON");
  if (!v.is_object())
    return error(errc::invalid_input, "invalid_body", "the body must be an object");
  auto obj = v.get_object();
  auto steps = guide_steps(obj);
  if (!steps) return steps.err();
  obj.erase("steps");
  if (auto r = check_fields(obj, guide_rules); !r) return r.err();
  tenant::guide_draft d;
  d.title = *get_string(obj, "title");
  d.summary = get_string(obj, "summary").value_or("");
  d.steps = std::move(*steps);
  return d;
}

}  // namespace

// ---- Pages
// ---------------------------------------------------------------------------------------

result<http_response> app::list_pages(request_context& ctx) {
  auto pages = ctx.store->list_pages(ctx.who->viewer);
  if (!pages) return pages.err();
  boost::json::array items;
  for (const auto& p : *pages) items.push_back(page_json(p, false));
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

result<http_response> app::create_page(request_context& ctx) {
  auto body = parse_json_body(ctx.req, page_create_rules);
  if (!body) return body.err();
  tenant::page_draft d;
  d.title = *get_string(*body, "title");
  d.body = *get_string(*body, "body");
  auto parent = get_int(*body, "parent_id", 1, INT64_MAX);
  if (!parent) return parent.err();
  d.parent_id = *parent;
  d.owner_email = get_string(*body, "owner_email");
  auto days = get_int(*body, "review_interval_days", 1, tenant::limits::max_review_days);
  if (!days) return days.err();
  if (*days) d.review_interval_days = static_cast<int>(**days);
  d.requires_approval = get_bool(*body, "requires_approval").value_or(false);
  auto from = get_time(*body, "publish_at");
  if (!from) return from.err();
  if (*from) d.publish_at_ms = **from;
  auto to = get_time(*body, "unpublish_at");
  if (!to) return to.err();
  if (*to) d.unpublish_at_ms = **to;
  auto p = ctx.store->create_page(ctx.who->viewer, d);
  if (!p) return p.err();
  auto res = json_response(201, page_json(*p));
  res.set_header("Location", ctx.addr.base_path + "/api/v1/pages/" + std::to_string(p->id));
  return res;
}

result<http_response> app::get_page(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_page", "no such page");
  auto p = ctx.store->get_page(ctx.who->viewer, *id);
  if (!p) return p.err();
  return json_response(200, page_json(*p));
}

result<http_response> app::update_page(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_page", "no such page");
  auto body = parse_json_body(ctx.req, page_patch_rules);
  if (!body) return body.err();
  tenant::page_patch patch;
  patch.title = get_string(*body, "title");
  patch.body = get_string(*body, "body");
  auto parent = get_int(*body, "parent_id", 0, INT64_MAX);
  if (!parent) return parent.err();
  if (*parent)
    patch.parent_id = **parent == 0 ? std::optional<std::int64_t>{} : std::optional(**parent);
  patch.owner_email = get_string(*body, "owner_email");
  auto days = get_int(*body, "review_interval_days", 1, tenant::limits::max_review_days);
  if (!days) return days.err();
  if (*days) patch.review_interval_days = static_cast<int>(**days);
  patch.requires_approval = get_bool(*body, "requires_approval");
  auto from = get_time(*body, "publish_at");
  if (!from) return from.err();
  patch.publish_at_ms = *from;
  auto to = get_time(*body, "unpublish_at");
  if (!to) return to.err();
  patch.unpublish_at_ms = *to;
  auto p = ctx.store->update_page(ctx.who->viewer, *id, patch);
  if (!p) return p.err();
  return json_response(200, page_json(*p));
}

result<http_response> app::delete_page(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_page", "no such page");
  if (auto r = ctx.store->delete_page(ctx.who->viewer, *id); !r) return r.err();
  return no_content();
}

result<http_response> app::approve_page(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_page", "no such page");
  auto p = ctx.store->approve_page(ctx.who->viewer, *id);
  if (!p) return p.err();
  return json_response(200, page_json(*p));
}

result<http_response> app::page_versions(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_page", "no such page");
  auto vs = ctx.store->page_versions(ctx.who->viewer, *id);
  if (!vs) return vs.err();
  boost::json::array items;
  for (const auto& v : *vs) {
    boost::json::object o{{"version", v.version},
                          {"title", v.title},
                          {"editor", boost::json::object{{"name", v.editor_name}}},
                          {"created_at", to_rfc3339(v.created_at_ms)},
                          {"state", v.state}};
    if (v.approved_by)
      o["approved_by"] = *v.approved_by;
    else
      o["approved_by"] = nullptr;
    items.push_back(std::move(o));
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

result<http_response> app::pages_for_review(request_context& ctx) {
  const auto scope = param(ctx.query, "scope").value_or("mine");
  if (scope != "mine" && scope != "all") return bad_param("scope", "must be mine or all");
  auto pages = ctx.store->pages_due_for_review(ctx.who->viewer, scope == "all");
  if (!pages) return pages.err();
  const auto now = now_ms();
  boost::json::array items;
  for (const auto& p : *pages) {
    auto o = page_json(p, false);
    o["overdue"] = p.review_at_ms < now;
    items.push_back(std::move(o));
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

// ---- Guides
// --------------------------------------------------------------------------------------

result<http_response> app::create_guide(request_context& ctx) {
  auto d = guide_from(ctx.req);
  if (!d) return d.err();
  auto g = ctx.store->create_guide(ctx.who->viewer, *d);
  if (!g) return g.err();
  return json_response(201, guide_json(*g));
}

result<http_response> app::get_guide(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_guide", "no such guide");
  auto g = ctx.store->get_guide(*id);
  if (!g) return g.err();
  return json_response(200, guide_json(*g));
}

result<http_response> app::update_guide(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_guide", "no such guide");
  auto d = guide_from(ctx.req);
  if (!d) return d.err();
  auto g = ctx.store->update_guide(ctx.who->viewer, *id, *d);
  if (!g) return g.err();
  return json_response(200, guide_json(*g));
}

result<http_response> app::delete_guide(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_guide", "no such guide");
  if (auto r = ctx.store->delete_guide(ctx.who->viewer, *id); !r) return r.err();
  return no_content();
}

// ---- Links
// ---------------------------------------------------------------------------------------

result<http_response> app::list_links(request_context& ctx) {
  auto links = ctx.store->list_links(ctx.who->viewer);
  if (!links) return links.err();
  boost::json::array items;
  for (const auto& l : *links) items.push_back(link_json(l));
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

result<http_response> app::add_link(request_context& ctx) {
  auto body = parse_json_body(ctx.req, link_rules);
  if (!body) return body.err();
  auto l =
      ctx.store->add_link(ctx.who->viewer, *get_string(*body, "title"), *get_string(*body, "url"));
  if (!l) return l.err();
  return json_response(201, link_json(*l));
}

result<http_response> app::update_link(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_link", "no such link");
  auto body = parse_json_body(ctx.req, link_patch_rules);
  if (!body) return body.err();
  auto pos = get_int(*body, "position", 1, static_cast<std::int64_t>(tenant::limits::max_links));
  if (!pos) return pos.err();
  auto title = get_string(*body, "title");
  auto url = get_string(*body, "url");
  if (title || url) {
    auto l = ctx.store->update_link(ctx.who->viewer, *id,
                                    title ? std::optional<std::string_view>(*title) : std::nullopt,
                                    url ? std::optional<std::string_view>(*url) : std::nullopt);
    if (!l) return l.err();
  }
  auto links = ctx.store->list_links(ctx.who->viewer);
  if (!links) return links.err();
  auto it = std::find_if(links->begin(), links->end(), [&](const auto& l) { return l.id == *id; });
  if (it == links->end()) return error(errc::not_found, "unknown_link", "no such link");
  if (*pos) {
    // Move the link to the requested place; the others keep their relative order.
    std::vector<std::int64_t> ids;
    for (const auto& l : *links)
      if (l.id != *id) ids.push_back(l.id);
    const auto at = std::min<std::size_t>(static_cast<std::size_t>(**pos - 1), ids.size());
    ids.insert(ids.begin() + static_cast<std::ptrdiff_t>(at), *id);
    auto ordered = ctx.store->order_links(ctx.who->viewer, ids);
    if (!ordered) return ordered.err();
    for (const auto& l : *ordered)
      if (l.id == *id) return json_response(200, link_json(l));
  }
  return json_response(200, link_json(*it));
}

result<http_response> app::delete_link(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_link", "no such link");
  if (auto r = ctx.store->delete_link(ctx.who->viewer, *id); !r) return r.err();
  return no_content();
}

// ---- Profiles
// ------------------------------------------------------------------------------------

result<http_response> app::get_profile(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_person", "no such person");
  auto p = ctx.store->get_profile(*id);
  if (!p) return p.err();
  return json_response(200, profile_json(*p, ctx.addr.base_path));
}

result<http_response> app::my_profile(request_context& ctx) {
  auto p = ctx.store->get_profile(ctx.who->viewer.user_id);
  if (!p) return p.err();
  return json_response(200, profile_json(*p, ctx.addr.base_path));
}

result<http_response> app::update_profile(request_context& ctx) {
  auto body = parse_json_body(ctx.req, profile_rules);
  if (!body) return body.err();
  tenant::profile_patch patch;
  patch.title = get_string(*body, "title");
  patch.phone = get_string(*body, "phone");
  patch.about = get_string(*body, "about");
  patch.skills = get_string(*body, "skills");
  auto p = ctx.store->update_profile(ctx.who->viewer, patch);
  if (!p) return p.err();
  return json_response(200, profile_json(*p, ctx.addr.base_path));
}

result<http_response> app::set_photo(request_context& ctx) {
  const auto ct = ctx.req.header("content-type").value_or("");
  if (!(ct.starts_with("image/jpeg") || ct.starts_with("image/png") ||
        ct.starts_with("image/webp")))
    return error(errc::invalid_input, "unsupported_media_type",
                 "send the photo as image/jpeg, image/png or image/webp");
  auto p = ctx.store->set_photo(ctx.who->viewer, ctx.req.body);
  if (!p) return p.err();
  return json_response(200, profile_json(*p, ctx.addr.base_path));
}

result<http_response> app::get_photo(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "no_photo", "no photo");
  auto photo = ctx.store->get_photo(*id);
  if (!photo) return photo.err();
  http_response res;
  res.content_type = photo->second;
  res.body = std::move(photo->first);
  res.set_header("Cache-Control", "private, max-age=300");
  return res;
}

// ---- Start page
// ----------------------------------------------------------------------------------

result<http_response> app::start_page(request_context& ctx) {
  auto scope = parse_scope(param(ctx.query, "scope"));
  if (!scope) return scope.err();
  const auto& v = ctx.who->viewer;
  auto news = ctx.store->list_news(v, *scope, tenant::limits::default_page, std::nullopt);
  if (!news) return news.err();
  auto links = ctx.store->list_links(v);
  if (!links) return links.err();
  auto due = ctx.store->pages_due_for_review(v, false);
  if (!due) return due.err();
  auto prof = ctx.store->get_profile(v.user_id);
  if (!prof) return prof.err();

  boost::json::array news_items, link_items, due_items;
  for (const auto& n : news->items) news_items.push_back(news_json(n));
  for (const auto& l : *links) link_items.push_back(link_json(l));
  const auto now = now_ms();
  for (const auto& p : *due) {
    auto o = page_json(p, false);
    o["overdue"] = p.review_at_ms < now;
    due_items.push_back(std::move(o));
  }
  boost::json::array missing;
  for (const auto& m : prof->missing) missing.emplace_back(m);
  boost::json::object out;
  out["scope"] = *scope == tenant::news_scope::all ? "all" : "mine";
  boost::json::object news_part{{"items", std::move(news_items)}};
  if (news->next_cursor)
    news_part["next_cursor"] = *news->next_cursor;
  else
    news_part["next_cursor"] = nullptr;
  out["news"] = std::move(news_part);
  out["links"] = std::move(link_items);
  auto recent = ctx.store->recent_documents(v);
  if (!recent) return recent.err();
  boost::json::array recent_items;
  for (const auto& d : *recent) {
    auto o = document_json(d, ctx.addr.base_path);
    o.erase("versions");
    recent_items.push_back(std::move(o));
  }
  out["recent_documents"] = std::move(recent_items);
  out["pages_due_for_review"] = std::move(due_items);
  out["profile_strength"] =
      boost::json::object{{"score", prof->strength}, {"missing", std::move(missing)}};
  return json_response(200, out);
}

// ---- Audit
// ---------------------------------------------------------------------------------------

result<http_response> app::list_audit(request_context& ctx) {
  tenant::audit_filter f;
  auto str = [&](const char* name) -> std::optional<std::string> {
    auto p = param(ctx.query, name);
    return p ? std::optional<std::string>(std::string(*p)) : std::nullopt;
  };
  f.action = str("action");
  f.item_type = str("item_type");
  f.actor_email = str("actor");
  f.cursor = str("cursor");
  if (auto id = param(ctx.query, "item_id")) {
    f.item_id = parse_id(*id);
    if (!f.item_id) return bad_param("item_id", "must be a positive integer");
  }
  for (auto [name, slot] : {std::pair{"since", &f.since_ms}, std::pair{"until", &f.until_ms}}) {
    if (auto t = param(ctx.query, name)) {
      *slot = parse_rfc3339(*t);
      if (!*slot) return bad_param(name, "must be an RFC 3339 time");
    }
  }
  const auto format = param(ctx.query, "format").value_or("json");
  if (format != "json" && format != "jsonl" && format != "csv")
    return bad_param("format", "must be json, jsonl or csv");
  const bool exporting = format != "json";
  const std::size_t ceiling =
      exporting ? tenant::limits::max_audit_export : tenant::limits::max_audit_page;
  f.limit = exporting ? ceiling : tenant::limits::default_audit_page;
  if (auto l = param(ctx.query, "limit")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc() || end != l->data() + l->size() || n < 1 || n > ceiling)
      return bad_param("limit", "must be 1.." + std::to_string(ceiling));
    f.limit = n;
  }
  auto page = ctx.store->list_audit(ctx.who->viewer, f);
  if (!page) return page.err();
  if (format == "json") {
    boost::json::array items;
    for (const auto& e : page->items) items.push_back(audit_json(e));
    boost::json::object out{{"items", std::move(items)}};
    if (page->next_cursor)
      out["next_cursor"] = *page->next_cursor;
    else
      out["next_cursor"] = nullptr;
    return json_response(200, out);
  }
  http_response res;
  if (format == "jsonl") {
    res.content_type = "application/x-ndjson; charset=utf-8";
    for (const auto& e : page->items) res.body += boost::json::serialize(audit_json(e)) + "\n";
    res.set_header("Content-Disposition", "attachment; filename=\"audit.jsonl\"");
  } else {
    res.content_type = "text/csv; charset=utf-8";
    res.body = "id,at,actor_email,action,item_type,item_id,detail\r\n";
    for (const auto& e : page->items)
      res.body += std::to_string(e.id) + "," + to_rfc3339(e.at_ms) + "," +
                  csv_field(e.actor_email) + "," + csv_field(e.action) + "," +
                  csv_field(e.item_type) + "," + std::to_string(e.item_id) + "," +
                  csv_field(e.detail) + "\r\n";
    res.set_header("Content-Disposition", "attachment; filename=\"audit.csv\"");
  }
  if (page->next_cursor) res.set_header("X-Next-Cursor", *page->next_cursor);
  res.set_header("Cache-Control", "no-store");
  return res;
}

}  // namespace samverka::gateway

// ---- Documents (streamed upload and download)
// ----------------------------------------------------

namespace samverka::gateway {

namespace {

boost::json::object document_json(const tenant::document& d, const std::string& base) {
  boost::json::array versions;
  for (const auto& v : d.versions)
    versions.push_back(
        boost::json::object{{"version", v.version},
                            {"file_name", v.file_name},
                            {"content_type", v.content_type},
                            {"size", v.size},
                            {"sha256", v.sha256},
                            {"uploaded_by", boost::json::object{{"name", v.uploader}}},
                            {"created_at", to_rfc3339(v.created_at_ms)}});
  const auto& cur = d.versions.empty() ? tenant::document_version{} : d.versions.front();
  return {{"id", d.id},
          {"title", d.title},
          {"version", d.version},
          {"file_name", cur.file_name},
          {"content_type", cur.content_type},
          {"size", cur.size},
          {"updated_at", to_rfc3339(d.updated_at_ms)},
          {"download_url", base + "/api/v1/documents/" + std::to_string(d.id) + "/content"},
          {"versions", std::move(versions)}};
}

// Content-Disposition for a download: an ASCII fallback name and the exact UTF-8 name (RFC 6266).
std::string disposition(std::string_view name) {
  std::string ascii, encoded;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : name) {
    ascii +=
        (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ';') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// The upload's temp file: the streamed one, or the in-memory body written out (a request that
// reached the handler without being spooled, e.g. a tiny body on a keep-alive connection).
result<std::filesystem::path> spooled(request_context& ctx, const std::filesystem::path& data_dir) {
  if (ctx.req.body_file) return *ctx.req.body_file;
  const auto dir = tenant::pool::tenant_dir(data_dir, ctx.tenant->slug) / "files" / ".uploads";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto p = dir / (".upload-mem-" + std::to_string(now_ms()) + "-" +
                        std::to_string(reinterpret_cast<std::uintptr_t>(&ctx)));
  std::ofstream out(p, std::ios::binary);
  out.write(ctx.req.body.data(), static_cast<std::streamsize>(ctx.req.body.size()));
  if (!out) return error(errc::internal, "cannot write upload");
  return p;
}

// Removes a temp file the store did not take (on refusals); a no-op after a successful move.
struct spool_guard {
  std::filesystem::path p;
  ~spool_guard() {
    std::error_code ignored;
    std::filesystem::remove(p, ignored);
  }
};

}  // namespace

std::optional<std::filesystem::path> app::upload_spool_dir(std::string_view method,
                                                           std::string_view host,
                                                           std::string_view target) {
  if (method != "POST") return std::nullopt;
  const auto addr = resolve_tenant(host, target, cfg_.base_domain);
  if (addr.slug.empty()) return std::nullopt;
  std::vector<std::string> params;
  if (!match_template("/api/v1/documents", addr.path, params) &&
      !match_template("/api/v1/documents/{id}/versions", addr.path, params))
    return std::nullopt;
  const auto snap = directory_.snapshot();
  const auto* t = snap ? snap->find(addr.slug) : nullptr;
  if (!t || t->state != provisioning::tenant_state::active) return std::nullopt;
  return tenant::pool::tenant_dir(cfg_.data_dir, t->slug) / "files" / ".uploads";
}

result<http_response> app::upload_document(request_context& ctx) {
  const bool new_version = !ctx.params.empty();
  std::optional<std::int64_t> id;
  if (new_version) {
    id = parse_id(ctx.params.at(0));
    if (!id) return error(errc::not_found, "unknown_document", "no such document");
  }
  const auto name = param(ctx.query, "name");
  if (!name || name->empty()) return bad_param("name", "(the file name) is required");
  auto path = spooled(ctx, cfg_.data_dir);
  if (!path) return path.err();
  spool_guard guard{*path};
  tenant::document_upload up{std::string(*name),
                             std::string(ctx.req.header("content-type").value_or("")), *path,
                             std::nullopt};
  if (auto g = param(ctx.query, "group"); g && !new_version) {  // content2: a group's file
    const auto gid = parse_id(*g);
    if (!gid) return bad_param("group", "must be a group id");
    up.group_id = *gid;
  }
  auto d = new_version ? ctx.store->add_document_version(ctx.who->viewer, *id, up)
                       : ctx.store->create_document(ctx.who->viewer,
                                                    param(ctx.query, "title").value_or(""), up);
  if (!d) return d.err();
  auto res = json_response(201, document_json(*d, ctx.addr.base_path));
  res.set_header("Location", ctx.addr.base_path + "/api/v1/documents/" + std::to_string(d->id));
  return res;
}

result<http_response> app::get_document(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_document", "no such document");
  auto d = ctx.store->get_document(ctx.who->viewer, *id);  // content2: scoped documents
  if (!d) return d.err();
  return json_response(200, document_json(*d, ctx.addr.base_path));
}

result<http_response> app::download_document(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_document", "no such document");
  std::optional<int> version;
  if (auto v = param(ctx.query, "version")) {
    const auto n = parse_id(*v);
    if (!n || *n > INT32_MAX) return bad_param("version", "must be a positive integer");
    version = static_cast<int>(*n);
  }
  auto f = ctx.store->open_document(ctx.who->viewer, *id, version);
  if (!f) return f.err();
  http_response res;
  res.content_type = f->first.content_type;
  res.body_file = f->second;
  res.set_header("Content-Disposition", disposition(f->first.file_name));
  // Never rendered as a page of ours, whatever the uploader claimed the type was.
  res.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  res.set_header("Cache-Control", "private, no-cache");
  res.set_header("ETag", "\"" + f->first.sha256 + "\"");
  return res;
}

result<http_response> app::delete_document(request_context& ctx) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return error(errc::not_found, "unknown_document", "no such document");
  if (auto r = ctx.store->delete_document(ctx.who->viewer, *id); !r) return r.err();
  return no_content();
}

}  // namespace samverka::gateway
