// Identity across store nodes: /api/v1/me lists a person's memberships on every node (asked of
// the other nodes through the key-only internal endpoint), stays useful when a node is down,
// and the operator CLI applies the domain rule cluster-wide (`samverkactl --redis`). Sessions
// and sign-in throttles live in Redis (samverka/cluster/sessions.hpp): a token works while its
// home node is down, revocations leave Redis however they are made, and a Redis snapshot
// never brings a revoked session back.
// Node "a" owns eksjo; node "b" owns savsjo and vetlanda (cluster_fixture.hpp).
#include <algorithm>

#include "cluster_fixture.hpp"

namespace samverka::testing {
namespace {

// The slugs of a /me answer's memberships, in order (or the failure, so it shows in the diff).
std::vector<std::string> membership_slugs(const response& r) {
  if (r.status != 200) return {"HTTP " + std::to_string(r.status) + ": " + r.body};
  std::vector<std::string> out;
  const auto v = r.json();
  for (const auto& m : v.at("memberships").as_array()) out.emplace_back(m.at("slug").as_string());
  return out;
}

const std::vector<std::string> eksjo_and_savsjo = {"eksjo", "savsjo"};

// How many session entries of `home` Redis holds (-1 if it did not answer).
int session_entries(int port, const std::string& home) {
  const auto r = redis_command(port, {"EVAL", "return #redis.call('KEYS', ARGV[1])", "0",
                                      "samverka:session:" + home + ":*"});
  return r.starts_with(":") ? std::atoi(r.c_str() + 1) : -1;
}

// Deletes every session entry from Redis (as if it had never been written).
void drop_session_entries(int port) {
  redis_command(port, {"EVAL",
                       "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) "
                       "end return 0",
                       "0", "samverka:session:*"});
}

response sign_in(const server& gw, const std::string& slug, const std::string& email,
                 const std::string& password) {
  request r;
  r.method = "POST";
  r.target = "/t/" + slug + "/api/v1/auth/login";
  r.body = body({{"email", email}, {"password", password}});
  return gw.send(r);
}

TEST_F(ClusterTest, MeListsMembershipsOnEveryNode) {
  // pendlare@eksjo.se: home eksjo (node a), member of savsjo (node b).
  const std::string token = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  // Served by node a (asks node b) and by node b (asks node a): the same sorted list.
  EXPECT_EQ(membership_slugs(gw2_->get("/t/eksjo/api/v1/me", token)), eksjo_and_savsjo);
  auto at_b = gw1_->get("/t/savsjo/api/v1/me", token);
  EXPECT_EQ(membership_slugs(at_b), eksjo_and_savsjo);
  ASSERT_EQ(at_b.status, 200);
  EXPECT_EQ(at_b.json().at("memberships").at(0).at("name").as_string(), "Eksjö kommun");
  // Someone without memberships elsewhere sees only their tenant.
  const std::string anna = gw1_->login("eksjo", "anna@eksjo.se", demo_password);
  EXPECT_EQ(membership_slugs(gw1_->get("/t/eksjo/api/v1/me", anna)),
            std::vector<std::string>{"eksjo"});

  // A suspended tenant on the other node is not listed.
  ASSERT_EQ(ctl(node_b_dir_.path(), {"tenant", "suspend", "savsjo"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return membership_slugs(gw1_->get("/t/eksjo/api/v1/me", token)) ==
           std::vector<std::string>{"eksjo"};
  }));
  ASSERT_EQ(ctl(node_b_dir_.path(), {"tenant", "resume", "savsjo"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return membership_slugs(gw1_->get("/t/eksjo/api/v1/me", token)) == eksjo_and_savsjo;
  }));

  // Node b down: /me still answers at once with what node a knows.
  node_b_.reset();  // SIGKILL
  const auto start = std::chrono::steady_clock::now();
  auto me = gw2_->get("/t/eksjo/api/v1/me", token);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(membership_slugs(me), std::vector<std::string>{"eksjo"});
  // And after node b is back (on a new port), it is asked again.
  start_store('b');
  EXPECT_TRUE(eventually([&] {
    return membership_slugs(gw1_->get("/t/eksjo/api/v1/me", token)) == eksjo_and_savsjo;
  }));
}

TEST_F(ClusterTest, SessionsInRedisOutliveTheHomeNode) {
  // pendlare@eksjo.se: home eksjo (node a), member of savsjo (node b). Signing in publishes.
  const std::string token = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  EXPECT_EQ(session_entries(redis_->port(), "eksjo"), 1);
  // An entry lives at most 10 minutes (cluster::session_entry_ttl), however long the session.
  const auto pttl = redis_command(
      redis_->port(), {"EVAL", "return redis.call('PTTL', redis.call('KEYS', ARGV[1])[1])", "0",
                       "samverka:session:eksjo:*"});
  ASSERT_TRUE(pttl.starts_with(":")) << pttl;
  EXPECT_GT(std::atoll(pttl.c_str() + 1), 9 * 60 * 1000);
  EXPECT_LE(std::atoll(pttl.c_str() + 1), 10 * 60 * 1000);
  // Home node down: node b reads the session from Redis; the person keeps working there.
  node_a_.reset();
  auto me = gw2_->get("/t/savsjo/api/v1/me", token);
  EXPECT_EQ(me.status, 200) << me.body;
  auto created = gw1_->post("/t/savsjo/api/v1/news",
                            body({{"title", "Medan Eksjö sover"}, {"body", "<p>x</p>"}}), token);
  EXPECT_EQ(created.status, 201) << created.body;
  // A token nobody issued is refused: a miss in Redis is never a yes.
  EXPECT_NE(
      gw2_->get("/t/savsjo/api/v1/me", "eksjo.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status,
      200);
  // Without the entry nobody can vouch: 503 (not 401: the session may well be valid).
  drop_session_entries(redis_->port());
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).error_code(), "home_unavailable");
  // The home node back: asked once, it publishes the entry again.
  start_store('a');
  ASSERT_TRUE(eventually([&] { return gw2_->get("/t/savsjo/api/v1/me", token).status == 200; }));
  EXPECT_EQ(session_entries(redis_->port(), "eksjo"), 1);
}

TEST_F(ClusterTest, RevocationsLeaveRedisHoweverTheyAreMade) {
  const int port = redis_->port();
  // Logout through the API: gone from Redis before the answer.
  const std::string first = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(gw2_->get("/t/savsjo/api/v1/me", first).status, 200);
  ASSERT_EQ(session_entries(port, "eksjo"), 1);
  EXPECT_EQ(gw1_->post("/t/eksjo/api/v1/auth/logout", "", first).status, 204);
  EXPECT_EQ(session_entries(port, "eksjo"), 0);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", first).status, 401);

  // samverkactl without --redis writes only the store: node a's sweep sees the file change and
  // withdraws the session, which Redis still called valid until then.
  const std::string second = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(gw2_->get("/t/savsjo/api/v1/me", second).status, 200);
  ASSERT_EQ(session_entries(port, "eksjo"), 1);
  ASSERT_EQ(ctl(node_a_dir_.path(), {"user", "remove", "eksjo", "--email", "pendlare@eksjo.se"})
                .exit_code,
            0);
  EXPECT_TRUE(eventually([&] { return session_entries(port, "eksjo") == 0; }, 5s));
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", second).status, 401);

  // A suspended home: every entry of it goes, whoever suspended it.
  const std::string anna = gw1_->login("eksjo", "anna@eksjo.se", demo_password);
  ASSERT_EQ(session_entries(port, "eksjo"), 1);
  ASSERT_EQ(ctl(node_a_dir_.path(), {"tenant", "suspend", "eksjo"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return session_entries(port, "eksjo") == 0; }, 5s));
}

TEST_F(ClusterTest, RedisSnapshotNeverBringsBackARevokedSession) {
  const int port = redis_->port();
  const std::string token = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).status, 200);
  ASSERT_EQ(redis_command(port, {"SAVE"}), "+OK\r\n");  // the entry is in the snapshot
  ASSERT_EQ(gw1_->post("/t/eksjo/api/v1/auth/logout", "", token).status, 204);
  ASSERT_EQ(session_entries(port, "eksjo"), 0);
  // Redis restarts from that snapshot: the revoked session's entry is back.
  redis_->stop();
  redis_->start();
  ASSERT_EQ(session_entries(port, "eksjo"), 1);
  // Both nodes talk to the new Redis process again: a fresh session is published by node a
  // and, with node a down, read by node b from Redis alone.
  std::string fresh;
  ASSERT_TRUE(eventually([&] {
    auto r = sign_in(*gw1_, "eksjo", "pendlare@eksjo.se", demo_password);
    if (r.status != 200) return false;
    fresh = std::string(r.json().at("token").as_string());
    return session_entries(port, "eksjo") == 2;
  }));
  node_a_.reset();
  ASSERT_TRUE(eventually([&] { return gw2_->get("/t/savsjo/api/v1/me", fresh).status == 200; }));
  // The entry from the earlier Redis process is not believed: nobody vouches for it.
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).error_code(), "home_unavailable");
  start_store('a');
  EXPECT_TRUE(eventually([&] { return gw2_->get("/t/savsjo/api/v1/me", token).status == 401; }));
}

TEST_F(ClusterTest, FailedSignInsPerAccountSurviveANodeRestart) {
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(sign_in(*gw1_, "eksjo", "anna@eksjo.se", "fel").error_code(), "invalid_credentials")
        << i;
  EXPECT_EQ(sign_in(*gw1_, "eksjo", "anna@eksjo.se", "fel").error_code(), "too_many_attempts");
  // The count lives in Redis: node a restarted with empty memory still refuses the account,
  // even with the right password, while another person of the tenant signs in.
  start_store('a');
  ASSERT_TRUE(eventually([&] { return gw2_->get("/t/eksjo/api/v1/me").status == 401; }));
  auto refused = sign_in(*gw2_, "eksjo", "anna@eksjo.se", demo_password);
  EXPECT_EQ(refused.error_code(), "too_many_attempts");
  EXPECT_FALSE(refused.headers["retry-after"].empty());
  EXPECT_EQ(sign_in(*gw2_, "eksjo", "pendlare@eksjo.se", demo_password).status, 200);
}

TEST_F(ClusterTest, MembershipsEndpointNeedsTheClusterKey) {
  request r;
  r.target = "/internal/v1/memberships?email=pendlare%40eksjo.se";
  // Straight to the store node without the key, or with a wrong one: refused, nothing told.
  auto no_key = node_b_->send(r);
  EXPECT_EQ(no_key.status, 403);
  EXPECT_EQ(no_key.error_code(), "gateway_required");
  EXPECT_EQ(no_key.body.find("savsjo"), std::string::npos);
  r.headers["X-Samverka-Node-Key"] = "guess";
  EXPECT_EQ(node_b_->send(r).error_code(), "gateway_required");
  // Through a gateway (which adds the key to what it forwards): never answered, in either form.
  r.headers.clear();
  EXPECT_EQ(gw1_->send(r).status, 404);
  r.host = "savsjo.localhost";
  auto via_host = gw1_->send(r);
  EXPECT_EQ(via_host.status, 404);
  EXPECT_EQ(via_host.body.find("Sävsjö"), std::string::npos);
  EXPECT_EQ(gw1_->get("/t/savsjo/internal/v1/memberships?email=pendlare%40eksjo.se").status, 404);
  // A peer node (the key, no forwarding headers) gets the answer.
  r.host.clear();
  r.headers["X-Samverka-Node-Key"] = cluster_key;
  auto peer = node_b_->send(r);
  ASSERT_EQ(peer.status, 200) << peer.body;
  const auto answer = peer.json();
  const auto& list = answer.at("memberships").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list.at(0).at("slug").as_string(), "savsjo");
  // Bad input is a 4xx.
  r.target = "/internal/v1/memberships?email=not-an-address";
  EXPECT_EQ(node_b_->send(r).status, 400);
}

TEST_F(ClusterTest, CliRefusesAPasswordForADomainOwnedOnAnotherNode) {
  // savsjo.se belongs to savsjo on node b; node a's registry does not know it, Redis does.
  const std::string pw = std::string(demo_password) + "\n";
  auto refused = ctl(node_a_dir_.path(),
                     {"--redis", redis_->url(), "user", "add", "eksjo", "--email",
                      "smuggel@savsjo.se", "--name", "Smuggel", "--password-stdin"},
                     pw);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("savsjo"), std::string::npos) << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  auto users = ctl(node_a_dir_.path(), {"user", "list", "eksjo", "--json"});
  ASSERT_EQ(users.exit_code, 0) << users.err;
  EXPECT_EQ(users.out.find("smuggel@savsjo.se"), std::string::npos);

  // Without a password the cross-employed person is added as a member.
  auto member = ctl(node_a_dir_.path(), {"--redis", redis_->url(), "user", "add", "eksjo",
                                         "--email", "smuggel@savsjo.se", "--name", "Smuggel"});
  EXPECT_EQ(member.exit_code, 0) << member.err;
  // A domain no tenant owns anywhere still takes a password.
  auto extern_pw = ctl(node_a_dir_.path(),
                       {"--redis", redis_->url(), "user", "add", "eksjo", "--email",
                        "konsult@extern.se", "--name", "Konsult", "--password-stdin"},
                       pw);
  EXPECT_EQ(extern_pw.exit_code, 0) << extern_pw.err;

  // A cluster that cannot be reached is a clear failure, not a silent single-node check.
  auto no_redis = ctl(node_a_dir_.path(),
                      {"--redis", "redis://127.0.0.1:1", "user", "add", "eksjo", "--email",
                       "annan@extern.se", "--name", "Annan", "--password-stdin"},
                      pw);
  EXPECT_EQ(no_redis.exit_code, 1);
  EXPECT_NE(no_redis.err.find("Redis"), std::string::npos) << no_redis.err;
  users = ctl(node_a_dir_.path(), {"user", "list", "eksjo", "--json"});
  EXPECT_EQ(users.out.find("annan@extern.se"), std::string::npos);
}

}  // namespace
}  // namespace samverka::testing
