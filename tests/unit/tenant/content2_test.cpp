// Store-level tests of the second content round: the files a shared revision lists, their copy
// into the receiver, the rewriting of every URL form, and refusals that change nothing.
#include <gtest/gtest.h>

#include <fstream>

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
  u.name = "Redaktör";
  u.roles = bit(role::employee) | bit(role::editor);
  return must(s.viewer_for(must(s.add_user(u)).id));
}

class files_travel : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto* slug : {"eksjo", "savsjo"}) must(create_store(dir.path() / slug));
    src = must(store::open("eksjo", dir.path() / "eksjo"));
    dst = must(store::open("savsjo", dir.path() / "savsjo"));
    ed = editor_of(*src, "editor@eksjo.se");
    dst_ed = editor_of(*dst, "editor@savsjo.se");
  }
  std::int64_t upload(const std::string& name, const std::string& bytes) {
    const auto p = dir.path() / ("upload-" + name);
    std::ofstream(p, std::ios::binary) << bytes;
    return must(src->create_document(ed, name, document_upload{name, "text/plain", p, {}})).id;
  }
  // The pending delivery to savsjo as the relay would build it.
  share_message next_message() {
    auto jobs = must(src->due_outbox(0, true, 10));
    EXPECT_EQ(jobs.size(), 1u);
    share_message m{"eksjo", "Eksjö kommun", share_via::push,
                    jobs.empty() ? share_payload{} : jobs.front().payload};
    if (!jobs.empty()) must(src->outbox_delivered(jobs.front().id));
    return m;
  }
  void carry(const share_message& m) {
    for (const auto& f : m.payload.files)
      must(dst->receive_shared_file(must(src->shared_file_path(f)), f));
  }
  temp_dir dir;
  std::shared_ptr<store> src, dst;
  viewer ed, dst_ed;
};

TEST_F(files_travel, EveryUrlFormIsCarriedOrEmptied) {
  const auto a = upload("a.txt", "A"), b = upload("b.txt", "B"), c = upload("c.txt", "C");
  const auto gone = upload("gone.txt", "G");
  must(src->delete_document(ed, gone));
  news_draft d;
  d.title = "Filer";
  d.body =
      "<p><a href=\"/api/v1/documents/" + std::to_string(a) +
      "\">a</a> <a href=\"https://eksjo.example.se/t/eksjo/api/v1/documents/" + std::to_string(b) +
      "/content?version=1\">b</a> <a href=\"/t/vetlanda/api/v1/documents/" + std::to_string(c) +
      "/content\">other tenant</a> <a href=\"/api/v1/documents/" + std::to_string(gone) +
      "/content\">deleted</a> <a href=\"https://example.org/\">web</a></p>";
  d.attachments = {c};
  auto n = must(src->create_shared_news(ed, d, {"savsjo"}, false));
  EXPECT_EQ(n.attachments, std::vector<std::int64_t>{c});

  auto m = next_message();
  EXPECT_EQ(m.payload.attachments, std::vector<std::int64_t>{c});
  ASSERT_EQ(m.payload.files.size(), 3u);  // c (attachment), a, b; not the deleted one
  carry(m);
  EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::created);
  auto inbox = must(dst->sharing_inbox(dst_ed));
  ASSERT_EQ(inbox.size(), 1u);
  const auto& body = inbox.front().news.body;
  EXPECT_EQ(body.find("eksjo"), std::string::npos) << body;
  EXPECT_EQ(body.find("vetlanda"), std::string::npos) << body;
  EXPECT_NE(body.find("https://example.org/"), std::string::npos) << body;  // not a document
  std::size_t ours = 0;
  for (auto p = body.find("/t/savsjo/api/v1/documents/"); p != std::string::npos;
       p = body.find("/t/savsjo/api/v1/documents/", p + 1))
    ++ours;
  EXPECT_EQ(ours, 2u) << body;  // a and b
  ASSERT_EQ(inbox.front().news.attachments.size(), 1u);
  const auto local_c = inbox.front().news.attachments.front();
  auto [version, path] = must(dst->open_document(dst_ed, local_c, std::nullopt));
  std::ifstream in(path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, "C");
  EXPECT_EQ(version.file_name, "c.txt");
  // Copy files are not in the receiver's search index.
  search_query q;
  q.text = "c.txt";
  EXPECT_TRUE(must(dst->search(dst_ed, q)).empty());

  // Redelivering the same revision changes nothing; no second document is made.
  const auto listed = must(dst->list_documents(dst_ed, {})).items.size();
  EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::stale);
  EXPECT_EQ(must(dst->list_documents(dst_ed, {})).items.size(), listed);
}

TEST_F(files_travel, MissingOrForgedFilesAreRefusedAndChangeNothing) {
  const auto a = upload("a.txt", "A");
  news_draft d;
  d.title = "Filer";
  d.body = "<p>x</p>";
  d.attachments = {a};
  must(src->create_shared_news(ed, d, {"savsjo"}, false));
  auto m = next_message();
  ASSERT_EQ(m.payload.files.size(), 1u);
  // Not copied yet: unavailable, nothing applied.
  auto r = dst->sharing_apply(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, "shared_file_missing");
  EXPECT_TRUE(must(dst->sharing_inbox(dst_ed)).empty());
  // A hash that does not match the bytes is refused on receipt.
  auto forged = m.payload.files.front();
  forged.sha256 = std::string(64, 'a');
  EXPECT_FALSE(src->shared_file_path(forged));
  const auto real = must(src->shared_file_path(m.payload.files.front()));
  auto bad = dst->receive_shared_file(real, forged);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().code, "shared_file_mismatch");
  forged.sha256 = "../../etc";
  EXPECT_FALSE(dst->receive_shared_file(real, forged));
  // Attachments must be this tenant's readable, tenant-wide documents.
  news_draft bad_draft = d;
  bad_draft.attachments = {a, a};
  EXPECT_FALSE(src->create_news(ed, bad_draft));
  bad_draft.attachments = {a + 100};
  auto e = src->create_news(ed, bad_draft);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.err().code, "invalid_attachment");
}

TEST_F(files_travel, AHashAloneCannotMakeTheReceiversOwnFileACopyDocument) {
  const auto a = upload("a.txt", "A");
  news_draft d;
  d.title = "Filer";
  d.body = "<p>x</p>";
  d.attachments = {a};
  must(src->create_shared_news(ed, d, {"savsjo"}, false));
  auto m = next_message();
  ASSERT_EQ(m.payload.files.size(), 1u);
  const auto source_bytes = must(src->shared_file_path(m.payload.files.front()));
  // The receiver already holds other bytes (e.g. a closed group's file); a payload naming their
  // hash with the source's file behind it is refused, although the receiver needs no copy.
  const auto p = dir.path() / "secret.txt";
  std::ofstream(p, std::ios::binary) << "SECRET";
  const auto secret = must(dst->create_document(dst_ed, "secret", {"s.txt", "text/plain", p, {}}));
  auto forged = m.payload.files.front();
  forged.sha256 = secret.versions.front().sha256;
  expect_error(dst->receive_shared_file(source_bytes, forged), errc::invalid_input,
               "shared_file_mismatch");
  // A symlink in the source's files is never followed.
  const auto link = dir.path() / "link";
  std::filesystem::create_symlink(source_bytes, link);
  EXPECT_FALSE(dst->receive_shared_file(link, m.payload.files.front()));
  // The receiver counts the size of the bytes it holds, not the size the payload claims.
  carry(m);
  m.payload.files.front().size = 0;
  m.payload.files.front().content_type = "text/html\r\nX-Injected: 1";  // served as a header
  EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::created);
  auto inbox = must(dst->sharing_inbox(dst_ed));
  ASSERT_EQ(inbox.size(), 1u);
  ASSERT_EQ(inbox.front().news.attachments.size(), 1u);
  auto [version, path] =
      must(dst->open_document(dst_ed, inbox.front().news.attachments.front(), std::nullopt));
  EXPECT_EQ(version.size, 1u);
  EXPECT_EQ(version.content_type, "application/octet-stream");
}

TEST_F(files_travel, LongUrlsInABodyAreScannedWithoutCrashing) {
  const auto a = upload("a.txt", "A");
  const std::string long_path = "/" + std::string(300000, 'x');
  news_draft d;
  d.title = "Lång länk";
  d.body = "<p><a href=\"" + long_path + "\">long</a> <a href=\"/api/v1/documents/" +
           std::to_string(a) + "\">a</a></p>";
  auto n = must(src->create_shared_news(ed, d, {"savsjo"}, false));
  ASSERT_NE(n.body.find(long_path), std::string::npos);  // the sanitiser keeps it
  auto m = next_message();
  ASSERT_EQ(m.payload.files.size(), 1u);
  carry(m);
  EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::created);
  auto inbox = must(dst->sharing_inbox(dst_ed));
  ASSERT_EQ(inbox.size(), 1u);
  const auto& body = inbox.front().news.body;
  EXPECT_NE(body.find(long_path), std::string::npos);
  EXPECT_NE(body.find("/t/savsjo/api/v1/documents/"), std::string::npos) << body.size();
}

TEST_F(files_travel, ANonMembersGroupUploadLeavesNoFileBehind) {
  auto g = must(src->create_group(ed, group_draft{"Styrgrupp", "", group_kind::closed}));
  new_user u;
  u.email = "anna@eksjo.se";
  u.name = "Anna";
  const auto anna = must(src->viewer_for(must(src->add_user(u)).id));
  auto blobs = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir.path() / "eksjo", ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file() && it->path().parent_path().parent_path().filename() == "sha256")
        ++n;
    return n;
  };
  const auto before = blobs();
  const auto p = dir.path() / "upload-probe";
  std::ofstream(p, std::ios::binary) << "probe";
  expect_error(src->create_document(anna, "x", document_upload{"x.txt", "text/plain", p, g.id}),
               errc::not_found, "unknown_group");
  EXPECT_EQ(blobs(), before);
}

}  // namespace
}  // namespace samverka::tenant
