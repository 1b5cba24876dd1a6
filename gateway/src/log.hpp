// Structured logging: one JSON object per line on stderr, so log shippers need no parsing rules.
// Never log tokens, passwords, cookies or e-mail addresses; request bodies are never logged.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace samverka::gateway {

// The client's X-Request-Id if it is a sane token (1..64 chars of [A-Za-z0-9._-]), so ids can be
// followed across proxies; otherwise a fresh random id. Anything else could inject into logs.
std::string sanitize_request_id(std::optional<std::string_view> client_value);

struct access_record {
  std::string_view request_id;
  std::string_view tenant;  // slug, or empty
  std::string_view method;
  std::string_view route;  // the route template, never the raw path (it may hold ids)
  int status = 0;
  double duration_ms = 0;
};

// The JSON line for one request (without the trailing newline).
std::string format_access(const access_record& r, std::int64_t now_ms);

// Writes the access line of one request.
void log_access(const access_record& r);

// Writes an operational event: {"ts","level","msg", fields...}.
void log_event(std::string_view level, std::string_view msg,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

}  // namespace samverka::gateway
