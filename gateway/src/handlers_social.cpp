// Social endpoints: groups, posts, comments, likes, follow/mute, the activity feed,
// notifications and the idea box. The contract's part (CONTRACT.md: groups, posts, comments,
// feed) is kept exactly; the rest is documented in docs/openapi.yaml.
// Visibility is the store's job (tenant/social.hpp): a closed group is not_found to non-members
// here exactly as an id that does not exist, so handlers never branch on it themselves.
#include <boost/json.hpp>

#include "app.hpp"
#include "errors.hpp"
#include "json_input.hpp"
#include "json_output.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/tenant/social.hpp"

namespace samverka::gateway {

namespace {

namespace json = boost::json;

constexpr field_rule create_group_rules[] = {
    {"name", json_type::string, true},
    {"kind", json_type::string, true},
    {"description", json_type::string},
};
constexpr field_rule invite_rules[] = {
    {"user_id", json_type::integer},
    {"email", json_type::string},
};
constexpr field_rule user_id_rules[] = {
    {"user_id", json_type::integer, true},
};
constexpr field_rule subscription_rules[] = {
    {"state", json_type::string, true},
};
constexpr field_rule post_rules[] = {
    {"body", json_type::string, true},
    {"mentions", json_type::string_array},
    {"attachments", json_type::id_array},  // content2: document ids; absent on an edit: kept
};
constexpr field_rule read_rules[] = {
    {"thread_id", json_type::integer},
};
constexpr field_rule prefs_rules[] = {
    {"group_posts", json_type::boolean},
    {"followed_comments", json_type::boolean},
    {"likes", json_type::boolean},
    {"digest", json_type::boolean},
};
constexpr field_rule idea_rules[] = {
    {"title", json_type::string, true},
    {"body", json_type::string},
    {"group_id", json_type::integer},
};
constexpr field_rule idea_comment_rules[] = {
    {"body", json_type::string, true},
};
constexpr field_rule idea_status_rules[] = {
    {"status", json_type::string, true},
    {"reply", json_type::string},
};

error no_such(std::string_view what) {
  return error(errc::not_found, "not_found", "no such " + std::string(what));
}

// A path id, or the not-found answer an unknown id gets.
result<std::int64_t> path_id(const request_context& ctx, std::string_view what) {
  const auto id = parse_id(ctx.params.at(0));
  if (!id) return no_such(what);
  return *id;
}

std::optional<std::int64_t> get_int(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::int64_t{-1};  // out of range: matches nothing
}

std::optional<std::string_view> opt_view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

json::object group_json(const tenant::group& g) {
  json::object o;
  o["id"] = g.id;
  o["name"] = g.name;
  o["kind"] = tenant::to_string(g.kind);
  o["member"] = g.member;
  o["description"] = g.description;
  o["admin"] = g.admin;
  o["subscription"] = tenant::to_string(g.sub);
  if (g.unit_id)
    o["unit_id"] = *g.unit_id;
  else
    o["unit_id"] = nullptr;
  o["created_at"] = to_rfc3339(g.created_at_ms);
  return o;
}

json::object person_json(const tenant::person_ref& p) {
  return json::object{{"id", p.id}, {"name", p.name}};
}

json::object post_json(const tenant::post& p) {
  json::object o;
  o["id"] = p.id;
  o["type"] = p.is_comment ? "comment" : "post";
  o["group"] = json::object{{"id", p.group_id}, {"name", p.group_name}};
  o["group_id"] = p.group_id;
  o["post_id"] = p.thread_id;
  o["author"] = person_json(p.author);
  o["body"] = p.body;
  o["created_at"] = to_rfc3339(p.created_at_ms);
  o["updated_at"] = to_rfc3339(p.updated_at_ms);
  o["like_count"] = p.like_count;
  if (!p.is_comment) o["comment_count"] = p.comment_count;
  o["liked"] = p.liked;
  o["can_edit"] = p.can_edit;
  json::array m;
  for (const auto& r : p.mentions) m.push_back(person_json(r));
  o["mentions"] = std::move(m);
  json::array att;  // content2: documents readers of the post may download
  for (auto id : p.attachments) att.push_back(id);
  o["attachments"] = std::move(att);
  return o;
}

json::object page_json(const tenant::post_page& page) {
  json::array items;
  for (const auto& p : page.items) items.push_back(post_json(p));
  json::object out;
  out["items"] = std::move(items);
  if (page.next_cursor)
    out["next_cursor"] = *page.next_cursor;
  else
    out["next_cursor"] = nullptr;
  return out;
}

json::object idea_json(const tenant::idea& i) {
  json::object o;
  o["id"] = i.id;
  if (i.group_id)
    o["group_id"] = *i.group_id;
  else
    o["group_id"] = nullptr;
  o["author"] = person_json(i.author);
  o["title"] = i.title;
  o["body"] = i.body;
  o["status"] = tenant::to_string(i.status);
  o["reply"] = i.reply;
  o["reply_by"] = i.reply_by;
  o["votes"] = i.votes;
  o["comment_count"] = i.comment_count;
  o["voted"] = i.voted;
  o["created_at"] = to_rfc3339(i.created_at_ms);
  o["updated_at"] = to_rfc3339(i.updated_at_ms);
  return o;
}

json::object prefs_json(const tenant::notification_prefs& p) {
  return json::object{{"group_posts", p.group_posts},
                      {"followed_comments", p.followed_comments},
                      {"likes", p.likes},
                      {"digest", p.digest}};
}

http_response no_content() {
  http_response res;
  res.status = 204;
  return res;
}

tenant::post_draft draft_from(const json::object& body) {
  tenant::post_draft d;
  d.body = *get_string(body, "body");
  d.mentions = get_strings(body, "mentions").value_or(std::vector<std::string>{});
  d.attachments = get_ids(body, "attachments");  // content2
  return d;
}

result<std::optional<std::string>> cursor_param(const request_context& ctx) {
  return parse_cursor(param(ctx.query, "cursor"));
}

}  // namespace

// ---- Groups ------------------------------------------------------------------------------------

result<http_response> app::list_groups(request_context& ctx) {
  auto groups = ctx.store->list_groups(ctx.who->viewer);
  if (!groups) return groups.err();
  json::array items;
  for (const auto& g : *groups) items.push_back(group_json(g));
  return json_response(200, json::object{{"items", std::move(items)}});
}

result<http_response> app::create_group(request_context& ctx) {
  auto body = parse_json_body(ctx.req, create_group_rules);
  if (!body) return body.err();
  const auto kind = tenant::parse_group_kind(*get_string(*body, "kind"));
  if (!kind || *kind == tenant::group_kind::department)
    return error(errc::invalid_input, "invalid_field",
                 "field \"kind\" must be \"open\" or \"closed\"");
  tenant::group_draft d;
  d.name = *get_string(*body, "name");
  d.description = get_string(*body, "description").value_or("");
  d.kind = *kind;
  auto g = ctx.store->create_group(ctx.who->viewer, d);
  if (!g) return g.err();
  auto res = json_response(201, group_json(*g));
  res.set_header("Location", ctx.addr.base_path + "/api/v1/groups/" + std::to_string(g->id));
  return res;
}

result<http_response> app::get_group(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto g = ctx.store->get_group(ctx.who->viewer, *id);
  if (!g) return g.err();
  auto o = group_json(*g);
  o["member_count"] = g->member_count;
  return json_response(200, o);
}

result<http_response> app::join_group(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto g = ctx.store->join_group(ctx.who->viewer, *id);
  if (!g) return g.err();
  return json_response(200, group_json(*g));
}

result<http_response> app::leave_group(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  if (auto r = ctx.store->leave_group(ctx.who->viewer, *id); !r) return r.err();
  return no_content();
}

result<http_response> app::invite_to_group(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, invite_rules);
  if (!body) return body.err();
  const auto user_id = get_int(*body, "user_id");
  const auto email = get_string(*body, "email");
  if (!user_id && !email)
    return error(errc::invalid_input, "missing_field", "give \"user_id\" or \"email\"");
  if (auto r = ctx.store->invite_to_group(ctx.who->viewer, *id, user_id, opt_view(email)); !r)
    return r.err();
  return no_content();
}

result<http_response> app::list_group_members(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto members = ctx.store->list_group_members(ctx.who->viewer, *id);
  if (!members) return members.err();
  json::array items;
  for (const auto& m : *members)
    items.push_back(
        json::object{{"id", m.user_id}, {"name", m.name}, {"email", m.email}, {"admin", m.admin}});
  return json_response(200, json::object{{"items", std::move(items)}});
}

result<http_response> app::add_group_admin(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, user_id_rules);
  if (!body) return body.err();
  if (auto r = ctx.store->add_group_admin(ctx.who->viewer, *id, *get_int(*body, "user_id")); !r)
    return r.err();
  return no_content();
}

namespace {
result<tenant::subscription> subscription_from(const http_request& req) {
  auto body = parse_json_body(req, subscription_rules);
  if (!body) return body.err();
  auto s = tenant::parse_subscription(*get_string(*body, "state"));
  if (!s)
    return error(errc::invalid_input, "invalid_field",
                 "field \"state\" must be \"follow\", \"mute\" or \"none\"");
  return *s;
}
}  // namespace

result<http_response> app::set_group_subscription(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto s = subscription_from(ctx.req);
  if (!s) return s.err();
  if (auto r = ctx.store->set_group_subscription(ctx.who->viewer, *id, *s); !r) return r.err();
  return json_response(200, json::object{{"state", tenant::to_string(*s)}});
}

// ---- Posts -------------------------------------------------------------------------------------

result<http_response> app::list_group_posts(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto limit = parse_limit(param(ctx.query, "limit"));
  if (!limit) return limit.err();
  auto cursor = cursor_param(ctx);
  if (!cursor) return cursor.err();
  auto page = ctx.store->list_group_posts(ctx.who->viewer, *id, *limit, opt_view(*cursor));
  if (!page) return page.err();
  return json_response(200, page_json(*page));
}

result<http_response> app::create_post(request_context& ctx) {
  auto id = path_id(ctx, "group");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, post_rules);
  if (!body) return body.err();
  auto p = ctx.store->create_post(ctx.who->viewer, *id, draft_from(*body));
  if (!p) return p.err();
  auto res = json_response(201, post_json(*p));
  res.set_header("Location", ctx.addr.base_path + "/api/v1/posts/" + std::to_string(p->id));
  return res;
}

result<http_response> app::get_post(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto p = ctx.store->get_post(ctx.who->viewer, *id);
  if (!p) return p.err();
  return json_response(200, post_json(*p));
}

result<http_response> app::update_post(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, post_rules);
  if (!body) return body.err();
  auto p = ctx.store->update_post(ctx.who->viewer, *id, draft_from(*body));
  if (!p) return p.err();
  return json_response(200, post_json(*p));
}

result<http_response> app::delete_post(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  if (auto r = ctx.store->delete_post(ctx.who->viewer, *id); !r) return r.err();
  return no_content();
}

result<http_response> app::list_comments(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto items = ctx.store->list_comments(ctx.who->viewer, *id);
  if (!items) return items.err();
  json::array out;
  for (const auto& c : *items) out.push_back(post_json(c));
  return json_response(200, json::object{{"items", std::move(out)}});
}

result<http_response> app::create_comment(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, post_rules);
  if (!body) return body.err();
  auto c = ctx.store->create_comment(ctx.who->viewer, *id, draft_from(*body));
  if (!c) return c.err();
  return json_response(201, post_json(*c));
}

result<http_response> app::like_post(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto p = ctx.store->set_like(ctx.who->viewer, *id, true);
  if (!p) return p.err();
  return json_response(200, post_json(*p));
}

result<http_response> app::unlike_post(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto p = ctx.store->set_like(ctx.who->viewer, *id, false);
  if (!p) return p.err();
  return json_response(200, post_json(*p));
}

result<http_response> app::set_post_subscription(request_context& ctx) {
  auto id = path_id(ctx, "post");
  if (!id) return id.err();
  auto s = subscription_from(ctx.req);
  if (!s) return s.err();
  if (auto r = ctx.store->set_post_subscription(ctx.who->viewer, *id, *s); !r) return r.err();
  return json_response(200, json::object{{"state", tenant::to_string(*s)}});
}

result<http_response> app::feed(request_context& ctx) {
  auto limit = parse_limit(param(ctx.query, "limit"));
  if (!limit) return limit.err();
  auto cursor = cursor_param(ctx);
  if (!cursor) return cursor.err();
  auto page = ctx.store->feed(ctx.who->viewer, *limit, opt_view(*cursor));
  if (!page) return page.err();
  return json_response(200, page_json(*page));
}

// ---- Notifications -----------------------------------------------------------------------------

result<http_response> app::list_notifications(request_context& ctx) {
  auto limit = parse_limit(param(ctx.query, "limit"));
  if (!limit) return limit.err();
  auto list = ctx.store->list_notifications(ctx.who->viewer, *limit);
  if (!list) return list.err();
  json::array items;
  for (const auto& n : list->items) {
    json::object o;
    o["kind"] = tenant::to_string(n.kind);
    o["thread_id"] = n.thread_id;
    if (n.group_id)
      o["group"] = json::object{{"id", *n.group_id}, {"name", n.group_name}};
    else
      o["group"] = nullptr;
    o["excerpt"] = n.excerpt;
    o["count"] = n.count;
    o["unread"] = n.unread;
    json::array actors;
    for (const auto& a : n.actors) actors.emplace_back(a);
    o["actors"] = std::move(actors);
    o["latest_at"] = to_rfc3339(n.latest_at_ms);
    o["text"] = n.text;
    items.push_back(std::move(o));
  }
  return json_response(
      200, json::object{{"items", std::move(items)}, {"unread_count", list->unread_count}});
}

result<http_response> app::mark_notifications_read(request_context& ctx) {
  std::optional<std::int64_t> thread;
  if (!ctx.req.body.empty()) {
    auto body = parse_json_body(ctx.req, read_rules);
    if (!body) return body.err();
    thread = get_int(*body, "thread_id");
  }
  if (auto r = ctx.store->mark_notifications_read(ctx.who->viewer, thread); !r) return r.err();
  return no_content();
}

result<http_response> app::get_notification_prefs(request_context& ctx) {
  auto p = ctx.store->get_notification_prefs(ctx.who->viewer);
  if (!p) return p.err();
  return json_response(200, prefs_json(*p));
}

result<http_response> app::set_notification_prefs(request_context& ctx) {
  auto body = parse_json_body(ctx.req, prefs_rules);
  if (!body) return body.err();
  tenant::notification_prefs_patch patch;
  patch.group_posts = get_bool(*body, "group_posts");
  patch.followed_comments = get_bool(*body, "followed_comments");
  patch.likes = get_bool(*body, "likes");
  patch.digest = get_bool(*body, "digest");
  auto p = ctx.store->set_notification_prefs(ctx.who->viewer, patch);
  if (!p) return p.err();
  return json_response(200, prefs_json(*p));
}

// ---- Ideas -------------------------------------------------------------------------------------

result<http_response> app::list_ideas(request_context& ctx) {
  auto limit = parse_limit(param(ctx.query, "limit"));
  if (!limit) return limit.err();
  std::optional<std::int64_t> group_id;
  if (auto g = param(ctx.query, "group_id")) {
    group_id = parse_id(*g);
    if (!group_id) return no_such("group");
  }
  auto sort = tenant::idea_sort::top;
  if (auto s = param(ctx.query, "sort")) {
    if (*s == "new")
      sort = tenant::idea_sort::newest;
    else if (*s != "top")
      return error(errc::invalid_input, "invalid_parameter", "sort must be \"top\" or \"new\"");
  }
  std::optional<tenant::idea_status> status;
  if (auto s = param(ctx.query, "status")) {
    status = tenant::parse_idea_status(*s);
    if (!status)
      return error(errc::invalid_input, "invalid_parameter",
                   "status must be new, under_review, planned, done or declined");
  }
  auto ideas = ctx.store->list_ideas(ctx.who->viewer, group_id, sort, status, *limit);
  if (!ideas) return ideas.err();
  json::array items;
  for (const auto& i : *ideas) items.push_back(idea_json(i));
  return json_response(200, json::object{{"items", std::move(items)}});
}

result<http_response> app::create_idea(request_context& ctx) {
  auto body = parse_json_body(ctx.req, idea_rules);
  if (!body) return body.err();
  tenant::idea_draft d;
  d.title = *get_string(*body, "title");
  d.body = get_string(*body, "body").value_or("");
  d.group_id = get_int(*body, "group_id");
  auto i = ctx.store->create_idea(ctx.who->viewer, d);
  if (!i) return i.err();
  return json_response(201, idea_json(*i));
}

result<http_response> app::get_idea(request_context& ctx) {
  auto id = path_id(ctx, "idea");
  if (!id) return id.err();
  auto i = ctx.store->get_idea(ctx.who->viewer, *id);
  if (!i) return i.err();
  return json_response(200, idea_json(*i));
}

result<http_response> app::vote_idea(request_context& ctx) {
  auto id = path_id(ctx, "idea");
  if (!id) return id.err();
  auto i = ctx.store->vote_idea(ctx.who->viewer, *id, true);
  if (!i) return i.err();
  return json_response(200, idea_json(*i));
}

result<http_response> app::unvote_idea(request_context& ctx) {
  auto id = path_id(ctx, "idea");
  if (!id) return id.err();
  auto i = ctx.store->vote_idea(ctx.who->viewer, *id, false);
  if (!i) return i.err();
  return json_response(200, idea_json(*i));
}

result<http_response> app::list_idea_comments(request_context& ctx) {
  auto id = path_id(ctx, "idea");
  if (!id) return id.err();
  auto items = ctx.store->list_idea_comments(ctx.who->viewer, *id);
  if (!items) return items.err();
  json::array out;
  for (const auto& c : *items)
    out.push_back(json::object{{"id", c.id},
                               {"author", person_json(c.author)},
                               {"body", c.body},
                               {"created_at", to_rfc3339(c.created_at_ms)}});
  return json_response(200, json::object{{"items", std::move(out)}});
}

result<http_response> app::comment_idea(request_context& ctx) {
  auto id = path_id(ctx, "idea");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, idea_comment_rules);
  if (!body) return body.err();
  auto c = ctx.store->comment_idea(ctx.who->viewer, *id, *get_string(*body, "body"));
  if (!c) return c.err();
  return json_response(201, json::object{{"id", c->id},
                                         {"author", person_json(c->author)},
                                         {"body", c->body},
                                         {"created_at", to_rfc3339(c->created_at_ms)}});
}

result<http_response> app::set_idea_status(request_context& ctx) {
  auto id = path_id(ctx, "idea");
  if (!id) return id.err();
  auto body = parse_json_body(ctx.req, idea_status_rules);
  if (!body) return body.err();
  auto status = tenant::parse_idea_status(*get_string(*body, "status"));
  if (!status)
    return error(errc::invalid_input, "invalid_field",
                 "field \"status\" must be new, under_review, planned, done or declined");
  const auto reply = get_string(*body, "reply");
  auto i = ctx.store->set_idea_status(ctx.who->viewer, *id, *status, opt_view(reply));
  if (!i) return i.err();
  return json_response(200, idea_json(*i));
}

}  // namespace samverka::gateway
