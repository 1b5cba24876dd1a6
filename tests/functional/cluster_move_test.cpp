// Tenant moves between store nodes (`samverkactl tenant move SLUG --to NODE`): eksjo moves from
// node a to node b while a client keeps writing news through the gateways, retrying on 503
// `tenant_moving`; afterwards every write that got 201 is readable through both gateways from
// node b, the old token still works, partnerships and memberships came along, and node a kept
// its copy aside. Bad inputs and a target that is down change nothing.
//
// The write pause (the longest gap between two successful writes) is printed, never asserted.
#include <fcntl.h>
#include <poll.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>

#include "cluster_fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;
using steady = std::chrono::steady_clock;

class ClusterMoveTest : public ClusterTest {
 protected:
  ctl_result move(const fs::path& dir, const std::string& slug, const std::string& to) {
    return ctl(dir, {"--redis", redis_->url(), "tenant", "move", slug, "--to", to});
  }
  // Every news title of `slug` the token's holder sees (scope=all), following the cursor.
  std::set<std::string> all_titles(const server& gw, const std::string& slug,
                                   const std::string& token) {
    std::set<std::string> out;
    std::string cursor;
    for (int page = 0; page < 200; ++page) {
      std::string target = "/t/" + slug + "/api/v1/news?scope=all&limit=100";
      if (!cursor.empty()) target += "&cursor=" + cursor;
      auto r = gw.get(target, token);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      const auto v = r.json();
      for (const auto& it : v.at("items").as_array())
        out.insert(std::string(it.at("title").as_string()));
      const auto& next = v.at("next_cursor");
      if (!next.is_string()) break;
      cursor = std::string(next.as_string());
    }
    return out;
  }
  // One field of a Redis hash (redis-cli), "" when absent.
  std::string redis_hget(const std::string& key, const std::string& field) {
    const std::string cmd = "redis-cli -u " + redis_->url() + " HGET " + key + " " + field;
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }
  bool has_dir(const temp_dir& d, const std::string& rel) { return fs::exists(d.path() / rel); }
  std::size_t moved_copies(const temp_dir& d, const std::string& slug) {
    std::size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(d.path() / "moved", ec), end; !ec && it != end; it.increment(ec))
      if (it->path().filename().string().starts_with(slug + "-")) ++n;
    return n;
  }
  // A request straight to a store node, as a gateway sends it (cluster key included).
  response to_node(const server& node, const std::string& target, const std::string& token) {
    request r;
    r.target = target;
    r.headers["x-samverka-node-key"] = cluster_key;
    r.headers["authorization"] = "Bearer " + token;
    return node.send(r);
  }
};

TEST_F(ClusterMoveTest, MoveUnderWritesLosesNothing) {
  // Partners: hult stays on node a (a local pair that becomes a cross-node one), savsjo is on
  // node b (a cross-node pair that becomes a local one).
  ASSERT_EQ(
      ctl(node_a_dir_.path(), {"tenant", "create", "hult", "--name", "Hults kommun"}).exit_code, 0);
  ASSERT_EQ(ctl(node_a_dir_.path(), {"partner", "link", "eksjo", "hult"}).exit_code, 0);
  auto linked =
      ctl(node_a_dir_.path(), {"--redis", redis_->url(), "partner", "link", "eksjo", "savsjo"});
  ASSERT_EQ(linked.exit_code, 0) << linked.err;

  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  const std::string anna = gw2_->login("eksjo", "anna@eksjo.se", demo_password);

  // The writer: one news item after another, alternating gateways, retrying on tenant_moving.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> written;  // titles that got 201
  std::map<std::string, int> refusals;
  std::vector<std::string> failures;
  long long longest_gap_ms = 0;
  std::thread writer([&] {
    auto last_ok = steady::now();
    for (int n = 0; !stop; ++n) {
      const std::string title = "Skrivning " + std::to_string(n);
      for (int attempt = 0; !stop || attempt > 0; ++attempt) {
        const server& gw = (n % 2) ? *gw1_ : *gw2_;
        auto r =
            gw.post("/t/eksjo/api/v1/news", body({{"title", title}, {"body", "<p>x</p>"}}), token);
        std::lock_guard lock(mu);
        if (r.status == 201) {
          const auto now = steady::now();
          longest_gap_ms = std::max<long long>(
              longest_gap_ms,
              std::chrono::duration_cast<std::chrono::milliseconds>(now - last_ok).count());
          last_ok = now;
          written.push_back(title);
          break;
        }
        if (r.status == 503 && attempt < 600) {
          ++refusals[r.error_code()];
          if (r.error_code() == "tenant_moving") {
            EXPECT_FALSE(r.headers["retry-after"].empty());
          }
          std::this_thread::sleep_for(20ms);
          continue;
        }
        failures.push_back(title + ": HTTP " + std::to_string(r.status) + " " + r.body);
        break;
      }
    }
  });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return written.size() >= 20;
  }));

  const auto moved = move(node_a_dir_.path(), "eksjo", "node-b");
  EXPECT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_NE(moved.out.find("moved eksjo from node-a to node-b"), std::string::npos) << moved.out;
  std::size_t before_stop = 0;
  {
    std::lock_guard lock(mu);
    before_stop = written.size();
  }
  // Writes carry on, now on node b.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return written.size() >= before_stop + 20;
  }));
  stop = true;
  writer.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  std::printf("[ move ] %s", moved.out.c_str());
  std::printf("[ move ] %zu writes got 201; longest gap between two of them: %lld ms; 503s: ",
              written.size(), longest_gap_ms);
  for (const auto& [code, n] : refusals) std::printf("%s=%d ", code.c_str(), n);
  std::printf("\n");

  // Node b owns eksjo now; node a kept its copy aside and has no registry row.
  EXPECT_TRUE(has_dir(node_b_dir_, "tenants/eksjo"));
  EXPECT_FALSE(has_dir(node_a_dir_, "tenants/eksjo"));
  EXPECT_EQ(moved_copies(node_a_dir_, "eksjo"), 1u);
  EXPECT_NE(ctl(node_a_dir_.path(), {"tenant", "show", "eksjo"}).exit_code, 0);
  EXPECT_EQ(ctl(node_b_dir_.path(), {"tenant", "show", "eksjo"}).exit_code, 0);

  // Every acknowledged write is there, through both gateways (the old token works).
  for (auto* gw : {gw1_.get(), gw2_.get()}) {
    const auto titles = all_titles(*gw, "eksjo", token);
    for (const auto& t : written) EXPECT_TRUE(titles.contains(t)) << t << " is missing";
  }
  // Sessions moved with the store: a token issued on node a works, served by node b.
  auto me = gw1_->get("/t/eksjo/api/v1/me", anna);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(to_node(*node_b_, "/t/eksjo/api/v1/me", anna).status, 200);
  // Memberships came along: node b's registry lists anna's membership in eksjo.
  bool member = false;
  const auto me_json = me.json();
  for (const auto& m : me_json.at("memberships").as_array())
    member = member || m.at("slug").as_string() == "eksjo";
  EXPECT_TRUE(member) << me.body;
  // A gateway with a stale placement reaching node a gets 503 tenant_moving, not 404.
  auto stale = to_node(*node_a_, "/t/eksjo/api/v1/me", anna);
  EXPECT_EQ(stale.status, 503);
  EXPECT_EQ(stale.error_code(), "tenant_moving");
  EXPECT_FALSE(stale.headers["retry-after"].empty());

  // Partnerships: eksjo–savsjo is a local pair on node b; eksjo–hult is cross-node on both.
  auto list_b = ctl(node_b_dir_.path(), {"--json", "partner", "list"});
  auto list_a = ctl(node_a_dir_.path(), {"--json", "partner", "list"});
  EXPECT_NE(list_b.out.find("\"a\":\"eksjo\",\"b\":\"savsjo\""), std::string::npos) << list_b.out;
  EXPECT_NE(list_b.out.find("\"a\":\"eksjo\",\"b\":\"hult\""), std::string::npos) << list_b.out;
  EXPECT_NE(list_a.out.find("\"a\":\"eksjo\",\"b\":\"hult\""), std::string::npos) << list_a.out;
  EXPECT_EQ(list_a.out.find("savsjo"), std::string::npos) << list_a.out;

  // Placement names node b, and eksjo's e-mail domain stays published after node a's
  // registrar has synced (twice) without eksjo: node a must not release what node b owns now.
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-b");
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-b");
  EXPECT_EQ(redis_hget("samverka:domains", "eksjo.se"), "eksjo");

  // And back again: the tenant can return to node a (the moved-aside copy does not block it).
  const auto back = move(node_b_dir_.path(), "eksjo", "node-a");
  EXPECT_EQ(back.exit_code, 0) << back.err;
  ASSERT_TRUE(eventually([&] {
    return gw2_->post("/t/eksjo/api/v1/news", body({{"title", "Hemma igen"}, {"body", "<p>x</p>"}}),
                      token)
               .status == 201;
  }));
  EXPECT_TRUE(has_dir(node_a_dir_, "tenants/eksjo"));
  EXPECT_TRUE(all_titles(*gw1_, "eksjo", token).contains(written.back()));
}

TEST_F(ClusterMoveTest, LargeTenantTravelsInPartsWithItsFiles) {
  // Two 20 MiB documents: the archive is larger than one transfer part (32 MiB).
  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  std::vector<std::pair<std::int64_t, std::string>> docs;
  std::uint64_t x = 88172645463325252ull;
  for (int d = 0; d < 2; ++d) {
    std::string data(20 * 1024 * 1024, '\0');
    for (auto& c : data) {  // xorshift: incompressible, different per document
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x & 0xff);
    }
    request up;
    up.method = "POST";
    up.target = "/t/eksjo/api/v1/documents?name=data" + std::to_string(d) + ".bin";
    up.headers["Authorization"] = "Bearer " + token;
    up.content_type = "application/octet-stream";
    up.body = data;
    auto created = gw1_->send(up);
    ASSERT_EQ(created.status, 201) << created.body;
    docs.emplace_back(created.json().at("id").as_int64(), std::move(data));
  }
  const auto started = steady::now();
  const auto moved = move(node_a_dir_.path(), "eksjo", "node-b");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  std::printf("[ move ] 40 MiB tenant: %s[ move ] the CLI took %lld ms\n", moved.out.c_str(),
              static_cast<long long>(took.count()));
  for (const auto& [id, data] : docs) {
    auto dl = gw2_->get("/t/eksjo/api/v1/documents/" + std::to_string(id) + "/content", token);
    ASSERT_EQ(dl.status, 200);
    EXPECT_TRUE(dl.body == data) << "document " << id << " differs after the move";
  }
  EXPECT_TRUE(has_dir(node_b_dir_, "tenants/eksjo"));
  // No staging is left behind on either node.
  for (const auto* d : {&node_a_dir_, &node_b_dir_})
    EXPECT_TRUE(fs::is_empty(d->path() / "moving")) << d->path();
}

TEST_F(ClusterMoveTest, ImportRefusedByTheTargetIsUndoneOnBothNodes) {
  // Node b already has a tenant owning eksjo.se: it imports eksjo, finds the domain taken,
  // discards the copy; node a takes its placement back and resumes writes.
  ASSERT_EQ(ctl(node_b_dir_.path(),
                {"tenant", "create", "ekdal", "--name", "Ekdal", "--domain", "eksjo.se"})
                .exit_code,
            0);
  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  const auto r = move(node_a_dir_.path(), "eksjo", "node-b");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("domain_taken"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("it stays on node-a"), std::string::npos) << r.err;
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-a");
  EXPECT_NE(ctl(node_b_dir_.path(), {"tenant", "show", "eksjo"}).exit_code, 0);
  EXPECT_FALSE(has_dir(node_b_dir_, "tenants/eksjo"));
  EXPECT_TRUE(fs::is_empty(node_b_dir_.path() / "moving"));
  EXPECT_EQ(moved_copies(node_a_dir_, "eksjo"), 0u);
  for (auto* gw : {gw1_.get(), gw2_.get()}) {
    auto w =
        gw->post("/t/eksjo/api/v1/news", body({{"title", "Kvar"}, {"body", "<p>x</p>"}}), token);
    EXPECT_EQ(w.status, 201) << w.body;
  }
}

TEST_F(ClusterMoveTest, ArrivalInterruptedByACrashStaysUnregistered) {
  // As if node b crashed in the middle of two arrivals: hult was imported but never published
  // (its source still serves it), savsjo's arrival had committed (placement names node b).
  node_b_.reset();
  ASSERT_EQ(
      ctl(node_b_dir_.path(), {"tenant", "create", "hult", "--name", "Hults kommun"}).exit_code, 0);
  fs::create_directories(node_b_dir_.path() / "arriving");
  for (const char* slug : {"hult", "savsjo"})
    std::ofstream(node_b_dir_.path() / "arriving" / slug).put('\n');
  start_store('b');
  ASSERT_TRUE(eventually([&] { return gw1_->get("/t/savsjo/api/v1/me").status == 401; }));
  EXPECT_FALSE(fs::exists(node_b_dir_.path() / "arriving" / "savsjo"));
  // hult stays out of placement and answers tenant_moving on node b until an operator decides.
  std::this_thread::sleep_for(1500ms);  // more than one registration interval of node b
  EXPECT_EQ(redis_hget("samverka:placement", "hult"), "");
  EXPECT_EQ(gw1_->get("/t/hult/api/v1/me").error_code(), "tenant_not_found");
  EXPECT_EQ(to_node(*node_b_, "/t/hult/api/v1/me", "x.y").error_code(), "tenant_moving");
  EXPECT_TRUE(fs::exists(node_b_dir_.path() / "arriving" / "hult"));
}

TEST_F(ClusterMoveTest, AnActivationWithoutItsFenceClaimsNothing) {
  // A late or replayed activation (its source gave the move up, or never ran it): node b
  // receives a complete copy of eksjo and is told to activate it, but Redis holds no fence with
  // that move's id, so the claim is refused and node a stays the only owner.
  const fs::path archive = node_a_dir_.path() / "eksjo-copy.tar";
  ASSERT_EQ(
      ctl(node_a_dir_.path(), {"tenant", "export", "eksjo", "--out", archive.string()}).exit_code,
      0);
  std::ifstream in(archive, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string move_id = "replayed-move-0001";
  request part;
  part.method = "POST";
  part.target = "/internal/v1/tenants/import/" + move_id + "/part?offset=0";
  part.headers["x-samverka-node-key"] = cluster_key;
  part.headers["content-type"] = "application/octet-stream";
  part.body = bytes;
  auto sent = node_b_->send(part);
  ASSERT_EQ(sent.status, 200) << sent.body;
  // A fence of another move does not do either.
  redis_command(redis_->port(), {"SET", "samverka:move:eksjo", "some-other-move"});
  request act = part;
  act.target = "/internal/v1/tenants/import/" + move_id + "/activate";
  act.headers["content-type"] = "application/json";
  act.body = body({{"slug", "eksjo"},
                   {"from", "node-a"},
                   {"bytes", static_cast<std::int64_t>(bytes.size())},
                   {"budget_ms", 30000},
                   {"partners", json::array()}});
  auto refused = node_b_->send(act);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.error_code(), "move_fenced");
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-a");
  EXPECT_NE(ctl(node_b_dir_.path(), {"tenant", "show", "eksjo"}).exit_code, 0);
  EXPECT_FALSE(has_dir(node_b_dir_, "tenants/eksjo"));
  std::this_thread::sleep_for(1500ms);  // more than one registration interval of node b
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-a");
  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  EXPECT_EQ(
      gw2_->post("/t/eksjo/api/v1/news", body({{"title", "Kvar"}, {"body", "<p>x</p>"}}), token)
          .status,
      201);
  // A real move still goes through afterwards (it writes its own fence).
  const auto moved = move(node_a_dir_.path(), "eksjo", "node-b");
  EXPECT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-b");
  EXPECT_EQ(redis_command(redis_->port(), {"EXISTS", "samverka:move:eksjo"}), ":0\r\n");
  // Asked to abort a move it does not know (as after a restart), a node says whether it serves
  // the tenant named: then the move went through (409), else it holds nothing (200).
  request abort = part;
  abort.target = "/internal/v1/tenants/import/unknown-move-0001/abort";
  abort.headers["content-type"] = "application/json";
  abort.body = body({{"slug", "eksjo"}});
  EXPECT_EQ(node_b_->send(abort).status, 409);
  abort.body = body({{"slug", "hultsfred"}});
  EXPECT_EQ(node_b_->send(abort).status, 200);
}

TEST_F(ClusterMoveTest, BadInputsChangeNothing) {
  // Not cluster mode.
  auto r = ctl(node_a_dir_.path(), {"tenant", "move", "eksjo", "--to", "node-b"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cluster mode"), std::string::npos) << r.err;
  // Unknown tenant, unknown node, already there, malformed.
  r = move(node_a_dir_.path(), "nowhere", "node-b");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no node owns tenant 'nowhere'"), std::string::npos) << r.err;
  r = move(node_a_dir_.path(), "eksjo", "node-z");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unknown node 'node-z'"), std::string::npos) << r.err;
  r = move(node_a_dir_.path(), "eksjo", "node-a");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already on node node-a"), std::string::npos) << r.err;
  EXPECT_NE(
      ctl(node_a_dir_.path(), {"--redis", redis_->url(), "tenant", "move", "eksjo"}).exit_code, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line

  // The node refuses the same things itself, and the move endpoint needs the cluster key.
  request direct;
  direct.method = "POST";
  direct.target = "/internal/v1/tenants/eksjo/move";
  direct.body = R"({"to":"node-a"})";
  EXPECT_EQ(node_a_->send(direct).error_code(), "gateway_required");
  direct.headers["x-samverka-node-key"] = cluster_key;
  EXPECT_EQ(node_a_->send(direct).error_code(), "already_there");
  direct.body = R"({"to":"node-z"})";
  EXPECT_EQ(node_a_->send(direct).error_code(), "node_not_found");
  direct.target = "/internal/v1/tenants/savsjo/move";  // savsjo lives on node b
  direct.body = R"({"to":"node-b"})";
  EXPECT_EQ(node_a_->send(direct).error_code(), "tenant_not_found");

  // A client cannot reach the move protocol through a gateway (which adds the key).
  for (const char* target :
       {"/internal/v1/tenants/eksjo/move", "/internal/v1/tenants/import/abcdefghijkl/activate"}) {
    request via;
    via.method = "POST";
    via.target = target;
    via.host = "eksjo.localhost";
    via.body = R"({"to":"node-b"})";
    EXPECT_EQ(gw1_->send(via).status, 404) << target;
  }

  // Nothing changed: eksjo is on node a and takes writes.
  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  EXPECT_EQ(
      gw2_->post("/t/eksjo/api/v1/news", body({{"title", "Kvar"}, {"body", "<p>x</p>"}}), token)
          .status,
      201);
  EXPECT_TRUE(has_dir(node_a_dir_, "tenants/eksjo"));
  EXPECT_FALSE(has_dir(node_b_dir_, "tenants/eksjo"));
  EXPECT_EQ(moved_copies(node_a_dir_, "eksjo"), 0u);
}

TEST_F(ClusterMoveTest, MoveToANodeThatIsDownFailsAndTheTenantKeepsServing) {
  const std::string token = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  node_b_.reset();  // SIGKILL: its entry stays in Redis, nobody answers at its URL
  const auto r = move(node_a_dir_.path(), "eksjo", "node-b");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("it stays on node-a"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // Writes resumed on node a at once; nothing moved aside, the registry row is there.
  auto w =
      gw2_->post("/t/eksjo/api/v1/news", body({{"title", "Efter"}, {"body", "<p>x</p>"}}), token);
  EXPECT_EQ(w.status, 201) << w.body;
  EXPECT_TRUE(has_dir(node_a_dir_, "tenants/eksjo"));
  EXPECT_EQ(moved_copies(node_a_dir_, "eksjo"), 0u);
  EXPECT_EQ(ctl(node_a_dir_.path(), {"tenant", "show", "eksjo"}).exit_code, 0);
  // Node b comes back without eksjo (it never registered it), and the move then works.
  start_store('b');
  ASSERT_TRUE(eventually([&] { return gw1_->get("/t/savsjo/api/v1/me").status == 401; }));
  EXPECT_FALSE(has_dir(node_b_dir_, "tenants/eksjo"));
  const auto again = move(node_a_dir_.path(), "eksjo", "node-b");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(all_titles(*gw1_, "eksjo", token).contains("Efter"));
}

// A node registered in Redis that accepts connections and reads requests but never answers: a
// move to it stays paused in the transfer until close() resets every connection (then it fails).
class silent_node {
 public:
  silent_node() {
    // Close-on-exec: a samverkactl started meanwhile must not keep the port open.
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~silent_node() { close(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Whether a request whose start line begins with `prefix` has arrived.
  bool received(const std::string& prefix) {
    std::lock_guard lock(mu_);
    for (const auto& [fd, data] : conns_)
      if (data.starts_with(prefix)) return true;
    return false;
  }
  // Stops listening, then resets every connection.
  void close() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    ::close(fd_);
    for (const auto& [fd, data] : conns_) {
      const linger reset{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(fd);
    }
    conns_.clear();
  }

 private:
  void serve() {
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      {
        std::lock_guard lock(mu_);
        for (const auto& [fd, data] : conns_) fds.push_back({fd, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      std::lock_guard lock(mu_);
      if (fds[0].revents & POLLIN)
        if (int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC); c >= 0) conns_[c];
      for (std::size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents & POLLIN) {
          char buf[4096];
          const auto n = ::read(fds[i].fd, buf, sizeof buf);
          auto& data = conns_[fds[i].fd];
          if (n > 0 && data.size() < 256) data.append(buf, static_cast<std::size_t>(n));
        }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<int, std::string> conns_;  // accepted connection -> what it sent (its start)
  std::thread thread_;
};

TEST_F(ClusterMoveTest, WhileTheHomeMovesLogoutIsRefusedAndNoClaimIsMade) {
  // hult (node a) has pendlare@eksjo.se as a member; the home eksjo is on the same node.
  ASSERT_EQ(
      ctl(node_a_dir_.path(), {"tenant", "create", "hult", "--name", "Hults kommun"}).exit_code, 0);
  ASSERT_EQ(ctl(node_a_dir_.path(),
                {"user", "add", "hult", "--email", "pendlare@eksjo.se", "--name", "Pendlare"})
                .exit_code,
            0);
  ASSERT_TRUE(eventually([&] { return gw1_->get("/t/hult/api/v1/me").status == 401; }));
  const std::string token = gw1_->login("eksjo", "pendlare@eksjo.se", demo_password);
  const std::string editor = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  ASSERT_EQ(gw1_->get("/t/hult/api/v1/me", token).status, 200);

  silent_node silent;
  ASSERT_EQ(std::system(("redis-cli -u " + redis_->url() + " HSET samverka:nodes node-c " +
                         silent.url() + " > /dev/null")
                            .c_str()),
            0);
  ctl_result moved;
  std::thread mover([&] { moved = move(node_a_dir_.path(), "eksjo", "node-c"); });
  ASSERT_TRUE(eventually([&] {
    return gw1_->post("/t/eksjo/api/v1/news", body({{"title", "x"}, {"body", "<p>x</p>"}}), editor)
               .error_code() == "tenant_moving";
  }));
  ASSERT_TRUE(eventually([&] { return silent.received("POST /internal/v1/tenants/import/"); }));
  // The home's store is paused (its export is on its way): the revoke is refused,
  // not written where the move would lose it.
  auto out = gw2_->post("/t/hult/api/v1/auth/logout", "", token);
  EXPECT_EQ(out.status, 503) << out.body;
  EXPECT_EQ(out.error_code(), "tenant_moving");
  EXPECT_EQ(out.headers["retry-after"], "2");
  // Nor does node a claim the moving tenant again meanwhile (the target may have claimed it):
  // a change of its tenants makes its registrar write its placement, without eksjo.
  ASSERT_EQ(std::system(("redis-cli -u " + redis_->url() +
                         " HSET samverka:placement eksjo node-c > /dev/null")
                            .c_str()),
            0);
  ASSERT_EQ(ctl(node_a_dir_.path(), {"tenant", "create", "ryd", "--name", "Ryd"}).exit_code, 0);
  ASSERT_TRUE(eventually([&] { return redis_hget("samverka:placement", "ryd") == "node-a"; }));
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-c");
  silent.close();
  mover.join();
  EXPECT_NE(moved.exit_code, 0);
  EXPECT_NE(moved.err.find("it stays on node-a"), std::string::npos) << moved.err;
  EXPECT_EQ(redis_hget("samverka:placement", "eksjo"), "node-a") << "claimed again on failure";
  // The move failed: writes resume, and the logout now ends the session.
  ASSERT_TRUE(eventually(
      [&] { return gw1_->post("/t/hult/api/v1/auth/logout", "", token).status == 204; }));
  EXPECT_EQ(gw2_->get("/t/eksjo/api/v1/me", token).status, 401);
  EXPECT_EQ(gw2_->get("/t/hult/api/v1/me", token).status, 401);
}

TEST_F(ClusterMoveTest, SharedCopiesKeepFollowingAcrossAMove) {
  // eksjo's partners: hult on node a (stays there) and savsjo on node b (becomes local).
  const std::string pw = std::string(demo_password) + "\n";
  ASSERT_EQ(ctl(node_a_dir_.path(),
                {"tenant", "create", "hult", "--name", "Hults kommun", "--domain", "hult.se"})
                .exit_code,
            0);
  ASSERT_EQ(ctl(node_a_dir_.path(),
                {"user", "add", "hult", "--email", "editor@hult.se", "--name", "Hanna", "--role",
                 "editor", "--password-stdin"},
                pw)
                .exit_code,
            0);
  ASSERT_EQ(ctl(node_a_dir_.path(), {"partner", "link", "eksjo", "hult"}).exit_code, 0);
  ASSERT_EQ(
      ctl(node_a_dir_.path(), {"--redis", redis_->url(), "partner", "link", "eksjo", "savsjo"})
          .exit_code,
      0);
  ASSERT_TRUE(eventually([&] { return gw1_->get("/t/hult/api/v1/me").status == 401; }));
  const std::string eksjo = gw1_->login("eksjo", "editor@eksjo.se", demo_password);
  const std::string savsjo = gw2_->login("savsjo", "editor@savsjo.se", demo_password);
  const std::string hult = gw1_->login("hult", "editor@hult.se", demo_password);

  auto pub = gw1_->post("/t/eksjo/api/v1/news",
                        body({{"title", "Delad"},
                              {"body", "<p>x</p>"},
                              {"share_with", json::array{"savsjo", "hult"}}}),
                        eksjo);
  ASSERT_EQ(pub.status, 201) << pub.body;
  const auto id = pub.json().at("id").as_int64();
  // Each partner accepts its offer; the id of its copy.
  const auto accept = [&](const std::string& slug, const std::string& token) -> std::int64_t {
    std::int64_t offer = 0;
    EXPECT_TRUE(eventually([&] {
      auto r = gw2_->get("/t/" + slug + "/api/v1/sharing/inbox", token);
      if (r.status != 200) return false;
      const auto v = r.json();
      for (const auto& it : v.at("items").as_array())
        if (it.at("news").at("source").at("news_id").to_number<std::int64_t>() == id)
          offer = it.at("id").as_int64();
      return offer != 0;
    })) << slug;
    auto acc = gw1_->post(
        "/t/" + slug + "/api/v1/sharing/inbox/" + std::to_string(offer) + "/accept", "", token);
    EXPECT_EQ(acc.status, 200) << acc.body;
    return acc.status == 200 ? acc.json().at("news").at("id").as_int64() : 0;
  };
  const auto at_savsjo = accept("savsjo", savsjo);
  const auto at_hult = accept("hult", hult);
  ASSERT_NE(at_savsjo, 0);
  ASSERT_NE(at_hult, 0);

  const auto moved = move(node_a_dir_.path(), "eksjo", "node-b");
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  // Longer than the sharing relay's poll: a partnership seen missing would unlink the copies.
  std::this_thread::sleep_for(1s);

  // An edit of the original still reaches both copies (the links were not cut by the move).
  ASSERT_TRUE(eventually([&] {
    return gw2_->patch("/t/eksjo/api/v1/news/" + std::to_string(id),
                       body({{"title", "Delad (rättad)"}}), eksjo)
               .status == 200;
  }));
  const auto title_of = [&](const std::string& slug, std::int64_t copy, const std::string& token) {
    auto r = gw1_->get("/t/" + slug + "/api/v1/news/" + std::to_string(copy), token);
    return r.status == 200 ? std::string(r.json().at("title").as_string()) : r.body;
  };
  EXPECT_TRUE(eventually([&] { return title_of("savsjo", at_savsjo, savsjo) == "Delad (rättad)"; }))
      << title_of("savsjo", at_savsjo, savsjo);
  EXPECT_TRUE(eventually([&] { return title_of("hult", at_hult, hult) == "Delad (rättad)"; }))
      << title_of("hult", at_hult, hult);
}

}  // namespace
}  // namespace samverka::testing
