// The HTTP/1.1 client a cluster gateway uses to forward requests to store nodes: keep-alive
// connections pooled per node, bounded connect/response time. Synchronous: it runs on the
// server's handler threads (never on the I/O threads), like the SQLite calls of a store node.
//
// This header is Beast-free; only upstream.cpp includes Beast and Asio.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http_types.hpp"
#include "limits.hpp"
#include "samverka/core/error.hpp"

namespace samverka::gateway {

namespace limits {
// Opening a connection to a store node on the cluster network; past this the node is treated
// as down (the client gets 503 at once instead of waiting for the kernel's minutes).
inline constexpr auto upstream_connect_timeout = 1s;
// A store node's whole answer; longer than any handler's work (argon2 login, search, a large
// download), shorter than a client's patience.
inline constexpr auto upstream_response_timeout = 30s;
// Sending a streamed upload (up to max_upload_bytes) on to the store node; the node reads it
// under the same bound the gateway read it (upload_read_timeout).
inline constexpr auto upstream_upload_timeout = upload_read_timeout;
// Idle connections kept per store node: enough for the handler threads of one gateway.
inline constexpr std::size_t max_idle_upstream_connections = 64;
// An idle pooled connection older than this is closed rather than reused: the store node closes
// idle keep-alive connections after keep_alive_idle_timeout (30 s), and reusing one it is about
// to close would fail the request.
inline constexpr auto upstream_idle_reuse_limit = 20s;
// A store node's response body held in memory by the gateway: document downloads are the
// largest (max_upload_bytes) plus headroom for JSON around them.
inline constexpr std::size_t max_upstream_response_bytes = max_upload_bytes + 1024 * 1024;
}  // namespace limits

class upstream_pool {
 public:
  upstream_pool();
  ~upstream_pool();
  upstream_pool(const upstream_pool&) = delete;
  upstream_pool& operator=(const upstream_pool&) = delete;

  // Sends `req` (method, target, headers, body) to the node at `base_url` ("http://HOST:PORT")
  // with `extra_headers` added, and returns its response. unavailable when the node cannot be
  // reached or does not answer within `response_timeout` (node-to-node questions use less than
  // a client's request).
  result<http_response> forward(
      const std::string& base_url, const http_request& req,
      const std::vector<std::pair<std::string, std::string>>& extra_headers,
      std::chrono::milliseconds response_timeout = limits::upstream_response_timeout);

  struct connection;  // one pooled keep-alive connection (upstream.cpp)

 private:
  std::unique_ptr<connection> take(const std::string& base_url, bool& reused);
  void give_back(const std::string& base_url, std::unique_ptr<connection> c);

  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle_;
};

}  // namespace samverka::gateway
