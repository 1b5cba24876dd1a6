#include "samverka/cluster/redis.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <charconv>
#include <optional>

namespace samverka::cluster {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

error unavailable(std::string msg) {
  return error(errc::unavailable, "redis_unavailable", std::move(msg));
}

result<reply> convert(const redisReply* r) {
  reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      if (r->elements > max_reply_elements)
        return error(errc::internal, "redis_reply_too_large", "Redis reply has too many elements");
      out.type = reply::kind::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) {
        auto e = convert(r->element[i]);
        if (!e) return e.err();
        out.elements.push_back(std::move(e.value()));
      }
      break;
    case REDIS_REPLY_ERROR:
      return error(errc::internal, "redis_error", std::string(r->str, r->len));
    default:
      out.type = reply::kind::nil;
  }
  return out;
}

// argv/argvlen arrays for hiredis' binary-safe command functions.
struct argv_view {
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  explicit argv_view(const std::vector<std::string>& argv) {
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
};

redisContext* connect(const redis_address& addr, std::string& why) {
  const timeval tv = to_timeval(redis_connect_timeout);
  redisContext* c = redisConnectWithTimeout(addr.host.c_str(), addr.port, tv);
  if (!c) {
    why = "cannot allocate a Redis context";
    return nullptr;
  }
  if (c->err) {
    why = c->errstr;
    redisFree(c);
    return nullptr;
  }
  const timeval cmd = to_timeval(redis_command_timeout);
  redisSetTimeout(c, cmd);
  if (addr.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "SELECT %d", addr.db));
    const bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    if (!ok) {
      why = "SELECT failed";
      redisFree(c);
      return nullptr;
    }
  }
  return c;
}

}  // namespace

result<redis_address> parse_redis_url(std::string_view url) {
  const error bad(errc::invalid_input, "invalid_redis_url",
                  "the Redis URL must look like redis://HOST[:PORT][/DB]");
  if (url.starts_with("redis://")) url.remove_prefix(8);
  if (url.empty()) return bad;
  redis_address a;
  std::string_view db;
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    db = url.substr(slash + 1);
    url = url.substr(0, slash);
  }
  std::string_view port;
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    port = url.substr(colon + 1);
    url = url.substr(0, colon);
  }
  if (url.empty() || url.find_first_of("@ ") != std::string_view::npos) return bad;
  a.host = std::string(url);
  auto number = [](std::string_view s, int& out, int max) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out >= 0 && out <= max;
  };
  if (!port.empty() && !number(port, a.port, 65535)) return bad;
  if (!db.empty() && !number(db, a.db, 1'000'000)) return bad;
  return a;
}

redis_client::redis_client(redis_address addr) : addr_(std::move(addr)) {}

redis_client::~redis_client() {
  drop();
}

void redis_client::drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

result<void> redis_client::ensure_connected() {
  if (ctx_) return {};
  const auto now = std::chrono::steady_clock::now();
  if (now < retry_after_) return unavailable("Redis is unreachable (retrying shortly)");
  std::string why;
  ctx_ = connect(addr_, why);
  if (!ctx_) {
    retry_after_ = now + redis_reconnect_backoff;
    return unavailable("cannot connect to Redis: " + why);
  }
  connects_.fetch_add(1);
  return {};
}

result<reply> redis_client::command(const std::vector<std::string>& argv) {
  auto all = pipeline({argv});
  if (!all) return all.err();
  return std::move(all.value().front());
}

result<std::vector<reply>> redis_client::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::lock_guard lock(mu_);
  if (auto c = ensure_connected(); !c) return c.err();
  for (const auto& argv : commands) {
    argv_view v(argv);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), v.ptrs.data(), v.lens.data()) !=
        REDIS_OK) {
      drop();
      return unavailable("cannot queue a Redis command");
    }
  }
  std::vector<reply> out;
  std::optional<error> first_error;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      const std::string why = ctx_->errstr;
      drop();
      return unavailable("Redis connection failed: " + why);
    }
    auto* r = static_cast<redisReply*>(raw);
    auto converted = convert(r);
    freeReplyObject(r);
    if (!converted) {
      // Keep reading the remaining replies so the connection stays in step.
      if (!first_error) first_error = converted.err();
      out.emplace_back();
    } else {
      out.push_back(std::move(converted.value()));
    }
  }
  if (first_error) return *first_error;
  return out;
}

subscriber::subscriber(redis_address addr, std::vector<std::string> channels,
                       on_connect_fn on_connect, on_message_fn on_message)
    : addr_(std::move(addr)),
      channels_(std::move(channels)),
      on_connect_(std::move(on_connect)),
      on_message_(std::move(on_message)) {
  thread_ = std::thread([this] { run(); });
}

subscriber::~subscriber() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void subscriber::run() {
  while (!stop_) {
    std::string why;
    redisContext* c = connect(addr_, why);
    if (!c) {
      std::this_thread::sleep_for(redis_reconnect_backoff);
      continue;
    }
    std::vector<std::string> argv{"SUBSCRIBE"};
    argv.insert(argv.end(), channels_.begin(), channels_.end());
    argv_view v(argv);
    bool ok = redisAppendCommandArgv(c, static_cast<int>(argv.size()), v.ptrs.data(),
                                     v.lens.data()) == REDIS_OK;
    // The subscribe confirmations: one reply per channel.
    for (std::size_t i = 0; ok && i < channels_.size(); ++i) {
      void* raw = nullptr;
      ok = redisGetReply(c, &raw) == REDIS_OK && raw;
      if (raw) freeReplyObject(raw);
    }
    if (ok) {
      on_connect_();
    }
    while (ok && !stop_) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(c, &raw) != REDIS_OK) break;
      if (raw) {
        auto* r = static_cast<redisReply*>(raw);
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            r->element[1]->type == REDIS_REPLY_STRING && r->element[2]->type == REDIS_REPLY_STRING)
          on_message_(std::string_view(r->element[1]->str, r->element[1]->len),
                      std::string_view(r->element[2]->str, r->element[2]->len));
        freeReplyObject(r);
        continue;
      }
      pollfd p{c->fd, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(subscriber_poll_interval.count()));
      if (n < 0) break;
      if (n == 0) continue;
      // Readable: this read returns at once (data or end of stream).
      if (redisBufferRead(c) != REDIS_OK) break;  // closed or failed: reconnect
    }
    redisFree(c);
    if (!stop_) std::this_thread::sleep_for(redis_reconnect_backoff);
  }
}

}  // namespace samverka::cluster
