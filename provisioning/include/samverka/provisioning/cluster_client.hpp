// The operator's view of a cluster (samverkactl --redis URL): what Redis says about placement,
// nodes and e-mail domains, and plain HTTP requests to a store node's internal endpoints with
// the cluster key. samverkactl runs on one store node and sees only that node's registry; this
// is how it learns what the other nodes hold.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "samverka/core/error.hpp"

namespace samverka::cluster {
class redis_client;
}

namespace samverka::provisioning {

// The shared secret of a cluster is at least this long (a random token, not a password); the
// same rule `samverka serve` applies (gateway min_cluster_key_length).
inline constexpr std::size_t min_cluster_key_length = 32;
// A node's answer bigger than this is not one of ours (internal endpoints answer a few KiB);
// bounds what a wrong or broken peer can make the CLI hold in memory.
inline constexpr std::size_t max_node_reply_bytes = 8 * 1024 * 1024;
// Connecting to a store node on the private network takes well under a millisecond; a node that
// does not accept within this time is down, whatever total timeout the caller allows.
inline constexpr std::chrono::milliseconds node_connect_timeout{1000};

// How samverkactl reaches a cluster: --redis URL (or env SAMVERKA_REDIS) and the cluster key
// (env SAMVERKA_CLUSTER_KEY, the same secret `serve` uses).
struct cluster_options {
  std::string redis_url;
  std::string cluster_key;
};

// nullopt when neither --redis nor SAMVERKA_REDIS is given (single-node mode).
std::optional<cluster_options> cluster_options_from_env(std::string_view redis_flag);

// A store node's HTTP answer: status and body as sent.
struct node_reply {
  int status = 0;
  std::string body;
};

class cluster_client {
 public:
  // Connects to Redis and checks it answers: unavailable if Redis can't be reached;
  // invalid_input if the URL is malformed or the key missing/short.
  static result<cluster_client> connect(const cluster_options& o);

  cluster_client(cluster_client&&) noexcept;
  cluster_client& operator=(cluster_client&&) noexcept;
  ~cluster_client();

  // The id of the node owning tenant `slug` (samverka:placement); nullopt if no node claims it.
  result<std::optional<std::string>> owner_of(std::string_view slug);
  // The advertised base URL of node `node_id` (samverka:nodes); nullopt if it is not registered.
  result<std::optional<std::string>> node_url(std::string_view node_id);
  // The slug of the tenant owning e-mail domain `domain` on any node (samverka:domains).
  result<std::optional<std::string>> domain_owner(std::string_view domain);

  // POSTs `json_body` (application/json) to `path` on node `node_id`, with the cluster key
  // header; bounded by node_connect_timeout and `timeout` in all. not_found for an unknown node,
  // unavailable when the node cannot be reached or does not answer in time. Any HTTP status is
  // a reply (the caller decides what a 4xx means).
  result<node_reply> post(std::string_view node_id, std::string_view path,
                          std::string_view json_body, std::chrono::milliseconds timeout);
  // GETs `path` on node `node_id` (same key, timeouts and failures as post).
  result<node_reply> get(std::string_view node_id, std::string_view path,
                         std::chrono::milliseconds timeout);

 private:
  cluster_client(std::unique_ptr<cluster::redis_client> redis, std::string key);
  result<std::optional<std::string>> hget(std::string_view key, std::string_view field);
  result<node_reply> request(std::string_view method, std::string_view node_id,
                             std::string_view path, std::string_view body,
                             std::chrono::milliseconds timeout);

  std::unique_ptr<cluster::redis_client> redis_;
  std::string key_;
};

}  // namespace samverka::provisioning
