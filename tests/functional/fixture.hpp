// A running server over a copy of the demo platform (see harness.hpp provision_demo).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <set>
#include <string>

#include "harness.hpp"

namespace samverka::testing {

class platform : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(copy_demo(dir.path()));
    srv = std::make_unique<server>(dir.path());
  }
  // Logs in a demo person ("editor", "anna", ...) of tenant `slug` and returns the token.
  std::string as(const std::string& who, const std::string& slug = "eksjo") {
    return srv->login(slug, who + "@" + slug + ".se", demo_password);
  }
  // Publishes news at `slug` as its editor; returns the new id.
  std::int64_t publish(const std::string& title, boost::json::object audience = {},
                       const std::string& slug = "eksjo") {
    boost::json::object b{{"title", title}, {"body", "<p>" + title + "</p>"}};
    if (!audience.empty()) b["audience"] = audience;
    auto r = srv->post("/t/" + slug + "/api/v1/news", body(b), as("editor", slug));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().at("id").to_number<std::int64_t>() : 0;
  }
  // Titles of the news feed as `token` sees it.
  std::set<std::string> titles(const std::string& token, const std::string& scope = "mine",
                               const std::string& slug = "eksjo") {
    auto r = srv->get("/t/" + slug + "/api/v1/news?limit=100&scope=" + scope, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    if (r.status != 200) return out;
    auto doc = r.json();  // keep the parsed body alive while iterating it
    for (auto& it : doc.at("items").as_array()) out.insert(std::string(it.at("title").as_string()));
    return out;
  }

  temp_dir dir;
  std::unique_ptr<server> srv;
};

}  // namespace samverka::testing
