// A small Redis client over hiredis for cluster mode: one synchronous connection guarded by a
// mutex, with bounded connect and command timeouts, that reconnects on the next call after any
// failure. Callers never wait longer than the timeouts below; when Redis is down a call fails at
// once (errc::unavailable) until the reconnect backoff has passed, so a dead Redis never stalls
// request threads.
//
// Also the subscriber: a background thread holding a SUBSCRIBE connection, reconnecting with
// backoff, that tells its owner about every (re)connect (so caches re-read what they might have
// missed) and every message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "samverka/core/error.hpp"

struct redisContext;

namespace samverka::cluster {

using namespace std::chrono_literals;

// Establishing a TCP connection to Redis on a LAN takes well under a millisecond; a second
// means Redis (or the network) is down, and a request thread must not wait longer than that.
inline constexpr auto redis_connect_timeout = 1000ms;
// One command round trip. Every command this code sends is O(1) or O(tenants on one node);
// half a second bounds how long a request thread can block on a slow Redis.
inline constexpr auto redis_command_timeout = 500ms;
// After a failed connect, calls fail at once for this long instead of each paying the connect
// timeout again while Redis restarts.
inline constexpr auto redis_reconnect_backoff = 250ms;
// The subscriber's poll interval: how quickly its thread notices stop() and a dead connection.
inline constexpr auto subscriber_poll_interval = 200ms;
// Redis replies bigger than this many elements are not ours (placement of every tenant is a
// few thousand fields at most); bounds what a bad server can make us allocate.
inline constexpr std::size_t max_reply_elements = 1'000'000;

struct redis_address {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
};

// Parses "redis://HOST[:PORT][/DB]" (also "HOST:PORT"); invalid_input otherwise.
result<redis_address> parse_redis_url(std::string_view url);

// One reply, converted from hiredis' tree into plain values.
struct reply {
  enum class kind { nil, string, integer, array, status } type = kind::nil;
  std::string str;  // string, status
  long long integer = 0;
  std::vector<reply> elements;  // array
};

class redis_client {
 public:
  explicit redis_client(redis_address addr);
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  // Sends one command (each argument binary-safe) and returns its reply. A Redis error reply is
  // errc::internal (a bug in the command); a connection problem is errc::unavailable and drops
  // the connection, so the next call reconnects.
  result<reply> command(const std::vector<std::string>& argv);
  // Several commands in one round trip (pipelined); all replies, or the first failure.
  result<std::vector<reply>> pipeline(const std::vector<std::vector<std::string>>& commands);
  // How many times a connection was (re)established; callers compare it to notice a reconnect
  // (Redis restarted: what they wrote may be gone).
  std::uint64_t connects() const noexcept { return connects_.load(); }

 private:
  result<void> ensure_connected();
  void drop();

  redis_address addr_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
  std::chrono::steady_clock::time_point retry_after_{};
  std::atomic<std::uint64_t> connects_{0};
};

class subscriber {
 public:
  using on_connect_fn = std::function<void()>;
  using on_message_fn = std::function<void(std::string_view channel, std::string_view message)>;

  // Starts a thread subscribed to `channels`; `on_connect` runs after each (re)subscribe,
  // `on_message` for every message; both on that thread.
  subscriber(redis_address addr, std::vector<std::string> channels, on_connect_fn on_connect,
             on_message_fn on_message);
  ~subscriber();  // stops and joins
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

 private:
  void run();

  redis_address addr_;
  std::vector<std::string> channels_;
  on_connect_fn on_connect_;
  on_message_fn on_message_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace samverka::cluster
