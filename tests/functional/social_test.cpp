// Social collaboration end to end: groups (department, open, closed), posts, comments, likes,
// the feed, notifications and their digest over a real SMTP server, ideas. Every visibility rule
// of closed groups is checked through every door (lists, ids, feed, notifications, counts,
// search), across tenants, and with bad input that must change nothing.
#include "fixture.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace samverka::testing {
namespace {

namespace json = boost::json;

class social : public platform {
 protected:
  std::string url(const std::string& path, const std::string& slug = "eksjo") {
    return "/t/" + slug + "/api/v1" + path;
  }
  json::value get_json(const std::string& path, const std::string& token,
                       const std::string& slug = "eksjo") {
    auto r = srv->get(url(path, slug), token);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.status == 200 ? r.json() : json::value();
  }
  std::int64_t create_group(const std::string& token, const std::string& name,
                            const std::string& kind) {
    auto r = srv->post(url("/groups"), body({{"name", name}, {"kind", kind}}), token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").to_number<std::int64_t>() : 0;
  }
  std::int64_t post_in(const std::string& token, std::int64_t group, const std::string& text,
                       json::object extra = {}) {
    extra["body"] = text;
    auto r = srv->post(url("/groups/" + std::to_string(group) + "/posts"), body(extra), token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").to_number<std::int64_t>() : 0;
  }
  std::int64_t comment(const std::string& token, std::int64_t post, const std::string& text) {
    auto r = srv->post(url("/posts/" + std::to_string(post) + "/comments"), body({{"body", text}}),
                       token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").to_number<std::int64_t>() : 0;
  }
  // Names of the groups `token` sees in GET /groups, with their member flag.
  std::map<std::string, bool> groups(const std::string& token) {
    std::map<std::string, bool> out;
    auto doc = get_json("/groups", token);
    if (!doc.is_object()) return out;
    for (auto& g : doc.at("items").as_array())
      out[std::string(g.at("name").as_string())] = g.at("member").as_bool();
    return out;
  }
  // Bodies (plain) of the feed items of `token`.
  std::vector<std::string> feed(const std::string& token, const std::string& query = "") {
    std::vector<std::string> out;
    auto doc = get_json("/feed" + query, token);
    if (!doc.is_object()) return out;
    for (auto& it : doc.at("items").as_array()) out.emplace_back(it.at("body").as_string());
    return out;
  }
  bool feed_mentions(const std::string& token, const std::string& needle) {
    for (auto& b : feed(token, "?limit=100"))
      if (b.find(needle) != std::string::npos) return true;
    return false;
  }
  json::value notifications(const std::string& token) { return get_json("/notifications", token); }
  std::int64_t unread(const std::string& token) {
    auto n = notifications(token);
    return n.is_object() ? n.at("unread_count").to_number<std::int64_t>() : -1;
  }
  std::string notification_text(const std::string& token) {
    std::string all;
    auto n = notifications(token);
    if (!n.is_object()) return all;
    for (auto& it : n.at("items").as_array()) all += std::string(it.at("text").as_string()) + "\n";
    return all;
  }
};

TEST_F(social, DepartmentGroupsFollowTheOrgTree) {
  auto anna = as("anna");  // Hemtjänst, under Socialförvaltningen
  auto g = groups(anna);
  ASSERT_EQ(g.size(), 4u);
  EXPECT_TRUE(g.at("Hemtjänst"));
  EXPECT_TRUE(g.at("Socialförvaltningen"));  // a unit includes its sub-units
  EXPECT_FALSE(g.at("Skolan"));
  EXPECT_FALSE(g.at("Utbildningsförvaltningen"));
  auto list = get_json("/groups", anna);
  for (auto& it : list.at("items").as_array()) EXPECT_EQ(it.at("kind").as_string(), "department");

  // A unit added by the operator gets its department group at once.
  auto r = ctl(dir.path(), {"unit", "add", "eksjo", "--name", "Ekonomi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  g = groups(anna);
  ASSERT_EQ(g.count("Ekonomi"), 1u);
  EXPECT_FALSE(g.at("Ekonomi"));

  // Membership cannot be joined or left by hand; it follows the units.
  std::int64_t hemtjanst = 0;
  auto all = get_json("/groups", anna);
  for (auto& it : all.at("items").as_array())
    if (it.at("name").as_string() == "Hemtjänst") hemtjanst = it.at("id").to_number<std::int64_t>();
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(hemtjanst) + "/leave"), "", anna).status,
            422);
  // Members of a department group post; people of other units read but cannot post.
  post_in(anna, hemtjanst, "<p>Hej Hemtjänst</p>");
  auto bo = as("bo");
  EXPECT_TRUE(feed_mentions(anna, "Hej Hemtjänst"));
  EXPECT_FALSE(feed_mentions(bo, "Hej Hemtjänst"));
  EXPECT_EQ(srv->get(url("/groups/" + std::to_string(hemtjanst) + "/posts"), bo).status, 200);
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(hemtjanst) + "/posts"),
                      body({{"body", "intrång"}}), bo)
                .status,
            403);
  auto members = get_json("/groups/" + std::to_string(hemtjanst) + "/members", bo);
  std::set<std::string> names;
  for (auto& m : members.at("items").as_array()) names.emplace(m.at("name").as_string());
  EXPECT_EQ(names.count("Anna Andersson"), 1u);
  EXPECT_EQ(names.count("Bo Berg"), 0u);
}

TEST_F(social, OpenGroupPostsCommentsLikesAndTheFeed) {
  auto anna = as("anna"), bo = as("bo");
  auto gid = create_group(anna, "Löparklubben", "open");
  auto g = groups(bo);
  ASSERT_EQ(g.count("Löparklubben"), 1u);
  EXPECT_FALSE(g.at("Löparklubben"));
  // Not a member yet: may read, may not post.
  EXPECT_EQ(
      srv->post(url("/groups/" + std::to_string(gid) + "/posts"), body({{"body", "x"}}), bo).status,
      403);
  auto join = srv->post(url("/groups/" + std::to_string(gid) + "/join"), "", bo);
  ASSERT_EQ(join.status, 200) << join.body;
  EXPECT_TRUE(join.json().at("member").as_bool());

  auto p1 = post_in(anna, gid, "<p>Första rundan <script>alert(1)</script><b>i kväll</b></p>");
  auto p2 = post_in(bo, gid, "<p>Andra inlägget</p>");
  auto c1 = comment(bo, p1, "Jag kommer!");
  ASSERT_GT(c1, 0);
  auto post = get_json("/posts/" + std::to_string(p1), bo);
  EXPECT_EQ(post.at("body").as_string().find("script"), std::string::npos);
  EXPECT_NE(post.at("body").as_string().find("<b>i kväll</b>"), std::string::npos);
  EXPECT_EQ(post.at("comment_count").to_number<int>(), 1);

  // Feed: newest first, posts and comments.
  auto items = get_json("/feed", anna).at("items").as_array();
  ASSERT_GE(items.size(), 3u);
  EXPECT_EQ(items[0].at("id").to_number<std::int64_t>(), c1);
  EXPECT_EQ(items[0].at("type").as_string(), "comment");
  EXPECT_EQ(items[1].at("id").to_number<std::int64_t>(), p2);
  EXPECT_EQ(items[2].at("id").to_number<std::int64_t>(), p1);

  // Likes are idempotent.
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(srv->post(url("/posts/" + std::to_string(p1) + "/like"), "", bo).status, 200);
  EXPECT_EQ(get_json("/posts/" + std::to_string(p1), bo).at("like_count").to_number<int>(), 1);
  EXPECT_EQ(srv->del(url("/posts/" + std::to_string(p1) + "/like"), bo).status, 200);
  EXPECT_EQ(get_json("/posts/" + std::to_string(p1), bo).at("like_count").to_number<int>(), 0);

  // Leaving an open group: still readable, no longer in the feed.
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/leave"), "", bo).status, 204);
  EXPECT_FALSE(groups(bo).at("Löparklubben"));

  // Mute takes a group out of the feed; follow brings it back without membership.
  EXPECT_EQ(srv->send({"PUT",
                       url("/groups/" + std::to_string(gid) + "/subscription"),
                       "",
                       {{"Authorization", "Bearer " + anna}},
                       body({{"state", "mute"}})})
                .status,
            200);
  EXPECT_FALSE(feed_mentions(anna, "Andra inlägget"));
  EXPECT_EQ(srv->send({"PUT",
                       url("/groups/" + std::to_string(gid) + "/subscription"),
                       "",
                       {{"Authorization", "Bearer " + anna}},
                       body({{"state", "none"}})})
                .status,
            200);
  EXPECT_TRUE(feed_mentions(anna, "Andra inlägget"));
}

TEST_F(social, FeedPaginatesWithACursorWithoutGapsOrRepeats) {
  auto anna = as("anna");
  auto gid = create_group(anna, "Många inlägg", "open");
  for (int i = 0; i < 25; ++i) post_in(anna, gid, "inlägg " + std::to_string(i));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto doc = get_json("/feed?limit=10" + (cursor.empty() ? "" : "&cursor=" + cursor), anna);
    ASSERT_TRUE(doc.is_object());
    for (auto& it : doc.at("items").as_array())
      EXPECT_TRUE(seen.insert(std::string(it.at("body").as_string())).second);
    ++pages;
    if (doc.at("next_cursor").is_null()) break;
    cursor = std::string(doc.at("next_cursor").as_string());
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(srv->get(url("/feed?cursor=garbage"), anna).status, 400);
}

TEST_F(social, ClosedGroupsNeverLeak) {
  auto anna = as("anna"), bo = as("bo"), admin = as("admin"), editor = as("editor");
  auto gid = create_group(anna, "Hemliga rådet", "closed");
  const auto g = "/groups/" + std::to_string(gid);
  auto pid = post_in(anna, gid, "<p>Hemlig plan @bo@eksjo.se</p>");
  auto cid = comment(anna, pid, "Hemlig kommentar");
  const auto p = "/posts/" + std::to_string(pid);
  const auto bo_unread_before = unread(bo);

  for (const auto& outsider : {bo, admin, editor}) {
    EXPECT_EQ(groups(outsider).count("Hemliga rådet"), 0u);
    EXPECT_EQ(srv->get(url(g), outsider).status, 404);
    EXPECT_EQ(srv->get(url(g + "/posts"), outsider).status, 404);
    EXPECT_EQ(srv->get(url(g + "/members"), outsider).status, 404);
    EXPECT_EQ(srv->post(url(g + "/join"), "", outsider).status, 404);
    EXPECT_EQ(srv->post(url(g + "/posts"), body({{"body", "in"}}), outsider).status, 404);
    EXPECT_EQ(srv->post(url(g + "/invite"), body({{"email", "bo@eksjo.se"}}), outsider).status,
              404);
    EXPECT_EQ(srv->get(url(p), outsider).status, 404);
    EXPECT_EQ(srv->get(url(p + "/comments"), outsider).status, 404);
    EXPECT_EQ(srv->post(url(p + "/comments"), body({{"body", "in"}}), outsider).status, 404);
    EXPECT_EQ(srv->post(url(p + "/like"), "", outsider).status, 404);
    EXPECT_EQ(srv->patch(url(p), body({{"body", "ändrad"}}), outsider).status, 404);
    EXPECT_EQ(srv->del(url(p), outsider).status, 404);
    EXPECT_EQ(srv->del(url("/comments/" + std::to_string(cid)), outsider).status, 404);
    EXPECT_FALSE(feed_mentions(outsider, "Hemlig"));
    EXPECT_EQ(notification_text(outsider).find("Hemlig"), std::string::npos);
    EXPECT_EQ(srv->post(url("/ideas"), body({{"title", "x"}, {"group_id", gid}}), outsider).status,
              404);
    EXPECT_EQ(srv->get(url("/ideas?group_id=" + std::to_string(gid)), outsider).status, 404);
    // Search (another feature) must not find it either, if it is there.
    auto s = srv->get(url("/search?q=Hemliga"), outsider);
    if (s.status == 200) EXPECT_EQ(s.body.find("Hemlig"), std::string::npos) << s.body;
  }
  // The mention of a non-member notified no one and counted nothing.
  EXPECT_EQ(unread(bo), bo_unread_before);
  // The same 404 as an id that never existed.
  EXPECT_EQ(srv->get(url("/groups/999999"), bo).error_code(), srv->get(url(g), bo).error_code());

  // Invitation by a member: the invitee is notified and may join; nobody else may.
  EXPECT_EQ(srv->post(url(g + "/invite"), body({{"email", "bo@eksjo.se"}}), anna).status, 204);
  EXPECT_NE(notification_text(bo).find("Hemliga rådet"), std::string::npos);
  EXPECT_EQ(srv->post(url(g + "/join"), "", admin).status, 404);
  auto joined = srv->post(url(g + "/join"), "", bo);
  ASSERT_EQ(joined.status, 200) << joined.body;
  EXPECT_TRUE(groups(bo).at("Hemliga rådet"));
  EXPECT_TRUE(feed_mentions(bo, "Hemlig plan"));
  EXPECT_EQ(srv->get(url(p), bo).status, 200);
  auto mem = get_json(g, bo);
  EXPECT_EQ(mem.at("member_count").to_number<int>(), 2);

  // Anna mentions Bo now that he can read it: he is notified.
  post_in(anna, gid, "<p>Välkommen @bo@eksjo.se</p>");
  auto after_join = unread(bo);
  EXPECT_GE(after_join, 1);
  EXPECT_NE(notification_text(bo).find("nämnde dig"), std::string::npos);

  // Leaving: everything closes again, notifications and counts included.
  EXPECT_EQ(srv->post(url(g + "/leave"), "", bo).status, 204);
  EXPECT_EQ(srv->get(url(g), bo).status, 404);
  EXPECT_EQ(srv->get(url(p), bo).status, 404);
  EXPECT_FALSE(feed_mentions(bo, "Hemlig"));
  EXPECT_EQ(notification_text(bo).find("Välkommen"), std::string::npos);
  EXPECT_EQ(unread(bo), bo_unread_before);
  // Rejoining needs a new invitation.
  EXPECT_EQ(srv->post(url(g + "/join"), "", bo).status, 404);
}

TEST_F(social, EditAndDeleteByAuthorOrGroupAdminOnly) {
  auto anna = as("anna"), bo = as("bo"), chef = as("chef");
  auto gid = create_group(anna, "Fikagruppen", "open");
  for (const auto& t : {bo, chef})
    ASSERT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/join"), "", t).status, 200);
  auto pid = post_in(bo, gid, "Bos inlägg");
  auto cid = comment(chef, pid, "Chefens kommentar");
  // Someone else: forbidden, nothing changed.
  EXPECT_EQ(
      srv->patch(url("/posts/" + std::to_string(pid)), body({{"body", "kapat"}}), chef).status,
      403);
  EXPECT_EQ(srv->del(url("/comments/" + std::to_string(cid)), bo).status, 403);
  EXPECT_EQ(get_json("/posts/" + std::to_string(pid), anna).at("body").as_string(), "Bos inlägg");
  // The author edits; the group admin (creator) deletes.
  auto e = srv->patch(url("/posts/" + std::to_string(pid)), body({{"body", "Bos nya text"}}), bo);
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_EQ(e.json().at("body").as_string(), "Bos nya text");
  EXPECT_EQ(srv->del(url("/comments/" + std::to_string(cid)), anna).status, 204);
  EXPECT_EQ(get_json("/posts/" + std::to_string(pid), bo).at("comment_count").to_number<int>(), 0);
  EXPECT_EQ(srv->del(url("/posts/" + std::to_string(pid)), anna).status, 204);
  EXPECT_EQ(srv->get(url("/posts/" + std::to_string(pid)), bo).status, 404);
  EXPECT_FALSE(feed_mentions(bo, "Bos nya text"));
  // Group admins: the last one cannot leave while others remain; promote, then leave.
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/leave"), "", anna).status, 409);
  auto bo_id = srv->get(url("/me"), bo).json().at("user").at("id").to_number<std::int64_t>();
  EXPECT_EQ(
      srv->post(url("/groups/" + std::to_string(gid) + "/admins"), body({{"user_id", bo_id}}), chef)
          .status,
      403);
  EXPECT_EQ(
      srv->post(url("/groups/" + std::to_string(gid) + "/admins"), body({{"user_id", bo_id}}), anna)
          .status,
      204);
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/leave"), "", anna).status, 204);
}

TEST_F(social, NotificationsAreGroupedPerThreadAndRespectPreferences) {
  auto anna = as("anna"), bo = as("bo"), chef = as("chef"), editor = as("editor");
  auto gid = create_group(anna, "Verksamhetsutveckling", "open");
  for (const auto& t : {bo, chef, editor})
    ASSERT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/join"), "", t).status, 200);
  ASSERT_EQ(srv->post(url("/notifications/read"), "", anna).status, 204);
  auto pid = post_in(anna, gid, "Ny rutin för schemaläggning");
  comment(bo, pid, "Bra!");
  comment(chef, pid, "Håller med");
  comment(editor, pid, "Vi skriver en nyhet");
  auto n = notifications(anna);
  ASSERT_TRUE(n.is_object());
  EXPECT_EQ(n.at("unread_count").to_number<int>(), 3);
  auto items = n.at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << n;  // one line per thread, not one per event
  EXPECT_EQ(items[0].at("kind").as_string(), "reply");
  EXPECT_EQ(items[0].at("count").to_number<int>(), 3);
  EXPECT_NE(std::string(items[0].at("text").as_string()).find("3 nya kommentarer"),
            std::string::npos)
      << items[0];
  // Bo commented, so he follows the thread: the later comments reach him grouped.
  EXPECT_NE(notification_text(bo).find("2 nya kommentarer på"), std::string::npos)
      << notification_text(bo);
  // Mark one thread read.
  ASSERT_EQ(srv->post(url("/notifications/read"), body({{"thread_id", pid}}), anna).status, 204);
  EXPECT_EQ(unread(anna), 0);

  // Preferences: chef turns off followed comments; a mention still arrives.
  auto pr =
      srv->patch(url("/notifications/preferences"), body({{"followed_comments", false}}), chef);
  ASSERT_EQ(pr.status, 200) << pr.body;
  EXPECT_FALSE(pr.json().at("followed_comments").as_bool());
  ASSERT_EQ(srv->post(url("/notifications/read"), "", chef).status, 204);
  comment(bo, pid, "En till");
  EXPECT_EQ(unread(chef), 0);
  comment(bo, pid, "Vad tycker @chef@eksjo.se?");
  EXPECT_EQ(unread(chef), 1);
  EXPECT_NE(notification_text(chef).find("nämnde dig"), std::string::npos);
  // Muting the thread stops the rest, but not replies to one's own post.
  EXPECT_EQ(srv->send({"PUT",
                       url("/posts/" + std::to_string(pid) + "/subscription"),
                       "",
                       {{"Authorization", "Bearer " + anna}},
                       body({{"state", "mute"}})})
                .status,
            200);
  const auto before = unread(anna);
  comment(chef, pid, "svar");
  EXPECT_EQ(unread(anna), before + 1);
}

TEST_F(social, IdeasCanBeSubmittedVotedAndAnswered) {
  auto anna = as("anna"), bo = as("bo"), editor = as("editor");
  auto r = srv->post(url("/ideas"),
                     body({{"title", "Cykelparkering vid stadshuset"}, {"body", "<p>Med tak</p>"}}),
                     anna);
  ASSERT_EQ(r.status, 201) << r.body;
  auto bike = r.json().at("id").to_number<std::int64_t>();
  r = srv->post(url("/ideas"), body({{"title", "Fruktkorg på fredagar"}}), bo);
  ASSERT_EQ(r.status, 201);
  for (const auto& t : {bo, editor})
    EXPECT_EQ(srv->post(url("/ideas/" + std::to_string(bike) + "/vote"), "", t).status, 200);
  EXPECT_EQ(srv->post(url("/ideas/" + std::to_string(bike) + "/vote"), "", bo).status, 200);
  auto top = get_json("/ideas?sort=top", anna).at("items").as_array();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].at("id").to_number<std::int64_t>(), bike);
  EXPECT_EQ(top[0].at("votes").to_number<int>(), 2);
  EXPECT_EQ(
      srv->post(url("/ideas/" + std::to_string(bike) + "/comments"), body({{"body", "Gärna!"}}), bo)
          .status,
      201);
  // Only editors answer; the author hears about it.
  EXPECT_EQ(srv->send({"PUT",
                       url("/ideas/" + std::to_string(bike) + "/status"),
                       "",
                       {{"Authorization", "Bearer " + bo}},
                       body({{"status", "planned"}})})
                .status,
            403);
  auto s = srv->send({"PUT",
                      url("/ideas/" + std::to_string(bike) + "/status"),
                      "",
                      {{"Authorization", "Bearer " + editor}},
                      body({{"status", "planned"}, {"reply", "Byggs i vår"}})});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.json().at("status").as_string(), "planned");
  EXPECT_EQ(s.json().at("reply").as_string(), "Byggs i vår");
  EXPECT_NE(notification_text(anna).find("ny status"), std::string::npos);
  EXPECT_EQ(get_json("/ideas?status=planned", bo).at("items").as_array().size(), 1u);
  EXPECT_EQ(srv->send({"PUT",
                       url("/ideas/" + std::to_string(bike) + "/status"),
                       "",
                       {{"Authorization", "Bearer " + editor}},
                       body({{"status", "maybe"}})})
                .status,
            400);
}

TEST_F(social, OtherTenantsIdsAre404) {
  auto anna = as("anna");
  auto gid = create_group(anna, "Eksjös grupp", "open");
  auto pid = post_in(anna, gid, "Bara i Eksjö");
  auto idea = srv->post(url("/ideas"), body({{"title", "Eksjöidé"}}), anna);
  ASSERT_EQ(idea.status, 201);
  const auto iid = std::to_string(idea.json().at("id").to_number<std::int64_t>());
  auto sav = as("bo", "savsjo");
  const auto g = "/groups/" + std::to_string(gid), p = "/posts/" + std::to_string(pid);
  EXPECT_EQ(srv->get(url(g, "savsjo"), sav).status, 404);
  EXPECT_EQ(srv->post(url(g + "/join", "savsjo"), "", sav).status, 404);
  EXPECT_EQ(srv->get(url(g + "/posts", "savsjo"), sav).status, 404);
  EXPECT_EQ(srv->get(url(p, "savsjo"), sav).status, 404);
  EXPECT_EQ(srv->post(url(p + "/comments", "savsjo"), body({{"body", "x"}}), sav).status, 404);
  EXPECT_EQ(srv->get(url("/ideas/" + iid, "savsjo"), sav).status, 404);
  auto sg = get_json("/groups", sav, "savsjo");
  for (auto& it : sg.at("items").as_array()) EXPECT_NE(it.at("name").as_string(), "Eksjös grupp");
  auto sf = get_json("/feed", sav, "savsjo");
  EXPECT_EQ(sf.at("items").as_array().size(), 0u);
  // An Eksjö token does not open Sävsjö's social endpoints.
  EXPECT_EQ(srv->get(url("/groups", "savsjo"), anna).status, 403);
  EXPECT_EQ(srv->get(url("/feed", "savsjo"), anna).status, 403);
  // The cross-employed person sees each tenant's own groups with that tenant's units.
  auto per = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  auto home = groups(per);
  EXPECT_EQ(home.count("Eksjös grupp"), 1u);
  auto away = get_json("/groups", per, "savsjo");
  for (auto& it : away.at("items").as_array()) EXPECT_NE(it.at("name").as_string(), "Eksjös grupp");
}

TEST_F(social, BadInputIs4xxAndChangesNothing) {
  auto anna = as("anna");
  auto gid = create_group(anna, "Testgrupp", "open");
  const auto before = get_json("/groups", anna);
  const std::vector<std::pair<std::string, std::string>> bad_groups = {
      {"kind department", R"({"name":"x","kind":"department"})"},
      {"kind unknown", R"({"name":"x","kind":"secret"})"},
      {"missing name", R"({"kind":"open"})"},
      {"missing kind", R"({"name":"x"})"},
      {"empty name", R"({"name":"  ","kind":"open"})"},
      {"name number", R"({"name":1,"kind":"open"})"},
      {"unknown field", R"({"name":"x","kind":"open","owner":1})"},
      {"huge name", R"({"name":")" + std::string(500, 'x') + R"(","kind":"open"})"},
      {"not json", "{name"},
      {"control chars", "{\"name\":\"a\\u0001b\",\"kind\":\"open\"}"},
  };
  for (const auto& [name, b] : bad_groups) {
    auto r = srv->post(url("/groups"), b, anna);
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
    EXPECT_FALSE(r.error_code().empty()) << name;
  }
  EXPECT_EQ(get_json("/groups", anna), before);

  const auto posts = "/groups/" + std::to_string(gid) + "/posts";
  const std::vector<std::pair<std::string, std::string>> bad_posts = {
      {"empty body", R"({"body":""})"},
      {"only a script", R"({"body":"<script>x</script>"})"},
      {"body number", R"({"body":5})"},
      {"unknown field", R"({"body":"x","title":"y"})"},
      {"mentions string", R"({"body":"x","mentions":"bo@eksjo.se"})"},
      {"unknown mention", R"({"body":"x","mentions":["nobody@eksjo.se"]})"},
      {"other tenant's person", R"({"body":"x","mentions":["bo@savsjo.se"]})"},
  };
  for (const auto& [name, b] : bad_posts) {
    auto r = srv->post(url(posts), b, anna);
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
  }
  EXPECT_EQ(get_json(posts, anna).at("items").as_array().size(), 0u);
  EXPECT_EQ(get_json("/feed", anna).at("items").as_array().size(), 0u);
  // Ids that are not ids, and unknown ones.
  for (const auto* id : {"0", "-1", "abc", "99999999", "1e3"}) {
    EXPECT_EQ(srv->get(url(std::string("/groups/") + id), anna).status, 404) << id;
    EXPECT_EQ(srv->post(url(std::string("/posts/") + id + "/comments"), body({{"body", "x"}}), anna)
                  .status,
              404)
        << id;
  }
  EXPECT_EQ(srv->get(url("/feed?limit=0"), anna).status, 400);
  EXPECT_EQ(srv->get(url("/feed?limit=abc"), anna).status, 400);
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/invite"), body({}), anna).status,
            400);
  EXPECT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/invite"),
                      body({{"email", "nobody@eksjo.se"}}), anna)
                .status,
            400);
  EXPECT_EQ(srv->patch(url("/notifications/preferences"), body({{"digest", "no"}}), anna).status,
            400);
  EXPECT_EQ(srv->post(url("/ideas"), body({{"title", ""}}), anna).status, 400);
  EXPECT_EQ(get_json("/ideas", anna).at("items").as_array().size(), 0u);
  // Unauthenticated: 401.
  EXPECT_EQ(srv->get(url("/feed")).status, 401);
  EXPECT_EQ(srv->get(url("/groups")).status, 401);
}

// A real SMTP server (Debian's python3-aiosmtpd) on a free loopback port, writing what it
// receives to a file.
class smtp_server {
 public:
  explicit smtp_server(const std::filesystem::path& out) : out_(out) {
    port_ = free_port();
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      // Debian's interpreter, where python3-aiosmtpd installs (not a virtualenv's first in PATH).
      execl("/usr/bin/python3", "python3", "-u", "-m", "aiosmtpd", "-n", "-l", listen.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until it accepts connections.
    for (int i = 0; i < 100 && !accepting(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~smtp_server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }
  int port() const { return port_; }
  std::string received() const {
    std::ifstream in(out_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static int free_port();
  bool accepting() const;
  std::filesystem::path out_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace
}  // namespace samverka::testing

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace samverka::testing {
namespace {

int smtp_server::free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool smtp_server::accepting() const {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

TEST_F(social, DailyDigestGoesOutOnceOverSmtp) {
  auto anna = as("anna"), bo = as("bo"), chef = as("chef");
  auto gid = create_group(anna, "Digestgruppen", "open");
  for (const auto& t : {bo, chef})
    ASSERT_EQ(srv->post(url("/groups/" + std::to_string(gid) + "/join"), "", t).status, 200);
  auto pid = post_in(anna, gid, "Planeringsdag i juni");
  comment(bo, pid, "Bra");
  comment(chef, pid, "Jag bokar lokal");
  // Bo opts out of digests; Chef reads everything first: neither gets a mail.
  ASSERT_EQ(srv->patch(url("/notifications/preferences"), body({{"digest", false}}), bo).status,
            200);
  ASSERT_EQ(srv->post(url("/notifications/read"), "", chef).status, 204);
  // A closed group's notifications go only to its members.
  auto secret = create_group(chef, "Chefsgruppen", "closed");
  post_in(chef, secret, "Hemligt @anna@eksjo.se");

  smtp_server smtp(dir.path() / "smtp.out");
  auto r = ctl(dir.path(), {"digest", "send", "eksjo", "--smtp",
                            "smtp://127.0.0.1:" + std::to_string(smtp.port()), "--from",
                            "intranet@eksjo.se", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("sent").to_number<int>(), 1) << r.out;
  std::string mail;
  for (int i = 0; i < 50 && mail.find("nya kommentarer") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    mail = smtp.received();
  }
  EXPECT_NE(mail.find("To: anna@eksjo.se"), std::string::npos) << mail;
  EXPECT_NE(mail.find("2 nya kommentarer på ditt inlägg"), std::string::npos) << mail;
  EXPECT_EQ(mail.find("bo@eksjo.se"), std::string::npos) << mail;
  EXPECT_EQ(mail.find("Hemligt"), std::string::npos) << mail;
  // Sent once: the next run has nothing to send.
  r = ctl(dir.path(), {"digest", "send", "eksjo", "--smtp",
                       "smtp://127.0.0.1:" + std::to_string(smtp.port()), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("sent").to_number<int>(), 0) << r.out;
  // A relay that is down: failure exit, nothing marked (the next run retries).
  comment(bo, pid, "En sak till");
  r = ctl(dir.path(), {"digest", "send", "eksjo", "--smtp", "smtp://127.0.0.1:1"});
  EXPECT_NE(r.exit_code, 0);
  r = ctl(dir.path(), {"digest", "send", "eksjo", "--smtp",
                       "smtp://127.0.0.1:" + std::to_string(smtp.port()), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Anna (a reply) and Chef (who follows the thread since commenting); Bo opted out.
  EXPECT_EQ(json::parse(r.out).at("sent").to_number<int>(), 2) << r.out;
}

}  // namespace
}  // namespace samverka::testing
