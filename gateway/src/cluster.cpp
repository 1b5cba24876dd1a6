#include "cluster.hpp"

#include <curl/curl.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <mutex>

#include "app.hpp"
#include "errors.hpp"
#include "json_output.hpp"
#include "log.hpp"
#include "query.hpp"
#include "router.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"
#include "tenant_move.hpp"
#include "tenant_resolution.hpp"

namespace samverka::gateway {

namespace {

bool platform_path(const tenant_address& addr) {
  return addr.base_path.empty() &&
         (addr.path == "/healthz" || addr.path == "/readyz" || addr.path == "/metrics");
}

void finish(http_response& res, const std::string& request_id) {
  bool has_id = false;
  for (const auto& [name, value] : res.headers)
    if (name.size() == 12 && (name == "X-Request-Id" || name == "x-request-id")) has_id = true;
  if (!has_id) res.set_header("X-Request-Id", request_id);
  if (res.content_type.starts_with("application/json") && res.status >= 400) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
  }
}

}  // namespace

placement_follower::placement_follower(const cluster::redis_address& redis_addr)
    : redis_(redis_addr), placement_(redis_) {
  refresher_ = std::thread([this] { refresh_loop(); });
  const auto wake = [this] {
    std::lock_guard lock(mu_);
    refresh_wanted_ = true;
    cv_.notify_all();
  };
  subscriber_ = std::make_unique<cluster::subscriber>(
      redis_addr, std::vector<std::string>{std::string(cluster::placement_channel)}, wake,
      [wake](std::string_view, std::string_view) { wake(); });
}

placement_follower::~placement_follower() {
  subscriber_.reset();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (refresher_.joinable()) refresher_.join();
}

void placement_follower::refresh_loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, cluster::placement_refresh_interval,
                 [this] { return stop_ || refresh_wanted_; });
    if (stop_) break;
    refresh_wanted_ = false;
    lock.unlock();
    if (auto r = placement_.refresh(); !r) {
      log_event("warn", "placement refresh failed", {{"detail", r.err().message}});
      std::this_thread::sleep_for(cluster::redis_reconnect_backoff);
      lock.lock();
      refresh_wanted_ = true;  // try again soon: we may be missing changes
      continue;
    }
    lock.lock();
  }
}

result<http_response> node_client::ask_home(std::string_view home, std::string_view path,
                                            std::string_view token) {
  const error bad_token(errc::unauthenticated, "unauthenticated",
                        "the session is invalid or has expired; sign in again");
  const auto url = follower_.placement().node_url(home);
  if (!url) return bad_token;
  http_request req;
  req.method = "POST";
  req.target = std::string(path);
  req.headers.emplace_back("content-type", "text/plain");
  req.body = std::string(token);
  auto res = upstream_.forward(*url, req, {{std::string(node_key_header), key_}});
  if (!res)
    return error(errc::unavailable, "home_unavailable",
                 "your home municipality cannot confirm your session right now");
  if (res->status == 401) return bad_token;
  if (res->status == 503)  // e.g. the home tenant is moving between nodes
    return error(errc::unavailable, "home_unavailable",
                 "your home municipality cannot confirm your session right now");
  return std::move(res.value());
}

result<std::string> node_client::resolve_session(std::string_view home, std::string_view token) {
  auto res = ask_home(home, resolve_session_path, token);
  if (!res) return res.err();
  boost::json::error_code ec;
  auto v = boost::json::parse(res->body, ec);
  if (res->status != 200 || ec || !v.is_object() || !v.as_object().contains("email") ||
      !v.as_object().at("email").is_string())
    return error(errc::internal, "bad_node_answer", "a store node answered a session lookup badly");
  return std::string(v.as_object().at("email").as_string());
}

result<void> node_client::revoke_session(std::string_view home, std::string_view token) {
  auto res = ask_home(home, revoke_session_path, token);
  if (!res) return res.err();
  if (res->status != 204)
    return error(errc::internal, "bad_node_answer", "a store node answered a logout badly");
  return {};
}

namespace {

// One node's answer to a memberships question, collected by libcurl (peer_memberships_timeout
// bounds each transfer; upstream_pool's bound is made for whole requests, far too long here).
struct peer_call {
  std::string node_id;
  std::string url;
  std::string body;
  bool too_large = false;
  bool done = false;
  CURLcode rc = CURLE_OK;
};

std::size_t collect_peer_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* call = static_cast<peer_call*>(user);
  const std::size_t k = size * n;
  if (call->body.size() + k > max_peer_memberships_bytes) {
    call->too_large = true;
    return 0;  // ends the transfer with CURLE_WRITE_ERROR
  }
  call->body.append(data, k);
  return k;
}

// The (slug, name) pairs of a node's memberships answer; nullopt if it is not well-formed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_memberships(
    std::string_view body) {
  boost::json::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* list = v.as_object().if_contains("memberships");
  if (!list || !list->is_array()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& m : list->as_array()) {
    const auto* o = m.if_object();
    const auto* slug = o ? o->if_contains("slug") : nullptr;
    const auto* name = o ? o->if_contains("name") : nullptr;
    if (!slug || !name || !slug->is_string() || !name->is_string()) return std::nullopt;
    out.emplace_back(std::string(slug->as_string()), std::string(name->as_string()));
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> node_client::remote_memberships(
    std::string_view email, std::string_view self_node_id) {
  // The node list: one reader refreshes it (outside the lock), the others use the last copy.
  std::map<std::string, std::string> peers;
  bool refresh = false;
  {
    std::lock_guard lock(peers_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (peers_read_ == std::chrono::steady_clock::time_point{} ||
        now - peers_read_ >= peer_list_refresh_interval) {
      peers_read_ = now;  // also after a failure: Redis is not asked on every request
      refresh = true;
    }
    peers = peers_;
  }
  if (refresh) {
    auto r = redis_.command({"HGETALL", std::string(cluster::nodes_key)});
    if (r && r->type == cluster::reply::kind::array) {
      std::map<std::string, std::string> fresh;
      for (std::size_t i = 0; i + 1 < r->elements.size(); i += 2)
        fresh[r->elements[i].str] = r->elements[i + 1].str;
      peers = fresh;
      std::lock_guard lock(peers_mu_);
      peers_ = std::move(fresh);
    } else if (!r) {
      log_event("warn", "cannot read the node list", {{"detail", r.err().message}});
    }
  }
  peers.erase(std::string(self_node_id));
  if (peers.empty()) return {};

  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              &curl_multi_cleanup);
  if (!multi) return {};
  std::string query = "?email=";
  if (char* esc = curl_easy_escape(nullptr, email.data(), static_cast<int>(email.size()))) {
    query += esc;
    curl_free(esc);
  } else {
    return {};
  }
  const std::string key_line = std::string(node_key_header) + ": " + key_;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, key_line.c_str()), &curl_slist_free_all);
  if (!headers) return {};
  const long timeout_ms = static_cast<long>(peer_memberships_timeout.count());

  std::vector<std::unique_ptr<peer_call>> calls;
  std::vector<std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>> easies;
  for (const auto& [id, base] : peers) {
    auto call = std::make_unique<peer_call>();
    call->node_id = id;
    call->url = base;
    std::string url = base;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += std::string(memberships_path) + query;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> e(curl_easy_init(), &curl_easy_cleanup);
    if (!e) continue;
    CURL* h = e.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // the key goes to this node only
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_peer_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, call.get());
    curl_easy_setopt(h, CURLOPT_PRIVATE, call.get());
    if (curl_multi_add_handle(multi.get(), h) != CURLM_OK) continue;
    calls.push_back(std::move(call));
    easies.push_back(std::move(e));
  }

  // Every transfer ends by its own timeout; the deadline only guards against a libcurl surprise.
  const auto deadline =
      std::chrono::steady_clock::now() + peer_memberships_timeout + peer_memberships_timeout;
  int running = 0;
  do {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK) break;
    if (running == 0) break;
    curl_multi_poll(multi.get(), nullptr, 0, 50, nullptr);
  } while (std::chrono::steady_clock::now() < deadline);
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    char* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    auto* call = reinterpret_cast<peer_call*>(priv);
    call->done = true;
    call->rc = msg->data.result;
  }

  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto& call = *calls[i];
    long status = 0;
    curl_easy_getinfo(easies[i].get(), CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(multi.get(), easies[i].get());
    auto list = call.done && call.rc == CURLE_OK && status == 200 ? parse_memberships(call.body)
                                                                  : std::nullopt;
    if (!list) {
      log_event("warn", "a node did not answer a memberships question",
                {{"node", call.node_id},
                 {"detail", call.too_large        ? std::string("answer too large")
                            : call.rc != CURLE_OK ? std::string(curl_easy_strerror(call.rc))
                            : !call.done          ? std::string("timed out")
                                                  : "status " + std::to_string(status)}});
      continue;
    }
    for (auto& [slug, name] : *list) {
      // A node vouches only for tenants placement says it owns (no stale or foreign claims).
      if (!valid_slug(slug) || follower_.placement().node_url(slug) != call.url) continue;
      out.emplace_back(std::move(slug), std::move(name));
    }
  }
  return out;
}

namespace {

// Redis keys of the login throttle. Accounts are hashed: e-mail addresses stay out of key names.
std::string address_key(std::string_view address) {
  return "samverka:throttle:addr:" + std::string(address);
}
std::string account_key(std::string_view account) {
  return "samverka:throttle:acct:" + crypto::sha256_hex(account);
}

// The wait left on a counter (GET and PTTL replies) at or over `limit`, else nullopt.
std::optional<std::chrono::seconds> counter_wait(const cluster::reply& count,
                                                 const cluster::reply& pttl, std::size_t limit) {
  if (count.type != cluster::reply::kind::string) return std::nullopt;
  if (std::atoll(count.str.c_str()) < static_cast<long long>(limit)) return std::nullopt;
  const long long ms = pttl.integer > 0 ? pttl.integer : 1000;
  return std::chrono::seconds((ms + 999) / 1000);
}

}  // namespace

std::optional<std::chrono::seconds> node_client::login_blocked(std::string_view address,
                                                               std::string_view account) {
  std::vector<std::vector<std::string>> cmds{{"GET", address_key(address)},
                                             {"PTTL", address_key(address)}};
  if (!account.empty()) {
    cmds.push_back({"GET", account_key(account)});
    cmds.push_back({"PTTL", account_key(account)});
  }
  auto r = redis_.pipeline(cmds);
  if (!r) return std::nullopt;
  auto wait = counter_wait((*r)[0], (*r)[1], limits::max_failures_per_address);
  if (!account.empty()) {
    auto acct = counter_wait((*r)[2], (*r)[3], limits::max_failures_per_account);
    if (acct && (!wait || *acct > *wait)) wait = acct;
  }
  return wait;
}

void node_client::login_failed(std::string_view address, std::string_view account) {
  const auto window = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(limits::failure_window).count());
  // The window starts at the first failure (NX), as in login_throttle.
  std::vector<std::vector<std::string>> cmds{{"INCR", address_key(address)},
                                             {"PEXPIRE", address_key(address), window, "NX"}};
  if (!account.empty()) {
    cmds.push_back({"INCR", account_key(account)});
    cmds.push_back({"PEXPIRE", account_key(account), window, "NX"});
  }
  (void)redis_.pipeline(cmds);
}

void node_client::login_succeeded(std::string_view account) {
  if (!account.empty()) (void)redis_.command({"DEL", account_key(account)});
}

proxy_app::proxy_app(const cluster::redis_address& redis_addr, std::string base_domain,
                     std::string cluster_key, std::filesystem::path upload_dir)
    : base_domain_(std::move(base_domain)),
      key_(std::move(cluster_key)),
      upload_dir_(std::move(upload_dir)),
      follower_(redis_addr) {}

std::optional<std::filesystem::path> proxy_app::upload_spool_dir(std::string_view method,
                                                                 std::string_view host,
                                                                 std::string_view target) {
  if (method != "POST") return std::nullopt;
  const auto addr = resolve_tenant(host, target, base_domain_);
  if (addr.slug.empty() || !follower_.placement().node_url(addr.slug)) return std::nullopt;
  std::vector<std::string> params;
  if (!match_template("/api/v1/documents", addr.path, params) &&
      !match_template("/api/v1/documents/{id}/versions", addr.path, params))
    return std::nullopt;
  return upload_dir_;
}

http_response proxy_app::dispatch(const http_request& req, const std::string& request_id,
                                  std::string& slug, std::string& route) {
  const auto addr = resolve_tenant(req.host, req.target, base_domain_);
  if (platform_path(addr)) {
    route = addr.path;
    if (req.method != "GET") {
      auto res = error_response(405, "method_not_allowed", "use GET");
      res.set_header("Allow", "GET");
      return res;
    }
    if (addr.path == "/healthz") return json_response(200, boost::json::object{{"status", "ok"}});
    if (addr.path == "/readyz") {
      if (draining_) return error_response(503, "draining", "the server is shutting down");
      if (!follower_.placement().loaded())
        return error_response(503, "not_ready", "the tenant placement is not loaded yet");
      return json_response(200, boost::json::object{{"status", "ready"}});
    }
    http_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = metrics_.serialize();
    return res;
  }
  // Every tenant request is forwarded as one route: the store node labels its own metrics
  // by route template, and a gateway parsing routes too would only duplicate that table.
  route = "proxy";
  // Node-to-node paths are for store nodes only: a client must not reach them through a gateway,
  // which adds the cluster key (neither as /internal/... with a tenant Host nor under /t/SLUG).
  if (std::string_view(req.target).starts_with(internal_path_prefix) ||
      std::string_view(addr.path).starts_with(internal_path_prefix))
    return error_response(404, "not_found", "no such path");
  if (addr.slug.empty())
    return error_response(404, "tenant_not_found",
                          "no municipality in the host name or the /t/SLUG path prefix");
  slug = addr.slug;
  const auto url = follower_.placement().node_url(addr.slug);
  if (!url) {
    if (!follower_.placement().loaded())
      return error_response(503, "not_ready", "the tenant placement is not loaded yet");
    return error_response(404, "tenant_not_found", "no such municipality");
  }
  auto res = upstream_.forward(*url, req,
                               {{"X-Request-Id", request_id},
                                {"X-Forwarded-For", req.remote_addr},
                                {"X-Forwarded-Proto", req.tls ? "https" : "http"},
                                {std::string(node_key_header), key_}});
  if (!res) {
    log_event("warn", "store node unreachable",
              {{"request_id", request_id}, {"tenant", addr.slug}, {"node", *url}});
    return error_response(res.err());
  }
  return std::move(res.value());
}

http_response proxy_app::handle(const http_request& req) {
  const auto start = std::chrono::steady_clock::now();
  const std::string request_id = sanitize_request_id(req.header("x-request-id"));
  std::string slug;
  std::string route = "unmatched";
  http_response res;
  try {
    res = dispatch(req, request_id, slug, route);
  } catch (const std::exception& e) {
    log_event("error", "proxy threw", {{"request_id", request_id}, {"what", e.what()}});
    res = error_response(error(errc::internal, "unexpected exception"));
  }
  try {
    finish(res, request_id);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.observe_request(route, req.method, res.status, secs);
    log_access({request_id, slug, req.method, route, res.status, secs * 1000});
  } catch (const std::exception&) {
  }
  return res;
}

http_response proxy_app::reject(int status, std::string_view code, std::string_view message) {
  http_response res = error_response(status, code, message);
  res.close = true;
  const std::string request_id = sanitize_request_id(std::nullopt);
  finish(res, request_id);
  try {
    metrics_.observe_request("unparsed", "OTHER", status, 0);
    log_access({request_id, "", "-", "unparsed", status, 0});
  } catch (const std::exception&) {
  }
  return res;
}

http_response store_front::reject(int status, std::string_view code, std::string_view message) {
  return inner_.reject(status, code, message);
}

void store_front::on_drain() {
  inner_.on_drain();
}

std::optional<std::filesystem::path> store_front::upload_spool_dir(std::string_view method,
                                                                   std::string_view host,
                                                                   std::string_view target) {
  if (mover_)
    if (auto dir = mover_->spool_dir(method, target)) return dir;  // a move's archive parts
  return inner_.upload_spool_dir(method, host, target);
}

http_response store_front::handle(const http_request& req) {
  const auto key = req.header(node_key_header);
  const bool from_gateway = key && crypto::constant_time_equal(*key, key_);
  if (!from_gateway) {
    // Probes and Prometheus talk to store nodes directly; everything else comes via a gateway.
    const auto addr = resolve_tenant(req.host, req.target, "");
    if (platform_path(addr)) return inner_.handle(req);
    http_response res = error_response(403, "gateway_required",
                                       "store nodes answer tenant requests from gateways only");
    res.set_header("X-Request-Id", sanitize_request_id(std::nullopt));
    return res;
  }
  // Node-to-node paths: peers call them directly. A gateway never forwards them (proxy_app), and
  // always adds X-Forwarded-For, so such a request here is refused too (defence in depth).
  if (req.target.starts_with(internal_path_prefix) && req.header("x-forwarded-for"))
    return error_response(404, "not_found", "no such path");
  // Tenant moves: the move protocol, and the gate (writes paused, tenant moved away) held
  // while the request runs, so a move waits for the writes it admitted.
  std::optional<move_admission> admitted;
  if (mover_) {
    if (auto r = mover_->handle(req)) return std::move(*r);
    admitted.emplace(*mover_, req);
    if (admitted->refused) return std::move(*admitted->refused);
  }
  if (req.target.starts_with("/internal/v1/sharing/")) return inner_.sharing_internal(req);
  if (req.target == resolve_session_path) {
    if (req.method != "POST") return error_response(405, "method_not_allowed", "use POST");
    auto email = inner_.resolve_local_session(req.body);
    if (!email) return error_response(email.err());
    return json_response(200, boost::json::object{{"email", *email}});
  }
  if (const std::string_view target = req.target;
      target.substr(0, target.find('?')) == memberships_path) {
    // Only peer nodes ask this. A gateway forwards a client's request with the key too (Host
    // naming a tenant, target unchanged), but always adds X-Forwarded-For: such a request must
    // not learn where an arbitrary e-mail holds memberships.
    if (req.header("x-forwarded-for")) return error_response(404, "not_found", "no such endpoint");
    if (req.method != "GET") return error_response(405, "method_not_allowed", "use GET");
    const auto q = target.find('?');
    auto query = parse_query(q == std::string_view::npos ? "" : target.substr(q + 1));
    if (!query) return error_response(query.err());
    const auto raw = param(*query, "email");
    const std::string email = raw ? ascii_lower(*raw) : std::string();
    if (!valid_email(email))
      return error_response(400, "invalid_parameter", "email: an e-mail address is required");
    auto list = inner_.local_memberships(email);
    if (!list) return error_response(list.err());
    boost::json::array out;
    for (const auto& [slug, name] : *list)
      out.push_back(boost::json::object{{"slug", slug}, {"name", name}});
    return json_response(200, boost::json::object{{"memberships", std::move(out)}});
  }
  if (req.target == revoke_session_path) {
    if (req.method != "POST") return error_response(405, "method_not_allowed", "use POST");
    if (auto r = inner_.revoke_local_session(req.body); !r) return error_response(r.err());
    http_response res;
    res.status = 204;
    return res;
  }
  http_request forwarded = req;
  std::erase_if(forwarded.headers, [](const auto& h) { return h.first == node_key_header; });
  if (auto xff = req.header("x-forwarded-for"); xff && !xff->empty())
    forwarded.remote_addr = std::string(*xff);
  if (auto proto = req.header("x-forwarded-proto")) forwarded.tls = *proto == "https";
  return inner_.handle(forwarded);
}

registrar::registrar(cluster::redis_address redis_addr, std::string node_id,
                     std::string advertise_url, facts_fn facts)
    : redis_(std::move(redis_addr)),
      reg_(redis_, std::move(node_id), std::move(advertise_url)),
      facts_(std::move(facts)) {
  thread_ = std::thread([this] { run(); });
}

registrar::~registrar() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void registrar::run() {
  bool failing = false;
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    result<void> r;
    {
      std::lock_guard one(sync_mu_);
      r = reg_.sync(facts_());
    }
    if (!r && !failing)
      log_event("warn", "cannot register in Redis", {{"detail", r.err().message}});
    if (r && failing) log_event("info", "registered in Redis again");
    failing = !r;
    lock.lock();
    cv_.wait_for(lock, cluster::registration_interval, [this] { return stop_; });
  }
}

result<void> registrar::sync_now(const std::function<void()>& before,
                                 const std::function<void()>& on_failure) {
  std::lock_guard one(sync_mu_);
  if (before) before();
  reg_.invalidate();  // written whole, and published, even if nothing changed as far as we know
  auto r = reg_.sync(facts_());
  if (!r && on_failure) on_failure();
  return r;
}

}  // namespace samverka::gateway
