// The app (router, tenant resolution, auth, handlers) against a real registry and real tenant
// stores in a temporary data dir, without sockets: http_request in, http_response out.
#include "app.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <filesystem>
#include <thread>

#include "samverka/core/crypto.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::gateway {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string header(const http_response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

std::vector<std::string> headers(const http_response& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers)
    if (n == name) out.push_back(v);
  return out;
}

std::string code_of(const http_response& r) {
  return std::string(json::parse(r.body).at("error").at("code").as_string());
}

class App : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("samverka-app-test-" + crypto::random_token(6));
    auto reg = provisioning::registry::open(dir_);
    ASSERT_TRUE(reg.has_value()) << reg.err().message;
    reg_ = *reg;
    ASSERT_TRUE(reg_->create_tenant("eksjo", "Eksjö kommun", {"eksjo.se"}).has_value());
    ASSERT_TRUE(reg_->create_tenant("vetlanda", "Vetlanda kommun", {"vetlanda.se"}).has_value());
    ASSERT_TRUE(reg_->create_tenant("aneby", "Aneby kommun", {"aneby.se"}).has_value());
    auto eksjo = open_store("eksjo");
    ASSERT_TRUE(eksjo->add_unit("IT", std::nullopt).has_value());
    ASSERT_TRUE(eksjo->add_unit("Support", std::string_view("IT")).has_value());
    ASSERT_TRUE(eksjo->add_unit("Skola", std::nullopt).has_value());
    add_user(*eksjo, "eksjo", "anna@eksjo.se", "Anna", tenant::bit(tenant::role::editor), {"IT"},
             "anna-password");
    add_user(*eksjo, "eksjo", "bo@eksjo.se", "Bo", 0, {"Support"}, "bo-password");
    add_user(*eksjo, "eksjo", "cilla@eksjo.se", "Cilla", tenant::bit(tenant::role::admin),
             {"Skola"}, "cilla-password");
    // Anna is cross-employed in Vetlanda (no password there).
    auto vetlanda = open_store("vetlanda");
    add_user(*vetlanda, "vetlanda", "anna@eksjo.se", "Anna", 0, {}, std::nullopt);

    app_config cfg;
    cfg.data_dir = dir_;
    auto a = app::open(cfg);
    ASSERT_TRUE(a.has_value()) << a.err().message;
    app_ = std::move(a.value());
  }

  void TearDown() override {
    app_.reset();
    reg_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::shared_ptr<tenant::store> open_store(const std::string& slug) {
    auto s = tenant::store::open(slug, tenant::pool::tenant_dir(dir_, slug));
    EXPECT_TRUE(s.has_value());
    return s.value();
  }

  void add_user(tenant::store& s, const std::string& slug, std::string email, std::string name,
                tenant::role_mask roles, std::vector<std::string> units,
                std::optional<std::string> password) {
    tenant::new_user u;
    u.email = email;
    u.name = std::move(name);
    u.roles = static_cast<tenant::role_mask>(roles | tenant::bit(tenant::role::employee));
    u.units = std::move(units);
    u.password = std::move(password);
    ASSERT_TRUE(s.add_user(u).has_value());
    ASSERT_TRUE(reg_->add_membership(email, slug).has_value());
  }

  http_response call(std::string method, std::string target, std::string body = "",
                     std::vector<std::pair<std::string, std::string>> hdrs = {},
                     std::string host = "127.0.0.1:8080") {
    http_request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.host = std::move(host);
    r.headers = std::move(hdrs);
    if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
    r.body = std::move(body);
    r.remote_addr = "192.0.2.1";
    return app_->handle(r);
  }

  // Logs in at `slug` and returns the token.
  std::string login(const std::string& slug, const std::string& email, const std::string& pw) {
    auto res = call("POST", "/t/" + slug + "/api/v1/auth/login",
                    json::serialize(json::object{{"email", email}, {"password", pw}}));
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) return "";
    return std::string(json::parse(res.body).at("token").as_string());
  }

  http_response as(const std::string& token, std::string method, std::string target,
                   std::string body = "") {
    return call(std::move(method), std::move(target), std::move(body),
                {{"authorization", "Bearer " + token}});
  }

  fs::path dir_;
  std::shared_ptr<provisioning::registry> reg_;
  std::unique_ptr<app> app_;
};

TEST_F(App, PlatformEndpoints) {
  auto r = call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(call("GET", "/healthz", "", {}, "eksjo.localhost").status, 200);  // any host
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  r = call("POST", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET");
  call("GET", "/t/eksjo/api/v1/news/12");
  r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("samverka_http_requests_total{method=\"GET\",route=\"/api/v1/news/{id}\""),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("news/12"), std::string::npos);  // never raw paths
  EXPECT_NE(r.body.find("samverka_open_tenant_stores"), std::string::npos);
  app_->on_drain();
  EXPECT_EQ(call("GET", "/readyz").status, 503);
}

TEST_F(App, TenantResolution) {
  EXPECT_EQ(code_of(call("GET", "/api/v1/me")), "tenant_not_found");
  EXPECT_EQ(code_of(call("GET", "/t/nassjo/api/v1/me")), "tenant_not_found");
  EXPECT_EQ(code_of(call("GET", "/api/v1/me", "", {}, "nassjo.localhost")), "tenant_not_found");
  EXPECT_EQ(call("GET", "/api/v1/me", "", {}, "eksjo.localhost:8080").status, 401);
  EXPECT_EQ(call("GET", "/t/eksjo/api/v1/me").status, 401);
  auto r = call("GET", "/t/eksjo/api/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code_of(r), "not_found");
  // Sharing endpoints exist now (sharing feature) and need a sign-in like every member route.
  EXPECT_EQ(call("GET", "/t/eksjo/api/v1/sharing/inbox").status, 401);
  r = call("PUT", "/t/eksjo/api/v1/news");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, POST");
}

TEST_F(App, HomePage) {
  auto r = call("GET", "/", "", {}, "eksjo.localhost");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("lang=\"sv\""), std::string::npos);
  EXPECT_NE(r.body.find("Eksjö kommun"), std::string::npos);
  EXPECT_NE(r.body.find("<h1 id=\"page-title\" tabindex=\"-1\">Eksjö kommun</h1>"),
            std::string::npos);
  // The web front end (static_assets.hpp): scripts only from files, no inline styles.
  EXPECT_NE(r.body.find("<script type=\"module\" src=\"/assets/"), std::string::npos);
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
  EXPECT_EQ(r.body.find("<style"), std::string::npos);
  EXPECT_EQ(r.body.find(" style="), std::string::npos);
  EXPECT_EQ(header(r, "Content-Security-Policy"),
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  r = call("GET", "/t/eksjo/");
  EXPECT_NE(r.body.find("src=\"/t/eksjo/assets/"), std::string::npos);
}

TEST_F(App, Login) {
  auto r = call("POST", "/t/eksjo/api/v1/auth/login",
                R"({"email":"Anna@Eksjo.se","password":"anna-password"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json::parse(r.body).as_object();
  const std::string token(body.at("token").as_string());
  EXPECT_TRUE(token.starts_with("eksjo."));
  EXPECT_EQ(body.at("csrf_token").as_string(), csrf_token_for(token));
  EXPECT_EQ(body.at("user").at("email").as_string(), "anna@eksjo.se");
  EXPECT_EQ(body.at("user").at("roles"), (json::array{"employee", "editor"}));
  EXPECT_EQ(body.at("user").at("units"), (json::array{"IT"}));
  EXPECT_TRUE(body.contains("expires_at"));
  const auto cookies = headers(r, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_TRUE(cookies[0].starts_with("samverka_session=" + token + ";"));
  EXPECT_NE(cookies[0].find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies[0].find("SameSite=Lax"), std::string::npos);
  EXPECT_TRUE(cookies[1].starts_with("samverka_csrf="));
  EXPECT_EQ(cookies[1].find("HttpOnly"), std::string::npos);

  // Wrong password and unknown e-mail: the same answer.
  auto wrong = call("POST", "/t/eksjo/api/v1/auth/login",
                    R"({"email":"anna@eksjo.se","password":"nope-nope"})");
  auto unknown = call("POST", "/t/eksjo/api/v1/auth/login",
                      R"({"email":"zed@eksjo.se","password":"nope-nope"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(code_of(wrong), "invalid_credentials");
  // Only the home tenant authenticates: Anna cannot sign in at Vetlanda.
  EXPECT_EQ(call("POST", "/t/vetlanda/api/v1/auth/login",
                 R"({"email":"anna@eksjo.se","password":"anna-password"})")
                .status,
            401);
  // Input errors are 4xx, never 5xx.
  EXPECT_EQ(code_of(call("POST", "/t/eksjo/api/v1/auth/login", R"({"email":"a@eksjo.se"})")),
            "missing_field");
  EXPECT_EQ(code_of(call("POST", "/t/eksjo/api/v1/auth/login", R"({"email":1,"password":"x"})")),
            "invalid_field");
  EXPECT_EQ(code_of(call("POST", "/t/eksjo/api/v1/auth/login", "{")), "malformed_json");
  r = call("POST", "/t/eksjo/api/v1/auth/login", "email=a", {{"content-type", "text/plain"}});
  EXPECT_EQ(r.status, 415);
}

TEST_F(App, LoginThrottle) {
  for (std::size_t i = 0; i < limits::max_failures_per_account; ++i)
    EXPECT_EQ(call("POST", "/t/eksjo/api/v1/auth/login",
                   R"({"email":"bo@eksjo.se","password":"wrong-one"})")
                  .status,
              401);
  auto r = call("POST", "/t/eksjo/api/v1/auth/login",
                R"({"email":"bo@eksjo.se","password":"bo-password"})");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(code_of(r), "too_many_attempts");
  EXPECT_FALSE(header(r, "Retry-After").empty());
  // Another account from the same address still works.
  EXPECT_EQ(call("POST", "/t/eksjo/api/v1/auth/login",
                 R"({"email":"anna@eksjo.se","password":"anna-password"})")
                .status,
            200);
}

TEST_F(App, MeAndMemberships) {
  const auto token = login("eksjo", "anna@eksjo.se", "anna-password");
  auto r = as(token, "GET", "/t/eksjo/api/v1/me");
  ASSERT_EQ(r.status, 200) << r.body;
  auto me = json::parse(r.body);
  EXPECT_EQ(me.at("tenant"), (json::object{{"slug", "eksjo"}, {"name", "Eksjö kommun"}}));
  EXPECT_EQ(me.at("memberships"),
            (json::array{json::object{{"slug", "eksjo"}, {"name", "Eksjö kommun"}},
                         json::object{{"slug", "vetlanda"}, {"name", "Vetlanda kommun"}}}));
  // The same token works where Anna is a member, with the roles she holds there.
  EXPECT_EQ(as(token, "GET", "/api/v1/me").status, 404);  // an IP host names no tenant
  r = as(token, "GET", "/t/vetlanda/api/v1/me");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("user").at("roles"), (json::array{"employee"}));
  // ... and is refused where she is not.
  r = as(token, "GET", "/t/aneby/api/v1/me");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "not_a_member");
  // A suspended tenant disappears from memberships.
  ASSERT_TRUE(reg_->suspend("vetlanda").has_value());
  ASSERT_TRUE(app_->directory().refresh().has_value());
  me = json::parse(as(token, "GET", "/t/eksjo/api/v1/me").body);
  EXPECT_EQ(me.at("memberships").as_array().size(), 1u);
}

TEST_F(App, BadTokens) {
  for (const char* t : {"garbage", "eksjo.nope", "nassjo.abc", "vetlanda.abc", ""}) {
    auto r = call("GET", "/t/eksjo/api/v1/me", "", {{"authorization", std::string("Bearer ") + t}});
    EXPECT_EQ(r.status, 401) << t;
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
  }
}

TEST_F(App, Logout) {
  const auto token = login("eksjo", "bo@eksjo.se", "bo-password");
  auto r = as(token, "POST", "/t/eksjo/api/v1/auth/logout");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(headers(r, "Set-Cookie").size(), 2u);
  EXPECT_EQ(as(token, "GET", "/t/eksjo/api/v1/me").status, 401);
}

TEST_F(App, CookieRequestsNeedCsrf) {
  const auto token = login("eksjo", "anna@eksjo.se", "anna-password");
  const std::string cookie = "samverka_session=" + token;
  const std::string body = R"({"title":"t","body":"b"})";
  auto r = call("GET", "/t/eksjo/api/v1/me", "", {{"cookie", cookie}});
  EXPECT_EQ(r.status, 200);
  r = call("POST", "/t/eksjo/api/v1/news", body, {{"cookie", cookie}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "csrf_required");
  r = call("POST", "/t/eksjo/api/v1/news", body, {{"cookie", cookie}, {"x-csrf-token", "bad"}});
  EXPECT_EQ(r.status, 403);
  r = call("POST", "/t/eksjo/api/v1/news", body,
           {{"cookie", cookie}, {"x-csrf-token", csrf_token_for(token)}});
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(App, NewsLifecycle) {
  const auto anna = login("eksjo", "anna@eksjo.se", "anna-password");
  const auto bo = login("eksjo", "bo@eksjo.se", "bo-password");
  const auto cilla = login("eksjo", "cilla@eksjo.se", "cilla-password");

  auto r = as(anna, "POST", "/t/eksjo/api/v1/news",
              R"({"title":"Ny server","body":"<p>Hej<script>x()</script></p>","summary":"S",)"
              R"("audience":{"units":["IT"],"roles":[]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto n = json::parse(r.body).as_object();
  const auto id = n.at("id").as_int64();
  EXPECT_EQ(n.at("title").as_string(), "Ny server");
  EXPECT_EQ(n.at("summary").as_string(), "S");
  EXPECT_EQ(n.at("body").as_string().find("script"), std::string::npos);
  EXPECT_EQ(n.at("author"), (json::object{{"name", "Anna"}}));
  EXPECT_EQ(n.at("audience"),
            (json::object{{"units", json::array{"IT"}}, {"roles", json::array{}}}));
  EXPECT_TRUE(n.at("source").is_null());
  for (const char* key :
       {"id", "title", "summary", "body", "published_at", "author", "audience", "source"})
    EXPECT_TRUE(n.contains(key)) << key;

  // Bo (Support, under IT) sees it in "mine"; Cilla (Skola) only in "all".
  auto items = [&](const std::string& token, const std::string& query) {
    auto res = as(token, "GET", "/t/eksjo/api/v1/news" + query);
    EXPECT_EQ(res.status, 200) << res.body;
    return json::parse(res.body).at("items").as_array().size();
  };
  EXPECT_EQ(items(bo, ""), 1u);
  EXPECT_EQ(items(cilla, "?scope=mine"), 0u);
  EXPECT_EQ(items(cilla, "?scope=all"), 1u);

  // Paging.
  ASSERT_EQ(as(anna, "POST", "/t/eksjo/api/v1/news", R"({"title":"Två","body":"b"})").status, 201);
  r = as(anna, "GET", "/t/eksjo/api/v1/news?limit=1");
  auto page = json::parse(r.body).as_object();
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  ASSERT_TRUE(page.at("next_cursor").is_string());
  r = as(anna, "GET",
         "/t/eksjo/api/v1/news?limit=1&cursor=" + std::string(page.at("next_cursor").as_string()));
  page = json::parse(r.body).as_object();
  EXPECT_EQ(page.at("items").as_array().at(0).at("id").as_int64(), id);
  EXPECT_EQ(as(anna, "GET", "/t/eksjo/api/v1/news?limit=101").status, 400);
  EXPECT_EQ(as(anna, "GET", "/t/eksjo/api/v1/news?limit=x").status, 400);
  EXPECT_EQ(as(anna, "GET", "/t/eksjo/api/v1/news?scope=some").status, 400);
  EXPECT_EQ(as(anna, "GET", "/t/eksjo/api/v1/news?cursor=zzz").status, 400);

  const std::string path = "/t/eksjo/api/v1/news/" + std::to_string(id);
  EXPECT_EQ(as(bo, "GET", path).status, 200);
  EXPECT_EQ(as(bo, "GET", "/t/eksjo/api/v1/news/abc").status, 404);
  EXPECT_EQ(as(bo, "GET", "/t/eksjo/api/v1/news/999999").status, 404);

  // Only editors (and admins) write.
  EXPECT_EQ(as(bo, "POST", "/t/eksjo/api/v1/news", R"({"title":"t","body":"b"})").status, 403);
  EXPECT_EQ(as(bo, "PATCH", path, R"({"title":"x"})").status, 403);
  EXPECT_EQ(as(bo, "DELETE", path).status, 403);

  r = as(anna, "PATCH", path, R"({"title":"Ny server i hallen"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("title").as_string(), "Ny server i hallen");
  EXPECT_EQ(json::parse(r.body).at("summary").as_string(), "S");
  EXPECT_EQ(as(anna, "PATCH", path, "{}").status, 200);
  EXPECT_EQ(code_of(as(anna, "PATCH", path, R"({"share_with":[]})")), "unknown_field");
  EXPECT_EQ(code_of(as(anna, "PATCH", path, R"({"title":5})")), "invalid_field");
  EXPECT_EQ(as(anna, "PATCH", "/t/eksjo/api/v1/news/999999", R"({"title":"x"})").status, 404);
  r = as(cilla, "PATCH", path, R"({"audience":{"units":[]}})");
  EXPECT_EQ(r.status, 200) << r.body;

  EXPECT_EQ(as(anna, "DELETE", path).status, 204);
  EXPECT_EQ(as(anna, "GET", path).status, 404);
  EXPECT_EQ(as(anna, "DELETE", path).status, 404);
}

TEST_F(App, NewsValidation) {
  const auto anna = login("eksjo", "anna@eksjo.se", "anna-password");
  auto post = [&](const std::string& body) {
    return as(anna, "POST", "/t/eksjo/api/v1/news", body);
  };
  EXPECT_EQ(code_of(post(R"({"title":"t"})")), "missing_field");
  EXPECT_EQ(code_of(post(R"({"title":"t","body":"b","x":1})")), "unknown_field");
  EXPECT_EQ(code_of(post(R"({"title":"t","body":"b","audience":{"units":"IT"}})")),
            "invalid_field");
  EXPECT_EQ(code_of(post(R"({"title":"t","body":"b","audience":{"teams":[]}})")), "unknown_field");
  EXPECT_EQ(code_of(post(R"({"title":"t","body":"b","shareable":"yes"})")), "invalid_field");
  EXPECT_EQ(post(R"({"title":"t","body":"b","audience":{"units":["Nope"]}})").status, 400);
  EXPECT_EQ(post(R"({"title":"t","body":"b","audience":{"roles":["boss"]}})").status, 400);
  // Sharing: a non-partner is refused, nothing published; partners are offered it (sharing).
  auto r = post(R"({"title":"t","body":"b","share_with":["vetlanda"]})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(code_of(r), "not_a_partner");
  EXPECT_EQ(post(R"({"title":"t","body":"b","share_with":["no-such"]})").status, 422);
  ASSERT_TRUE(reg_->link("eksjo", "vetlanda").has_value());
  r = post(R"({"title":"t","body":"b","share_with":["vetlanda"]})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(post(R"({"title":"t","body":"b","shareable":true})").status, 201);
  EXPECT_EQ(post(R"({"title":"t","body":"b","shareable":false,"share_with":[]})").status, 201);
  // Nothing was published by the refused requests.
  r = as(anna, "GET", "/t/eksjo/api/v1/news?scope=all");
  EXPECT_EQ(json::parse(r.body).at("items").as_array().size(), 3u);
}

TEST_F(App, SuspendAndDelete) {
  const auto anna = login("eksjo", "anna@eksjo.se", "anna-password");
  ASSERT_TRUE(reg_->suspend("eksjo").has_value());
  ASSERT_TRUE(app_->directory().refresh().has_value());
  auto r = as(anna, "GET", "/t/eksjo/api/v1/me");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(code_of(r), "tenant_suspended");
  ASSERT_TRUE(reg_->resume("eksjo").has_value());
  ASSERT_TRUE(app_->directory().refresh().has_value());
  EXPECT_EQ(as(anna, "GET", "/t/eksjo/api/v1/me").status, 200);

  ASSERT_TRUE(reg_->delete_tenant("vetlanda").has_value());
  ASSERT_TRUE(app_->directory().refresh().has_value());
  EXPECT_EQ(code_of(as(anna, "GET", "/t/vetlanda/api/v1/me")), "tenant_not_found");
}

TEST_F(App, BackgroundPollerSeesRegistryChanges) {
  app_->start_background();
  ASSERT_TRUE(reg_->suspend("aneby").has_value());
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline &&
         (status = call("GET", "/t/aneby/api/v1/me").status) != 503)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(status, 503);
  app_->stop_background();
}

TEST_F(App, RequestIdEchoed) {
  auto r = call("GET", "/healthz", "", {{"x-request-id", "trace-42"}});
  EXPECT_EQ(header(r, "X-Request-Id"), "trace-42");
  r = call("GET", "/healthz", "", {{"x-request-id", "bad id\n"}});
  EXPECT_NE(header(r, "X-Request-Id"), "bad id\n");
  EXPECT_FALSE(header(r, "X-Request-Id").empty());
}

}  // namespace
}  // namespace samverka::gateway
