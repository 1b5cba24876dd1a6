// OpenID Connect relying party pieces the gateway's sign-in handlers build on
// (handlers_oidc.cpp): the provider's discovery document and JWKS fetched over HTTPS (libcurl
// with OpenSSL) and cached, the authorization code exchange, and ID token verification (cjose,
// which verifies with OpenSSL). Neither libcurl nor cjose appears in this header.
//
// Accepted signatures: RS256 (RSA >= 2048 bits) and ES256 (P-256) only; "none", HS* and
// everything else are refused before any key is touched. A token naming a key id the cached JWKS
// does not hold triggers one refetch of the JWKS (at most once per jwks_refetch_interval per
// provider), which is how a provider's key rotation is followed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"

namespace samverka::gateway::oidc {

namespace limits {
using namespace std::chrono_literals;
// Clocks of the provider and this server differ a little; exp/iat/nbf get this much slack.
inline constexpr auto clock_skew = 60s;
// An ID token is issued at the token endpoint moments before it is verified here; one older
// than this (iat) is refused as a replay of an old token.
inline constexpr auto max_token_age = 10min;
// Discovery documents change rarely; an hour bounds how long a moved endpoint goes unnoticed.
inline constexpr auto discovery_ttl = 1h;
// JWKS are refetched at least this often even without an unknown key id (keys are removed
// after rotation, and a removed key must stop verifying).
inline constexpr auto jwks_ttl = 1h;
// An unknown key id refetches the JWKS at most this often per provider: a flood of tokens with
// made-up key ids must not turn into a flood of requests to the provider.
inline constexpr auto jwks_refetch_interval = 30s;
// One HTTPS exchange with the provider (connect + TLS + response); the person waits for it.
inline constexpr auto http_timeout = 10s;
inline constexpr auto connect_timeout = 5s;
// Discovery documents, JWKS and token responses are a few KiB; more is not a provider.
inline constexpr std::size_t max_document_bytes = 512 * 1024;
// Keys kept from one JWKS (providers publish two or three: current, next, previous).
inline constexpr std::size_t max_jwks_keys = 32;
// ID tokens are 1-2 KiB; a longer one is refused before it is parsed.
inline constexpr std::size_t max_id_token_bytes = 16 * 1024;
// RSA keys shorter than this are refused (NIST SP 800-131A).
inline constexpr std::size_t min_rsa_bits = 2048;
// Sign-in starts one address may make per window. Each start holds a pending sign-in in the
// tenant store for up to 10 minutes and the store caps them per tenant, so one host must not
// fill that cap; an office behind one NAT signing in at 8 o'clock stays far below it.
inline constexpr std::size_t max_starts_per_address = 200;
inline constexpr auto start_window = 10min;
}  // namespace limits

// What the discovery document says (only the fields a code-flow relying party needs).
struct provider_metadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  // RFC 9207: the provider names itself (`iss`) in every authorization response, so a response
  // without it is refused (authorization_response_iss_parameter_supported).
  bool iss_in_authorization_response = false;
};

// Parses a discovery document; its issuer must equal `expected_issuer` exactly and every
// endpoint must be https (errc::unavailable, "oidc_bad_discovery" otherwise).
result<provider_metadata> parse_discovery(std::string_view body, std::string_view expected_issuer);

// A provider's signing keys (RSA and P-256 EC keys usable for signatures), immutable once built.
class jwk_set {
 public:
  struct key;
  // Parses a JWKS document; keys of other types or uses are skipped. No usable key: error.
  static result<std::shared_ptr<const jwk_set>> parse(std::string_view json);
  ~jwk_set();
  jwk_set(const jwk_set&) = delete;
  jwk_set& operator=(const jwk_set&) = delete;

  std::size_t size() const noexcept { return keys_.size(); }
  const std::vector<std::unique_ptr<key>>& keys() const noexcept { return keys_; }

 private:
  jwk_set() = default;
  std::vector<std::unique_ptr<key>> keys_;
};

// What an ID token must satisfy (OpenID Connect Core 1.0, 3.1.3.7).
struct id_token_checks {
  std::string issuer;     // iss must equal this
  std::string client_id;  // aud must contain it; azp, if present or aud has several, equal it
  std::string nonce;      // nonce must equal the one bound to the state
  std::string email_claim = "email";
  std::int64_t now_s = 0;  // seconds since the epoch
};

struct id_token_claims {
  std::string subject;
  std::optional<std::string> email;  // the configured e-mail claim, if a string
  std::string alg;                   // RS256 or ES256
  std::string kid;                   // the key id the header named, if any
};

// Verifies signature and claims. Failures are errc::unauthenticated with codes
// oidc_malformed_token, oidc_unsupported_alg, oidc_unknown_key (the caller may refetch the JWKS
// and retry), oidc_bad_signature, oidc_wrong_issuer, oidc_wrong_audience, oidc_token_expired,
// oidc_token_not_yet_valid, oidc_wrong_nonce, oidc_email_unverified, oidc_missing_subject.
result<id_token_claims> verify_id_token(std::string_view jwt, const jwk_set& keys,
                                        const id_token_checks& checks);

// PKCE S256 code challenge for `verifier`: base64url(SHA-256(verifier)) (RFC 7636, 4.2).
std::string pkce_s256(std::string_view verifier);

// application/x-www-form-urlencoded / query component encoding (RFC 3986 unreserved kept).
std::string form_encode(std::string_view s);

struct client_options {
  // PEM bundle of CAs to trust instead of the system store (e.g. a test IdP's certificate).
  std::string ca_file;
};

struct token_request {
  std::string code;
  std::string redirect_uri;
  std::string code_verifier;
  std::string client_id;
  std::string client_secret;
};

// Talks to identity providers over HTTPS and caches what they publish. Thread-safe; fetches
// run outside the cache lock, so a slow provider holds up only its own sign-ins.
class client {
 public:
  explicit client(client_options o);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // The provider's discovery document (cached for limits::discovery_ttl). Transport failures
  // and bad answers: errc::unavailable ("oidc_provider_unreachable", "oidc_bad_discovery").
  result<provider_metadata> discover(const std::string& issuer);
  // Exchanges an authorization code at the token endpoint (client_secret_basic) and returns the
  // ID token. The provider refusing (4xx): errc::unauthenticated "oidc_token_refused";
  // unreachable or 5xx: errc::unavailable "oidc_provider_unreachable".
  result<std::string> exchange_code(const provider_metadata& p, const token_request& r);
  // verify_id_token against the provider's JWKS, refetching it once for an unknown key id.
  result<id_token_claims> verify(const provider_metadata& p, std::string_view id_token,
                                 const id_token_checks& checks);

 private:
  using clock = std::chrono::steady_clock;
  struct discovery_entry {
    provider_metadata meta;
    clock::time_point fetched;
  };
  struct jwks_entry {
    std::shared_ptr<const jwk_set> keys;
    clock::time_point fetched;
    std::optional<clock::time_point> last_forced;
  };
  result<std::shared_ptr<const jwk_set>> jwks(const provider_metadata& p, bool unknown_kid);

  client_options opt_;
  std::mutex mu_;
  std::map<std::string, discovery_entry> discovery_;  // by issuer
  std::map<std::string, jwks_entry> jwks_;            // by jwks_uri
};

}  // namespace samverka::gateway::oidc
