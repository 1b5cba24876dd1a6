// Search and scheduling through the real server over HTTP: scheduled and unpublished news is
// invisible to readers in the feed (both scopes), GET by id, the start page, search and the
// partners' catalogue, while editors still see it with its status; bad schedules are 400 with
// nothing changed.
#include "fixture.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <vector>

namespace samverka::testing {
namespace {

namespace json = boost::json;

// How long a test waits for a schedule a few seconds ahead to take effect.
constexpr auto schedule_wait = std::chrono::seconds(15);

class search : public platform {
 protected:
  static std::string api(const std::string& slug, const std::string& path) {
    return "/t/" + slug + "/api/v1" + path;
  }
  // Titles of GET /search?q=... as `token`.
  std::set<std::string> found(const std::string& token, const std::string& q,
                              const std::string& slug = "eksjo") {
    auto r = srv->get(api(slug, "/search?q=" + q), token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    if (r.status != 200) return out;
    auto doc = r.json();
    for (auto& it : doc.at("items").as_array()) {
      out.insert(std::string(it.at("title").as_string()));
      EXPECT_EQ(std::string(it.at("snippet").as_string()).find("Hemlig"), std::string::npos);
    }
    return out;
  }
  // Titles of the news on the start page as `token`.
  std::set<std::string> start_titles(const std::string& token) {
    auto r = srv->get(api("eksjo", "/start"), token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    if (r.status != 200) return out;
    auto doc = r.json();
    for (auto& it : doc.at("news").at("items").as_array())
      out.insert(std::string(it.at("title").as_string()));
    return out;
  }
  // Whether `title` is visible to `token` in both feeds, the start page and search (word `q`).
  bool visible_everywhere(const std::string& token, const std::string& title,
                          const std::string& q) {
    return titles(token, "mine").count(title) && titles(token, "all").count(title) &&
           start_titles(token).count(title) && found(token, q).count(title);
  }
  bool visible_anywhere(const std::string& token, const std::string& title, const std::string& q) {
    return titles(token, "mine").count(title) || titles(token, "all").count(title) ||
           start_titles(token).count(title) || found(token, q).count(title);
  }
  json::object create(json::object b, int expect = 201) {
    auto r = srv->post(api("eksjo", "/news"), body(b), as("editor"));
    EXPECT_EQ(r.status, expect) << r.body;
    return r.status == 201 ? r.json().as_object() : json::object{};
  }
  // RFC 3339 UTC time `from_now` from now (whole seconds, rounded up).
  static std::string at(std::chrono::milliseconds from_now) {
    const auto t = std::chrono::system_clock::now() + from_now + std::chrono::milliseconds(999);
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }
};

TEST_F(search, ScheduledNewsIsInvisibleToReadersUntilPublished) {
  const auto anna = as("anna");
  const auto editor = as("editor");
  auto later = create({{"title", "Schemalagd nyhet"},
                       {"body", "<p>Kaffeautomaten byts ut</p>"},
                       {"publish_at", at(std::chrono::hours(1))}});
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later.at("status").as_string(), "scheduled");
  const auto id = std::to_string(later.at("id").to_number<std::int64_t>());
  EXPECT_FALSE(visible_anywhere(anna, "Schemalagd nyhet", "kaffeautomaten"));
  EXPECT_FALSE(visible_anywhere(editor, "Schemalagd nyhet", "kaffeautomaten"));
  EXPECT_EQ(srv->get(api("eksjo", "/news/" + id), anna).status, 404);
  auto seen = srv->get(api("eksjo", "/news/" + id), editor);  // editors still see it
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.json().at("status").as_string(), "scheduled");

  // A few seconds ahead: appears on its own, no request needed.
  auto soon = create({{"title", "Snart publicerad"},
                      {"body", "<p>Personalfesten flyttas</p>"},
                      {"publish_at", at(std::chrono::seconds(2))}});
  ASSERT_FALSE(soon.empty());
  EXPECT_FALSE(visible_anywhere(anna, "Snart publicerad", "personalfesten"));
  const auto deadline = std::chrono::steady_clock::now() + schedule_wait;
  while (!visible_everywhere(anna, "Snart publicerad", "personalfesten") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(visible_everywhere(anna, "Snart publicerad", "personalfesten"));
  const auto soon_id = std::to_string(soon.at("id").to_number<std::int64_t>());
  auto now_seen = srv->get(api("eksjo", "/news/" + soon_id), anna);
  EXPECT_EQ(now_seen.status, 200);

  // PATCH publish_at "" publishes the scheduled item now.
  auto r = srv->patch(api("eksjo", "/news/" + id), body({{"publish_at", ""}}), editor);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("status").as_string(), "published");
  EXPECT_TRUE(visible_everywhere(anna, "Schemalagd nyhet", "kaffeautomaten"));
  EXPECT_EQ(srv->get(api("eksjo", "/news/" + id), anna).status, 200);
}

TEST_F(search, UnpublishedNewsLeavesFeedsSearchAndGetById) {
  const auto anna = as("anna");
  auto n = create({{"title", "Tillfällig nyhet"},
                   {"body", "<p>Vattenavbrott i centrum</p>"},
                   {"unpublish_at", at(std::chrono::seconds(2))}});
  ASSERT_FALSE(n.empty());
  EXPECT_EQ(n.at("status").as_string(), "published");
  EXPECT_FALSE(n.at("unpublish_at").is_null());
  const auto id = std::to_string(n.at("id").to_number<std::int64_t>());
  EXPECT_TRUE(visible_everywhere(anna, "Tillfällig nyhet", "vattenavbrott"));
  const auto deadline = std::chrono::steady_clock::now() + schedule_wait;
  while (visible_anywhere(anna, "Tillfällig nyhet", "vattenavbrott") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_FALSE(visible_anywhere(anna, "Tillfällig nyhet", "vattenavbrott"));
  EXPECT_EQ(srv->get(api("eksjo", "/news/" + id), anna).status, 404);
  auto ed = srv->get(api("eksjo", "/news/" + id), as("editor"));
  ASSERT_EQ(ed.status, 200) << ed.body;
  EXPECT_EQ(ed.json().at("status").as_string(), "unpublished");

  // Clearing unpublish_at brings it back.
  auto r = srv->patch(api("eksjo", "/news/" + id), body({{"unpublish_at", ""}}), as("editor"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("unpublish_at").is_null());
  EXPECT_TRUE(visible_everywhere(anna, "Tillfällig nyhet", "vattenavbrott"));
}

TEST_F(search, ScheduledNewsStaysOutOfThePartnersCatalogue) {
  auto n = create({{"title", "Erbjuds senare"},
                   {"body", "<p>Gemensam upphandling</p>"},
                   {"shareable", true},
                   {"publish_at", at(std::chrono::hours(1))}});
  ASSERT_FALSE(n.empty());
  const auto id = n.at("id").to_number<std::int64_t>();
  auto cat = srv->get(api("savsjo", "/sharing/partners/eksjo/catalog"), as("editor", "savsjo"));
  ASSERT_EQ(cat.status, 200) << cat.body;
  for (auto& it : cat.json().at("items").as_array())
    EXPECT_NE(it.at("title").as_string(), "Erbjuds senare");
  auto borrow = srv->post(api("savsjo", "/sharing/borrow"),
                          body({{"from", "eksjo"}, {"news_id", id}}), as("editor", "savsjo"));
  EXPECT_EQ(borrow.status, 404) << borrow.body;
}

TEST_F(search, BadSchedulesAreRefusedAndChangeNothing) {
  const auto editor = as("editor");
  create({{"title", "Fel tid"}, {"body", "<p>x</p>"}, {"publish_at", "i morgon"}}, 400);
  create({{"title", "Fel ordning"},
          {"body", "<p>x</p>"},
          {"publish_at", at(std::chrono::hours(2))},
          {"unpublish_at", at(std::chrono::hours(1))}},
         400);
  create({{"title", "Redan passerad"},
          {"body", "<p>x</p>"},
          {"unpublish_at", at(-std::chrono::hours(1))}},
         400);
  create({{"title", "Fel typ"}, {"body", "<p>x</p>"}, {"publish_at", 5}}, 400);
  EXPECT_FALSE(titles(editor, "all").count("Fel tid"));
  EXPECT_FALSE(titles(editor, "all").count("Fel ordning"));
  EXPECT_FALSE(titles(editor, "all").count("Redan passerad"));

  auto n = create({{"title", "Orörd"}, {"body", "<p>x</p>"}});
  ASSERT_FALSE(n.empty());
  const auto path = api("eksjo", "/news/" + std::to_string(n.at("id").to_number<std::int64_t>()));
  auto bad = srv->patch(
      path, body({{"title", "Ändrad"}, {"unpublish_at", at(-std::chrono::hours(1))}}), editor);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.error_code(), "invalid_schedule");
  bad =
      srv->patch(path, body({{"title", "Ändrad"}, {"publish_at", "2026-13-01T00:00:00Z"}}), editor);
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto now = srv->get(path, editor);
  ASSERT_EQ(now.status, 200);
  EXPECT_EQ(now.json().at("title").as_string(), "Orörd");
  EXPECT_TRUE(now.json().at("unpublish_at").is_null());
}

// ---- Groups in search -------------------------------------------------------------------------

TEST_F(search, ClosedGroupsAreFoundOnlyByTheirMembers) {
  const auto anna = as("anna");
  const auto bo = as("bo");
  auto open = srv->post(
      api("eksjo", "/groups"),
      body({{"name", "Cykelklubben"}, {"kind", "open"}, {"description", "Vi cyklar till jobbet"}}),
      anna);
  ASSERT_EQ(open.status, 201) << open.body;
  auto closed = srv->post(api("eksjo", "/groups"),
                          body({{"name", "Omorganisationen"},
                                {"kind", "closed"},
                                {"description", "Hemlig planering av sammanslagningen"}}),
                          anna);
  ASSERT_EQ(closed.status, 201) << closed.body;
  const auto closed_id = closed.json().at("id").to_number<std::int64_t>();

  auto hits = [&](const std::string& token, const std::string& q) {
    auto r = srv->get(api("eksjo", "/search?type=group&q=" + q), token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("items").as_array() : json::array{};
  };
  EXPECT_EQ(hits(anna, "cyklar").size(), 1u);
  EXPECT_EQ(hits(bo, "cyklar").size(), 1u);              // open: everyone
  EXPECT_EQ(hits(bo, "Cykel&prefix=1").size(), 1u);      // type-ahead
  EXPECT_EQ(hits(bo, "Hemtj%C3%A4nst").size(), 1u);      // department groups: everyone
  ASSERT_EQ(hits(anna, "sammanslagningen").size(), 1u);  // closed: members
  EXPECT_EQ(hits(anna, "sammanslagningen")[0].at("type").as_string(), "group");
  EXPECT_NE(std::string(hits(anna, "sammanslagningen")[0].at("snippet").as_string()).find("<mark>"),
            std::string::npos);
  EXPECT_EQ(hits(bo, "sammanslagningen").size(), 0u);  // not a member: nothing at all
  EXPECT_EQ(hits(bo, "Omorganisationen").size(), 0u);
  EXPECT_TRUE(found(bo, "Omorganisationen").empty());  // nor without the type filter
  // Another municipality's search never reaches this tenant's groups.
  auto other = srv->get(api("savsjo", "/search?q=cyklar"), as("editor", "savsjo"));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_TRUE(other.json().at("items").as_array().empty()) << other.body;

  // Invited and then joined: a member, so findable.
  const auto group_path = api("eksjo", "/groups/" + std::to_string(closed_id));
  auto inv = srv->post(group_path + "/invite", body({{"email", "bo@eksjo.se"}}), anna);
  ASSERT_EQ(inv.status / 100, 2) << inv.body;
  auto join = srv->post(group_path + "/join", "{}", bo);
  ASSERT_EQ(join.status / 100, 2) << join.body;
  EXPECT_EQ(hits(bo, "sammanslagningen").size(), 1u);
  EXPECT_EQ(hits(as("chef"), "sammanslagningen").size(), 0u);
}

// ---- PDF text ----------------------------------------------------------------------------------

// A minimal valid one-page PDF showing `line` in Helvetica (ASCII text), with a correct xref.
std::string tiny_pdf(const std::string& line) {
  const std::string content = "BT /F1 12 Tf 72 720 Td (" + line + ") Tj ET";
  std::vector<std::string> objs = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
      " /Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  };
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objs.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const auto xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%010zu 00000 n \n", off);
    pdf += buf;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

TEST_F(search, WordsInsidePdfsAreFoundWithSnippets) {
  const auto editor = as("editor");
  auto upload = [&](const std::string& query, const std::string& bytes) {
    request r;
    r.method = "POST";
    r.target = api("eksjo", "/documents?" + query);
    r.headers["Authorization"] = "Bearer " + editor;
    r.content_type = "application/pdf";
    r.body = bytes;
    return srv->send(r);
  };
  auto r = upload("name=plan.pdf&title=Plan", tiny_pdf("Snoskottning av gangbanor sker nattetid"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json().at("id").to_number<std::int64_t>();
  auto q = srv->get(api("eksjo", "/search?type=document&q=nattetid"), as("anna"));
  ASSERT_EQ(q.status, 200) << q.body;
  auto items = q.json().at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << q.body;
  EXPECT_EQ(items[0].at("id").to_number<std::int64_t>(), id);
  EXPECT_NE(std::string(items[0].at("snippet").as_string()).find("<mark>nattetid</mark>"),
            std::string::npos)
      << q.body;

  // A new version replaces the indexed text.
  r = upload("name=plan.pdf", tiny_pdf("Sandning av cykelbanor"));
  ASSERT_EQ(r.status, 201) << r.body;  // (a new document; versions are below)
  auto v = srv->send([&] {
    request x;
    x.method = "POST";
    x.target = api("eksjo", "/documents/" + std::to_string(id) + "/versions?name=plan2.pdf");
    x.headers["Authorization"] = "Bearer " + editor;
    x.content_type = "application/pdf";
    x.body = tiny_pdf("Halkbekampning med flis");
    return x;
  }());
  ASSERT_EQ(v.status, 201) << v.body;
  EXPECT_EQ(found(as("anna"), "halkbekampning").count("Plan"), 1u);
  EXPECT_EQ(found(as("anna"), "nattetid").count("Plan"), 0u);

  // A malformed PDF is stored and found by its title and file name only.
  r = upload("name=trasig.pdf&title=Trasig+rapport", "%PDF-1.4\nnot really a pdf (Hemligt ord)");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(found(as("anna"), "trasig").count("Trasig rapport"), 1u);
  EXPECT_TRUE(found(as("anna"), "hemligt").empty());
}

}  // namespace
}  // namespace samverka::testing
