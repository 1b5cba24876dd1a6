// Cluster mode end to end: a real redis-server on a free loopback port, two store nodes (each
// with its own data dir) and two gateways, all real `samverka serve` processes, spoken to over
// real HTTP. Node "a" owns eksjo; node "b" owns savsjo and vetlanda.
//
// Waits are conditions polled up to a generous bound (the registration and placement refresh
// intervals are 1 s and 5 s), never timing assertions.
#include "cluster_fixture.hpp"

namespace samverka::testing {
namespace {

std::string title_of_first(const response& r) {
  if (r.status != 200) return "HTTP " + std::to_string(r.status) + ": " + r.body;
  const auto v = r.json();
  const auto& items = v.as_object().at("items").as_array();
  return items.empty() ? "" : std::string(items.at(0).as_object().at("title").as_string());
}

TEST_F(ClusterTest, AnyGatewayServesAnyTenant) {
  for (auto* gw : {gw1_.get(), gw2_.get()}) {
    for (const std::string slug : {"eksjo", "savsjo", "vetlanda"}) {
      const std::string token = gw->login(slug, "editor@" + slug + ".se", demo_password);
      auto me = gw->get("/t/" + slug + "/api/v1/me", token);
      ASSERT_EQ(me.status, 200) << me.body;
      EXPECT_EQ(me.json().at("tenant").at("slug").as_string(), slug);
    }
  }
  // The host form reaches the owner too (the Host header travels unchanged).
  request r;
  r.target = "/api/v1/me";
  r.host = "savsjo.localhost";
  EXPECT_EQ(gw1_->send(r).status, 401);
  // Tenant isolation holds across nodes: a token of eksjo (node a) is no key to savsjo (node b)
  // for someone without a membership there.
  const std::string anna = gw1_->login("eksjo", "anna@eksjo.se", demo_password);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/news", anna).error_code(), "not_a_member");
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/news", "eksjo.forged-secret").status, 401);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/news", "nowhere.forged-secret").status, 401);
  EXPECT_EQ(gw1_->get("/t/nowhere/api/v1/me").error_code(), "tenant_not_found");
  EXPECT_EQ(gw1_->get("/readyz").status, 200);
}

TEST_F(ClusterTest, TokenFromOneGatewayWorksOnTheOther) {
  const std::string token = gw1_->login("savsjo", "editor@savsjo.se", demo_password);
  auto created = gw2_->post("/t/savsjo/api/v1/news",
                            body({{"title", "Via gateway två"}, {"body", "<p>x</p>"}}), token);
  ASSERT_EQ(created.status, 201) << created.body;
  auto listed = gw1_->get("/t/savsjo/api/v1/news?scope=all", token);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(title_of_first(listed), "Via gateway två");
  // Logging out through one gateway ends the session on every gateway.
  EXPECT_EQ(gw2_->post("/t/savsjo/api/v1/auth/logout", "", token).status, 204);
  EXPECT_EQ(gw1_->get("/t/savsjo/api/v1/me", token).status, 401);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).status, 401);
}

TEST_F(ClusterTest, CrossEmployedTokenWorksOnAnotherNode) {
  // pendlare@eksjo.se: home eksjo (node a), editor member of savsjo (node b).
  const std::string token = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  auto me = gw2_->get("/t/savsjo/api/v1/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("tenant").at("slug").as_string(), "savsjo");
  EXPECT_EQ(me.json().at("user").at("email").as_string(), "pendlare@eksjo.se");
  auto created = gw1_->post("/t/savsjo/api/v1/news",
                            body({{"title", "Från pendlaren"}, {"body", "<p>x</p>"}}), token);
  EXPECT_EQ(created.status, 201) << created.body;

  // Home node down: savsjo reads the session from Redis, so the person keeps working there,
  // and savsjo's own people carry on (cluster_identity_test: without the Redis entry, 503).
  const std::string eva = gw1_->login("savsjo", "editor@savsjo.se", demo_password);
  node_a_.reset();
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).status, 200);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", eva).status, 200);
  start_store('a');
  ASSERT_TRUE(eventually([&] { return gw2_->get("/t/savsjo/api/v1/me", token).status == 200; }));

  // Logging out on the other node ends the session at home.
  const std::string second = gw2_->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(gw1_->get("/t/savsjo/api/v1/me", second).status, 200);
  EXPECT_EQ(gw1_->post("/t/savsjo/api/v1/auth/logout", "", second).status, 204);
  EXPECT_EQ(gw2_->get("/t/eksjo/api/v1/me", second).status, 401);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", second).status, 401);

  // Deactivation at home (samverkactl --redis withdraws the sessions from Redis as it ends)
  // ends access on the other node at once.
  ASSERT_EQ(ctl(node_a_dir_.path(), {"--redis", redis_->url(), "user", "remove", "eksjo", "--email",
                                     "pendlare@eksjo.se"})
                .exit_code,
            0);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).status, 401);
  EXPECT_EQ(gw1_->get("/t/eksjo/api/v1/me", token).status, 401);
}

TEST_F(ClusterTest, SuspendedHomeVouchesForNoOneOnOtherNodes) {
  const std::string token = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  ASSERT_EQ(gw2_->get("/t/savsjo/api/v1/me", token).status, 200);
  ASSERT_EQ(ctl(node_a_dir_.path(), {"tenant", "suspend", "eksjo"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return gw2_->get("/t/savsjo/api/v1/me", token).status == 401; }));
  EXPECT_EQ(gw1_->get("/t/eksjo/api/v1/me", token).error_code(), "tenant_suspended");
}

TEST_F(ClusterTest, PeopleSignInOnlyWhereTheirDomainIsOwnedAcrossNodes) {
  // Node b's registry does not know that eksjo (node a) owns eksjo.se, so its CLI lets a
  // password be set; the login is still refused, because every node sees the cluster's domains.
  const std::string pw = std::string(demo_password) + "\n";
  ASSERT_EQ(ctl(node_b_dir_.path(),
                {"user", "add", "savsjo", "--email", "smuggel@eksjo.se", "--name", "Smuggel",
                 "--password-stdin"},
                pw)
                .exit_code,
            0);
  request login;
  login.method = "POST";
  login.target = "/t/savsjo/api/v1/auth/login";
  login.body = body({{"email", "smuggel@eksjo.se"}, {"password", demo_password}});
  EXPECT_EQ(gw1_->send(login).error_code(), "invalid_credentials");
  // A domain no tenant owns still signs in where the person has a password.
  ASSERT_EQ(ctl(node_b_dir_.path(),
                {"user", "add", "savsjo", "--email", "konsult@extern.se", "--name", "Konsult",
                 "--password-stdin"},
                pw)
                .exit_code,
            0);
  EXPECT_FALSE(gw2_->login("savsjo", "konsult@extern.se", demo_password).empty());
}

TEST_F(ClusterTest, FailedSignInsPerAddressCountAcrossNodes) {
  // The per-address limit (50 per window) holds for the cluster, not per node: half the
  // failures on each node's tenants, then both nodes refuse this address.
  auto fail_login = [](server& gw, const std::string& slug, int i) {
    request r;
    r.method = "POST";
    r.target = "/t/" + slug + "/api/v1/auth/login";
    r.body =
        body({{"email", "gissning" + std::to_string(i) + "@" + slug + ".se"}, {"password", "fel"}});
    return gw.send(r);
  };
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(fail_login(*gw1_, "eksjo", i).error_code(), "invalid_credentials") << i;
    ASSERT_EQ(fail_login(*gw2_, "savsjo", i).error_code(), "invalid_credentials") << i;
  }
  auto refused = fail_login(*gw1_, "eksjo", 99);
  EXPECT_EQ(refused.error_code(), "too_many_attempts");
  EXPECT_FALSE(refused.headers["retry-after"].empty());
  EXPECT_EQ(fail_login(*gw2_, "vetlanda", 99).error_code(), "too_many_attempts");
}

TEST_F(ClusterTest, LargeDocumentUploadsStreamThroughAGateway) {
  const std::string editor = gw1_->login("savsjo", "editor@savsjo.se", demo_password);
  // Larger than the 1 MiB in-memory body limit: spooled by the gateway, sent on from the file.
  std::string big(3 * 1024 * 1024, 'b');
  big += " Slutord";
  request up;
  up.method = "POST";
  up.target = "/t/savsjo/api/v1/documents?name=stor.txt";
  up.headers["Authorization"] = "Bearer " + editor;
  up.content_type = "text/plain";
  up.body = big;
  auto created = gw1_->send(up);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = created.json().at("id").as_int64();
  auto dl = gw2_->get("/t/savsjo/api/v1/documents/" + std::to_string(id) + "/content", editor);
  ASSERT_EQ(dl.status, 200);
  EXPECT_EQ(dl.body, big);
  // Nothing is left in the gateway's spool: the server removes what it sent on.
  std::size_t left = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(fs::temp_directory_path() / "samverka-gateway-uploads", ec);
       !ec && it != fs::directory_iterator(); ++it)
    left += it->path().filename().string().starts_with(".upload-") ? 1 : 0;
  EXPECT_EQ(left, 0u);
}

TEST_F(ClusterTest, RequestIdTravelsToTheStoreNode) {
  request r;
  r.target = "/t/eksjo/api/v1/me";
  r.headers["X-Request-Id"] = "cluster-trace-42";
  auto res = gw2_->send(r);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.headers["x-request-id"], "cluster-trace-42");
  EXPECT_NE(node_a_->log().find("\"request_id\":\"cluster-trace-42\""), std::string::npos);
}

TEST_F(ClusterTest, StoreNodesAnswerTenantRequestsOnlyFromGateways) {
  // Straight to the store node, without the cluster key (or with a wrong one): refused.
  request r;
  r.target = "/t/eksjo/api/v1/me";
  EXPECT_EQ(node_a_->send(r).error_code(), "gateway_required");
  r.headers["X-Samverka-Node-Key"] = "guess";
  EXPECT_EQ(node_a_->send(r).error_code(), "gateway_required");
  // Probes still reach it.
  EXPECT_EQ(node_a_->get("/readyz").status, 200);
  // A client cannot smuggle a key through a gateway: the gateway sets its own.
  auto via = gw1_->send(r);
  EXPECT_EQ(via.status, 401);
}

TEST_F(ClusterTest, DeadStoreNodeOnlyTakesItsOwnTenants) {
  const std::string eva = gw1_->login("savsjo", "editor@savsjo.se", demo_password);
  ASSERT_EQ(gw1_->post("/t/savsjo/api/v1/news",
                       body({{"title", "Före avbrottet"}, {"body", "<p>x</p>"}}), eva)
                .status,
            201);
  const std::string anna = gw1_->login("eksjo", "anna@eksjo.se", demo_password);

  node_b_.reset();  // SIGKILL: no drain, no goodbye
  for (auto* gw : {gw1_.get(), gw2_.get()}) {
    for (const char* slug : {"savsjo", "vetlanda"}) {
      auto r = gw->get(std::string("/t/") + slug + "/api/v1/news", eva);
      EXPECT_EQ(r.status, 503) << slug;
      EXPECT_EQ(r.error_code(), "tenant_unavailable") << slug;
    }
    EXPECT_EQ(gw->get("/t/eksjo/api/v1/me", anna).status, 200);
  }

  start_store('b');  // a new process on a new port: it re-registers, gateways follow
  ASSERT_TRUE(eventually([&] { return gw2_->get("/t/savsjo/api/v1/me", eva).status == 200; }));
  EXPECT_EQ(title_of_first(gw1_->get("/t/savsjo/api/v1/news?scope=all", eva)), "Före avbrottet");
}

TEST_F(ClusterTest, RedisRestartLosesNothing) {
  const std::string token = gw1_->login("vetlanda", "editor@vetlanda.se", demo_password);
  redis_->stop();
  // Gateways keep routing from their copy of the placement while Redis is away.
  auto during = gw2_->post("/t/vetlanda/api/v1/news",
                           body({{"title", "Medan Redis låg nere"}, {"body", "<p>x</p>"}}), token);
  EXPECT_EQ(during.status, 201) << during.body;
  EXPECT_EQ(gw1_->get("/t/eksjo/api/v1/me").status, 401);

  // Node b is frozen while Redis comes back empty, so the gateways see node a re-register
  // first: node b's tenants must stay routable although Redis does not list them yet.
  kill(node_b_->pid(), SIGSTOP);
  redis_->start();  // empty: nothing persisted
  // A tenant created meanwhile shows that registration and the gateways' subscriptions are back.
  ASSERT_EQ(ctl(node_a_dir_.path(),
                {"tenant", "create", "nassjo", "--name", "Nässjö kommun", "--domain", "nassjo.se"})
                .exit_code,
            0);
  for (auto* gw : {gw1_.get(), gw2_.get()})
    EXPECT_TRUE(eventually([&] { return gw->get("/t/nassjo/api/v1/me").status == 401; }));
  kill(node_b_->pid(), SIGCONT);
  EXPECT_EQ(title_of_first(gw1_->get("/t/vetlanda/api/v1/news?scope=all", token)),
            "Medan Redis låg nere");
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me").status, 401);
}

TEST_F(ClusterTest, GatewaysAndStoreNodesStopCleanlyOnSigterm) {
  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  EXPECT_EQ(gw1_->terminate(), 0);
  EXPECT_EQ(gw2_->get("/t/eksjo/api/v1/me", token).status, 200);
  EXPECT_EQ(node_b_->terminate(), 0);
  EXPECT_EQ(gw2_->get("/t/savsjo/api/v1/me").error_code(), "tenant_unavailable");
  EXPECT_EQ(gw2_->terminate(), 0);
  EXPECT_EQ(node_a_->terminate(), 0);
}

TEST_F(ClusterTest, DeletedTenantDisappearsFromEveryGateway) {
  ASSERT_EQ(ctl(node_b_dir_.path(), {"tenant", "delete", "vetlanda", "--yes"}).exit_code, 0);
  for (auto* gw : {gw1_.get(), gw2_.get()})
    EXPECT_TRUE(eventually(
        [&] { return gw->get("/t/vetlanda/api/v1/me").error_code() == "tenant_not_found"; }));
  EXPECT_EQ(gw1_->get("/t/savsjo/api/v1/me").status, 401);
}

}  // namespace
}  // namespace samverka::testing
