// The routing table: templates, placeholders, 404 and 405 with Allow.
#include "router.hpp"

#include <gtest/gtest.h>

namespace samverka::gateway {
namespace {

TEST(Router, MatchTemplate) {
  struct row {
    const char* tmpl;
    const char* path;
    bool ok;
    std::vector<std::string> params;
  };
  for (const auto& r : {
           row{"/", "/", true, {}},
           row{"/api/v1/news", "/api/v1/news", true, {}},
           row{"/api/v1/news/{id}", "/api/v1/news/12", true, {"12"}},
           row{"/api/v1/news/{id}", "/api/v1/news/abc", true, {"abc"}},
           row{"/a/{x}/b/{y}", "/a/1/b/2", true, {"1", "2"}},
           row{"/api/v1/news/{id}", "/api/v1/news/", false, {}},
           row{"/api/v1/news/{id}", "/api/v1/news", false, {}},
           row{"/api/v1/news/{id}", "/api/v1/news/1/2", false, {}},
           row{"/api/v1/news", "/api/v1/news/", false, {}},
           row{"/api/v1/news", "/api/v1/newsx", false, {}},
           row{"/", "", false, {}},
           row{"/", "//", false, {}},
           row{"/a/{x}/b", "/a/1/c", false, {}},
       }) {
    std::vector<std::string> params;
    EXPECT_EQ(match_template(r.tmpl, r.path, params), r.ok) << r.tmpl << " " << r.path;
    EXPECT_EQ(params, r.params) << r.tmpl << " " << r.path;
  }
}

TEST(Router, FindMethodsAndAllow) {
  router<int> rt;
  rt.add("GET", "/api/v1/news", 1);
  rt.add("POST", "/api/v1/news", 2);
  rt.add("GET", "/api/v1/news/{id}", 3);
  rt.add("PATCH", "/api/v1/news/{id}", 4);
  rt.add("DELETE", "/api/v1/news/{id}", 5);
  using outcome = router<int>::match::outcome;

  auto m = rt.find("PATCH", "/api/v1/news/7");
  ASSERT_EQ(m.result, outcome::found);
  EXPECT_EQ(m.found->handler, 4);
  EXPECT_EQ(m.params, std::vector<std::string>{"7"});
  EXPECT_EQ(m.tmpl, "/api/v1/news/{id}");

  m = rt.find("PUT", "/api/v1/news/7");
  EXPECT_EQ(m.result, outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, PATCH, DELETE");
  EXPECT_EQ(m.tmpl, "/api/v1/news/{id}");

  m = rt.find("DELETE", "/api/v1/news");
  EXPECT_EQ(m.result, outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, POST");

  m = rt.find("GET", "/api/v1/sharing/inbox");
  EXPECT_EQ(m.result, outcome::not_found);
  EXPECT_TRUE(m.tmpl.empty());
}

}  // namespace
}  // namespace samverka::gateway
