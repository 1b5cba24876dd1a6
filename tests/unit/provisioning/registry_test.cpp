// Unit tests of the platform registry: tenant lifecycle, memberships, partnerships, SCIM tokens,
// export/import archives (incl. hostile ones) and migrate_all.
#include "samverka/provisioning/registry.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "samverka/core/clock.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning {
namespace {

namespace fs = std::filesystem;

fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "samverka-prov-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << data;
}

// Sets PRAGMA user_version of a database file (to fake an older or newer schema).
void set_user_version(const fs::path& db, int v) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, ("PRAGMA user_version=" + std::to_string(v)).c_str(), nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(h);
}

// Names in DATA/tenants that are not registered tenants' directories (staging leftovers).
std::vector<std::string> hidden_entries(const fs::path& data) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(data / "tenants"))
    if (e.path().filename().string().starts_with(".")) out.push_back(e.path().filename().string());
  return out;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir();
    data_ = root_ / "data";
    auto r = registry::open(data_);
    ASSERT_TRUE(r) << r.err().message;
    reg_ = *r;
  }
  void TearDown() override {
    reg_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  tenant_info create(std::string_view slug, std::vector<std::string> domains = {}) {
    auto t = reg_->create_tenant(slug, std::string("Tenant ") + std::string(slug), domains);
    EXPECT_TRUE(t) << t.err().message;
    return t ? *t : tenant_info{};
  }

  std::shared_ptr<tenant::store> open_store(std::string_view slug) {
    auto s = tenant::store::open(std::string(slug), tenant::pool::tenant_dir(data_, slug));
    EXPECT_TRUE(s) << s.err().message;
    return s ? *s : nullptr;
  }

  fs::path root_, data_;
  std::shared_ptr<registry> reg_;
};

TEST_F(RegistryTest, CreateRegistersAndBuildsTheStore) {
  auto t = create("eksjo", {"Eksjo.SE", "kommun.eksjo.se", "eksjo.se"});
  EXPECT_GT(t.id, 0);
  EXPECT_EQ(t.slug, "eksjo");
  EXPECT_EQ(t.name, "Tenant eksjo");
  EXPECT_EQ(t.domains, (std::vector<std::string>{"eksjo.se", "kommun.eksjo.se"}));
  EXPECT_EQ(t.state, tenant_state::active);
  EXPECT_NEAR(static_cast<double>(t.created_at_ms), static_cast<double>(now_ms()), 60'000);
  EXPECT_TRUE(fs::is_regular_file(data_ / "tenants/eksjo/tenant.sqlite"));
  EXPECT_TRUE(fs::is_directory(data_ / "tenants/eksjo/files"));
  EXPECT_TRUE(hidden_entries(data_).empty());

  auto got = reg_->get_tenant("eksjo");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, t.id);
  EXPECT_EQ(got->domains, t.domains);
  EXPECT_EQ(*reg_->domain_owner("eksjo.se"), std::optional<std::string>("eksjo"));
  EXPECT_EQ(*reg_->domain_owner("EKSJO.se"), std::optional<std::string>("eksjo"));
  EXPECT_EQ(*reg_->domain_owner("other.se"), std::nullopt);
  auto u = reg_->usage("eksjo");
  ASSERT_TRUE(u);
  EXPECT_GT(u->size_bytes, 0u);
  EXPECT_EQ(u->schema_version, tenant::current_schema_version());
  EXPECT_TRUE(open_store("eksjo"));
}

TEST_F(RegistryTest, CreateRefusesBadOrTakenInput) {
  create("eksjo", {"eksjo.se"});
  struct row {
    std::string slug, name;
    std::vector<std::string> domains;
    errc kind;
    std::string code;
  };
  const std::string long_name(201, 'x');
  const std::vector<row> rows = {
      {"A", "n", {}, errc::invalid_input, "invalid_slug"},
      {"a", "n", {}, errc::invalid_input, "invalid_slug"},
      {"1abc", "n", {}, errc::invalid_input, "invalid_slug"},
      {"eks jo", "n", {}, errc::invalid_input, "invalid_slug"},
      {"../evil", "n", {}, errc::invalid_input, "invalid_slug"},
      {".hidden", "n", {}, errc::invalid_input, "invalid_slug"},
      {"eksjö", "n", {}, errc::invalid_input, "invalid_slug"},
      {std::string(41, 'a'), "n", {}, errc::invalid_input, "invalid_slug"},
      {"nassjo", "", {}, errc::invalid_input, "invalid_name"},
      {"nassjo", long_name, {}, errc::invalid_input, "invalid_name"},
      {"nassjo", "n", {"nassjo"}, errc::invalid_input, "invalid_domain"},
      {"nassjo", "n", {"näss.se"}, errc::invalid_input, "invalid_domain"},
      {"eksjo", "n", {}, errc::conflict, "slug_taken"},
      {"nassjo", "n", {"nassjo.se", "EKSJO.SE"}, errc::conflict, "domain_taken"},
  };
  for (const auto& r : rows) {
    auto t = reg_->create_tenant(r.slug, r.name, r.domains);
    ASSERT_FALSE(t) << r.slug;
    EXPECT_EQ(t.err().kind, r.kind) << r.slug << ": " << t.err().message;
    EXPECT_EQ(t.err().code, r.code) << r.slug << ": " << t.err().message;
  }
  EXPECT_EQ(reg_->list_tenants()->size(), 1u);
  EXPECT_FALSE(fs::exists(data_ / "tenants/nassjo"));
  EXPECT_FALSE(fs::exists(data_ / "evil"));
  EXPECT_TRUE(hidden_entries(data_).empty());
  EXPECT_EQ(*reg_->domain_owner("nassjo.se"), std::nullopt);
}

TEST_F(RegistryTest, LeftoverDirectoryIsRefusedNotDeleted) {
  write_file(data_ / "tenants/ghost/precious.txt", "keep me");
  auto t = reg_->create_tenant("ghost", "Ghost", {});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.err().code, "leftover_directory");
  EXPECT_EQ(read_file(data_ / "tenants/ghost/precious.txt"), "keep me");
  EXPECT_TRUE(hidden_entries(data_).empty());
}

TEST_F(RegistryTest, SuspendAndResumeAreIdempotent) {
  create("eksjo");
  for (int i = 0; i < 2; ++i) {
    auto s = reg_->suspend("eksjo");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state, tenant_state::suspended);
  }
  EXPECT_EQ(reg_->get_tenant("eksjo")->state, tenant_state::suspended);
  EXPECT_EQ(to_string(tenant_state::suspended), "suspended");
  for (int i = 0; i < 2; ++i) {
    auto s = reg_->resume("eksjo");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state, tenant_state::active);
  }
  EXPECT_EQ(reg_->suspend("nope").err().kind, errc::not_found);
  EXPECT_EQ(reg_->resume("nope").err().kind, errc::not_found);
}

TEST_F(RegistryTest, DeleteRemovesEverythingAndFreesSlugAndDomains) {
  auto first = create("eksjo", {"eksjo.se"});
  create("nassjo");
  ASSERT_TRUE(reg_->add_membership("anna@eksjo.se", "eksjo"));
  ASSERT_TRUE(reg_->add_membership("anna@eksjo.se", "nassjo"));
  ASSERT_TRUE(reg_->link("eksjo", "nassjo"));
  ASSERT_TRUE(reg_->create_scim_token("eksjo"));
  write_file(data_ / "tenants/eksjo/files/a/b.txt", "attachment");

  ASSERT_TRUE(reg_->delete_tenant("eksjo"));
  EXPECT_FALSE(fs::exists(data_ / "tenants/eksjo"));
  EXPECT_TRUE(hidden_entries(data_).empty());
  EXPECT_EQ(reg_->get_tenant("eksjo").err().kind, errc::not_found);
  EXPECT_EQ(*reg_->domain_owner("eksjo.se"), std::nullopt);
  EXPECT_EQ(*reg_->memberships("anna@eksjo.se"), std::vector<std::string>{"nassjo"});
  EXPECT_TRUE(reg_->partnerships()->empty());
  EXPECT_EQ(reg_->delete_tenant("eksjo").err().kind, errc::not_found);
  EXPECT_EQ(reg_->usage("eksjo").err().kind, errc::not_found);

  auto again = create("eksjo", {"eksjo.se"});
  EXPECT_GT(again.id, first.id) << "a re-created slug is a new generation";
  EXPECT_FALSE(fs::exists(data_ / "tenants/eksjo/files/a/b.txt"));
  EXPECT_EQ(*reg_->domain_owner("eksjo.se"), std::optional<std::string>("eksjo"));
  EXPECT_FALSE(*reg_->are_partners("eksjo", "nassjo"));
}

TEST_F(RegistryTest, IdsAreNeverReusedEvenForTheNewestTenant) {
  auto a = create("eksjo");
  ASSERT_TRUE(reg_->delete_tenant("eksjo"));
  auto b = create("nassjo");
  EXPECT_GT(b.id, a.id);
}

TEST_F(RegistryTest, Memberships) {
  create("eksjo");
  create("nassjo");
  ASSERT_TRUE(reg_->add_membership("Anna@Eksjo.se", "nassjo"));
  ASSERT_TRUE(reg_->add_membership("anna@eksjo.se", "eksjo"));
  ASSERT_TRUE(reg_->add_membership("anna@eksjo.se", "eksjo"));  // idempotent
  EXPECT_EQ(*reg_->memberships("ANNA@eksjo.se"), (std::vector<std::string>{"eksjo", "nassjo"}));
  EXPECT_TRUE(reg_->memberships("nobody@eksjo.se")->empty());
  EXPECT_EQ(reg_->add_membership("anna@eksjo.se", "nope").err().kind, errc::not_found);
  EXPECT_EQ(reg_->add_membership("not-an-email", "eksjo").err().kind, errc::invalid_input);
  ASSERT_TRUE(reg_->remove_membership("anna@eksjo.se", "nassjo"));
  EXPECT_EQ(reg_->remove_membership("anna@eksjo.se", "nassjo").err().kind, errc::not_found);
  EXPECT_EQ(*reg_->memberships("anna@eksjo.se"), std::vector<std::string>{"eksjo"});
}

TEST_F(RegistryTest, PartnershipsAreSymmetric) {
  create("vetlanda");  // created first: lower id, higher slug
  create("eksjo");
  create("nassjo");
  auto p = reg_->link("vetlanda", "eksjo");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->a, "eksjo");
  EXPECT_EQ(p->b, "vetlanda");
  auto again = reg_->link("eksjo", "vetlanda");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->since_ms, p->since_ms) << "idempotent link returns the existing one";
  EXPECT_TRUE(*reg_->are_partners("eksjo", "vetlanda"));
  EXPECT_TRUE(*reg_->are_partners("vetlanda", "eksjo"));
  EXPECT_FALSE(*reg_->are_partners("eksjo", "nassjo"));
  ASSERT_TRUE(reg_->link("nassjo", "eksjo"));
  auto all = reg_->partnerships();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].a, "eksjo");
  EXPECT_EQ((*all)[0].b, "nassjo");
  EXPECT_EQ((*all)[1].b, "vetlanda");

  EXPECT_EQ(reg_->link("eksjo", "eksjo").err().kind, errc::invalid_input);
  EXPECT_EQ(reg_->link("eksjo", "nope").err().kind, errc::not_found);
  EXPECT_EQ(reg_->unlink("nope", "eksjo").err().kind, errc::not_found);
  ASSERT_TRUE(reg_->unlink("vetlanda", "eksjo"));
  EXPECT_FALSE(*reg_->are_partners("eksjo", "vetlanda"));
  auto twice = reg_->unlink("eksjo", "vetlanda");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.err().code, "not_partners");
}

TEST_F(RegistryTest, RemotePartnershipsRecordThisNodesHalf) {
  create("eksjo");
  create("nassjo");
  auto r = reg_->link_remote("eksjo", "savsjo", "Sävsjö kommun");
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->remote_name, "Sävsjö kommun");
  auto again = reg_->link_remote("eksjo", "savsjo", "Sävsjö");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->since_ms, r->since_ms) << "idempotent; the name follows the partner";
  EXPECT_TRUE(*reg_->are_partners("eksjo", "savsjo"));
  EXPECT_TRUE(*reg_->are_partners("savsjo", "eksjo"));
  EXPECT_FALSE(*reg_->are_partners("nassjo", "savsjo"));
  EXPECT_TRUE(reg_->partnerships()->empty()) << "local pairs only";
  auto all = reg_->remote_partners();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].remote_name, "Sävsjö");

  EXPECT_EQ(reg_->link_remote("eksjo", "nassjo", "N").err().code, "tenant_is_local");
  EXPECT_EQ(reg_->link_remote("eksjo", "eksjo", "E").err().kind, errc::invalid_input);
  EXPECT_EQ(reg_->link_remote("eksjo", "Bad Slug", "B").err().kind, errc::invalid_input);
  EXPECT_EQ(reg_->link_remote("nope", "savsjo", "S").err().kind, errc::not_found);
  EXPECT_EQ(reg_->unlink_remote("nassjo", "savsjo").err().code, "not_partners");
  ASSERT_TRUE(reg_->unlink_remote("eksjo", "savsjo"));
  EXPECT_FALSE(*reg_->are_partners("eksjo", "savsjo"));

  // A stale half naming a tenant that later arrives here is no partnership.
  ASSERT_TRUE(reg_->link_remote("eksjo", "vetlanda", "V"));
  create("vetlanda");
  EXPECT_FALSE(*reg_->are_partners("eksjo", "vetlanda"));
  EXPECT_TRUE(reg_->remote_partners()->empty());

  ASSERT_TRUE(reg_->link_remote("nassjo", "savsjo", "S"));
  ASSERT_TRUE(reg_->delete_tenant("nassjo"));
  EXPECT_TRUE(reg_->remote_partners()->empty()) << "a deleted tenant takes its halves along";
}

TEST_F(RegistryTest, DataVersionSeesOwnAndOtherProcessesCommits) {
  auto v0 = reg_->data_version();
  EXPECT_EQ(reg_->data_version(), v0) << "stable while nothing changes";
  create("eksjo");
  auto v1 = reg_->data_version();
  EXPECT_NE(v1, v0);
  auto other = registry::open(data_);
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->suspend("eksjo"));
  EXPECT_NE(reg_->data_version(), v1);
  EXPECT_EQ(reg_->get_tenant("eksjo")->state, tenant_state::suspended);
}

TEST_F(RegistryTest, ScimTokens) {
  create("eksjo");
  create("nassjo");
  auto token = reg_->create_scim_token("eksjo");
  ASSERT_TRUE(token);
  EXPECT_GE(token->size(), 40u);
  EXPECT_TRUE(*reg_->verify_scim_token("eksjo", *token));
  EXPECT_FALSE(*reg_->verify_scim_token("nassjo", *token)) << "bound to its tenant";
  EXPECT_FALSE(*reg_->verify_scim_token("eksjo", "wrong"));
  EXPECT_EQ(reg_->create_scim_token("nope").err().kind, errc::not_found);
}

// --- Export / import --------------------------------------------------------------------------

// Every news item of a store, oldest first, read through an admin's scope=all feed.
std::vector<tenant::news_item> all_news(tenant::store& s, const tenant::viewer& v) {
  std::vector<tenant::news_item> out;
  std::optional<std::string> cursor;
  for (;;) {
    auto page = s.list_news(v, tenant::news_scope::all, 100, cursor);
    EXPECT_TRUE(page) << page.err().message;
    if (!page) break;
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (!page->next_cursor) break;
    cursor = page->next_cursor;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

class ExportTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    create("eksjo", {"eksjo.se"});
    store_ = open_store("eksjo");
    ASSERT_TRUE(store_);
    ASSERT_TRUE(store_->add_unit("Kommunledning", std::nullopt));
    ASSERT_TRUE(store_->add_unit("Skola", std::string_view("Kommunledning")));
    tenant::new_user admin;
    admin.email = "admin@eksjo.se";
    admin.name = "Admin Adminsson";
    admin.roles = tenant::bit(tenant::role::employee) | tenant::bit(tenant::role::admin) |
                  tenant::bit(tenant::role::editor);
    admin.units = {"Kommunledning"};
    admin.password = "correct horse battery";
    ASSERT_TRUE(store_->add_user(admin));
    tenant::new_user guest;
    guest.email = "guest@nassjo.se";
    guest.name = "Gäst";
    guest.units = {"Skola"};
    ASSERT_TRUE(store_->add_user(guest));
    auto v = store_->viewer_for("admin@eksjo.se");
    ASSERT_TRUE(v);
    admin_ = *v;
    for (int i = 0; i < 3; ++i) publish("Nyhet " + std::to_string(i));
    write_file(data_ / "tenants/eksjo/files/2026/report.pdf", std::string(100'000, 'P'));
    write_file(data_ / "tenants/eksjo/files/top.txt", "top");
  }
  void TearDown() override {
    store_.reset();
    RegistryTest::TearDown();
  }

  void publish(const std::string& title) {
    tenant::news_draft d;
    d.title = title;
    d.summary = "Sammanfattning";
    d.body = "<p>Brödtext för " + title + "</p>";
    d.target.units = {"Skola"};
    auto n = store_->create_news(admin_, d);
    ASSERT_TRUE(n) << n.err().message;
  }

  std::shared_ptr<tenant::store> store_;
  tenant::viewer admin_;
};

void expect_same_news(const std::vector<tenant::news_item>& a,
                      const std::vector<tenant::news_item>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].title, b[i].title);
    EXPECT_EQ(a[i].summary, b[i].summary);
    EXPECT_EQ(a[i].body, b[i].body);
    EXPECT_EQ(a[i].published_at_ms, b[i].published_at_ms);
    EXPECT_EQ(a[i].author_name, b[i].author_name);
    EXPECT_EQ(a[i].target.units, b[i].target.units);
  }
}

TEST_F(ExportTest, RoundTripAsAnotherSlug) {
  for (const char* name : {"eksjo.tar", "eksjo.tar.gz"}) {
    SCOPED_TRACE(name);
    auto out = root_ / name;
    auto m = reg_->export_tenant("eksjo", out);
    ASSERT_TRUE(m) << m.err().message;
    EXPECT_EQ(m->slug, "eksjo");
    EXPECT_EQ(m->domains, std::vector<std::string>{"eksjo.se"});
    EXPECT_EQ(m->schema_version, tenant::current_schema_version());
    EXPECT_TRUE(fs::is_regular_file(out));
    EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
    EXPECT_TRUE(hidden_entries(data_).empty());
  }
  // gzip really compresses the 100 kB of 'P'.
  EXPECT_LT(fs::file_size(root_ / "eksjo.tar.gz"), fs::file_size(root_ / "eksjo.tar") / 2);

  auto imported = reg_->import_tenant(root_ / "eksjo.tar.gz", std::string_view("kopia"));
  ASSERT_TRUE(imported) << imported.err().message;
  EXPECT_EQ(imported->tenant.slug, "kopia");
  EXPECT_EQ(imported->tenant.name, "Tenant eksjo");
  EXPECT_TRUE(imported->tenant.domains.empty());
  EXPECT_EQ(imported->skipped_domains, std::vector<std::string>{"eksjo.se"});
  EXPECT_NE(imported->tenant.id, reg_->get_tenant("eksjo")->id);
  EXPECT_TRUE(hidden_entries(data_).empty());

  auto copy = open_store("kopia");
  ASSERT_TRUE(copy);
  auto units_a = *store_->list_units();
  auto units_b = *copy->list_units();
  ASSERT_EQ(units_a.size(), units_b.size());
  for (std::size_t i = 0; i < units_a.size(); ++i) {
    EXPECT_EQ(units_a[i].name, units_b[i].name);
    EXPECT_EQ(units_a[i].parent_id, units_b[i].parent_id);
  }
  auto users_a = *store_->list_users();
  auto users_b = *copy->list_users();
  ASSERT_EQ(users_a.size(), users_b.size());
  for (std::size_t i = 0; i < users_a.size(); ++i) {
    EXPECT_EQ(users_a[i].email, users_b[i].email);
    EXPECT_EQ(users_a[i].name, users_b[i].name);
    EXPECT_EQ(users_a[i].roles, users_b[i].roles);
    EXPECT_EQ(users_a[i].units, users_b[i].units);
    EXPECT_EQ(users_a[i].has_password, users_b[i].has_password);
  }
  EXPECT_TRUE(copy->verify_password("admin@eksjo.se", "correct horse battery"));
  auto v = copy->viewer_for("admin@eksjo.se");
  ASSERT_TRUE(v);
  expect_same_news(all_news(*store_, admin_), all_news(*copy, *v));
  EXPECT_EQ(read_file(data_ / "tenants/kopia/files/2026/report.pdf"), std::string(100'000, 'P'));
  EXPECT_EQ(read_file(data_ / "tenants/kopia/files/top.txt"), "top");
  // Everyone in the imported store holds a membership there.
  EXPECT_EQ(*reg_->memberships("guest@nassjo.se"), (std::vector<std::string>{"kopia"}));
  EXPECT_EQ(*reg_->memberships("admin@eksjo.se"), (std::vector<std::string>{"kopia"}));

  // Under its own slug: taken, nothing changes.
  auto taken = reg_->import_tenant(root_ / "eksjo.tar", std::nullopt);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.err().code, "slug_taken");
  auto taken_as = reg_->import_tenant(root_ / "eksjo.tar", std::string_view("kopia"));
  ASSERT_FALSE(taken_as);
  EXPECT_EQ(taken_as.err().code, "slug_taken");
  EXPECT_EQ(reg_->list_tenants()->size(), 2u);
  EXPECT_TRUE(hidden_entries(data_).empty());

  // After the original is deleted, a plain import restores it with its domains.
  store_.reset();
  ASSERT_TRUE(reg_->delete_tenant("eksjo"));
  auto restored = reg_->import_tenant(root_ / "eksjo.tar", std::nullopt);
  ASSERT_TRUE(restored) << restored.err().message;
  EXPECT_EQ(restored->tenant.slug, "eksjo");
  EXPECT_EQ(restored->tenant.domains, std::vector<std::string>{"eksjo.se"});
  EXPECT_TRUE(restored->skipped_domains.empty());
}

TEST_F(ExportTest, ExportIsConsistentWhileTheServerWrites) {
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {  // the "server", with a store handle of its own
    auto s = open_store("eksjo");
    auto v = s->viewer_for("admin@eksjo.se");
    for (int i = 0; !stop && v; ++i) {
      tenant::news_draft d;
      d.title = "Löpande " + std::to_string(i);
      d.body = "<p>" + std::string(500, 'x') + "</p>";
      if (s->create_news(*v, d)) ++written;
    }
    stop = true;
  });
  // Waits until the writer got `n` items in (false if it gave up or 60 s passed).
  auto wait_for = [&](int n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (written < n && !stop && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return written >= n;
  };
  EXPECT_TRUE(wait_for(20));
  const auto before = all_news(*store_, admin_).size();
  auto out = root_ / "live.tar";
  auto m = reg_->export_tenant("eksjo", out);
  EXPECT_TRUE(wait_for(written + 5)) << "the source moves on after the export";
  stop = true;
  writer.join();
  ASSERT_TRUE(m) << m.err().message;

  auto imported = reg_->import_tenant(out, std::string_view("snapshot"));
  ASSERT_TRUE(imported) << imported.err().message;
  auto copy = open_store("snapshot");
  auto v = copy->viewer_for("admin@eksjo.se");
  ASSERT_TRUE(v);
  auto got = all_news(*copy, *v);
  auto source = all_news(*store_, admin_);
  // The snapshot is a prefix of the source: everything written before the export started, and
  // each item identical to the original.
  EXPECT_GE(got.size(), before);
  ASSERT_LT(got.size(), source.size());
  source.resize(got.size());
  expect_same_news(source, got);
}

TEST_F(ExportTest, ExportRefusesUnknownTenantAndDirectoryTarget) {
  EXPECT_EQ(reg_->export_tenant("nope", root_ / "x.tar").err().kind, errc::not_found);
  fs::create_directory(root_ / "dir.tar");
  EXPECT_FALSE(reg_->export_tenant("eksjo", root_ / "dir.tar"));
  EXPECT_TRUE(fs::is_directory(root_ / "dir.tar"));
  EXPECT_FALSE(reg_->export_tenant("eksjo", root_ / "missing/dir/x.tar"));
  EXPECT_TRUE(hidden_entries(data_).empty());
}

// --- Hostile archives -------------------------------------------------------------------------

struct entry_spec {
  std::string name;
  enum kind_t { file, dir, symlink, hardlink, chardev } kind = file;
  std::string data;  // file contents, or the link target
};

// Writes a tar archive holding `entries` (libarchive, as an attacker could).
void write_tar(const fs::path& out, const std::vector<entry_spec>& entries) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK);
  for (const auto& s : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, s.name.c_str());
    archive_entry_set_perm(e, 0644);
    switch (s.kind) {
      case entry_spec::file:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(s.data.size()));
        break;
      case entry_spec::dir:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case entry_spec::symlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, s.data.c_str());
        break;
      case entry_spec::hardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, s.data.c_str());
        break;
      case entry_spec::chardev:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, 0x0103);
        break;
    }
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (s.kind == entry_spec::file && !s.data.empty())
      archive_write_data(a, s.data.data(), s.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::string manifest(std::string_view slug, int schema,
                     std::string_view format = "samverka-tenant-export/1") {
  boost::json::object o;
  o["format"] = format;
  o["slug"] = slug;
  o["name"] = "Crafted";
  o["domains"] = boost::json::array{"crafted.se"};
  o["schema_version"] = schema;
  o["exported_at"] = "2026-11-18T09:46:40Z";
  return boost::json::serialize(o);
}

class HostileImportTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    auto dir = root_ / "fresh-store";
    ASSERT_TRUE(tenant::create_store(dir));
    db_ = read_file(dir / "tenant.sqlite");
    ASSERT_FALSE(db_.empty());
  }

  // Imports an archive of `entries`; returns the failure, checking nothing was left behind.
  error refused(const std::vector<entry_spec>& entries) {
    auto path = root_ / "crafted.tar";
    fs::remove(path);
    write_tar(path, entries);
    auto r = reg_->import_tenant(path, std::nullopt);
    EXPECT_FALSE(r);
    EXPECT_TRUE(reg_->list_tenants()->empty());
    EXPECT_TRUE(hidden_entries(data_).empty());
    EXPECT_FALSE(fs::exists(data_ / "tenants/crafted"));
    for (const auto& p : {root_ / "evil.txt", data_ / "evil.txt", data_ / "tenants/evil.txt",
                          fs::path("/tmp/samverka-evil.txt")})
      EXPECT_FALSE(fs::exists(p)) << p;
    return r ? error{} : r.err();
  }

  std::string db_;
};

TEST_F(HostileImportTest, AValidCraftedArchiveImports) {
  auto path = root_ / "ok.tar";
  write_tar(path, {{"manifest.json", entry_spec::file, manifest("crafted", 1)},
                   {"./tenant.sqlite", entry_spec::file, db_},
                   {"files/", entry_spec::dir, ""},
                   {"files/a/b.txt", entry_spec::file, "b"}});
  auto r = reg_->import_tenant(path, std::nullopt);
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->tenant.slug, "crafted");
  EXPECT_EQ(r->tenant.domains, std::vector<std::string>{"crafted.se"});
  EXPECT_EQ(read_file(data_ / "tenants/crafted/files/a/b.txt"), "b");
}

TEST_F(HostileImportTest, RejectsUnsafeEntries) {
  const entry_spec good_manifest{"manifest.json", entry_spec::file, manifest("crafted", 1)};
  const entry_spec good_db{"tenant.sqlite", entry_spec::file, db_};
  const std::vector<entry_spec> bad = {
      {"files/../../evil.txt", entry_spec::file, "x"},
      {"../evil.txt", entry_spec::file, "x"},
      {"files/../../../evil.txt", entry_spec::file, "x"},
      {"/tmp/samverka-evil.txt", entry_spec::file, "x"},
      {"files/./x.txt", entry_spec::file, "x"},
      {"files//x.txt", entry_spec::file, "x"},
      {"files/link", entry_spec::symlink, "/etc/passwd"},
      {"files/link", entry_spec::symlink, "../../evil.txt"},
      {"files/hard", entry_spec::hardlink, "/etc/passwd"},
      {"files/dev", entry_spec::chardev, ""},
      {"evil.txt", entry_spec::file, "x"},
      {"tenant.sqlite-wal", entry_spec::file, "x"},
      {"tenant.sqlite", entry_spec::file, "duplicate"},
      {"manifest.json", entry_spec::file, "{}"},
  };
  for (const auto& e : bad) {
    SCOPED_TRACE(e.name);
    auto err = refused({good_manifest, good_db, e});
    EXPECT_EQ(err.kind, errc::invalid_input) << err.message;
  }
  // A symlink first, then a file written "through" it.
  auto err = refused({good_manifest,
                      good_db,
                      {"files/d", entry_spec::symlink, "/tmp"},
                      {"files/d/samverka-evil.txt", entry_spec::file, "x"}});
  EXPECT_EQ(err.kind, errc::invalid_input);
}

TEST_F(HostileImportTest, RejectsBadManifests) {
  const entry_spec db{"tenant.sqlite", entry_spec::file, db_};
  EXPECT_EQ(refused({db}).kind, errc::invalid_input);  // no manifest
  EXPECT_EQ(refused({{"manifest.json", entry_spec::file, manifest("crafted", 1)}}).kind,
            errc::invalid_input);  // no database
  EXPECT_EQ(
      refused({{"manifest.json", entry_spec::file, manifest("crafted", 1, "zip/1")}, db}).kind,
      errc::invalid_input);
  EXPECT_EQ(refused({{"manifest.json", entry_spec::file, manifest("Bad Slug", 1)}, db}).kind,
            errc::invalid_input);
  EXPECT_EQ(refused({{"manifest.json", entry_spec::file, "not json"}, db}).kind,
            errc::invalid_input);
  EXPECT_EQ(refused({{"manifest.json", entry_spec::file, std::string(2 << 20, ' ')}, db}).kind,
            errc::invalid_input);

  auto newer = refused({{"manifest.json", entry_spec::file,
                         manifest("crafted", tenant::current_schema_version() + 1)},
                        db});
  EXPECT_EQ(newer.kind, errc::conflict);
  EXPECT_EQ(newer.code, "schema_too_new");
}

TEST_F(HostileImportTest, RejectsADatabaseNewerThanItsManifestSays) {
  auto dir = root_ / "newer-store";
  ASSERT_TRUE(tenant::create_store(dir));
  set_user_version(dir / "tenant.sqlite", tenant::current_schema_version() + 1);
  auto err = refused({{"manifest.json", entry_spec::file, manifest("crafted", 1)},
                      {"tenant.sqlite", entry_spec::file, read_file(dir / "tenant.sqlite")}});
  EXPECT_EQ(err.kind, errc::conflict);
  EXPECT_EQ(err.code, "schema_too_new");
}

TEST_F(HostileImportTest, RejectsADatabaseThatIsNotOne) {
  auto err = refused({{"manifest.json", entry_spec::file, manifest("crafted", 1)},
                      {"tenant.sqlite", entry_spec::file, std::string(8192, 'z')}});
  EXPECT_EQ(err.kind, errc::invalid_input) << err.message;
}

TEST_F(HostileImportTest, RejectsGarbageAndMissingFiles) {
  write_file(root_ / "garbage.tar", "this is not a tar archive at all");
  auto r = reg_->import_tenant(root_ / "garbage.tar", std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().kind, errc::invalid_input);
  EXPECT_EQ(reg_->import_tenant(root_ / "absent.tar", std::nullopt).err().kind, errc::not_found);
  EXPECT_EQ(reg_->import_tenant(root_ / "garbage.tar", std::string_view("Bad")).err().kind,
            errc::invalid_input);
  EXPECT_TRUE(hidden_entries(data_).empty());
}

// --- migrate_all ------------------------------------------------------------------------------

TEST_F(RegistryTest, MigrateAllBringsEveryStoreToTheCurrentSchema) {
  create("eksjo");
  create("nassjo");
  // An empty database file is a store at version 0.
  auto db = data_ / "tenants/nassjo/tenant.sqlite";
  fs::remove(db);
  fs::remove(db.string() + "-wal");
  fs::remove(db.string() + "-shm");
  write_file(db, "");
  EXPECT_EQ(reg_->usage("nassjo")->schema_version, 0);

  auto r = reg_->migrate_all();
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(*r, (std::vector<std::pair<std::string, int>>{
                    {"eksjo", tenant::current_schema_version()}, {"nassjo", 0}}));
  EXPECT_EQ(reg_->usage("nassjo")->schema_version, tenant::current_schema_version());
  EXPECT_TRUE(open_store("nassjo"));

  // A store newer than this build fails (named), the others still migrate.
  set_user_version(data_ / "tenants/eksjo/tenant.sqlite", tenant::current_schema_version() + 1);
  auto failed = reg_->migrate_all();
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.err().message.find("eksjo"), std::string::npos) << failed.err().message;
}

TEST(RegistryOpen, RefusesANewerRegistry) {
  auto root = make_temp_dir();
  { ASSERT_TRUE(registry::open(root)); }
  set_user_version(root / "registry.sqlite", 999);
  auto r = registry::open(root);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, "schema_too_new");
  fs::remove_all(root);
}

}  // namespace
}  // namespace samverka::provisioning
