// The sharing service end to end: push offers and the inbox, acceptance policies, catalogues and
// borrowing, linked copies following edits and withdrawals, unlinking, reliable delivery across
// suspension and SIGKILL, cross-employed memberships, and a randomized isolation check.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Deliveries take milliseconds; this bounds a test that waits for one.
constexpr auto delivery_timeout = 10s;

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = delivery_timeout) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

class sharing : public platform {
 protected:
  std::string api(const std::string& slug, const std::string& path) {
    return "/t/" + slug + "/api/v1" + path;
  }
  // Publishes at `slug` with extra fields (share_with, shareable, audience); returns the NEWS.
  json::object publish_shared(const std::string& title, json::object extra,
                              const std::string& slug = "eksjo") {
    json::object b{{"title", title}, {"body", "<p>" + title + "</p>"}};
    for (auto& [k, v] : extra) b[k] = v;
    auto r = srv->post(api(slug, "/news"), body(b), as("editor", slug));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().as_object() : json::object{};
  }
  json::array inbox(const std::string& slug) {
    auto r = srv->get(api(slug, "/sharing/inbox"), as("editor", slug));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("items").as_array() : json::array{};
  }
  // The inbox item of `slug` holding original `news_id` of `from`, if any.
  std::optional<json::object> offer(const std::string& slug, std::int64_t news_id,
                                    const std::string& from = "eksjo") {
    for (auto& it : inbox(slug)) {
      auto& o = it.as_object();
      if (o.at("from").at("slug").as_string() == from &&
          o.at("news").at("source").at("news_id").to_number<std::int64_t>() == news_id)
        return o;
    }
    return std::nullopt;
  }
  json::object wait_offer(const std::string& slug, std::int64_t news_id,
                          const std::string& from = "eksjo") {
    std::optional<json::object> o;
    EXPECT_TRUE(eventually([&] { return (o = offer(slug, news_id, from)).has_value(); }))
        << "no offer of " << news_id << " from " << from << " reached " << slug;
    return o.value_or(json::object{});
  }
  // Accepts the offer of `news_id` at `slug`; returns the local news id.
  std::int64_t accept(const std::string& slug, std::int64_t news_id, json::object req = {}) {
    auto o = wait_offer(slug, news_id);
    if (o.empty()) return 0;
    auto r =
        srv->post(api(slug, "/sharing/inbox/" + std::to_string(o.at("id").as_int64()) + "/accept"),
                  req.empty() ? "" : body(req), as("editor", slug));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("news").at("id").as_int64() : 0;
  }
  std::string local_title(const std::string& slug, std::int64_t id) {
    auto r = srv->get(api(slug, "/news/" + std::to_string(id)), as("editor", slug));
    return r.status == 200 ? std::string(r.json().at("title").as_string())
                           : "<" + std::to_string(r.status) + ">";
  }
  std::map<std::string, std::string> distribution(std::int64_t id) {
    auto r = srv->get(api("eksjo", "/news/" + std::to_string(id) + "/distribution"),
                      as("editor", "eksjo"));
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, std::string> out;
    if (r.status != 200) return out;
    auto doc = r.json();
    for (auto& it : doc.at("items").as_array())
      out[std::string(it.at("partner").at("slug").as_string())] = it.at("state").as_string();
    return out;
  }
  void must_ctl(const std::vector<std::string>& args, const std::string& input = "") {
    auto r = ctl(dir.path(), args, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // A fourth tenant, not a partner of anyone, with an editor.
  std::string outsider() {
    must_ctl({"tenant", "create", "hultsfred", "--name", "Hultsfreds kommun", "--domain",
              "hultsfred.se"});
    must_ctl({"user", "add", "hultsfred", "--email", "editor@hultsfred.se", "--name", "Hulda",
              "--role", "editor", "--password-stdin"},
             std::string(demo_password) + "\n");
    std::string token;
    EXPECT_TRUE(eventually([&] {
      auto r = srv->post(api("hultsfred", "/auth/login"),
                         body({{"email", "editor@hultsfred.se"}, {"password", demo_password}}));
      if (r.status == 200) token = r.json().at("token").as_string();
      return r.status == 200;
    }));
    return token;
  }
};

TEST_F(sharing, PushedNewsIsAcceptedRetargetedOrDeclinedByEachPartner) {
  auto n = publish_shared("Gemensam nyhet", {{"share_with", json::array{"savsjo", "vetlanda"}}});
  const auto id = n.at("id").as_int64();
  EXPECT_TRUE(n.at("source").is_null());
  auto o = wait_offer("savsjo", id);
  EXPECT_EQ(o.at("status").as_string(), "pending");
  EXPECT_EQ(o.at("from").at("name").as_string(), "Eksjö kommun");
  // Pending offers are not news yet.
  EXPECT_EQ(titles(as("anna", "savsjo"), "all", "savsjo").count("Gemensam nyhet"), 0u);

  const auto local =
      accept("savsjo", id, {{"audience", json::object{{"units", json::array{"Hemtjänst"}}}}});
  ASSERT_GT(local, 0);
  EXPECT_EQ(titles(as("anna", "savsjo"), "mine", "savsjo").count("Gemensam nyhet"), 1u);
  EXPECT_EQ(titles(as("bo", "savsjo"), "mine", "savsjo").count("Gemensam nyhet"), 0u);
  auto copy = srv->get(api("savsjo", "/news/" + std::to_string(local)), as("anna", "savsjo"));
  ASSERT_EQ(copy.status, 200) << copy.body;
  EXPECT_EQ(copy.json().at("source").at("slug").as_string(), "eksjo");
  EXPECT_EQ(copy.json().at("source").at("name").as_string(), "Eksjö kommun");
  EXPECT_EQ(copy.json().at("source").at("news_id").as_int64(), id);

  auto v = wait_offer("vetlanda", id);
  auto r = srv->post(
      api("vetlanda", "/sharing/inbox/" + std::to_string(v.at("id").as_int64()) + "/decline"), "",
      as("editor", "vetlanda"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(offer("vetlanda", id)->at("status").as_string(), "declined");
  EXPECT_EQ(titles(as("anna", "vetlanda"), "all", "vetlanda").count("Gemensam nyhet"), 0u);

  auto d = distribution(id);
  EXPECT_EQ(d["savsjo"], "accepted");
  EXPECT_EQ(d["vetlanda"], "declined");
  // Employees have no inbox; accepting twice is a conflict.
  EXPECT_EQ(srv->get(api("savsjo", "/sharing/inbox"), as("anna", "savsjo")).status, 403);
  EXPECT_EQ(srv->post(api("savsjo",
                          "/sharing/inbox/" + std::to_string(o.at("id").as_int64()) + "/accept"),
                      "", as("editor", "savsjo"))
                .status,
            409);
}

TEST_F(sharing, NonPartnersAndBadInputChangeNothing) {
  auto hulda = outsider();
  auto before = titles(as("editor"), "all");
  auto ed = as("editor");
  auto r = srv->post(
      api("eksjo", "/news"),
      body(
          {{"title", "Hemlig"}, {"body", "x"}, {"share_with", json::array{"savsjo", "hultsfred"}}}),
      ed);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.error_code(), "not_a_partner");
  for (auto bad : {R"({"title":"x","body":"x","share_with":"savsjo"})",
                   R"({"title":"x","body":"x","share_with":[1]})",
                   R"({"title":"x","body":"x","shareable":"yes"})"}) {
    request q;
    q.method = "POST";
    q.target = api("eksjo", "/news");
    q.body = bad;
    q.headers["Authorization"] = "Bearer " + ed;
    EXPECT_EQ(srv->send(q).status, 400) << bad;
  }
  EXPECT_EQ(
      srv->post(api("eksjo", "/news"),
                body({{"title", "x"}, {"body", "x"}, {"share_with", json::array{"eksjo"}}}), ed)
          .status,
      422);
  EXPECT_EQ(titles(as("editor"), "all"), before);
  EXPECT_TRUE(inbox("savsjo").empty());

  // Adding partners later: a non-partner refuses the whole request.
  auto n = publish_shared("Senare", {});
  const auto id = n.at("id").as_int64();
  auto path = api("eksjo", "/news/" + std::to_string(id) + "/share");
  EXPECT_EQ(srv->post(path, body({{"partners", json::array{"savsjo", "hultsfred"}}}), ed).status,
            422);
  EXPECT_EQ(srv->post(path, body({{"partners", "savsjo"}}), ed).status, 400);
  EXPECT_EQ(srv->post(path, body({{"partners", json::array{"savsjo"}}}), as("anna")).status, 403);
  EXPECT_TRUE(distribution(id).empty());
  auto ok = srv->post(path, body({{"partners", json::array{"savsjo"}}}), ed);
  EXPECT_EQ(ok.status, 200) << ok.body;
  wait_offer("savsjo", id);
  // The outsider sees nothing of it, ever.
  auto h = srv->get(api("hultsfred", "/sharing/inbox"), hulda);
  ASSERT_EQ(h.status, 200);
  EXPECT_TRUE(h.json().at("items").as_array().empty());
}

TEST_F(sharing, AutomaticPolicyAcceptsWithoutAnEditor) {
  // By API (admins of the receiving tenant) ...
  auto r = srv->send([&] {
    request q;
    q.method = "PUT";
    q.target = api("savsjo", "/sharing/policies/eksjo");
    q.body = body({{"policy", "automatic"}});
    q.headers["Authorization"] = "Bearer " + as("admin", "savsjo");
    return q;
  }());
  EXPECT_EQ(r.status, 200) << r.body;
  // ... and by CLI.
  must_ctl({"partner", "policy", "vetlanda", "--from", "eksjo", "auto"});
  EXPECT_NE(
      ctl(dir.path(), {"partner", "policy", "vetlanda", "--from", "nosuch", "auto"}).exit_code, 0);
  auto n = publish_shared("Automatiskt", {{"share_with", json::array{"savsjo", "vetlanda"}}});
  for (auto* slug : {"savsjo", "vetlanda"})
    EXPECT_TRUE(eventually([&] {
      return titles(as("anna", slug), "mine", slug).count("Automatiskt");
    })) << slug;
  EXPECT_EQ(offer("savsjo", n.at("id").as_int64())->at("status").as_string(), "accepted");
  must_ctl({"partner", "policy", "vetlanda", "--from", "eksjo", "manual"});
  auto m = publish_shared("Manuellt igen", {{"share_with", json::array{"vetlanda"}}});
  EXPECT_EQ(wait_offer("vetlanda", m.at("id").as_int64()).at("status").as_string(), "pending");
}

TEST_F(sharing, PartnersBorrowFromTheCatalogueOutsidersGetNothing) {
  auto hulda = outsider();
  auto offered = publish_shared("Att låna", {{"shareable", true}});
  publish_shared("Inte till utlåning", {});
  const auto id = offered.at("id").as_int64();
  auto cat = srv->get(api("savsjo", "/sharing/partners/eksjo/catalog"), as("editor", "savsjo"));
  ASSERT_EQ(cat.status, 200) << cat.body;
  auto items = cat.json().at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("title").as_string(), "Att låna");

  EXPECT_EQ(srv->get(api("hultsfred", "/sharing/partners/eksjo/catalog"), hulda).status, 404);
  EXPECT_EQ(srv->post(api("hultsfred", "/sharing/borrow"),
                      body({{"from", "eksjo"}, {"news_id", id}}), hulda)
                .status,
            404);
  EXPECT_EQ(srv->get(api("savsjo", "/sharing/partners/eksjo/catalog"), as("anna", "savsjo")).status,
            403);
  EXPECT_EQ(srv->post(api("savsjo", "/sharing/borrow"), body({{"from", "eksjo"}, {"news_id", "1"}}),
                      as("editor", "savsjo"))
                .status,
            400);

  auto b = srv->post(api("savsjo", "/sharing/borrow"),
                     body({{"from", "eksjo"},
                           {"news_id", id},
                           {"audience", json::object{{"units", json::array{"Skolan"}}}}}),
                     as("editor", "savsjo"));
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.json().at("source").at("news_id").as_int64(), id);
  EXPECT_EQ(titles(as("bo", "savsjo"), "mine", "savsjo").count("Att låna"), 1u);
  EXPECT_EQ(titles(as("anna", "savsjo"), "mine", "savsjo").count("Att låna"), 0u);
  EXPECT_TRUE(eventually([&] { return distribution(id)["savsjo"] == "accepted"; }));
  // The borrowed copy follows edits.
  ASSERT_EQ(srv->patch(api("eksjo", "/news/" + std::to_string(id)),
                       body({{"title", "Lånad och ändrad"}}), as("editor"))
                .status,
            200);
  const auto local = b.json().at("id").as_int64();
  EXPECT_TRUE(eventually([&] { return local_title("savsjo", local) == "Lånad och ändrad"; }));
}

TEST_F(sharing, EditsReachCopiesAndDeletingWithdrawsThem) {
  auto n = publish_shared("Version 1", {{"share_with", json::array{"savsjo", "vetlanda"}}});
  const auto id = n.at("id").as_int64();
  const auto s =
      accept("savsjo", id, {{"audience", json::object{{"units", json::array{"Skolan"}}}}});
  const auto v = accept("vetlanda", id);
  auto path = api("eksjo", "/news/" + std::to_string(id));
  ASSERT_EQ(
      srv->patch(path, body({{"title", "Version 2"}, {"body", "<p>ny</p>"}}), as("editor")).status,
      200);
  EXPECT_TRUE(eventually([&] { return local_title("savsjo", s) == "Version 2"; }));
  EXPECT_TRUE(eventually([&] { return local_title("vetlanda", v) == "Version 2"; }));
  // The receiver's audience is kept.
  auto copy = srv->get(api("savsjo", "/news/" + std::to_string(s)), as("editor", "savsjo"));
  EXPECT_EQ(copy.json().at("audience").at("units").as_array(), (json::array{"Skolan"}));
  EXPECT_EQ(copy.json().at("body").as_string(), "<p>ny</p>");

  ASSERT_EQ(srv->del(path, as("editor")).status, 204);
  EXPECT_TRUE(eventually([&] { return local_title("savsjo", s) == "<404>"; }));
  EXPECT_TRUE(eventually([&] { return local_title("vetlanda", v) == "<404>"; }));
  EXPECT_EQ(titles(as("bo", "savsjo"), "all", "savsjo").count("Version 2"), 0u);
  auto d = distribution(id);
  EXPECT_EQ(d["savsjo"], "withdrawn");
  EXPECT_EQ(d["vetlanda"], "withdrawn");
}

// An editor's schedule change of an original reaches the partners' linked copies like any edit:
// unpublishing takes the copy off the partner's feed, rescheduling moves its publication time.
TEST_F(sharing, ScheduleChangesOfTheOriginalReachLinkedCopies) {
  auto rfc3339 = [](std::chrono::milliseconds from_now) {
    const auto t = std::chrono::system_clock::now() + from_now;
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  auto copy_of = [&](std::int64_t local) {
    auto r = srv->get(api("savsjo", "/news/" + std::to_string(local)), as("editor", "savsjo"));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().as_object() : json::object{};
  };
  auto reader = as("bo", "savsjo");

  auto live = publish_shared("Badet stänger", {{"share_with", json::array{"savsjo"}}});
  const auto id = live.at("id").as_int64();
  const auto s = accept("savsjo", id);
  EXPECT_TRUE(eventually([&] { return titles(reader, "all", "savsjo").count("Badet stänger"); }));
  auto path = api("eksjo", "/news/" + std::to_string(id));
  // Unpublished within a second (RFC 3339 in whole seconds, after its publication time).
  auto r = srv->patch(path, body({{"unpublish_at", rfc3339(1s)}}), as("editor"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(
      eventually([&] { return titles(reader, "all", "savsjo").count("Badet stänger") == 0; }));
  EXPECT_EQ(srv->get(api("savsjo", "/news/" + std::to_string(s)), reader).status, 404);
  EXPECT_EQ(copy_of(s).at("status").as_string(), "unpublished");

  auto later = publish_shared("Nya badet öppnar",
                              {{"share_with", json::array{"savsjo"}}, {"publish_at", rfc3339(1h)}});
  const auto id2 = later.at("id").as_int64();
  const auto s2 = accept("savsjo", id2);
  EXPECT_EQ(copy_of(s2).at("published_at"), later.at("published_at"));
  auto moved = srv->patch(api("eksjo", "/news/" + std::to_string(id2)),
                          body({{"publish_at", rfc3339(2h)}}), as("editor"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  const auto when = moved.json().at("published_at");
  EXPECT_NE(when, later.at("published_at"));
  EXPECT_TRUE(eventually([&] { return copy_of(s2).at("published_at") == when; }));
  EXPECT_EQ(copy_of(s2).at("status").as_string(), "scheduled");
  EXPECT_TRUE(eventually([&] { return distribution(id2)["savsjo"] == "accepted"; }));
}

TEST_F(sharing, AnUnlinkedCopyIsEditedLocallyAndStopsFollowing) {
  auto n = publish_shared("Original", {{"share_with", json::array{"savsjo"}}});
  const auto id = n.at("id").as_int64();
  const auto s = accept("savsjo", id);
  auto local = api("savsjo", "/news/" + std::to_string(s));
  auto ed = as("editor", "savsjo");
  auto r = srv->patch(local, body({{"title", "Lokal"}}), ed);
  EXPECT_EQ(r.status, 409) << r.body;  // linked copies follow their original
  EXPECT_EQ(srv->post(api("savsjo", "/news/999999/unlink"), "", ed).status, 404);
  EXPECT_EQ(srv->post(local + "/unlink", "", as("anna", "savsjo")).status, 403);
  auto u = srv->post(local + "/unlink", "", ed);
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_FALSE(u.json().at("linked").as_bool());
  EXPECT_TRUE(u.json().at("unlinked_at").is_string());
  EXPECT_EQ(srv->post(local + "/unlink", "", ed).status, 409);
  EXPECT_EQ(srv->patch(local, body({{"title", "Lokal"}}), ed).status, 200);
  ASSERT_EQ(srv->patch(api("eksjo", "/news/" + std::to_string(id)), body({{"title", "Ändrad"}}),
                       as("editor"))
                .status,
            200);
  EXPECT_TRUE(eventually([&] { return distribution(id)["savsjo"] == "unlinked"; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(local_title("savsjo", s), "Lokal");
  auto o = offer("savsjo", id);
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->at("linked").as_bool());
}

TEST_F(sharing, EndingAPartnershipStopsUpdatesButKeepsCopies) {
  auto n = publish_shared("Före avslut", {{"share_with", json::array{"savsjo"}}});
  const auto id = n.at("id").as_int64();
  const auto s = accept("savsjo", id);
  must_ctl({"partner", "unlink", "eksjo", "savsjo"});
  EXPECT_TRUE(eventually([&] {
    auto o = offer("savsjo", id);
    return o && !o->at("linked").as_bool();
  }));
  EXPECT_EQ(offer("savsjo", id)->at("unlink_reason").as_string(), "partnership_ended");
  ASSERT_EQ(srv->patch(api("eksjo", "/news/" + std::to_string(id)),
                       body({{"title", "Efter avslut"}}), as("editor"))
                .status,
            200);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(local_title("savsjo", s), "Före avslut");
  EXPECT_EQ(distribution(id)["savsjo"], "ended");
  // No new offers either.
  EXPECT_EQ(srv->post(api("eksjo", "/news"),
                      body({{"title", "Ny"}, {"body", "x"}, {"share_with", json::array{"savsjo"}}}),
                      as("editor"))
                .status,
            422);
}

TEST_F(sharing, ASuspendedReceiverGetsTheUpdateAfterResume) {
  auto n = publish_shared("Före paus", {{"share_with", json::array{"savsjo"}}});
  const auto id = n.at("id").as_int64();
  const auto s = accept("savsjo", id);
  auto savsjo_editor = as("editor", "savsjo");  // logged in before the suspension
  must_ctl({"tenant", "suspend", "savsjo"});
  ASSERT_EQ(srv->patch(api("eksjo", "/news/" + std::to_string(id)), body({{"title", "Under paus"}}),
                       as("editor"))
                .status,
            200);
  EXPECT_TRUE(eventually([&] { return distribution(id)["savsjo"] == "failing"; }));
  must_ctl({"tenant", "resume", "savsjo"});
  EXPECT_TRUE(eventually([&] {
    auto r = srv->get(api("savsjo", "/news/" + std::to_string(s)), savsjo_editor);
    return r.status == 200 && r.json().at("title").as_string() == "Under paus";
  }));
  EXPECT_TRUE(eventually([&] { return distribution(id)["savsjo"] == "accepted"; }));
}

TEST_F(sharing, AServerKilledBetweenCommitAndDeliveryDeliversAfterRestart) {
  srv.reset();
  ::setenv("SAMVERKA_SHARING_RELAY", "off", 1);
  srv = std::make_unique<server>(dir.path());
  ::unsetenv("SAMVERKA_SHARING_RELAY");
  auto n = publish_shared("Överlever krasch", {{"share_with", json::array{"savsjo"}}});
  const auto id = n.at("id").as_int64();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(offer("savsjo", id));  // committed, not delivered
  EXPECT_EQ(distribution(id)["savsjo"], "pending");
  srv.reset();  // SIGKILL
  srv = std::make_unique<server>(dir.path());
  auto o = wait_offer("savsjo", id);
  ASSERT_TRUE(o.contains("status"));
  EXPECT_EQ(o.at("status").as_string(), "pending");
  EXPECT_TRUE(eventually([&] { return distribution(id)["savsjo"] == "delivered"; }));
}

TEST_F(sharing, AuditTrailsRecordBothSides) {
  auto n = publish_shared("Granskad", {{"share_with", json::array{"savsjo"}}});
  accept("savsjo", n.at("id").as_int64());
  auto actions = [&](const std::string& slug) {
    std::set<std::string> out;
    auto r = srv->get(api(slug, "/sharing/audit"), as("editor", slug));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    auto doc = r.json();
    for (auto& e : doc.at("items").as_array()) out.emplace(e.at("action").as_string());
    return out;
  };
  EXPECT_TRUE(eventually([&] { return actions("eksjo").count("accepted_by_partner") > 0; }));
  EXPECT_EQ(actions("eksjo").count("share"), 1u);
  auto s = actions("savsjo");
  EXPECT_EQ(s.count("offer_received"), 1u);
  EXPECT_EQ(s.count("accept"), 1u);
  EXPECT_EQ(srv->get(api("savsjo", "/sharing/audit"), as("anna", "savsjo")).status, 403);
}

// --- Cross-employed identities -------------------------------------------------------------

TEST_F(sharing, EachTenantRemovesItsOwnMembership) {
  auto token = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(srv->get(api("savsjo", "/me"), token).status, 200);
  must_ctl({"user", "remove", "savsjo", "--email", "pendlare@eksjo.se"});
  auto r = srv->get(api("savsjo", "/me"), token);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.error_code(), "not_a_member");
  auto home = srv->get(api("eksjo", "/me"), token);
  ASSERT_EQ(home.status, 200);
  auto doc = home.json();  // keep the parsed body alive while iterating it
  for (auto& m : doc.at("memberships").as_array()) EXPECT_NE(m.at("slug").as_string(), "savsjo");
}

TEST_F(sharing, DeactivationAtHomeEndsAccessEverywhereAtOnce) {
  auto token = srv->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(srv->get(api("savsjo", "/news"), token).status, 200);
  must_ctl({"user", "remove", "eksjo", "--email", "pendlare@eksjo.se"});
  EXPECT_EQ(srv->get(api("savsjo", "/news"), token).status, 401);
  EXPECT_EQ(srv->get(api("eksjo", "/news"), token).status, 401);
  EXPECT_EQ(srv->post(api("eksjo", "/auth/login"),
                      body({{"email", "pendlare@eksjo.se"}, {"password", demo_password}}))
                .status,
            401);
}

TEST_F(sharing, NoTenantMintsCredentialsOrMembershipsIntoAnother) {
  // A password for a domain another tenant owns is refused.
  auto r = ctl(dir.path(),
               {"user", "add", "savsjo", "--email", "anna@eksjo.se", "--name", "Falsk Anna",
                "--password-stdin"},
               "annat-lösen-1\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(srv->post(api("savsjo", "/auth/login"),
                      body({{"email", "anna@eksjo.se"}, {"password", "annat-lösen-1"}}))
                .status,
            401);
  // A membership savsjo grants gives nothing at eksjo or vetlanda.
  must_ctl(
      {"user", "add", "savsjo", "--email", "anna@eksjo.se", "--name", "Anna", "--role", "admin"});
  auto anna = as("anna");
  EXPECT_EQ(srv->get(api("savsjo", "/me"), anna).status, 200);
  EXPECT_EQ(srv->get(api("vetlanda", "/me"), anna).status, 403);
  // A savsjo session re-labelled with another home resolves nowhere.
  auto savsjo_admin = as("admin", "savsjo");
  auto secret = savsjo_admin.substr(savsjo_admin.find('.') + 1);
  for (auto* home : {"eksjo", "vetlanda"}) {
    EXPECT_EQ(srv->get(api("eksjo", "/me"), std::string(home) + "." + secret).status, 401);
    EXPECT_EQ(srv->get(api(home, "/me"), std::string(home) + "." + secret).status, 401);
  }
  // An admin at savsjo (even of an eksjo person's membership) cannot act at eksjo.
  EXPECT_EQ(
      srv->post(api("eksjo", "/news"), body({{"title", "x"}, {"body", "x"}}), savsjo_admin).status,
      403);
}

// --- Randomized isolation ------------------------------------------------------------------

// Many random operations over three tenants (publish with audiences, share, accept with or
// without re-targeting, decline, borrow, edit, delete); afterwards every person's feeds (mine and
// all) hold exactly their tenant's own live news their audience admits plus accepted copies
// their audience admits, and nothing else.
TEST_F(sharing, RandomizedOperationsNeverLeakAcrossTenants) {
  const std::vector<std::string> slugs{"eksjo", "savsjo", "vetlanda"};
  const std::vector<std::string> people{"anna", "bo", "chef", "editor"};
  const std::vector<std::string> units{"", "Hemtjänst", "Socialförvaltningen", "Skolan"};
  // Each person's units and their ancestors (harness.hpp's demo org tree).
  const std::map<std::string, std::set<std::string>> reach{
      {"anna", {"Hemtjänst", "Socialförvaltningen"}},
      {"chef", {"Hemtjänst", "Socialförvaltningen"}},
      {"bo", {"Skolan", "Utbildningsförvaltningen"}},
      {"editor", {"Socialförvaltningen"}}};
  std::mt19937 rng(4711);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  struct copy_audience {
    std::string unit;  // "" = the whole tenant
    bool managers_only = false;
  };
  struct item {
    std::string origin;
    std::int64_t id = 0;
    copy_audience target;
    bool shareable = false;
    bool deleted = false;
    std::set<std::string> offered;
    std::map<std::string, copy_audience> accepted;  // receivers holding an accepted copy
  };
  std::vector<item> items;
  std::map<std::string, std::string> tokens;
  for (auto& s : slugs)
    for (auto& p : people) tokens[s + "/" + p] = as(p, s);
  auto target_json = [](const std::string& unit) {
    return json::object{{"audience", json::object{{"units", json::array{json::string(unit)}}}}};
  };
  const int ops = 150;  // a few seconds; enough for every kind of operation to recur
  for (int i = 0; i < ops; ++i) {
    const auto op = pick(5);
    if (op == 0 || items.empty()) {
      item it;
      it.origin = slugs[pick(3)];
      it.target = {units[pick(units.size())], pick(3) == 0};
      it.shareable = pick(3) == 0;
      json::object b{{"title", it.origin + "-" + std::to_string(i)}, {"body", "x"}};
      json::object aud;
      if (!it.target.unit.empty()) aud["units"] = json::array{json::string(it.target.unit)};
      if (it.target.managers_only) aud["roles"] = json::array{"manager"};
      if (!aud.empty()) b["audience"] = aud;
      json::array share;
      for (auto& o : slugs)
        if (o != it.origin && pick(2)) {
          share.push_back(json::string(o));
          it.offered.insert(o);
        }
      if (!share.empty()) b["share_with"] = share;
      if (it.shareable) b["shareable"] = true;
      auto r = srv->post(api(it.origin, "/news"), body(b), tokens[it.origin + "/editor"]);
      ASSERT_EQ(r.status, 201) << r.body;
      it.id = r.json().at("id").as_int64();
      items.push_back(std::move(it));
    } else if (op == 1) {
      auto& it = items[pick(items.size())];
      if (it.deleted || it.offered.empty()) continue;
      const std::string to = *std::next(it.offered.begin(), pick(it.offered.size()));
      auto o = wait_offer(to, it.id, it.origin);
      if (o.empty() || o.at("status").as_string() != "pending") continue;
      const bool accept_it = pick(2);
      const auto unit = pick(2) ? std::string() : units[1 + pick(units.size() - 1)];
      auto r = srv->post(api(to, "/sharing/inbox/" + std::to_string(o.at("id").as_int64()) +
                                     (accept_it ? "/accept" : "/decline")),
                         accept_it && !unit.empty() ? body(target_json(unit)) : "",
                         tokens[to + "/editor"]);
      ASSERT_EQ(r.status, 200) << r.body;
      // Re-targeting replaces the audience; without it the copy keeps the original's roles.
      if (accept_it) it.accepted[to] = {unit, unit.empty() && it.target.managers_only};
    } else if (op == 2) {
      auto& it = items[pick(items.size())];
      if (it.deleted) continue;
      ASSERT_EQ(
          srv->patch(api(it.origin, "/news/" + std::to_string(it.id)),
                     body({{"summary", "rev " + std::to_string(i)}}), tokens[it.origin + "/editor"])
              .status,
          200);
    } else if (op == 3) {
      auto& it = items[pick(items.size())];
      if (it.deleted || pick(3)) continue;  // deletes are rarer
      ASSERT_EQ(
          srv->del(api(it.origin, "/news/" + std::to_string(it.id)), tokens[it.origin + "/editor"])
              .status,
          204);
      it.deleted = true;
    } else {
      auto& it = items[pick(items.size())];
      const std::string to = slugs[pick(3)];
      if (to == it.origin || it.offered.count(to) || it.accepted.count(to)) continue;
      const auto unit = pick(2) ? std::string() : units[1 + pick(units.size() - 1)];
      json::object b{{"from", it.origin}, {"news_id", it.id}};
      if (!unit.empty()) b["audience"] = target_json(unit).at("audience");
      auto r = srv->post(api(to, "/sharing/borrow"), body(b), tokens[to + "/editor"]);
      if (it.deleted || !it.shareable) {
        EXPECT_EQ(r.status, 404) << r.body;  // not in the catalogue: nothing borrowed
        continue;
      }
      ASSERT_EQ(r.status, 201) << r.body;
      it.accepted[to] = {unit, unit.empty() && it.target.managers_only};
    }
  }
  // The sequence must have exercised what it claims to.
  std::size_t copies = 0, deleted = 0;
  for (auto& it : items) {
    copies += it.accepted.size();
    deleted += it.deleted;
  }
  EXPECT_GE(items.size(), 10u);
  EXPECT_GE(copies, 3u);
  EXPECT_GE(deleted, 1u);
  std::cout << "[ sharing  ] " << items.size() << " items, " << copies << " accepted copies, "
            << deleted << " deleted\n";
  auto admits = [&](const copy_audience& a, const std::string& who, bool mine) {
    if (a.managers_only && who != "chef") return false;
    return !mine || a.unit.empty() || reach.at(who).count(a.unit) > 0;
  };
  for (auto& s : slugs)
    for (auto& p : people)
      for (const bool mine : {true, false}) {
        std::set<std::string> want;  // "original-id@origin"
        for (auto& it : items) {
          if (it.deleted) continue;
          const auto key = std::to_string(it.id) + "@" + it.origin;
          if (it.origin == s && admits(it.target, p, mine)) want.insert(key);
          if (auto c = it.accepted.find(s); c != it.accepted.end() && admits(c->second, p, mine))
            want.insert(key);
        }
        std::set<std::string> got;
        const bool same = eventually(
            [&] {
              auto r =
                  srv->get(api(s, std::string("/news?limit=100&scope=") + (mine ? "mine" : "all")),
                           tokens[s + "/" + p]);
              if (r.status != 200) return false;
              got.clear();
              auto doc = r.json();
              for (auto& n : doc.at("items").as_array()) {
                const auto& src = n.at("source");
                if (src.is_null())
                  got.insert(std::to_string(n.at("id").as_int64()) + "@" + s);
                else
                  got.insert(std::to_string(src.at("news_id").as_int64()) + "@" +
                             std::string(src.at("slug").as_string()));
              }
              return got == want;
            },
            5s);
        EXPECT_TRUE(same) << p << "@" << s << (mine ? " mine" : " all") << ": got " << got.size()
                          << ", want " << want.size();
      }
}

}  // namespace
}  // namespace samverka::testing
