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

// ---- A copy's files take the receiver's quota only while the copy is live ---------------------

class copy_files : public files_travel {
 protected:
  // Shares a news item whose body shows document `a` and which has it attached; returns the
  // delivery, already carried to savsjo.
  share_message offer(std::int64_t a) {
    news_draft d;
    d.title = "Med bild";
    d.body = "<p><img src=\"/api/v1/documents/" + std::to_string(a) + "/content\"></p>";
    d.attachments = {a};
    news = must(src->create_shared_news(ed, d, {"savsjo"}, false)).id;
    auto m = next_message();
    carry(m);
    return m;
  }
  shared_copy only_copy() {
    auto inbox = must(dst->sharing_inbox(dst_ed));
    EXPECT_EQ(inbox.size(), 1u);
    return inbox.empty() ? shared_copy{} : inbox.front();
  }
  std::size_t documents_at_receiver() { return must(dst->list_documents(dst_ed, {})).items.size(); }
  std::string read(std::int64_t id) {
    auto [version, path] = must(dst->open_document(dst_ed, id, std::nullopt));
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  std::int64_t news = 0;
};

TEST_F(copy_files, ADeclinedOfferReleasesItsFilesAndLaterUpdatesAddNone) {
  const auto a = upload("a.txt", "A");
  EXPECT_EQ(must(dst->sharing_apply(offer(a))), apply_outcome::created);
  const auto k = only_copy();
  ASSERT_EQ(k.news.attachments.size(), 1u);
  const auto local = k.news.attachments.front();
  EXPECT_EQ(documents_at_receiver(), 1u);

  auto declined = must(dst->sharing_decline(dst_ed, k.id));
  EXPECT_TRUE(declined.news.attachments.empty());
  EXPECT_EQ(declined.news.body.find("/api/v1/documents/"), std::string::npos) << declined.news.body;
  EXPECT_EQ(documents_at_receiver(), 0u);
  expect_error(dst->open_document(dst_ed, local, std::nullopt), errc::not_found,
               "unknown_document");

  // The original's file and text change twice: the declined copy follows the text only.
  for (const auto* bytes : {"A2", "A3"}) {
    const auto p = dir.path() / (std::string("upload-") + bytes);
    std::ofstream(p, std::ios::binary) << bytes;
    must(src->add_document_version(ed, a, document_upload{"a.txt", "text/plain", p, {}}));
    news_patch patch;
    patch.title = std::string("Ny rubrik ") + bytes;
    must(src->update_news(ed, news, patch));
    auto m = next_message();
    ASSERT_EQ(m.payload.files.size(), 1u);
    carry(m);
    EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::updated);
    const auto now = only_copy();
    EXPECT_EQ(now.status, copy_status::declined);
    EXPECT_EQ(now.news.title, *patch.title);
    EXPECT_TRUE(now.news.attachments.empty());
    EXPECT_EQ(now.news.body.find("/api/v1/documents/"), std::string::npos) << now.news.body;
    EXPECT_EQ(documents_at_receiver(), 0u);
  }
}

TEST_F(copy_files, AcceptingAPendingOfferKeepsTheReceiversOwnFiles) {
  const auto a = upload("a.txt", "A");
  EXPECT_EQ(must(dst->sharing_apply(offer(a))), apply_outcome::created);
  auto n = must(dst->sharing_accept(dst_ed, only_copy().id, std::nullopt));
  ASSERT_EQ(n.attachments.size(), 1u);
  const auto local = n.attachments.front();
  EXPECT_EQ(read(local), "A");
  EXPECT_NE(n.body.find("/t/savsjo/api/v1/documents/" + std::to_string(local) + "/content"),
            std::string::npos)
      << n.body;
  EXPECT_EQ(n.body.find("eksjo"), std::string::npos) << n.body;
  EXPECT_EQ(documents_at_receiver(), 1u);
}

TEST_F(copy_files, BorrowingADeclinedOfferBringsItsFilesBack) {
  const auto a = upload("a.txt", "A");
  const auto m = offer(a);
  EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::created);
  must(dst->sharing_decline(dst_ed, only_copy().id));
  EXPECT_EQ(documents_at_receiver(), 0u);
  // The same revision again, as a borrow: accepted, with files of its own again.
  share_message borrow = m;
  borrow.via = share_via::borrow;
  EXPECT_EQ(must(dst->sharing_apply(borrow, audience{}, dst_ed.email)), apply_outcome::updated);
  const auto k = only_copy();
  EXPECT_EQ(k.status, copy_status::accepted);
  ASSERT_TRUE(k.local_news_id);
  auto n = must(dst->get_news(dst_ed, *k.local_news_id));
  ASSERT_EQ(n.attachments.size(), 1u);
  EXPECT_EQ(read(n.attachments.front()), "A");
  EXPECT_NE(n.body.find("/t/savsjo/api/v1/documents/" + std::to_string(n.attachments.front())),
            std::string::npos)
      << n.body;
}

TEST_F(copy_files, AWithdrawnCopyReleasesItsFiles) {
  const auto a = upload("a.txt", "A");
  EXPECT_EQ(must(dst->sharing_apply(offer(a))), apply_outcome::created);
  must(dst->sharing_accept(dst_ed, only_copy().id, std::nullopt));
  EXPECT_EQ(documents_at_receiver(), 1u);
  must(src->delete_news(ed, news));
  auto m = next_message();
  EXPECT_TRUE(m.payload.withdrawn);
  carry(m);
  EXPECT_EQ(must(dst->sharing_apply(m)), apply_outcome::updated);
  EXPECT_EQ(documents_at_receiver(), 0u);
}

}  // namespace
}  // namespace samverka::tenant
