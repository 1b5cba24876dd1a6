// Sharing across store nodes: a partnership between eksjo (node a) and savsjo (node b) made with
// `samverkactl --redis`, shares and edits carried over the nodes' Redis Streams with their files,
// borrowing from a catalogue on the other node, a receiver node killed and restarted (everything
// it missed arrives), Redis restarted empty mid-run (nothing lost), and the line between tenants
// that are not partners.
#include "cluster_fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;

class ClusterSharingTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (HasFatalFailure()) return;
    auto linked =
        ctl(node_a_dir_.path(), {"--redis", redis_->url(), "partner", "link", "eksjo", "savsjo"});
    ASSERT_EQ(linked.exit_code, 0) << linked.err;
    eksjo_ = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
    savsjo_ = gw2_->login("savsjo", "editor@savsjo.se", demo_password);
  }

  // Publishes at eksjo through gateway 1; returns the new id.
  // A text document uploaded by eksjo's editor (through gateway 1); its id.
  std::int64_t upload(const std::string& query, const std::string& text) {
    request up;
    up.method = "POST";
    up.target = "/t/eksjo/api/v1/documents?" + query;
    up.headers["Authorization"] = "Bearer " + eksjo_;
    up.content_type = "text/plain";
    up.body = text;
    auto doc = gw1_->send(up);
    EXPECT_EQ(doc.status, 201) << doc.body;
    return doc.status == 201 ? doc.json().at("id").as_int64() : -1;
  }
  std::int64_t publish(json::object fields) {
    auto r = gw1_->post("/t/eksjo/api/v1/news", body(std::move(fields)), eksjo_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").as_int64() : 0;
  }
  // savsjo's inbox entry for eksjo's original `id`, read through gateway 2.
  std::optional<json::object> offer(std::int64_t id) {
    auto r = gw2_->get("/t/savsjo/api/v1/sharing/inbox", savsjo_);
    if (r.status != 200) return std::nullopt;
    const auto v = r.json();  // the loop below reads into it
    for (const auto& it : v.at("items").as_array()) {
      const auto& o = it.as_object();
      if (o.at("from").at("slug").as_string() == "eksjo" &&
          o.at("news").at("source").at("news_id").to_number<std::int64_t>() == id)
        return o;
    }
    return std::nullopt;
  }
  std::string offered_title(std::int64_t id) {
    auto o = offer(id);
    return o ? std::string(o->at("news").at("title").as_string()) : "";
  }
  std::string distribution_state(std::int64_t id) {
    auto r = gw2_->get("/t/eksjo/api/v1/news/" + std::to_string(id) + "/distribution", eksjo_);
    if (r.status != 200) return "HTTP " + std::to_string(r.status);
    const auto v = r.json();
    for (const auto& it : v.at("items").as_array())
      if (it.at("partner").at("slug").as_string() == "savsjo")
        return std::string(it.at("state").as_string());
    return "none";
  }

  std::string eksjo_, savsjo_;
};

TEST_F(ClusterSharingTest, PartnershipAcrossNodesIsRecordedOnBothNodes) {
  for (const auto* dir : {&node_a_dir_, &node_b_dir_}) {
    auto list = ctl(dir->path(), {"--json", "partner", "list"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("\"a\":\"eksjo\",\"b\":\"savsjo\""), std::string::npos) << list.out;
  }
  // Linking twice is idempotent; a tenant no node serves is refused with one line.
  EXPECT_EQ(
      ctl(node_a_dir_.path(), {"--redis", redis_->url(), "partner", "link", "savsjo", "eksjo"})
          .exit_code,
      0);
  auto bad =
      ctl(node_a_dir_.path(), {"--redis", redis_->url(), "partner", "link", "eksjo", "hultsfred"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("hultsfred"), std::string::npos) << bad.err;
  // Without cluster mode the other node's tenant is simply unknown here.
  EXPECT_NE(ctl(node_a_dir_.path(), {"partner", "link", "eksjo", "vetlanda"}).exit_code, 0);
}

TEST_F(ClusterSharingTest, BackupKeepsThisNodesHalfOfCrossNodePartnerships) {
  temp_dir backup, fresh;
  const auto out = (backup.path() / "b").string();
  ASSERT_EQ(ctl(node_a_dir_.path(), {"backup", "--out", out}).exit_code, 0);
  auto r = ctl(fresh.path(), {"restore", out});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto list = ctl(fresh.path(), {"--json", "partner", "list"});
  EXPECT_NE(list.out.find("\"a\":\"eksjo\",\"b\":\"savsjo\""), std::string::npos) << list.out;
}

TEST_F(ClusterSharingTest, SharesAndEditsCrossNodesWithTheirFiles) {
  // An attachment travels by hash: fetched from node a while node b applies.
  const std::string attachment = "Bilaga: schema för vecka 12";
  const auto att = upload("name=schema.txt&title=Schema", attachment);
  ASSERT_GT(att, 0);

  const auto id = publish({{"title", "Gemensam nyhet"},
                           {"body", "<p>Över nodgränsen</p>"},
                           {"attachments", json::array{att}},
                           {"share_with", json::array{"savsjo"}}});
  ASSERT_TRUE(eventually([&] { return offer(id).has_value(); })) << "the offer never arrived";
  EXPECT_EQ(offer(id)->at("from").at("name").as_string(), "Eksjö kommun")
      << "the name comes from the receiver's own registry";
  EXPECT_TRUE(eventually([&] { return distribution_state(id) == "delivered"; }))
      << distribution_state(id);

  auto acc = gw1_->post("/t/savsjo/api/v1/sharing/inbox/" +
                            std::to_string(offer(id)->at("id").as_int64()) + "/accept",
                        "", savsjo_);
  ASSERT_EQ(acc.status, 200) << acc.body;
  const auto local = acc.json().at("news").at("id").as_int64();
  auto copy = gw2_->get("/t/savsjo/api/v1/news/" + std::to_string(local), savsjo_);
  ASSERT_EQ(copy.status, 200);
  ASSERT_EQ(copy.json().at("attachments").as_array().size(), 1u) << copy.body;
  const auto local_att = copy.json().at("attachments").at(0).as_int64();
  auto bytes =
      gw1_->get("/t/savsjo/api/v1/documents/" + std::to_string(local_att) + "/content", savsjo_);
  EXPECT_EQ(bytes.status, 200);
  EXPECT_EQ(bytes.body, attachment);
  // The source's view asks node b for the decision.
  EXPECT_TRUE(eventually([&] { return distribution_state(id) == "accepted"; }))
      << distribution_state(id);

  // An edit follows to the copy on the other node.
  ASSERT_EQ(gw2_->patch("/t/eksjo/api/v1/news/" + std::to_string(id),
                        body({{"title", "Gemensam nyhet (rättad)"}}), eksjo_)
                .status,
            200);
  EXPECT_TRUE(eventually([&] {
    auto r = gw2_->get("/t/savsjo/api/v1/news/" + std::to_string(local), savsjo_);
    return r.status == 200 && r.json().at("title").as_string() == "Gemensam nyhet (rättad)";
  }));
  // Deleting the original withdraws the copy there.
  ASSERT_EQ(gw1_->del("/t/eksjo/api/v1/news/" + std::to_string(id), eksjo_).status, 204);
  EXPECT_TRUE(eventually([&] {
    return gw2_->get("/t/savsjo/api/v1/news/" + std::to_string(local), savsjo_).status == 404;
  }));
}

TEST_F(ClusterSharingTest, BorrowingFromACatalogueOnAnotherNode) {
  const auto id = publish({{"title", "Lånbar"}, {"body", "<p>Ta den</p>"}, {"shareable", true}});
  auto cat = gw2_->get("/t/savsjo/api/v1/sharing/partners/eksjo/catalog", savsjo_);
  ASSERT_EQ(cat.status, 200) << cat.body;
  bool listed = false;
  const auto items = cat.json();
  for (const auto& it : items.at("items").as_array()) listed |= it.at("id").as_int64() == id;
  EXPECT_TRUE(listed) << cat.body;

  auto b = gw1_->post("/t/savsjo/api/v1/sharing/borrow", body({{"from", "eksjo"}, {"news_id", id}}),
                      savsjo_);
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.json().at("title").as_string(), "Lånbar");
  EXPECT_TRUE(eventually([&] { return distribution_state(id) == "accepted"; }))
      << distribution_state(id);
}

TEST_F(ClusterSharingTest, NoCrossingWithoutPartnership) {
  const std::string vet = gw1_->login("vetlanda", "editor@vetlanda.se", demo_password);
  publish({{"title", "Bara för partner"}, {"body", "<p>x</p>"}, {"shareable", true}});
  // vetlanda (node b) is no partner of eksjo (node a): no catalogue, no borrowing, no offers.
  EXPECT_EQ(gw1_->get("/t/vetlanda/api/v1/sharing/partners/eksjo/catalog", vet).status, 404);
  EXPECT_EQ(gw1_->post("/t/vetlanda/api/v1/sharing/borrow",
                       body({{"from", "eksjo"}, {"news_id", 1}}), vet)
                .status,
            404);
  auto r = gw1_->post(
      "/t/eksjo/api/v1/news",
      body({{"title", "x"}, {"body", "x"}, {"share_with", json::array{"vetlanda"}}}), eksjo_);
  EXPECT_EQ(r.status, 422) << r.body;
  // The internal endpoints answer only with the cluster key.
  request raw;
  raw.method = "POST";
  raw.target = "/internal/v1/sharing/catalog";
  raw.content_type = "application/json";
  raw.body = R"({"caller":"savsjo","from":"eksjo"})";
  EXPECT_EQ(node_a_->send(raw).error_code(), "gateway_required");
  // Nor through a gateway, which adds the key: neither with a tenant Host nor under /t/SLUG.
  request via = raw;
  via.host = "eksjo.localhost";
  EXPECT_EQ(gw1_->send(via).status, 404);
  via.host.clear();
  via.target = "/t/eksjo/internal/v1/sharing/catalog";
  EXPECT_EQ(gw2_->send(via).status, 404);
  via.target = "/internal/v1/sessions/resolve";
  via.host = "savsjo.localhost";
  via.body = savsjo_;
  EXPECT_EQ(gw1_->send(via).status, 404);
  // Even with the key, a node answers only for partners.
  raw.headers["X-Samverka-Node-Key"] = cluster_key;
  raw.body = R"({"caller":"vetlanda","from":"eksjo"})";
  EXPECT_EQ(node_a_->send(raw).status, 404);
  // A partner's node gets only files of items shared with that partner, not any file by hash.
  const std::string internal = "Endast för Eksjö";
  const auto doc_id = upload("name=intern.txt", internal);
  ASSERT_GT(doc_id, 0);
  const auto meta = gw1_->get("/t/eksjo/api/v1/documents/" + std::to_string(doc_id), eksjo_).json();
  const std::string sha(meta.at("versions").at(0).at("sha256").as_string());
  raw.target = "/internal/v1/sharing/file";
  raw.body = json::serialize(json::object{
      {"source", "eksjo"},
      {"receiver", "savsjo"},
      {"file", {{"source_document_id", doc_id}, {"sha256", sha}, {"size", internal.size()}}}});
  auto file = node_a_->send(raw);
  EXPECT_EQ(file.status, 404) << file.body;
  EXPECT_EQ(file.body.find("Endast"), std::string::npos);
  raw.target = "/internal/v1/sharing/lend";
  raw.body = R"({"from":"eksjo","news_id":1,"borrower":"vetlanda"})";
  EXPECT_EQ(node_a_->send(raw).status, 422);
}

TEST_F(ClusterSharingTest, ReceiverNodeDownGetsEverythingItMissedAfterRestart) {
  const auto before =
      publish({{"title", "Före"}, {"body", "<p>1</p>"}, {"share_with", json::array{"savsjo"}}});
  ASSERT_TRUE(eventually([&] { return offer(before).has_value(); }));

  node_b_.reset();  // SIGKILL
  const auto missed = publish(
      {{"title", "Under avbrottet"}, {"body", "<p>2</p>"}, {"share_with", json::array{"savsjo"}}});
  ASSERT_EQ(gw1_->patch("/t/eksjo/api/v1/news/" + std::to_string(before),
                        body({{"title", "Före (uppdaterad under avbrottet)"}}), eksjo_)
                .status,
            200);
  EXPECT_EQ(distribution_state(missed), "pending");

  start_store('b');
  EXPECT_TRUE(eventually([&] { return offered_title(missed) == "Under avbrottet"; }))
      << "a share made while the receiver's node was down";
  EXPECT_TRUE(eventually([&] {
    return offered_title(before) == "Före (uppdaterad under avbrottet)";
  })) << "an update made while the receiver's node was down";
  EXPECT_TRUE(eventually([&] { return distribution_state(missed) == "delivered"; }));
}

TEST_F(ClusterSharingTest, RedisRestartedEmptyLosesNoShare) {
  redis_->stop();
  // Committed while Redis is away: the outbox keeps it.
  const auto during = publish({{"title", "Medan Redis låg nere"},
                               {"body", "<p>x</p>"},
                               {"share_with", json::array{"savsjo"}}});
  EXPECT_TRUE(eventually([&] { return distribution_state(during) == "failing"; }))
      << distribution_state(during);
  redis_->start();  // empty: streams and groups are gone
  const auto after = publish(
      {{"title", "Efter omstarten"}, {"body", "<p>y</p>"}, {"share_with", json::array{"savsjo"}}});
  EXPECT_TRUE(eventually([&] { return offer(after).has_value(); }, 30s));
  EXPECT_TRUE(eventually([&] { return offer(during).has_value(); }, 45s))
      << "retried from the outbox after Redis came back";
}

TEST_F(ClusterSharingTest, UnlinkAcrossNodesEndsFollowingOnBothSides) {
  const auto id =
      publish({{"title", "Följer"}, {"body", "<p>x</p>"}, {"share_with", json::array{"savsjo"}}});
  ASSERT_TRUE(eventually([&] { return offer(id).has_value(); }));
  auto acc = gw1_->post("/t/savsjo/api/v1/sharing/inbox/" +
                            std::to_string(offer(id)->at("id").as_int64()) + "/accept",
                        "", savsjo_);
  ASSERT_EQ(acc.status, 200) << acc.body;
  const auto local = acc.json().at("news").at("id").as_int64();

  // Run on node b this time: either side may end it, and both halves go.
  auto un =
      ctl(node_b_dir_.path(), {"--redis", redis_->url(), "partner", "unlink", "savsjo", "eksjo"});
  ASSERT_EQ(un.exit_code, 0) << un.err;
  for (const auto* dir : {&node_a_dir_, &node_b_dir_})
    EXPECT_EQ(ctl(dir->path(), {"--json", "partner", "list"}).out.find("\"a\":\"eksjo\""),
              std::string::npos);
  EXPECT_TRUE(eventually([&] {
    auto o = offer(id);
    return o && !o->at("linked").as_bool();
  })) << gw2_->get("/t/savsjo/api/v1/sharing/inbox", savsjo_).body;
  EXPECT_EQ(offer(id)->at("unlink_reason").as_string(), "partnership_ended");
  EXPECT_TRUE(eventually([&] { return distribution_state(id) == "ended"; }))
      << distribution_state(id);
  // Later edits stay at home; the copy keeps what it had.
  ASSERT_EQ(gw1_->patch("/t/eksjo/api/v1/news/" + std::to_string(id),
                        body({{"title", "Efter avslut"}}), eksjo_)
                .status,
            200);
  std::this_thread::sleep_for(300ms);
  auto copy = gw2_->get("/t/savsjo/api/v1/news/" + std::to_string(local), savsjo_);
  ASSERT_EQ(copy.status, 200);
  EXPECT_EQ(copy.json().at("title").as_string(), "Följer");
  EXPECT_EQ(
      gw1_->post("/t/eksjo/api/v1/news",
                 body({{"title", "Ny"}, {"body", "x"}, {"share_with", json::array{"savsjo"}}}),
                 eksjo_)
          .status,
      422);
}

}  // namespace
}  // namespace samverka::testing
