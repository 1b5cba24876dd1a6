// OpenID Connect relying party: HTTPS to the provider (libcurl + OpenSSL), JWKS import and JWS
// verification (cjose + OpenSSL), claim checks. See oidc_client.hpp.
//
// Design notes:
//  1. The header and payload are decoded and checked here with Boost.JSON before cjose sees the
//     token, so an unsupported "alg" is refused without touching a key, and the claims read are
//     exactly the bytes whose signature cjose verified (the compact form's second segment).
//  2. A key is tried only when its type fits the token's alg (RSA for RS256, P-256 EC for
//     ES256) and its own "alg", if it has one, is the token's: no key confusion across types.
//  3. Only https:// URLs are fetched, redirects are not followed, and every response is capped,
//     so a provider (or whoever controls its DNS) cannot make the server fetch elsewhere or
//     buffer without bound.
#include "oidc_client.hpp"

#include <cjose/cjose.h>
#include <curl/curl.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "samverka/core/crypto.hpp"

namespace samverka::gateway::oidc {

namespace json = boost::json;

// ---- Small codecs ------------------------------------------------------------------------------

namespace {

int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Decodes unpadded base64url; nullopt on any other character or an impossible length.
std::optional<std::string> b64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = b64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string hex_to_bytes(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<char>(v(hex[i]) << 4 | v(hex[i + 1])));
  }
  return out;
}

// Standard padded base64 (HTTP Basic credentials), from the base64url in crypto.
std::string base64_std(std::string_view data) {
  std::string s = crypto::base64url(data);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s.push_back('=');
  return s;
}

std::optional<std::int64_t> json_seconds(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() < (1ull << 62))
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double() && v->as_double() > -4e18 && v->as_double() < 4e18)
    return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

std::optional<std::string> get_str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

error token_error(std::string code, std::string message) {
  return error(errc::unauthenticated, std::move(code), std::move(message));
}

}  // namespace

std::string pkce_s256(std::string_view verifier) {
  return crypto::base64url(hex_to_bytes(crypto::sha256_hex(verifier)));
}

std::string form_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// ---- Discovery ---------------------------------------------------------------------------------

result<provider_metadata> parse_discovery(std::string_view body, std::string_view expected_issuer) {
  auto bad = [](std::string why) {
    return error(errc::unavailable, "oidc_bad_discovery",
                 "the identity provider's discovery document " + why);
  };
  auto o = parse_object(body);
  if (!o) return bad("is not a JSON object");
  provider_metadata m;
  auto issuer = get_str(*o, "issuer");
  if (!issuer || *issuer != expected_issuer)
    return bad("names another issuer than the one configured");
  m.issuer = *issuer;
  for (auto [field, out] :
       {std::pair{"authorization_endpoint", &m.authorization_endpoint},
        std::pair{"token_endpoint", &m.token_endpoint}, std::pair{"jwks_uri", &m.jwks_uri}}) {
    auto v = get_str(*o, field);
    // Printable ASCII only: the authorization endpoint goes into a Location header.
    const bool printable = v && std::all_of(v->begin(), v->end(), [](unsigned char ch) {
                             return ch > 0x20 && ch < 0x7f;
                           });
    if (!v || !printable || !v->starts_with("https://") || v->size() > 2048 ||
        v->find('#') != std::string::npos)
      return bad(std::string("lacks an https ") + field);
    *out = *v;
  }
  if (const auto* f = o->if_contains("authorization_response_iss_parameter_supported"))
    m.iss_in_authorization_response = f->is_bool() && f->as_bool();
  return m;
}

// ---- JWKS --------------------------------------------------------------------------------------

struct jwk_set::key {
  std::string kid;
  std::string alg;  // the JWK's own "alg", if it names one
  bool rsa = false;
  cjose_jwk_t* jwk = nullptr;
  ~key() {
    if (jwk) cjose_jwk_release(jwk);
  }
};

jwk_set::~jwk_set() = default;

result<std::shared_ptr<const jwk_set>> jwk_set::parse(std::string_view text) {
  auto bad = [](std::string why) {
    return error(errc::unavailable, "oidc_bad_jwks", "the identity provider's JWKS " + why);
  };
  auto o = parse_object(text);
  if (!o) return bad("is not a JSON object");
  const auto* arr = o->if_contains("keys");
  if (!arr || !arr->is_array()) return bad("has no keys array");
  std::shared_ptr<jwk_set> set(new jwk_set());
  for (const auto& v : arr->as_array()) {
    if (set->keys_.size() >= limits::max_jwks_keys) break;
    if (!v.is_object()) continue;
    const auto& k = v.as_object();
    const auto kty = get_str(k, "kty").value_or("");
    const auto use = get_str(k, "use");
    const auto alg = get_str(k, "alg").value_or("");
    if (use && *use != "sig") continue;
    if (kty != "RSA" && kty != "EC") continue;
    if (!alg.empty() && alg != "RS256" && alg != "ES256") continue;
    // Private members are never wanted from a provider; a JWK carrying them is skipped.
    if (k.contains("d") || k.contains("p") || k.contains("q")) continue;
    const std::string one = json::serialize(k);
    cjose_err err{};
    cjose_jwk_t* jwk = cjose_jwk_import(one.data(), one.size(), &err);
    if (!jwk) continue;
    auto entry = std::make_unique<key>();
    entry->jwk = jwk;
    entry->kid = get_str(k, "kid").value_or("");
    entry->alg = alg;
    entry->rsa = kty == "RSA";
    const auto got_kty = cjose_jwk_get_kty(jwk, &err);
    if (entry->rsa) {
      if (got_kty != CJOSE_JWK_KTY_RSA || cjose_jwk_get_keysize(jwk, &err) < limits::min_rsa_bits)
        continue;
    } else if (got_kty != CJOSE_JWK_KTY_EC ||
               cjose_jwk_EC_get_curve(jwk, &err) != CJOSE_JWK_EC_P_256) {
      continue;
    }
    set->keys_.push_back(std::move(entry));
  }
  if (set->keys_.empty()) return bad("holds no usable RSA or P-256 signing key");
  return std::shared_ptr<const jwk_set>(std::move(set));
}

// ---- ID token verification ---------------------------------------------------------------------

namespace {

// Whether `k` may verify a token signed with `alg`.
bool key_fits(const jwk_set::key& k, std::string_view alg) {
  if (!k.alg.empty() && k.alg != alg) return false;
  return alg == "RS256" ? k.rsa : !k.rsa;
}

struct jws_deleter {
  void operator()(cjose_jws_t* j) const { cjose_jws_release(j); }
};

}  // namespace

result<id_token_claims> verify_id_token(std::string_view jwt, const jwk_set& keys,
                                        const id_token_checks& checks) {
  const auto malformed = token_error("oidc_malformed_token", "the ID token is malformed");
  if (jwt.empty() || jwt.size() > limits::max_id_token_bytes) return malformed;
  const auto d1 = jwt.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : jwt.find('.', d1 + 1);
  if (d2 == std::string_view::npos || jwt.find('.', d2 + 1) != std::string_view::npos)
    return malformed;
  const auto header_text = b64url_decode(jwt.substr(0, d1));
  const auto payload_text = b64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1));
  if (!header_text || !payload_text || !b64url_decode(jwt.substr(d2 + 1))) return malformed;
  auto header = parse_object(*header_text);
  if (!header) return malformed;

  id_token_claims out;
  out.alg = get_str(*header, "alg").value_or("");
  if (out.alg != "RS256" && out.alg != "ES256")
    return token_error("oidc_unsupported_alg", "the ID token is not signed with RS256 or ES256");
  // Extensions this verifier does not understand must not be ignored (RFC 7515, 4.1.11).
  if (header->contains("crit"))
    return token_error("oidc_unsupported_alg", "unknown critical header");
  const auto kid = get_str(*header, "kid");
  if (header->contains("kid") && !kid) return malformed;
  out.kid = kid.value_or("");

  std::vector<const jwk_set::key*> candidates;
  bool kid_known = false;
  for (const auto& k : keys.keys()) {
    if (kid && k->kid != *kid) continue;
    kid_known = true;
    if (key_fits(*k, out.alg)) candidates.push_back(k.get());
  }
  if (kid && !kid_known)
    return token_error("oidc_unknown_key",
                       "the ID token names a key the provider does not publish");

  cjose_err err{};
  std::unique_ptr<cjose_jws_t, jws_deleter> jws(cjose_jws_import(jwt.data(), jwt.size(), &err));
  if (!jws) return malformed;
  // cjose picks the algorithm from its own parse of the header: it must be the one checked above.
  const char* cjose_alg = cjose_header_get(cjose_jws_get_protected(jws.get()), CJOSE_HDR_ALG, &err);
  if (!cjose_alg || out.alg != cjose_alg)
    return token_error("oidc_unsupported_alg", "the ID token is not signed with RS256 or ES256");
  bool verified = false;
  for (const auto* k : candidates) {
    if (cjose_jws_verify(jws.get(), k->jwk, &err)) {
      verified = true;
      break;
    }
  }
  if (!verified) return token_error("oidc_bad_signature", "the ID token's signature is not valid");

  auto claims = parse_object(*payload_text);
  if (!claims) return malformed;
  const auto iss = get_str(*claims, "iss");
  if (!iss || *iss != checks.issuer)
    return token_error("oidc_wrong_issuer", "the ID token was issued by another provider");

  const auto* aud = claims->if_contains("aud");
  std::size_t audiences = 0;
  bool ours = false;
  if (aud && aud->is_string()) {
    audiences = 1;
    ours = aud->as_string() == checks.client_id;
  } else if (aud && aud->is_array()) {
    for (const auto& a : aud->as_array()) {
      ++audiences;
      if (a.is_string() && a.as_string() == checks.client_id) ours = true;
    }
  }
  const auto azp = get_str(*claims, "azp");
  if (!ours || (audiences > 1 && !azp) || (azp && *azp != checks.client_id))
    return token_error("oidc_wrong_audience", "the ID token was issued for another client");

  const auto skew = std::chrono::seconds(limits::clock_skew).count();
  const auto exp = json_seconds(claims->if_contains("exp"));
  const auto iat = json_seconds(claims->if_contains("iat"));
  if (!exp || !iat) return malformed;
  if (checks.now_s >= *exp + skew)
    return token_error("oidc_token_expired", "the ID token has expired");
  if (*iat > checks.now_s + skew)
    return token_error("oidc_token_not_yet_valid", "the ID token is issued in the future");
  if (*iat < checks.now_s - std::chrono::seconds(limits::max_token_age).count() - skew)
    return token_error("oidc_token_expired", "the ID token was issued too long ago");
  if (const auto nbf = json_seconds(claims->if_contains("nbf")); nbf && *nbf > checks.now_s + skew)
    return token_error("oidc_token_not_yet_valid", "the ID token is not valid yet");

  const auto nonce = get_str(*claims, "nonce");
  if (!nonce || checks.nonce.empty() || !crypto::constant_time_equal(*nonce, checks.nonce))
    return token_error("oidc_wrong_nonce", "the ID token does not belong to this sign-in");

  const auto sub = get_str(*claims, "sub");
  if (!sub || sub->empty() || sub->size() > 255)
    return token_error("oidc_missing_subject", "the ID token names no subject");
  out.subject = *sub;
  out.email = get_str(*claims, checks.email_claim);
  if (const auto* ev = claims->if_contains("email_verified")) {
    const bool unverified =
        (ev->is_bool() && !ev->as_bool()) || (ev->is_string() && ev->as_string() == "false");
    if (unverified && checks.email_claim == "email")
      return token_error("oidc_email_unverified",
                         "the identity provider has not verified the e-mail address");
  }
  return out;
}

// ---- HTTPS -------------------------------------------------------------------------------------

namespace {

struct http_reply {
  long status = 0;
  std::string body;
};

struct curl_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct sink {
  std::string data;
  bool overflow = false;
};

std::size_t on_data(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<sink*>(user);
  const std::size_t bytes = size * n;
  if (s->data.size() + bytes > limits::max_document_bytes) {
    s->overflow = true;
    return 0;  // aborts the transfer
  }
  s->data.append(ptr, bytes);
  return bytes;
}

// Loopback is never reached through a proxy (tests, sidecar IdPs); the operator's own
// NO_PROXY is kept.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* name : {"NO_PROXY", "no_proxy"})
    if (const char* v = std::getenv(name); v && *v) return list + "," + v;
  return list;
}

// One HTTPS request: GET, or POST of a form body with extra headers.
result<http_reply> https_request(const client_options& opt, const std::string& url,
                                 const std::optional<std::string>& form,
                                 const std::vector<std::string>& headers) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const error unreachable(errc::unavailable, "oidc_provider_unreachable",
                          "the identity provider cannot be reached");
  std::unique_ptr<CURL, curl_deleter> c(curl_easy_init());
  if (!c) return unreachable;
  sink out;
  std::unique_ptr<curl_slist, slist_deleter> hdrs;
  auto add_header = [&](const std::string& h) {
    curl_slist* l = curl_slist_append(hdrs.get(), h.c_str());
    if (l) {
      (void)hdrs.release();
      hdrs.reset(l);
    }
  };
  add_header("Accept: application/json");
  for (const auto& h : headers) add_header(h);
  const std::string no_proxy = no_proxy_list();
  CURL* h = c.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(limits::http_timeout).count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(limits::connect_timeout).count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!opt.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opt.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "samverka-oidc");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
  if (form) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(form->size()));
  }
  const CURLcode rc = curl_easy_perform(h);
  if (out.overflow)
    return error(errc::unavailable, "oidc_provider_unreachable",
                 "the identity provider's answer is too large");
  if (rc != CURLE_OK) {
    auto e = unreachable;
    e.message += std::string(" (") + curl_easy_strerror(rc) + ")";
    return e;
  }
  http_reply r;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.body = std::move(out.data);
  return r;
}

std::string issuer_discovery_url(std::string issuer) {
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
  return issuer + "/.well-known/openid-configuration";
}

}  // namespace

// ---- client ------------------------------------------------------------------------------------

client::client(client_options o) : opt_(std::move(o)) {}
client::~client() = default;

result<provider_metadata> client::discover(const std::string& issuer) {
  const auto now = clock::now();
  {
    std::lock_guard lk(mu_);
    auto it = discovery_.find(issuer);
    if (it != discovery_.end() && now - it->second.fetched < limits::discovery_ttl)
      return it->second.meta;
  }
  auto reply = https_request(opt_, issuer_discovery_url(issuer), std::nullopt, {});
  if (!reply) return reply.err();
  if (reply->status != 200)
    return error(errc::unavailable, "oidc_provider_unreachable",
                 "the identity provider's discovery document answered HTTP " +
                     std::to_string(reply->status));
  auto meta = parse_discovery(reply->body, issuer);
  if (!meta) return meta.err();
  std::lock_guard lk(mu_);
  discovery_[issuer] = discovery_entry{*meta, now};
  return meta;
}

result<std::shared_ptr<const jwk_set>> client::jwks(const provider_metadata& p, bool unknown_kid) {
  const auto now = clock::now();
  {
    std::lock_guard lk(mu_);
    auto it = jwks_.find(p.jwks_uri);
    if (it != jwks_.end()) {
      auto& e = it->second;
      const bool fresh = now - e.fetched < limits::jwks_ttl;
      const bool may_force =
          !e.last_forced || now - *e.last_forced >= limits::jwks_refetch_interval;
      if (fresh && (!unknown_kid || !may_force)) return e.keys;
      if (unknown_kid) e.last_forced = now;  // claimed before fetching: one refetch at a time
    }
  }
  auto reply = https_request(opt_, p.jwks_uri, std::nullopt, {});
  if (!reply) return reply.err();
  if (reply->status != 200)
    return error(errc::unavailable, "oidc_provider_unreachable",
                 "the identity provider's JWKS answered HTTP " + std::to_string(reply->status));
  auto keys = jwk_set::parse(reply->body);
  if (!keys) return keys.err();
  std::lock_guard lk(mu_);
  auto& e = jwks_[p.jwks_uri];
  e.keys = *keys;
  e.fetched = now;
  if (unknown_kid) e.last_forced = now;
  return keys;
}

result<std::string> client::exchange_code(const provider_metadata& p, const token_request& r) {
  const std::string form = "grant_type=authorization_code&code=" + form_encode(r.code) +
                           "&redirect_uri=" + form_encode(r.redirect_uri) +
                           "&code_verifier=" + form_encode(r.code_verifier);
  // client_secret_basic: the id and secret are form-encoded before base64 (RFC 6749, 2.3.1).
  const std::string basic = "Authorization: Basic " + base64_std(form_encode(r.client_id) + ":" +
                                                                 form_encode(r.client_secret));
  auto reply = https_request(opt_, p.token_endpoint, form,
                             {basic, "Content-Type: application/x-www-form-urlencoded"});
  if (!reply) return reply.err();
  auto body = parse_object(reply->body);
  if (reply->status >= 400 && reply->status < 500) {
    // The provider's error code (RFC 6749, 5.2) is a fixed ASCII word; anything else is dropped.
    std::string code = body ? get_str(*body, "error").value_or("") : "";
    if (code.size() > 64 ||
        code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
      code.clear();
    return error(errc::unauthenticated, "oidc_token_refused",
                 "the identity provider refused the sign-in" +
                     (code.empty() ? std::string() : " (" + code + ")"));
  }
  if (reply->status != 200)
    return error(
        errc::unavailable, "oidc_provider_unreachable",
        "the identity provider's token endpoint answered HTTP " + std::to_string(reply->status));
  if (!body)
    return error(errc::unavailable, "oidc_provider_unreachable",
                 "the identity provider's token response is not JSON");
  auto id_token = get_str(*body, "id_token");
  if (!id_token)
    return error(errc::unauthenticated, "oidc_malformed_token",
                 "the identity provider sent no ID token");
  return *id_token;
}

result<id_token_claims> client::verify(const provider_metadata& p, std::string_view id_token,
                                       const id_token_checks& checks) {
  auto keys = jwks(p, false);
  if (!keys) return keys.err();
  auto claims = verify_id_token(id_token, **keys, checks);
  if (claims || claims.err().code != "oidc_unknown_key") return claims;
  // The provider may have rotated its keys since the JWKS was cached.
  auto fresh = jwks(p, true);
  if (!fresh) return fresh.err();
  if (fresh->get() == keys->get()) return claims;  // refetch rate-limited: same answer
  return verify_id_token(id_token, **fresh, checks);
}

}  // namespace samverka::gateway::oidc
