// Operator actions on a running server: suspend/resume, create, export/delete/import, migrate,
// SIGTERM drain, and many writers at once.
#include "fixture.hpp"

#include <atomic>
#include <thread>

namespace samverka::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Polls `probe` until it returns true or the CLI-to-server propagation bound passes.
template <class F>
bool within_a_second(F probe) {
  auto deadline = std::chrono::steady_clock::now() + 1500ms;  // 1 s promised, slack for CI
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return probe();
}

TEST_F(platform, SuspendAnswers503AndResumeLosesNothing) {
  publish("Före uppehållet");
  auto anna = as("anna");
  ASSERT_EQ(ctl(dir.path(), {"tenant", "suspend", "eksjo"}).exit_code, 0);
  ASSERT_TRUE(
      within_a_second([&] { return srv->get("/t/eksjo/api/v1/news", anna).status == 503; }));
  auto r = srv->get("/t/eksjo/api/v1/news", anna);
  EXPECT_EQ(r.error_code(), "tenant_suspended");
  // Other tenants are untouched.
  EXPECT_EQ(srv->get("/t/savsjo/api/v1/me", as("anna", "savsjo")).status, 200);
  ASSERT_EQ(ctl(dir.path(), {"tenant", "resume", "eksjo"}).exit_code, 0);
  ASSERT_TRUE(
      within_a_second([&] { return srv->get("/t/eksjo/api/v1/news", anna).status == 200; }));
  EXPECT_EQ(titles(anna).count("Före uppehållet"), 1u);
}

TEST_F(platform, ATenantCreatedByTheCliServesWithinASecond) {
  ASSERT_EQ(ctl(dir.path(),
                {"tenant", "create", "nassjo", "--name", "Nässjö kommun", "--domain", "nassjo.se"})
                .exit_code,
            0);
  ASSERT_EQ(ctl(dir.path(),
                {"user", "add", "nassjo", "--email", "ny@nassjo.se", "--name", "Ny Person",
                 "--password-stdin"},
                "hemligt-lösen\n")
                .exit_code,
            0);
  ASSERT_TRUE(within_a_second([&] {
    return srv->post("/t/nassjo/api/v1/auth/login",
                     body({{"email", "ny@nassjo.se"}, {"password", "hemligt-lösen"}}))
               .status == 200;
  }));
}

TEST_F(platform, ExportDeleteImportRestoresEverything) {
  publish("Bevaras genom export");
  auto archive = dir.path() / "eksjo.tar.gz";
  auto ex = ctl(dir.path(), {"tenant", "export", "eksjo", "--out", archive.string()});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  ASSERT_TRUE(std::filesystem::exists(archive));

  ASSERT_EQ(ctl(dir.path(), {"tenant", "delete", "eksjo"}).exit_code, 2);  // --yes is required
  ASSERT_EQ(ctl(dir.path(), {"tenant", "delete", "eksjo", "--yes"}).exit_code, 0);
  ASSERT_TRUE(within_a_second([&] { return srv->get("/t/eksjo/api/v1/me").status == 404; }));

  auto im = ctl(dir.path(), {"tenant", "import", archive.string()});
  ASSERT_EQ(im.exit_code, 0) << im.err;
  ASSERT_TRUE(within_a_second([&] { return srv->get("/t/eksjo/api/v1/me").status == 401; }));
  EXPECT_EQ(titles(as("anna")).count("Bevaras genom export"), 1u);
  // The domain came back with it: people log in at home again.
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", as("editor")).status, 200);

  // A second copy under another slug is a separate tenant: its people are members there (their
  // home stays eksjo, which keeps the domain), and what happens in the copy stays in the copy.
  auto copy = ctl(dir.path(), {"tenant", "import", archive.string(), "--as", "eksjo-kopia"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_NE(copy.out.find("eksjo.se"), std::string::npos)
      << "skipped domain not reported: " << copy.out;
  ASSERT_TRUE(within_a_second([&] { return srv->get("/t/eksjo-kopia/api/v1/me").status == 401; }));
  auto r = srv->post("/t/eksjo-kopia/api/v1/news",
                     body({{"title", "Bara i kopian"}, {"body", "x"}}), as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(titles(as("anna"), "all").count("Bara i kopian"), 0u);
  EXPECT_EQ(titles(as("anna"), "all", "eksjo-kopia").count("Bara i kopian"), 1u);
}

TEST_F(platform, ExportWhileWritersRunIsConsistent) {
  auto editor = as("editor");
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop && i < 200; ++i)
      if (srv->post("/t/eksjo/api/v1/news",
                    body({{"title", "Under export " + std::to_string(i)}, {"body", "x"}}), editor)
              .status == 201)
        ++written;
  });
  auto archive = dir.path() / "live.tar.gz";
  auto ex = ctl(dir.path(), {"tenant", "export", "eksjo", "--out", archive.string()});
  stop = true;
  writer.join();
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  auto im = ctl(dir.path(), {"tenant", "import", archive.string(), "--as", "snapshot"});
  ASSERT_EQ(im.exit_code, 0) << im.err;
  auto show = ctl(dir.path(), {"--json", "tenant", "show", "snapshot"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(json::parse(show.out).at("slug").as_string(), "snapshot");
}

TEST_F(platform, SigtermDrainsInFlightRequestsAndExitsZero) {
  constexpr int clients = 4;
  std::vector<std::unique_ptr<connection>> conns;
  for (int i = 0; i < clients; ++i) {
    conns.push_back(std::make_unique<connection>(srv->port()));
    request warm;
    warm.target = "/healthz";
    ASSERT_EQ(conns.back()->roundtrip(warm).status, 200);  // accepted and kept alive
  }
  // Logins are slow on purpose (argon2): they are in flight when SIGTERM arrives.
  for (auto& c : conns) {
    request login;
    login.method = "POST";
    login.target = "/t/eksjo/api/v1/auth/login";
    login.body = body({{"email", "anna@eksjo.se"}, {"password", demo_password}});
    c->write(login);
  }
  int exit_code = -2;
  std::thread term([&] { exit_code = srv->terminate(); });
  for (auto& c : conns) {
    try {
      EXPECT_EQ(c->read().status, 200);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "in-flight request lost: " << e.what();
    }
  }
  term.join();
  EXPECT_EQ(exit_code, 0);
}

TEST_F(platform, ConcurrentWritersOnOneTenantLoseNothing) {
  constexpr int writers = 4, each = 25;
  auto editor = as("editor");
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < each; ++i)
        if (srv->post("/t/eksjo/api/v1/news",
                      body({{"title", "Skrivare " + std::to_string(w) + "-" + std::to_string(i)},
                            {"body", "x"}}),
                      editor)
                .status == 201)
          ++created;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), writers * each);
  std::size_t count = 0;
  std::string cursor;
  for (;;) {
    auto r = srv->get(
        "/t/eksjo/api/v1/news?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor), editor);
    ASSERT_EQ(r.status, 200);
    count += r.json().at("items").as_array().size();
    if (r.json().at("next_cursor").is_null()) break;
    cursor = std::string(r.json().at("next_cursor").as_string());
  }
  EXPECT_EQ(count, static_cast<std::size_t>(writers * each));
}

TEST_F(platform, MigrateBringsEveryTenantCurrent) {
  auto r = ctl(dir.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(srv->get("/t/eksjo/api/v1/me", as("anna")).status, 200);
}

}  // namespace
}  // namespace samverka::testing
