// Strict JSON request bodies: media type, syntax, top-level object, unknown fields, wrong types,
// missing fields, nested objects.
#include "json_input.hpp"

#include <gtest/gtest.h>

namespace samverka::gateway {
namespace {

constexpr field_rule audience_rules[] = {
    {"units", json_type::string_array},
    {"roles", json_type::string_array},
};
constexpr field_rule rules[] = {
    {"title", json_type::string, true},
    {"body", json_type::string, true},
    {"shareable", json_type::boolean},
    {"count", json_type::integer},
    {"audience", json_type::object, false, audience_rules},
};

http_request json_request(std::string body, std::string content_type = "application/json") {
  http_request r;
  r.method = "POST";
  r.target = "/api/v1/news";
  if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
  r.body = std::move(body);
  return r;
}

// "" as expected code means success; `mention` must appear in the message.
void check(const std::string& body, const char* code, const char* mention = "",
           const std::string& content_type = "application/json") {
  const auto got = parse_json_body(json_request(body, content_type), rules);
  if (*code == '\0') {
    EXPECT_TRUE(got.has_value()) << body << " -> " << (got ? "" : got.err().message);
    return;
  }
  ASSERT_FALSE(got.has_value()) << body;
  EXPECT_EQ(got.err().kind, errc::invalid_input) << body;
  EXPECT_EQ(got.err().code, code) << body;
  EXPECT_NE(got.err().message.find(mention), std::string::npos)
      << body << ": " << got.err().message;
}

TEST(JsonInput, Valid) {
  check(R"({"title":"t","body":"b"})", "");
  check(R"({"title":"t","body":"b","shareable":false,"count":3})", "");
  check(R"({"title":"t","body":"b","audience":{}})", "");
  check(R"({"title":"t","body":"b","audience":{"units":["IT"],"roles":[]}})", "");
  check(R"({"title":"ö","body":"b"})", "", "", "application/json; charset=UTF-8");
  check(R"({"title":"t","body":"b"})", "", "", "Application/JSON");
}

TEST(JsonInput, MediaType) {
  check(R"({"title":"t","body":"b"})", "unsupported_media_type", "", "");
  check(R"({"title":"t","body":"b"})", "unsupported_media_type", "", "text/plain");
  check(R"({"title":"t","body":"b"})", "unsupported_media_type", "",
        "application/x-www-form-urlencoded");
  check(R"({"title":"t","body":"b"})", "unsupported_media_type", "",
        "application/json; charset=latin1");
  check(R"({"title":"t","body":"b"})", "unsupported_media_type", "", "application/jsonp");
}

TEST(JsonInput, Malformed) {
  for (const char* body : {"", "{", "{\"title\":}", "{'title':'t'}", "nul", "{\"a\":1}x",
                           "{\"title\":\"\xff\",\"body\":\"b\"}"})
    check(body, "malformed_json");
}

TEST(JsonInput, NotAnObject) {
  for (const char* body : {"[]", "\"x\"", "1", "null", "true"}) check(body, "invalid_body");
}

TEST(JsonInput, UnknownFields) {
  check(R"({"title":"t","body":"b","extra":1})", "unknown_field", "\"extra\"");
  check(R"({"title":"t","body":"b","audience":{"units":[],"people":[]}})", "unknown_field",
        "\"audience.people\"");
}

TEST(JsonInput, WrongTypes) {
  check(R"({"title":1,"body":"b"})", "invalid_field", "\"title\"");
  check(R"({"title":null,"body":"b"})", "invalid_field", "\"title\"");
  check(R"({"title":"t","body":["b"]})", "invalid_field", "\"body\"");
  check(R"({"title":"t","body":"b","shareable":"true"})", "invalid_field", "\"shareable\"");
  check(R"({"title":"t","body":"b","count":1.5})", "invalid_field", "\"count\"");
  check(R"({"title":"t","body":"b","audience":[]})", "invalid_field", "\"audience\"");
  check(R"({"title":"t","body":"b","audience":{"units":"IT"}})", "invalid_field",
        "\"audience.units\"");
  check(R"({"title":"t","body":"b","audience":{"units":["IT",2]}})", "invalid_field",
        "\"audience.units\"");
}

TEST(JsonInput, MissingFields) {
  check(R"({})", "missing_field", "\"title\"");
  check(R"({"title":"t"})", "missing_field", "\"body\"");
}

TEST(JsonInput, Getters) {
  auto obj = parse_json_body(
      json_request(R"({"title":"t","body":"b","shareable":true,"audience":{"units":["IT","HR"]}})"),
      rules);
  ASSERT_TRUE(obj.has_value());
  EXPECT_EQ(get_string(*obj, "title"), "t");
  EXPECT_EQ(get_string(*obj, "missing"), std::nullopt);
  EXPECT_EQ(get_bool(*obj, "shareable"), true);
  ASSERT_NE(get_object(*obj, "audience"), nullptr);
  EXPECT_EQ(get_strings(*get_object(*obj, "audience"), "units"),
            (std::vector<std::string>{"IT", "HR"}));
  EXPECT_EQ(get_strings(*get_object(*obj, "audience"), "roles"), std::nullopt);
}

TEST(JsonInput, MediaTypeHelper) {
  struct row {
    const char* ct;
    bool ok;
  };
  for (auto [ct, ok] :
       {row{"application/json", true}, row{"application/json;charset=utf-8", true},
        row{"application/json; charset=\"UTF-8\"", true}, row{" application/json ", true},
        row{"application/json; boundary=x", false}, row{"text/json", false}, row{"", false}})
    EXPECT_EQ(is_json_media_type(ct), ok) << ct;
}

}  // namespace
}  // namespace samverka::gateway
