// The store side of OpenID Connect sign-in: settings validation, pending sign-ins (single use,
// expiry, bound to a browser hash) and (issuer, subject) links.
#include "samverka/tenant/oidc.hpp"

#include <gtest/gtest.h>

#include "samverka/core/clock.hpp"
#include "samverka/tenant/store.hpp"
#include "test_util.hpp"

namespace samverka::tenant {
namespace {

using testing::expect_error;
using testing::must;

class oidc_store : public ::testing::Test {
 protected:
  void SetUp() override {
    must(create_store(dir.path() / "t"));
    s = must(store::open("t", dir.path() / "t"));
    anna = must(s->add_user({"anna@eksjo.se", "Anna", bit(role::employee), {}, std::nullopt}));
    bo = must(s->add_user({"bo@eksjo.se", "Bo", bit(role::employee), {}, std::nullopt}));
  }

  static oidc_settings settings() {
    oidc_settings o;
    o.issuer = "https://login.example.org/eksjo/v2.0";
    o.client_id = "cid";
    o.client_secret = "secret";
    return o;
  }

  static oidc_pending pending(std::int64_t ttl_ms = 60'000) {
    oidc_pending p;
    p.binding_hash = "b";
    p.issuer = settings().issuer;
    p.nonce = "n";
    p.code_verifier = "v";
    p.redirect_uri = "http://127.0.0.1/t/eksjo/auth/oidc/callback";
    p.return_to = "/t/eksjo/";
    p.expires_at_ms = now_ms() + ttl_ms;
    return p;
  }

  testing::temp_dir dir;
  std::shared_ptr<store> s;
  user anna, bo;
};

TEST_F(oidc_store, settings_are_validated_and_replaced) {
  EXPECT_FALSE(must(s->oidc_get_settings()));
  auto saved = must(s->oidc_set_settings(settings()));
  EXPECT_EQ(saved.label, "login.example.org");  // default: the issuer's host
  EXPECT_EQ(saved.email_claim, "email");
  auto bad = settings();
  bad.issuer = "http://login.example.org";
  expect_error(s->oidc_set_settings(bad), errc::invalid_input, "invalid_issuer");
  bad.issuer = "https://login.example.org/#x";
  expect_error(s->oidc_set_settings(bad), errc::invalid_input, "invalid_issuer");
  bad = settings();
  bad.client_secret = "";
  expect_error(s->oidc_set_settings(bad), errc::invalid_input, "invalid_client_secret");
  bad = settings();
  bad.email_claim = "e mail";
  expect_error(s->oidc_set_settings(bad), errc::invalid_input, "invalid_claim");
  EXPECT_EQ(must(s->oidc_get_settings())->client_secret, "secret");
  must(s->oidc_remove_settings());
  expect_error(s->oidc_remove_settings(), errc::not_found);
}

TEST_F(oidc_store, a_pending_sign_in_is_taken_once) {
  must(s->oidc_put_state("state-1", pending()));
  auto p = must(s->oidc_take_state("state-1"));
  EXPECT_EQ(p.nonce, "n");
  EXPECT_EQ(p.return_to, "/t/eksjo/");
  expect_error(s->oidc_take_state("state-1"), errc::not_found, "oidc_state_invalid");
  expect_error(s->oidc_take_state("never-issued"), errc::not_found, "oidc_state_invalid");
  expect_error(s->oidc_take_state(""), errc::not_found);
}

TEST_F(oidc_store, an_expired_pending_sign_in_is_refused) {
  must(s->oidc_put_state("old", pending(-1)));
  expect_error(s->oidc_take_state("old"), errc::not_found, "oidc_state_invalid");
}

TEST_F(oidc_store, changing_the_issuer_drops_pending_sign_ins) {
  must(s->oidc_set_settings(settings()));
  must(s->oidc_put_state("state-2", pending()));
  auto other = settings();
  other.issuer = "https://other.example.org";
  must(s->oidc_set_settings(other));
  expect_error(s->oidc_take_state("state-2"), errc::not_found);
}

TEST_F(oidc_store, links_are_one_identity_per_person_and_provider) {
  const oidc_identity a{"https://idp", "sub-a"};
  EXPECT_FALSE(must(s->oidc_linked_user(a)));
  must(s->oidc_link(a, anna.id));
  must(s->oidc_link(a, anna.id));  // a later sign-in
  EXPECT_EQ(must(s->oidc_linked_user(a))->email, "anna@eksjo.se");
  expect_error(s->oidc_link({"https://idp", "sub-other"}, anna.id), errc::conflict,
               "oidc_identity_taken");
  // The same person may have an identity at another provider.
  must(s->oidc_link({"https://other-idp", "sub-a"}, anna.id));
  // A known subject is never moved to another person.
  expect_error(s->oidc_link(a, bo.id), errc::conflict, "oidc_identity_taken");
  EXPECT_EQ(must(s->oidc_linked_user(a))->email, "anna@eksjo.se");
}

}  // namespace
}  // namespace samverka::tenant
