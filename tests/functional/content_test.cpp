// Content, start page and search (issue 4) through the real server over HTTP: Swedish search,
// permissions and tenant isolation in search, pages with review and approval, guides, links,
// profiles, the audit trail, and bad input (4xx, nothing changed).
#include "fixture.hpp"

#include <algorithm>
#include <filesystem>

namespace samverka::testing {
namespace {

namespace json = boost::json;

// Percent-encodes a query parameter value (every byte but the RFC 3986 unreserved ones).
std::string enc(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class content : public platform {
 protected:
  // GET /search as `token`; the parsed items (fails the test on a non-200).
  json::array search(const std::string& token, const std::string& q, const std::string& extra = "",
                     const std::string& slug = "eksjo") {
    auto r = srv->get("/t/" + slug + "/api/v1/search?q=" + enc(q) + extra, token);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    if (r.status != 200) return {};
    return r.json().at("items").as_array();
  }
  static bool has_title(const json::array& items, const std::string& title) {
    for (const auto& it : items)
      if (it.at("title").as_string() == title) return true;
    return false;
  }
  // Creates a page as `who`; returns the JSON object.
  json::object page(const std::string& who, json::object b, const std::string& slug = "eksjo") {
    auto r = srv->post("/t/" + slug + "/api/v1/pages", body(b), as(who, slug));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().as_object() : json::object{};
  }
  json::value get_json(const std::string& target, const std::string& token) {
    auto r = srv->get(target, token);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.status == 200 ? r.json() : json::value{};
  }
};

// ---- Search ----------------------------------------------------------------------------------

TEST_F(content, SearchFindsSwedishInflectionsAndMarksMatches) {
  publish("Förvaltningen informerar om inköp");
  const auto anna = as("anna");
  auto items = search(anna, "förvaltningar");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("type").as_string(), "news");
  EXPECT_EQ(items[0].at("title").as_string(), "Förvaltningen informerar om inköp");
  EXPECT_NE(std::string(items[0].at("snippet").as_string()).find("<mark>"), std::string::npos);
  // Case folding keeps å/ä/ö: "INKÖP" finds "inköp", "inkop" does not.
  EXPECT_EQ(search(anna, "INKÖP").size(), 1u);
  EXPECT_EQ(search(anna, "inkop").size(), 0u);
  // Type-ahead.
  EXPECT_EQ(search(anna, "förvalt", "&prefix=1").size(), 1u);
  EXPECT_EQ(search(anna, "förvalt", "&mode=prefix").size(), 1u);
  EXPECT_EQ(search(anna, "förvalt").size(), 0u);
  // Type filter.
  EXPECT_EQ(search(anna, "förvaltningen", "&type=news").size(), 1u);
  EXPECT_EQ(search(anna, "förvaltningen", "&type=page").size(), 0u);
}

TEST_F(content, SnippetsAreEscapedHtml) {
  auto r =
      srv->post("/t/eksjo/api/v1/news",
                body({{"title", "Kaffe <script>"},
                      {"body", "<p>Kaffemaskinen &amp; &lt;img src=x onerror=alert(1)&gt;</p>"}}),
                as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto items = search(as("anna"), "kaffemaskinen");
  ASSERT_EQ(items.size(), 1u);
  const std::string snip(items[0].at("snippet").as_string());
  EXPECT_EQ(snip.find("<img"), std::string::npos) << snip;
  EXPECT_NE(snip.find("<mark>"), std::string::npos) << snip;
}

TEST_F(content, RoleTargetedNewsNeverLeaksThroughSearch) {
  publish("Chefsinformation", {{"roles", json::array{"manager"}}});
  auto r = srv->post("/t/eksjo/api/v1/news",
                     body({{"title", "Lönerevision"},
                           {"body", "<p>Hemlig löneöversyn för chefer</p>"},
                           {"audience", json::object{{"roles", json::array{"manager"}}}}}),
                     as("editor"));
  ASSERT_EQ(r.status, 201);
  const auto anna = as("anna");
  EXPECT_EQ(search(anna, "chefsinformation").size(), 0u);
  EXPECT_EQ(search(anna, "löneöversyn").size(), 0u);  // body-only word: no snippet either
  EXPECT_EQ(search(anna, "löne", "&prefix=1").size(), 0u);
  EXPECT_EQ(search(as("chef"), "löneöversyn").size(), 1u);
  EXPECT_EQ(search(as("chef"), "chefsinformation").size(), 1u);
}

TEST_F(content, SearchFollowsEditsRetargetingAndDeletes) {
  const auto id = publish("Julbord i Stadshuset");
  const auto anna = as("anna");
  const auto editor = as("editor");
  const std::string path = "/t/eksjo/api/v1/news/" + std::to_string(id);
  ASSERT_EQ(search(anna, "julbord").size(), 1u);
  ASSERT_EQ(
      srv->patch(path, body({{"title", "Midsommarfest i parken"}, {"body", "<p>Dans</p>"}}), editor)
          .status,
      200);
  EXPECT_EQ(search(anna, "julbord").size(), 0u);
  EXPECT_EQ(search(anna, "midsommarfest").size(), 1u);
  ASSERT_EQ(srv->patch(path, body({{"audience", json::object{{"roles", json::array{"manager"}}}}}),
                       editor)
                .status,
            200);
  EXPECT_EQ(search(anna, "midsommarfest").size(), 0u);
  ASSERT_EQ(srv->del(path, editor).status, 204);
  EXPECT_EQ(search(as("chef"), "midsommarfest").size(), 0u);
}

TEST_F(content, PeopleAreSearchableByNameEmailUnitAndTitle) {
  const auto bo = as("bo");
  auto items = search(bo, "anna", "&type=person");
  ASSERT_GE(items.size(), 1u);
  EXPECT_EQ(items[0].at("type").as_string(), "person");
  EXPECT_TRUE(has_title(search(bo, "hemtjänsten", "&type=person"), "Anna Andersson"));
  auto r = srv->patch("/t/eksjo/api/v1/me/profile",
                      body({{"title", "Undersköterska"}, {"skills", "teckenspråk, körkort"}}),
                      as("anna"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(has_title(search(bo, "undersköterskor", "&type=person"), "Anna Andersson"));
  EXPECT_TRUE(has_title(search(bo, "teckenspråk"), "Anna Andersson"));
}

TEST_F(content, AnotherTenantsContentNeverAppears) {
  page("editor", {{"title", "Vetlandas rutin för snöröjning"}, {"body", "<p>Plogning</p>"}},
       "vetlanda");
  publish("Vetlandanyhet om snöröjning", {}, "vetlanda");
  auto r = srv->patch("/t/vetlanda/api/v1/me/profile", body({{"title", "Kvantfysiker"}}),
                      as("anna", "vetlanda"));
  ASSERT_EQ(r.status, 200);
  const auto anna = as("anna");
  EXPECT_EQ(search(anna, "snöröjning").size(), 0u);
  EXPECT_EQ(search(anna, "kvantfysiker").size(), 0u);
  // Vetlanda itself finds them.
  EXPECT_EQ(search(as("anna", "vetlanda"), "snöröjning", "", "vetlanda").size(), 2u);
  // An eksjo token at vetlanda is refused outright.
  EXPECT_EQ(srv->get("/t/vetlanda/api/v1/search?q=sn%C3%B6r%C3%B6jning", anna).status, 403);
}

TEST_F(content, AnyQueryIsSafe) {
  publish("Inköpspolicy för förvaltningen");
  const auto anna = as("anna");
  const std::vector<std::string> nasty = {
      "\"",
      "\"\"",
      "*",
      "^",
      ":",
      "(",
      ")",
      "AND",
      "OR",
      "NOT",
      "NEAR",
      "NEAR(a b)",
      "title:x",
      "{title}: x",
      "-x",
      "x*",
      "a OR",
      "'; DROP TABLE news; --",
      "\\",
      "ö*^\"",
      "x)(y",
      "%",
      "\xff\xfe",
      "förvaltningen OR (",
      "\"förvaltningen\"*",
      "a:b:c",
      std::string(150, '"'),
  };
  for (const auto& q : nasty) {
    for (const char* extra : {"", "&prefix=1"}) {
      auto r = srv->get("/t/eksjo/api/v1/search?q=" + enc(q) + extra, anna);
      EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    }
  }
}

TEST_F(content, BadSearchParametersAre400) {
  const auto anna = as("anna");
  for (const std::string& target : std::vector<std::string>{
           "/t/eksjo/api/v1/search",
           "/t/eksjo/api/v1/search?q=", "/t/eksjo/api/v1/search?q=a&type=x",
           "/t/eksjo/api/v1/search?q=a&limit=0", "/t/eksjo/api/v1/search?q=a&limit=9999",
           "/t/eksjo/api/v1/search?q=a&prefix=maybe", "/t/eksjo/api/v1/search?q=a&mode=fuzzy",
           "/t/eksjo/api/v1/search?q=" + std::string(500, 'a')}) {
    auto r = srv->get(target, anna);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_parameter") << target;
  }
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/search?q=a").status, 401);
}

// ---- Pages -----------------------------------------------------------------------------------

TEST_F(content, PagesTreeOwnerReviewAndVersions) {
  auto parent = page("editor", {{"title", "Resor"}, {"body", "<p>Om resor</p>"}});
  const auto pid = parent.at("id").as_int64();
  auto child =
      page("editor", {{"title", "Hur beställer jag en tjänsteresa?"},
                      {"body", "<p>Beställ via <b>reseportalen</b><script>x()</script></p>"},
                      {"parent_id", pid},
                      {"owner_email", "chef@eksjo.se"},
                      {"review_interval_days", 90}});
  const auto cid = child.at("id").as_int64();
  EXPECT_EQ(child.at("parent_id").as_int64(), pid);
  EXPECT_EQ(child.at("owner").at("name").as_string(), "Cecilia Chef");
  EXPECT_EQ(std::string(child.at("body").as_string()).find("script"), std::string::npos);

  const auto anna = as("anna");
  auto tree = get_json("/t/eksjo/api/v1/pages", anna);
  EXPECT_EQ(tree.at("items").as_array().size(), 2u);
  EXPECT_TRUE(has_title(search(anna, "tjänsteresor"), "Hur beställer jag en tjänsteresa?"));
  EXPECT_TRUE(
      has_title(search(anna, "reseportalen", "&type=page"), "Hur beställer jag en tjänsteresa?"));

  // The owner edits: a new version, the review date moves.
  const std::string path = "/t/eksjo/api/v1/pages/" + std::to_string(cid);
  auto r = srv->patch(path, body({{"body", "<p>Beställ via Resia</p>"}}), as("chef"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("version").as_int64(), 2);
  EXPECT_GE(r.json().at("review_at").as_string(), child.at("review_at").as_string());
  auto versions = get_json(path + "/versions", anna).at("items").as_array();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].at("editor").at("name").as_string(), "Cecilia Chef");
  EXPECT_EQ(versions[0].at("state").as_string(), "live");
  EXPECT_EQ(search(anna, "reseportalen").size(), 0u);
  EXPECT_EQ(search(anna, "resia").size(), 1u);

  // An employee neither creates nor edits pages; a cycle is refused.
  EXPECT_EQ(srv->post("/t/eksjo/api/v1/pages", body({{"title", "x"}, {"body", "y"}}), anna).status,
            403);
  EXPECT_EQ(srv->patch(path, body({{"title", "Hackad"}}), anna).status, 403);
  auto cyc = srv->patch("/t/eksjo/api/v1/pages/" + std::to_string(pid), body({{"parent_id", cid}}),
                        as("editor"));
  EXPECT_EQ(cyc.status, 400) << cyc.body;
  // A parent with children cannot be deleted; the child can.
  EXPECT_EQ(srv->del("/t/eksjo/api/v1/pages/" + std::to_string(pid), as("editor")).status, 409);
  EXPECT_EQ(srv->del(path, as("chef")).status, 204);
  EXPECT_EQ(srv->get(path, anna).status, 404);
  EXPECT_EQ(search(anna, "resia").size(), 0u);
}

TEST_F(content, ApprovalKeepsDraftsOutUntilApproved) {
  auto p = page("editor", {{"title", "Inköpsregler"},
                           {"body", "<p>Ramavtal gäller</p>"},
                           {"owner_email", "chef@eksjo.se"},
                           {"requires_approval", true}});
  const auto id = p.at("id").as_int64();
  const std::string path = "/t/eksjo/api/v1/pages/" + std::to_string(id);
  EXPECT_FALSE(p.at("live").as_bool());
  const auto anna = as("anna");
  EXPECT_EQ(srv->get(path, anna).status, 404);
  EXPECT_EQ(search(anna, "ramavtal").size(), 0u);
  // Only the owner or an admin approves.
  EXPECT_EQ(srv->post(path + "/approve", "{}", as("editor")).status, 403);
  auto ok = srv->post(path + "/approve", "{}", as("chef"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json().at("live").as_bool());
  EXPECT_EQ(srv->get(path, anna).status, 200);
  EXPECT_EQ(search(anna, "ramavtalen").size(), 1u);
  // An editor's change waits; the live text stays until the owner approves.
  auto r =
      srv->patch(path, body({{"body", "<p>Direktupphandling upp till gränsen</p>"}}), as("editor"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("pending_approval").as_bool());
  EXPECT_EQ(search(anna, "direktupphandling").size(), 0u);
  EXPECT_EQ(search(anna, "ramavtal").size(), 1u);
  ASSERT_EQ(srv->post(path + "/approve", "{}", as("admin")).status, 200);
  EXPECT_EQ(search(anna, "direktupphandling").size(), 1u);
  EXPECT_EQ(search(anna, "ramavtal").size(), 0u);
  EXPECT_EQ(srv->post(path + "/approve", "{}", as("admin")).status, 409);
}

TEST_F(content, ReviewReportForOwnersAndAdmins) {
  page("editor", {{"title", "Snart granskad"}, {"body", "x"}, {"review_interval_days", 5}});
  page("editor", {{"title", "Granskas om ett år"}, {"body", "x"}});
  page("editor", {{"title", "Chefens sida"},
                  {"body", "x"},
                  {"owner_email", "chef@eksjo.se"},
                  {"review_interval_days", 1}});
  auto mine = get_json("/t/eksjo/api/v1/pages/review", as("editor")).at("items").as_array();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].at("title").as_string(), "Snart granskad");
  EXPECT_FALSE(mine[0].at("overdue").as_bool());
  auto all = get_json("/t/eksjo/api/v1/pages/review?scope=all", as("admin")).at("items").as_array();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/pages/review?scope=all", as("editor")).status, 403);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/pages/review?scope=x", as("editor")).status, 400);
  // The start page lists the caller's own due pages.
  auto start = get_json("/t/eksjo/api/v1/start", as("chef"));
  ASSERT_EQ(start.at("pages_due_for_review").as_array().size(), 1u);
  EXPECT_EQ(start.at("pages_due_for_review").at(0).at("title").as_string(), "Chefens sida");
}

TEST_F(content, BadPageInputChangesNothing) {
  const auto editor = as("editor");
  const std::vector<std::string> bad = {
      "{",
      "[]",
      body({{"title", "x"}}),
      body({{"title", ""}, {"body", "x"}}),
      body({{"title", 5}, {"body", "x"}}),
      body({{"title", "x"}, {"body", "x"}, {"extra", 1}}),
      body({{"title", "x"}, {"body", "x"}, {"parent_id", 999999}}),
      body({{"title", "x"}, {"body", "x"}, {"parent_id", -1}}),
      body({{"title", "x"}, {"body", "x"}, {"owner_email", "ingen@eksjo.se"}}),
      body({{"title", "x"}, {"body", "x"}, {"review_interval_days", 0}}),
      body({{"title", "x"}, {"body", "x"}, {"review_interval_days", 100000}}),
      body({{"title", "x"}, {"body", "x"}, {"publish_at", "igår"}}),
      body({{"title", "x"},
            {"body", "x"},
            {"publish_at", "2030-01-02T00:00:00Z"},
            {"unpublish_at", "2030-01-01T00:00:00Z"}}),
      body({{"title", std::string(400, 'x')}, {"body", "x"}}),
  };
  for (const auto& b : bad) {
    auto r = srv->post("/t/eksjo/api/v1/pages", b, editor);
    EXPECT_GE(r.status, 400) << b << ": " << r.body;
    EXPECT_LT(r.status, 500) << b << ": " << r.body;
    EXPECT_FALSE(r.error_code().empty()) << b;
  }
  EXPECT_EQ(get_json("/t/eksjo/api/v1/pages", editor).at("items").as_array().size(), 0u);
  auto audit = get_json("/t/eksjo/api/v1/audit?item_type=page", as("admin"));
  EXPECT_EQ(audit.at("items").as_array().size(), 0u);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/pages/abc", editor).status, 404);
  EXPECT_EQ(srv->patch("/t/eksjo/api/v1/pages/424242", body({{"title", "x"}}), editor).status, 404);
}

TEST_F(content, ScheduledPagesAppearOnlyInTheirWindow) {
  auto p = page("editor", {{"title", "Framtida sida"},
                           {"body", "<p>Nyårsfirande</p>"},
                           {"publish_at", "2099-01-01T00:00:00Z"}});
  const auto anna = as("anna");
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/pages/" + std::to_string(p.at("id").as_int64()), anna).status,
            404);
  EXPECT_EQ(search(anna, "nyårsfirande").size(), 0u);
  auto r = srv->patch("/t/eksjo/api/v1/pages/" + std::to_string(p.at("id").as_int64()),
                      body({{"publish_at", ""}}), as("editor"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(search(anna, "nyårsfirande").size(), 1u);
}

// ---- Guides ----------------------------------------------------------------------------------

TEST_F(content, GuidesHaveOrderedStepsAndAreSearchable) {
  json::array steps{json::object{{"text", "Logga in i reseportalen"}},
                    json::object{{"text", "Välj resmål och datum"}, {"image", "/bilder/steg2.png"}},
                    json::object{{"text", "Skicka för attest"}}};
  auto r = srv->post("/t/eksjo/api/v1/guides",
                     body({{"title", "Boka tjänsteresa"}, {"steps", steps}}), as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  auto g = get_json("/t/eksjo/api/v1/guides/" + std::to_string(id), as("anna"));
  ASSERT_EQ(g.at("steps").as_array().size(), 3u);
  EXPECT_EQ(g.at("steps").at(1).at("image").as_string(), "/bilder/steg2.png");
  EXPECT_TRUE(has_title(search(as("anna"), "attesten", "&type=guide"), "Boka tjänsteresa"));
  EXPECT_EQ(
      srv->post("/t/eksjo/api/v1/guides", body({{"title", "x"}, {"steps", steps}}), as("anna"))
          .status,
      403);
  for (const auto& b :
       {body({{"title", "x"}}), body({{"title", "x"}, {"steps", json::array{}}}),
        body({{"title", "x"}, {"steps", json::array{1}}}),
        body({{"title", "x"}, {"steps", json::array{json::object{{"img", "x"}}}}})}) {
    auto bad = srv->post("/t/eksjo/api/v1/guides", b, as("editor"));
    EXPECT_EQ(bad.status, 400) << b << ": " << bad.body;
  }
  ASSERT_EQ(srv->del("/t/eksjo/api/v1/guides/" + std::to_string(id), as("editor")).status, 204);
  EXPECT_EQ(search(as("anna"), "attesten").size(), 0u);
}

// ---- Start page, links, profiles -------------------------------------------------------------

TEST_F(content, StartPageNewsSwitchLinksAndProfileStrength) {
  publish("Nyhet för Hemtjänst", {{"units", json::array{"Hemtjänst"}}});
  publish("Nyhet för Skolan", {{"units", json::array{"Skolan"}}});
  publish("Nyhet för alla");
  const auto anna = as("anna");
  auto add = [&](const char* title, const char* url) {
    auto r = srv->post("/t/eksjo/api/v1/me/links", body({{"title", title}, {"url", url}}), anna);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").as_int64() : 0;
  };
  const auto a = add("Lönesystemet", "https://lon.eksjo.se");
  const auto b = add("Telefonlista", "/t/eksjo/telefon");
  const auto c = add("Schema", "http://schema.eksjo.se/");
  auto moved =
      srv->patch("/t/eksjo/api/v1/me/links/" + std::to_string(c), body({{"position", 1}}), anna);
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto start = get_json("/t/eksjo/api/v1/start", anna);
  std::set<std::string> news;
  for (auto& n : start.at("news").at("items").as_array())
    news.insert(std::string(n.at("title").as_string()));
  EXPECT_EQ(news, (std::set<std::string>{"Nyhet för Hemtjänst", "Nyhet för alla"}));
  auto all = get_json("/t/eksjo/api/v1/start?scope=all", anna);
  EXPECT_EQ(all.at("news").at("items").as_array().size(), 3u);
  auto links = start.at("links").as_array();
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].at("id").as_int64(), c);
  EXPECT_EQ(links[1].at("id").as_int64(), a);
  EXPECT_EQ(links[2].at("id").as_int64(), b);
  EXPECT_TRUE(start.at("recent_documents").is_array());
  const auto before = start.at("profile_strength").at("score").as_int64();
  EXPECT_LT(before, 100);

  // Links are private: another person cannot touch them; bad URLs are refused.
  EXPECT_EQ(srv->del("/t/eksjo/api/v1/me/links/" + std::to_string(a), as("bo")).status, 404);
  for (const char* url : {"javascript:alert(1)", "//evil.example", "data:text/html,x", "ftp://x",
                          "https://", "https://a b"}) {
    auto r = srv->post("/t/eksjo/api/v1/me/links", body({{"title", "x"}, {"url", url}}), anna);
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
  }
  EXPECT_EQ(get_json("/t/eksjo/api/v1/me/links", anna).at("items").as_array().size(), 3u);
  EXPECT_EQ(srv->del("/t/eksjo/api/v1/me/links/" + std::to_string(a), anna).status, 204);
  EXPECT_EQ(get_json("/t/eksjo/api/v1/me/links", anna).at("items").as_array().size(), 2u);

  // Filling in the profile raises its strength and empties "missing".
  auto r = srv->patch("/t/eksjo/api/v1/me/profile",
                      body({{"title", "Undersköterska"},
                            {"phone", "+46 381-123 45"},
                            {"about", "Jobbar i hemtjänsten sedan 2015."},
                            {"skills", "Teckenspråk"}}),
                      anna);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GT(r.json().at("profile_strength").at("score").as_int64(), before);
  auto missing = r.json().at("profile_strength").at("missing").as_array();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].as_string(), "photo");
  EXPECT_EQ(srv->patch("/t/eksjo/api/v1/me/profile", body({{"phone", "ring mig"}}), anna).status,
            400);
}

TEST_F(content, ProfilePhotoIsTypeAndSizeChecked) {
  const auto anna = as("anna");
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  request put;
  put.method = "PUT";
  put.target = "/t/eksjo/api/v1/me/photo";
  put.headers["Authorization"] = "Bearer " + anna;
  put.content_type = "image/png";
  put.body = png;
  auto r = srv->send(put);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto id = r.json().at("id").as_int64();
  auto photo = srv->get("/t/eksjo/api/v1/people/" + std::to_string(id) + "/photo", as("bo"));
  ASSERT_EQ(photo.status, 200);
  EXPECT_EQ(photo.headers["content-type"], "image/png");
  EXPECT_EQ(photo.body, png);
  // Not an image, a lying Content-Type, or too large: 4xx.
  put.body = "<svg onload=alert(1)>";
  EXPECT_EQ(srv->send(put).status, 400);
  put.content_type = "image/svg+xml";
  EXPECT_EQ(srv->send(put).status, 415);
  put.content_type = "image/png";
  put.body = png + std::string(950 * 1024, 'x');
  const auto big = srv->send(put).status;
  EXPECT_GE(big, 400);
  EXPECT_LT(big, 500);
  photo = srv->get("/t/eksjo/api/v1/people/" + std::to_string(id) + "/photo", as("bo"));
  EXPECT_EQ(photo.body, png);  // unchanged
}

// ---- Audit -----------------------------------------------------------------------------------

TEST_F(content, AuditTrailForAdminsFilterableAndExportable) {
  const auto news_id = publish("Granskad nyhet");
  auto p = page("editor", {{"title", "Granskad sida"}, {"body", "x"}});
  ASSERT_EQ(srv->del("/t/eksjo/api/v1/news/" + std::to_string(news_id), as("editor")).status, 204);
  const auto admin = as("admin");
  auto all = get_json("/t/eksjo/api/v1/audit", admin).at("items").as_array();
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0].at("action").as_string(), "news.delete");
  EXPECT_EQ(all[0].at("actor").at("email").as_string(), "editor@eksjo.se");
  auto pages = get_json("/t/eksjo/api/v1/audit?item_type=page", admin).at("items").as_array();
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].at("item").at("id").as_int64(), p.at("id").as_int64());
  // Pagination.
  auto first = get_json("/t/eksjo/api/v1/audit?limit=1", admin);
  ASSERT_TRUE(first.at("next_cursor").is_string());
  auto second = get_json(
      "/t/eksjo/api/v1/audit?limit=1&cursor=" + std::string(first.at("next_cursor").as_string()),
      admin);
  EXPECT_NE(second.at("items").at(0).at("id").as_int64(),
            first.at("items").at(0).at("id").as_int64());
  // Exports.
  auto csv = srv->get("/t/eksjo/api/v1/audit?format=csv", admin);
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.headers["content-type"].find("text/csv"), std::string::npos);
  EXPECT_NE(csv.body.find("news.create"), std::string::npos);
  auto jsonl = srv->get("/t/eksjo/api/v1/audit?format=jsonl&action=page.create", admin);
  ASSERT_EQ(jsonl.status, 200);
  EXPECT_EQ(std::count(jsonl.body.begin(), jsonl.body.end(), '\n'), 1);
  // Only admins; bad filters are 400.
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/audit", as("editor")).status, 403);
  for (const char* q : {"?format=xml", "?limit=0", "?since=igår", "?cursor=zzz", "?item_id=-1"})
    EXPECT_EQ(srv->get(std::string("/t/eksjo/api/v1/audit") + q, admin).status, 400) << q;
  // Another tenant's trail is its own: only the operator's provisioning of its people and units.
  const auto theirs = get_json("/t/vetlanda/api/v1/audit?limit=100", as("admin", "vetlanda"));
  for (const auto& e : theirs.at("items").as_array())
    EXPECT_EQ(e.at("actor").at("email").as_string(), "operator") << json::serialize(e);
}

// ---- Documents -------------------------------------------------------------------------------

class documents : public content {
 protected:
  response upload(const std::string& token, const std::string& query, const std::string& bytes,
                  const std::string& type = "text/plain; charset=utf-8",
                  const std::string& slug = "eksjo",
                  const std::string& path = "/api/v1/documents") {
    request r;
    r.method = "POST";
    r.target = "/t/" + slug + path + "?" + query;
    r.headers["Authorization"] = "Bearer " + token;
    r.content_type = type;
    r.body = bytes;
    return srv->send(r);
  }
  // Leftover temp files of uploads in a tenant's folder (must always be none).
  std::size_t spooled_files(const std::string& slug = "eksjo") {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(
             dir.path() / "tenants" / slug / "files" / ".uploads", ec);
         !ec && it != std::filesystem::directory_iterator(); ++it)
      ++n;
    return n;
  }
};

TEST_F(documents, UploadDownloadVersionsAndSearch) {
  const auto editor = as("editor");
  auto r = upload(editor, "name=" + enc("Resepolicy 2026.txt") + "&title=" + enc("Resepolicy"),
                  "Tjänsteresor bokas i reseportalen. Förskott betalas inte ut.");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  EXPECT_EQ(r.json().at("content_type").as_string(), "text/plain");
  const std::string base = "/t/eksjo/api/v1/documents/" + std::to_string(id);
  const auto anna = as("anna");
  EXPECT_TRUE(has_title(search(anna, "tjänsteresa", "&type=document"), "Resepolicy"));
  auto dl = srv->get(base + "/content", anna);
  ASSERT_EQ(dl.status, 200) << dl.body;
  EXPECT_EQ(dl.body, "Tjänsteresor bokas i reseportalen. Förskott betalas inte ut.");
  EXPECT_EQ(dl.headers["content-type"], "text/plain");
  EXPECT_NE(dl.headers["content-disposition"].find("attachment"), std::string::npos);
  EXPECT_NE(dl.headers["content-disposition"].find("filename*=UTF-8''Resepolicy%202026.txt"),
            std::string::npos)
      << dl.headers["content-disposition"];

  // A second version, larger than the 1 MiB in-memory body limit: streamed to disk.
  std::string big(3 * 1024 * 1024, 'a');
  big += " Slutord";
  auto v2 = upload(editor, "name=policy.txt", big, "text/plain", "eksjo",
                   "/api/v1/documents/" + std::to_string(id) + "/versions");
  ASSERT_EQ(v2.status, 201) << v2.body;
  EXPECT_EQ(v2.json().at("version").as_int64(), 2);
  EXPECT_EQ(v2.json().at("versions").as_array().size(), 2u);
  EXPECT_EQ(srv->get(base + "/content", anna).body.size(), big.size());
  EXPECT_EQ(srv->get(base + "/content?version=1", anna).body.size(), 62u);
  EXPECT_EQ(srv->get(base + "/content?version=9", anna).status, 404);
  EXPECT_EQ(srv->get(base + "/content?version=x", anna).status, 400);

  // Recently used documents on the start page.
  auto start = get_json("/t/eksjo/api/v1/start", anna);
  ASSERT_EQ(start.at("recent_documents").as_array().size(), 1u);
  EXPECT_EQ(start.at("recent_documents").at(0).at("title").as_string(), "Resepolicy");

  ASSERT_EQ(srv->del(base, editor).status, 204);
  EXPECT_EQ(srv->get(base + "/content", anna).status, 404);
  EXPECT_EQ(search(anna, "förskott").size(), 0u);
  EXPECT_EQ(spooled_files(), 0u);
}

TEST_F(documents, RefusedUploadsLeaveNothingBehind) {
  const auto anna = as("anna");
  EXPECT_EQ(upload(anna, "name=a.txt", "hej").status, 403);
  const auto editor = as("editor");
  EXPECT_EQ(upload(editor, "", "hej").status, 400);                // no file name
  EXPECT_EQ(upload(editor, "name=a%2Fb.txt", "hej").status, 400);  // a path
  EXPECT_EQ(upload(editor, "name=tom.txt", "").status, 400);       // empty
  EXPECT_EQ(
      upload(editor, "name=a.txt", "hej", "text/plain", "eksjo", "/api/v1/documents/999/versions")
          .status,
      404);
  EXPECT_EQ(srv->post("/t/eksjo/api/v1/documents?name=a.txt", "hej").status, 401);
  // Over the upload limit: 413 from the headers alone, before any body is read.
  auto head = [&](const std::string& path) {
    return srv->raw("POST /t/eksjo" + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Authorization: Bearer " +
                    editor +
                    "\r\nContent-Type: text/plain\r\n"
                    "Content-Length: " +
                    std::to_string(51 * 1024 * 1024) + "\r\n\r\n");
  };
  EXPECT_EQ(head("/api/v1/documents?name=huge.bin").rfind("HTTP/1.1 413", 0), 0u);
  // Other routes keep the 1 MiB limit.
  EXPECT_EQ(head("/api/v1/news").rfind("HTTP/1.1 413", 0), 0u);
  EXPECT_EQ(spooled_files(), 0u);
  auto audit = get_json("/t/eksjo/api/v1/audit?item_type=document", as("admin"));
  EXPECT_EQ(audit.at("items").as_array().size(), 0u);
}

TEST_F(documents, AnotherTenantsDocumentsStayThere) {
  auto r = upload(as("editor", "vetlanda"), "name=plogning.txt", "Plogningsrutiner för Vetlanda",
                  "text/plain", "vetlanda");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  const auto anna = as("anna");
  EXPECT_EQ(search(anna, "plogningsrutiner").size(), 0u);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/documents/" + std::to_string(id) + "/content", anna).status,
            404);
  EXPECT_EQ(
      srv->get("/t/vetlanda/api/v1/documents/" + std::to_string(id) + "/content", anna).status,
      403);
}

}  // namespace
}  // namespace samverka::testing
