// OpenID Connect (Samverka as relying party): the store side. Schema and its invariants:
// schema_oidc.hpp. The gateway speaks HTTP to the identity provider and verifies ID tokens;
// here are only the tenant's settings, pending sign-ins and (issuer, subject) links.
//
// Design notes:
//  1. A pending sign-in is found by sha256(state), like sessions by sha256(secret): a copy of the
//     database does not hand out usable state values.
//  2. Taking a pending sign-in deletes it in the same write transaction, so a state value is
//     used at most once even when two callbacks race.
//  3. Expired pending sign-ins are swept whenever a new one is stored; no background job.
#include "samverka/tenant/oidc.hpp"

#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f) return false;
  return !s.empty();
}

// The host of an https URL ("https://HOST[:PORT]/..." -> "HOST[:PORT]").
std::string_view url_host(std::string_view url) {
  url.remove_prefix(std::string_view("https://").size());
  return url.substr(0, url.find('/'));
}

error invalid(std::string code, std::string message) {
  return error(errc::invalid_input, std::move(code), std::move(message));
}

oidc_settings read_settings(const db::statement& st) {
  oidc_settings s;
  s.issuer = st.text(0);
  s.client_id = st.text(1);
  s.client_secret = st.text(2);
  s.email_claim = st.text(3);
  s.label = st.text(4);
  s.updated_at_ms = st.int64(5);
  return s;
}

constexpr const char* settings_columns =
    "SELECT issuer, client_id, client_secret, email_claim, label, updated_at FROM oidc_settings"
    " WHERE id = 1";

}  // namespace

result<oidc_settings> validate_oidc_settings(oidc_settings s) {
  s.issuer = std::string(trim(s.issuer));
  if (!s.issuer.starts_with("https://"))
    return invalid("invalid_issuer", "the issuer must be an https:// URL");
  if (s.issuer.size() > oidc_limits::max_issuer)
    return invalid("invalid_issuer", "the issuer URL is longer than " +
                                         std::to_string(oidc_limits::max_issuer) + " characters");
  if (!printable_ascii(s.issuer) || s.issuer.find_first_of("?#\\\"'<>") != std::string::npos)
    return invalid("invalid_issuer",
                   "the issuer must be an https:// URL without spaces, query or fragment");
  const auto host = url_host(s.issuer);
  if (host.empty() || host.find('@') != std::string_view::npos)
    return invalid("invalid_issuer", "the issuer URL has no host");
  if (!printable_ascii(s.client_id) || s.client_id.size() > oidc_limits::max_client_id)
    return invalid("invalid_client_id", "the client id must be 1 to " +
                                            std::to_string(oidc_limits::max_client_id) +
                                            " printable ASCII characters without spaces");
  if (!printable_ascii(s.client_secret) || s.client_secret.size() > oidc_limits::max_client_secret)
    return invalid("invalid_client_secret", "the client secret must be 1 to " +
                                                std::to_string(oidc_limits::max_client_secret) +
                                                " printable ASCII characters without spaces");
  if (s.email_claim.empty()) s.email_claim = "email";
  if (s.email_claim.size() > oidc_limits::max_claim_name ||
      s.email_claim.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-.:/") != std::string::npos)
    return invalid("invalid_claim", "the e-mail claim must be a plain claim name such as email");
  if (trim(s.label).empty()) s.label = std::string(host.substr(0, host.find(':')));
  auto label = plain_text(s.label, "label", oidc_limits::max_label, true, false);
  if (!label) return label.err();
  s.label = std::move(*label);
  return s;
}

result<std::optional<oidc_settings>> store::oidc_get_settings() {
  return p_->guarded("read identity provider", [&]() -> result<std::optional<oidc_settings>> {
    auto c = p_->borrow();
    auto& st = c->cached(settings_columns);
    if (!st.step()) return std::optional<oidc_settings>();
    auto s = read_settings(st);
    st.reset();
    return std::optional<oidc_settings>(std::move(s));
  });
}

result<oidc_settings> store::oidc_set_settings(const oidc_settings& in) {
  auto checked = validate_oidc_settings(in);
  if (!checked) return checked.err();
  oidc_settings s = std::move(*checked);
  return p_->guarded("set identity provider", [&]() -> result<oidc_settings> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    s.updated_at_ms = now_ms();
    // Pending sign-ins of another issuer would fail at their callback anyway; drop them now.
    c->cached("DELETE FROM oidc_states WHERE issuer <> ?1").bind(1, s.issuer).run();
    c->cached(
         "INSERT INTO oidc_settings(id, issuer, client_id, client_secret, email_claim, label,"
         " updated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)"
         " ON CONFLICT(id) DO UPDATE SET issuer = ?1, client_id = ?2, client_secret = ?3,"
         " email_claim = ?4, label = ?5, updated_at = ?6")
        .bind_all(s.issuer, s.client_id, s.client_secret, s.email_claim, s.label, s.updated_at_ms)
        .run();
    tx.commit();
    return s;
  });
}

result<void> store::oidc_remove_settings() {
  return p_->guarded("remove identity provider", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("DELETE FROM oidc_settings WHERE id = 1").run();
    if (c->changes() == 0)
      return error(errc::not_found, "oidc_not_configured", "no identity provider is configured");
    c->cached("DELETE FROM oidc_states").run();
    tx.commit();
    return {};
  });
}

result<void> store::oidc_put_state(std::string_view state, const oidc_pending& p) {
  if (state.empty() || state.size() > max_secret)
    return error(errc::invalid_input, "invalid_state", "the state value is malformed");
  if (p.return_to.size() > oidc_limits::max_return_to ||
      p.redirect_uri.size() > oidc_limits::max_redirect_uri)
    return error(errc::invalid_input, "invalid_state", "the sign-in parameters are too long");
  const std::string hash = crypto::sha256_hex(state);
  return p_->guarded("store pending sign-in", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto now = now_ms();
    c->cached("DELETE FROM oidc_states WHERE expires_at <= ?1").bind(1, now).run();
    auto& count = c->cached("SELECT count(*) FROM oidc_states");
    count.step();
    const auto pending = count.int64(0);
    count.reset();
    if (pending >= static_cast<std::int64_t>(oidc_limits::max_pending_states))
      return error(errc::unavailable, "oidc_busy",
                   "too many sign-ins are in progress; try again in a few minutes");
    c->cached(
         "INSERT INTO oidc_states(state_hash, binding_hash, issuer, nonce, code_verifier,"
         " redirect_uri, return_to, created_at, expires_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        .bind_all(hash, p.binding_hash, p.issuer, p.nonce, p.code_verifier, p.redirect_uri,
                  p.return_to, now, p.expires_at_ms)
        .run();
    tx.commit();
    return {};
  });
}

result<oidc_pending> store::oidc_take_state(std::string_view state) {
  const error unknown(errc::not_found, "oidc_state_invalid",
                      "the sign-in is unknown, already used or expired");
  if (state.empty() || state.size() > max_secret) return unknown;
  const std::string hash = crypto::sha256_hex(state);
  return p_->guarded("take pending sign-in", [&]() -> result<oidc_pending> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st = c->cached(
        "DELETE FROM oidc_states WHERE state_hash = ?1 RETURNING binding_hash, issuer, nonce,"
        " code_verifier, redirect_uri, return_to, expires_at");
    st.bind(1, hash);
    if (!st.step()) return unknown;
    oidc_pending p;
    p.binding_hash = st.text(0);
    p.issuer = st.text(1);
    p.nonce = st.text(2);
    p.code_verifier = st.text(3);
    p.redirect_uri = st.text(4);
    p.return_to = st.text(5);
    p.expires_at_ms = st.int64(6);
    while (st.step()) {
    }
    st.reset();
    tx.commit();
    if (p.expires_at_ms <= now_ms()) return unknown;
    return p;
  });
}

result<std::optional<user>> store::oidc_linked_user(const oidc_identity& id) {
  if (id.subject.empty() || id.subject.size() > oidc_limits::max_subject)
    return std::optional<user>();
  return p_->guarded("find linked person", [&]() -> result<std::optional<user>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached("SELECT user_id FROM oidc_links WHERE issuer = ?1 AND subject = ?2");
    st.bind_all(id.issuer, id.subject);
    if (!st.step()) return std::optional<user>();
    const auto user_id = st.int64(0);
    st.reset();
    return load_user(*c, user_id);
  });
}

result<void> store::oidc_link(const oidc_identity& id, std::int64_t user_id) {
  if (id.subject.empty() || id.subject.size() > oidc_limits::max_subject)
    return error(errc::invalid_input, "invalid_subject", "the subject is empty or too long");
  return p_->guarded("link identity", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto now = now_ms();
    auto& other = c->cached(
        "SELECT subject FROM oidc_links WHERE issuer = ?1 AND user_id = ?2 AND subject <> ?3");
    other.bind_all(id.issuer, user_id, id.subject);
    if (other.step())
      return error(errc::conflict, "oidc_identity_taken",
                   "this person is already linked to another account at the identity provider");
    other.reset();
    auto& same =
        c->cached("SELECT 1 FROM oidc_links WHERE issuer = ?1 AND subject = ?2 AND user_id <> ?3");
    same.bind_all(id.issuer, id.subject, user_id);
    if (same.step())
      return error(errc::conflict, "oidc_identity_taken",
                   "this identity at the provider is linked to another person");
    same.reset();
    c->cached(
         "INSERT INTO oidc_links(issuer, subject, user_id, created_at, last_login_at)"
         " VALUES (?1, ?2, ?3, ?4, ?4)"
         " ON CONFLICT(issuer, subject) DO UPDATE SET last_login_at = ?4")
        .bind_all(id.issuer, id.subject, user_id, now)
        .run();
    tx.commit();
    return {};
  });
}

}  // namespace samverka::tenant
