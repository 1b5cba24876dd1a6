// Unit tests of the registry's tenant-move transactions: the source unregisters a tenant and
// records its staying partners' cross-node halves at once; the target imports it and settles its
// partnerships at once (a pair only where the partner holds the mirror half). A second
// connection polling meanwhile never sees a partnership missing.
#include "samverka/provisioning/registry.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <set>
#include <thread>

namespace samverka::provisioning {
namespace {

namespace fs = std::filesystem;

fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "samverka-move-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

// A second connection (the sharing relay's view) asking whether a and b are partners, over and
// over on its own thread, from construction (once it has polled) until stop(), which returns
// how many polls saw no partnership.
class partner_watch {
 public:
  partner_watch(const fs::path& dir, std::string a, std::string b) {
    auto r = registry::open(dir);
    if (!r) throw std::runtime_error(r.err().message);
    reg_ = *r;
    thread_ = std::thread([this, a = std::move(a), b = std::move(b)] {
      while (!done_) {
        auto p = reg_->are_partners(a, b);
        if (p && !*p) ++gaps_;
        ++polls_;
      }
    });
    while (polls_ == 0) std::this_thread::yield();
  }
  ~partner_watch() { stop(); }
  int stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return gaps_;
  }

 private:
  std::shared_ptr<registry> reg_;
  std::atomic<bool> done_{false};
  std::atomic<int> gaps_{0}, polls_{0};
  std::thread thread_;
};

class RegistryMoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir();
    auto r = registry::open(root_ / "node");
    ASSERT_TRUE(r) << r.err().message;
    reg_ = *r;
  }
  void TearDown() override {
    reg_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void create(const std::string& slug) {
    auto t = reg_->create_tenant(slug, "Kommun " + slug, {slug + ".se"});
    ASSERT_TRUE(t) << t.err().message;
  }
  std::vector<remote_partnership> halves() {
    auto r = reg_->remote_partners();
    EXPECT_TRUE(r);
    return r ? *r : std::vector<remote_partnership>{};
  }
  // An export of tenant `slug` made on another node.
  fs::path archive_of(const std::string& slug) {
    auto other = registry::open(root_ / "elsewhere");
    EXPECT_TRUE(other);
    auto t = (*other)->create_tenant(slug, "Kommun " + slug, {slug + ".se"});
    EXPECT_TRUE(t);
    const auto out = root_ / (slug + ".tar");
    auto m = (*other)->export_tenant(slug, out);
    EXPECT_TRUE(m) << (m ? "" : m.err().message);
    return out;
  }

  fs::path root_;
  std::shared_ptr<registry> reg_;
};

TEST_F(RegistryMoveTest, LeavingKeepsTheStayingPartnersAsCrossNodeHalves) {
  create("eksjo");
  create("savsjo");
  create("nassjo");
  ASSERT_TRUE(reg_->link("eksjo", "savsjo"));
  ASSERT_TRUE(reg_->link_remote("eksjo", "tranas", "Tranås"));
  auto pairs = reg_->partnerships();
  ASSERT_TRUE(pairs);
  ASSERT_EQ(pairs->size(), 1u);
  const auto since = pairs->front().since_ms;

  // A second connection (the sharing relay's view) polls while the tenant leaves.
  partner_watch watch(root_ / "node", "savsjo", "eksjo");
  const auto before = reg_->data_version();
  auto d = reg_->delete_tenant_keeping_partners(
      "eksjo", {{"savsjo", "eksjo", "Kommun eksjo", since},
                {"gone", "eksjo", "x", 0},      // not registered: skipped
                {"nassjo", "other", "x", 0}});  // not a half of the leaving tenant: skipped
  ASSERT_TRUE(d) << d.err().message;
  EXPECT_EQ(reg_->data_version(), before + 1) << "one commit";
  EXPECT_EQ(watch.stop(), 0) << "the partnership was seen missing";

  EXPECT_FALSE(reg_->get_tenant("eksjo"));
  auto h = halves();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].local, "savsjo");
  EXPECT_EQ(h[0].remote, "eksjo");
  EXPECT_EQ(h[0].remote_name, "Kommun eksjo");
  EXPECT_EQ(h[0].since_ms, since) << "the partnership keeps its age";
  EXPECT_TRUE(reg_->partnerships()->empty());
  EXPECT_FALSE(fs::exists(root_ / "node" / "tenants" / "eksjo")) << "files removed as by delete";
  EXPECT_FALSE(reg_->delete_tenant_keeping_partners("eksjo", {}));
}

TEST_F(RegistryMoveTest, ArrivalPairsOnlyWithPartnersHoldingTheMirrorHalf) {
  create("savsjo");    // holds the mirror half: becomes a local pair
  create("nassjo");    // listed by the source, but no half here: one-sided, no pair
  create("vetlanda");  // a stale half naming the tenant, not listed: dropped
  ASSERT_TRUE(reg_->link_remote("savsjo", "eksjo", "Eksjö"));
  ASSERT_TRUE(reg_->link_remote("vetlanda", "eksjo", "Eksjö"));
  ASSERT_TRUE(reg_->link_remote("savsjo", "tranas", "Tranås"));  // unrelated, kept
  const auto archive = archive_of("eksjo");

  partner_watch watch(root_ / "node", "savsjo", "eksjo");
  std::vector<remote_partnership> dropped;
  auto imp = reg_->import_moved_tenant(
      archive, "eksjo",
      {{"savsjo", "Sävsjö"}, {"nassjo", "Nässjö"}, {"tranas", "Tranås"}, {"eksjo", "self"}},
      dropped);
  const int gaps = watch.stop();
  ASSERT_TRUE(imp) << imp.err().message;
  EXPECT_EQ(gaps, 0) << "the partnership was seen missing";

  auto pairs = reg_->partnerships();
  ASSERT_TRUE(pairs);
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ(pairs->front().a, "eksjo");
  EXPECT_EQ(pairs->front().b, "savsjo");
  EXPECT_FALSE(*reg_->are_partners("eksjo", "nassjo")) << "a one-sided half never becomes a pair";
  EXPECT_FALSE(*reg_->are_partners("eksjo", "vetlanda"));
  EXPECT_TRUE(*reg_->are_partners("eksjo", "tranas")) << "a partner on another node";
  auto h = halves();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].local, "eksjo");
  EXPECT_EQ(h[0].remote, "tranas");
  EXPECT_EQ(h[1].local, "savsjo");
  EXPECT_EQ(h[1].remote, "tranas");
  ASSERT_EQ(dropped.size(), 2u);
  std::set<std::string> from;
  for (const auto& r : dropped) {
    EXPECT_EQ(r.remote, "eksjo");
    from.insert(r.local);
  }
  EXPECT_EQ(from, (std::set<std::string>{"savsjo", "vetlanda"}));

  // Undoing the arrival (the move failed after the import) restores every half it dropped.
  ASSERT_TRUE(reg_->delete_tenant_keeping_partners("eksjo", dropped));
  EXPECT_FALSE(reg_->get_tenant("eksjo"));
  EXPECT_FALSE(fs::exists(root_ / "node" / "tenants" / "eksjo"));
  EXPECT_TRUE(reg_->partnerships()->empty());
  EXPECT_TRUE(*reg_->are_partners("savsjo", "eksjo"));
  EXPECT_TRUE(*reg_->are_partners("vetlanda", "eksjo"));
  EXPECT_FALSE(*reg_->are_partners("nassjo", "eksjo"));
  EXPECT_EQ(halves().size(), 3u);
}

TEST_F(RegistryMoveTest, ArrivalRefusedChangesNothing) {
  create("eksjo");  // the slug is taken here
  create("savsjo");
  ASSERT_TRUE(reg_->link_remote("savsjo", "tranas", "Tranås"));
  const auto archive = archive_of("eksjo");
  std::vector<remote_partnership> dropped{{"x", "y", "z", 1}};
  auto imp = reg_->import_moved_tenant(archive, "eksjo", {{"savsjo", "Sävsjö"}}, dropped);
  ASSERT_FALSE(imp);
  EXPECT_TRUE(dropped.empty());
  EXPECT_TRUE(reg_->partnerships()->empty());
  EXPECT_EQ(halves().size(), 1u);
}

}  // namespace
}  // namespace samverka::provisioning
