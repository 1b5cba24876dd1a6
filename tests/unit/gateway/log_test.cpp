// Request ids and the access log line.
#include "log.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace samverka::gateway {
namespace {

TEST(Log, RequestIdKeptWhenSane) {
  for (const char* ok :
       {"abc", "A-b_c.9", "0123456789012345678901234567890123456789012345678901234567890123"})
    EXPECT_EQ(sanitize_request_id(std::string_view(ok)), ok);
}

TEST(Log, RequestIdReplacedOtherwise) {
  for (std::string bad :
       {std::string(""), std::string(65, 'a'), std::string("a b"), std::string("a\"b"),
        std::string("a\nb"), std::string("ä"), std::string("a/b"), std::string("{x}")}) {
    const auto got = sanitize_request_id(std::string_view(bad));
    EXPECT_NE(got, bad);
    EXPECT_FALSE(got.empty());
    EXPECT_EQ(sanitize_request_id(std::string_view(got)), got);  // generated ids are sane
  }
  EXPECT_NE(sanitize_request_id(std::nullopt), sanitize_request_id(std::nullopt));
}

TEST(Log, AccessLineIsOneJsonObject) {
  const std::string line = format_access(
      {"req-1", "eksjo", "GET", "/api/v1/news/{id}", 200, 12.3456}, 1'795'000'000'000);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("ts").as_string(), "2026-11-18T11:06:40Z");
  EXPECT_EQ(v.at("request_id").as_string(), "req-1");
  EXPECT_EQ(v.at("tenant").as_string(), "eksjo");
  EXPECT_EQ(v.at("method").as_string(), "GET");
  EXPECT_EQ(v.at("route").as_string(), "/api/v1/news/{id}");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_NEAR(v.at("duration_ms").as_double(), 12.345, 0.001);
}

}  // namespace
}  // namespace samverka::gateway
