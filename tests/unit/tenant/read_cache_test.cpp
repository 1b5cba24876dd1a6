// Unit tests of the store's read caches (resolved sessions, feed pages): a cached answer never
// outlives a change it depends on, whoever commits it: this store, a second handle on the same
// files, or another process (a raw connection here, as samverkactl would be).
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "samverka/core/clock.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/store.hpp"
#include "schema.hpp"
#include "test_util.hpp"

namespace samverka::tenant {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::must;
using testing::temp_dir;

constexpr role_mask employee = bit(role::employee);
constexpr role_mask editor = employee | bit(role::editor);

class ReadCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    must(create_store(dir()));
    s = must(store::open("eksjo", dir()));
    must(s->add_unit("Kommun", std::nullopt));
    must(s->add_unit("Skola", "Kommun"));
    must(s->add_unit("Vård", "Kommun"));
  }
  fs::path dir() const { return tmp.path() / "eksjo"; }
  db::connection raw() const {
    return db::connection(schema::db_path(dir()), db::connection::mode::read_write, 5000);
  }
  viewer add_person(const std::string& local, role_mask roles, std::vector<std::string> units) {
    new_user u;
    u.email = local + "@eksjo.se";
    u.name = local;
    u.roles = roles;
    u.units = std::move(units);
    return must(s->viewer_for(must(s->add_user(u)).id));
  }
  static news_draft draft(const std::string& title, std::vector<std::string> units = {}) {
    news_draft d;
    d.title = title;
    d.body = "<p>" + title + "</p>";
    d.target.units = std::move(units);
    return d;
  }
  static std::vector<std::string> titles(store& st, const viewer& v) {
    std::vector<std::string> out;
    for (auto& n : must(st.list_news(v, news_scope::mine, 20, std::nullopt)).items)
      out.push_back(n.title);
    return out;
  }

  temp_dir tmp;
  std::shared_ptr<store> s;
};

TEST_F(ReadCacheTest, SessionFollowsChangesFromAnyWriter) {
  auto anna = add_person("anna", employee, {"Skola"});
  const auto secret = must(s->create_session(anna.user_id));
  EXPECT_EQ(must(s->viewer_for_session(secret)).user_id, anna.user_id);
  EXPECT_EQ(must(s->viewer_for_session(secret)).roles, employee);  // now from the cache

  // Another process gives her a new role.
  raw().exec("UPDATE users SET roles = " + std::to_string(editor) +
             " WHERE email = 'anna@eksjo.se'");
  EXPECT_EQ(must(s->viewer_for_session(secret)).roles, editor);

  // A second handle on the same files (as another tenant's request path would open) revokes it.
  auto other = must(store::open("eksjo", dir()));
  must(other->revoke_session(secret));
  expect_error(s->viewer_for_session(secret), errc::unauthenticated, "invalid_session");

  // Another process deactivates her: the cached session ends (deactivation revokes it, so it
  // stays ended when she is activated again).
  const auto live = must(s->create_session(anna.user_id));
  EXPECT_EQ(must(s->viewer_for_session(live)).user_id, anna.user_id);
  raw().exec("UPDATE users SET active = 0 WHERE email = 'anna@eksjo.se'");
  expect_error(s->viewer_for_session(live), errc::unauthenticated, "invalid_session");
  must(s->set_active(anna.user_id, true));
  expect_error(s->viewer_for_session(live), errc::unauthenticated, "invalid_session");
}

TEST_F(ReadCacheTest, CachedSessionStillExpiresOnTime) {
  auto anna = add_person("anna", employee, {});
  const auto secret = must(s->create_session(anna.user_id));
  raw().exec("UPDATE sessions SET expires_at = " + std::to_string(now_ms() + 300) +
             " WHERE revoked = 0");
  must(s->viewer_for_session(secret));  // cached with its expiry
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  expect_error(s->viewer_for_session(secret), errc::unauthenticated, "invalid_session");
}

TEST_F(ReadCacheTest, FeedPageFollowsChangesFromAnyWriter) {
  auto ed = add_person("editor", editor, {"Kommun"});
  auto skola = add_person("sara", employee, {"Skola"});
  auto vard = add_person("vera", employee, {"Vård"});
  must(s->create_news(ed, draft("Alla")));
  EXPECT_EQ(titles(*s, skola), std::vector<std::string>{"Alla"});
  EXPECT_EQ(titles(*s, vard), std::vector<std::string>{"Alla"});

  // Published through a second handle: seen through the first at once, by its audience only.
  auto other = must(store::open("eksjo", dir()));
  must(other->create_news(ed, draft("Skolan", {"Skola"})));
  EXPECT_EQ(titles(*s, skola), (std::vector<std::string>{"Skolan", "Alla"}));
  EXPECT_EQ(titles(*s, vard), std::vector<std::string>{"Alla"});

  // Withdrawn by another process.
  raw().exec("UPDATE news SET deleted = 1 WHERE title = 'Skolan'");
  EXPECT_EQ(titles(*s, skola), std::vector<std::string>{"Alla"});

  // Edited through this store.
  const auto id = must(s->list_news(skola, news_scope::mine, 20, std::nullopt)).items.at(0).id;
  news_patch p;
  p.title = "Alla, ändrad";
  must(s->update_news(ed, id, p));
  EXPECT_EQ(titles(*s, skola), std::vector<std::string>{"Alla, ändrad"});
}

TEST_F(ReadCacheTest, AcknowledgedNewsIsInTheNextReadWhileOthersRead) {
  auto ed = add_person("editor", editor, {"Kommun"});
  auto anna = add_person("anna", employee, {"Skola"});
  std::atomic<bool> stop = false;
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i)
    readers.emplace_back([&] {
      while (!stop) (void)s->list_news(anna, news_scope::mine, 20, std::nullopt);
    });
  for (int i = 0; i < 20; ++i) {
    const auto title = "Nyhet " + std::to_string(i);
    must(s->create_news(ed, draft(title)));
    EXPECT_EQ(titles(*s, anna).at(0), title);
  }
  stop = true;
  for (auto& t : readers) t.join();
}

}  // namespace
}  // namespace samverka::tenant
