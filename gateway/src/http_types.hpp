// Plain HTTP request and response values exchanged between the Beast server (http_server.cpp)
// and the Beast-free application (app.cpp), so that routing, handlers and their tests never
// include Beast or Asio.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace samverka::gateway {

struct http_request {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // origin-form: "/api/v1/news?scope=all"
  std::string host;    // the Host header, port included if sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_addr;  // peer IP address
  bool tls = false;
  // Streamed uploads (content feature): the body was written to this file instead of `body`
  // (see request_handler::upload_spool_dir). The handler moves it into place or removes it.
  std::optional<std::filesystem::path> body_file;

  // The first header named `lower_name`, if present.
  std::optional<std::string_view> header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return std::string_view(value);
    return std::nullopt;
  }
};

struct http_response {
  int status = 200;
  std::string content_type;  // empty when there is no body (204)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Forces "Connection: close" after this response (e.g. after a framing error).
  bool close = false;
  // Streamed downloads (content feature): sent from this file instead of `body`.
  std::optional<std::filesystem::path> body_file;

  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// What the HTTP server calls; implemented by the app. Called concurrently from many threads.
class request_handler {
 public:
  virtual ~request_handler() = default;
  // The response to one parsed request. Must not throw.
  virtual http_response handle(const http_request& req) = 0;
  // The response to a request the server could not parse (400, 413, 431): same error shape,
  // counted and logged like any other request.
  virtual http_response reject(int status, std::string_view code, std::string_view message) = 0;
  // The server has begun draining (SIGTERM): readiness goes red.
  virtual void on_drain() = 0;
  // Streamed uploads (content feature): the directory to write this request's body to, for the
  // few routes that take large bodies (up to limits::max_upload_bytes); nullopt for every other
  // request, whose body is read into memory up to limits::max_body_bytes. Called on an I/O
  // thread once the headers are in, so it must be cheap and must not block.
  virtual std::optional<std::filesystem::path> upload_spool_dir(std::string_view method,
                                                                std::string_view host,
                                                                std::string_view target) {
    return std::nullopt;
  }
};

}  // namespace samverka::gateway
