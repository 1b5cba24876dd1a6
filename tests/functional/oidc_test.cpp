// Single sign-on with OpenID Connect end to end: the real server and CLI, and a real provider
// (oidc_idp.py) on loopback over HTTPS with a certificate and keys generated at test time. The
// test plays the browser: it follows every redirect itself, carrying cookies by hand.
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

extern char** environ;

namespace samverka::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* eksjo_client = "samverka-eksjo";
constexpr const char* eksjo_secret = "eksjo-Hemlig-9f27c1d0";
constexpr const char* savsjo_client = "samverka-savsjo";
constexpr const char* savsjo_secret = "savsjo-Hemlig-41aa0b7e";

// Debian's python3 has python3-cryptography and python3-jwt; a python3 earlier on PATH (pyenv)
// may not.
std::string python() {
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

struct https_reply {
  long status = 0;
  std::string location;
  std::string body;
  std::string error;  // curl's, if the request failed
};

std::size_t on_body(char* p, std::size_t s, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

std::size_t on_header(char* p, std::size_t s, std::size_t n, void* out) {
  std::string line(p, s * n);
  if (line.size() > 9 &&
      (line.compare(0, 9, "Location:") == 0 || line.compare(0, 9, "location:") == 0)) {
    std::string v = line.substr(9);
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    *static_cast<std::string*>(out) = v;
  }
  return s * n;
}

// One HTTPS request to the test provider (no redirects followed), trusting its certificate.
https_reply https(const std::string& url, const std::string& ca_file,
                  const std::optional<std::string>& json_body = std::nullopt) {
  https_reply r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.location);
  curl_slist* h = nullptr;
  if (json_body) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body->c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

// The test provider as a child process: started in the constructor, stopped (SIGTERM, then
// SIGKILL) in the destructor or by stop().
class test_idp {
 public:
  explicit test_idp(const fs::path& dir) : dir_(dir) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    const std::string py = python();
    const std::string script = std::string(SAMVERKA_SOURCE_DIR) + "/tests/functional/oidc_idp.py";
    std::vector<std::string> args = {py,         script,
                                     "--dir",    dir.string(),
                                     "--client", std::string(eksjo_client) + ":" + eksjo_secret,
                                     "--client", std::string(savsjo_client) + ":" + savsjo_secret};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = py.front() == '/'
                       ? posix_spawn(&pid_, py.c_str(), &fa, nullptr, argv.data(), environ)
                       : posix_spawnp(&pid_, py.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    if (rc != 0) {
      pid_ = -1;
      close(out[0]);
      return;
    }
    // "ready PORT" within a bounded time (key generation takes well under a second).
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 500) <= 0) continue;
      char buf[256];
      const auto n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (line.starts_with("ready ")) port_ = std::stoi(line.substr(6));
  }
  ~test_idp() { stop(); }
  test_idp(const test_idp&) = delete;

  int port() const { return port_; }
  std::string issuer() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string cert() const { return (dir_ / "cert.pem").string(); }

  // Changes the provider's behaviour (see control() in oidc_idp.py).
  void control(const json::object& o) {
    auto r = https(issuer() + "/control", cert(), json::serialize(o));
    EXPECT_EQ(r.status, 200) << r.error << r.body;
  }
  json::object stats() {
    auto r = https(issuer() + "/control/stats", cert());
    EXPECT_EQ(r.status, 200) << r.error;
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
  std::int64_t stat(const char* name) { return stats()[name].to_number<std::int64_t>(); }

  void stop() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      usleep(100 * 1000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int stdin_ = -1;
};

// The value of cookie `name` among Set-Cookie headers joined by "\n", if set.
std::optional<std::string> set_cookie(const response& r, const std::string& name) {
  auto it = r.headers.find("set-cookie");
  if (it == r.headers.end()) return std::nullopt;
  std::string all = it->second;
  std::size_t pos = 0;
  while (pos <= all.size()) {
    auto end = all.find('\n', pos);
    std::string line = all.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (line.starts_with(name + "=")) {
      auto v = line.substr(name.size() + 1);
      return v.substr(0, v.find(';'));
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

std::string header(const response& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// One sign-in as a browser does it.
struct sign_in {
  response start;
  https_reply authorize;
  std::string binding;          // the samverka_oidc cookie from start
  std::string callback_target;  // where the provider sent the browser back (path and query)
  response callback;
  std::string token;  // the samverka_session cookie, if the sign-in succeeded
  // The error code printed on a failure page.
  bool page_says(const std::string& code) const {
    return callback.body.find("error code: " + code + "<") != std::string::npos;
  }
};

class oidc : public ::testing::Test {
 protected:
  void SetUp() override {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ASSERT_NO_FATAL_FAILURE(copy_demo(dir.path()));
    idp = std::make_unique<test_idp>(idp_dir.path());
    ASSERT_GT(idp->port(), 0) << "the test identity provider did not start (" << python()
                              << " with python3-cryptography and python3-jwt?)";
    ASSERT_EQ(set_idp("eksjo", eksjo_client, eksjo_secret, {"--label", "Eksjö-konto"}).exit_code,
              0);
    srv = std::make_unique<server>(dir.path(),
                                   std::vector<std::string>{"--oidc-ca-file", idp->cert()});
  }

  ctl_result set_idp(const std::string& slug, const std::string& client, const std::string& secret,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"idp",         "set",         slug,   "--issuer",
                                     idp->issuer(), "--client-id", client, "--client-secret-stdin"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ctl(dir.path(), args, secret + "\n");
  }

  // The provider's next sign-in is this person.
  void as_person(const std::string& sub, const std::string& email) {
    idp->control({{"user", json::object{{"sub", sub}, {"email", email}}}});
  }

  // A whole sign-in at `slug` (addressed by /t/SLUG, or by Host SLUG.localhost when `by_host`).
  sign_in login(const std::string& slug = "eksjo", const std::string& return_to = "",
                bool by_host = false) {
    sign_in s;
    const std::string host = by_host ? slug + ".localhost:" + std::to_string(srv->port()) : "";
    const std::string base = by_host ? "" : "/t/" + slug;
    request start;
    start.target = base + "/auth/oidc/start";
    if (!return_to.empty()) start.target += "?return_to=" + url_encode(return_to);
    start.host = host;
    s.start = srv->send(start);
    if (s.start.status != 302) return s;
    s.binding = set_cookie(s.start, "samverka_oidc").value_or("");
    s.authorize = https(header(s.start, "location"), idp->cert());
    if (s.authorize.status != 302) return s;
    const std::string origin =
        "http://" + (by_host ? host : "127.0.0.1:" + std::to_string(srv->port()));
    EXPECT_TRUE(s.authorize.location.starts_with(origin + base + "/auth/oidc/callback?"))
        << s.authorize.location;
    s.callback_target = s.authorize.location.substr(origin.size());
    s.callback = callback(s.callback_target, s.binding, host);
    s.token = set_cookie(s.callback, "samverka_session").value_or("");
    return s;
  }

  response callback(const std::string& target, const std::string& binding,
                    const std::string& host = "") {
    request r;
    r.target = target;
    r.host = host;
    if (!binding.empty()) r.headers["Cookie"] = "samverka_oidc=" + binding;
    return srv->send(r);
  }

  // The e-mail /me reports for `token` at `slug`, or "" with the status.
  std::pair<int, std::string> me(const std::string& token, const std::string& slug = "eksjo") {
    auto r = srv->get("/t/" + slug + "/api/v1/me", token);
    if (r.status != 200) return {r.status, r.error_code()};
    return {200, std::string(r.json().at("user").at("email").as_string())};
  }

  // Expects a refused sign-in: an HTML page with `status` and `code`, and no session.
  void expect_refused(const sign_in& s, int status, const std::string& code) {
    EXPECT_EQ(s.callback.status, status) << s.callback.body;
    EXPECT_TRUE(header(s.callback, "content-type").starts_with("text/html"));
    EXPECT_TRUE(s.page_says(code)) << s.callback.body;
    EXPECT_TRUE(s.token.empty());
  }

  temp_dir dir;
  temp_dir idp_dir;
  std::unique_ptr<test_idp> idp;
  std::unique_ptr<server> srv;
};

// ---- The login screen's providers ------------------------------------------------------------

TEST_F(oidc, providers_endpoint_has_the_agreed_shape) {
  auto r = srv->get("/t/eksjo/api/v1/auth/providers");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"password": true, "oidc": {"label": "Eksjö-konto",
                                      "start_url": "/t/eksjo/auth/oidc/start"}})"));
  auto none = srv->get("/t/savsjo/api/v1/auth/providers");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.json(), json::parse(R"({"password": true, "oidc": null})"));
  request by_host;
  by_host.target = "/api/v1/auth/providers";
  by_host.host = "eksjo.localhost:" + std::to_string(srv->port());
  auto h = srv->send(by_host);
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.json().at("oidc").at("start_url"), "/auth/oidc/start");
}

// ---- Success ---------------------------------------------------------------------------------

TEST_F(oidc, sign_in_end_to_end_gives_a_session_like_password_login) {
  auto s = login("eksjo", "/t/eksjo/nyheter?x=1");
  ASSERT_EQ(s.start.status, 302) << s.start.body;
  EXPECT_TRUE(header(s.start, "location").starts_with(idp->issuer() + "/authorize?"));
  const auto loc = header(s.start, "location");
  for (const char* p : {"response_type=code", "code_challenge_method=S256", "code_challenge=",
                        "state=", "nonce=", "client_id=samverka-eksjo", "scope=openid"})
    EXPECT_NE(loc.find(p), std::string::npos) << p;
  EXPECT_NE(header(s.start, "set-cookie").find("HttpOnly"), std::string::npos);
  ASSERT_EQ(s.authorize.status, 302) << s.authorize.error << s.authorize.body;
  ASSERT_EQ(s.callback.status, 303) << s.callback.body;
  EXPECT_EQ(header(s.callback, "location"), "/t/eksjo/nyheter?x=1");
  ASSERT_FALSE(s.token.empty());
  EXPECT_TRUE(s.token.starts_with("eksjo."));
  EXPECT_TRUE(set_cookie(s.callback, "samverka_csrf"));
  EXPECT_EQ(me(s.token), std::make_pair(200, std::string("anna@eksjo.se")));

  // The cookie session works like a password session: reads pass, writes need the CSRF header.
  request get;
  get.target = "/t/eksjo/api/v1/me";
  get.headers["Cookie"] = "samverka_session=" + s.token;
  EXPECT_EQ(srv->send(get).status, 200);
  request out;
  out.method = "POST";
  out.target = "/t/eksjo/api/v1/auth/logout";
  out.headers["Cookie"] = "samverka_session=" + s.token;
  EXPECT_EQ(srv->send(out).error_code(), "csrf_required");
  out.headers["X-CSRF-Token"] = *set_cookie(s.callback, "samverka_csrf");
  EXPECT_EQ(srv->send(out).status, 204);
  EXPECT_EQ(me(s.token).first, 401);

  // Nothing secret reaches the log.
  const auto log = srv->log();
  EXPECT_EQ(log.find(eksjo_secret), std::string::npos);
  EXPECT_EQ(log.find(s.token.substr(6)), std::string::npos);
  EXPECT_NE(log.find("oidc sign-in"), std::string::npos);
}

TEST_F(oidc, host_routed_tenant_derives_its_redirect_uri_from_the_host) {
  auto s = login("eksjo", "", true);
  ASSERT_EQ(s.callback.status, 303) << s.callback.body;
  EXPECT_EQ(header(s.callback, "location"), "/");
  EXPECT_EQ(me(s.token).first, 200);
}

TEST_F(oidc, later_sign_ins_match_by_subject_and_a_second_identity_cannot_take_over) {
  as_person("sub-anna", "anna@eksjo.se");
  ASSERT_EQ(login().callback.status, 303);
  // Same subject, the provider now reports another address: still Anna (matched by subject).
  as_person("sub-anna", "anna.andersson@eksjo.se");
  auto again = login();
  ASSERT_EQ(again.callback.status, 303) << again.callback.body;
  EXPECT_EQ(me(again.token).second, "anna@eksjo.se");
  // Another account at the provider claiming Anna's address is refused.
  as_person("sub-impostor", "anna@eksjo.se");
  expect_refused(login(), 403, "oidc_identity_taken");
}

TEST_F(oidc, key_rotation_is_followed_with_one_jwks_refetch) {
  ASSERT_EQ(login().callback.status, 303);
  EXPECT_EQ(idp->stat("jwks"), 1);
  ASSERT_EQ(login().callback.status, 303);
  EXPECT_EQ(idp->stat("jwks"), 1);  // cached
  idp->control({{"rotate", true}});
  auto s = login();
  EXPECT_EQ(s.callback.status, 303) << s.callback.body;
  EXPECT_EQ(idp->stat("jwks"), 2);
}

TEST_F(oidc, a_provider_that_names_itself_is_held_to_it) {
  // RFC 9207: discovery promises `iss` in authorization responses.
  idp->control({{"iss_param", "issuer"}});
  auto ok = login();
  EXPECT_EQ(ok.callback.status, 303) << ok.callback.body;
  EXPECT_EQ(me(ok.token).second, "anna@eksjo.se");
  // An answer naming another provider (a mix-up attack), or silent despite the promise.
  for (const char* mode : {"https://evil.example.org", "omit"}) {
    SCOPED_TRACE(mode);
    idp->control({{"iss_param", mode}});
    expect_refused(login(), 401, "oidc_wrong_issuer");
  }
  // Checked before a provider's error is shown, too.
  idp->control({{"iss_param", "https://evil.example.org"}, {"deny", true}});
  expect_refused(login(), 401, "oidc_wrong_issuer");
}

TEST_F(oidc, es256_tokens_are_accepted) {
  idp->control({{"alg", "ES256"}});
  auto s = login();
  EXPECT_EQ(s.callback.status, 303) << s.callback.body;
  EXPECT_EQ(me(s.token).second, "anna@eksjo.se");
}

// ---- Token failures --------------------------------------------------------------------------

TEST_F(oidc, bad_tokens_end_on_a_clear_page) {
  const std::vector<std::pair<json::object, std::string>> cases = {
      {{{"sign", "wrong_key"}}, "oidc_bad_signature"},
      {{{"aud", "another-client"}}, "oidc_wrong_audience"},
      {{{"aud", json::array{"another-client", eksjo_client}}}, "oidc_wrong_audience"},
      {{{"iss", "https://evil.example.org"}}, "oidc_wrong_issuer"},
      {{{"exp_offset", -3600}}, "oidc_token_expired"},
      {{{"iat_offset", 3600}, {"exp_offset", 7200}}, "oidc_token_not_yet_valid"},
      {{{"nonce", "replayed-nonce"}}, "oidc_wrong_nonce"},
      {{{"sign", "none"}}, "oidc_unsupported_alg"},
      {{{"sign", "hs256"}}, "oidc_unsupported_alg"},
  };
  for (const auto& [mode, code] : cases) {
    SCOPED_TRACE(code);
    idp->control({{"reset", true}});
    idp->control(mode);
    expect_refused(login(), 401, code);
  }
  idp->control({{"reset", true}});
  EXPECT_EQ(login().callback.status, 303);
  EXPECT_EQ(srv->log().find("\"status\":500"), std::string::npos);
}

TEST_F(oidc, unknown_key_refetches_the_jwks_at_most_once_per_interval) {
  ASSERT_EQ(login().callback.status, 303);
  idp->control({{"sign", "unpublished_kid"}});
  expect_refused(login(), 401, "oidc_unknown_key");
  EXPECT_EQ(idp->stat("jwks"), 2);
  expect_refused(login(), 401, "oidc_unknown_key");
  EXPECT_EQ(idp->stat("jwks"), 2);  // rate-limited
}

// ---- State and browser binding ---------------------------------------------------------------

TEST_F(oidc, replayed_forged_or_unbound_state_is_refused) {
  auto s = login();
  ASSERT_EQ(s.callback.status, 303);
  auto replay = callback(s.callback_target, s.binding);
  EXPECT_EQ(replay.status, 400);
  EXPECT_NE(replay.body.find("oidc_state_invalid"), std::string::npos);
  EXPECT_FALSE(set_cookie(replay, "samverka_session"));

  // A callback in another browser (no binding cookie, or another one): refused, and the state
  // is spent so the right browser cannot be raced either.
  request start;
  start.target = "/t/eksjo/auth/oidc/start";
  auto st = srv->send(start);
  auto az = https(header(st, "location"), idp->cert());
  ASSERT_EQ(az.status, 302);
  const std::string target = az.location.substr(az.location.find("/t/eksjo/"));
  auto other = callback(target, "");
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("oidc_browser_mismatch"), std::string::npos);
  EXPECT_EQ(callback(target, *set_cookie(st, "samverka_oidc")).status, 400);

  auto forged = callback("/t/eksjo/auth/oidc/callback?code=abc&state=made-up-state", s.binding);
  EXPECT_EQ(forged.status, 400);
  EXPECT_EQ(callback("/t/eksjo/auth/oidc/callback", s.binding).status, 400);
  // A query string that cannot even be parsed still ends on the HTML page, not in JSON.
  auto garbled = callback("/t/eksjo/auth/oidc/callback?code=%zz&state=%", s.binding);
  EXPECT_EQ(garbled.status, 400);
  EXPECT_TRUE(header(garbled, "content-type").starts_with("text/html")) << garbled.body;
  EXPECT_NE(garbled.body.find("invalid_parameter"), std::string::npos) << garbled.body;
}

TEST_F(oidc, return_to_only_accepts_local_paths_under_the_base_path) {
  for (const std::string bad : {"//evil.example/x", "https://evil.example/", "/t/savsjo/",
                                "/t/eksjo/../savsjo/", "/t/eksjo/%2e%2e/savsjo", "/t/eksjo\\x"}) {
    auto s = login("eksjo", bad);
    ASSERT_EQ(s.callback.status, 303) << bad << s.callback.body;
    EXPECT_EQ(header(s.callback, "location"), "/t/eksjo/") << bad;
  }
}

TEST_F(oidc, provider_error_is_shown_escaped) {
  idp->control({{"deny", true}});
  auto s = login();
  expect_refused(s, 401, "oidc_denied");
  EXPECT_NE(s.callback.body.find("access_denied"), std::string::npos);

  request start;
  start.target = "/t/eksjo/auth/oidc/start";
  auto st = srv->send(start);
  const auto loc = header(st, "location");
  auto state = loc.substr(loc.find("&state=") + 7);
  state = state.substr(0, state.find('&'));
  auto page = callback(
      "/t/eksjo/auth/oidc/callback?state=" + state + "&error=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
      *set_cookie(st, "samverka_oidc"));
  EXPECT_EQ(page.status, 401);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;"), std::string::npos);
}

// ---- The provider down -----------------------------------------------------------------------

TEST_F(oidc, provider_down_ends_on_a_502_page_not_a_500) {
  idp->control({{"down", true}});
  request start;
  start.target = "/t/eksjo/auth/oidc/start";
  auto st = srv->send(start);
  EXPECT_EQ(st.status, 502);
  EXPECT_NE(st.body.find("oidc_provider_unreachable"), std::string::npos);
  idp->control({{"down", false}});

  // Down between the authorization and the token exchange.
  st = srv->send(start);
  ASSERT_EQ(st.status, 302);
  auto az = https(header(st, "location"), idp->cert());
  ASSERT_EQ(az.status, 302);
  idp->control({{"down", true}});
  auto cb =
      callback(az.location.substr(az.location.find("/t/eksjo/")), *set_cookie(st, "samverka_oidc"));
  EXPECT_EQ(cb.status, 502) << cb.body;

  // Gone entirely (connection refused).
  idp->control({{"down", false}});
  st = srv->send(start);
  ASSERT_EQ(st.status, 302);
  az = https(header(st, "location"), idp->cert());
  ASSERT_EQ(az.status, 302);
  idp->stop();
  cb =
      callback(az.location.substr(az.location.find("/t/eksjo/")), *set_cookie(st, "samverka_oidc"));
  EXPECT_EQ(cb.status, 502) << cb.body;
  EXPECT_NE(cb.body.find("oidc_provider_unreachable"), std::string::npos);
}

// ---- Who may sign in -------------------------------------------------------------------------

TEST_F(oidc, unknown_or_deactivated_people_are_refused) {
  as_person("sub-nobody", "nobody@eksjo.se");
  expect_refused(login(), 403, "oidc_unknown_person");
  ASSERT_EQ(ctl(dir.path(), {"user", "remove", "eksjo", "--email", "bo@eksjo.se"}).exit_code, 0);
  as_person("sub-bo", "bo@eksjo.se");
  expect_refused(login(), 403, "oidc_unknown_person");
  as_person("sub-none", "");
  idp->control({{"user", json::object{{"sub", "sub-no-email"}}}});
  expect_refused(login(), 403, "oidc_no_email");
}

TEST_F(oidc, a_tenants_provider_cannot_sign_in_another_tenants_people) {
  // eksjo's provider asserting a savsjo address (savsjo owns savsjo.se), or a domain nobody owns.
  as_person("sub-x", "anna@savsjo.se");
  expect_refused(login(), 403, "oidc_foreign_domain");
  as_person("sub-y", "someone@example.com");
  expect_refused(login(), 403, "oidc_foreign_domain");
  // savsjo's provider (same IdP, savsjo's client) cannot sign in an eksjo person either, even
  // the cross-employed one who is a member of savsjo.
  ASSERT_EQ(set_idp("savsjo", savsjo_client, savsjo_secret).exit_code, 0);
  as_person("sub-pendlare", "pendlare@eksjo.se");
  expect_refused(login("savsjo"), 403, "oidc_foreign_domain");
  as_person("sub-anna-savsjo", "anna@savsjo.se");
  auto ok = login("savsjo");
  ASSERT_EQ(ok.callback.status, 303) << ok.callback.body;
  EXPECT_TRUE(ok.token.starts_with("savsjo."));
  EXPECT_EQ(me(ok.token, "savsjo").second, "anna@savsjo.se");
  EXPECT_EQ(me(ok.token, "eksjo").second, "not_a_member");
}

TEST_F(oidc, an_oidc_session_follows_cross_tenant_membership_rules) {
  as_person("sub-pendlare", "pendlare@eksjo.se");
  auto p = login();
  ASSERT_EQ(p.callback.status, 303) << p.callback.body;
  EXPECT_EQ(me(p.token, "savsjo"), std::make_pair(200, std::string("pendlare@eksjo.se")));
  as_person("sub-anna", "anna@eksjo.se");
  auto a = login();
  ASSERT_EQ(a.callback.status, 303);
  EXPECT_EQ(me(a.token, "savsjo"), std::make_pair(403, std::string("not_a_member")));
  EXPECT_EQ(me(a.token, "vetlanda").first, 403);
}

TEST_F(oidc, not_configured_tenant_shows_a_404_page) {
  request r;
  r.target = "/t/vetlanda/auth/oidc/start";
  auto res = srv->send(r);
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("oidc_not_configured"), std::string::npos);
  r.target = "/t/vetlanda/auth/oidc/callback?code=a&state=b";
  EXPECT_EQ(srv->send(r).status, 404);
}

TEST_F(oidc, failed_callbacks_count_against_the_login_throttle) {
  int refused = 0;
  for (int i = 0; i < 60 && refused == 0; ++i) {
    auto r = callback("/t/eksjo/auth/oidc/callback?code=a&state=bogus" + std::to_string(i), "x");
    if (r.status == 429)
      refused = i;
    else
      EXPECT_EQ(r.status, 400);
  }
  EXPECT_EQ(refused, 50);
  request start;
  start.target = "/t/eksjo/auth/oidc/start";
  auto st = srv->send(start);
  EXPECT_EQ(st.status, 429);
  EXPECT_FALSE(header(st, "retry-after").empty());
}

TEST_F(oidc, sign_in_starts_are_limited_per_address) {
  request start;
  start.target = "/t/eksjo/auth/oidc/start";
  int limited_at = 0;
  for (int i = 0; i < 220 && limited_at == 0; ++i) {
    auto r = srv->send(start);
    if (r.status == 429) {
      limited_at = i;
      EXPECT_NE(r.body.find("too_many_starts"), std::string::npos);
    } else {
      ASSERT_EQ(r.status, 302) << r.body;
    }
  }
  EXPECT_EQ(limited_at, 200);
}

// ---- CLI -------------------------------------------------------------------------------------

TEST_F(oidc, cli_shows_settings_but_never_the_secret) {
  auto show = ctl(dir.path(), {"idp", "show", "eksjo"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find(idp->issuer()), std::string::npos);
  EXPECT_NE(show.out.find("client_secret  set"), std::string::npos);
  auto js = ctl(dir.path(), {"--json", "idp", "show", "eksjo"});
  ASSERT_EQ(js.exit_code, 0);
  auto o = json::parse(js.out).as_object();
  EXPECT_EQ(o["client_id"], eksjo_client);
  EXPECT_EQ(o["client_secret_set"], true);
  EXPECT_EQ(o["label"], "Eksjö-konto");
  EXPECT_EQ(o["email_claim"], "email");
  auto set = set_idp("eksjo", eksjo_client, eksjo_secret);
  for (const auto* r : {&show, &js, &set}) {
    EXPECT_EQ(r->out.find(eksjo_secret), std::string::npos);
    EXPECT_EQ(r->err.find(eksjo_secret), std::string::npos);
  }
  // Updating without a new secret keeps the old one (the sign-in still works).
  ASSERT_EQ(ctl(dir.path(), {"idp", "set", "eksjo", "--issuer", idp->issuer(), "--client-id",
                             eksjo_client, "--label", "Nytt namn"})
                .exit_code,
            0);
  EXPECT_EQ(login().callback.status, 303);
  // ...but the stored secret is never sent to another issuer.
  auto moved = ctl(dir.path(), {"idp", "set", "eksjo", "--issuer", "https://other.example.org",
                                "--client-id", eksjo_client});
  EXPECT_NE(moved.exit_code, 0);
  EXPECT_NE(moved.err.find("client secret"), std::string::npos) << moved.err;
  EXPECT_EQ(login().callback.status, 303);  // unchanged
  auto none = ctl(dir.path(), {"--json", "idp", "show", "savsjo"});
  ASSERT_EQ(none.exit_code, 0);
  EXPECT_EQ(json::parse(none.out).at("configured"), false);
}

TEST_F(oidc, cli_refuses_bad_input_with_one_line) {
  auto one_line_failure = [](const ctl_result& r) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  };
  auto cmd = [&](std::vector<std::string> args, const std::string& in = "") {
    return ctl(dir.path(), args, in);
  };
  one_line_failure(cmd({"idp", "set", "savsjo", "--issuer", "http://idp.example.org", "--client-id",
                        "c", "--client-secret-stdin"},
                       "s\n"));
  one_line_failure(cmd({"idp", "set", "savsjo", "--issuer", "https://idp.example.org/?x=1",
                        "--client-id", "c", "--client-secret-stdin"},
                       "s\n"));
  one_line_failure(cmd({"idp", "set", "savsjo", "--issuer", "https://idp.example.org",
                        "--client-id", "c d", "--client-secret-stdin"},
                       "s\n"));
  one_line_failure(cmd({"idp", "set", "savsjo", "--issuer", "https://idp.example.org",
                        "--client-id", "c", "--client-secret-stdin"},
                       ""));
  one_line_failure(cmd({"idp", "set", "savsjo", "--issuer", "https://idp.example.org",
                        "--client-id", "c"}));  // first time: a secret is required
  one_line_failure(cmd({"idp", "set", "savsjo", "--issuer", "https://idp.example.org",
                        "--client-id", "c", "--claim-email", "e mail", "--client-secret-stdin"},
                       "s\n"));
  one_line_failure(cmd({"idp", "set", "nosuch", "--issuer", "https://idp.example.org",
                        "--client-id", "c", "--client-secret-stdin"},
                       "s\n"));
  EXPECT_EQ(cmd({"idp", "set", "savsjo"}).exit_code, 2);  // usage
  one_line_failure(cmd({"idp", "remove", "savsjo"}));     // nothing to remove
  EXPECT_EQ(json::parse(cmd({"--json", "idp", "show", "savsjo"}).out).at("configured"), false);

  auto rm = cmd({"idp", "remove", "eksjo"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  auto providers = srv->get("/t/eksjo/api/v1/auth/providers");
  EXPECT_EQ(providers.json().at("oidc"), nullptr);
}

}  // namespace
}  // namespace samverka::testing
