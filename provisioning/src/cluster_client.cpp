// samverkactl's cluster client: Redis through samverka_cluster's hiredis wrapper (bounded
// timeouts), HTTP to store nodes through libcurl (no hand-written HTTP).
#include "samverka/provisioning/cluster_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "samverka/cluster/placement.hpp"
#include "samverka/cluster/redis.hpp"

namespace samverka::provisioning {

namespace {

// The header carrying the cluster key to store nodes (gateway/src/cluster.hpp node_key_header).
constexpr const char* node_key_header = "x-samverka-node-key";

struct capture {
  std::string body;
  bool too_large = false;
};

std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* user) {
  auto* c = static_cast<capture*>(user);
  const std::size_t k = size * n;
  if (c->body.size() + k > max_node_reply_bytes) {
    c->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  c->body.append(data, k);
  return k;
}

struct curl_deleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::optional<cluster_options> cluster_options_from_env(std::string_view redis_flag) {
  cluster_options o;
  if (!redis_flag.empty()) {
    o.redis_url = std::string(redis_flag);
  } else if (const char* env = std::getenv("SAMVERKA_REDIS"); env && *env) {
    o.redis_url = env;
  } else {
    return std::nullopt;
  }
  if (const char* key = std::getenv("SAMVERKA_CLUSTER_KEY")) o.cluster_key = key;
  return o;
}

cluster_client::cluster_client(std::unique_ptr<cluster::redis_client> redis, std::string key)
    : redis_(std::move(redis)), key_(std::move(key)) {}
cluster_client::cluster_client(cluster_client&&) noexcept = default;
cluster_client& cluster_client::operator=(cluster_client&&) noexcept = default;
cluster_client::~cluster_client() = default;

result<cluster_client> cluster_client::connect(const cluster_options& o) {
  auto addr = cluster::parse_redis_url(o.redis_url);
  if (!addr) return addr.err();
  if (o.cluster_key.size() < min_cluster_key_length)
    return error(errc::invalid_input,
                 "cluster mode needs SAMVERKA_CLUSTER_KEY (the secret shared by the cluster's "
                 "nodes, at least " +
                     std::to_string(min_cluster_key_length) + " characters)");
  auto redis = std::make_unique<cluster::redis_client>(*addr);
  if (auto pong = redis->command({"PING"}); !pong)
    return error(errc::unavailable, "redis_unavailable",
                 "cannot reach Redis at " + o.redis_url + ": " + pong.err().message);
  return cluster_client(std::move(redis), o.cluster_key);
}

result<std::optional<std::string>> cluster_client::hget(std::string_view key,
                                                        std::string_view field) {
  auto r = redis_->command({"HGET", std::string(key), std::string(field)});
  if (!r) return r.err();
  if (r->type == cluster::reply::kind::string) return std::optional<std::string>(r->str);
  return std::optional<std::string>();
}

result<std::optional<std::string>> cluster_client::owner_of(std::string_view slug) {
  return hget(cluster::placement_key, slug);
}

result<std::optional<std::string>> cluster_client::node_url(std::string_view node_id) {
  return hget(cluster::nodes_key, node_id);
}

result<std::optional<std::string>> cluster_client::domain_owner(std::string_view domain) {
  return hget(cluster::domains_key, domain);
}

result<node_reply> cluster_client::post(std::string_view node_id, std::string_view path,
                                        std::string_view json_body,
                                        std::chrono::milliseconds timeout) {
  return request("POST", node_id, path, json_body, timeout);
}

result<node_reply> cluster_client::get(std::string_view node_id, std::string_view path,
                                       std::chrono::milliseconds timeout) {
  return request("GET", node_id, path, {}, timeout);
}

result<node_reply> cluster_client::request(std::string_view method, std::string_view node_id,
                                           std::string_view path, std::string_view body,
                                           std::chrono::milliseconds timeout) {
  if (path.empty() || path.front() != '/')
    return error(errc::invalid_input, "a node path starts with '/'");
  auto base = node_url(node_id);
  if (!base) return base.err();
  if (!*base)
    return error(errc::not_found, "node_not_found",
                 "node '" + std::string(node_id) + "' is not registered in Redis");
  std::string url = **base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += path;

  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, curl_deleter> h(curl_easy_init());
  if (!h) return error(errc::internal, "cannot start an HTTP client (libcurl)");
  const std::string key_line = std::string(node_key_header) + ": " + key_;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, key_line.c_str());
  headers = curl_slist_append(headers, "Accept: application/json");
  if (method == "POST") headers = curl_slist_append(headers, "Content-Type: application/json");
  std::unique_ptr<curl_slist, slist_deleter> header_list(headers);
  if (!headers) return error(errc::internal, "out of memory building request headers");

  capture out;
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // the key must not travel anywhere else
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(node_connect_timeout, timeout).count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  const CURLcode rc = curl_easy_perform(c);
  if (out.too_large)
    return error(errc::too_large, "node_reply_too_large",
                 "node '" + std::string(node_id) + "' answered with more than " +
                     std::to_string(max_node_reply_bytes) + " bytes");
  if (rc != CURLE_OK)
    return error(errc::unavailable, "node_unavailable",
                 "node '" + std::string(node_id) + "' (" + **base +
                     ") cannot be reached: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return node_reply{static_cast<int>(status), std::move(out.body)};
}

}  // namespace samverka::provisioning
