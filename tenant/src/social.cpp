// Social collaboration of one tenant: groups (department, open, closed), posts, comments, likes,
// follow/mute, the activity feed, notifications and the digest, and the idea box.
//
// Design notes (the schema's own notes are in schema_social.hpp):
//  1. Every read of a group, post, comment, like, notification or idea goes through
//     group_access(): a closed group the viewer is not in answers not_found, exactly like an id
//     that does not exist, so ids and counts of closed groups never leak.
//  2. The feed merges one bounded index walk per feed group (posts_group_feed) with the followed
//     threads' comments, then cuts the page: O(groups x page) rows read, never a sort of the
//     whole tenant. Road not taken: a per-user fan-out-on-write feed table (faster reads for
//     people in hundreds of groups, but 300 x members writes per post and a sync problem on
//     every membership change).
//  3. Notifications are written in the same transaction as the post or comment that causes them
//     (no lost or phantom notifications); visibility is re-checked when they are read.
#include <set>

#include "content2_impl.hpp"  // attachments on posts and comments
#include "samverka/tenant/social.hpp"
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

// ---- Enumerations ------------------------------------------------------------------------------

std::string_view to_string(group_kind k) noexcept {
  switch (k) {
    case group_kind::department:
      return "department";
    case group_kind::open:
      return "open";
    case group_kind::closed:
      return "closed";
  }
  return "open";
}

std::optional<group_kind> parse_group_kind(std::string_view s) noexcept {
  if (s == "department") return group_kind::department;
  if (s == "open") return group_kind::open;
  if (s == "closed") return group_kind::closed;
  return std::nullopt;
}

std::optional<subscription> parse_subscription(std::string_view s) noexcept {
  if (s == "none") return subscription::none;
  if (s == "follow") return subscription::follow;
  if (s == "mute") return subscription::mute;
  return std::nullopt;
}

std::string_view to_string(subscription s) noexcept {
  switch (s) {
    case subscription::none:
      return "none";
    case subscription::follow:
      return "follow";
    case subscription::mute:
      return "mute";
  }
  return "none";
}

std::string_view to_string(notification_kind k) noexcept {
  switch (k) {
    case notification_kind::mention:
      return "mention";
    case notification_kind::reply:
      return "reply";
    case notification_kind::comment:
      return "comment";
    case notification_kind::post:
      return "post";
    case notification_kind::like:
      return "like";
    case notification_kind::invite:
      return "invite";
    case notification_kind::idea:
      return "idea";
  }
  return "comment";
}

std::string_view to_string(idea_status s) noexcept {
  switch (s) {
    case idea_status::new_:
      return "new";
    case idea_status::under_review:
      return "under_review";
    case idea_status::planned:
      return "planned";
    case idea_status::done:
      return "done";
    case idea_status::declined:
      return "declined";
  }
  return "new";
}

std::optional<idea_status> parse_idea_status(std::string_view s) noexcept {
  for (auto v : {idea_status::new_, idea_status::under_review, idea_status::planned,
                 idea_status::done, idea_status::declined})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

namespace {

namespace sl = social_limits;

constexpr std::int64_t target_group = 1;
constexpr std::int64_t target_thread = 2;

error no_group() {
  return error(errc::not_found, "unknown_group", "no such group");
}
error no_post() {
  return error(errc::not_found, "unknown_post", "no such post or comment");
}
error no_idea() {
  return error(errc::not_found, "unknown_idea", "no such idea");
}

bool contains(const std::vector<std::int64_t>& v, std::int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// ---- Groups and access -------------------------------------------------------------------------

struct group_row {
  group g;
  bool found = false;
};

// What the viewer may do with a group (design note 1).
struct access {
  group g;
  bool readable = false;
  bool invited = false;
};

std::optional<access> group_access(db::connection& c, const viewer& who, std::int64_t id) {
  auto& st = c.cached(
      "SELECT g.id, g.name, g.description, g.kind, g.unit_id, g.created_at, m.role, s.state"
      " FROM social_groups g"
      " LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = ?2"
      " LEFT JOIN subscriptions s ON s.user_id = ?2 AND s.target_kind = 1 AND s.target_id = g.id"
      " WHERE g.id = ?1 AND g.deleted = 0");
  st.bind_all(id, who.user_id);
  if (!st.step()) return std::nullopt;
  access a;
  a.g.id = st.int64(0);
  a.g.name = st.text(1);
  a.g.description = st.text(2);
  a.g.kind = static_cast<group_kind>(st.int64(3));
  a.g.unit_id = st.opt_int64(4);
  a.g.created_at_ms = st.int64(5);
  const auto role = st.opt_int64(6);
  const auto state = st.opt_int64(7);
  st.reset();
  if (a.g.kind == group_kind::department) {
    a.g.member = a.g.unit_id && contains(who.reach, *a.g.unit_id);
    a.g.admin = has(who.roles, role::admin);
  } else {
    a.g.member = role.has_value();
    a.g.admin = role.value_or(0) == 1;
  }
  a.g.sub = !state ? subscription::none : *state > 0 ? subscription::follow : subscription::mute;
  a.readable = a.g.kind != group_kind::closed || a.g.member;
  if (!a.readable) {
    auto& inv = c.cached("SELECT 1 FROM group_invites WHERE group_id = ?1 AND user_id = ?2");
    inv.bind_all(id, who.user_id);
    a.invited = inv.step();
    inv.reset();
  }
  return a;
}

// The group if the viewer can read it, else not_found (design note 1).
result<access> readable_group(db::connection& c, const viewer& who, std::int64_t id) {
  auto a = group_access(c, who, id);
  if (!a || !a->readable) return no_group();
  return std::move(*a);
}

std::int64_t member_count(db::connection& c, const group& g) {
  if (g.kind == group_kind::department) {
    auto& st = c.cached(
        "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT u.id FROM units u JOIN sub"
        "  ON u.parent_id = sub.id)"
        " SELECT COUNT(DISTINCT uu.user_id) FROM user_units uu JOIN users u ON u.id = uu.user_id"
        " WHERE uu.unit_id IN sub AND u.active = 1");
    st.bind(1, g.unit_id.value_or(0));
    st.step();
    return st.int64(0);
  }
  auto& st = c.cached("SELECT COUNT(*) FROM group_members WHERE group_id = ?1");
  st.bind(1, g.id);
  st.step();
  return st.int64(0);
}

// Whether person `user_id` (not necessarily the viewer) can read group `g`.
bool user_can_read(db::connection& c, const group& g, std::int64_t user_id) {
  if (g.kind != group_kind::closed) return true;
  auto& st = c.cached("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2");
  st.bind_all(g.id, user_id);
  return st.step();
}

void set_subscription(db::connection& c, std::int64_t user_id, std::int64_t kind,
                      std::int64_t target, subscription s) {
  if (s == subscription::none) {
    c.cached("DELETE FROM subscriptions WHERE user_id = ?1 AND target_kind = ?2 AND target_id = ?3")
        .bind_all(user_id, kind, target)
        .run();
    return;
  }
  c.cached(
       "INSERT INTO subscriptions(user_id, target_kind, target_id, state) VALUES (?1, ?2, ?3, ?4)"
       " ON CONFLICT(user_id, target_kind, target_id) DO UPDATE SET state = excluded.state")
      .bind_all(user_id, kind, target,
                static_cast<std::int64_t>(s == subscription::follow ? 1 : -1))
      .run();
}

// ---- Posts -------------------------------------------------------------------------------------

#define SAMVERKA_POST_COLUMNS                                                         \
  "p.id, p.group_id, p.thread_id, p.is_comment, p.author_id, p.author_name, p.body, " \
  "p.created_at, p.updated_at, p.like_count, p.comment_count, p.attachments"

post read_post_row(const db::statement& st) {
  post p;
  p.id = st.int64(0);
  p.group_id = st.int64(1);
  p.thread_id = st.int64(2);
  p.is_comment = st.int64(3) != 0;
  p.author.id = st.opt_int64(4).value_or(0);
  p.author.name = st.text(5);
  p.body = st.text(6);
  p.created_at_ms = st.int64(7);
  p.updated_at_ms = st.int64(8);
  p.like_count = st.int64(9);
  p.comment_count = st.int64(10);
  p.attachments = parse_id_list(st.text(11));  // content2: documents attached
  return p;
}

std::optional<post> load_post(db::connection& c, std::int64_t id) {
  auto& st =
      c.cached("SELECT " SAMVERKA_POST_COLUMNS " FROM posts p WHERE p.id = ?1 AND p.deleted = 0");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  auto p = read_post_row(st);
  st.reset();
  return p;
}

// Fills liked, mentions, group names and can_edit of a page in a few queries.
void decorate(db::connection& c, const viewer& who, std::vector<post>& items,
              const std::map<std::int64_t, access>& groups) {
  if (items.empty()) return;
  std::vector<std::int64_t> ids;
  std::unordered_map<std::int64_t, post*> by_id;
  for (auto& p : items) {
    ids.push_back(p.id);
    by_id[p.id] = &p;
    if (auto it = groups.find(p.group_id); it != groups.end()) {
      p.group_name = it->second.g.name;
      p.can_edit = p.author.id == who.user_id || it->second.g.admin;
    } else {
      p.can_edit = p.author.id == who.user_id;
    }
  }
  const auto list = json_ids(ids);
  auto& lk = c.cached(
      "SELECT post_id FROM likes WHERE user_id = ?1 AND post_id IN (SELECT value FROM "
      "json_each(?2))");
  lk.bind_all(who.user_id, list);
  while (lk.step()) by_id.at(lk.int64(0))->liked = true;
  auto& mn = c.cached(
      "SELECT pm.post_id, u.id, u.name FROM post_mentions pm JOIN users u ON u.id = pm.user_id"
      " WHERE pm.post_id IN (SELECT value FROM json_each(?1)) ORDER BY pm.post_id, u.name");
  mn.bind(1, list);
  while (mn.step()) by_id.at(mn.int64(0))->mentions.push_back(person_ref{mn.int64(1), mn.text(2)});
}

// A post or comment body: sanitised and bounded.
result<std::string> prepare_body(std::string_view untrusted) {
  if (trim(html_to_text(untrusted)).empty() && trim(untrusted).empty())
    return error(errc::invalid_input, "body_required", "body must not be empty");
  std::string body = sanitize_html(untrusted);
  if (trim(body).empty())
    return error(errc::invalid_input, "body_required", "body has no allowed content");
  if (body.size() > sl::max_post_body)
    return error(
        errc::too_large, "body_too_large",
        "the body is larger than " + std::to_string(sl::max_post_body) + " bytes after sanitising");
  return body;
}

// "@anna@eksjo.se" in the text of `html`: the e-mail addresses mentioned.
std::vector<std::string> text_mentions(std::string_view html) {
  const std::string text = html_to_text(html);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@' || (i > 0 && !std::isspace(static_cast<unsigned char>(text[i - 1])) &&
                           text[i - 1] != '(' && text[i - 1] != '>'))
      continue;
    std::size_t j = i + 1;
    while (j < text.size()) {
      const unsigned char ch = text[j];
      if (std::isalnum(ch) || ch == '.' || ch == '_' || ch == '%' || ch == '+' || ch == '-' ||
          ch == '@')
        ++j;
      else
        break;
    }
    std::string candidate = ascii_lower(text.substr(i + 1, j - i - 1));
    while (!candidate.empty() && (candidate.back() == '.' || candidate.back() == '-'))
      candidate.pop_back();
    if (valid_email(candidate)) out.push_back(std::move(candidate));
    i = j - 1;
  }
  return out;
}

// Ids of the people mentioned by `d` (explicitly or in the text). An explicit mention of nobody
// in this tenant is invalid_input; an "@address" in the text that matches no one is just text.
result<std::vector<std::int64_t>> resolve_mentions(db::connection& c, const post_draft& d,
                                                   std::string_view body) {
  std::set<std::int64_t> ids;
  auto& by_id = c.cached("SELECT id FROM users WHERE id = ?1 AND active = 1");
  auto& by_email = c.cached("SELECT id FROM users WHERE email = ?1 AND active = 1");
  for (const auto& m : d.mentions) {
    const auto t = trim(m);
    std::optional<std::int64_t> found;
    if (auto n = parse_nonnegative(t)) {
      by_id.reset();
      by_id.bind(1, *n);
      if (by_id.step()) found = by_id.int64(0);
      by_id.reset();
    } else {
      by_email.reset();
      by_email.bind(1, ascii_lower(t));
      if (by_email.step()) found = by_email.int64(0);
      by_email.reset();
    }
    if (!found)
      return error(errc::invalid_input, "unknown_mention",
                   "no colleague '" + std::string(t) + "' to mention");
    ids.insert(*found);
  }
  for (const auto& e : text_mentions(body)) {
    by_email.reset();
    by_email.bind(1, e);
    if (by_email.step()) ids.insert(by_email.int64(0));
    by_email.reset();
  }
  if (ids.size() > sl::max_mentions)
    return error(errc::invalid_input, "too_many_mentions",
                 "a post may mention at most " + std::to_string(sl::max_mentions) + " people");
  return std::vector<std::int64_t>(ids.begin(), ids.end());
}

notification_prefs load_prefs(db::connection& c, std::int64_t user_id) {
  notification_prefs p;
  auto& st = c.cached(
      "SELECT group_posts, followed_comments, likes, digest FROM notification_prefs"
      " WHERE user_id = ?1");
  st.bind(1, user_id);
  if (st.step()) {
    p.group_posts = st.int64(0) != 0;
    p.followed_comments = st.int64(1) != 0;
    p.likes = st.int64(2) != 0;
    p.digest = st.int64(3) != 0;
  }
  st.reset();
  return p;
}

bool muted(db::connection& c, std::int64_t user_id, std::int64_t kind, std::int64_t target) {
  auto& st = c.cached(
      "SELECT 1 FROM subscriptions WHERE user_id = ?1 AND target_kind = ?2 AND target_id = ?3"
      " AND state = -1");
  st.bind_all(user_id, kind, target);
  const bool m = st.step();
  st.reset();
  return m;
}

void notify(db::connection& c, std::int64_t user_id, notification_kind kind,
            std::optional<std::int64_t> group_id, std::int64_t thread_id, std::int64_t item_id,
            std::string_view actor, std::int64_t at) {
  c.cached(
       "INSERT INTO notifications(user_id, kind, group_id, thread_id, item_id, actor_name,"
       " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .bind_all(user_id, static_cast<std::int64_t>(kind), group_id, thread_id, item_id, actor, at)
      .run();
}

void write_mentions(db::connection& c, std::int64_t post_id, const std::vector<std::int64_t>& ids) {
  c.cached("DELETE FROM post_mentions WHERE post_id = ?1").bind(1, post_id).run();
  auto& ins = c.cached("INSERT INTO post_mentions(post_id, user_id) VALUES (?1, ?2)");
  for (auto id : ids) {
    ins.reset();
    ins.bind_all(post_id, id).run();
  }
}

// Mentioned people who can read the group (the rest could not open the post anyway).
std::vector<std::int64_t> readable_mentions(db::connection& c, const group& g,
                                            const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> out;
  for (auto id : ids)
    if (user_can_read(c, g, id)) out.push_back(id);
  return out;
}

result<std::int64_t> check_created_at(const post_draft& d) {
  if (d.created_at_ms && *d.created_at_ms < 0)
    return error(errc::invalid_input, "invalid_created_at", "creation time before 1970");
  return d.created_at_ms.value_or(now_ms());
}

std::string excerpt_of(std::string_view html) {
  std::string text(trim(html_to_text(html)));
  for (auto& ch : text)
    if (ch == '\n' || ch == '\t') ch = ' ';
  // Cut at a code point boundary.
  std::size_t chars = 0, i = 0;
  while (i < text.size() && chars < sl::excerpt_chars) {
    const auto b = static_cast<unsigned char>(text[i]);
    i += b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : 4;
    ++chars;
  }
  if (i < text.size()) return text.substr(0, i) + "…";
  return text;
}

std::optional<std::int64_t> parse_page_cursor(std::optional<std::string_view> cursor,
                                              std::int64_t& at, std::int64_t& id) {
  at = id = std::numeric_limits<std::int64_t>::max();
  if (!cursor) return 0;
  auto parsed = parse_cursor(*cursor);
  if (!parsed) return std::nullopt;
  std::tie(at, id) = *parsed;
  return 0;
}

std::size_t clamp_page(std::size_t limit) {
  if (limit == 0) limit = limits::default_page;
  return std::clamp<std::size_t>(limit, 1, limits::max_page);
}

std::string post_cursor(const post& p) {
  return std::to_string(p.created_at_ms) + "." + std::to_string(p.id);
}

bool newer(const post& a, const post& b) {
  return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.id > b.id;
}

// ---- Notifications -----------------------------------------------------------------------------

// Visibility of a notification row `n` to its owner ?1 (design note 3 of schema_social.hpp).
#define SAMVERKA_NOTIFICATION_VISIBLE                                                       \
  " (n.group_id IS NULL OR EXISTS (SELECT 1 FROM social_groups g WHERE g.id = n.group_id"   \
  "   AND g.deleted = 0 AND (g.kind != 2"                                                   \
  "   OR EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = ?1)" \
  "   OR (n.kind = 6 AND EXISTS (SELECT 1 FROM group_invites i WHERE i.group_id = g.id"     \
  "       AND i.user_id = ?1)))))"                                                          \
  " AND (n.kind IN (6, 7) OR EXISTS (SELECT 1 FROM posts p WHERE p.id = n.thread_id"        \
  "   AND p.deleted = 0))"

std::string in_quotes(std::string_view s) {
  return "”" + std::string(s) + "”";
}

std::string summary_line(const notification_group& n) {
  const std::int64_t shown = n.unread > 0 ? n.unread : n.count;
  const std::string who = n.actors.empty() ? std::string("Någon") : n.actors.front();
  const std::string many = std::to_string(shown);
  switch (n.kind) {
    case notification_kind::mention:
      return shown == 1 ? who + " nämnde dig i " + in_quotes(n.excerpt)
                        : many + " nya omnämnanden i " + in_quotes(n.excerpt);
    case notification_kind::reply:
      return shown == 1 ? who + " kommenterade ditt inlägg " + in_quotes(n.excerpt)
                        : many + " nya kommentarer på ditt inlägg " + in_quotes(n.excerpt);
    case notification_kind::comment:
      return shown == 1 ? who + " kommenterade " + in_quotes(n.excerpt)
                        : many + " nya kommentarer på " + in_quotes(n.excerpt);
    case notification_kind::post:
      return shown == 1 ? who + " skrev i " + n.group_name : many + " nya inlägg i " + n.group_name;
    case notification_kind::like:
      return shown == 1 ? who + " gillar " + in_quotes(n.excerpt)
                        : many + " gillar " + in_quotes(n.excerpt);
    case notification_kind::invite:
      return who + " bjöd in dig till gruppen " + n.group_name;
    case notification_kind::idea:
      return "Din idé " + in_quotes(n.excerpt) + " har fått ny status";
  }
  return {};
}

// Grouped notifications of `user_id`: all (newest first, `limit` groups), or for a digest only
// the unread, not yet mailed ones.
std::vector<notification_group> grouped(db::connection& c, std::int64_t user_id, std::size_t limit,
                                        bool for_digest) {
  auto& st = c.cached(
      for_digest ? "SELECT n.kind, n.thread_id, MAX(n.group_id), COUNT(*),"
                   " SUM(n.read = 0), MAX(n.created_at), MAX(n.id)"
                   " FROM notifications n WHERE n.user_id = ?1 AND n.read = 0"
                   " AND n.digested = 0 AND " SAMVERKA_NOTIFICATION_VISIBLE
                   " GROUP BY n.thread_id, n.kind ORDER BY MAX(n.id) DESC LIMIT ?2"
                 : "SELECT n.kind, n.thread_id, MAX(n.group_id), COUNT(*),"
                   " SUM(n.read = 0), MAX(n.created_at), MAX(n.id)"
                   " FROM notifications n WHERE n.user_id = ?1 AND " SAMVERKA_NOTIFICATION_VISIBLE
                   " GROUP BY n.thread_id, n.kind ORDER BY MAX(n.id) DESC LIMIT ?2");
  st.bind_all(user_id, static_cast<std::int64_t>(limit));
  std::vector<notification_group> out;
  while (st.step()) {
    notification_group n;
    n.kind = static_cast<notification_kind>(st.int64(0));
    n.thread_id = st.int64(1);
    n.group_id = st.opt_int64(2);
    n.count = st.int64(3);
    n.unread = st.int64(4);
    n.latest_at_ms = st.int64(5);
    n.latest_id = st.int64(6);
    out.push_back(std::move(n));
  }
  st.reset();
  auto& actors = c.cached(
      "SELECT actor_name FROM notifications WHERE user_id = ?1 AND thread_id = ?2 AND kind = ?3"
      " GROUP BY actor_name ORDER BY MAX(id) DESC LIMIT ?4");
  auto& gname = c.cached("SELECT name FROM social_groups WHERE id = ?1");
  auto& pbody = c.cached("SELECT body FROM posts WHERE id = ?1");
  auto& ititle = c.cached("SELECT title FROM ideas WHERE id = ?1");
  for (auto& n : out) {
    actors.reset();
    actors.bind_all(user_id, n.thread_id, static_cast<std::int64_t>(n.kind),
                    static_cast<std::int64_t>(sl::max_actors));
    while (actors.step()) n.actors.push_back(actors.text(0));
    actors.reset();
    if (n.group_id) {
      gname.reset();
      gname.bind(1, *n.group_id);
      if (gname.step()) n.group_name = gname.text(0);
      gname.reset();
    }
    if (n.kind == notification_kind::invite) {
      n.excerpt = n.group_name;
    } else if (n.kind == notification_kind::idea) {
      ititle.reset();
      ititle.bind(1, n.thread_id);
      if (ititle.step()) n.excerpt = ititle.text(0);
      ititle.reset();
    } else {
      pbody.reset();
      pbody.bind(1, n.thread_id);
      if (pbody.step()) n.excerpt = excerpt_of(pbody.text(0));
      pbody.reset();
    }
    n.text = summary_line(n);
  }
  return out;
}

// ---- Ideas -------------------------------------------------------------------------------------

#define SAMVERKA_IDEA_COLUMNS                                                          \
  "i.id, i.group_id, i.author_id, i.author_name, i.title, i.body, i.status, i.reply, " \
  "i.reply_by, i.votes, i.comment_count, i.created_at, i.updated_at"

idea read_idea_row(const db::statement& st) {
  idea i;
  i.id = st.int64(0);
  i.group_id = st.opt_int64(1);
  i.author.id = st.opt_int64(2).value_or(0);
  i.author.name = st.text(3);
  i.title = st.text(4);
  i.body = st.text(5);
  i.status = static_cast<idea_status>(st.int64(6));
  i.reply = st.text(7);
  i.reply_by = st.text(8);
  i.votes = st.int64(9);
  i.comment_count = st.int64(10);
  i.created_at_ms = st.int64(11);
  i.updated_at_ms = st.int64(12);
  return i;
}

// The idea if the viewer may read it (a group's ideas follow the group's visibility).
result<idea> readable_idea(db::connection& c, const viewer& who, std::int64_t id) {
  auto& st =
      c.cached("SELECT " SAMVERKA_IDEA_COLUMNS " FROM ideas i WHERE i.id = ?1 AND i.deleted = 0");
  st.bind(1, id);
  if (!st.step()) return no_idea();
  auto i = read_idea_row(st);
  st.reset();
  if (i.group_id && !readable_group(c, who, *i.group_id)) return no_idea();
  auto& v = c.cached("SELECT 1 FROM idea_votes WHERE idea_id = ?1 AND user_id = ?2");
  v.bind_all(id, who.user_id);
  i.voted = v.step();
  v.reset();
  return i;
}

}  // namespace

// ---- Groups ------------------------------------------------------------------------------------

result<std::vector<group>> store::list_groups(const viewer& who) {
  return p_->guarded("list groups", [&]() -> result<std::vector<group>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached(
        "SELECT g.id, g.name, g.description, g.kind, g.unit_id, g.created_at, m.role, s.state"
        " FROM social_groups g"
        " LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = ?1"
        " LEFT JOIN subscriptions s ON s.user_id = ?1 AND s.target_kind = 1 AND s.target_id = g.id"
        " WHERE g.deleted = 0 AND (g.kind != 2 OR m.user_id IS NOT NULL)"
        " ORDER BY g.name COLLATE NOCASE, g.id");
    st.bind(1, who.user_id);
    std::vector<group> out;
    while (st.step()) {
      group g;
      g.id = st.int64(0);
      g.name = st.text(1);
      g.description = st.text(2);
      g.kind = static_cast<group_kind>(st.int64(3));
      g.unit_id = st.opt_int64(4);
      g.created_at_ms = st.int64(5);
      const auto role = st.opt_int64(6);
      const auto state = st.opt_int64(7);
      if (g.kind == group_kind::department) {
        g.member = g.unit_id && contains(who.reach, *g.unit_id);
        g.admin = has(who.roles, role::admin);
      } else {
        g.member = role.has_value();
        g.admin = role.value_or(0) == 1;
      }
      g.sub = !state ? subscription::none : *state > 0 ? subscription::follow : subscription::mute;
      out.push_back(std::move(g));
    }
    return out;
  });
}

result<group> store::get_group(const viewer& who, std::int64_t id) {
  return p_->guarded("get group", [&]() -> result<group> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto a = group_access(*c, who, id);
    // An invitee may see the group they are invited to (its name), but not its posts.
    if (!a || !(a->readable || a->invited)) return no_group();
    a->g.member_count = member_count(*c, a->g);
    return std::move(a->g);
  });
}

result<group> store::create_group(const viewer& who, const group_draft& d) {
  if (d.kind == group_kind::department)
    return error(errc::invalid_input, "invalid_kind",
                 "department groups follow the org tree; create an open or closed group");
  auto name = plain_text(d.name, "name", sl::max_group_name, true, false);
  if (!name) return name.err();
  auto desc = plain_text(d.description, "description", sl::max_group_description, false, true);
  if (!desc) return desc.err();
  return p_->guarded("create group", [&]() -> result<group> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto now = now_ms();
    c->cached(
         "INSERT INTO social_groups(name, description, kind, created_by, created_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind_all(*name, *desc, static_cast<std::int64_t>(d.kind), who.user_id, now)
        .run();
    const auto id = c->last_insert_rowid();
    c->cached(
         "INSERT INTO group_members(user_id, group_id, role, joined_at) VALUES (?1, ?2, 1, ?3)")
        .bind_all(who.user_id, id, now)
        .run();
    auto a = group_access(*c, who, id);
    tx.commit();
    a->g.member_count = 1;
    return std::move(a->g);
  });
}

result<group> store::join_group(const viewer& who, std::int64_t id) {
  return p_->guarded("join group", [&]() -> result<group> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = group_access(*c, who, id);
    if (!a || !(a->readable || a->invited)) return no_group();
    if (a->g.kind == group_kind::department)
      return error(errc::unprocessable, "department_group",
                   "membership of a department group follows the org tree");
    if (!a->g.member) {
      c->cached(
           "INSERT INTO group_members(user_id, group_id, role, joined_at) VALUES (?1, ?2, 0, ?3)")
          .bind_all(who.user_id, id, now_ms())
          .run();
      c->cached("DELETE FROM group_invites WHERE group_id = ?1 AND user_id = ?2")
          .bind_all(id, who.user_id)
          .run();
    }
    auto after = group_access(*c, who, id);
    after->g.member_count = member_count(*c, after->g);
    tx.commit();
    return std::move(after->g);
  });
}

result<void> store::leave_group(const viewer& who, std::int64_t id) {
  return p_->guarded("leave group", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = readable_group(*c, who, id);
    if (!a) return a.err();
    if (a->g.kind == group_kind::department)
      return error(errc::unprocessable, "department_group",
                   "membership of a department group follows the org tree; mute it instead");
    if (!a->g.member) return error(errc::conflict, "not_a_member", "you are not in this group");
    if (a->g.admin) {
      auto& st = c->cached("SELECT SUM(role = 1), COUNT(*) FROM group_members WHERE group_id = ?1");
      st.bind(1, id);
      st.step();
      const auto admins = st.int64(0), members = st.int64(1);
      st.reset();
      if (admins == 1 && members > 1)
        return error(errc::conflict, "last_admin",
                     "make another member an admin before leaving the group");
    }
    c->cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")
        .bind_all(id, who.user_id)
        .run();
    // A closed group is gone for a former member: so are their follows of it and its threads.
    if (a->g.kind == group_kind::closed) {
      set_subscription(*c, who.user_id, target_group, id, subscription::none);
      c->cached(
           "DELETE FROM subscriptions WHERE user_id = ?1 AND target_kind = 2 AND target_id IN"
           " (SELECT id FROM posts WHERE group_id = ?2 AND is_comment = 0)")
          .bind_all(who.user_id, id)
          .run();
    }
    tx.commit();
    return {};
  });
}

result<void> store::invite_to_group(const viewer& who, std::int64_t id,
                                    std::optional<std::int64_t> user_id,
                                    std::optional<std::string_view> email) {
  if (!user_id && !email)
    return error(errc::invalid_input, "missing_field", "give user_id or email of the invitee");
  return p_->guarded("invite to group", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = readable_group(*c, who, id);
    if (!a) return a.err();
    if (a->g.kind == group_kind::department)
      return error(errc::unprocessable, "department_group",
                   "membership of a department group follows the org tree");
    if (!a->g.member)
      return error(errc::forbidden, "members_only", "only members may invite to a group");
    std::optional<std::int64_t> target;
    auto& st = c->cached("SELECT id FROM users WHERE (id = ?1 OR email = ?2) AND active = 1");
    st.bind_all(user_id.value_or(-1), ascii_lower(trim(email.value_or(""))));
    if (st.step()) target = st.int64(0);
    st.reset();
    if (!target)
      return error(errc::invalid_input, "unknown_user", "no such colleague in this municipality");
    if (user_can_read(*c, a->g, *target) && a->g.kind == group_kind::closed)
      return error(errc::conflict, "already_member", "that colleague is already a member");
    auto& m = c->cached("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2");
    m.bind_all(id, *target);
    const bool member = m.step();
    m.reset();
    if (member)
      return error(errc::conflict, "already_member", "that colleague is already a member");
    const auto now = now_ms();
    c->cached(
         "INSERT OR IGNORE INTO group_invites(group_id, user_id, invited_by, created_at)"
         " VALUES (?1, ?2, ?3, ?4)")
        .bind_all(id, *target, who.user_id, now)
        .run();
    notify(*c, *target, notification_kind::invite, id, id, id, who.name, now);
    tx.commit();
    return {};
  });
}

result<std::vector<group_member>> store::list_group_members(const viewer& who, std::int64_t id) {
  return p_->guarded("list group members", [&]() -> result<std::vector<group_member>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto a = readable_group(*c, who, id);
    if (!a) return a.err();
    std::vector<group_member> out;
    if (a->g.kind == group_kind::department) {
      auto& st = c->cached(
          "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT u.id FROM units u JOIN sub"
          "  ON u.parent_id = sub.id)"
          " SELECT DISTINCT u.id, u.name, u.email, (u.roles & 8) != 0 FROM user_units uu"
          " JOIN users u ON u.id = uu.user_id WHERE uu.unit_id IN sub AND u.active = 1"
          " ORDER BY u.name, u.id");
      st.bind(1, a->g.unit_id.value_or(0));
      while (st.step())
        out.push_back(group_member{st.int64(0), st.text(1), st.text(2), st.int64(3) != 0});
      return out;
    }
    auto& st = c->cached(
        "SELECT u.id, u.name, u.email, m.role = 1 FROM group_members m"
        " JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1 AND u.active = 1"
        " ORDER BY u.name, u.id");
    st.bind(1, id);
    while (st.step())
      out.push_back(group_member{st.int64(0), st.text(1), st.text(2), st.int64(3) != 0});
    return out;
  });
}

result<void> store::add_group_admin(const viewer& who, std::int64_t id, std::int64_t user_id) {
  return p_->guarded("add group admin", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = readable_group(*c, who, id);
    if (!a) return a.err();
    if (a->g.kind == group_kind::department)
      return error(errc::unprocessable, "department_group",
                   "the municipality's administrators administer department groups");
    if (!a->g.admin)
      return error(errc::forbidden, "group_admin_required", "only group admins may do this");
    c->cached("UPDATE group_members SET role = 1 WHERE group_id = ?1 AND user_id = ?2")
        .bind_all(id, user_id)
        .run();
    if (c->changes() == 0)
      return error(errc::invalid_input, "not_a_member", "that colleague is not in the group");
    tx.commit();
    return {};
  });
}

result<void> store::set_group_subscription(const viewer& who, std::int64_t id, subscription s) {
  return p_->guarded("group subscription", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = readable_group(*c, who, id);
    if (!a) return a.err();
    set_subscription(*c, who.user_id, target_group, id, s);
    tx.commit();
    return {};
  });
}

// ---- Posts and comments ------------------------------------------------------------------------

result<post_page> store::list_group_posts(const viewer& who, std::int64_t group_id,
                                          std::size_t limit,
                                          std::optional<std::string_view> cursor) {
  std::int64_t after_at = 0, after_id = 0;
  if (!parse_page_cursor(cursor, after_at, after_id))
    return error(errc::invalid_input, "invalid_cursor", "malformed cursor");
  limit = clamp_page(limit);
  return p_->guarded("list group posts", [&]() -> result<post_page> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto a = readable_group(*c, who, group_id);
    if (!a) return a.err();
    auto& st = c->cached(
        "SELECT " SAMVERKA_POST_COLUMNS
        " FROM posts p WHERE p.group_id = ?1 AND p.is_comment = 0 AND p.deleted = 0"
        " AND (p.created_at, p.id) < (?2, ?3) ORDER BY p.created_at DESC, p.id DESC LIMIT ?4");
    st.bind_all(group_id, after_at, after_id, static_cast<std::int64_t>(limit + 1));
    post_page page;
    while (st.step()) page.items.push_back(read_post_row(st));
    st.reset();
    if (page.items.size() > limit) {
      page.items.resize(limit);
      page.next_cursor = post_cursor(page.items.back());
    }
    std::map<std::int64_t, access> groups{{group_id, *a}};
    decorate(*c, who, page.items, groups);
    return page;
  });
}

result<post> store::create_post(const viewer& who, std::int64_t group_id, const post_draft& d) {
  auto body = prepare_body(d.body);
  if (!body) return body.err();
  auto at = check_created_at(d);
  if (!at) return at.err();
  if (d.mentions.size() > sl::max_mentions)
    return error(errc::invalid_input, "too_many_mentions", "too many mentions");
  return p_->guarded("create post", [&]() -> result<post> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = readable_group(*c, who, group_id);
    if (!a) return a.err();
    if (!a->g.member) return error(errc::forbidden, "members_only", "join the group to post in it");
    auto mentions = resolve_mentions(*c, d, *body);
    if (!mentions) return mentions.err();
    c->cached(
         "INSERT INTO posts(group_id, thread_id, is_comment, author_id, author_name, body,"
         " created_at, updated_at) VALUES (?1, 0, 0, ?2, ?3, ?4, ?5, ?5)")
        .bind_all(group_id, who.user_id, who.name, *body, *at)
        .run();
    const auto id = c->last_insert_rowid();
    c->cached("UPDATE posts SET thread_id = id WHERE id = ?1").bind(1, id).run();
    if (d.attachments)  // content2: documents the author may read, of this group or everyone's
      if (auto r = set_post_attachments(*c, who, id, group_id, *d.attachments); !r) return r.err();
    const auto notified = readable_mentions(*c, a->g, *mentions);
    write_mentions(*c, id, notified);
    std::set<std::int64_t> done{who.user_id};
    for (auto uid : notified)
      if (done.insert(uid).second)
        notify(*c, uid, notification_kind::mention, group_id, id, id, who.name, *at);
    // Group posts notify only those who asked for them (the feed shows them anyway).
    auto& fan = c->cached(
        "WITH RECURSIVE sub(id) AS (SELECT unit_id FROM social_groups WHERE id = ?1"
        "   AND unit_id IS NOT NULL UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = "
        "sub.id),"
        " audience(user_id) AS (SELECT user_id FROM user_units WHERE unit_id IN sub"
        "   UNION SELECT user_id FROM group_members WHERE group_id = ?1"
        "   UNION SELECT user_id FROM subscriptions WHERE target_kind = 1 AND target_id = ?1"
        "     AND state = 1)"
        " SELECT np.user_id FROM notification_prefs np JOIN users u ON u.id = np.user_id"
        " WHERE np.group_posts = 1 AND u.active = 1 AND np.user_id IN audience"
        " AND np.user_id NOT IN (SELECT user_id FROM subscriptions WHERE target_kind = 1"
        "   AND target_id = ?1 AND state = -1)");
    fan.bind(1, group_id);
    std::vector<std::int64_t> fans;
    while (fan.step()) fans.push_back(fan.int64(0));
    fan.reset();
    for (auto uid : fans)
      if (user_can_read(*c, a->g, uid) && done.insert(uid).second)
        notify(*c, uid, notification_kind::post, group_id, id, id, who.name, *at);
    // The author follows their own thread (replies notify them anyway).
    c->cached(
         "INSERT OR IGNORE INTO subscriptions(user_id, target_kind, target_id, state)"
         " VALUES (?1, 2, ?2, 1)")
        .bind_all(who.user_id, id)
        .run();
    auto p = load_post(*c, id);
    std::vector<post> one{std::move(*p)};
    decorate(*c, who, one, {{group_id, *a}});
    tx.commit();
    return std::move(one.front());
  });
}

result<post> store::get_post(const viewer& who, std::int64_t id) {
  return p_->guarded("get post", [&]() -> result<post> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto p = load_post(*c, id);
    if (!p) return no_post();
    auto a = readable_group(*c, who, p->group_id);
    if (!a) return no_post();
    std::vector<post> one{std::move(*p)};
    decorate(*c, who, one, {{a->g.id, *a}});
    return std::move(one.front());
  });
}

result<std::vector<post>> store::list_comments(const viewer& who, std::int64_t post_id) {
  return p_->guarded("list comments", [&]() -> result<std::vector<post>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto p = load_post(*c, post_id);
    if (!p || p->is_comment) return no_post();
    auto a = readable_group(*c, who, p->group_id);
    if (!a) return no_post();
    auto& st =
        c->cached("SELECT " SAMVERKA_POST_COLUMNS
                  " FROM posts p WHERE p.thread_id = ?1 AND p.is_comment = 1 AND p.deleted = 0"
                  " ORDER BY p.created_at, p.id");
    st.bind(1, post_id);
    std::vector<post> out;
    while (st.step()) out.push_back(read_post_row(st));
    st.reset();
    decorate(*c, who, out, {{a->g.id, *a}});
    return out;
  });
}

result<post> store::create_comment(const viewer& who, std::int64_t post_id, const post_draft& d) {
  auto body = prepare_body(d.body);
  if (!body) return body.err();
  auto at = check_created_at(d);
  if (!at) return at.err();
  if (d.mentions.size() > sl::max_mentions)
    return error(errc::invalid_input, "too_many_mentions", "too many mentions");
  return p_->guarded("create comment", [&]() -> result<post> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto parent = load_post(*c, post_id);
    if (!parent || parent->is_comment) return no_post();
    auto a = readable_group(*c, who, parent->group_id);
    if (!a) return no_post();
    auto mentions = resolve_mentions(*c, d, *body);
    if (!mentions) return mentions.err();
    c->cached(
         "INSERT INTO posts(group_id, thread_id, is_comment, author_id, author_name, body,"
         " created_at, updated_at) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?6)")
        .bind_all(parent->group_id, post_id, who.user_id, who.name, *body, *at)
        .run();
    const auto id = c->last_insert_rowid();
    if (d.attachments)  // content2
      if (auto r = set_post_attachments(*c, who, id, parent->group_id, *d.attachments); !r)
        return r.err();
    c->cached("UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?1")
        .bind(1, post_id)
        .run();
    const auto notified = readable_mentions(*c, a->g, *mentions);
    write_mentions(*c, id, notified);
    std::set<std::int64_t> done{who.user_id};
    for (auto uid : notified)
      if (done.insert(uid).second)
        notify(*c, uid, notification_kind::mention, a->g.id, post_id, id, who.name, *at);
    // Replies always reach the post's author, if they can still read it.
    if (parent->author.id > 0 && user_can_read(*c, a->g, parent->author.id) &&
        done.insert(parent->author.id).second)
      notify(*c, parent->author.id, notification_kind::reply, a->g.id, post_id, id, who.name, *at);
    // Followers of the thread, per their preferences, unless they muted the thread or group.
    auto& fol = c->cached(
        "SELECT s.user_id FROM subscriptions s JOIN users u ON u.id = s.user_id"
        " LEFT JOIN notification_prefs np ON np.user_id = s.user_id"
        " WHERE s.target_kind = 2 AND s.target_id = ?1 AND s.state = 1 AND u.active = 1"
        " AND COALESCE(np.followed_comments, 1) = 1"
        " AND s.user_id NOT IN (SELECT user_id FROM subscriptions WHERE target_kind = 1"
        "   AND target_id = ?2 AND state = -1)");
    fol.bind_all(post_id, a->g.id);
    std::vector<std::int64_t> followers;
    while (fol.step()) followers.push_back(fol.int64(0));
    fol.reset();
    for (auto uid : followers)
      if (user_can_read(*c, a->g, uid) && done.insert(uid).second)
        notify(*c, uid, notification_kind::comment, a->g.id, post_id, id, who.name, *at);
    // Commenting follows the thread (a mute stays a mute).
    c->cached(
         "INSERT OR IGNORE INTO subscriptions(user_id, target_kind, target_id, state)"
         " VALUES (?1, 2, ?2, 1)")
        .bind_all(who.user_id, post_id)
        .run();
    auto p = load_post(*c, id);
    std::vector<post> one{std::move(*p)};
    decorate(*c, who, one, {{a->g.id, *a}});
    tx.commit();
    return std::move(one.front());
  });
}

result<post> store::update_post(const viewer& who, std::int64_t id, const post_draft& d) {
  auto body = prepare_body(d.body);
  if (!body) return body.err();
  return p_->guarded("update post", [&]() -> result<post> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto p = load_post(*c, id);
    if (!p) return no_post();
    auto a = readable_group(*c, who, p->group_id);
    if (!a) return no_post();
    if (p->author.id != who.user_id && !a->g.admin)
      return error(errc::forbidden, "author_or_admin",
                   "only the author or a group admin may change this");
    auto mentions = resolve_mentions(*c, d, *body);
    if (!mentions) return mentions.err();
    c->cached("UPDATE posts SET body = ?1, updated_at = ?2 WHERE id = ?3")
        .bind_all(*body, std::max(now_ms(), p->created_at_ms), id)
        .run();
    write_mentions(*c, id, readable_mentions(*c, a->g, *mentions));
    if (d.attachments)  // content2
      if (auto r = set_post_attachments(*c, who, id, p->group_id, *d.attachments); !r)
        return r.err();
    auto after = load_post(*c, id);
    std::vector<post> one{std::move(*after)};
    decorate(*c, who, one, {{a->g.id, *a}});
    tx.commit();
    return std::move(one.front());
  });
}

result<void> store::delete_post(const viewer& who, std::int64_t id) {
  return p_->guarded("delete post", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto p = load_post(*c, id);
    if (!p) return no_post();
    auto a = readable_group(*c, who, p->group_id);
    if (!a) return no_post();
    if (p->author.id != who.user_id && !a->g.admin)
      return error(errc::forbidden, "author_or_admin",
                   "only the author or a group admin may delete this");
    const auto now = now_ms();
    if (p->is_comment) {
      c->cached("UPDATE posts SET deleted = 1, updated_at = ?1 WHERE id = ?2")
          .bind_all(now, id)
          .run();
      c->cached("UPDATE posts SET comment_count = comment_count - 1 WHERE id = ?1")
          .bind(1, p->thread_id)
          .run();
    } else {
      c->cached("UPDATE posts SET deleted = 1, updated_at = ?1 WHERE thread_id = ?2")
          .bind_all(now, id)
          .run();
    }
    tx.commit();
    return {};
  });
}

result<post> store::set_like(const viewer& who, std::int64_t id, bool liked) {
  return p_->guarded("like", [&]() -> result<post> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto p = load_post(*c, id);
    if (!p) return no_post();
    auto a = readable_group(*c, who, p->group_id);
    if (!a) return no_post();
    if (liked) {
      c->cached("INSERT OR IGNORE INTO likes(post_id, user_id) VALUES (?1, ?2)")
          .bind_all(id, who.user_id)
          .run();
      if (c->changes() > 0) {
        c->cached("UPDATE posts SET like_count = like_count + 1 WHERE id = ?1").bind(1, id).run();
        if (p->author.id > 0 && p->author.id != who.user_id && load_prefs(*c, p->author.id).likes &&
            !muted(*c, p->author.id, target_thread, p->thread_id) &&
            user_can_read(*c, a->g, p->author.id))
          notify(*c, p->author.id, notification_kind::like, a->g.id, p->thread_id, id, who.name,
                 now_ms());
      }
    } else {
      c->cached("DELETE FROM likes WHERE post_id = ?1 AND user_id = ?2")
          .bind_all(id, who.user_id)
          .run();
      if (c->changes() > 0)
        c->cached("UPDATE posts SET like_count = like_count - 1 WHERE id = ?1").bind(1, id).run();
    }
    auto after = load_post(*c, id);
    std::vector<post> one{std::move(*after)};
    decorate(*c, who, one, {{a->g.id, *a}});
    tx.commit();
    return std::move(one.front());
  });
}

result<void> store::set_post_subscription(const viewer& who, std::int64_t post_id, subscription s) {
  return p_->guarded("post subscription", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto p = load_post(*c, post_id);
    if (!p || p->is_comment) return no_post();
    if (!readable_group(*c, who, p->group_id)) return no_post();
    set_subscription(*c, who.user_id, target_thread, post_id, s);
    tx.commit();
    return {};
  });
}

// ---- Feed --------------------------------------------------------------------------------------

result<post_page> store::feed(const viewer& who, std::size_t limit,
                              std::optional<std::string_view> cursor) {
  std::int64_t after_at = 0, after_id = 0;
  if (!parse_page_cursor(cursor, after_at, after_id))
    return error(errc::invalid_input, "invalid_cursor", "malformed cursor");
  limit = clamp_page(limit);
  const auto fetch = static_cast<std::int64_t>(limit + 1);
  return p_->guarded("feed", [&]() -> result<post_page> {
    auto c = p_->borrow();
    db::read_txn tx(*c);  // one snapshot for every group's walk
    // Feed groups: department groups of the viewer's reach, open/closed memberships, followed
    // readable groups; minus muted ones.
    std::map<std::int64_t, access> groups;
    auto& gs = c->cached(
        "SELECT g.id, g.name, g.kind, g.unit_id, m.role, s.state FROM social_groups g"
        " LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = ?1"
        " LEFT JOIN subscriptions s ON s.user_id = ?1 AND s.target_kind = 1 AND s.target_id = g.id"
        " WHERE g.deleted = 0 AND g.id IN (SELECT group_id FROM group_members WHERE user_id = ?1"
        "   UNION SELECT target_id FROM subscriptions WHERE user_id = ?1 AND target_kind = 1"
        "   UNION SELECT id FROM social_groups WHERE unit_id IN (SELECT value FROM "
        "json_each(?2)))");
    gs.bind_all(who.user_id, json_ids(who.reach));
    std::set<std::int64_t> muted_groups;
    while (gs.step()) {
      access a;
      a.g.id = gs.int64(0);
      a.g.name = gs.text(1);
      a.g.kind = static_cast<group_kind>(gs.int64(2));
      a.g.unit_id = gs.opt_int64(3);
      const auto role = gs.opt_int64(4);
      const auto state = gs.opt_int64(5);
      if (a.g.kind == group_kind::department) {
        a.g.member = a.g.unit_id && contains(who.reach, *a.g.unit_id);
        a.g.admin = has(who.roles, role::admin);
      } else {
        a.g.member = role.has_value();
        a.g.admin = role.value_or(0) == 1;
      }
      a.readable = a.g.kind != group_kind::closed || a.g.member;
      if (!a.readable) continue;
      if (state && *state < 0) muted_groups.insert(a.g.id);
      if (!a.g.member && !(state && *state > 0) && !(state && *state < 0)) continue;
      groups.emplace(a.g.id, std::move(a));
    }
    gs.reset();
    // Each group's walk reads only the covering index (created_at, id); the page's rows are
    // loaded once the merge has picked them (design note 2).
    struct key {
      std::int64_t at, id;
    };
    std::vector<key> keys;
    auto& walk = c->cached(
        "SELECT p.created_at, p.id FROM posts p INDEXED BY posts_group_feed"
        " WHERE p.group_id = ?1 AND p.deleted = 0 AND (p.created_at, p.id) < (?2, ?3)"
        " ORDER BY p.created_at DESC, p.id DESC LIMIT ?4");
    for (const auto& [gid, a] : groups) {
      if (muted_groups.count(gid)) continue;
      walk.reset();
      walk.bind_all(gid, after_at, after_id, fetch);
      while (walk.step()) keys.push_back(key{walk.int64(0), walk.int64(1)});
    }
    walk.reset();
    const auto cut = std::min(keys.size(), static_cast<std::size_t>(fetch));
    std::partial_sort(
        keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(cut), keys.end(),
        [](const key& a, const key& b) { return a.at != b.at ? a.at > b.at : a.id > b.id; });
    keys.resize(cut);
    std::vector<std::int64_t> ids;
    for (const auto& k : keys) ids.push_back(k.id);
    std::vector<post> candidates;
    auto& rows = c->cached("SELECT " SAMVERKA_POST_COLUMNS
                           " FROM posts p WHERE p.id IN (SELECT value FROM json_each(?1))");
    rows.bind(1, json_ids(ids));
    while (rows.step()) candidates.push_back(read_post_row(rows));
    rows.reset();
    // Muted threads leave the feed too.
    std::set<std::int64_t> muted_threads;
    auto& mt = c->cached(
        "SELECT target_id FROM subscriptions WHERE user_id = ?1 AND target_kind = 2 AND state = "
        "-1");
    mt.bind(1, who.user_id);
    while (mt.step()) muted_threads.insert(mt.int64(0));
    mt.reset();
    // Followed threads in groups outside the feed groups (e.g. an open group one commented in).
    auto& ft = c->cached(
        "SELECT " SAMVERKA_POST_COLUMNS
        " FROM (SELECT target_id FROM subscriptions WHERE user_id = ?1 AND target_kind = 2"
        "   AND state = 1 ORDER BY target_id DESC LIMIT ?5) s"
        " JOIN posts p ON p.thread_id = s.target_id AND p.deleted = 0"
        " WHERE (p.created_at, p.id) < (?2, ?3) ORDER BY p.created_at DESC, p.id DESC LIMIT ?4");
    ft.bind_all(who.user_id, after_at, after_id, fetch,
                static_cast<std::int64_t>(sl::max_feed_threads));
    std::vector<post> followed;
    while (ft.step()) followed.push_back(read_post_row(ft));
    ft.reset();
    for (auto& p : followed) {
      if (groups.count(p.group_id) && !muted_groups.count(p.group_id)) continue;  // already in
      auto it = groups.find(p.group_id);
      if (it == groups.end()) {
        auto a = group_access(*c, who, p.group_id);
        if (!a || !a->readable) continue;
        it = groups.emplace(p.group_id, std::move(*a)).first;
        // Not a feed group: only followed threads from it, unless muted.
        if (it->second.g.sub == subscription::mute) muted_groups.insert(p.group_id);
      }
      if (muted_groups.count(p.group_id)) continue;
      candidates.push_back(std::move(p));
    }
    std::erase_if(candidates, [&](const post& p) { return muted_threads.count(p.thread_id) > 0; });
    std::sort(candidates.begin(), candidates.end(), newer);
    candidates.erase(std::unique(candidates.begin(), candidates.end(),
                                 [](const post& a, const post& b) { return a.id == b.id; }),
                     candidates.end());
    post_page page;
    if (candidates.size() > limit) {
      candidates.resize(limit);
      page.next_cursor = post_cursor(candidates.back());
    }
    page.items = std::move(candidates);
    decorate(*c, who, page.items, groups);
    return page;
  });
}

// ---- Notifications -----------------------------------------------------------------------------

result<notification_list> store::list_notifications(const viewer& who, std::size_t limit) {
  if (limit == 0) limit = sl::default_notifications;
  limit = std::clamp<std::size_t>(limit, 1, sl::max_notifications);
  return p_->guarded("list notifications", [&]() -> result<notification_list> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    notification_list out;
    out.items = grouped(*c, who.user_id, limit, false);
    auto& st = c->cached(
        "SELECT COUNT(*) FROM notifications n WHERE n.user_id = ?1 AND n.read = 0"
        " AND " SAMVERKA_NOTIFICATION_VISIBLE);
    st.bind(1, who.user_id);
    st.step();
    out.unread_count = st.int64(0);
    return out;
  });
}

result<void> store::mark_notifications_read(const viewer& who,
                                            std::optional<std::int64_t> thread_id) {
  return p_->guarded("mark notifications read", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (thread_id)
      c->cached("UPDATE notifications SET read = 1 WHERE user_id = ?1 AND thread_id = ?2")
          .bind_all(who.user_id, *thread_id)
          .run();
    else
      c->cached("UPDATE notifications SET read = 1 WHERE user_id = ?1 AND read = 0")
          .bind(1, who.user_id)
          .run();
    tx.commit();
    return {};
  });
}

result<notification_prefs> store::get_notification_prefs(const viewer& who) {
  return p_->guarded("notification prefs", [&]() -> result<notification_prefs> {
    auto c = p_->borrow();
    return load_prefs(*c, who.user_id);
  });
}

result<notification_prefs> store::set_notification_prefs(const viewer& who,
                                                         const notification_prefs_patch& p) {
  return p_->guarded("notification prefs", [&]() -> result<notification_prefs> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_prefs(*c, who.user_id);
    if (p.group_posts) cur.group_posts = *p.group_posts;
    if (p.followed_comments) cur.followed_comments = *p.followed_comments;
    if (p.likes) cur.likes = *p.likes;
    if (p.digest) cur.digest = *p.digest;
    c->cached(
         "INSERT OR REPLACE INTO notification_prefs(user_id, group_posts, followed_comments,"
         " likes, digest) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind_all(who.user_id, static_cast<std::int64_t>(cur.group_posts),
                  static_cast<std::int64_t>(cur.followed_comments),
                  static_cast<std::int64_t>(cur.likes), static_cast<std::int64_t>(cur.digest))
        .run();
    tx.commit();
    return cur;
  });
}

result<std::vector<digest>> store::pending_digests() {
  return p_->guarded("pending digests", [&]() -> result<std::vector<digest>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached(
        "SELECT u.id, u.email, u.name, MAX(n.id) FROM notifications n JOIN users u"
        " ON u.id = n.user_id LEFT JOIN notification_prefs np ON np.user_id = u.id"
        " WHERE n.digested = 0 AND n.read = 0 AND u.active = 1 AND COALESCE(np.digest, 1) = 1"
        " GROUP BY u.id ORDER BY u.id");
    std::vector<digest> out;
    while (st.step()) {
      digest d;
      d.user_id = st.int64(0);
      d.email = st.text(1);
      d.name = st.text(2);
      d.upto_id = st.int64(3);
      out.push_back(std::move(d));
    }
    st.reset();
    for (auto& d : out) d.groups = grouped(*c, d.user_id, sl::max_notifications, true);
    std::erase_if(out, [](const digest& d) { return d.groups.empty(); });
    return out;
  });
}

result<void> store::mark_digested(std::int64_t user_id, std::int64_t upto_id) {
  return p_->guarded("mark digested", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached(
         "UPDATE notifications SET digested = 1 WHERE user_id = ?1 AND id <= ?2"
         " AND digested = 0")
        .bind_all(user_id, upto_id)
        .run();
    tx.commit();
    return {};
  });
}

// ---- Ideas -------------------------------------------------------------------------------------

result<idea> store::create_idea(const viewer& who, const idea_draft& d) {
  auto title = plain_text(d.title, "title", sl::max_idea_title, true, false);
  if (!title) return title.err();
  std::string body = sanitize_html(d.body);
  if (body.size() > sl::max_post_body)
    return error(errc::too_large, "body_too_large", "the idea is too long");
  return p_->guarded("create idea", [&]() -> result<idea> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (d.group_id) {
      auto a = readable_group(*c, who, *d.group_id);
      if (!a) return a.err();
    }
    const auto now = now_ms();
    c->cached(
         "INSERT INTO ideas(group_id, author_id, author_name, title, body, created_at,"
         " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)")
        .bind_all(d.group_id, who.user_id, who.name, *title, body, now)
        .run();
    auto i = readable_idea(*c, who, c->last_insert_rowid());
    tx.commit();
    return i;
  });
}

result<std::vector<idea>> store::list_ideas(const viewer& who, std::optional<std::int64_t> group_id,
                                            idea_sort sort, std::optional<idea_status> status,
                                            std::size_t limit) {
  limit = clamp_page(limit);
  return p_->guarded("list ideas", [&]() -> result<std::vector<idea>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    if (group_id) {
      if (auto a = readable_group(*c, who, *group_id); !a) return a.err();
    }
    auto& st =
        c->cached(sort == idea_sort::top ? "SELECT " SAMVERKA_IDEA_COLUMNS
                                           " FROM ideas i WHERE i.deleted = 0 AND i.group_id IS ?1"
                                           " AND (?2 < 0 OR i.status = ?2)"
                                           " ORDER BY i.votes DESC, i.id DESC LIMIT ?3"
                                         : "SELECT " SAMVERKA_IDEA_COLUMNS
                                           " FROM ideas i WHERE i.deleted = 0 AND i.group_id IS ?1"
                                           " AND (?2 < 0 OR i.status = ?2)"
                                           " ORDER BY i.created_at DESC, i.id DESC LIMIT ?3");
    st.bind_all(group_id, status ? static_cast<std::int64_t>(*status) : std::int64_t{-1},
                static_cast<std::int64_t>(limit));
    std::vector<idea> out;
    while (st.step()) out.push_back(read_idea_row(st));
    st.reset();
    auto& v = c->cached("SELECT 1 FROM idea_votes WHERE idea_id = ?1 AND user_id = ?2");
    for (auto& i : out) {
      v.reset();
      v.bind_all(i.id, who.user_id);
      i.voted = v.step();
    }
    v.reset();
    return out;
  });
}

result<idea> store::get_idea(const viewer& who, std::int64_t id) {
  return p_->guarded("get idea", [&]() -> result<idea> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    return readable_idea(*c, who, id);
  });
}

result<idea> store::vote_idea(const viewer& who, std::int64_t id, bool vote) {
  return p_->guarded("vote idea", [&]() -> result<idea> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto i = readable_idea(*c, who, id);
    if (!i) return i.err();
    if (vote) {
      c->cached("INSERT OR IGNORE INTO idea_votes(idea_id, user_id) VALUES (?1, ?2)")
          .bind_all(id, who.user_id)
          .run();
      if (c->changes() > 0)
        c->cached("UPDATE ideas SET votes = votes + 1 WHERE id = ?1").bind(1, id).run();
    } else {
      c->cached("DELETE FROM idea_votes WHERE idea_id = ?1 AND user_id = ?2")
          .bind_all(id, who.user_id)
          .run();
      if (c->changes() > 0)
        c->cached("UPDATE ideas SET votes = votes - 1 WHERE id = ?1").bind(1, id).run();
    }
    auto after = readable_idea(*c, who, id);
    tx.commit();
    return after;
  });
}

result<idea_comment> store::comment_idea(const viewer& who, std::int64_t id,
                                         std::string_view body) {
  auto b = plain_text(body, "body", sl::max_idea_reply, true, true);
  if (!b) return b.err();
  return p_->guarded("comment idea", [&]() -> result<idea_comment> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto i = readable_idea(*c, who, id);
    if (!i) return i.err();
    const auto now = now_ms();
    c->cached(
         "INSERT INTO idea_comments(idea_id, author_id, author_name, body, created_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind_all(id, who.user_id, who.name, *b, now)
        .run();
    idea_comment out{c->last_insert_rowid(), person_ref{who.user_id, who.name}, *b, now};
    c->cached("UPDATE ideas SET comment_count = comment_count + 1 WHERE id = ?1").bind(1, id).run();
    tx.commit();
    return out;
  });
}

result<std::vector<idea_comment>> store::list_idea_comments(const viewer& who, std::int64_t id) {
  return p_->guarded("idea comments", [&]() -> result<std::vector<idea_comment>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto i = readable_idea(*c, who, id);
    if (!i) return i.err();
    auto& st = c->cached(
        "SELECT id, author_id, author_name, body, created_at FROM idea_comments"
        " WHERE idea_id = ?1 ORDER BY created_at, id");
    st.bind(1, id);
    std::vector<idea_comment> out;
    while (st.step())
      out.push_back(idea_comment{st.int64(0), person_ref{st.opt_int64(1).value_or(0), st.text(2)},
                                 st.text(3), st.int64(4)});
    return out;
  });
}

result<idea> store::set_idea_status(const viewer& who, std::int64_t id, idea_status s,
                                    std::optional<std::string_view> reply) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors and admins set idea status");
  std::optional<std::string> r;
  if (reply) {
    auto t = plain_text(*reply, "reply", sl::max_idea_reply, false, true);
    if (!t) return t.err();
    r = std::move(*t);
  }
  return p_->guarded("idea status", [&]() -> result<idea> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto i = readable_idea(*c, who, id);
    if (!i) return i.err();
    const auto now = now_ms();
    c->cached(
         "UPDATE ideas SET status = ?1, reply = COALESCE(?2, reply), reply_by = ?3,"
         " updated_at = ?4 WHERE id = ?5")
        .bind_all(static_cast<std::int64_t>(s), r, who.name, now, id)
        .run();
    if (i->author.id > 0 && i->author.id != who.user_id)
      notify(*c, i->author.id, notification_kind::idea, i->group_id, id, id, who.name, now);
    auto after = readable_idea(*c, who, id);
    tx.commit();
    return after;
  });
}

}  // namespace samverka::tenant
