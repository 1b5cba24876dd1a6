// Unit tests of samverka_core: time formats, identifiers and crypto wrappers.
#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/error.hpp"
#include "samverka/core/slug.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace samverka {
namespace {

TEST(Clock, Rfc3339RoundTrip) {
  EXPECT_EQ(to_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(to_rfc3339(1'795'000'000'250), "2026-11-18T11:06:40.250Z");
  for (std::int64_t ms : {0LL, 1'795'000'000'000LL, 1'795'000'000'250LL, 951'782'400'000LL})
    EXPECT_EQ(parse_rfc3339(to_rfc3339(ms)), ms);
  EXPECT_EQ(parse_rfc3339("2026-11-18T12:06:40+01:00"), 1'795'000'000'000LL);
}

// The hand-written formatter agrees with gmtime_r over a wide range of instants.
TEST(Clock, Rfc3339MatchesGmtime) {
  std::int64_t ms = -2'208'988'800'000;  // 1900-01-01
  for (int i = 0; i < 20'000; ++i, ms += 7'654'321'987 + i) {
    std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char want[40];
    std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
    auto got = to_rfc3339(ms);
    ASSERT_EQ(got.substr(0, 19), want) << ms;
    EXPECT_EQ(parse_rfc3339(got), ms) << got;
  }
}

TEST(Clock, Rfc3339RejectsGarbage) {
  for (const char* bad :
       {"", "2026-11-18", "2026-13-01T00:00:00Z", "2026-11-18T09:46:40", "2026-11-18T09:46:40Zjunk",
        "yyyy-11-18T09:46:40Z", "2026-11-18T09:46:40."})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(Slug, ContractRule) {
  struct row {
    const char* s;
    bool ok;
  };
  for (auto [s, ok] :
       {row{"eksjo", true}, row{"a1", true}, row{"jonkoping-kommun", true}, row{"a", false},
        row{"1abc", false}, row{"Eksjo", false}, row{"eks jo", false}, row{"eksjö", false},
        row{"abcdefghijabcdefghijabcdefghijabcdefghij", true},
        row{"abcdefghijabcdefghijabcdefghijabcdefghijk", false}})
    EXPECT_EQ(valid_slug(s), ok) << s;
}

TEST(Slug, DomainsAndEmails) {
  EXPECT_TRUE(valid_domain("eksjo.se"));
  EXPECT_FALSE(valid_domain("eksjo"));
  EXPECT_FALSE(valid_domain("-eksjo.se"));
  EXPECT_FALSE(valid_domain("eks..se"));
  EXPECT_TRUE(valid_email("anna.svensson@eksjo.se"));
  EXPECT_FALSE(valid_email("anna@"));
  EXPECT_FALSE(valid_email("@eksjo.se"));
  EXPECT_FALSE(valid_email("a@b@eksjo.se"));
  EXPECT_EQ(email_domain("Anna@EKSJO.se"), "eksjo.se");
}

TEST(Crypto, TokensAreRandomAndUrlSafe) {
  auto a = crypto::random_token(), b = crypto::random_token();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(crypto::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(crypto::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(crypto::constant_time_equal("abc", "abd"));
}

TEST(Result, ValueOnFailureIsABug) {
  result<int> r = error(errc::not_found, "nope");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.err().code, "not_found");
  EXPECT_THROW((void)r.value(), std::logic_error);
}

}  // namespace
}  // namespace samverka
