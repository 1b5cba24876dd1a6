// Query strings, list parameters (scope, limit, cursor) and path ids.
#include "query.hpp"

#include <gtest/gtest.h>

namespace samverka::gateway {
namespace {

TEST(Query, Decodes) {
  auto q = parse_query("scope=all&limit=5&cursor=abc%2Edef&q=a+b%20c");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(param(*q, "scope"), "all");
  EXPECT_EQ(param(*q, "limit"), "5");
  EXPECT_EQ(param(*q, "cursor"), "abc.def");
  EXPECT_EQ(param(*q, "q"), "a b c");
  EXPECT_EQ(param(*q, "missing"), std::nullopt);
  EXPECT_TRUE(parse_query("")->empty());
  EXPECT_TRUE(parse_query("a=1&&b=2").has_value());
}

TEST(Query, RejectsDuplicatesAndBadEscapes) {
  for (const char* bad : {"limit=1&limit=2", "a=%zz", "a=%4"}) {
    auto q = parse_query(bad);
    ASSERT_FALSE(q.has_value()) << bad;
    EXPECT_EQ(q.err().code, "invalid_parameter") << bad;
  }
}

TEST(Query, Limit) {
  struct row {
    std::optional<std::string_view> text;
    std::optional<std::size_t> want;  // nullopt: 400
  };
  for (const auto& [text, want] :
       {row{std::nullopt, 20}, row{"1", 1}, row{"100", 100}, row{"20", 20}, row{"0", {}},
        row{"101", {}}, row{"-1", {}}, row{"+5", {}}, row{"5x", {}}, row{"", {}}, row{"abc", {}},
        row{" 5", {}}, row{"99999999999999999999999", {}}, row{"1.5", {}}}) {
    auto got = parse_limit(text);
    if (want) {
      ASSERT_TRUE(got.has_value()) << text.value_or("(absent)");
      EXPECT_EQ(*got, *want);
    } else {
      ASSERT_FALSE(got.has_value()) << *text;
      EXPECT_EQ(got.err().code, "invalid_parameter");
      EXPECT_NE(got.err().message.find("limit"), std::string::npos);
    }
  }
}

TEST(Query, Scope) {
  EXPECT_EQ(*parse_scope(std::nullopt), tenant::news_scope::mine);
  EXPECT_EQ(*parse_scope("mine"), tenant::news_scope::mine);
  EXPECT_EQ(*parse_scope("all"), tenant::news_scope::all);
  for (const char* bad : {"", "ALL", "everything", "mine "})
    EXPECT_FALSE(parse_scope(bad).has_value()) << bad;
}

TEST(Query, Cursor) {
  EXPECT_EQ(*parse_cursor(std::nullopt), std::nullopt);
  EXPECT_EQ(*parse_cursor("1795000000000.42"), "1795000000000.42");
  EXPECT_FALSE(parse_cursor("").has_value());
  EXPECT_FALSE(parse_cursor(std::string(200, 'a')).has_value());
  EXPECT_FALSE(parse_cursor("a b").has_value());
  EXPECT_FALSE(parse_cursor("a\nb").has_value());
}

TEST(Query, Id) {
  struct row {
    const char* text;
    std::optional<std::int64_t> want;
  };
  for (auto [text, want] :
       {row{"1", 1}, row{"42", 42}, row{"9223372036854775807", INT64_MAX}, row{"0", {}},
        row{"-1", {}}, row{"+1", {}}, row{"1e3", {}}, row{"abc", {}}, row{"", {}}, row{"12abc", {}},
        row{" 1", {}}, row{"9223372036854775808", {}}})
    EXPECT_EQ(parse_id(text), want) << text;
}

}  // namespace
}  // namespace samverka::gateway
