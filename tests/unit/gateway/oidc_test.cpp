// ID token verification (oidc_client.hpp) with real keys generated here and real signatures
// made by cjose: every accepted and refused case of the verifier, JWKS and discovery parsing,
// and PKCE.
#include "oidc_client.hpp"

#include <cjose/cjose.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "samverka/core/crypto.hpp"

namespace samverka::gateway::oidc {
namespace {

namespace json = boost::json;

constexpr const char* issuer = "https://idp.example.org/tenant";
constexpr const char* client_id = "samverka-eksjo";
constexpr const char* nonce = "n-0S6_WzA2Mj";
constexpr std::int64_t now = 1'800'000'000;

struct jwk_deleter {
  void operator()(cjose_jwk_t* k) const { cjose_jwk_release(k); }
};
using jwk_ptr = std::unique_ptr<cjose_jwk_t, jwk_deleter>;

// A private key with its kid, as the provider holds it.
struct signing_key {
  jwk_ptr jwk;
  std::string kid;
  std::string alg;
};

signing_key make_key(const std::string& alg, const std::string& kid) {
  cjose_err err{};
  signing_key k;
  k.kid = kid;
  k.alg = alg;
  if (alg == "ES256") {
    k.jwk.reset(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err));
  } else {
    static const uint8_t e[] = {0x01, 0x00, 0x01};
    k.jwk.reset(cjose_jwk_create_RSA_random(alg == "RS256-1024" ? 1024 : 2048, e, sizeof e, &err));
    k.alg = "RS256";
  }
  EXPECT_TRUE(k.jwk) << err.message;
  cjose_jwk_set_kid(k.jwk.get(), kid.data(), kid.size(), &err);
  return k;
}

// The JWKS publishing the public halves of `keys`.
std::string jwks_of(std::initializer_list<const signing_key*> keys, bool with_alg = true) {
  json::array arr;
  for (const auto* k : keys) {
    cjose_err err{};
    char* pub = cjose_jwk_to_json(k->jwk.get(), false, &err);
    json::object o = json::parse(pub).as_object();
    free(pub);
    o["use"] = "sig";
    if (with_alg) o["alg"] = k->alg;
    arr.push_back(std::move(o));
  }
  return json::serialize(json::object{{"keys", std::move(arr)}});
}

std::string b64(std::string_view s) {
  return crypto::base64url(s);
}

// A compact JWS of `claims` signed by `k` (header alg/kid as given).
std::string sign(const signing_key& k, const json::object& claims, std::string kid = "<key>") {
  cjose_err err{};
  cjose_header_t* h = cjose_header_new(&err);
  cjose_header_set(h, CJOSE_HDR_ALG, k.alg.c_str(), &err);
  if (kid == "<key>") kid = k.kid;
  if (!kid.empty()) cjose_header_set(h, CJOSE_HDR_KID, kid.c_str(), &err);
  const std::string payload = json::serialize(claims);
  cjose_jws_t* jws = cjose_jws_sign(
      k.jwk.get(), h, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), &err);
  EXPECT_TRUE(jws) << err.message;
  const char* compact = nullptr;
  cjose_jws_export(jws, &compact, &err);
  std::string out = compact;
  cjose_jws_release(jws);
  cjose_header_release(h);
  return out;
}

json::object good_claims() {
  return json::object{{"iss", issuer},           {"sub", "248289761001"}, {"aud", client_id},
                      {"exp", now + 300},        {"iat", now - 5},        {"nonce", nonce},
                      {"email", "anna@eksjo.se"}};
}

id_token_checks checks() {
  id_token_checks c;
  c.issuer = issuer;
  c.client_id = client_id;
  c.nonce = nonce;
  c.now_s = now;
  return c;
}

class verifier : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa = new signing_key(make_key("RS256", "rsa-1"));
    ec = new signing_key(make_key("ES256", "ec-1"));
    other_rsa = new signing_key(make_key("RS256", "rsa-1"));  // same kid, another key
    other_ec = new signing_key(make_key("ES256", "ec-1"));
  }
  static void TearDownTestSuite() {
    delete rsa;
    delete ec;
    delete other_rsa;
    delete other_ec;
  }

  std::shared_ptr<const jwk_set> published() {
    auto set = jwk_set::parse(jwks_of({rsa, ec}));
    EXPECT_TRUE(set) << set.err().message;
    return *set;
  }

  std::string code_of(std::string_view jwt, const id_token_checks& c = checks()) {
    auto r = verify_id_token(jwt, *published(), c);
    return r ? "ok" : r.err().code;
  }

  static signing_key* rsa;
  static signing_key* ec;
  static signing_key* other_rsa;
  static signing_key* other_ec;
};
signing_key* verifier::rsa = nullptr;
signing_key* verifier::ec = nullptr;
signing_key* verifier::other_rsa = nullptr;
signing_key* verifier::other_ec = nullptr;

TEST_F(verifier, accepts_rs256_and_es256) {
  auto r = verify_id_token(sign(*rsa, good_claims()), *published(), checks());
  ASSERT_TRUE(r) << r.err().code;
  EXPECT_EQ(r->subject, "248289761001");
  EXPECT_EQ(r->email.value_or(""), "anna@eksjo.se");
  EXPECT_EQ(r->alg, "RS256");
  EXPECT_EQ(r->kid, "rsa-1");
  auto e = verify_id_token(sign(*ec, good_claims()), *published(), checks());
  ASSERT_TRUE(e) << e.err().code;
  EXPECT_EQ(e->alg, "ES256");
}

TEST_F(verifier, token_without_kid_is_tried_against_fitting_keys) {
  EXPECT_EQ(code_of(sign(*rsa, good_claims(), "")), "ok");
  EXPECT_EQ(code_of(sign(*ec, good_claims(), "")), "ok");
  EXPECT_EQ(code_of(sign(*other_rsa, good_claims(), "")), "oidc_bad_signature");
}

TEST_F(verifier, signature_by_another_key_under_a_known_kid_is_refused) {
  EXPECT_EQ(code_of(sign(*other_rsa, good_claims())), "oidc_bad_signature");
  EXPECT_EQ(code_of(sign(*other_ec, good_claims())), "oidc_bad_signature");
}

TEST_F(verifier, unknown_kid_is_reported_for_a_refetch) {
  EXPECT_EQ(code_of(sign(*other_rsa, good_claims(), "rotated-2")), "oidc_unknown_key");
}

TEST_F(verifier, kid_of_another_key_type_does_not_verify) {
  // An ES256 token naming the RSA key's kid: no key confusion across types.
  EXPECT_EQ(code_of(sign(*ec, good_claims(), "rsa-1")), "oidc_bad_signature");
}

TEST_F(verifier, tampered_payload_is_refused) {
  auto jwt = sign(*rsa, good_claims());
  auto claims = good_claims();
  claims["sub"] = "someone-else";
  const auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  const std::string forged = jwt.substr(0, d1 + 1) + b64(json::serialize(claims)) + jwt.substr(d2);
  EXPECT_EQ(code_of(forged), "oidc_bad_signature");
}

TEST_F(verifier, none_and_hmac_algorithms_are_refused) {
  const auto payload = b64(json::serialize(good_claims()));
  EXPECT_EQ(code_of(b64(R"({"alg":"none"})") + "." + payload + "."), "oidc_unsupported_alg");
  EXPECT_EQ(code_of(b64(R"({"alg":"HS256","kid":"rsa-1"})") + "." + payload + ".c2ln"),
            "oidc_unsupported_alg");
  EXPECT_EQ(code_of(b64(R"({"alg":"RS512","kid":"rsa-1"})") + "." + payload + ".c2ln"),
            "oidc_unsupported_alg");
  EXPECT_EQ(
      code_of(b64(R"({"alg":"RS256","kid":"rsa-1","crit":["exp"]})") + "." + payload + ".c2ln"),
      "oidc_unsupported_alg");
}

TEST_F(verifier, malformed_tokens_are_refused) {
  for (const std::string& bad : std::vector<std::string>{"", "a.b", "a.b.c.d", "!!.e30.e30",
                                                         "e30.e30", std::string(20000, 'a')})
    EXPECT_NE(code_of(bad), "ok") << bad;
  EXPECT_EQ(code_of(b64("not json") + ".e30.e30"), "oidc_malformed_token");
}

TEST_F(verifier, issuer_must_match) {
  auto c = good_claims();
  c["iss"] = "https://evil.example.org/tenant";
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_issuer");
  c.erase("iss");
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_issuer");
}

TEST_F(verifier, audience_must_contain_the_client_and_azp_must_fit) {
  auto c = good_claims();
  c["aud"] = "another-client";
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_audience");
  c["aud"] = json::array{"another-client", client_id};
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_audience");  // several audiences, no azp
  c["azp"] = client_id;
  EXPECT_EQ(code_of(sign(*rsa, c)), "ok");
  c["azp"] = "another-client";
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_audience");
  c["aud"] = json::array{client_id};
  c.erase("azp");
  EXPECT_EQ(code_of(sign(*rsa, c)), "ok");
}

TEST_F(verifier, expiry_and_issue_time_allow_only_the_clock_skew) {
  const auto skew = std::chrono::seconds(limits::clock_skew).count();
  auto c = good_claims();
  c["exp"] = now - skew - 1;
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_token_expired");
  c["exp"] = now - skew + 5;
  EXPECT_EQ(code_of(sign(*rsa, c)), "ok");
  c = good_claims();
  c["iat"] = now + skew + 10;
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_token_not_yet_valid");
  c["iat"] = now - 3600;
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_token_expired");  // an old token replayed
  c = good_claims();
  c["nbf"] = now + skew + 10;
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_token_not_yet_valid");
  c = good_claims();
  c.erase("exp");
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_malformed_token");
}

TEST_F(verifier, nonce_must_be_the_one_bound_to_the_state) {
  auto c = good_claims();
  c["nonce"] = "another";
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_nonce");
  c.erase("nonce");
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_wrong_nonce");
  auto ch = checks();
  ch.nonce.clear();  // never "both empty"
  EXPECT_EQ(code_of(sign(*rsa, c), ch), "oidc_wrong_nonce");
}

TEST_F(verifier, subject_required_and_unverified_email_refused) {
  auto c = good_claims();
  c.erase("sub");
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_missing_subject");
  c = good_claims();
  c["email_verified"] = false;
  EXPECT_EQ(code_of(sign(*rsa, c)), "oidc_email_unverified");
  c["email_verified"] = true;
  EXPECT_EQ(code_of(sign(*rsa, c)), "ok");
}

TEST_F(verifier, configured_email_claim_is_read) {
  auto c = good_claims();
  c.erase("email");
  c["upn"] = "bo@eksjo.se";
  auto ch = checks();
  ch.email_claim = "upn";
  auto r = verify_id_token(sign(*rsa, c), *published(), ch);
  ASSERT_TRUE(r) << r.err().code;
  EXPECT_EQ(r->email.value_or(""), "bo@eksjo.se");
}

TEST(jwks, skips_unusable_keys_and_refuses_an_empty_set) {
  auto weak = make_key("RS256-1024", "weak");
  auto strong = make_key("RS256", "strong");
  auto set = jwk_set::parse(jwks_of({&weak, &strong}));
  ASSERT_TRUE(set);
  EXPECT_EQ((*set)->size(), 1u);  // the 1024-bit key is dropped
  EXPECT_FALSE(jwk_set::parse(jwks_of({&weak})));
  EXPECT_FALSE(jwk_set::parse(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})"));
  EXPECT_FALSE(jwk_set::parse("[]"));
  EXPECT_FALSE(jwk_set::parse("not json"));
}

TEST(discovery, issuer_must_match_and_endpoints_be_https) {
  const json::object doc{{"issuer", issuer},
                         {"authorization_endpoint", std::string(issuer) + "/authorize"},
                         {"token_endpoint", std::string(issuer) + "/token"},
                         {"jwks_uri", std::string(issuer) + "/jwks"}};
  auto ok = parse_discovery(json::serialize(doc), issuer);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->token_endpoint, std::string(issuer) + "/token");
  EXPECT_FALSE(ok->iss_in_authorization_response);  // RFC 9207: only when promised
  auto promising = doc;
  promising["authorization_response_iss_parameter_supported"] = true;
  EXPECT_TRUE(parse_discovery(json::serialize(promising), issuer)->iss_in_authorization_response);
  promising["authorization_response_iss_parameter_supported"] = "yes";  // not a boolean: no
  EXPECT_FALSE(parse_discovery(json::serialize(promising), issuer)->iss_in_authorization_response);
  EXPECT_FALSE(parse_discovery(json::serialize(doc), "https://other.example.org"));
  auto plain = doc;
  plain["token_endpoint"] = "http://idp.example.org/token";
  EXPECT_FALSE(parse_discovery(json::serialize(plain), issuer));
  EXPECT_FALSE(parse_discovery("{}", issuer));
  // The authorization endpoint ends up in a Location header: control characters are refused.
  for (const std::string bad :
       {std::string("\v"), std::string("\x7f"), std::string(1, '\0'), std::string("\r\nX: y")}) {
    auto hostile = doc;
    hostile["authorization_endpoint"] = std::string(issuer) + "/authorize" + bad;
    EXPECT_FALSE(parse_discovery(json::serialize(hostile), issuer)) << bad;
  }
}

TEST(pkce, s256_matches_rfc7636_appendix_b) {
  EXPECT_EQ(pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(form_encoding, keeps_unreserved_only) {
  EXPECT_EQ(form_encode("a b/c?d=e&f~g.h_i-j"), "a%20b%2Fc%3Fd%3De%26f~g.h_i-j");
  EXPECT_EQ(form_encode("å"), "%C3%A5");
}

}  // namespace
}  // namespace samverka::gateway::oidc
