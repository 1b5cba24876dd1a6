// Tenant administration end to end: admins change people (roles, units, activity, title) and
// the org tree over HTTP; everyone else gets 403; bad input changes nothing; every change is on
// the audit trail with the admin as actor; deactivation ends sessions at once; and no admin
// reaches another tenant's people or units, by id or by token.
#include "fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;

std::string api(const std::string& slug, const std::string& path) {
  return "/t/" + slug + "/api/v1" + path;
}

class admin_api : public platform {
 protected:
  // The person with `email` as GET /users lists them at `slug` (admin's view).
  json::object person(const std::string& email, const std::string& slug = "eksjo") {
    auto r = srv->get(api(slug, "/users"), as("admin", slug));
    EXPECT_EQ(r.status, 200) << r.body;
    auto doc = r.json();
    for (auto& u : doc.at("items").as_array())
      if (u.at("email").as_string() == email) return u.as_object();
    ADD_FAILURE() << "no person " << email << " at " << slug;
    return {};
  }
  std::int64_t person_id(const std::string& email, const std::string& slug = "eksjo") {
    auto p = person(email, slug);
    return p.empty() ? 0 : p.at("id").to_number<std::int64_t>();
  }
  // The unit named `name` at `slug`, or an empty object.
  json::object unit(const std::string& name, const std::string& slug = "eksjo") {
    auto r = srv->get(api(slug, "/units"), as("anna", slug));
    EXPECT_EQ(r.status, 200) << r.body;
    auto doc = r.json();
    for (auto& u : doc.at("items").as_array())
      if (u.at("name").as_string() == name) return u.as_object();
    return {};
  }
  std::string units_body(const std::string& slug = "eksjo") {
    return srv->get(api(slug, "/units"), as("anna", slug)).body;
  }
  std::string users_body(const std::string& slug = "eksjo") {
    return srv->get(api(slug, "/users"), as("admin", slug)).body;
  }
  // Audit entries (newest first) at `slug` with action `action` by that tenant's admin (the
  // demo's provisioning records its own entries, with actor "operator").
  std::vector<json::object> audit(const std::string& action, const std::string& slug = "eksjo") {
    auto r =
        srv->get(api(slug, "/audit?limit=200&action=" + action + "&actor=admin@" + slug + ".se"),
                 as("admin", slug));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<json::object> out;
    if (r.status != 200) return out;
    auto doc = r.json();
    for (auto& e : doc.at("items").as_array()) out.push_back(e.as_object());
    return out;
  }
  static std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
  }
};

TEST_F(admin_api, admin_sets_roles_units_title_and_audits_it) {
  const auto anna = person_id("anna@eksjo.se");
  auto r = srv->patch(api("eksjo", "/users/" + std::to_string(anna)),
                      body({{"roles", json::array{"editor", "manager"}},
                            {"units", json::array{"Skolan", "Hemtjänst"}},
                            {"title", "Undersköterska"}}),
                      as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto p = r.json().as_object();
  EXPECT_EQ(strings(p.at("roles")), (std::vector<std::string>{"employee", "manager", "editor"}));
  EXPECT_EQ(strings(p.at("units")), (std::vector<std::string>{"Hemtjänst", "Skolan"}));
  EXPECT_EQ(p.at("title").as_string(), "Undersköterska");
  EXPECT_TRUE(p.at("active").as_bool());

  // The change is real: anna now publishes news (editor) and her profile shows the title.
  const auto token = as("anna");
  auto news =
      srv->post(api("eksjo", "/news"), body({{"title", "Från Anna"}, {"body", "<p>x</p>"}}), token);
  EXPECT_EQ(news.status, 201) << news.body;
  auto prof = srv->get(api("eksjo", "/people/" + std::to_string(anna)), token);
  EXPECT_EQ(prof.json().at("title").as_string(), "Undersköterska");
  auto one = srv->get(api("eksjo", "/users/" + std::to_string(anna)), as("admin"));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json().at("title").as_string(), "Undersköterska");

  auto entries = audit("user.update");
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().at("actor").at("email").as_string(), "admin@eksjo.se");
  EXPECT_EQ(entries.front().at("item").at("type").as_string(), "user");
  EXPECT_EQ(entries.front().at("item").at("id").to_number<std::int64_t>(), anna);
  const std::string detail(entries.front().at("detail").as_string());
  EXPECT_NE(detail.find("editor"), std::string::npos) << detail;
  EXPECT_NE(detail.find("Skolan"), std::string::npos) << detail;

  // The same change again changes nothing and records nothing.
  const auto before = entries.size();
  r = srv->patch(api("eksjo", "/users/" + std::to_string(anna)),
                 body({{"roles", json::array{"editor", "manager"}}}), as("admin"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(audit("user.update").size(), before);
}

TEST_F(admin_api, only_admins_may_change_people_and_units) {
  const auto anna = person_id("anna@eksjo.se");
  const auto users = users_body();
  const auto units = units_body();
  const auto hemtjanst = unit("Hemtjänst").at("id").to_number<std::int64_t>();
  for (const std::string who : {"anna", "editor", "chef"}) {
    const auto token = as(who);
    auto r = srv->patch(api("eksjo", "/users/" + std::to_string(anna)),
                        body({{"roles", json::array{"admin"}}}), token);
    EXPECT_EQ(r.status, 403) << who << ": " << r.body;
    EXPECT_EQ(r.error_code(), "forbidden");
    // Even a malformed body is 403 first: a non-admin learns nothing from validation.
    r = srv->patch(api("eksjo", "/users/" + std::to_string(anna)), "{", token);
    EXPECT_EQ(r.status, 403) << who;
    EXPECT_EQ(srv->get(api("eksjo", "/users/" + std::to_string(anna)), token).status, 403);
    EXPECT_EQ(srv->post(api("eksjo", "/units"), body({{"name", "Ny"}}), token).status, 403);
    EXPECT_EQ(srv->patch(api("eksjo", "/units/" + std::to_string(hemtjanst)),
                         body({{"name", "Ny"}}), token)
                  .status,
              403);
    EXPECT_EQ(srv->del(api("eksjo", "/units/" + std::to_string(hemtjanst)), token).status, 403);
  }
  EXPECT_EQ(srv->patch(api("eksjo", "/users/" + std::to_string(anna)),
                       body({{"roles", json::array{"admin"}}}))
                .status,
            401);
  EXPECT_EQ(users_body(), users);
  EXPECT_EQ(units_body(), units);
}

TEST_F(admin_api, bad_input_is_4xx_and_changes_nothing) {
  const auto anna = person_id("anna@eksjo.se");
  const auto path = api("eksjo", "/users/" + std::to_string(anna));
  const auto users = users_body();
  const auto audit_before = audit("user.update").size();
  struct bad {
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<bad> cases = {
      {"{", 400, "malformed_json"},
      {"[]", 400, "invalid_body"},
      {R"({"roles":"admin"})", 400, "invalid_field"},
      {R"({"roles":["kung"]})", 400, "unknown_role"},
      {R"({"units":["Finns inte"]})", 400, "unknown_unit"},
      {R"({"units":[1]})", 400, "invalid_field"},
      {R"({"active":"false"})", 400, "invalid_field"},
      {R"({"name":""})", 400, "name_required"},
      {R"({"name":"a\u0001b"})", 400, "invalid_name"},
      {R"({"title":")" + std::string(201, 'x') + R"("})", 400, "title_too_long"},
      {R"({"email":"x@eksjo.se"})", 400, "unknown_field"},
      {R"({"password":"hemligt-123"})", 400, "unknown_field"},
      // A valid field beside an invalid one: nothing of it is applied.
      {R"({"title":"Ny titel","roles":["kung"]})", 400, "unknown_role"},
  };
  for (const auto& c : cases) {
    auto r = srv->patch(path, c.body, as("admin"));
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(r.error_code(), c.code) << c.body;
  }
  EXPECT_EQ(srv->patch(api("eksjo", "/users/999999"), body({{"title", "x"}}), as("admin")).status,
            404);
  EXPECT_EQ(srv->patch(api("eksjo", "/users/abc"), body({{"title", "x"}}), as("admin")).status,
            404);
  request plain{"PATCH", path,        "", {{"Authorization", "Bearer " + as("admin")}},
                "{}",    "text/plain"};
  EXPECT_EQ(srv->send(plain).status, 415);

  const auto units = units_body();
  const auto hemtjanst = unit("Hemtjänst").at("id").to_number<std::int64_t>();
  const std::vector<bad> unit_cases = {
      {R"({"parent":"Socialförvaltningen"})", 400, "missing_field"},
      {R"({"name":""})", 400, "name_required"},
      {R"({"name":"X","parent":"Finns inte"})", 400, "unknown_unit"},
      {R"({"name":"hemtjänst"})", 409, "unit_exists"},  // names are unique regardless of case
      {R"({"name":7})", 400, "invalid_field"},
      {R"({"name":"X","extra":1})", 400, "unknown_field"},
  };
  for (const auto& c : unit_cases) {
    auto r = srv->post(api("eksjo", "/units"), c.body, as("admin"));
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(r.error_code(), c.code) << c.body;
  }
  auto r = srv->patch(api("eksjo", "/units/" + std::to_string(hemtjanst)),
                      body({{"name", "Skolan"}}), as("admin"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "unit_exists");
  r = srv->patch(api("eksjo", "/units/" + std::to_string(hemtjanst)), R"({"parent":5})",
                 as("admin"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(srv->patch(api("eksjo", "/units/999999"), body({{"name", "Z"}}), as("admin")).status,
            404);
  EXPECT_EQ(srv->del(api("eksjo", "/units/999999"), as("admin")).status, 404);

  EXPECT_EQ(users_body(), users);
  EXPECT_EQ(units_body(), units);
  EXPECT_EQ(audit("user.update").size(), audit_before);
  EXPECT_TRUE(audit("unit.create").empty());
}

TEST_F(admin_api, admin_cannot_lock_themselves_out) {
  const auto me = person_id("admin@eksjo.se");
  const auto path = api("eksjo", "/users/" + std::to_string(me));
  auto r = srv->patch(path, body({{"roles", json::array{"editor"}}}), as("admin"));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "cannot_remove_own_admin");
  r = srv->patch(path, body({{"active", false}}), as("admin"));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "cannot_deactivate_self");
  // Their own title and other roles are theirs to change.
  r = srv->patch(path, body({{"roles", json::array{"admin", "editor"}}, {"title", "IT-chef"}}),
                 as("admin"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(strings(r.json().at("roles")),
            (std::vector<std::string>{"employee", "editor", "admin"}));
}

TEST_F(admin_api, deactivation_revokes_sessions_at_once_and_reactivation_restores_access) {
  const auto anna = person_id("anna@eksjo.se");
  const auto token = as("anna");
  ASSERT_EQ(srv->get(api("eksjo", "/me"), token).status, 200);
  auto r = srv->patch(api("eksjo", "/users/" + std::to_string(anna)), body({{"active", false}}),
                      as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("active").as_bool());
  EXPECT_EQ(srv->get(api("eksjo", "/me"), token).status, 401);
  EXPECT_EQ(srv->get(api("eksjo", "/news"), token).status, 401);
  // No new session either.
  request login{"POST",
                api("eksjo", "/auth/login"),
                "",
                {},
                body({{"email", "anna@eksjo.se"}, {"password", demo_password}})};
  EXPECT_EQ(srv->send(login).status, 401);
  auto entries = audit("user.deactivate");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries.front().at("actor").at("email").as_string(), "admin@eksjo.se");

  r = srv->patch(api("eksjo", "/users/" + std::to_string(anna)), body({{"active", true}}),
                 as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  // The old session stays revoked; a new sign-in works.
  EXPECT_EQ(srv->get(api("eksjo", "/me"), token).status, 401);
  EXPECT_EQ(srv->get(api("eksjo", "/me"), as("anna")).status, 200);
  EXPECT_EQ(audit("user.activate").size(), 1u);
}

TEST_F(admin_api, cross_employed_member_is_managed_per_tenant) {
  // pendlare@eksjo.se is at home in eksjo and a member of savsjo.
  const auto pendlare_savsjo = person_id("pendlare@eksjo.se", "savsjo");
  const auto token = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  // Savsjö's admin makes them an admin in Savsjö: that holds in Savsjö only.
  auto r = srv->patch(api("savsjo", "/users/" + std::to_string(pendlare_savsjo)),
                      body({{"roles", json::array{"admin"}}, {"units", json::array{"Skolan"}}}),
                      as("admin", "savsjo"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto me = srv->get(api("savsjo", "/me"), token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(strings(me.json().at("user").at("roles")),
            (std::vector<std::string>{"employee", "admin"}));
  me = srv->get(api("eksjo", "/me"), token);
  EXPECT_EQ(strings(me.json().at("user").at("roles")), (std::vector<std::string>{"employee"}));
  // As Savsjö admin they still cannot change anyone at home in Eksjö.
  const auto anna_eksjo = person_id("anna@eksjo.se");
  EXPECT_EQ(srv->patch(api("eksjo", "/users/" + std::to_string(anna_eksjo)), body({{"title", "x"}}),
                       token)
                .status,
            403);

  // Deactivated in Savsjö: locked out there at once, still at home in Eksjö.
  r = srv->patch(api("savsjo", "/users/" + std::to_string(pendlare_savsjo)),
                 body({{"active", false}}), as("admin", "savsjo"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(srv->get(api("savsjo", "/news"), token).status, 403);
  EXPECT_EQ(srv->get(api("eksjo", "/news"), token).status, 200);
}

TEST_F(admin_api, no_admin_reaches_another_tenant) {
  const auto savsjo_users = users_body("savsjo");
  const auto savsjo_units = units_body("savsjo");
  const auto savsjo_anna = person_id("anna@savsjo.se", "savsjo");
  const auto savsjo_unit = unit("Hemtjänst", "savsjo").at("id").to_number<std::int64_t>();
  const auto eksjo_admin = as("admin");
  // By token: Eksjö's admin is no member of Savsjö.
  auto r = srv->patch(api("savsjo", "/users/" + std::to_string(savsjo_anna)),
                      body({{"roles", json::array{"admin"}}}), eksjo_admin);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.error_code(), "not_a_member");
  EXPECT_EQ(srv->get(api("savsjo", "/users/" + std::to_string(savsjo_anna)), eksjo_admin).status,
            403);
  EXPECT_EQ(srv->post(api("savsjo", "/units"), body({{"name", "Intrång"}}), eksjo_admin).status,
            403);
  EXPECT_EQ(srv->patch(api("savsjo", "/units/" + std::to_string(savsjo_unit)),
                       body({{"name", "Intrång"}}), eksjo_admin)
                .status,
            403);
  EXPECT_EQ(srv->del(api("savsjo", "/units/" + std::to_string(savsjo_unit)), eksjo_admin).status,
            403);
  // By id: Savsjö's ids at Eksjö name Eksjö's rows (or nothing), never Savsjö's.
  for (std::int64_t id = 1; id <= 12; ++id) {
    (void)srv->patch(api("eksjo", "/users/" + std::to_string(id)),
                     body({{"title", "Ändrad i Eksjö"}}), eksjo_admin);
    (void)srv->patch(api("eksjo", "/units/" + std::to_string(id)), body({{"parent", nullptr}}),
                     eksjo_admin);
  }
  (void)srv->patch(api("eksjo", "/units/" + std::to_string(savsjo_unit)),
                   body({{"name", "Intrång"}}), eksjo_admin);
  // Host-addressed: the same token on Savsjö's host name.
  request host{"PATCH",
               "/api/v1/users/" + std::to_string(savsjo_anna),
               "savsjo.localhost",
               {{"Authorization", "Bearer " + eksjo_admin}},
               body({{"title", "Intrång"}})};
  EXPECT_EQ(srv->send(host).status, 403);
  EXPECT_EQ(users_body("savsjo"), savsjo_users);
  EXPECT_EQ(units_body("savsjo"), savsjo_units);
  auto prof =
      srv->get(api("savsjo", "/users/" + std::to_string(savsjo_anna)), as("admin", "savsjo"));
  EXPECT_EQ(prof.json().at("title").as_string(), "");
  EXPECT_TRUE(audit("user.update", "savsjo").empty());
  EXPECT_TRUE(audit("unit.update", "savsjo").empty());
}

TEST_F(admin_api, units_are_created_renamed_moved_and_deleted) {
  auto r =
      srv->post(api("eksjo", "/units"),
                body({{"name", "Äldreomsorg"}, {"parent", "Socialförvaltningen"}}), as("admin"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").to_number<std::int64_t>();
  const auto social = unit("Socialförvaltningen").at("id").to_number<std::int64_t>();
  EXPECT_EQ(r.json().at("parent_id").to_number<std::int64_t>(), social);
  // Its department group appears with it.
  auto groups = srv->get(api("eksjo", "/groups"), as("anna"));
  EXPECT_NE(groups.body.find("Äldreomsorg"), std::string::npos);

  // Top level with a null parent, then rename; the department group follows the name.
  r = srv->post(api("eksjo", "/units"), R"({"name":"Kultur","parent":null})", as("admin"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.json().at("parent_id").is_null());
  const auto kultur = r.json().at("id").to_number<std::int64_t>();
  r = srv->patch(api("eksjo", "/units/" + std::to_string(id)), body({{"name", "Äldreboende"}}),
                 as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("name").as_string(), "Äldreboende");
  groups = srv->get(api("eksjo", "/groups"), as("anna"));
  EXPECT_NE(groups.body.find("Äldreboende"), std::string::npos);
  EXPECT_EQ(groups.body.find("Äldreomsorg"), std::string::npos);

  // Move under Kultur, then a cycle is refused, then back to the top level.
  r = srv->patch(api("eksjo", "/units/" + std::to_string(id)), body({{"parent", "Kultur"}}),
                 as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("parent_id").to_number<std::int64_t>(), kultur);
  r = srv->patch(api("eksjo", "/units/" + std::to_string(kultur)),
                 body({{"parent", "Äldreboende"}}), as("admin"));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "unit_cycle");
  r = srv->patch(api("eksjo", "/units/" + std::to_string(kultur)), body({{"parent", "Kultur"}}),
                 as("admin"));
  EXPECT_EQ(r.error_code(), "unit_cycle");

  // Kultur has a sub-unit: not deleted.
  r = srv->del(api("eksjo", "/units/" + std::to_string(kultur)), as("admin"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "unit_has_subunits");
  // Hemtjänst has people: not deleted.
  const auto hemtjanst = unit("Hemtjänst").at("id").to_number<std::int64_t>();
  r = srv->del(api("eksjo", "/units/" + std::to_string(hemtjanst)), as("admin"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "unit_has_people");
  // News addressed to a unit keeps it.
  publish("Till äldreboendet", {{"units", json::array{"Äldreboende"}}});
  r = srv->del(api("eksjo", "/units/" + std::to_string(id)), as("admin"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error_code(), "unit_in_use");

  // An empty leaf goes; its parent then may go too.
  r = srv->post(api("eksjo", "/units"), body({{"name", "Bibliotek"}, {"parent", "Kultur"}}),
                as("admin"));
  ASSERT_EQ(r.status, 201);
  const auto bibliotek = r.json().at("id").to_number<std::int64_t>();
  r = srv->patch(api("eksjo", "/units/" + std::to_string(id)), R"({"parent":null})", as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("parent_id").is_null());
  EXPECT_EQ(srv->del(api("eksjo", "/units/" + std::to_string(bibliotek)), as("admin")).status, 204);
  EXPECT_EQ(srv->del(api("eksjo", "/units/" + std::to_string(kultur)), as("admin")).status, 204);
  EXPECT_TRUE(unit("Kultur").empty());
  EXPECT_TRUE(unit("Bibliotek").empty());

  EXPECT_EQ(audit("unit.create").size(), 3u);
  EXPECT_EQ(audit("unit.delete").size(), 2u);
  const auto updates = audit("unit.update");
  EXPECT_EQ(updates.size(), 3u);
  for (auto& e : updates) EXPECT_EQ(e.at("actor").at("email").as_string(), "admin@eksjo.se");
}

TEST_F(admin_api, reactivation_after_removal_restores_the_membership) {
  // The operator ends the cross-employed person's membership of Sävsjö.
  auto rm = ctl(dir.path(), {"user", "remove", "savsjo", "--email", "pendlare@eksjo.se"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  const auto token = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  EXPECT_EQ(srv->get(api("savsjo", "/me"), token).status, 403);
  auto me = srv->get(api("eksjo", "/me"), token);
  EXPECT_EQ(me.body.find("\"savsjo\""), std::string::npos) << me.body;
  // Sävsjö's admin takes them back: access and the membership return.
  const auto id = person_id("pendlare@eksjo.se", "savsjo");
  auto r = srv->patch(api("savsjo", "/users/" + std::to_string(id)), body({{"active", true}}),
                      as("admin", "savsjo"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(srv->get(api("savsjo", "/me"), token).status, 200);
  me = srv->get(api("eksjo", "/me"), token);
  EXPECT_NE(me.body.find("\"savsjo\""), std::string::npos) << me.body;
}

TEST_F(admin_api, a_person_deleted_by_the_directory_is_restored_there_not_here) {
  auto tok = ctl(dir.path(), {"scim", "token", "create", "eksjo"});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  while (!tok.out.empty() && (tok.out.back() == '\n' || tok.out.back() == '\r')) tok.out.pop_back();
  const auto bo = person_id("bo@eksjo.se");
  request del{"DELETE", "/t/eksjo/scim/v2/Users/" + std::to_string(bo),
              "",       {{"Authorization", "Bearer " + tok.out}},
              "",       "application/scim+json"};
  ASSERT_EQ(srv->send(del).status, 204);
  auto r = srv->patch(api("eksjo", "/users/" + std::to_string(bo)), body({{"active", true}}),
                      as("admin"));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.error_code(), "deleted_in_directory");
  EXPECT_FALSE(person("bo@eksjo.se").at("active").as_bool());
  // Other changes to the (inactive) person are still the admin's to make.
  r = srv->patch(api("eksjo", "/users/" + std::to_string(bo)), body({{"title", "Slutat"}}),
                 as("admin"));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(admin_api, a_renamed_unit_renames_its_group_and_is_found_in_people_search) {
  const auto hemtjanst = unit("Hemtjänst").at("id").to_number<std::int64_t>();
  auto r = srv->patch(api("eksjo", "/units/" + std::to_string(hemtjanst)),
                      body({{"name", "Hemvården"}}), as("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto token = as("anna");
  auto me = srv->get(api("eksjo", "/me"), token);
  EXPECT_EQ(strings(me.json().at("user").at("units")), (std::vector<std::string>{"Hemvården"}));
  auto found = srv->get(api("eksjo", "/search?type=person&q=Hemv%C3%A5rden"), token);
  ASSERT_EQ(found.status, 200) << found.body;
  bool anna = false;
  auto hits = found.json();
  for (auto& it : hits.at("items").as_array())
    anna = anna || it.at("title").as_string() == "Anna Andersson";
  EXPECT_TRUE(anna) << found.body;
  auto groups = srv->get(api("eksjo", "/groups"), token);
  EXPECT_NE(groups.body.find("Hemvården"), std::string::npos);
}

}  // namespace
}  // namespace samverka::testing
