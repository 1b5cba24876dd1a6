// Second content round end to end: files travelling with shared news (copied, never hot-linked),
// copies that say they stopped following, document and guide lists, attachments on posts with
// closed-group visibility, operator and SCIM changes on the audit trail, and the server's daily
// digest over a real SMTP server (Debian's python3-aiosmtpd).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "fixture.hpp"

namespace samverka::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Deliveries and timer ticks take milliseconds; this bounds a test that waits for one.
constexpr auto wait_limit = 10s;

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = wait_limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// Document ids in the document URLs of `html`, with the tenant slug each names.
std::vector<std::pair<std::string, std::int64_t>> doc_urls(const std::string& html) {
  static const std::regex re(R"re((?:/t/([a-z0-9-]+))?/api/v1/documents/(\d+))re");
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator();
       ++it)
    out.emplace_back((*it)[1].str(), std::stoll((*it)[2].str()));
  return out;
}

class content2 : public platform {
 protected:
  std::string api(const std::string& slug, const std::string& path) {
    return "/t/" + slug + "/api/v1" + path;
  }
  response upload(const std::string& token, const std::string& query, const std::string& bytes,
                  const std::string& type = "text/plain", const std::string& slug = "eksjo") {
    request r;
    r.method = "POST";
    r.target = api(slug, "/documents?" + query);
    r.headers["Authorization"] = "Bearer " + token;
    r.content_type = type;
    r.body = bytes;
    return srv->send(r);
  }
  std::int64_t upload_id(const std::string& token, const std::string& query,
                         const std::string& bytes, const std::string& type = "text/plain",
                         const std::string& slug = "eksjo") {
    auto r = upload(token, query, bytes, type, slug);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").as_int64() : 0;
  }
  json::value get_json(const std::string& target, const std::string& token) {
    auto r = srv->get(target, token);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.status == 200 ? r.json() : json::value(json::object{});
  }
  std::size_t news_count(const std::string& slug) {
    return get_json(api(slug, "/news?scope=all&limit=100"), as("editor", slug))
        .at("items")
        .as_array()
        .size();
  }
  // The inbox id of the copy of eksjo's `news_id` at `slug`, once it arrived (0 if it did not).
  std::int64_t wait_offer(const std::string& slug, std::int64_t news_id) {
    std::int64_t id = 0;
    EXPECT_TRUE(eventually([&] {
      auto r = srv->get(api(slug, "/sharing/inbox"), as("editor", slug));
      if (r.status != 200) return false;
      auto doc = r.json();
      for (auto& it : doc.at("items").as_array())
        if (it.at("news").at("source").at("news_id").to_number<std::int64_t>() == news_id)
          id = it.at("id").as_int64();
      return id != 0;
    }));
    return id;
  }
  std::string download(const std::string& slug, std::int64_t id, const std::string& token,
                       int want = 200) {
    auto r = srv->get(api(slug, "/documents/" + std::to_string(id) + "/content"), token);
    EXPECT_EQ(r.status, want) << r.body;
    return r.body;
  }
};

const std::string png1 = std::string("\x89PNG\r\n\x1a\n", 8) + "första bilden";
const std::string png2 = std::string("\x89PNG\r\n\x1a\n", 8) + "andra bilden, ny";
const std::string attachment_text = "Bilaga: schema för vecka 12";

// ---- Sharing: files travel with the content ---------------------------------------------------

TEST_F(content2, SharedNewsCarriesItsFilesAndNeverReferencesTheSource) {
  const auto editor = as("editor");
  const auto img = upload_id(editor, "name=bild.png&title=Bild", png1, "image/png");
  const auto att = upload_id(editor, "name=schema.txt&title=Schema", attachment_text);
  ASSERT_GT(img, 0);
  ASSERT_GT(att, 0);
  const std::string src_img = "/t/eksjo/api/v1/documents/" + std::to_string(img) + "/content";
  auto r = srv->post(
      api("eksjo", "/news"),
      body({{"title", "Nyhet med bild"},
            {"body", "<p>Se bilden</p><img src=\"" + src_img + "\" alt=\"Bild\"><p><a href=\"" +
                         "/api/v1/documents/" + std::to_string(att) + "/content\">Bilaga</a></p>"},
            {"attachments", json::array{att}},
            {"share_with", json::array{"savsjo"}}}),
      editor);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  ASSERT_EQ(r.json().at("attachments").as_array().size(), 1u);
  EXPECT_EQ(r.json().at("attachments").at(0).as_int64(), att);

  // Accepted at savsjo: the copy points at savsjo's own documents only.
  const auto offer = wait_offer("savsjo", id);
  ASSERT_GT(offer, 0);
  r = srv->post(api("savsjo", "/sharing/inbox/" + std::to_string(offer) + "/accept"), "",
                as("editor", "savsjo"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto local = r.json().at("news").at("id").as_int64();
  const auto anna_s = as("anna", "savsjo");
  auto copy = get_json(api("savsjo", "/news/" + std::to_string(local)), anna_s).as_object();
  std::string html(copy.at("body").as_string());
  EXPECT_EQ(html.find("eksjo"), std::string::npos) << html;
  auto urls = doc_urls(html);
  ASSERT_EQ(urls.size(), 2u) << html;
  for (auto& [slug, doc] : urls) EXPECT_EQ(slug, "savsjo") << html;
  ASSERT_EQ(copy.at("attachments").as_array().size(), 1u);
  const auto local_att = copy.at("attachments").at(0).as_int64();
  EXPECT_EQ(urls[1].second, local_att);  // the link to the attachment is the same document
  EXPECT_TRUE(copy.at("source").at("following").as_bool());
  // A plain member of savsjo downloads both through savsjo.
  EXPECT_EQ(download("savsjo", urls[0].second, anna_s), png1);
  EXPECT_EQ(download("savsjo", local_att, anna_s), attachment_text);
  auto meta = get_json(api("savsjo", "/documents/" + std::to_string(local_att)), anna_s);
  EXPECT_EQ(meta.at("file_name").as_string(), "schema.txt");
  // The bytes live in savsjo's own folder, by hash.
  const std::string sha(meta.at("versions").at(0).at("sha256").as_string());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tenants" / "savsjo" / "files" / "sha256" /
                                      sha.substr(0, 2) / sha));
  // Cross-tenant: the source's file is not reachable with a savsjo session.
  EXPECT_EQ(srv->get(src_img, anna_s).status, 403);

  // An edit with a new image reaches the copy with that image, copied again.
  const auto img2 = upload_id(editor, "name=bild2.png", png2, "image/png");
  r = srv->patch(api("eksjo", "/news/" + std::to_string(id)),
                 body({{"body", "<p>Ny bild</p><img src=\"/t/eksjo/api/v1/documents/" +
                                    std::to_string(img2) + "/content\" alt=\"Ny\">"}}),
                 editor);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string html2;
  EXPECT_TRUE(eventually([&] {
    auto n = srv->get(api("savsjo", "/news/" + std::to_string(local)), anna_s);
    html2 = n.status == 200 ? std::string(n.json().at("body").as_string()) : "";
    return html2.find("Ny bild") != std::string::npos;
  })) << html2;
  auto urls2 = doc_urls(html2);
  ASSERT_EQ(urls2.size(), 1u) << html2;
  EXPECT_EQ(urls2[0].first, "savsjo");
  EXPECT_EQ(download("savsjo", urls2[0].second, anna_s), png2);
  EXPECT_EQ(html2.find("eksjo"), std::string::npos) << html2;

  // Unlinked: the copy says it no longer follows, in the item and in the feed.
  ASSERT_EQ(srv->post(api("savsjo", "/news/" + std::to_string(local) + "/unlink"), "",
                      as("editor", "savsjo"))
                .status,
            200);
  copy = get_json(api("savsjo", "/news/" + std::to_string(local)), anna_s).as_object();
  EXPECT_FALSE(copy.at("source").at("following").as_bool());
  EXPECT_TRUE(copy.at("source").at("unlinked_at").is_string());
  EXPECT_EQ(copy.at("source").at("unlink_reason").as_string(), "editor");
  bool in_feed = false;
  const auto feed = get_json(api("savsjo", "/news?scope=all"), anna_s);
  for (auto& it : feed.at("items").as_array())
    if (it.at("id").as_int64() == local) {
      in_feed = true;
      EXPECT_FALSE(it.at("source").at("following").as_bool());
    }
  EXPECT_TRUE(in_feed);
  // Now a local item: its editor may change the attachments to savsjo's own documents.
  r = srv->patch(api("savsjo", "/news/" + std::to_string(local)),
                 body({{"attachments", json::array{}}}), as("editor", "savsjo"));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(content2, ABorrowedCopyBringsItsAttachments) {
  const auto att = upload_id(as("editor"), "name=lana.txt&title=Lana", "Lånad bilaga");
  auto r = srv->post(api("eksjo", "/news"),
                     body({{"title", "Att låna"},
                           // An absolute URL of the source and a link to a third tenant's file:
                           // the first is carried, the second cannot be and is emptied.
                           {"body", "<p><img src=\"https://eksjo.example.se/api/v1/documents/" +
                                        std::to_string(att) +
                                        "/content\" alt=\"a\"><a "
                                        "href=\"/t/savsjo/api/v1/documents/1/content\">b</a></p>"},
                           {"attachments", json::array{att}},
                           {"shareable", true}}),
                     as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto original = r.json().at("id").as_int64();
  // The catalogue's preview links to none of the source's files (they are behind its login).
  auto cat = srv->get(api("vetlanda", "/sharing/partners/eksjo/catalog"), as("editor", "vetlanda"));
  ASSERT_EQ(cat.status, 200) << cat.body;
  bool listed = false;
  const auto catalog = cat.json();
  for (const auto& it : catalog.at("items").as_array()) {
    if (it.at("id").as_int64() != original) continue;
    listed = true;
    EXPECT_TRUE(doc_urls(std::string(it.at("body").as_string())).empty()) << cat.body;
  }
  EXPECT_TRUE(listed) << cat.body;
  r = srv->post(api("vetlanda", "/sharing/borrow"),
                body({{"from", "eksjo"}, {"news_id", original}}), as("editor", "vetlanda"));
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(r.json().at("attachments").as_array().size(), 1u) << r.body;
  const auto local = r.json().at("attachments").at(0).as_int64();
  EXPECT_EQ(download("vetlanda", local, as("bo", "vetlanda")), "Lånad bilaga");
  const std::string html(r.json().at("body").as_string());
  auto urls = doc_urls(html);
  ASSERT_EQ(urls.size(), 1u) << html;
  EXPECT_EQ(urls[0], (std::pair<std::string, std::int64_t>{"vetlanda", local})) << html;
  EXPECT_EQ(html.find("eksjo"), std::string::npos) << html;
  EXPECT_EQ(html.find("savsjo"), std::string::npos) << html;
}

TEST_F(content2, CopiesOfAnEndedPartnershipSayTheyAreNoLongerUpdated) {
  auto r = srv->post(
      api("eksjo", "/news"),
      body({{"title", "Följs"}, {"body", "<p>x</p>"}, {"share_with", json::array{"vetlanda"}}}),
      as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto offer = wait_offer("vetlanda", r.json().at("id").as_int64());
  r = srv->post(api("vetlanda", "/sharing/inbox/" + std::to_string(offer) + "/accept"), "",
                as("editor", "vetlanda"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto local = r.json().at("news").at("id").as_int64();
  ASSERT_EQ(ctl(dir.path(), {"partner", "unlink", "eksjo", "vetlanda"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    auto n = srv->get(api("vetlanda", "/news/" + std::to_string(local)), as("anna", "vetlanda"));
    return n.status == 200 && !n.json().at("source").at("following").as_bool() &&
           n.json().at("source").at("unlink_reason").as_string() == "partnership_ended";
  }));
}

TEST_F(content2, BadAttachmentsOnNewsAreRefusedAndChangeNothing) {
  const auto editor = as("editor");
  const auto before = news_count("eksjo");
  for (const auto& bad : {json::value(json::array{999999}), json::value(json::array{"x"}),
                          json::value(json::array{0}), json::value("1")}) {
    auto r =
        srv->post(api("eksjo", "/news"),
                  body({{"title", "Fel"}, {"body", "<p>x</p>"}, {"attachments", bad}}), editor);
    EXPECT_EQ(r.status, 400) << r.body;
  }
  // A savsjo document id is not an eksjo document.
  const auto theirs =
      upload_id(as("editor", "savsjo"), "name=s.txt", "savsjö", "text/plain", "savsjo");
  auto r = srv->post(api("eksjo", "/news"),
                     body({{"title", "Fel"},
                           {"body", "<p>x</p>"},
                           {"attachments", json::array{theirs + 1000}},
                           {"share_with", json::array{"savsjo"}}}),
                     editor);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_code(), "invalid_attachment");
  EXPECT_EQ(news_count("eksjo"), before);
  // A PATCH with a bad attachment leaves the item as it was.
  const auto id = publish("Orörd");
  r = srv->patch(api("eksjo", "/news/" + std::to_string(id)),
                 body({{"title", "Ändrad"}, {"attachments", json::array{424242}}}), editor);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(get_json(api("eksjo", "/news/" + std::to_string(id)), editor).at("title").as_string(),
            "Orörd");
}

TEST_F(content2, AReceiverOverItsQuotaShowsAFailingDistribution) {
  // A tiny quota for this server only: the source's upload fits, the receiver's copy does not.
  srv.reset();
  ::setenv("SAMVERKA_TENANT_QUOTA_BYTES", "1000", 1);
  srv = std::make_unique<server>(dir.path());
  ::unsetenv("SAMVERKA_TENANT_QUOTA_BYTES");
  upload_id(as("editor", "savsjo"), "name=stor.txt", std::string(600, 's'), "text/plain", "savsjo");
  const auto att = upload_id(as("editor"), "name=stor.txt", std::string(600, 'e'));
  auto r = srv->post(api("eksjo", "/news"),
                     body({{"title", "För stor"},
                           {"body", "<p>x</p>"},
                           {"attachments", json::array{att}},
                           {"share_with", json::array{"savsjo"}}}),
                     as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  std::string state, last_error;
  EXPECT_TRUE(eventually([&] {
    auto d = srv->get(api("eksjo", "/news/" + std::to_string(id) + "/distribution"), as("editor"));
    if (d.status != 200) return false;
    auto doc = d.json();
    for (auto& it : doc.at("items").as_array()) {
      state = it.at("state").as_string();
      last_error = it.at("last_error").is_string() ? it.at("last_error").as_string().c_str() : "";
    }
    return state == "failing";
  })) << state;
  EXPECT_NE(last_error.find("quota_exceeded"), std::string::npos) << last_error;
  // Nothing reached savsjo's inbox.
  auto inbox = get_json(api("savsjo", "/sharing/inbox"), as("editor", "savsjo"));
  EXPECT_EQ(inbox.at("items").as_array().size(), 0u);
}

TEST_F(content2, OffersNobodyAcceptsDoNotTakeTheReceiversQuota) {
  // A tiny quota for this server only: one 600-byte copy and 300 bytes of savsjo's own fit.
  srv.reset();
  ::setenv("SAMVERKA_TENANT_QUOTA_BYTES", "1000", 1);
  srv = std::make_unique<server>(dir.path());
  ::unsetenv("SAMVERKA_TENANT_QUOTA_BYTES");
  const auto savsjo_ed = as("editor", "savsjo");
  const auto att = upload_id(as("editor"), "name=stor.txt", std::string(600, 'e'));
  auto r = srv->post(api("eksjo", "/news"),
                     body({{"title", "Erbjudande"},
                           {"body", "<p>x</p>"},
                           {"attachments", json::array{att}},
                           {"share_with", json::array{"savsjo"}}}),
                     as("editor"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").as_int64();
  const auto offer = wait_offer("savsjo", id);
  ASSERT_GT(offer, 0);
  // The pending offer's file does not count: savsjo still uploads 300 and then 101 bytes.
  upload_id(savsjo_ed, "name=egen.txt", std::string(300, 's'), "text/plain", "savsjo");
  upload_id(savsjo_ed, "name=liten.txt", std::string(101, 't'), "text/plain", "savsjo");
  // Accepting it now would exceed the quota (600 + 300 + 101 > 1000), so it is refused.
  r = srv->post(api("savsjo", "/sharing/inbox/" + std::to_string(offer) + "/accept"), "",
                savsjo_ed);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("quota_exceeded"), std::string::npos) << r.body;
  std::int64_t local_att = 0;
  auto inbox = get_json(api("savsjo", "/sharing/inbox"), savsjo_ed);
  for (auto& it : inbox.at("items").as_array())
    if (it.at("id").as_int64() == offer) {
      ASSERT_EQ(it.at("news").at("attachments").as_array().size(), 1u) << it;
      local_att = it.at("news").at("attachments").at(0).as_int64();
    }
  EXPECT_EQ(download("savsjo", local_att, savsjo_ed), std::string(600, 'e'));
  // Declined: the copy's document is gone, and 500 more bytes of savsjo's own fit.
  r = srv->post(api("savsjo", "/sharing/inbox/" + std::to_string(offer) + "/decline"), "",
                savsjo_ed);
  ASSERT_EQ(r.status, 200) << r.body;
  download("savsjo", local_att, savsjo_ed, 404);
  upload_id(savsjo_ed, "name=mer.txt", std::string(500, 'm'), "text/plain", "savsjo");
}

// ---- Lists -------------------------------------------------------------------------------------

TEST_F(content2, DocumentAndGuideListsPageNewestFirst) {
  const auto editor = as("editor"), anna = as("anna");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(upload_id(editor,
                            "name=d" + std::to_string(i) + ".txt&title=Rutin" + std::to_string(i),
                            "text " + std::to_string(i)));
    std::this_thread::sleep_for(2ms);  // distinct update times
  }
  auto page = get_json(api("eksjo", "/documents?limit=2"), anna);
  auto items = page.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("id").as_int64(), ids[4]);
  EXPECT_EQ(items[1].at("id").as_int64(), ids[3]);
  EXPECT_FALSE(items[0].as_object().contains("versions"));
  EXPECT_EQ(items[0].at("file_name").as_string(), "d4.txt");
  EXPECT_TRUE(items[0].at("download_url").is_string());
  std::vector<std::int64_t> seen;
  std::string cursor(page.at("next_cursor").as_string());
  for (auto& it : items) seen.push_back(it.at("id").as_int64());
  while (!cursor.empty()) {
    auto next = get_json(api("eksjo", "/documents?limit=2&cursor=" + cursor), anna);
    for (auto& it : next.at("items").as_array()) seen.push_back(it.at("id").as_int64());
    cursor = next.at("next_cursor").is_null() ? "" : next.at("next_cursor").as_string().c_str();
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  // Title filter, case-insensitive.
  auto q = get_json(api("eksjo", "/documents?q=rutin3"), anna).at("items").as_array();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].at("id").as_int64(), ids[3]);
  // A deleted document leaves the list.
  ASSERT_EQ(srv->del(api("eksjo", "/documents/" + std::to_string(ids[0])), editor).status, 204);
  EXPECT_EQ(get_json(api("eksjo", "/documents?limit=100"), anna).at("items").as_array().size(), 4u);

  // Guides: summaries with a step count.
  for (int i = 0; i < 3; ++i) {
    auto r = srv->post(api("eksjo", "/guides"),
                       body({{"title", "Guide " + std::to_string(i)},
                             {"steps", json::array{json::object{{"text", "Steg 1"}},
                                                   json::object{{"text", "Steg 2"}}}}}),
                       editor);
    ASSERT_EQ(r.status, 201) << r.body;
    std::this_thread::sleep_for(2ms);
  }
  auto guides = get_json(api("eksjo", "/guides?limit=2"), anna);
  ASSERT_EQ(guides.at("items").as_array().size(), 2u);
  EXPECT_EQ(guides.at("items").at(0).at("title").as_string(), "Guide 2");
  EXPECT_EQ(guides.at("items").at(0).at("step_count").as_int64(), 2);
  EXPECT_FALSE(guides.at("items").at(0).as_object().contains("steps"));
  ASSERT_TRUE(guides.at("next_cursor").is_string());
  auto rest = get_json(
      api("eksjo", "/guides?cursor=" + std::string(guides.at("next_cursor").as_string())), anna);
  ASSERT_EQ(rest.at("items").as_array().size(), 1u);
  EXPECT_TRUE(rest.at("next_cursor").is_null());

  // Bad input: 400 with the error shape.
  for (const auto& bad : {"/documents?limit=0", "/documents?limit=101", "/documents?limit=x",
                          "/documents?cursor=nonsense", "/guides?cursor=1", "/guides?limit=-1"}) {
    auto r = srv->get(api("eksjo", bad), anna);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_FALSE(r.error_code().empty()) << bad;
  }
  // Another tenant's lists are its own; an eksjo session is not a member there.
  EXPECT_EQ(
      get_json(api("vetlanda", "/documents"), as("anna", "vetlanda")).at("items").as_array().size(),
      0u);
  EXPECT_EQ(
      get_json(api("vetlanda", "/guides"), as("anna", "vetlanda")).at("items").as_array().size(),
      0u);
  EXPECT_EQ(srv->get(api("vetlanda", "/documents"), anna).status, 403);
  EXPECT_EQ(srv->get(api("eksjo", "/documents")).status, 401);
}

// ---- Social: attachments and closed-group files -------------------------------------------------

TEST_F(content2, ClosedGroupFilesAreOnlyForItsMembers) {
  const auto anna = as("anna"), bo = as("bo"), editor = as("editor");
  auto g =
      srv->post(api("eksjo", "/groups"), body({{"name", "Lönegruppen"}, {"kind", "closed"}}), anna);
  ASSERT_EQ(g.status, 201) << g.body;
  const auto gid = g.json().at("id").as_int64();
  // A member uploads into the group (no editor role needed) and attaches the file to a post.
  const auto file =
      upload_id(anna, "name=loner.txt&title=Lonelista+hemlig&group=" + std::to_string(gid),
                "Lönelista: konfidentiell");
  ASSERT_GT(file, 0);
  const auto pub = upload_id(editor, "name=policy.txt&title=Policy", "Alla får läsa");
  auto p =
      srv->post(api("eksjo", "/groups/" + std::to_string(gid) + "/posts"),
                body({{"body", "<p>Listan</p>"}, {"attachments", json::array{file, pub}}}), anna);
  ASSERT_EQ(p.status, 201) << p.body;
  const auto post_id = p.json().at("id").as_int64();
  EXPECT_EQ(p.json().at("attachments").as_array().size(), 2u);
  // The member reads it all.
  EXPECT_EQ(download("eksjo", file, anna), "Lönelista: konfidentiell");
  EXPECT_EQ(get_json(api("eksjo", "/posts/" + std::to_string(post_id)), anna)
                .at("attachments")
                .as_array()
                .size(),
            2u);
  // Non-members (an editor too) get 404 through every door: by id, content, list, search.
  for (const auto& t : {bo, editor}) {
    EXPECT_EQ(srv->get(api("eksjo", "/documents/" + std::to_string(file)), t).status, 404);
    download("eksjo", file, t, 404);
    const auto list = get_json(api("eksjo", "/documents?limit=100"), t);
    for (auto& it : list.at("items").as_array()) EXPECT_NE(it.at("id").as_int64(), file);
    auto s = get_json(api("eksjo", "/search?q=Lonelista"), t);
    for (auto& it : s.at("items").as_array())
      EXPECT_NE(it.at("title").as_string(), "Lonelista hemlig");
  }
  EXPECT_EQ(srv->del(api("eksjo", "/documents/" + std::to_string(file)), editor).status, 404);
  // The tenant-wide attachment stays everyone's.
  EXPECT_EQ(download("eksjo", pub, bo), "Alla får läsa");
  // A non-member cannot upload into the closed group (it does not exist for them).
  EXPECT_EQ(upload(bo, "name=x.txt&group=" + std::to_string(gid), "x").status, 404);

  // A group's file cannot be attached elsewhere: not to another group's post, not to news.
  auto open = srv->post(api("eksjo", "/groups"), body({{"name", "Öppen"}, {"kind", "open"}}), anna);
  ASSERT_EQ(open.status, 201);
  const auto open_id = open.json().at("id").as_int64();
  auto r = srv->post(api("eksjo", "/groups/" + std::to_string(open_id) + "/posts"),
                     body({{"body", "<p>Läcka</p>"}, {"attachments", json::array{file}}}), anna);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_code(), "invalid_attachment");
  EXPECT_EQ(get_json(api("eksjo", "/groups/" + std::to_string(open_id) + "/posts"), anna)
                .at("items")
                .as_array()
                .size(),
            0u);
  r = srv->post(
      api("eksjo", "/news"),
      body({{"title", "Läcka"}, {"body", "<p>x</p>"}, {"attachments", json::array{file}}}), editor);
  EXPECT_EQ(r.status, 400) << r.body;
  // Comments: a reader of the post attaches a tenant-wide file; unknown ids are refused.
  r = srv->post(api("eksjo", "/posts/" + std::to_string(post_id) + "/comments"),
                body({{"body", "<p>Tack</p>"}, {"attachments", json::array{pub}}}), anna);
  EXPECT_EQ(r.status, 201) << r.body;
  r = srv->post(api("eksjo", "/posts/" + std::to_string(post_id) + "/comments"),
                body({{"body", "<p>Fel</p>"}, {"attachments", json::array{987654}}}), anna);
  EXPECT_EQ(r.status, 400) << r.body;
  // Edit: attachments replaced; absent keeps them.
  r = srv->patch(api("eksjo", "/posts/" + std::to_string(post_id)),
                 body({{"body", "<p>Listan (ny)</p>"}, {"attachments", json::array{pub}}}), anna);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("attachments").as_array().size(), 1u);
  r = srv->patch(api("eksjo", "/posts/" + std::to_string(post_id)),
                 body({{"body", "<p>Listan (igen)</p>"}}), anna);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("attachments").as_array().size(), 1u);
  // Cross-tenant: another tenant's session cannot reach the group's file at all.
  EXPECT_EQ(
      srv->get(api("eksjo", "/documents/" + std::to_string(file)), as("anna", "savsjo")).status,
      403);
}

// ---- Audit: operator and SCIM changes -----------------------------------------------------------

TEST_F(content2, OperatorAndScimChangesAreOnTheAuditTrail) {
  ASSERT_EQ(ctl(dir.path(), {"unit", "add", "eksjo", "--name", "Kulturförvaltningen"}).exit_code,
            0);
  auto r = ctl(dir.path(), {"user", "add", "eksjo", "--email", "ny@eksjo.se", "--name", "Ny Person",
                            "--role", "editor", "--unit", "Kulturförvaltningen"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(ctl(dir.path(), {"user", "remove", "eksjo", "--email", "ny@eksjo.se"}).exit_code, 0);
  // CSV import.
  const auto csv = dir.path() / "people.csv";
  {
    std::ofstream out(csv);
    out << "email,name,unit\nimport@eksjo.se,Importerad,Kulturförvaltningen\n";
  }
  r = ctl(dir.path(), {"user", "import", "eksjo", "--csv", csv.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // SCIM.
  r = ctl(dir.path(), {"scim", "token", "create", "eksjo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  if (auto sp = token.find_last_of(" \n"); sp != std::string::npos) token = token.substr(sp + 1);
  request scim;
  scim.method = "POST";
  scim.target = "/t/eksjo/scim/v2/Users";
  scim.content_type = "application/scim+json";
  scim.headers["Authorization"] = "Bearer " + token;
  scim.body = body({{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:User"}},
                    {"userName", "scim@eksjo.se"},
                    {"displayName", "Scim Person"},
                    {"active", true}});
  auto s = srv->send(scim);
  ASSERT_EQ(s.status, 201) << s.body;
  const auto scim_id = s.json().at("id").as_string();
  request del = scim;
  del.method = "DELETE";
  del.target = "/t/eksjo/scim/v2/Users/" + std::string(scim_id);
  del.body.clear();
  EXPECT_EQ(srv->send(del).status, 204);

  const auto audit_doc = get_json(api("eksjo", "/audit?limit=100"), as("admin"));
  const auto& audit = audit_doc.at("items").as_array();
  std::multiset<std::string> seen;  // "actor action detail-prefix"
  std::string all;
  for (auto& e : audit) {
    all += json::serialize(e) + "\n";
    std::string actor;
    if (auto* a = e.as_object().if_contains("actor"))
      actor = a->is_object() && a->as_object().contains("email")
                  ? std::string(a->at("email").as_string())
                  : json::serialize(*a);
    seen.insert(actor + " " + std::string(e.at("action").as_string()));
  }
  EXPECT_TRUE(seen.contains("operator unit.create")) << all;
  EXPECT_TRUE(seen.contains("operator user.create")) << all;
  EXPECT_TRUE(seen.contains("operator user.deactivate")) << all;
  EXPECT_TRUE(seen.contains("scim user.create")) << all;
  EXPECT_TRUE(seen.contains("scim user.delete")) << all;
  EXPECT_NE(all.find("ny@eksjo.se"), std::string::npos) << all;
  EXPECT_NE(all.find("CSV import line 2: import@eksjo.se"), std::string::npos) << all;
  EXPECT_NE(all.find("scim@eksjo.se"), std::string::npos) << all;
  // A refused operator change leaves no trace; another tenant's trail is its own.
  EXPECT_NE(ctl(dir.path(), {"unit", "add", "eksjo", "--name", "Kulturförvaltningen"}).exit_code,
            0);
  EXPECT_EQ(get_json(api("eksjo", "/audit?limit=100"), as("admin")).at("items").as_array().size(),
            audit.size());
  const auto theirs = get_json(api("vetlanda", "/audit?limit=100"), as("admin", "vetlanda"));
  for (auto& e : theirs.at("items").as_array())
    EXPECT_EQ(json::serialize(e).find("eksjo.se"), std::string::npos);
}

// ---- The server's daily digest ----------------------------------------------------------------

// A real SMTP server (Debian's python3-aiosmtpd) on a free loopback port, writing what it
// receives to a file.
class smtp_server {
 public:
  explicit smtp_server(const std::filesystem::path& out) : out_(out) {
    port_ = free_port();
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      execl("/usr/bin/python3", "python3", "-u", "-m", "aiosmtpd", "-n", "-l", listen.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !accepting(); ++i) std::this_thread::sleep_for(50ms);
  }
  ~smtp_server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }
  int port() const { return port_; }
  std::string received() const {
    std::ifstream in(out_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static int free_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
  }
  bool accepting() const {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
  }
  std::filesystem::path out_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(content2, ServerSendsEachDigestOnceADay) {
  const auto anna = as("anna"), bo = as("bo"), chef = as("chef");
  auto g = srv->post(api("eksjo", "/groups"), body({{"name", "Digest"}, {"kind", "open"}}), anna);
  ASSERT_EQ(g.status, 201) << g.body;
  const auto gid = g.json().at("id").as_int64();
  for (const auto& t : {bo, chef})
    ASSERT_EQ(srv->post(api("eksjo", "/groups/" + std::to_string(gid) + "/join"), "", t).status,
              200);
  auto p = srv->post(api("eksjo", "/groups/" + std::to_string(gid) + "/posts"),
                     body({{"body", "<p>Planeringsdag</p>"}}), anna);
  ASSERT_EQ(p.status, 201) << p.body;
  const auto pid = p.json().at("id").as_int64();
  auto comment = [&](const std::string& t, const std::string& text) {
    ASSERT_EQ(srv->post(api("eksjo", "/posts/" + std::to_string(pid) + "/comments"),
                        body({{"body", "<p>" + text + "</p>"}}), t)
                  .status,
              201);
  };
  comment(bo, "Bra");
  comment(chef, "Jag bokar lokal");
  // Bo opts out: no mail for him whatever happens.
  ASSERT_EQ(
      srv->patch(api("eksjo", "/notifications/preferences"), body({{"digest", false}}), bo).status,
      200);
  comment(anna, "Tack båda");  // Bo and Chef follow the thread: Chef gets a digest

  // The server with a relay and a send time already passed today: it sends at once.
  smtp_server smtp(dir.path() / "smtp.out");
  const std::vector<std::string> opts{
      "--smtp",           "smtp://127.0.0.1:" + std::to_string(smtp.port()),
      "--smtp-from",      "intranet@eksjo.se",
      "--digest-at",      "00:00",
      "--digest-poll-ms", "50"};
  srv.reset();
  srv = std::make_unique<server>(dir.path(), opts);
  std::string mail;
  EXPECT_TRUE(eventually([&] {
    mail = smtp.received();
    return count_of(mail, "\nTo: anna@eksjo.se") >= 1 && count_of(mail, "\nTo: chef@eksjo.se") >= 1;
  })) << mail;
  EXPECT_NE(mail.find("2 nya kommentarer"), std::string::npos) << mail;  // grouped per thread
  EXPECT_EQ(mail.find("bo@eksjo.se"), std::string::npos) << mail;
  EXPECT_NE(srv->log().find("digest sent"), std::string::npos);

  // More activity the same day: no second mail, not even after a restart.
  comment(bo, "En sak till");
  std::this_thread::sleep_for(500ms);  // ten timer ticks
  srv.reset();
  srv = std::make_unique<server>(dir.path(), opts);
  std::this_thread::sleep_for(500ms);
  mail = smtp.received();
  EXPECT_EQ(count_of(mail, "\nTo: anna@eksjo.se"), 1u) << mail;
  EXPECT_EQ(count_of(mail, "\nTo: chef@eksjo.se"), 1u) << mail;
  EXPECT_EQ(mail.find("bo@eksjo.se"), std::string::npos) << mail;
  // Other tenants had nothing to send; nothing of eksjo went to them.
  EXPECT_EQ(mail.find("savsjo.se"), std::string::npos) << mail;

  // Bad options: the server refuses to start.
  EXPECT_THROW(server(dir.path(), {"--smtp", "smtp://127.0.0.1:1", "--digest-at", "25:00"}),
               std::runtime_error);
}

}  // namespace
}  // namespace samverka::testing
