// tenant::store's social feature on a real store: department groups following the org tree,
// closed-group visibility, the merged feed's ordering and keyset pagination (ties included),
// grouped notifications and digests.
#include "samverka/tenant/social.hpp"

#include <gtest/gtest.h>

#include <set>

#include "samverka/tenant/store.hpp"
#include "test_util.hpp"

namespace samverka::tenant {
namespace {

using testing::expect_error;
using testing::must;

class social_store : public ::testing::Test {
 protected:
  void SetUp() override {
    must(create_store(dir.path() / "t"));
    s = must(store::open("t", dir.path() / "t"));
    must(s->add_unit("Socialförvaltningen", std::nullopt));
    must(s->add_unit("Hemtjänst", std::string_view("Socialförvaltningen")));
    must(s->add_unit("Skolan", std::nullopt));
    anna = person("anna@t.se", "Anna", {"Hemtjänst"});
    bo = person("bo@t.se", "Bo", {"Skolan"});
  }
  viewer person(const std::string& email, const std::string& name, std::vector<std::string> units) {
    new_user u;
    u.email = email;
    u.name = name;
    u.units = std::move(units);
    auto added = must(s->add_user(u));
    return must(s->viewer_for(added.id));
  }
  std::int64_t group_named(const viewer& v, const std::string& name) {
    for (auto& g : must(s->list_groups(v)))
      if (g.name == name) return g.id;
    return 0;
  }
  post_draft text(const std::string& body, std::optional<std::int64_t> at = std::nullopt) {
    post_draft d;
    d.body = body;
    d.created_at_ms = at;
    return d;
  }

  testing::temp_dir dir;
  std::shared_ptr<store> s;
  viewer anna, bo;
};

TEST_F(social_store, EveryUnitHasADepartmentGroupAndMembershipFollowsTheTree) {
  auto groups = must(s->list_groups(anna));
  ASSERT_EQ(groups.size(), 3u);
  std::map<std::string, bool> member;
  for (auto& g : groups) {
    EXPECT_EQ(g.kind, group_kind::department);
    member[g.name] = g.member;
  }
  EXPECT_TRUE(member.at("Hemtjänst"));
  EXPECT_TRUE(member.at("Socialförvaltningen"));
  EXPECT_FALSE(member.at("Skolan"));
  must(s->add_unit("Ekonomi", std::nullopt));
  EXPECT_NE(group_named(anna, "Ekonomi"), 0);
  expect_error(s->join_group(anna, group_named(anna, "Skolan")), errc::unprocessable,
               "department_group");
  auto members = must(s->list_group_members(bo, group_named(bo, "Socialförvaltningen")));
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].name, "Anna");
}

TEST_F(social_store, ClosedGroupsAreNotFoundToNonMembers) {
  group_draft d;
  d.name = "Hemligt";
  d.kind = group_kind::closed;
  auto g = must(s->create_group(anna, d));
  auto p = must(s->create_post(anna, g.id, text("<p>hemlis</p>")));
  expect_error(s->get_group(bo, g.id), errc::not_found, "unknown_group");
  expect_error(s->list_group_posts(bo, g.id, 10, std::nullopt), errc::not_found);
  expect_error(s->get_post(bo, p.id), errc::not_found, "unknown_post");
  expect_error(s->create_comment(bo, p.id, text("in")), errc::not_found);
  expect_error(s->set_like(bo, p.id, true), errc::not_found);
  expect_error(s->join_group(bo, g.id), errc::not_found);
  EXPECT_TRUE(must(s->feed(bo, 50, std::nullopt)).items.empty());
  EXPECT_EQ(group_named(bo, "Hemligt"), 0);
  must(s->invite_to_group(anna, g.id, bo.user_id, std::nullopt));
  EXPECT_TRUE(must(s->join_group(bo, g.id)).member);
  EXPECT_EQ(must(s->feed(bo, 50, std::nullopt)).items.size(), 1u);
}

TEST_F(social_store, FeedIsNewestFirstAcrossGroupsAndPagesThroughTies) {
  group_draft d;
  d.name = "Öppen";
  auto open = must(s->create_group(anna, d));
  const auto hem = group_named(anna, "Hemtjänst");
  // 30 items, three per timestamp, alternating groups: ties must neither repeat nor vanish.
  std::set<std::int64_t> written;
  for (int i = 0; i < 30; ++i)
    written.insert(must(s->create_post(anna, i % 2 ? open.id : hem,
                                       text("p" + std::to_string(i), 1000 + i / 3)))
                       .id);
  std::set<std::int64_t> seen;
  std::optional<std::string> cursor;
  std::int64_t last_at = INT64_MAX, last_id = INT64_MAX;
  for (int pages = 0; pages < 20; ++pages) {
    auto page =
        must(s->feed(anna, 7, cursor ? std::optional<std::string_view>(*cursor) : std::nullopt));
    for (auto& p : page.items) {
      EXPECT_TRUE(p.created_at_ms < last_at || (p.created_at_ms == last_at && p.id < last_id));
      last_at = p.created_at_ms;
      last_id = p.id;
      EXPECT_TRUE(seen.insert(p.id).second);
    }
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  EXPECT_EQ(seen, written);
  expect_error(s->feed(anna, 10, std::string_view("x.y")), errc::invalid_input, "invalid_cursor");
}

TEST_F(social_store, NotificationsGroupPerThreadAndDigestOnce) {
  auto chef = person("chef@t.se", "Chef", {"Hemtjänst"});
  const auto hem = group_named(anna, "Hemtjänst");
  auto p = must(s->create_post(anna, hem, text("<p>Fika?</p>")));
  must(s->create_comment(chef, p.id, text("Ja")));
  must(s->create_comment(bo, p.id, text("Jag med")));           // anyone reads a department group
  must(s->create_comment(chef, p.id, text("Kom @anna@t.se")));  // a mention outranks a reply
  auto list = must(s->list_notifications(anna, 0));
  EXPECT_EQ(list.unread_count, 3);
  ASSERT_EQ(list.items.size(), 2u);  // a mention and the replies, one line each
  EXPECT_EQ(list.items[0].kind, notification_kind::mention);
  EXPECT_EQ(list.items[1].kind, notification_kind::reply);
  EXPECT_EQ(list.items[1].count, 2);
  EXPECT_EQ(list.items[1].text, "2 nya kommentarer på ditt inlägg ”Fika?”");

  auto due = must(s->pending_digests());
  std::set<std::string> emails;
  for (auto& d : due) emails.insert(d.email);
  // Chef and Bo follow the thread since commenting.
  EXPECT_EQ(emails, (std::set<std::string>{"anna@t.se", "bo@t.se", "chef@t.se"}));
  for (auto& d : due) must(s->mark_digested(d.user_id, d.upto_id));
  EXPECT_TRUE(must(s->pending_digests()).empty());
  must(s->mark_notifications_read(anna, std::nullopt));
  EXPECT_EQ(must(s->list_notifications(anna, 0)).unread_count, 0);
}

}  // namespace
}  // namespace samverka::tenant
