// Operations against the real binaries: /metrics checked by promtool, the JSON request log
// (request ids, no secrets or e-mail addresses), and `samverkactl backup` / `restore` while the
// server runs.
#include "fixture.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace samverka::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

// Polls `probe` until it returns true or the CLI-to-server propagation bound (1 s) passes.
template <class F>
bool within_a_second(F probe) {
  auto deadline = std::chrono::steady_clock::now() + 1500ms;  // slack for a loaded CI machine
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return probe();
}

// Runs a shell command; returns its exit status and combined output.
std::pair<int, std::string> shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// The JSON access lines of the server log (it also holds the "listening" line and events).
std::vector<json::object> access_lines(const std::string& log) {
  std::vector<json::object> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() != '{') continue;
    json::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "log line is not a JSON object: " << line;
      continue;
    }
    if (v.as_object().contains("route")) out.push_back(v.as_object());
  }
  return out;
}

std::vector<json::object> lines_with_id(const std::string& log, const std::string& id) {
  std::vector<json::object> out;
  for (auto& o : access_lines(log))
    if (o.at("request_id").as_string() == id) out.push_back(o);
  return out;
}

std::string str(const json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}

// --- Metrics ------------------------------------------------------------------------------------

TEST_F(platform, MetricsPassPromtoolAndUseRouteTemplatesWithoutTenants) {
  auto editor = as("editor");
  auto id = publish("Mätbar nyhet");
  ASSERT_NE(id, 0);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/news/" + std::to_string(id), editor).status, 200);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/news/987654321", editor).status, 404);
  EXPECT_EQ(srv->get("/t/savsjo/api/v1/news/424242", as("editor", "savsjo")).status, 404);
  EXPECT_EQ(srv->get("/t/eksjo/no/such/path/31337").status, 404);
  auto bad = srv->post("/t/eksjo/api/v1/auth/login",
                       body({{"email", "anna@eksjo.se"}, {"password", "fel-lösenord"}}));
  EXPECT_EQ(bad.status, 401);

  auto m = srv->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  const std::string& text = m.body;

  // Requests by route template and status; latency histograms; pool and login gauges/counters.
  EXPECT_NE(text.find("samverka_http_requests_total{"), std::string::npos) << text;
  EXPECT_NE(text.find("route=\"/api/v1/news/{id}\""), std::string::npos) << text;
  EXPECT_NE(text.find("status=\"404\""), std::string::npos);
  EXPECT_NE(text.find("samverka_http_request_duration_seconds_bucket{"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\""), std::string::npos);
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(samverka_open_tenant_stores [1-9])"))) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(samverka_login_failures_total [1-9])")))
      << text;
  EXPECT_NE(text.find("samverka_store_busy_total"), std::string::npos);
  // No raw ids, paths or tenant slugs in any label: cardinality stays bounded.
  for (const char* raw : {"987654321", "424242", "31337", "/no/such", "eksjo", "savsjo"})
    EXPECT_EQ(text.find(raw), std::string::npos) << raw << " leaked into /metrics";
  EXPECT_EQ(text.find("/api/v1/news/" + std::to_string(id)), std::string::npos);

  // promtool (Debian's prometheus package) parses and lints the real output.
  if (shell("command -v promtool").first != 0)
    GTEST_SKIP() << "promtool not installed (scripts/install-deps --test installs it)";
  const fs::path file = dir.path() / "metrics.txt";
  std::ofstream(file) << text;
  auto [rc, out] = shell("promtool check metrics < '" + file.string() + "'");
  EXPECT_EQ(rc, 0) << "promtool check metrics:\n" << out;
}

// --- Request log --------------------------------------------------------------------------------

TEST_F(platform, RequestLogHasOneJsonLinePerRequestWithItsId) {
  auto editor = as("editor");
  // A client's sane X-Request-Id is kept and echoed.
  request r;
  r.target = "/t/eksjo/api/v1/news";
  r.headers["Authorization"] = "Bearer " + editor;
  r.headers["X-Request-Id"] = "ops-test-0001";
  auto res = srv->send(r);
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.headers["x-request-id"], "ops-test-0001");

  // Without one (or with one that could inject into logs), a fresh id is generated.
  auto gen = srv->get("/t/eksjo/api/v1/me", editor);
  const std::string generated = gen.headers["x-request-id"];
  EXPECT_FALSE(generated.empty());
  r.headers["X-Request-Id"] = "evil\"id with spaces";
  auto injected = srv->send(r);
  const std::string replaced = injected.headers["x-request-id"];
  EXPECT_FALSE(replaced.empty());
  EXPECT_EQ(replaced.find(' '), std::string::npos);
  EXPECT_NE(replaced, generated);
  r.headers["X-Request-Id"] = std::string(200, 'a');  // too long
  EXPECT_NE(srv->send(r).headers["x-request-id"], std::string(200, 'a'));

  // Platform endpoints are logged too, without a tenant.
  request h;
  h.target = "/healthz";
  h.headers["X-Request-Id"] = "ops-test-health";
  EXPECT_EQ(srv->send(h).status, 200);

  const std::string log = srv->log();
  for (const std::string& id : {std::string("ops-test-0001"), generated, replaced}) {
    auto lines = lines_with_id(log, id);
    ASSERT_EQ(lines.size(), 1u) << "request " << id << " in the log:\n" << log;
    const auto& o = lines[0];
    EXPECT_EQ(str(o, "tenant"), "eksjo");
    EXPECT_TRUE(o.at("status").is_int64());
    EXPECT_TRUE(o.at("duration_ms").is_double() || o.at("duration_ms").is_int64());
    EXPECT_FALSE(str(o, "ts").empty());
    EXPECT_FALSE(str(o, "method").empty());
  }
  EXPECT_EQ(str(lines_with_id(log, "ops-test-0001")[0], "route"), "/api/v1/news");
  EXPECT_EQ(lines_with_id(log, "ops-test-0001")[0].at("status").as_int64(), 200);
  EXPECT_EQ(str(lines_with_id(log, generated)[0], "route"), "/api/v1/me");
  auto health = lines_with_id(log, "ops-test-health");
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(str(health[0], "tenant"), "");
  EXPECT_EQ(str(health[0], "route"), "/healthz");

  // One access line per request: count equals requests answered so far (also logins).
  const auto metrics = srv->get("/metrics").body;  // itself logged, after the count
  std::size_t answered = 0;
  std::regex counter(R"(samverka_http_requests_total\{[^}]*\} ([0-9]+))");
  for (std::sregex_iterator it(metrics.begin(), metrics.end(), counter), end; it != end; ++it)
    answered += std::stoul((*it)[1]);
  EXPECT_EQ(access_lines(srv->log()).size(), answered + 1);
}

TEST_F(platform, LogsHoldNoTokensPasswordsOrEmailAddresses) {
  // Bearer, cookie + CSRF, a failed login, a cross-tenant request, a raw id in the path.
  auto token = as("editor");
  auto login = srv->post("/t/eksjo/api/v1/auth/login",
                         body({{"email", "anna@eksjo.se"}, {"password", demo_password}}));
  ASSERT_EQ(login.status, 200);
  const std::string anna_token(login.json().at("token").as_string());
  const std::string csrf(login.json().at("csrf_token").as_string());
  request cookie;
  cookie.method = "POST";
  cookie.target = "/t/eksjo/api/v1/auth/logout";
  cookie.headers["Cookie"] = "samverka_session=" + anna_token;
  cookie.headers["X-CSRF-Token"] = csrf;
  EXPECT_EQ(srv->send(cookie).status, 204);
  EXPECT_EQ(srv->post("/t/eksjo/api/v1/auth/login",
                      body({{"email", "bo@eksjo.se"}, {"password", "Hemligt-fel-99"}}))
                .status,
            401);
  EXPECT_EQ(srv->get("/t/vetlanda/api/v1/me", token).status, 403);
  srv->get("/t/eksjo/api/v1/me?email=chef@eksjo.se", token);  // answered or refused, not logged
  EXPECT_EQ(srv->post("/t/eksjo/api/v1/news", "{\"title\":", token).status, 400);

  const std::string log = srv->log();
  ASSERT_FALSE(access_lines(log).empty());
  const std::string secret = token.substr(token.find('.') + 1);
  for (const std::string& s :
       {secret, anna_token.substr(anna_token.find('.') + 1), csrf, std::string(demo_password),
        std::string("Hemligt-fel-99"), std::string("@eksjo.se"), std::string("chef@")})
    EXPECT_EQ(log.find(s), std::string::npos) << "'" << s << "' appears in the log:\n" << log;
  // Query strings are not logged (they may hold personal data); routes are templates.
  EXPECT_EQ(log.find("email="), std::string::npos);
}

// --- Backups
// --------------------------------------------------------------------------------------

// Failed sign-ins from one client address, as seen through `via` (an X-Forwarded-For value).
response fail_login(const server& srv, int i, const std::string& via) {
  request r;
  r.method = "POST";
  r.target = "/t/eksjo/api/v1/auth/login";
  r.headers["X-Forwarded-For"] = via;
  r.body = body({{"email", "gissning" + std::to_string(i) + "@eksjo.se"}, {"password", "fel"}});
  return srv.send(r);
}

TEST_F(platform, SigtermRightAfterStartDrainsCleanly) {
  // The port is announced only once SIGTERM is caught: a supervisor stopping a server that has
  // just said it listens gets a clean drain, not a kill (this failed about 9 times in 10).
  for (int i = 0; i < 5; ++i) {
    server s(dir.path());
    EXPECT_EQ(s.terminate(), 0) << i;
  }
}

TEST_F(platform, BehindATrustedProxyEachClientHasItsOwnAddressLimit) {
  // The per-address limit is 50 failures in a window (gateway/src/limits.hpp).
  ASSERT_EQ(srv->terminate(), 0);
  srv = std::make_unique<server>(dir.path(),
                                 std::vector<std::string>{"--trusted-proxy", "127.0.0.1/32"});
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(fail_login(*srv, i, "203.0.113.5").error_code(), "invalid_credentials") << i;
  EXPECT_EQ(fail_login(*srv, 99, "203.0.113.5").error_code(), "too_many_attempts");
  // Another client behind the same proxy is not blocked; a spoofed entry left of the proxy's
  // own is not believed (the rightmost untrusted address counts).
  EXPECT_EQ(fail_login(*srv, 100, "203.0.113.6").error_code(), "invalid_credentials");
  EXPECT_EQ(fail_login(*srv, 101, "203.0.113.6, 203.0.113.5").error_code(), "too_many_attempts");
  EXPECT_EQ(fail_login(*srv, 102, "203.0.113.5, 203.0.113.7").error_code(), "invalid_credentials");
}

TEST_F(platform, WithoutTrustedProxiesForwardedForIsIgnored) {
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(fail_login(*srv, i, "198.51.100." + std::to_string(i)).error_code(),
              "invalid_credentials")
        << i;
  // Every attempt came from 127.0.0.1, whatever the header said.
  EXPECT_EQ(fail_login(*srv, 99, "198.51.100.200").error_code(), "too_many_attempts");
}

TEST_F(platform, AnInvalidTrustedProxyIsAUsageError) {
  auto r = std::system(("\"" + (fs::path(SAMVERKA_BINARY_DIR) / "samverka").string() +
                        "\" serve --data-dir " + dir.path().string() +
                        " --listen 127.0.0.1:0 --trusted-proxy 10.0.0.0/99" + " >/dev/null 2>&1")
                           .c_str());
  EXPECT_EQ(WEXITSTATUS(r), 2);
}

TEST_F(platform, BackupAndRestoreWhileServing) {
  publish("Före säkerhetskopian");
  publish("Sävsjös nyhet", {}, "savsjo");
  ASSERT_EQ(ctl(dir.path(), {"tenant", "suspend", "vetlanda"}).exit_code, 0);
  const fs::path out = dir.path() / "backup-1";
  auto b = ctl(dir.path(), {"backup", "--out", out.string(), "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(json::parse(b.out).at("tenants").as_array().size(), 3u) << b.out;

  // The manifest lists every tenant, its state and partnerships; one archive each.
  std::ifstream mf(out / "manifest.json");
  std::string mtext((std::istreambuf_iterator<char>(mf)), std::istreambuf_iterator<char>());
  auto manifest = json::parse(mtext).as_object();
  EXPECT_EQ(manifest.at("format").as_string(), "samverka-backup/1");
  ASSERT_EQ(manifest.at("tenants").as_array().size(), 3u);
  for (auto& t : manifest.at("tenants").as_array()) {
    const std::string slug(t.at("slug").as_string());
    EXPECT_TRUE(fs::is_regular_file(out / "tenants" / (slug + ".tar.gz"))) << slug;
    EXPECT_EQ(t.at("state").as_string(), slug == "vetlanda" ? "suspended" : "active");
  }
  EXPECT_EQ(manifest.at("partnerships").as_array().size(), 3u);

  // Written after the backup: gone after deleting and restoring from it.
  publish("Efter säkerhetskopian");
  ASSERT_EQ(ctl(dir.path(), {"tenant", "delete", "eksjo", "--yes"}).exit_code, 0);
  ASSERT_EQ(ctl(dir.path(), {"tenant", "delete", "vetlanda", "--yes"}).exit_code, 0);
  ASSERT_TRUE(within_a_second([&] { return srv->get("/t/eksjo/api/v1/me").status == 404; }));

  auto r = ctl(dir.path(), {"restore", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::map<std::string, std::string> results;
  const auto outcomes = json::parse(r.out);  // alive while iterating
  for (auto& o : outcomes.as_array())
    results[std::string(o.at("slug").as_string())] = std::string(o.at("result").as_string());
  EXPECT_EQ(results["eksjo"], "restored");
  EXPECT_EQ(results["vetlanda"], "restored");
  EXPECT_EQ(results["savsjo"], "exists");  // never overwritten

  ASSERT_TRUE(within_a_second([&] { return srv->get("/t/eksjo/api/v1/me").status == 401; }));
  auto anna = as("anna");
  auto seen = titles(anna);
  EXPECT_EQ(seen.count("Före säkerhetskopian"), 1u);
  EXPECT_EQ(seen.count("Efter säkerhetskopian"), 0u);
  // Suspension and partnerships came back; the untouched tenant kept its news.
  EXPECT_EQ(srv->get("/t/vetlanda/api/v1/me").status, 503);
  auto partners = ctl(dir.path(), {"partner", "list", "--json"});
  ASSERT_EQ(partners.exit_code, 0);
  EXPECT_EQ(json::parse(partners.out).as_array().size(), 3u) << partners.out;
  EXPECT_EQ(titles(as("anna", "savsjo"), "mine", "savsjo").count("Sävsjös nyhet"), 1u);
  // The cross-employed commuter's membership was rebuilt: one token, both tenants.
  auto pendlare = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  EXPECT_EQ(srv->get("/t/savsjo/api/v1/me", pendlare).status, 200);
}

TEST_F(platform, RestoreIntoAnEmptyDataDirRebuildsThePlatform) {
  publish("Hela plattformen");
  const fs::path out = dir.path() / "backup-full";
  ASSERT_EQ(ctl(dir.path(), {"backup", "--out", out.string()}).exit_code, 0);
  temp_dir fresh;
  auto r = ctl(fresh.path(), {"restore", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto list = ctl(fresh.path(), {"tenant", "list", "--json"});
  EXPECT_EQ(json::parse(list.out).as_array().size(), 3u);
  server other(fresh.path());
  auto anna = other.login("eksjo", "anna@eksjo.se", demo_password);
  auto res = other.get("/t/eksjo/api/v1/news?scope=all", anna);
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("Hela plattformen"), std::string::npos);
}

TEST_F(platform, SearchOptimizeMergesEveryTenantsIndexWhileServing) {
  // Some single-transaction writes through the API leave extra index segments behind.
  const std::string token = srv->login("eksjo", "editor@eksjo.se", demo_password);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(srv->post("/t/eksjo/api/v1/news",
                        body({{"title", "Läsårsstart " + std::to_string(i)}, {"body", "<p>x</p>"}}),
                        token)
                  .status,
              201);
  auto all = ctl(dir.path(), {"search", "optimize", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto report = boost::json::parse(all.out).as_array();
  std::set<std::string> slugs;
  for (const auto& t : report) {
    slugs.insert(std::string(t.at("slug").as_string()));
    if (t.at("slug").as_string() == "eksjo") EXPECT_GT(t.at("segments_before").as_int64(), 1);
  }
  EXPECT_TRUE(slugs.contains("eksjo") && slugs.contains("savsjo")) << all.out;
  // Merged: a second run finds one segment; the server's searches still find the news.
  auto again = ctl(dir.path(), {"search", "optimize", "eksjo", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(boost::json::parse(again.out).as_array().at(0).at("segments_before").as_int64(), 1);
  auto found = srv->get("/t/eksjo/api/v1/search?q=l%C3%A4s%C3%A5rsstart", token);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_GE(found.json().at("items").as_array().size(), 3u) << found.body;
  // An unknown tenant: one line, exit 1.
  auto bad = ctl(dir.path(), {"search", "optimize", "nowhere"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

TEST_F(platform, BackupAndRestoreRefuseBadInputAndChangeNothing) {
  const fs::path out = dir.path() / "backup-bad";
  fs::create_directories(out);
  std::ofstream(out / "stray.txt") << "not empty";
  auto b = ctl(dir.path(), {"backup", "--out", out.string()});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("samverkactl: "), std::string::npos);
  EXPECT_EQ(ctl(dir.path(), {"backup"}).exit_code, 2);  // --out is required

  // No manifest: an unfinished backup or not one at all.
  temp_dir fresh;
  EXPECT_EQ(ctl(fresh.path(), {"restore", out.string()}).exit_code, 1);
  // A manifest of another format, or one whose slug tries to escape the directory.
  std::ofstream(out / "manifest.json") << R"({"format":"something-else/1"})";
  EXPECT_EQ(ctl(fresh.path(), {"restore", out.string()}).exit_code, 1);
  std::ofstream(out / "manifest.json", std::ios::trunc)
      << R"({"format":"samverka-backup/1","created_at":"2026-01-01T00:00:00Z","tenants":)"
         R"([{"slug":"../../etc","name":"x","state":"active","domains":[],)"
         R"("size_bytes":1,"schema_version":1}],"partnerships":[]})";
  auto esc = ctl(fresh.path(), {"restore", out.string()});
  EXPECT_EQ(esc.exit_code, 1);
  EXPECT_NE(esc.err.find("invalid slug"), std::string::npos) << esc.err;
  // A truncated archive is refused for that tenant, reported, and nothing is registered.
  const fs::path good = dir.path() / "backup-good";
  ASSERT_EQ(ctl(dir.path(), {"backup", "--out", good.string()}).exit_code, 0);
  fs::resize_file(good / "tenants" / "eksjo.tar.gz", 100);
  auto partial = ctl(fresh.path(), {"restore", good.string(), "--tenant", "eksjo"});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_NE(partial.out.find("failed"), std::string::npos) << partial.out;
  EXPECT_EQ(ctl(fresh.path(), {"restore", good.string(), "--tenant", "nosuch"}).exit_code, 1);
  auto list = ctl(fresh.path(), {"tenant", "list", "--json"});
  EXPECT_EQ(json::parse(list.out).as_array().size(), 0u) << list.out;
  // The running platform is untouched.
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", as("anna")).status, 200);
}

}  // namespace
}  // namespace samverka::testing
