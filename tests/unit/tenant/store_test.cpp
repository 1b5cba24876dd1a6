// Unit tests of tenant::store: org tree, people, authentication, sessions, news audiences and
// pagination, permissions, concurrency, isolation and operations.
#include "samverka/tenant/store.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/limits.hpp"
#include "schema.hpp"
#include "test_util.hpp"

namespace samverka::tenant {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::must;
using testing::temp_dir;

constexpr role_mask employee = bit(role::employee);
constexpr role_mask manager = employee | bit(role::manager);
constexpr role_mask editor = employee | bit(role::editor);

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    must(create_store(dir()));
    s = must(store::open("eksjo", dir()));
  }
  fs::path dir() const { return tmp.path() / "eksjo"; }

  // A raw connection to the store's file, for states the API refuses to create.
  db::connection raw() const {
    return db::connection(schema::db_path(dir()), db::connection::mode::read_write, 5000);
  }

  // Kommun > Social > Äldreomsorg > Hemtjänst, and Kommun > Skola.
  void add_tree() {
    must(s->add_unit("Kommun", std::nullopt));
    must(s->add_unit("Social", "Kommun"));
    must(s->add_unit("Äldreomsorg", "Social"));
    must(s->add_unit("Hemtjänst", "Äldreomsorg"));
    must(s->add_unit("Skola", "Kommun"));
  }

  viewer add_person(const std::string& local, role_mask roles, std::vector<std::string> units) {
    new_user u;
    u.email = local + "@eksjo.se";
    u.name = local;
    u.roles = roles;
    u.units = std::move(units);
    return must(s->viewer_for(must(s->add_user(u)).id));
  }

  news_item publish(const viewer& by, const std::string& title, audience target = {}) {
    news_draft d;
    d.title = title;
    d.body = "<p>" + title + "</p>";
    d.target = std::move(target);
    return must(s->create_news(by, d));
  }

  std::vector<std::string> titles(const viewer& v, news_scope scope) {
    std::vector<std::string> out;
    for (auto& n : must(s->list_news(v, scope, limits::max_page, std::nullopt)).items)
      out.push_back(n.title);
    std::sort(out.begin(), out.end());
    return out;
  }

  temp_dir tmp;
  std::shared_ptr<store> s;
};

// ---- Org tree ----------------------------------------------------------------------------------

TEST_F(StoreTest, UnitsFormATreeWithUniqueNames) {
  add_tree();
  auto units = must(s->list_units());
  ASSERT_EQ(units.size(), 5u);
  EXPECT_EQ(units[0].name, "Kommun");
  EXPECT_FALSE(units[0].parent_id);
  EXPECT_EQ(units[1].parent_id, units[0].id);

  struct row {
    const char* name;
    std::optional<std::string_view> parent;
    errc kind;
    const char* code;
  };
  for (const auto& r : {row{"kommun", std::nullopt, errc::conflict, "unit_exists"},
                        row{"  Skola ", "Kommun", errc::conflict, "unit_exists"},
                        row{"Ny", "Finns inte", errc::invalid_input, "unknown_unit"},
                        row{"   ", std::nullopt, errc::invalid_input, "name_required"},
                        row{"Tab\tbed", std::nullopt, errc::invalid_input, "invalid_name"},
                        row{"Bad\xff", std::nullopt, errc::invalid_input, "invalid_name"}})
    expect_error(s->add_unit(r.name, r.parent), r.kind, r.code);
  expect_error(s->add_unit(std::string(limits::max_name + 1, 'x'), std::nullopt),
               errc::invalid_input, "name_too_long");
  EXPECT_EQ(must(s->list_units()).size(), 5u);
}

TEST_F(StoreTest, ReachIsOwnUnitsAndAllAncestors) {
  add_tree();
  std::map<std::string, std::int64_t> id;
  for (auto& u : must(s->list_units())) id[u.name] = u.id;
  auto v = add_person("anna", manager, {"Hemtjänst", "Skola"});
  EXPECT_EQ(v.roles, manager);
  std::vector<std::int64_t> units{id["Hemtjänst"], id["Skola"]};
  std::sort(units.begin(), units.end());
  EXPECT_EQ(v.unit_ids, units);
  std::vector<std::int64_t> reach{id["Kommun"], id["Social"], id["Äldreomsorg"], id["Hemtjänst"],
                                  id["Skola"]};
  std::sort(reach.begin(), reach.end());
  EXPECT_EQ(v.reach, reach);
  auto none = add_person("nils", employee, {});
  EXPECT_TRUE(none.reach.empty());
}

// ---- People ------------------------------------------------------------------------------------

TEST_F(StoreTest, AddUserNormalisesAndRefusesDuplicates) {
  add_tree();
  new_user u;
  u.email = "  Anna.Svensson@EKSJO.se ";
  u.name = " Anna Svensson ";
  u.roles = bit(role::editor);   // employee is added
  u.units = {"skola", "Skola"};  // names match without regard to ASCII case; duplicates fold
  auto added = must(s->add_user(u));
  EXPECT_EQ(added.email, "anna.svensson@eksjo.se");
  EXPECT_EQ(added.name, "Anna Svensson");
  EXPECT_EQ(added.roles, editor);
  EXPECT_EQ(added.units, std::vector<std::string>{"Skola"});
  EXPECT_TRUE(added.active);
  EXPECT_FALSE(added.has_password);

  EXPECT_EQ(must(s->get_user(added.id)).email, added.email);
  EXPECT_EQ(must(s->find_user("ANNA.svensson@eksjo.se")).id, added.id);
  expect_error(s->get_user(added.id + 100), errc::not_found);
  expect_error(s->find_user("bo@eksjo.se"), errc::not_found);

  u.email = "anna.svensson@eksjo.SE";
  expect_error(s->add_user(u), errc::conflict, "email_taken");
  ASSERT_EQ(must(s->list_users()).size(), 1u);
  EXPECT_EQ(must(s->list_users())[0].units, std::vector<std::string>{"Skola"});
}

TEST_F(StoreTest, AddUserValidatesInput) {
  add_tree();
  struct row {
    const char* what;
    new_user u;
    const char* code;
  };
  auto base = [] {
    new_user u;
    u.email = "bo@eksjo.se";
    u.name = "Bo";
    return u;
  };
  std::vector<row> rows;
  rows.push_back({"email", base(), "invalid_email"});
  rows.back().u.email = "bo@eksjo";
  rows.push_back({"empty name", base(), "name_required"});
  rows.back().u.name = " ";
  rows.push_back({"long name", base(), "name_too_long"});
  rows.back().u.name = std::string(limits::max_name + 1, 'b');
  rows.push_back({"unit", base(), "unknown_unit"});
  rows.back().u.units = {"Skola", "Finns inte"};
  rows.push_back({"role bits", base(), "unknown_role"});
  rows.back().u.roles = 0x30;
  rows.push_back({"short password", base(), "password_too_short"});
  rows.back().u.password = "kort";
  rows.push_back({"long password", base(), "password_too_long"});
  rows.back().u.password = std::string(limits::max_password + 1, 'p');
  for (const auto& r : rows) {
    SCOPED_TRACE(r.what);
    expect_error(s->add_user(r.u), errc::invalid_input, r.code);
  }
  EXPECT_TRUE(must(s->list_users()).empty());
}

// ---- Authentication ----------------------------------------------------------------------------

TEST_F(StoreTest, PasswordsVerifyAndFailAlike) {
  new_user u;
  u.email = "anna@eksjo.se";
  u.name = "Anna";
  u.password = "correct horse battery";
  auto anna = must(s->add_user(u));
  EXPECT_TRUE(anna.has_password);
  u.email = "member@sala.se";  // a cross-employed member: no password here
  u.password.reset();
  must(s->add_user(u));

  EXPECT_EQ(must(s->verify_password("ANNA@eksjo.se", "correct horse battery")).id, anna.id);
  for (auto [email, pw] :
       {std::pair{"anna@eksjo.se", "wrong horse battery"},
        std::pair{"nobody@eksjo.se", "correct horse battery"},
        std::pair{"member@sala.se", "correct horse battery"}, std::pair{"anna@eksjo.se", ""}}) {
    SCOPED_TRACE(email);
    expect_error(s->verify_password(email, pw), errc::unauthenticated, "invalid_credentials");
  }

  must(s->set_password(anna.id, "a new long secret"));
  expect_error(s->verify_password("anna@eksjo.se", "correct horse battery"), errc::unauthenticated,
               "invalid_credentials");
  must(s->verify_password("anna@eksjo.se", "a new long secret"));
  expect_error(s->set_password(anna.id, "short"), errc::invalid_input, "password_too_short");
  expect_error(s->set_password(anna.id + 100, "long enough"), errc::not_found);

  must(s->set_active(anna.id, false));
  expect_error(s->verify_password("anna@eksjo.se", "a new long secret"), errc::unauthenticated,
               "invalid_credentials");
}

TEST_F(StoreTest, SessionsResolveUntilRevokedExpiredOrDeactivated) {
  auto anna = add_person("anna", employee, {});
  auto secret = must(s->create_session(anna.user_id));
  EXPECT_GE(secret.size(), 43u);
  auto info = must(s->resolve_session(secret));
  EXPECT_EQ(info.user_id, anna.user_id);
  EXPECT_EQ(info.email, "anna@eksjo.se");
  EXPECT_GT(info.expires_at_ms, now_ms());
  EXPECT_LE(info.expires_at_ms,
            now_ms() +
                std::chrono::duration_cast<std::chrono::milliseconds>(limits::session_ttl).count());

  // Only the hash is stored.
  {
    auto c = raw();
    auto st = c.prepare("SELECT count(*) FROM sessions WHERE token_hash = ?1");
    st.bind(1, secret);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), 0);
  }

  for (const std::string& bad :
       {std::string(), std::string("nope"), secret + "x", std::string(1000, 'a')})
    expect_error(s->resolve_session(bad), errc::unauthenticated, "invalid_session");

  must(s->revoke_session(secret));
  expect_error(s->resolve_session(secret), errc::unauthenticated);
  must(s->revoke_session(secret));  // idempotent

  auto expiring = must(s->create_session(anna.user_id));
  raw().exec("UPDATE sessions SET expires_at = 1 WHERE revoked = 0");
  expect_error(s->resolve_session(expiring), errc::unauthenticated);

  auto live = must(s->create_session(anna.user_id));
  must(s->resolve_session(live));
  must(s->set_active(anna.user_id, false));
  expect_error(s->resolve_session(live), errc::unauthenticated);
  expect_error(s->viewer_for(anna.user_id), errc::not_found);
  expect_error(s->create_session(anna.user_id), errc::not_found);
  // Deactivation revoked the session: activated again, she signs in anew.
  must(s->set_active(anna.user_id, true));
  expect_error(s->resolve_session(live), errc::unauthenticated);
  must(s->resolve_session(must(s->create_session(anna.user_id))));
}

TEST_F(StoreTest, RevocationsAreNumberedInOrderWhoeverWritesThem) {
  auto anna = add_person("anna", employee, {});
  auto bo = add_person("bo", employee, {});
  const auto a1 = must(s->create_session(anna.user_id));
  const auto a2 = must(s->create_session(anna.user_id));
  const auto b1 = must(s->create_session(bo.user_id));
  EXPECT_TRUE(must(s->revoked_sessions_since(0, 10)).empty());
  must(s->revoke_session(b1));
  must(s->revoke_session(b1));  // again: not numbered twice
  // Another writer deactivates anna with plain SQL: both her sessions are revoked and numbered.
  raw().exec("UPDATE users SET active = 0 WHERE email = 'anna@eksjo.se'");
  const auto all = must(s->revoked_sessions_since(0, 10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].token_hash, crypto::sha256_hex(b1));
  EXPECT_EQ(all[0].seq, 1);
  EXPECT_EQ(all[1].seq, 2);
  EXPECT_EQ(all[2].seq, 3);
  std::set<std::string> annas{all[1].token_hash, all[2].token_hash};
  EXPECT_EQ(annas, (std::set<std::string>{crypto::sha256_hex(a1), crypto::sha256_hex(a2)}));
  // Paged by number; expired ones are left out (Redis dropped them on its own).
  EXPECT_EQ(must(s->revoked_sessions_since(1, 1)).at(0).seq, 2);
  raw().exec("UPDATE sessions SET expires_at = 1 WHERE token_hash = '" + crypto::sha256_hex(b1) +
             "'");
  EXPECT_EQ(must(s->revoked_sessions_since(0, 10)).size(), 2u);
  // Deleted rows do not give their numbers back: the next revocation gets 4.
  raw().exec("DELETE FROM sessions WHERE revoked = 1");
  const auto b2 = must(s->create_session(bo.user_id));
  must(s->revoke_session(b2));
  EXPECT_EQ(must(s->revoked_sessions_since(3, 10)).at(0).seq, 4);
  // A new e-mail address (a SCIM rename) ends the person's sessions too.
  const auto b3 = must(s->create_session(bo.user_id));
  raw().exec("UPDATE users SET email = 'bo.nilsson@eksjo.se' WHERE id = " +
             std::to_string(bo.user_id));
  expect_error(s->resolve_session(b3), errc::unauthenticated);
  EXPECT_EQ(must(s->revoked_sessions_since(4, 10)).at(0).token_hash, crypto::sha256_hex(b3));
}

TEST_F(StoreTest, OptimizeMergesTheSearchIndexIntoOneSegment) {
  auto ed = add_person("editor", editor, {});
  for (int i = 0; i < 12; ++i) publish(ed, "Nyhet nummer " + std::to_string(i) + " om bibliotek");
  const auto segments = [&] {
    auto c = raw();
    auto st = c.prepare("SELECT count(DISTINCT segid) FROM search_fts_idx");
    return st.step() ? st.int64(0) : -1;
  };
  const auto before = segments();
  ASSERT_GT(before, 1);  // one segment per writing transaction, merged only level by level
  EXPECT_EQ(must(s->optimize_search_index()), before);
  EXPECT_EQ(segments(), 1);
  EXPECT_EQ(must(s->optimize_search_index()), 1);  // nothing to do
  // Searches find the same afterwards.
  search_query q;
  q.text = "bibliotek";
  EXPECT_EQ(must(s->search(must(s->viewer_for(ed.user_id)), q)).size(), 12u);
}

// ---- News --------------------------------------------------------------------------------------

TEST_F(StoreTest, AudiencesFollowUnitsRolesAndScope) {
  add_tree();
  auto ed = add_person("editor", editor, {"Kommun"});
  auto anna = add_person("anna", employee, {"Hemtjänst"});
  auto mgr = add_person("chef", manager, {"Hemtjänst", "Skola"});
  auto bo = add_person("bo", employee, {"Skola"});
  auto nils = add_person("nils", employee, {});

  publish(ed, "all");
  publish(ed, "elderly", {{"Äldreomsorg"}, {}});
  publish(ed, "managers", {{}, {"manager"}});
  publish(ed, "school managers", {{"Skola"}, {"manager"}});
  publish(ed, "kommun", {{"Kommun"}, {}});
  publish(ed, "editors in social", {{"Social"}, {"editor"}});

  using v = std::vector<std::string>;
  struct row {
    const char* who;
    const viewer* who_viewer;
    news_scope scope;
    v want;
  };
  const std::vector<row> rows{
      {"anna mine", &anna, news_scope::mine, v{"all", "elderly", "kommun"}},
      {"anna all", &anna, news_scope::all, v{"all", "elderly", "kommun"}},
      {"chef mine", &mgr, news_scope::mine,
       v{"all", "elderly", "kommun", "managers", "school managers"}},
      {"bo mine", &bo, news_scope::mine, v{"all", "kommun"}},
      {"bo all", &bo, news_scope::all, v{"all", "elderly", "kommun"}},
      {"nils mine", &nils, news_scope::mine, v{"all"}},
      {"editor mine", &ed, news_scope::mine, v{"all", "kommun"}},
      {"editor all", &ed, news_scope::all, v{"all", "editors in social", "elderly", "kommun"}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.who);
    EXPECT_EQ(titles(*r.who_viewer, r.scope), r.want);
  }

  auto page = must(s->list_news(mgr, news_scope::mine, 0, std::nullopt));
  for (auto& n : page.items) {
    if (n.title == "school managers") {
      EXPECT_EQ(n.target.units, v{"Skola"});
      EXPECT_EQ(n.target.roles, v{"manager"});
      EXPECT_EQ(n.author_name, "editor");
      EXPECT_FALSE(n.source);
    }
    if (n.title == "all") {
      EXPECT_TRUE(n.target.units.empty() && n.target.roles.empty());
    }
  }
}

TEST_F(StoreTest, GetNewsFollowsRoleTargetingButEditorsReadAll) {
  add_tree();
  auto ed = add_person("editor", editor, {});
  auto anna = add_person("anna", employee, {"Hemtjänst"});
  auto bo = add_person("bo", employee, {"Skola"});
  auto for_managers = publish(ed, "managers", {{}, {"manager"}});
  auto elderly = publish(ed, "elderly", {{"Äldreomsorg"}, {"employee"}});

  expect_error(s->get_news(anna, for_managers.id), errc::not_found, "unknown_news");
  EXPECT_EQ(must(s->get_news(ed, for_managers.id)).title, "managers");
  auto got = must(s->get_news(bo, elderly.id));  // scope=all semantics: other departments' news
  EXPECT_EQ(got.target.units, std::vector<std::string>{"Äldreomsorg"});
  EXPECT_NE(got.body.find("elderly"), std::string::npos);
  expect_error(s->get_news(ed, 999), errc::not_found);
}

TEST_F(StoreTest, CreateNewsValidatesDraft) {
  add_tree();
  auto ed = add_person("editor", editor, {});
  auto anna = add_person("anna", employee, {});
  news_draft d;
  d.title = "  Välkommen  ";
  d.summary = "rad ett\nrad två\t!";
  d.body = "<p>Hej<script>alert(1)</script></p>";
  d.target.roles = {"manager", "manager"};
  auto n = must(s->create_news(ed, d));
  EXPECT_EQ(n.title, "Välkommen");
  EXPECT_EQ(n.summary, "rad ett\nrad två\t!");
  EXPECT_EQ(n.body.find("<script"), std::string::npos) << n.body;
  EXPECT_EQ(n.target.roles, std::vector<std::string>{"manager"});
  EXPECT_EQ(n.published_at_ms, n.updated_at_ms);
  EXPECT_EQ(must(s->get_news(ed, n.id)).summary, d.summary);

  expect_error(s->create_news(anna, d), errc::forbidden, "editor_required");

  struct row {
    const char* what;
    news_draft d;
    errc kind;
    const char* code;
  };
  auto base = [] {
    news_draft d;
    d.title = "t";
    return d;
  };
  std::vector<row> rows;
  rows.push_back({"empty title", base(), errc::invalid_input, "title_required"});
  rows.back().d.title = " \n ";
  rows.push_back({"control title", base(), errc::invalid_input, "invalid_title"});
  rows.back().d.title = "bell\a";
  rows.push_back({"long title", base(), errc::invalid_input, "title_too_long"});
  rows.back().d.title = std::string(limits::max_title + 1, 't');
  rows.push_back({"long summary", base(), errc::invalid_input, "summary_too_long"});
  rows.back().d.summary = std::string(limits::max_summary + 1, 's');
  rows.push_back({"unknown unit", base(), errc::invalid_input, "unknown_unit"});
  rows.back().d.target.units = {"Skola", "Nope"};
  rows.push_back({"unknown role", base(), errc::invalid_input, "unknown_role"});
  rows.back().d.target.roles = {"Manager"};
  rows.push_back({"too many units", base(), errc::invalid_input, "too_many_units"});
  rows.back().d.target.units.assign(limits::max_audience_units + 1, "Skola");
  rows.push_back({"huge body", base(), errc::too_large, "body_too_large"});
  rows.back().d.body = std::string(limits::max_body + 1, 'b');
  for (const auto& r : rows) {
    SCOPED_TRACE(r.what);
    expect_error(s->create_news(ed, r.d), r.kind, r.code);
  }
  auto c = raw();
  auto count = c.prepare("SELECT count(*) FROM news");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.int64(0), 1);  // nothing of the refused drafts was written
}

TEST_F(StoreTest, PaginationWalksEveryItemOnceNewestFirst) {
  auto ed = add_person("editor", editor, {});
  constexpr int total = 45;
  for (int i = 0; i < total; ++i) {
    news_draft d;
    d.title = "n" + std::to_string(i);
    if (i % 3 == 0) d.published_at_ms = 1'700'000'000'000;  // ties are ordered by id
    must(s->create_news(ed, d));
  }
  std::vector<std::int64_t> seen;
  std::optional<std::string> cursor;
  std::vector<std::size_t> sizes;
  std::pair<std::int64_t, std::int64_t> last{INT64_MAX, INT64_MAX};
  do {
    auto page = must(s->list_news(ed, news_scope::mine, 20, cursor));
    sizes.push_back(page.items.size());
    for (auto& n : page.items) {
      std::pair<std::int64_t, std::int64_t> key{n.published_at_ms, n.id};
      EXPECT_LT(key, last);
      last = key;
      seen.push_back(n.id);
    }
    cursor = page.next_cursor;
  } while (cursor);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{20, 20, 5}));
  EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), std::size_t{total});

  EXPECT_EQ(must(s->list_news(ed, news_scope::all, 0, std::nullopt)).items.size(),
            limits::default_page);
  EXPECT_EQ(must(s->list_news(ed, news_scope::all, 1000, std::nullopt)).items.size(),
            std::size_t{total});  // clamped to max_page, which is above 45
  auto one = must(s->list_news(ed, news_scope::all, 1, std::nullopt));
  EXPECT_EQ(one.items.size(), 1u);
  EXPECT_TRUE(one.next_cursor);

  for (const char* bad : {"", "abc", "1.", ".1", "-1.2", "1.-2", "1.2.3", "1.x", " 1.2", "+1.2",
                          "99999999999999999999.1"}) {
    SCOPED_TRACE(bad);
    expect_error(s->list_news(ed, news_scope::mine, 20, std::string_view(bad)), errc::invalid_input,
                 "invalid_cursor");
  }
}

TEST_F(StoreTest, OnlyEditorsAndAdminsChangeNews) {
  add_tree();
  auto ed = add_person("editor", editor, {});
  auto admin = add_person("admin", employee | bit(role::admin), {});
  auto anna = add_person("anna", manager, {"Skola"});
  auto n = publish(ed, "original");

  news_patch p;
  p.title = "changed";
  expect_error(s->update_news(anna, n.id, p), errc::forbidden, "editor_required");
  expect_error(s->delete_news(anna, n.id), errc::forbidden, "editor_required");
  EXPECT_EQ(must(s->get_news(anna, n.id)).title, "original");

  auto changed = must(s->update_news(ed, n.id, p));
  EXPECT_EQ(changed.title, "changed");
  EXPECT_EQ(changed.body, n.body);  // absent fields unchanged
  EXPECT_EQ(changed.published_at_ms, n.published_at_ms);
  EXPECT_GE(changed.updated_at_ms, n.published_at_ms);

  news_patch retarget;
  retarget.target = audience{{"Skola"}, {"manager"}};
  retarget.summary = "kort";
  auto moved = must(s->update_news(admin, n.id, retarget));
  EXPECT_EQ(moved.target.units, std::vector<std::string>{"Skola"});
  EXPECT_EQ(moved.summary, "kort");
  EXPECT_EQ(moved.title, "changed");
  EXPECT_EQ(must(s->get_news(anna, n.id)).target.roles, std::vector<std::string>{"manager"});

  news_patch bad;
  bad.title = "";
  expect_error(s->update_news(ed, n.id, bad), errc::invalid_input, "title_required");
  bad.title.reset();
  bad.target = audience{{"Nope"}, {}};
  expect_error(s->update_news(ed, n.id, bad), errc::invalid_input, "unknown_unit");
  EXPECT_EQ(must(s->get_news(ed, n.id)).target.units, std::vector<std::string>{"Skola"});

  must(s->delete_news(admin, n.id));
  expect_error(s->get_news(ed, n.id), errc::not_found);
  expect_error(s->update_news(ed, n.id, p), errc::not_found);
  expect_error(s->delete_news(ed, n.id), errc::not_found);
  EXPECT_TRUE(must(s->list_news(ed, news_scope::all, 0, std::nullopt)).items.empty());
  // Ids are never reused: partners' linked copies refer to them.
  EXPECT_GT(publish(ed, "next").id, n.id);
}

// ---- Concurrency and isolation -----------------------------------------------------------------

TEST_F(StoreTest, ConcurrentWritersLoseNothing) {
  auto ed = add_person("editor", editor, {});
  constexpr int threads = 4, per_thread = 40;
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        news_draft d;
        d.title = "t" + std::to_string(t) + "-" + std::to_string(i);
        new_user u;
        u.email = "p" + std::to_string(t) + "-" + std::to_string(i) + "@eksjo.se";
        u.name = "P";
        if (!s->create_news(ed, d) || !s->add_user(u) ||
            !s->list_news(ed, news_scope::mine, 5, std::nullopt))
          ++failures;
      }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(must(s->list_users()).size(), std::size_t{threads * per_thread + 1});
  std::size_t news = 0;
  std::optional<std::string> cursor;
  do {
    auto page = must(s->list_news(ed, news_scope::all, limits::max_page, cursor));
    news += page.items.size();
    cursor = page.next_cursor;
  } while (cursor);
  EXPECT_EQ(news, std::size_t{threads * per_thread});
}

TEST_F(StoreTest, TwoStoresNeverSeeEachOther) {
  must(create_store(tmp.path() / "sala"));
  auto other = must(store::open("sala", tmp.path() / "sala"));
  EXPECT_EQ(other->slug(), "sala");
  EXPECT_EQ(s->slug(), "eksjo");

  auto ed = add_person("editor", editor, {});
  publish(ed, "eksjo only");
  must(s->add_unit("Skola", std::nullopt));
  auto secret = must(s->create_session(ed.user_id));

  new_user u;
  u.email = "editor@eksjo.se";  // the same person may be a member there, as a separate record
  u.name = "Sala's record";
  u.roles = editor;
  auto there = must(other->add_user(u));
  auto there_viewer = must(other->viewer_for(there.id));

  EXPECT_TRUE(must(other->list_news(there_viewer, news_scope::all, 0, std::nullopt)).items.empty());
  EXPECT_TRUE(must(other->list_units()).empty());
  EXPECT_EQ(must(other->list_users()).size(), 1u);
  EXPECT_EQ(must(other->find_user("editor@eksjo.se")).name, "Sala's record");
  expect_error(other->resolve_session(secret), errc::unauthenticated);
  expect_error(other->get_news(there_viewer, 1), errc::not_found);
  EXPECT_EQ(must(s->find_user("editor@eksjo.se")).name, "editor");
}

// ---- Operations --------------------------------------------------------------------------------

TEST_F(StoreTest, SnapshotIsAConsistentCopy) {
  auto ed = add_person("editor", editor, {});
  publish(ed, "before snapshot");
  const auto copy_dir = tmp.path() / "copy";
  must(create_store(copy_dir));
  fs::remove(copy_dir / "tenant.sqlite");
  must(s->snapshot_to(copy_dir / "tenant.sqlite"));
  expect_error(s->snapshot_to(copy_dir / "tenant.sqlite"), errc::conflict, "target_exists");
  publish(ed, "after snapshot");

  auto copy = must(store::open("copy", copy_dir));
  auto items = must(copy->list_news(ed, news_scope::all, 0, std::nullopt)).items;
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].title, "before snapshot");
}

TEST_F(StoreTest, SizeCountsDatabaseAndFiles) {
  const auto before = s->size_bytes();
  EXPECT_GT(before, 0u);
  {
    std::ofstream f(dir() / "files" / "attachment.bin", std::ios::binary);
    f << std::string(100'000, 'x');
  }
  EXPECT_GE(s->size_bytes(), before + 100'000);
}

// ---- Performance -------------------------------------------------------------------------------

// The benchmark shape: 300 units, 50,000 news, a manager in two units reading pages of 20.
// Rows are inserted directly (the API path is exercised above); the assertion is loose because
// the machine is shared, the printed figure is what to look at.
TEST_F(StoreTest, FeedPageIsFastOnALargeTenant) {
  constexpr int units = 300, news = 50'000;
  {
    auto c = raw();
    db::write_txn tx(c);
    auto u = c.prepare("INSERT INTO units(id, name, parent_id) VALUES (?1, ?2, ?3)");
    for (int i = 1; i <= units; ++i) {
      u.reset();
      std::optional<std::int64_t> parent;
      if (i > 8) parent = i <= 60 ? 1 + i % 8 : 9 + i % 52;  // departments > sections > units
      u.bind_all(std::int64_t{i}, "unit " + std::to_string(i), parent).run();
    }
    auto n = c.prepare(
        "INSERT INTO news(id, title, summary, body, author_name, published_at, updated_at,"
        " roles_mask, all_units) VALUES (?1, ?2, '', ?3, 'E', ?4, ?4, ?5, ?6)");
    auto nu = c.prepare("INSERT INTO news_units(news_id, unit_id) VALUES (?1, ?2)");
    const std::string body(600, 'b');
    for (std::int64_t i = 1; i <= news; ++i) {
      const bool all = i % 10 == 0;  // a tenth goes to the whole municipality
      const std::int64_t roles = i % 7 == 0 ? bit(role::manager) : 0;
      n.reset();
      n.bind_all(i, "news " + std::to_string(i), body, 1'700'000'000'000 + i * 60'000, roles,
                 std::int64_t{all})
          .run();
      if (!all) {
        nu.reset();
        nu.bind_all(i, 1 + (i * 7919) % units).run();
      }
    }
    tx.commit();
  }
  new_user m;
  m.email = "chef@eksjo.se";
  m.name = "Chef";
  m.roles = manager;
  m.units = {"unit 100", "unit 200"};
  auto mgr = must(s->viewer_for(must(s->add_user(m)).id));

  must(s->list_news(mgr, news_scope::mine, 20, std::nullopt));  // warm the cache
  constexpr int rounds = 200;
  std::optional<std::string> cursor;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    auto page = must(s->list_news(mgr, news_scope::mine, 20, cursor));
    ASSERT_EQ(page.items.size(), 20u);
    cursor = i % 10 == 9 ? std::nullopt : page.next_cursor;  // walk 10 pages deep, restart
  }
  const auto per_page =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      rounds;
  std::printf("[ perf     ] feed page of 20 (scope=mine, 50k news, 300 units): %.0f us\n",
              per_page);
  EXPECT_LT(per_page, 20'000.0);
}

}  // namespace
}  // namespace samverka::tenant
