// Identity across store nodes: /api/v1/me lists a person's memberships on every node (asked of
// the other nodes through the key-only internal endpoint), stays useful when a node is down,
// and the operator CLI applies the domain rule cluster-wide (`samverkactl --redis`).
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
