// Bad input of every kind gets a clear 4xx in the contract's error shape and changes nothing.
#include "fixture.hpp"

#include <thread>

namespace samverka::testing {
namespace {

namespace json = boost::json;

struct bad_case {
  const char* name;
  std::string body;
  std::string content_type = "application/json";
  int status = 400;
};

TEST_F(platform, MalformedNewsIsRefusedAndNothingIsWritten) {
  auto editor = as("editor");
  const std::vector<bad_case> cases = {
      {"not json", "{title: 'x'"},
      {"truncated", R"({"title":"x","body":"y")"},
      {"array", R"(["title","body"])"},
      {"string", R"("news")"},
      {"empty body", ""},
      {"missing title", R"({"body":"y"})"},
      {"missing body", R"({"title":"x"})"},
      {"title number", R"({"title":1,"body":"y"})"},
      {"title null", R"({"title":null,"body":"y"})"},
      {"body object", R"({"title":"x","body":{}})"},
      {"unknown field", R"({"title":"x","body":"y","colour":"red"})"},
      {"audience string", R"({"title":"x","body":"y","audience":"all"})"},
      {"audience units string", R"({"title":"x","body":"y","audience":{"units":"Skolan"}})"},
      {"audience unknown key", R"({"title":"x","body":"y","audience":{"unitz":[]}})"},
      {"unknown unit", R"({"title":"x","body":"y","audience":{"units":["Finns inte"]}})"},
      {"unknown role", R"({"title":"x","body":"y","audience":{"roles":["king"]}})"},
      {"unit number", R"({"title":"x","body":"y","audience":{"units":[7]}})"},
      {"empty title", R"({"title":"","body":"y"})"},
      {"huge title", R"({"title":")" + std::string(5000, 'x') + R"(","body":"y"})"},
      {"shareable string", R"({"title":"x","body":"y","shareable":"yes"})"},
      {"invalid utf-8", "{\"title\":\"\xff\xfe\",\"body\":\"y\"}"},
      {"form encoded", "title=x&body=y", "application/x-www-form-urlencoded", 415},
  };
  auto before = titles(editor, "all");
  for (auto& c : cases) {
    request r;
    r.method = "POST";
    r.target = "/t/eksjo/api/v1/news";
    r.body = c.body;
    r.content_type = c.content_type;
    r.headers["Authorization"] = "Bearer " + editor;
    auto res = srv->send(r);
    EXPECT_EQ(res.status, c.status) << c.name << ": " << res.body;
    EXPECT_FALSE(res.error_code().empty()) << c.name << ": " << res.body;
    EXPECT_FALSE(res.json().at("error").at("message").as_string().empty()) << c.name;
  }
  EXPECT_EQ(titles(editor, "all"), before);
}

TEST_F(platform, MalformedLoginAndPatchAre400) {
  for (std::string b : {R"({"email":"anna@eksjo.se"})", R"({"email":1,"password":"x"})",
                        R"({"email":"anna@eksjo.se","password":"x","admin":true})", "[]", "nej"}) {
    auto r = srv->post("/t/eksjo/api/v1/auth/login", b);
    EXPECT_EQ(r.status, 400) << b << ": " << r.body;
  }
  auto id = publish("Orörd");
  auto path = "/t/eksjo/api/v1/news/" + std::to_string(id);
  for (std::string b : {R"({"title":5})", R"({"nope":1})", R"({"audience":{"units":["Saknas"]}})",
                        R"({"title":""})", "{"}) {
    auto r = srv->patch(path, b, as("editor"));
    EXPECT_EQ(r.status, 400) << b << ": " << r.body;
  }
  auto got = srv->get(path, as("editor"));
  EXPECT_EQ(got.json().at("title").as_string(), "Orörd");
}

TEST_F(platform, BadQueryParametersAre400) {
  auto anna = as("anna");
  for (std::string q : {"scope=everything", "limit=abc", "limit=0", "limit=101", "limit=-1",
                        "cursor=not-a-cursor", "limit=99999999999999999999"}) {
    auto r = srv->get("/t/eksjo/api/v1/news?" + q, anna);
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
  }
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/news/abc", anna).status, 404);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/news/99999999", anna).status, 404);
}

TEST_F(platform, InjectionLookingStringsAreJustText) {
  const std::vector<std::string> nasty = {"'; DROP TABLE news; --",
                                          "\" OR 1=1 --",
                                          "Robert'); DELETE FROM users;--",
                                          "../../etc/passwd",
                                          "%00%0d%0aSet-Cookie: x=y",
                                          "{{7*7}}",
                                          "${jndi:ldap://x}",
                                          "åäö ÅÄÖ 😀"};
  for (auto& s : nasty) {
    auto r = srv->post("/t/eksjo/api/v1/news", body({{"title", s}, {"body", "<p>" + s + "</p>"}}),
                       as("editor"));
    ASSERT_EQ(r.status, 201) << s << ": " << r.body;
    EXPECT_EQ(r.json().at("title").as_string(), s);
  }
  auto all = titles(as("editor"), "all");
  for (auto& s : nasty) EXPECT_EQ(all.count(s), 1u) << s;
  // Logging in with an injection string is a plain 401.
  auto r = srv->post("/t/eksjo/api/v1/auth/login",
                     body({{"email", "' OR '1'='1"}, {"password", "' OR '1'='1"}}));
  EXPECT_EQ(r.status, 401);
}

TEST_F(platform, OversizedBodyIs413AndNothingIsWritten) {
  auto editor = as("editor");
  auto before = titles(editor, "all");
  std::string big(2 * 1024 * 1024, 'a');
  auto r = srv->post("/t/eksjo/api/v1/news", body({{"title", "Stor"}, {"body", big}}), editor);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(titles(editor, "all"), before);
}

TEST_F(platform, HugeHeadersAreRefusedAndTheServerCarriesOn) {
  request r;
  r.target = "/t/eksjo/api/v1/me";
  r.headers["X-Filler"] = std::string(64 * 1024, 'x');
  try {
    auto res = srv->send(r);
    EXPECT_GE(res.status, 400);
    EXPECT_LT(res.status, 500);
  } catch (const std::exception&) {
    // Closing the connection is an acceptable answer to a header flood.
  }
  EXPECT_EQ(srv->get("/healthz").status, 200);
}

TEST_F(platform, GarbageBytesGetA400OrAClose) {
  auto answer = srv->raw("\x16\x03\x01\x02\x00 not http at all\r\n\r\n");
  if (!answer.empty()) {
    EXPECT_NE(answer.find("400"), std::string::npos) << answer;
  }
  EXPECT_EQ(srv->get("/healthz").status, 200);
}

TEST_F(platform, ASlowClientDoesNotHoldTheServer) {
  // Half a request line, then silence: the server must close the connection after its read
  // time-out, and keep serving everyone else meanwhile.
  std::string answer;
  auto started = std::chrono::steady_clock::now();
  std::thread slow(
      [&] { answer = srv->raw("GET /healthz HTTP/1.1\r\nHo", std::chrono::seconds(30)); });
  for (int i = 0; i < 20; ++i) EXPECT_EQ(srv->get("/healthz").status, 200);
  slow.join();
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_LT(waited, std::chrono::seconds(25)) << "slow connection was never closed";
}

TEST_F(platform, UnknownPathsAndMethodsAreJsonErrors) {
  auto anna = as("anna");
  auto r = srv->get("/t/eksjo/api/v1/nothing-here", anna);
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.error_code().empty());
  request put;
  put.method = "PUT";
  put.target = "/t/eksjo/api/v1/news";
  put.body = "{}";
  put.headers["Authorization"] = "Bearer " + anna;
  auto m = srv->send(put);
  EXPECT_EQ(m.status, 405);
  EXPECT_FALSE(m.error_code().empty());
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/news").status, 401);
}

}  // namespace
}  // namespace samverka::testing
