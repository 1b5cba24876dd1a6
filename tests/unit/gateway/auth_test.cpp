// Credentials on a request, session tokens, cookies and the CSRF rule.
#include "auth.hpp"

#include <gtest/gtest.h>

#include "samverka/core/crypto.hpp"

namespace samverka::gateway {
namespace {

http_request with_headers(std::vector<std::pair<std::string, std::string>> headers) {
  http_request r;
  r.method = "GET";
  r.headers = std::move(headers);
  return r;
}

TEST(Auth, BearerWinsOverCookie) {
  auto c = extract_credentials(with_headers(
      {{"cookie", "samverka_session=eksjo.cookie"}, {"authorization", "Bearer eksjo.bearer"}}));
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->token, "eksjo.bearer");
  EXPECT_FALSE((*c)->from_cookie);
  c = extract_credentials(with_headers({{"authorization", "bearer   eksjo.x  "}}));
  EXPECT_EQ((*c)->token, "eksjo.x");
}

TEST(Auth, Cookie) {
  auto c = extract_credentials(
      with_headers({{"cookie", "theme=dark; samverka_session=eksjo.abc; samverka_csrf=f"}}));
  ASSERT_TRUE(c.has_value() && c->has_value());
  EXPECT_EQ((*c)->token, "eksjo.abc");
  EXPECT_TRUE((*c)->from_cookie);
  // Several Cookie headers (HTTP/2 proxies split them).
  c = extract_credentials(
      with_headers({{"cookie", "theme=dark"}, {"cookie", "samverka_session=eksjo.def"}}));
  EXPECT_EQ((*c)->token, "eksjo.def");
}

TEST(Auth, NoneOrMalformed) {
  auto none = extract_credentials(with_headers({{"cookie", "theme=dark"}}));
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  for (const char* bad : {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "eksjo.abc"}) {
    auto c = extract_credentials(
        with_headers({{"authorization", bad}, {"cookie", "samverka_session=eksjo.abc"}}));
    ASSERT_FALSE(c.has_value()) << bad;
    EXPECT_EQ(c.err().kind, errc::unauthenticated);
  }
}

TEST(Auth, CookieValue) {
  EXPECT_EQ(cookie_value("a=1; b=2", "b"), "2");
  EXPECT_EQ(cookie_value("a=1;b=2", "b"), "2");
  EXPECT_EQ(cookie_value("xb=1; b=\"q\"", "b"), "q");
  EXPECT_EQ(cookie_value("a=1", "b"), std::nullopt);
  EXPECT_EQ(cookie_value("", "b"), std::nullopt);
  EXPECT_EQ(cookie_value("b", "b"), std::nullopt);
}

TEST(Auth, SplitToken) {
  auto t = split_token("eksjo.AbC-_09");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->home, "eksjo");
  EXPECT_EQ(t->secret, "AbC-_09");
  for (const char* bad : {"", "eksjo", "eksjo.", ".abc", "Eksjo.abc", "e.abc", "eksjo.a.b",
                          "eksjo.a b", "eksjo.a+b", "../x.abc"})
    EXPECT_FALSE(split_token(bad)) << bad;
}

TEST(Auth, CsrfToken) {
  const std::string token = "eksjo.secret";
  EXPECT_EQ(csrf_token_for(token), crypto::sha256_hex("eksjo.secret:csrf").substr(0, 32));
  EXPECT_EQ(csrf_token_for(token).size(), 32u);
  EXPECT_NE(csrf_token_for(token), csrf_token_for("eksjo.other"));
}

TEST(Auth, CsrfRule) {
  const credentials cookie{"eksjo.secret", true};
  const credentials bearer{"eksjo.secret", false};
  const std::string good = csrf_token_for("eksjo.secret");
  struct row {
    const char* method;
    const credentials* creds;
    std::optional<std::string> header;
    bool ok;
  };
  for (const auto& r : {
           row{"GET", &cookie, std::nullopt, true},
           row{"HEAD", &cookie, std::nullopt, true},
           row{"POST", &bearer, std::nullopt, true},
           row{"DELETE", &bearer, std::nullopt, true},
           row{"POST", &cookie, std::nullopt, false},
           row{"PATCH", &cookie, "wrong", false},
           row{"DELETE", &cookie, "", false},
           row{"POST", &cookie, good, true},
           row{"PATCH", &cookie, good, true},
       }) {
    std::optional<std::string_view> header;
    if (r.header) header = *r.header;
    EXPECT_EQ(csrf_satisfied(r.method, *r.creds, header), r.ok)
        << r.method << " cookie=" << r.creds->from_cookie << " header=" << r.header.value_or("-");
  }
}

TEST(Auth, Cookies) {
  const auto s = session_cookie("eksjo.x", std::chrono::seconds(3600), false);
  EXPECT_EQ(s, "samverka_session=eksjo.x; Path=/; Max-Age=3600; SameSite=Lax; HttpOnly");
  EXPECT_NE(session_cookie("t", std::chrono::seconds(1), true).find("; Secure"), std::string::npos);
  const auto c = csrf_cookie("abc", std::chrono::seconds(3600), false);
  EXPECT_EQ(c, "samverka_csrf=abc; Path=/; Max-Age=3600; SameSite=Lax");
  EXPECT_EQ(expired_cookie(session_cookie_name, true, false),
            "samverka_session=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly");
}

}  // namespace
}  // namespace samverka::gateway
