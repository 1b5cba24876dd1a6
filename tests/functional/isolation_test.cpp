// Tenant isolation, the first invariant: nothing of one municipality is readable from another,
// whichever way a request tries to cross (tokens, hosts, prefixes, ids).
#include "fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;

TEST_F(platform, ATokenDoesNotOpenAnotherTenant) {
  auto anna = as("anna");  // eksjo only
  for (auto* slug : {"savsjo", "vetlanda"}) {
    auto r = srv->get(std::string("/t/") + slug + "/api/v1/me", anna);
    EXPECT_EQ(r.status, 403) << slug;
    EXPECT_EQ(r.error_code(), "not_a_member");
    EXPECT_EQ(srv->get(std::string("/t/") + slug + "/api/v1/news?scope=all", anna).status, 403);
  }
  // The same crossing by Host header.
  request r;
  r.target = "/api/v1/news";
  r.host = "savsjo.localhost";
  r.headers["Authorization"] = "Bearer " + anna;
  EXPECT_EQ(srv->send(r).status, 403);
}

TEST_F(platform, ATokenWithAForgedHomeSlugIsRejected) {
  auto anna = as("anna");
  auto secret = anna.substr(anna.find('.') + 1);
  // The secret only exists in eksjo's store: claiming another home finds nothing.
  auto r = srv->get("/t/savsjo/api/v1/me", "savsjo." + secret);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", "nosuch." + secret).status, 401);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", "garbage").status, 401);
}

TEST_F(platform, NewsOfOneTenantIsNotReachableFromAnother) {
  auto id = publish("Bara för Eksjö");
  auto savsjo_editor = as("editor", "savsjo");
  auto path = "/t/savsjo/api/v1/news/" + std::to_string(id);
  EXPECT_EQ(srv->get(path, savsjo_editor).status, 404);
  EXPECT_EQ(srv->patch(path, body({{"title", "Kapad"}}), savsjo_editor).status, 404);
  EXPECT_EQ(srv->del(path, savsjo_editor).status, 404);
  EXPECT_EQ(titles(savsjo_editor, "all", "savsjo").count("Bara för Eksjö"), 0u);
  // Still intact at home.
  auto home = srv->get("/t/eksjo/api/v1/news/" + std::to_string(id), as("anna"));
  ASSERT_EQ(home.status, 200);
  EXPECT_EQ(home.json().at("title").as_string(), "Bara för Eksjö");
}

TEST_F(platform, PeopleAuthenticateOnlyAtHome) {
  // Same password, wrong tenant: the person does not exist there.
  auto r = srv->post("/t/savsjo/api/v1/auth/login",
                     body({{"email", "anna@eksjo.se"}, {"password", demo_password}}));
  EXPECT_EQ(r.status, 401);
  // A cross-employed member of savsjo has no credentials there either.
  r = srv->post("/t/savsjo/api/v1/auth/login",
                body({{"email", "pendlare@eksjo.se"}, {"password", demo_password}}));
  EXPECT_EQ(r.status, 401);
}

TEST_F(platform, CrossEmployedPersonUsesOneTokenWithEachTenantsRoles) {
  auto token = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  auto home = srv->get("/t/eksjo/api/v1/me", token);
  ASSERT_EQ(home.status, 200) << home.body;
  auto memberships = home.json().at("memberships").as_array();
  std::set<std::string> slugs;
  for (auto& m : memberships) slugs.emplace(m.at("slug").as_string());
  EXPECT_EQ(slugs, (std::set<std::string>{"eksjo", "savsjo"}));

  auto away = srv->get("/t/savsjo/api/v1/me", token);
  ASSERT_EQ(away.status, 200) << away.body;
  EXPECT_EQ(away.json().at("tenant").at("slug").as_string(), "savsjo");
  auto roles = away.json().at("user").at("roles").as_array();
  EXPECT_NE(std::find(roles.begin(), roles.end(), json::value("editor")), roles.end());
  // Editor in Sävsjö, employee at home.
  EXPECT_EQ(
      srv->post("/t/savsjo/api/v1/news", body({{"title", "Från pendlaren"}, {"body", "x"}}), token)
          .status,
      201);
  EXPECT_EQ(
      srv->post("/t/eksjo/api/v1/news", body({{"title", "Nej"}, {"body", "x"}}), token).status,
      403);
  EXPECT_EQ(srv->get("/t/vetlanda/api/v1/me", token).status, 403);
  EXPECT_EQ(titles(as("anna", "savsjo"), "all", "savsjo").count("Från pendlaren"), 1u);
}

TEST_F(platform, UnknownTenantsAnswer404WhateverTheSpelling) {
  for (std::string target :
       {"/t/nosuch/api/v1/me", "/t/../eksjo/api/v1/me", "/t/eksjo%2F/api/v1/me", "/t//api/v1/me"}) {
    auto r = srv->get(target, as("anna"));
    EXPECT_EQ(r.status, 404) << target;
  }
  request r;
  r.target = "/api/v1/me";
  r.host = "nosuch.localhost";
  auto res = srv->send(r);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.error_code(), "tenant_not_found");
}

TEST_F(platform, SlugsInsideIdsAndQueriesDoNotSwitchTenants) {
  auto id = publish("Eksjös nyhet");
  auto savsjo = as("editor", "savsjo");
  // Path prefix wins over any attempt to smuggle another tenant in later segments or the query.
  auto r = srv->get("/t/savsjo/api/v1/news/" + std::to_string(id) + "?tenant=eksjo", savsjo);
  EXPECT_EQ(r.status, 404);
  request q;
  q.target = "/t/savsjo/api/v1/news/" + std::to_string(id);
  q.host = "eksjo.localhost";
  q.headers["Authorization"] = "Bearer " + savsjo;
  auto crossed = srv->send(q);
  EXPECT_TRUE(crossed.status == 404 || crossed.status == 403) << crossed.status;
  EXPECT_EQ(crossed.body.find("Eksjös nyhet"), std::string::npos);
}

}  // namespace
}  // namespace samverka::testing
