// Sharing: the receiver's apply (idempotent, ordered by revision), the copy and outbox state
// machines in tenant/src/sharing.cpp, and the relay of sharing::service over real stores and a
// real registry (no HTTP).
#include "samverka/sharing/service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "samverka/core/clock.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"
#include "test_util.hpp"

namespace samverka::tenant {
namespace {

using testing::expect_error;
using testing::must;
using testing::temp_dir;

viewer editor_of(store& s, const std::string& email) {
  new_user u;
  u.email = email;
  u.name = "Redaktör " + email;
  u.roles = bit(role::employee) | bit(role::editor) | bit(role::admin);
  auto added = must(s.add_user(u));
  return must(s.viewer_for(added.id));
}

share_message msg(std::int64_t revision, bool withdrawn = false, std::int64_t news_id = 7) {
  share_message m;
  m.source_slug = "eksjo";
  m.source_name = "Eksjö kommun";
  m.payload.news_id = news_id;
  m.payload.revision = revision;
  m.payload.title = "Rubrik " + std::to_string(revision);
  m.payload.summary = "Sammanfattning";
  m.payload.body = "<p>Text " + std::to_string(revision) + "</p>";
  m.payload.author_name = "Eva";
  m.payload.published_at_ms = 1'700'000'000'000;
  m.payload.updated_at_ms = 1'700'000'000'000 + revision;
  m.payload.withdrawn = withdrawn;
  return m;
}

class receiver : public ::testing::Test {
 protected:
  void SetUp() override {
    must(create_store(dir.path() / "savsjo"));
    s = must(store::open("savsjo", dir.path() / "savsjo"));
    must(s->add_unit("Hemtjänst", std::nullopt));
    ed = editor_of(*s, "editor@savsjo.se");
  }
  shared_copy only_copy() {
    auto inbox = must(s->sharing_inbox(ed));
    EXPECT_EQ(inbox.size(), 1u);
    return inbox.empty() ? shared_copy{} : inbox.front();
  }
  temp_dir dir;
  std::shared_ptr<store> s;
  viewer ed;
};

TEST_F(receiver, ApplyIsIdempotentAndOrderedByRevision) {
  EXPECT_EQ(must(s->sharing_apply(msg(2))), apply_outcome::created);
  EXPECT_EQ(must(s->sharing_apply(msg(2))), apply_outcome::stale);  // duplicate
  EXPECT_EQ(must(s->sharing_apply(msg(1))), apply_outcome::stale);  // late, older
  auto k = only_copy();
  EXPECT_EQ(k.status, copy_status::pending);
  EXPECT_EQ(k.revision, 2);
  EXPECT_EQ(k.news.title, "Rubrik 2");
  EXPECT_FALSE(k.local_news_id);

  // Accepted and re-targeted: later revisions change content, never the audience.
  auto n = must(s->sharing_accept(ed, k.id, audience{{"Hemtjänst"}, {}}));
  EXPECT_EQ(n.title, "Rubrik 2");
  ASSERT_TRUE(n.source);
  EXPECT_EQ(n.source->slug, "eksjo");
  EXPECT_EQ(n.source->news_id, 7);
  EXPECT_EQ(must(s->sharing_apply(msg(4))), apply_outcome::updated);
  EXPECT_EQ(must(s->sharing_apply(msg(3))), apply_outcome::stale);
  auto after = must(s->get_news(ed, n.id));
  EXPECT_EQ(after.title, "Rubrik 4");
  EXPECT_EQ(after.target.units, std::vector<std::string>{"Hemtjänst"});
}

TEST_F(receiver, AnyOrderOfDeliveriesConvergesOnTheNewest) {
  std::mt19937 rng(20261122);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::int64_t> revs;
    for (std::int64_t r = 1; r <= 8; ++r) revs.insert(revs.end(), {r, r});  // each twice
    std::shuffle(revs.begin(), revs.end(), rng);
    for (auto r : revs) must(s->sharing_apply(msg(r, false, 100 + round)));
  }
  auto inbox = must(s->sharing_inbox(ed));
  ASSERT_EQ(inbox.size(), 20u);
  for (const auto& k : inbox) {
    EXPECT_EQ(k.revision, 8);
    EXPECT_EQ(k.news.title, "Rubrik 8");
  }
}

TEST_F(receiver, WithdrawalRemovesTheCopyAndIsFinal) {
  must(s->sharing_apply(msg(1)));
  auto n = must(s->sharing_accept(ed, only_copy().id, std::nullopt));
  EXPECT_EQ(must(s->sharing_apply(msg(2, true))), apply_outcome::updated);
  expect_error(s->get_news(ed, n.id), errc::not_found);
  EXPECT_TRUE(must(s->sharing_inbox(ed)).empty());  // withdrawn copies leave the inbox
  EXPECT_EQ(must(s->sharing_apply(msg(1))), apply_outcome::stale);
  auto k = must(s->sharing_copy_of("eksjo", 7));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->status, copy_status::withdrawn);
}

TEST_F(receiver, LinkedCopiesAreReadOnlyUntilUnlinked) {
  must(s->sharing_apply(msg(1)));
  auto n = must(s->sharing_accept(ed, only_copy().id, std::nullopt));
  news_patch p;
  p.title = "Lokal rubrik";
  expect_error(s->update_news(ed, n.id, p), errc::conflict);
  news_patch audience_only;  // re-targeting is the receiver's own business
  audience_only.target = audience{{"Hemtjänst"}, {}};
  must(s->update_news(ed, n.id, audience_only));

  auto k = must(s->sharing_unlink(ed, n.id));
  EXPECT_FALSE(k.linked);
  EXPECT_EQ(k.unlink_reason, "editor");
  expect_error(s->sharing_unlink(ed, n.id), errc::conflict, "already_unlinked");
  EXPECT_EQ(must(s->update_news(ed, n.id, p)).title, "Lokal rubrik");
  EXPECT_EQ(must(s->sharing_apply(msg(5))), apply_outcome::detached);
  EXPECT_EQ(must(s->sharing_apply(msg(6, true))), apply_outcome::detached);
  EXPECT_EQ(must(s->get_news(ed, n.id)).title, "Lokal rubrik");
}

// The original's schedule travels with every revision: an accepted linked copy takes on a new
// publication or unpublication time, a pending offer is accepted with the newest one, and an
// unlinked copy keeps its own.
TEST_F(receiver, LinkedCopiesFollowTheOriginalsSchedule) {
  const auto now = now_ms();
  must(s->sharing_apply(msg(1)));
  auto n = must(s->sharing_accept(ed, only_copy().id, std::nullopt));
  auto titles = [&] {
    std::vector<std::string> out;
    for (const auto& i : must(s->list_news(ed, news_scope::all, 50, std::nullopt)).items)
      out.push_back(i.title);
    return out;
  };
  EXPECT_EQ(titles(), std::vector<std::string>{"Rubrik 1"});

  auto unpublished = msg(2);  // the original unpublished now
  unpublished.payload.unpublish_at_ms = now;
  EXPECT_EQ(must(s->sharing_apply(unpublished)), apply_outcome::updated);
  auto copy = must(s->get_news(ed, n.id));
  EXPECT_EQ(copy.unpublish_at_ms, now);
  EXPECT_TRUE(titles().empty());
  EXPECT_EQ(must(s->sharing_copy_of("eksjo", 7))->news.unpublish_at_ms, now);

  auto rescheduled = msg(3);  // back, and moved to a later publication
  rescheduled.payload.published_at_ms = now + 3'600'000;
  EXPECT_EQ(must(s->sharing_apply(rescheduled)), apply_outcome::updated);
  copy = must(s->get_news(ed, n.id));
  EXPECT_EQ(copy.published_at_ms, now + 3'600'000);
  EXPECT_FALSE(copy.unpublish_at_ms);
  EXPECT_TRUE(titles().empty());  // scheduled: not yet in the feed

  // An edit that leaves the original's schedule as it was keeps the receiver's own schedule.
  news_patch local;
  local.publish_at_ms = std::optional<std::int64_t>();  // the receiver publishes its copy now
  must(s->update_news(ed, n.id, local));
  auto edited = msg(4);
  edited.payload.published_at_ms = now + 3'600'000;
  EXPECT_EQ(must(s->sharing_apply(edited)), apply_outcome::updated);
  copy = must(s->get_news(ed, n.id));
  EXPECT_EQ(copy.title, "Rubrik 4");
  EXPECT_LE(copy.published_at_ms, now_ms());
  EXPECT_EQ(titles(), std::vector<std::string>{"Rubrik 4"});

  // Unlinked: the copy keeps its schedule, whatever the original does.
  must(s->sharing_unlink(ed, n.id));
  auto gone = msg(5);
  gone.payload.unpublish_at_ms = now;
  EXPECT_EQ(must(s->sharing_apply(gone)), apply_outcome::detached);
  EXPECT_FALSE(must(s->get_news(ed, n.id)).unpublish_at_ms);
  EXPECT_EQ(titles(), std::vector<std::string>{"Rubrik 4"});
}

TEST_F(receiver, SchedulesFromOlderSendersOrOlderCopiesAreNotForcedOnTheReceiver) {
  const auto now = now_ms();
  must(s->sharing_apply(msg(1)));
  auto n = must(s->sharing_accept(ed, only_copy().id, std::nullopt));
  // The receiver takes its copy off the feed.
  news_patch local;
  local.unpublish_at_ms = std::optional<std::int64_t>(now);
  must(s->update_news(ed, n.id, local));
  // A sender that does not deliver schedules (an older node): its missing unpublish_at is not
  // "never", and the receiver's own choice stays.
  auto old_sender = msg(2);
  old_sender.payload.published_at_ms = now - 60'000;
  old_sender.payload.schedule_known = false;
  EXPECT_EQ(must(s->sharing_apply(old_sender)), apply_outcome::updated);
  EXPECT_EQ(must(s->get_news(ed, n.id)).unpublish_at_ms, now);
  // A copy stored before schedules were delivered: the first delivery that carries one only
  // records it; the next change of the original's schedule is applied.
  db::connection(dir.path() / "savsjo" / "tenant.sqlite", db::connection::mode::read_write, 5000)
      .exec("UPDATE sharing_copies SET schedule_synced = 0");
  auto first = msg(3);
  first.payload.published_at_ms = now - 120'000;
  EXPECT_EQ(must(s->sharing_apply(first)), apply_outcome::updated);
  EXPECT_EQ(must(s->get_news(ed, n.id)).unpublish_at_ms, now);
  auto rescheduled = msg(4);
  rescheduled.payload.published_at_ms = now - 180'000;
  EXPECT_EQ(must(s->sharing_apply(rescheduled)), apply_outcome::updated);
  const auto copy = must(s->get_news(ed, n.id));
  EXPECT_EQ(copy.published_at_ms, now - 180'000);
  EXPECT_FALSE(copy.unpublish_at_ms);
}

TEST_F(receiver, APendingOfferIsAcceptedWithTheNewestSchedule) {
  const auto now = now_ms();
  auto scheduled = msg(1);
  scheduled.payload.published_at_ms = now + 3'600'000;
  must(s->sharing_apply(scheduled));
  auto moved = msg(2);
  moved.payload.published_at_ms = now + 7'200'000;
  moved.payload.unpublish_at_ms = now + 10'800'000;
  EXPECT_EQ(must(s->sharing_apply(moved)), apply_outcome::updated);
  auto k = only_copy();
  EXPECT_EQ(k.status, copy_status::pending);
  EXPECT_EQ(k.news.published_at_ms, now + 7'200'000);
  auto n = must(s->sharing_accept(ed, k.id, std::nullopt));
  EXPECT_EQ(n.published_at_ms, now + 7'200'000);
  EXPECT_EQ(n.unpublish_at_ms, now + 10'800'000);
  n = must(s->get_news(ed, n.id));
  EXPECT_EQ(n.published_at_ms, now + 7'200'000);
  EXPECT_EQ(n.unpublish_at_ms, now + 10'800'000);
}

TEST_F(receiver, PolicyAcceptsAutomaticallyAndDeclineIsRecorded) {
  must(s->sharing_apply(msg(1, false, 1)));
  must(s->set_accept_policy("eksjo", accept_policy::automatic, "admin@savsjo.se"));
  EXPECT_EQ(must(s->get_accept_policy("eksjo")), accept_policy::automatic);
  EXPECT_EQ(must(s->get_accept_policy("vetlanda")), accept_policy::manual);
  must(s->sharing_apply(msg(1, false, 2)));
  auto two = must(s->sharing_copy_of("eksjo", 2));
  ASSERT_TRUE(two);
  EXPECT_EQ(two->status, copy_status::accepted);
  auto one = must(s->sharing_copy_of("eksjo", 1));
  must(s->sharing_decline(ed, one->id));
  expect_error(s->sharing_decline(ed, two->id), errc::conflict, "not_pending");
  auto log = must(s->sharing_audit_log(10));
  std::vector<std::string> actions;
  for (const auto& e : log) actions.push_back(e.action);
  for (const char* a : {"offer_received", "policy", "auto_accept", "decline"})
    EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;
}

TEST_F(receiver, RefusesDeliveriesFromItselfOrWithoutRevision) {
  auto self = msg(1);
  self.source_slug = "savsjo";
  expect_error(s->sharing_apply(self), errc::invalid_input);
  expect_error(s->sharing_apply(msg(0)), errc::invalid_input);
  auto bad = msg(1);
  bad.payload.title = std::string(2000, 'x');
  expect_error(s->sharing_apply(bad), errc::invalid_input);
  EXPECT_TRUE(must(s->sharing_inbox(ed)).empty());
}

TEST(sharing_backoff, GrowsExponentiallyToItsCap) {
  EXPECT_EQ(sharing::backoff(1), sharing::first_retry);
  EXPECT_EQ(sharing::backoff(2), 2 * sharing::first_retry);
  EXPECT_EQ(sharing::backoff(3), 4 * sharing::first_retry);
  EXPECT_EQ(sharing::backoff(1000), sharing::max_retry);
}

// The relay over a real registry with three tenants.
class relay : public ::testing::Test {
 protected:
  void SetUp() override {
    reg = must(provisioning::registry::open(dir.path()));
    for (const char* slug : {"eksjo", "savsjo", "vetlanda"}) {
      std::string name = std::string(slug) + " kommun";
      must(reg->create_tenant(slug, name, {std::string(slug) + ".se"}));
    }
    must(reg->link("eksjo", "savsjo"));
    svc = std::make_unique<sharing::service>(
        reg, [this](const provisioning::tenant_info& t) { return open(t.slug); });
    ed_eksjo = editor_of(*must(open("eksjo")), "editor@eksjo.se");
    ed_savsjo = editor_of(*must(open("savsjo")), "editor@savsjo.se");
  }
  result<std::shared_ptr<store>> open(const std::string& slug) {
    auto it = stores.find(slug);
    if (it != stores.end()) return it->second;
    auto s = store::open(slug, pool::tenant_dir(dir.path(), slug));
    if (s) stores[slug] = *s;
    return s;
  }
  temp_dir dir;
  std::shared_ptr<provisioning::registry> reg;
  std::map<std::string, std::shared_ptr<store>> stores;
  std::unique_ptr<sharing::service> svc;
  viewer ed_eksjo, ed_savsjo;
};

TEST_F(relay, DeliversEditsAndWithdrawalsAndRetriesSuspendedReceivers) {
  auto src = must(open("eksjo"));
  auto dst = must(open("savsjo"));
  news_draft d{"Vägarbete", "", "<p>Storgatan</p>", {}, std::nullopt};
  expect_error(svc->check_partners("eksjo", {"vetlanda"}), errc::unprocessable, "not_a_partner");
  auto n = must(src->create_shared_news(ed_eksjo, d, {"savsjo"}, false));
  EXPECT_EQ(svc->deliver("eksjo", false), 1u);
  auto inbox = must(dst->sharing_inbox(ed_savsjo));
  ASSERT_EQ(inbox.size(), 1u);
  auto local = must(dst->sharing_accept(ed_savsjo, inbox[0].id, std::nullopt));

  news_patch p;
  p.title = "Vägarbete klart";
  must(src->update_news(ed_eksjo, n.id, p));
  must(reg->suspend("savsjo"));
  EXPECT_EQ(svc->deliver("eksjo", false), 0u);
  auto dist = must(src->distribution(ed_eksjo, n.id));
  ASSERT_EQ(dist.size(), 1u);
  EXPECT_EQ(dist[0].state, "failing");
  EXPECT_NE(dist[0].last_error.find("receiver_suspended"), std::string::npos);
  EXPECT_EQ(must(dst->get_news(ed_savsjo, local.id)).title, "Vägarbete");

  must(reg->resume("savsjo"));
  EXPECT_EQ(svc->deliver("eksjo", true), 1u);
  EXPECT_EQ(must(dst->get_news(ed_savsjo, local.id)).title, "Vägarbete klart");
  dist = must(src->distribution(ed_eksjo, n.id));
  EXPECT_EQ(dist[0].state, "delivered");
  EXPECT_EQ(dist[0].delivered_revision, dist[0].revision);

  must(src->delete_news(ed_eksjo, n.id));
  EXPECT_EQ(svc->deliver("eksjo", false), 1u);
  expect_error(dst->get_news(ed_savsjo, local.id), errc::not_found);
  EXPECT_EQ(svc->deliver("eksjo", true), 0u);  // nothing left
}

// Schedule edits of an original are revisions like text edits: the relay delivers them, and the
// partner's linked copy leaves the feed (or moves its publication) with the original.
TEST_F(relay, ScheduleChangesReachLinkedCopies) {
  auto src = must(open("eksjo"));
  auto dst = must(open("savsjo"));
  const auto hour = std::int64_t{3'600'000};
  auto in_feed = [&](std::int64_t id) {
    for (const auto& i : must(dst->list_news(ed_savsjo, news_scope::all, 50, std::nullopt)).items)
      if (i.id == id) return true;
    return false;
  };
  news_draft live{"Simhallen stänger", "", "<p>x</p>", {}, std::nullopt, std::nullopt, {}};
  auto a = must(src->create_shared_news(ed_eksjo, live, {"savsjo"}, false));
  news_draft later{"Ny simhall", "", "<p>y</p>", {}, now_ms() + hour, std::nullopt, {}};
  auto b = must(src->create_shared_news(ed_eksjo, later, {"savsjo"}, false));
  EXPECT_EQ(svc->deliver("eksjo", false), 2u);
  auto copy_a = must(
      dst->sharing_accept(ed_savsjo, must(dst->sharing_copy_of("eksjo", a.id))->id, std::nullopt));
  auto copy_b = must(
      dst->sharing_accept(ed_savsjo, must(dst->sharing_copy_of("eksjo", b.id))->id, std::nullopt));
  EXPECT_TRUE(in_feed(copy_a.id));
  EXPECT_FALSE(in_feed(copy_b.id));
  EXPECT_EQ(copy_b.published_at_ms, b.published_at_ms);

  news_patch unpublish;  // now
  unpublish.unpublish_at_ms = std::optional<std::int64_t>(now_ms());
  must(src->update_news(ed_eksjo, a.id, unpublish));
  news_patch reschedule;
  const auto moved = now_ms() + 2 * hour;
  reschedule.publish_at_ms = std::optional<std::int64_t>(moved);
  must(src->update_news(ed_eksjo, b.id, reschedule));
  EXPECT_EQ(svc->deliver("eksjo", false), 2u);
  EXPECT_FALSE(in_feed(copy_a.id));
  EXPECT_TRUE(must(dst->get_news(ed_savsjo, copy_a.id)).unpublish_at_ms);
  EXPECT_EQ(must(dst->get_news(ed_savsjo, copy_b.id)).published_at_ms, moved);
  for (const auto& e : must(src->distribution(ed_eksjo, a.id)))
    EXPECT_EQ(e.delivered_revision, e.revision);

  news_patch publish_now;  // a scheduled original published at once: the copy appears too
  publish_now.publish_at_ms = std::optional<std::int64_t>();
  must(src->update_news(ed_eksjo, b.id, publish_now));
  EXPECT_EQ(svc->deliver("eksjo", false), 1u);
  EXPECT_TRUE(in_feed(copy_b.id));
}

TEST_F(relay, BorrowsOnlyFromPartnersAndOnlyShareableItems) {
  auto src = must(open("eksjo"));
  auto dst = must(open("savsjo"));
  auto other = must(open("vetlanda"));
  auto ed_vetlanda = editor_of(*other, "editor@vetlanda.se");
  news_draft d{"Katalog", "", "<p>Lån mig</p>", {}, std::nullopt};
  auto secret = must(src->create_news(ed_eksjo, d));
  auto offered = must(src->create_shared_news(ed_eksjo, d, {}, true));
  EXPECT_EQ(must(svc->catalog("savsjo", "eksjo")).size(), 1u);
  expect_error(svc->catalog("vetlanda", "eksjo"), errc::not_found);
  expect_error(svc->borrow("vetlanda", *other, ed_vetlanda, "eksjo", offered.id, std::nullopt),
               errc::not_found);
  expect_error(svc->borrow("savsjo", *dst, ed_savsjo, "eksjo", secret.id, std::nullopt),
               errc::not_found);
  auto copy = must(svc->borrow("savsjo", *dst, ed_savsjo, "eksjo", offered.id, std::nullopt));
  ASSERT_TRUE(copy.source);
  EXPECT_EQ(copy.source->news_id, offered.id);
  // The relay's later delivery of the same revision changes nothing.
  svc->deliver("eksjo", true);
  EXPECT_EQ(must(dst->sharing_inbox(ed_savsjo)).size(), 1u);
  EXPECT_TRUE(must(other->sharing_inbox(ed_vetlanda)).empty());
}

TEST_F(relay, EndedPartnershipStopsUpdatesAndKeepsCopies) {
  auto src = must(open("eksjo"));
  auto dst = must(open("savsjo"));
  news_draft d{"Före", "", "<p>x</p>", {}, std::nullopt};
  auto n = must(src->create_shared_news(ed_eksjo, d, {"savsjo"}, false));
  svc->deliver("eksjo", false);
  auto local = must(dst->sharing_accept(ed_savsjo, must(dst->sharing_inbox(ed_savsjo))[0].id, {}));
  must(reg->unlink("eksjo", "savsjo"));
  news_patch p;
  p.title = "Efter";
  must(src->update_news(ed_eksjo, n.id, p));
  svc->deliver("eksjo", false);
  EXPECT_EQ(must(dst->get_news(ed_savsjo, local.id)).title, "Före");
  auto k = must(dst->sharing_copy_of("eksjo", n.id));
  ASSERT_TRUE(k);
  EXPECT_FALSE(k->linked);
  EXPECT_EQ(k->unlink_reason, "partnership_ended");
  EXPECT_EQ(must(src->distribution(ed_eksjo, n.id))[0].state, "ended");
}

}  // namespace
}  // namespace samverka::tenant
