// Directory sync end to end: SCIM 2.0 as Entra ID's provisioning client sends it (request
// sequences from Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint",
// quirks included), and CSV import through samverkactl.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>

#include "fixture.hpp"
#include "harness.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;

constexpr const char* ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

class directory : public platform {
 protected:
  void SetUp() override {
    platform::SetUp();
    if (HasFatalFailure()) return;
    token = scim_token("eksjo");
  }

  std::string scim_token(const std::string& slug) {
    auto r = ctl(dir.path(), {"scim", "token", "create", slug});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto t = r.out;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  // One SCIM request at /t/SLUG/scim/v2PATH with `tok` (none if empty).
  response scim(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& tok = "<default>", const std::string& slug = "eksjo",
                const std::string& content_type = "application/scim+json") {
    request r;
    r.method = method;
    r.target = "/t/" + slug + "/scim/v2" + path;
    r.body = body;
    r.content_type = content_type;
    const std::string t = tok == "<default>" ? token : tok;
    if (!t.empty()) r.headers["Authorization"] = "Bearer " + t;
    return srv->send(r);
  }

  static std::string user_body(const std::string& user_name, const std::string& given,
                               const std::string& family, const std::string& department = "") {
    json::object o{{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:User", ent}},
                   {"externalId", "ext-" + user_name},
                   {"userName", user_name},
                   {"active", true},
                   {"displayName", given + " " + family},
                   {"name", json::object{{"formatted", given + " " + family},
                                         {"familyName", family},
                                         {"givenName", given}}},
                   {"emails", json::array{json::object{
                                  {"primary", true}, {"type", "work"}, {"value", user_name}}}},
                   {"meta", json::object{{"resourceType", "User"}}}};
    if (!department.empty()) o[ent] = json::object{{"department", department}};
    return json::serialize(o);
  }

  static std::string patch(json::array ops) {
    return json::serialize(
        json::object{{"schemas", json::array{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
                     {"Operations", std::move(ops)}});
  }

  // Entra's filter query for a userName.
  response find_user(const std::string& user_name, const std::string& tok = "<default>",
                     const std::string& slug = "eksjo") {
    return scim("GET", "/Users?filter=userName+eq+%22" + user_name + "%22", "", tok, slug);
  }

  std::string create_user(const std::string& user_name, const std::string& given = "Test",
                          const std::string& family = "Person", const std::string& dept = "") {
    auto r = scim("POST", "/Users", user_body(user_name, given, family, dept));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(r.json().at("id").as_string()) : "";
  }

  // A person's row as `samverkactl user list --json` shows it.
  json::object cli_user(const std::string& email, const std::string& slug = "eksjo") {
    auto r = ctl(dir.path(), {"--json", "user", "list", slug});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto doc = json::parse(r.out);  // kept alive while iterating it
    for (auto& u : doc.as_array())
      if (u.at("email").as_string() == email) return u.as_object();
    return {};
  }

  static bool has_unit(const json::object& u, const std::string& unit) {
    if (!u.contains("units")) return false;
    for (auto& n : u.at("units").as_array())
      if (n.as_string() == unit) return true;
    return false;
  }

  static void expect_scim_error(const response& r, int status, const std::string& scim_type = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
              "application/scim+json");
    auto doc = r.json();
    EXPECT_EQ(doc.at("schemas").at(0).as_string(), "urn:ietf:params:scim:api:messages:2.0:Error");
    EXPECT_EQ(doc.at("status").as_string(), std::to_string(status));
    EXPECT_TRUE(doc.as_object().contains("detail"));
    if (!scim_type.empty()) {
      EXPECT_EQ(doc.at("scimType").as_string(), scim_type) << r.body;
    }
  }

  std::string token;
};

TEST_F(directory, discovery_endpoints) {
  for (const char* p :
       {"/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/ResourceTypes/User",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"}) {
    auto r = scim("GET", p);
    EXPECT_EQ(r.status, 200) << p << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/scim+json") << p;
  }
  auto cfg = scim("GET", "/ServiceProviderConfig").json();
  EXPECT_TRUE(cfg.at("patch").at("supported").as_bool());
  EXPECT_FALSE(cfg.at("bulk").at("supported").as_bool());
  EXPECT_EQ(scim("GET", "/ResourceTypes").json().at("totalResults").as_int64(), 2);
  EXPECT_EQ(scim("GET", "/Schemas").json().at("totalResults").as_int64(), 3);
  expect_scim_error(scim("GET", "/Schemas/urn:nope"), 404);
}

TEST_F(directory, authentication_and_tenant_isolation) {
  expect_scim_error(scim("GET", "/Users", "", ""), 401);
  expect_scim_error(scim("GET", "/Users", "", "not-a-token"), 401);
  expect_scim_error(scim("GET", "/ServiceProviderConfig", "", ""), 401);
  // A session token is not a SCIM token.
  expect_scim_error(scim("GET", "/Users", "", as("admin")), 401);
  // A token of savsjo on eksjo (and the other way round).
  const auto savsjo = scim_token("savsjo");
  expect_scim_error(scim("GET", "/Users", "", savsjo, "eksjo"), 401);
  expect_scim_error(scim("POST", "/Users", user_body("x@eksjo.se", "X", "Y"), savsjo, "eksjo"),
                    401);
  expect_scim_error(scim("GET", "/Users", "", token, "savsjo"), 401);
  EXPECT_EQ(find_user("x@eksjo.se").json().at("totalResults").as_int64(), 0);

  // What eksjo provisions stays in eksjo.
  const auto id = create_user("ny@eksjo.se", "Ny", "Person");
  EXPECT_EQ(find_user("ny@eksjo.se", savsjo, "savsjo").json().at("totalResults").as_int64(), 0);
  auto other = scim("GET", "/Users/" + id, "", savsjo, "savsjo");
  if (other.status == 200) {
    EXPECT_NE(other.json().at("userName").as_string(), "ny@eksjo.se");
  }
  EXPECT_TRUE(cli_user("ny@eksjo.se", "savsjo").empty());
  EXPECT_FALSE(cli_user("ny@eksjo.se", "eksjo").empty());
  // An unknown tenant: 404 before anything else.
  EXPECT_EQ(scim("GET", "/Users", "", token, "nosuchtenant").status, 404);

  // Tokens are listed by id (never the token) and revoked at once.
  auto l = ctl(dir.path(), {"--json", "scim", "token", "list", "eksjo"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  auto tokens = json::parse(l.out).as_array();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(l.out.find(token), std::string::npos);
  const std::string tid(tokens[0].at("id").as_string());
  EXPECT_EQ(ctl(dir.path(), {"scim", "token", "revoke", "savsjo", tid}).exit_code, 1);
  EXPECT_EQ(scim("GET", "/Users").status, 200);
  auto rv = ctl(dir.path(), {"scim", "token", "revoke", "eksjo", tid});
  ASSERT_EQ(rv.exit_code, 0) << rv.err;
  expect_scim_error(scim("GET", "/Users"), 401);
  EXPECT_EQ(ctl(dir.path(), {"scim", "token", "revoke", "eksjo", tid}).exit_code, 1);
  EXPECT_EQ(scim("GET", "/Users", "", savsjo, "savsjo").status, 200);
}

TEST_F(directory, entra_user_lifecycle) {
  // 1. Entra looks the user up first: an empty ListResponse, not a 404.
  auto r = find_user("kim.ek@eksjo.se");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/scim+json");
  auto list = r.json();
  EXPECT_EQ(list.at("schemas").at(0).as_string(),
            "urn:ietf:params:scim:api:messages:2.0:ListResponse");
  EXPECT_EQ(list.at("totalResults").as_int64(), 0);
  EXPECT_EQ(list.at("Resources").as_array().size(), 0u);

  // 2. Then creates it.
  r = scim("POST", "/Users", user_body("Kim.Ek@eksjo.se", "Kim", "Ek", "Hemtjänst"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto user = r.json();
  const std::string id(user.at("id").as_string());
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(user.at("userName").as_string(), "Kim.Ek@eksjo.se");
  EXPECT_EQ(user.at("externalId").as_string(), "ext-Kim.Ek@eksjo.se");
  EXPECT_TRUE(user.at("active").as_bool());
  EXPECT_TRUE(r.headers.count("location"));
  auto cu = cli_user("kim.ek@eksjo.se");
  ASSERT_FALSE(cu.empty());
  EXPECT_EQ(cu.at("name").as_string(), "Kim Ek");
  EXPECT_TRUE(has_unit(cu, "Hemtjänst"));
  EXPECT_FALSE(cu.at("has_password").as_bool());

  // 3. The filter finds it now, in any letter case of the userName.
  r = find_user("kim.ek@EKSJO.se");
  ASSERT_EQ(r.json().at("totalResults").as_int64(), 1);
  EXPECT_EQ(r.json().at("Resources").at(0).at("id").as_string(), id);

  // 4. A second POST of the same userName: 409 uniqueness.
  expect_scim_error(scim("POST", "/Users", user_body("kim.ek@eksjo.se", "Kim", "Ek")), 409,
                    "uniqueness");
  // 5. Unknown ids: 404 in SCIM's error shape.
  expect_scim_error(scim("GET", "/Users/999999"), 404);
  expect_scim_error(scim("GET", "/Users/abc"), 404);
  expect_scim_error(scim("PATCH", "/Users/999999", patch({})), 404);

  // 6. Entra's PATCH: capitalised ops, booleans as strings, filtered paths.
  r = scim("PATCH", "/Users/" + id,
           patch({json::object{{"op", "Replace"}, {"path", "active"}, {"value", "False"}},
                  json::object{{"op", "Replace"},
                               {"path", "emails[type eq \"work\"].value"},
                               {"value", "kim.ek2@eksjo.se"}},
                  json::object{{"op", "Add"}, {"path", "name.givenName"}, {"value", "Kimmy"}},
                  json::object{{"op", "replace"}, {"path", "title"}, {"value", "Samordnare"}},
                  json::object{{"op", "Add"},
                               {"path", "phoneNumbers[type eq \"work\"].value"},
                               {"value", "+46 381 123 45"}},
                  json::object{{"op", "Replace"},
                               {"path", std::string(ent) + ":department"},
                               {"value", "Skolan"}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  user = r.json();
  EXPECT_FALSE(user.at("active").as_bool());  // deactivated, still returned
  EXPECT_EQ(user.at("emails").at(0).at("value").as_string(), "kim.ek2@eksjo.se");
  EXPECT_EQ(user.at("name").at("givenName").as_string(), "Kimmy");
  EXPECT_EQ(user.at("title").as_string(), "Samordnare");
  EXPECT_EQ(user.at("phoneNumbers").at(0).at("value").as_string(), "+46 381 123 45");
  EXPECT_EQ(user.at(ent).at("department").as_string(), "Skolan");
  cu = cli_user("kim.ek2@eksjo.se");
  ASSERT_FALSE(cu.empty());
  EXPECT_FALSE(cu.at("active").as_bool());
  EXPECT_TRUE(has_unit(cu, "Skolan"));
  EXPECT_FALSE(has_unit(cu, "Hemtjänst"));  // the old department's unit is left
  // GET returns the deactivated user too.
  r = scim("GET", "/Users/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json().at("active").as_bool());

  // 7. Reactivation, and a PATCH without path (value object), lower-case op, "True".
  r = scim("PATCH", "/Users/" + id,
           patch({json::object{
               {"op", "replace"},
               {"value", json::object{{"active", "True"}, {"displayName", "Kim Ek-Berg"}}}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("active").as_bool());
  EXPECT_EQ(r.json().at("displayName").as_string(), "Kim Ek-Berg");

  // 8. Remove an attribute.
  r = scim("PATCH", "/Users/" + id, patch({json::object{{"op", "Remove"}, {"path", "title"}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().as_object().contains("title"));

  // 9. PUT replaces.
  r = scim("PUT", "/Users/" + id, user_body("kim.ek@eksjo.se", "Kim", "Ek", "Skolan"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("emails").at(0).at("value").as_string(), "kim.ek@eksjo.se");
  EXPECT_EQ(r.json().at("displayName").as_string(), "Kim Ek");

  // 10. DELETE: 204, then 404; the person is kept deactivated for authorship.
  r = scim("DELETE", "/Users/" + id);
  EXPECT_EQ(r.status, 204) << r.body;
  expect_scim_error(scim("GET", "/Users/" + id), 404);
  EXPECT_EQ(find_user("kim.ek@eksjo.se").json().at("totalResults").as_int64(), 0);
  cu = cli_user("kim.ek@eksjo.se");
  ASSERT_FALSE(cu.empty());
  EXPECT_FALSE(cu.at("active").as_bool());
  // Entra provisioning the same person again revives them.
  r = scim("POST", "/Users", user_body("kim.ek@eksjo.se", "Kim", "Ek"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("id").as_string(), id);
  EXPECT_TRUE(cli_user("kim.ek@eksjo.se").at("active").as_bool());
}

TEST_F(directory, deactivation_ends_sessions_everywhere_at_once) {
  const auto anna = as("anna");
  ASSERT_EQ(srv->get("/t/eksjo/api/v1/me", anna).status, 200);
  // pendlare@eksjo.se works in savsjo too, with the session from home.
  const auto pendlare = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(srv->get("/t/savsjo/api/v1/me", pendlare).status, 200);

  // CLI-added people are found by their e-mail as userName.
  auto r = find_user("anna@eksjo.se");
  ASSERT_EQ(r.json().at("totalResults").as_int64(), 1) << r.body;
  const std::string anna_id(r.json().at("Resources").at(0).at("id").as_string());
  r = find_user("pendlare@eksjo.se");
  ASSERT_EQ(r.json().at("totalResults").as_int64(), 1) << r.body;
  const std::string pendlare_id(r.json().at("Resources").at(0).at("id").as_string());

  for (const auto& id : {anna_id, pendlare_id}) {
    r = scim("PATCH", "/Users/" + id,
             patch({json::object{{"op", "Replace"}, {"path", "active"}, {"value", "False"}}}));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.json().at("active").as_bool());
  }
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", anna).status, 401);
  EXPECT_EQ(srv->get("/t/savsjo/api/v1/me", pendlare).status, 401);
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", pendlare).status, 401);

  // Reactivated: a new login works; the old sessions stay revoked.
  r = scim("PATCH", "/Users/" + anna_id,
           patch({json::object{{"op", "Replace"}, {"path", "active"}, {"value", "True"}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", anna).status, 401);
  const auto again = as("anna");
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", again).status, 200);
}

TEST_F(directory, paging) {
  for (int i = 0; i < 5; ++i) create_user("p" + std::to_string(i) + "@eksjo.se");
  auto all = scim("GET", "/Users?startIndex=1&count=200").json();
  const auto total = all.at("totalResults").as_int64();
  ASSERT_GE(total, 5 + 5);  // the demo's people and the five new ones
  EXPECT_EQ(all.at("Resources").as_array().size(), static_cast<std::size_t>(total));
  auto p1 = scim("GET", "/Users?startIndex=1&count=2").json();
  EXPECT_EQ(p1.at("totalResults").as_int64(), total);
  EXPECT_EQ(p1.at("itemsPerPage").as_int64(), 2);
  EXPECT_EQ(p1.at("startIndex").as_int64(), 1);
  auto p2 = scim("GET", "/Users?startIndex=3&count=2").json();
  ASSERT_EQ(p2.at("Resources").as_array().size(), 2u);
  EXPECT_EQ(p2.at("Resources").at(0).at("id"), all.at("Resources").at(2).at("id"));
  auto last = scim("GET", "/Users?startIndex=" + std::to_string(total) + "&count=10").json();
  EXPECT_EQ(last.at("Resources").as_array().size(), 1u);
  auto beyond = scim("GET", "/Users?startIndex=" + std::to_string(total + 5)).json();
  EXPECT_EQ(beyond.at("Resources").as_array().size(), 0u);
  EXPECT_EQ(beyond.at("totalResults").as_int64(), total);
  auto zero = scim("GET", "/Users?count=0").json();
  EXPECT_EQ(zero.at("Resources").as_array().size(), 0u);
  EXPECT_EQ(zero.at("totalResults").as_int64(), total);
  expect_scim_error(scim("GET", "/Users?count=abc"), 400, "invalidValue");
  expect_scim_error(scim("GET", "/Users?filter=title+co+%22x%22"), 400, "invalidFilter");
}

TEST_F(directory, groups_and_membership) {
  const auto a = create_user("g.a@eksjo.se");
  const auto b = create_user("g.b@eksjo.se");
  auto r = scim(
      "GET", "/Groups?filter=displayName+eq+%22Fritidsg%C3%A5rden%22&excludedAttributes=members");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("totalResults").as_int64(), 0);

  r = scim("POST", "/Groups",
           json::serialize(
               json::object{{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                            {"externalId", "grp-1"},
                            {"displayName", "Fritidsgården"},
                            {"members", json::array{json::object{{"value", a}}}}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string gid(r.json().at("id").as_string());
  EXPECT_EQ(r.json().at("members").as_array().size(), 1u);
  EXPECT_TRUE(has_unit(cli_user("g.a@eksjo.se"), "Fritidsgården"));
  expect_scim_error(scim("POST", "/Groups", R"({"displayName":"fritidsgården"})"), 409,
                    "uniqueness");

  r = scim("GET",
           "/Groups?filter=displayName+eq+%22Fritidsg%C3%A5rden%22&excludedAttributes=members");
  ASSERT_EQ(r.json().at("totalResults").as_int64(), 1);
  EXPECT_FALSE(r.json().at("Resources").at(0).as_object().contains("members"));
  EXPECT_EQ(r.json().at("Resources").at(0).at("id").as_string(), gid);

  // Entra adds and removes members with PATCH (capitalised ops).
  r = scim("PATCH", "/Groups/" + gid,
           patch({json::object{{"op", "Add"},
                               {"path", "members"},
                               {"value", json::array{json::object{{"value", b}}}}}}));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(has_unit(cli_user("g.b@eksjo.se"), "Fritidsgården"));
  // Entra's membership check.
  r = scim("GET", "/Groups?filter=id+eq+%22" + gid + "%22+and+members%5Bvalue+eq+%22" + b +
                      "%22%5D&excludedAttributes=members");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("totalResults").as_int64(), 1);

  r = scim("PATCH", "/Groups/" + gid,
           patch({json::object{{"op", "Remove"},
                               {"path", "members"},
                               {"value", json::array{json::object{{"value", a}}}}}}));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_FALSE(has_unit(cli_user("g.a@eksjo.se"), "Fritidsgården"));
  r = scim("PATCH", "/Groups/" + gid,
           patch({json::object{{"op", "remove"}, {"path", "members[value eq \"" + b + "\"]"}}}));
  EXPECT_EQ(r.status, 204) << r.body;
  r = scim("GET", "/Groups/" + gid);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("members").as_array().size(), 0u);
  r = scim("GET", "/Groups?filter=id+eq+%22" + gid + "%22+and+members%5Bvalue+eq+%22" + b +
                      "%22%5D&excludedAttributes=members");
  EXPECT_EQ(r.json().at("totalResults").as_int64(), 0);

  // Rename, and a member that does not exist (nothing changed).
  r = scim(
      "PATCH", "/Groups/" + gid,
      patch({json::object{{"op", "Replace"}, {"value", json::object{{"displayName", "Fritid"}}}}}));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(scim("GET", "/Groups/" + gid).json().at("displayName").as_string(), "Fritid");
  expect_scim_error(
      scim("PATCH", "/Groups/" + gid,
           patch({json::object{{"op", "Add"},
                               {"path", "members"},
                               {"value", json::array{json::object{{"value", "987654"}}}}}})),
      400, "invalidValue");
  EXPECT_EQ(scim("GET", "/Groups/" + gid).json().at("members").as_array().size(), 0u);

  EXPECT_EQ(scim("DELETE", "/Groups/" + gid).status, 204);
  expect_scim_error(scim("GET", "/Groups/" + gid), 404);
  expect_scim_error(scim("DELETE", "/Groups/" + gid), 404);
}

TEST_F(directory, manager_department_and_media_types) {
  const auto boss = create_user("boss@eksjo.se", "Bo", "Ss", "Ny förvaltning");
  // application/json is accepted as well as application/scim+json.
  auto r = scim("POST", "/Users", user_body("report@eksjo.se", "Re", "Port"), "<default>", "eksjo",
                "application/json");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string rid(r.json().at("id").as_string());
  EXPECT_TRUE(has_unit(cli_user("boss@eksjo.se"), "Ny förvaltning"));  // created on demand

  r = scim("PATCH", "/Users/" + rid,
           patch({json::object{
               {"op", "Add"}, {"path", std::string(ent) + ":manager"}, {"value", boss}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at(ent).at("manager").at("value").as_string(), boss);
  r = scim("PATCH", "/Users/" + rid,
           patch({json::object{{"op", "Remove"}, {"path", std::string(ent) + ":manager"}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at(ent).as_object().contains("manager"));
  expect_scim_error(scim("PATCH", "/Users/" + rid,
                         patch({json::object{{"op", "Replace"},
                                             {"path", std::string(ent) + ":manager"},
                                             {"value", json::object{{"value", "424242"}}}}})),
                    400, "invalidValue");

  // With unit creation off, an unknown department creates nothing.
  auto s = ctl(dir.path(), {"scim", "settings", "eksjo", "--create-units", "no"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  r = scim("POST", "/Users", user_body("nounit@eksjo.se", "No", "Unit", "Okänd enhet"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(has_unit(cli_user("nounit@eksjo.se"), "Okänd enhet"));
  auto units = ctl(dir.path(), {"--json", "unit", "list", "eksjo"});
  EXPECT_EQ(units.out.find("Okänd enhet"), std::string::npos);
}

TEST_F(directory, bad_input_changes_nothing) {
  auto before = ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out;
  expect_scim_error(scim("POST", "/Users", R"({"schemas":[],"active":true})"), 400, "invalidValue");
  expect_scim_error(scim("POST", "/Users", "{not json"), 400, "invalidSyntax");
  expect_scim_error(scim("POST", "/Users", "[1,2]"), 400, "invalidSyntax");
  expect_scim_error(
      scim("POST", "/Users", user_body("a@b.se", "A", "B"), "<default>", "eksjo", "text/plain"),
      415);
  expect_scim_error(scim("POST", "/Users", user_body("not an email", "A", "B")), 400,
                    "invalidValue");
  const auto id = find_user("anna@eksjo.se").json().at("Resources").at(0).at("id");
  const std::string anna(id.as_string());
  expect_scim_error(
      scim("PATCH", "/Users/" + anna,
           patch({json::object{{"op", "Replace"}, {"path", "active"}, {"value", "False"}},
                  json::object{{"op", "Frobnicate"}, {"path", "title"}, {"value", "x"}}})),
      400, "invalidSyntax");
  expect_scim_error(
      scim("PATCH", "/Users/" + anna,
           patch({json::object{{"op", "Replace"}, {"path", "active"}, {"value", "maybe"}}})),
      400, "invalidValue");
  expect_scim_error(scim("PATCH", "/Users/" + anna, R"({"Operations":[]})"), 400, "invalidSyntax");
  // Taking another person's e-mail.
  expect_scim_error(scim("PATCH", "/Users/" + anna,
                         patch({json::object{{"op", "Replace"},
                                             {"path", "emails[type eq \"work\"].value"},
                                             {"value", "bo@eksjo.se"}}})),
                    409, "uniqueness");
  EXPECT_EQ(ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out, before);
}

// ---- CSV import ------------------------------------------------------------------------------

class directory_csv : public directory {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    auto p = dir.path() / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

TEST_F(directory_csv, good_file_bad_file_and_reimport) {
  // Quoted fields (a comma, a doubled quote), CRLF, a BOM, UTF-8, a manager listed after their
  // report, a unit path creating units, roles, and an existing person updated.
  const std::string good =
      "\xEF\xBB\xBF"
      "email,name,unit,roles,title,phone,manager_email\r\n"
      "lisa@eksjo.se,\"Lindqvist, Lisa\",Socialförvaltningen/Äldreomsorg,editor;manager,"
      "\"Enhetschef \"\"Äldre\"\"\",0381-1000,chef.ny@eksjo.se\r\n"
      "chef.ny@eksjo.se,Chef Ny,Socialförvaltningen,manager,Förvaltningschef,,\r\n"
      "bo@eksjo.se,Bo Bengtsson,Skolan,,Lärare,,\r\n"
      "pia@savsjo.se,Pia Pendel,Skolan,,,,\r\n";
  const auto file = write("good.csv", good);
  auto r = ctl(dir.path(), {"--json", "user", "import", "eksjo", "--csv", file});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto rep = json::parse(r.out);
  EXPECT_EQ(rep.at("created").as_int64(), 3);
  EXPECT_EQ(rep.at("updated").as_int64(), 1);

  auto lisa = cli_user("lisa@eksjo.se");
  ASSERT_FALSE(lisa.empty());
  EXPECT_EQ(lisa.at("name").as_string(), "Lindqvist, Lisa");
  EXPECT_TRUE(has_unit(lisa, "Äldreomsorg"));
  EXPECT_FALSE(lisa.at("has_password").as_bool());
  const auto roles = json::serialize(lisa.at("roles"));
  EXPECT_NE(roles.find("editor"), std::string::npos);
  EXPECT_NE(roles.find("manager"), std::string::npos);
  // The manager relation and title are visible to SCIM.
  auto scim_lisa = find_user("lisa@eksjo.se").json().at("Resources").at(0);
  const std::string chef_id(
      find_user("chef.ny@eksjo.se").json().at("Resources").at(0).at("id").as_string());
  EXPECT_EQ(scim_lisa.at(ent).at("manager").at("value").as_string(), chef_id);
  EXPECT_EQ(scim_lisa.at("title").as_string(), "Enhetschef \"Äldre\"");
  // The unit path: Äldreomsorg under Socialförvaltningen.
  auto units = json::parse(ctl(dir.path(), {"--json", "unit", "list", "eksjo"}).out);
  bool nested = false;
  for (auto& u : units.as_array())
    if (u.at("name").as_string() == "Äldreomsorg")
      nested = u.at("parent").is_string() && u.at("parent").as_string() == "Socialförvaltningen";
  EXPECT_TRUE(nested);
  EXPECT_TRUE(has_unit(cli_user("bo@eksjo.se"), "Skolan"));
  // A person whose domain another tenant owns is a member here without a password, and the
  // registry knows the membership (so their home session works here).
  EXPECT_FALSE(cli_user("pia@savsjo.se").empty());

  // Re-import: idempotent.
  r = ctl(dir.path(), {"--json", "user", "import", "eksjo", "--csv", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rep = json::parse(r.out);
  EXPECT_EQ(rep.at("created").as_int64(), 0);
  EXPECT_EQ(rep.at("updated").as_int64(), 0);
  EXPECT_EQ(rep.at("unchanged").as_int64(), 4);

  // A file with bad lines: every problem reported with its line, nothing imported.
  const auto before = ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out;
  const auto units_before = ctl(dir.path(), {"--json", "unit", "list", "eksjo"}).out;
  const std::string bad =
      "email,name,unit,roles,title,phone,manager_email\n"
      "ok1@eksjo.se,Ok Ett,Ny enhet,,,,\n"
      "not-an-email,Trasig,,,,,\n"
      "ok2@eksjo.se,Ok Två,,superhero,,,\n"
      "ok3@eksjo.se,Ok Tre,,,,,nobody@eksjo.se\n"
      "ok4@eksjo.se,Too,Few\n"
      "bo@eksjo.se,Bo Bytt Namn,,,,,\n";
  r = ctl(dir.path(), {"user", "import", "eksjo", "--csv", write("bad.csv", bad)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(":4: unknown role"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":6: "), std::string::npos) << r.out;
  EXPECT_EQ(ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out, before);
  EXPECT_EQ(ctl(dir.path(), {"--json", "unit", "list", "eksjo"}).out, units_before);
  // Store-level problems (after parsing) are reported with lines too.
  const std::string bad2 =
      "email,name,manager_email\n"
      "ok1@eksjo.se,Ok Ett,\n"
      "not-an-email,Trasig,\n"
      "ok3@eksjo.se,Ok Tre,nobody@eksjo.se\n"
      "ok1@eksjo.se,Dubbel,\n";
  r = ctl(dir.path(), {"--json", "user", "import", "eksjo", "--csv", write("bad2.csv", bad2)});
  EXPECT_EQ(r.exit_code, 1);
  auto problems = json::parse(r.out).at("problems").as_array();
  ASSERT_EQ(problems.size(), 3u) << r.out;
  EXPECT_EQ(problems[0].at("line").as_int64(), 3);
  EXPECT_EQ(problems[1].at("line").as_int64(), 4);
  EXPECT_EQ(problems[2].at("line").as_int64(), 5);
  EXPECT_EQ(ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out, before);

  // An unclosed quote, an unknown column: refused with the line.
  r = ctl(dir.path(),
          {"user", "import", "eksjo", "--csv", write("q.csv", "email,name\nx@eksjo.se,\"Open\n")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(":2: a quoted field is not closed"), std::string::npos) << r.out;
  r = ctl(dir.path(), {"user", "import", "eksjo", "--csv", write("h.csv", "email,namn\n")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(":1: unknown column"), std::string::npos) << r.out;
  EXPECT_EQ(ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out, before);

  // --dry-run counts and changes nothing; a changed row then updates.
  const std::string changed = "email,name,title\nbo@eksjo.se,Bo Bengtsson,Rektor\n";
  r = ctl(dir.path(),
          {"--json", "user", "import", "eksjo", "--csv", write("c.csv", changed), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("updated").as_int64(), 1);
  EXPECT_EQ(ctl(dir.path(), {"--json", "user", "list", "eksjo"}).out, before);
  r = ctl(dir.path(), {"--json", "users", "import", "eksjo", "--csv", write("c.csv", changed)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("updated").as_int64(), 1);
  EXPECT_EQ(find_user("bo@eksjo.se").json().at("Resources").at(0).at("title").as_string(),
            "Rektor");
  // Missing file, unknown tenant.
  EXPECT_EQ(ctl(dir.path(), {"user", "import", "eksjo", "--csv", "/nonexistent.csv"}).exit_code, 1);
  EXPECT_EQ(ctl(dir.path(), {"user", "import", "nosuch", "--csv", file}).exit_code, 1);
}

}  // namespace
}  // namespace samverka::testing
