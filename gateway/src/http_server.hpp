// The HTTP/1.1 server: Boost.Beast on an asio::io_context run by N threads, with keep-alive,
// bounded headers, bodies, time and connections, and a graceful drain on SIGTERM/SIGINT.
// Handlers run on a separate thread pool (they block on SQLite and argon2), so the I/O threads
// stay free for accepting, timeouts and health checks.
//
// This header is Beast-free; only http_server.cpp includes Beast and Asio.
//
// Connection states (session in http_server.cpp):
//
//   accept --> idle --(first byte)--> reading --(parsed)--> handling --> writing --+
//               ^                       |                                          |
//               +-----(keep-alive, not draining, under max requests)---------------+
//   idle: closed on keep_alive_idle_timeout, or at once when draining begins;
//   reading: closed on request_read_timeout (no response), or answered 400/413/431 and closed;
//   handling/writing: finish even while draining, then close.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "client_address.hpp"
#include "http_types.hpp"
#include "limits.hpp"
#include "samverka/core/error.hpp"

namespace samverka::gateway {

struct listen_address {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  std::uint16_t port = 0;
};

// Parses "ADDR:PORT" or "[V6ADDR]:PORT" (port 0 = any free port); invalid_input otherwise.
result<listen_address> parse_listen(std::string_view text);

// Limits of one server; the defaults are the named constants in limits.hpp (tests shorten them).
struct server_limits {
  std::size_t max_header_bytes = limits::max_header_bytes;
  std::size_t max_body_bytes = limits::max_body_bytes;
  std::chrono::milliseconds request_read_timeout = limits::request_read_timeout;
  std::chrono::milliseconds keep_alive_idle_timeout = limits::keep_alive_idle_timeout;
  std::chrono::milliseconds response_write_timeout = limits::response_write_timeout;
  std::size_t max_connections = limits::max_connections;
  std::size_t max_requests_per_connection = limits::max_requests_per_connection;
  std::chrono::milliseconds drain_deadline = limits::drain_deadline;
  // Whose X-Forwarded-For names the client (default: nobody's).
  trusted_proxies proxies;
};

class http_server {
 public:
  explicit http_server(request_handler& handler, server_limits lim = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds (SO_REUSEADDR) and listens; returns the bound port (the real one for port 0).
  result<std::uint16_t> listen(const listen_address& addr);
  // Serves with `io_threads` I/O threads until SIGTERM/SIGINT (if `handle_signals`) or stop(),
  // then drains; returns the exit code (0 after a graceful drain).
  int run(std::size_t io_threads, bool handle_signals = true);
  // Catches SIGTERM/SIGINT from now on (a drain once run() runs), so a signal arriving between
  // announcing the port and run() is not fatal. run(…, true) does it if not done yet.
  void catch_signals();
  // Begins the graceful stop from any thread: stop accepting, close idle connections, let
  // in-flight requests finish until the drain deadline.
  void stop();
  // Connections open right now (tests).
  std::size_t connections() const;

 private:
  friend class session;  // one connection (http_server.cpp)
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace samverka::gateway
