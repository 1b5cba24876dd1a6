// Every contract endpoint of the platform foundation, through the real server over HTTP.
#include "fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;

TEST_F(platform, HealthReadinessAndMetrics) {
  EXPECT_EQ(srv->get("/healthz").status, 200);
  EXPECT_EQ(srv->get("/readyz").status, 200);
  srv->get("/t/eksjo/api/v1/me");
  auto m = srv->get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("samverka_http_requests_total"), std::string::npos);
  // Route templates, never raw paths, label the metrics.
  EXPECT_EQ(m.body.find("/t/eksjo"), std::string::npos);
}

TEST_F(platform, LoginGivesTokenUserAndSafeCookie) {
  auto r = srv->post("/t/eksjo/api/v1/auth/login",
                     body({{"email", "Anna@Eksjo.se"}, {"password", demo_password}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json().as_object();
  EXPECT_FALSE(j.at("token").as_string().empty());
  EXPECT_EQ(j.at("user").at("email").as_string(), "anna@eksjo.se");
  EXPECT_EQ(j.at("user").at("name").as_string(), "Anna Andersson");
  auto cookies = r.headers["set-cookie"];
  EXPECT_NE(cookies.find("samverka_session="), std::string::npos);
  EXPECT_NE(cookies.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies.find("SameSite=Lax"), std::string::npos);
}

TEST_F(platform, UnknownEmailAndWrongPasswordAreTheSame401) {
  auto wrong = srv->post("/t/eksjo/api/v1/auth/login",
                         body({{"email", "anna@eksjo.se"}, {"password", "fel-lösenord"}}));
  auto unknown = srv->post("/t/eksjo/api/v1/auth/login",
                           body({{"email", "ingen@eksjo.se"}, {"password", "fel-lösenord"}}));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
}

TEST_F(platform, LoginIsThrottledPerAccount) {
  int last = 0;
  for (int i = 0; i < 30 && last != 429; ++i)
    last =
        srv->post("/t/eksjo/api/v1/auth/login",
                  body({{"email", "bo@eksjo.se"}, {"password", "gissning-" + std::to_string(i)}}))
            .status;
  EXPECT_EQ(last, 429);
  // Even the right password is refused while the account is throttled.
  auto r = srv->post("/t/eksjo/api/v1/auth/login",
                     body({{"email", "bo@eksjo.se"}, {"password", demo_password}}));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.error_code(), "too_many_attempts");
  // Other accounts are unaffected.
  EXPECT_FALSE(as("anna").empty());
}

TEST_F(platform, LogoutRevokesTheToken) {
  auto token = as("anna");
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", token).status, 200);
  EXPECT_EQ(srv->post("/t/eksjo/api/v1/auth/logout", "", token).status, 204);
  auto r = srv->get("/t/eksjo/api/v1/me", token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.error_code(), "unauthenticated");
}

TEST_F(platform, MeDescribesUserTenantAndMemberships) {
  auto r = srv->get("/t/eksjo/api/v1/me", as("chef"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json().as_object();
  EXPECT_EQ(j.at("user").at("email").as_string(), "chef@eksjo.se");
  auto roles = j.at("user").at("roles").as_array();
  EXPECT_NE(std::find(roles.begin(), roles.end(), json::value("manager")), roles.end());
  EXPECT_NE(std::find(roles.begin(), roles.end(), json::value("employee")), roles.end());
  EXPECT_EQ(j.at("user").at("units").as_array().size(), 1u);
  EXPECT_EQ(j.at("tenant").at("slug").as_string(), "eksjo");
  EXPECT_EQ(j.at("tenant").at("name").as_string(), "Eksjö kommun");
  ASSERT_EQ(j.at("memberships").as_array().size(), 1u);
}

TEST_F(platform, CookieSessionNeedsCsrfHeaderForWrites) {
  auto r = srv->post("/t/eksjo/api/v1/auth/login",
                     body({{"email", "editor@eksjo.se"}, {"password", demo_password}}));
  ASSERT_EQ(r.status, 200);
  std::string token(r.json().at("token").as_string());
  std::string csrf(r.json().at("csrf_token").as_string());
  request get;
  get.target = "/t/eksjo/api/v1/me";
  get.headers["Cookie"] = "samverka_session=" + token;
  EXPECT_EQ(srv->send(get).status, 200);
  request post;
  post.method = "POST";
  post.target = "/t/eksjo/api/v1/news";
  post.body = body({{"title", "Via cookie"}, {"body", "x"}});
  post.headers["Cookie"] = "samverka_session=" + token;
  auto refused = srv->send(post);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.error_code(), "csrf_required");
  post.headers["X-CSRF-Token"] = csrf;
  EXPECT_EQ(srv->send(post).status, 201);
  EXPECT_EQ(titles(as("anna")).count("Via cookie"), 1u);
}

TEST_F(platform, NewsRoundTripHasTheContractShape) {
  auto editor = as("editor");
  auto r = srv->post("/t/eksjo/api/v1/news",
                     body({{"title", "Ny förskola öppnar"},
                           {"summary", "Invigning i maj"},
                           {"body", "<p>Välkomna <strong>alla</strong></p>"}}),
                     editor);
  ASSERT_EQ(r.status, 201) << r.body;
  auto n = r.json().as_object();
  for (auto* key :
       {"id", "title", "summary", "body", "published_at", "author", "audience", "source"})
    EXPECT_TRUE(n.contains(key)) << key;
  EXPECT_EQ(n.at("title").as_string(), "Ny förskola öppnar");
  EXPECT_EQ(n.at("author").at("name").as_string(), "Eva Redaktör");
  EXPECT_TRUE(n.at("source").is_null());
  EXPECT_TRUE(n.at("audience").at("units").as_array().empty());
  std::string published(n.at("published_at").as_string());
  EXPECT_EQ(published.back(), 'Z');
  auto id = n.at("id").to_number<std::int64_t>();
  auto got = srv->get("/t/eksjo/api/v1/news/" + std::to_string(id), as("bo"));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json().at("body").as_string(), "<p>Välkomna <strong>alla</strong></p>");
}

TEST_F(platform, AudiencesByUnitIncludeSubUnitsAndRolesAreRespected) {
  publish("Till alla");
  publish("Till socialförvaltningen", {{"units", json::array{"Socialförvaltningen"}}});
  publish("Till skolan", {{"units", json::array{"Skolan"}}});
  publish("Till chefer", {{"roles", json::array{"manager"}}});
  publish("Till chefer i hemtjänst",
          {{"units", json::array{"Hemtjänst"}}, {"roles", json::array{"manager"}}});

  using set = std::set<std::string>;
  // Anna works in Hemtjänst, a sub-unit of Socialförvaltningen.
  EXPECT_EQ(titles(as("anna")), (set{"Till alla", "Till socialförvaltningen"}));
  EXPECT_EQ(titles(as("bo")), (set{"Till alla", "Till skolan"}));
  EXPECT_EQ(titles(as("chef")), (set{"Till alla", "Till socialförvaltningen", "Till chefer",
                                     "Till chefer i hemtjänst"}));
  // scope=all: every department's news, but never role-targeted news meant for others.
  EXPECT_EQ(titles(as("bo"), "all"), (set{"Till alla", "Till socialförvaltningen", "Till skolan"}));
  EXPECT_EQ(titles(as("chef"), "all").size(), 5u);
}

TEST_F(platform, RoleTargetedNewsIsInvisibleByIdToOthers) {
  auto id = publish("Lönesamtal för chefer", {{"roles", json::array{"manager"}}});
  auto path = "/t/eksjo/api/v1/news/" + std::to_string(id);
  EXPECT_EQ(srv->get(path, as("chef")).status, 200);
  auto hidden = srv->get(path, as("anna"));
  EXPECT_EQ(hidden.status, 404);
  EXPECT_FALSE(hidden.error_code().empty());
  EXPECT_EQ(hidden.body.find("Lönesamtal"), std::string::npos);
}

TEST_F(platform, CursorPaginationIsNewestFirstWithoutDuplicates) {
  for (int i = 0; i < 25; ++i) publish("Nyhet " + std::to_string(i));
  auto token = as("anna");
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string target = "/t/eksjo/api/v1/news?limit=10";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto r = srv->get(target, token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json().as_object();
    for (auto& it : j.at("items").as_array()) seen.emplace_back(it.at("title").as_string());
    if (j.at("next_cursor").is_null()) break;
    cursor = std::string(j.at("next_cursor").as_string());
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "Nyhet 24");
  EXPECT_EQ(seen.back(), "Nyhet 0");
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);
}

TEST_F(platform, EditorsPatchAndDeleteOthersCannot) {
  auto id = publish("Utkast");
  auto path = "/t/eksjo/api/v1/news/" + std::to_string(id);
  EXPECT_EQ(srv->patch(path, body({{"title", "Klart"}}), as("anna")).status, 403);
  auto r =
      srv->patch(path, body({{"title", "Klart"}, {"audience", {{"units", json::array{"Skolan"}}}}}),
                 as("editor"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("title").as_string(), "Klart");
  EXPECT_EQ(r.json().at("body").as_string(), "<p>Utkast</p>");
  EXPECT_EQ(titles(as("anna")).count("Klart"), 0u);  // re-targeted to Skolan
  EXPECT_EQ(titles(as("bo")).count("Klart"), 1u);
  EXPECT_EQ(srv->del(path, as("anna")).status, 403);
  EXPECT_EQ(srv->del(path, as("editor")).status, 204);
  EXPECT_EQ(srv->get(path, as("editor")).status, 404);
  EXPECT_EQ(srv->del(path, as("editor")).status, 404);
  EXPECT_EQ(
      srv->post("/t/eksjo/api/v1/news", body({{"title", "x"}, {"body", "y"}}), as("anna")).status,
      403);
}

TEST_F(platform, BodiesAreSanitisedAgainstStoredXss) {
  auto r = srv->post("/t/eksjo/api/v1/news",
                     body({{"title", "<script>alert(1)</script>"},
                           {"body",
                            "<p onclick=\"steal()\">Hej</p><script>alert(1)</script><a "
                            "href=\"javascript:alert(1)\">x</a>"
                            "<img src=x onerror=alert(1)>"}}),
                     as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string b(r.json().at("body").as_string());
  for (auto* bad : {"<script", "onclick", "javascript:", "onerror"})
    EXPECT_EQ(b.find(bad), std::string::npos) << bad << " in " << b;
  EXPECT_NE(b.find("Hej"), std::string::npos);
  // Titles are plain text: returned as given, escaping is the client's job (JSON string).
  EXPECT_EQ(r.json().at("title").as_string(), "<script>alert(1)</script>");
}

TEST_F(platform, HostHeaderAndPathPrefixReachTheSameTenant) {
  auto token = as("anna");
  request r;
  r.target = "/api/v1/me";
  r.host = "eksjo.localhost:" + std::to_string(srv->port());
  r.headers["Authorization"] = "Bearer " + token;
  auto by_host = srv->send(r);
  ASSERT_EQ(by_host.status, 200) << by_host.body;
  EXPECT_EQ(by_host.json().at("tenant").at("slug").as_string(), "eksjo");
  r.host = "EKSJO.LOCALHOST";
  EXPECT_EQ(srv->send(r).status, 200);
}

TEST_F(platform, StartPageNamesTheMunicipality) {
  request r;
  r.target = "/";
  r.host = "eksjo.localhost";
  auto page = srv->send(r);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("Eksjö kommun"), std::string::npos);
  EXPECT_NE(page.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
}

TEST_F(platform, SharingWithANonPartnerPublishesNothing) {
  ASSERT_EQ(ctl(dir.path(), {"tenant", "create", "mora", "--name", "Mora kommun"}).exit_code, 0);
  auto before = titles(as("editor"), "all");
  auto r = srv->post("/t/eksjo/api/v1/news",
                     body({{"title", "Delad"}, {"body", "x"}, {"share_with", json::array{"mora"}}}),
                     as("editor"));
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  EXPECT_EQ(titles(as("editor"), "all"), before);
}

}  // namespace
}  // namespace samverka::testing
