// The embedded web front end: the table generated from web/, the shell, and the small HTTP
// header parsers the asset handler relies on.
#include "static_assets.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace samverka::gateway {
namespace {

TEST(StaticAssets, EveryFileOfTheFrontEndIsEmbedded) {
  for (std::string_view path :
       {"index.html", "styles.css", "app/main.js", "i18n/sv.js", "i18n/en.js"}) {
    const auto* a = find_static_asset(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_FALSE(a->body.empty()) << path;
    EXPECT_TRUE(a->etag.starts_with('"') && a->etag.ends_with('"')) << path;
  }
  EXPECT_EQ(find_static_asset("app/missing.js"), nullptr);
  EXPECT_EQ(find_static_asset("../CMakeLists.txt"), nullptr);
  EXPECT_EQ(find_static_asset("app/main.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_static_asset("styles.css")->content_type, "text/css; charset=utf-8");
  // Big text files carry a gzip copy (magic bytes 1f 8b).
  const auto gz = find_static_asset("styles.css")->gzip_body;
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(static_assets_version().size(), 12u);
}

TEST(StaticAssets, ShellNamesTheTenantAndEscapesIt) {
  const std::string html = render_shell("Å<b>&\"kommun", "/t/aneby");
  EXPECT_NE(html.find("<title>Å&lt;b&gt;&amp;&quot;kommun – intranät</title>"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("{{"), std::string::npos);
  const std::string assets = "/t/aneby/assets/" + std::string(static_assets_version());
  EXPECT_NE(html.find("<script type=\"module\" src=\"" + assets + "/app/main.js\"></script>"),
            std::string::npos);
  EXPECT_NE(html.find("<link rel=\"modulepreload\" href=\"" + assets + "/app/api.js\">"),
            std::string::npos);
  EXPECT_NE(render_shell("Eksjö kommun", "").find("src=\"/assets/"), std::string::npos);
}

TEST(StaticAssets, EtagMatching) {
  struct row {
    std::string_view header;
    bool match;
  };
  const row rows[] = {{"\"abc\"", true}, {"W/\"abc\"", true}, {"\"x\", \"abc\"", true},
                      {"*", true},       {"\"abcd\"", false}, {"", false},
                      {"abc", false},    {" \"abc\" ", true}};
  for (const auto& r : rows) EXPECT_EQ(etag_matches(r.header, "\"abc\""), r.match) << r.header;
}

TEST(StaticAssets, AcceptEncoding) {
  struct row {
    std::string_view header;
    bool gzip;
  };
  const row rows[] = {{"gzip", true},
                      {"gzip, deflate, br", true},
                      {"br;q=1.0, gzip;q=0.8", true},
                      {"GZIP", true},
                      {"gzip;q=0", false},
                      {"gzip; q=0.000", false},
                      {"identity", false},
                      {"", false},
                      {"*", true},
                      {"deflate, *;q=0", false}};
  for (const auto& r : rows) EXPECT_EQ(accepts_gzip(r.header), r.gzip) << r.header;
}

}  // namespace
}  // namespace samverka::gateway
