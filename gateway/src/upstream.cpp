// Beast client of the cluster gateway (see upstream.hpp). Each pooled connection owns a small
// io_context: a request runs Beast's asynchronous operations on it from the calling handler
// thread, which is what gives the synchronous call its timeouts (tcp_stream's timer).
#include "upstream.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <string_view>

#include "samverka/core/slug.hpp"

namespace samverka::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct upstream_pool::connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
};

namespace {

// Hop-by-hop headers (RFC 9110 7.6.1) and the ones this client sets itself; never forwarded.
bool hop_by_hop(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 10> names{"connection",
                                                          "keep-alive",
                                                          "proxy-connection",
                                                          "proxy-authorization",
                                                          "proxy-authenticate",
                                                          "te",
                                                          "trailer",
                                                          "transfer-encoding",
                                                          "upgrade",
                                                          "content-length"};
  for (auto n : names)
    if (n == lower_name) return true;
  return false;
}

struct endpoint_parts {
  std::string host;
  std::string port;
};

result<endpoint_parts> split_url(std::string_view url) {
  if (!url.starts_with("http://"))
    return error(errc::internal, "bad_node_url", "node URLs must be http://HOST:PORT");
  url.remove_prefix(7);
  while (url.ends_with('/')) url.remove_suffix(1);
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == url.size())
    return error(errc::internal, "bad_node_url", "node URLs must be http://HOST:PORT");
  std::string host(url.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return endpoint_parts{host, std::string(url.substr(colon + 1))};
}

}  // namespace

// Runs the operations started on `c` until they finish (their own timers bound them).
static void run(upstream_pool::connection& c) {
  c.ioc.restart();
  c.ioc.run();
}

// The same for a stream, through the io_context it was created on (a pooled connection's own).
static void run_stream(beast::tcp_stream& stream) {
  auto& ioc =
      static_cast<asio::io_context&>(asio::query(stream.get_executor(), asio::execution::context));
  ioc.restart();
  ioc.run();
}

upstream_pool::upstream_pool() = default;
upstream_pool::~upstream_pool() = default;

std::unique_ptr<upstream_pool::connection> upstream_pool::take(const std::string& base_url,
                                                               bool& reused) {
  std::lock_guard lock(mu_);
  auto& idle = idle_[base_url];
  const auto now = std::chrono::steady_clock::now();
  while (!idle.empty()) {
    auto c = std::move(idle.back());
    idle.pop_back();
    if (now - c->idle_since < limits::upstream_idle_reuse_limit) {
      reused = true;
      return c;
    }
  }
  reused = false;
  return nullptr;
}

void upstream_pool::give_back(const std::string& base_url, std::unique_ptr<connection> c) {
  c->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto& idle = idle_[base_url];
  if (idle.size() < limits::max_idle_upstream_connections) idle.push_back(std::move(c));
}

result<http_response> upstream_pool::forward(
    const std::string& base_url, const http_request& req,
    const std::vector<std::pair<std::string, std::string>>& extra_headers,
    std::chrono::milliseconds response_timeout) {
  const error down(errc::unavailable, "tenant_unavailable",
                   "this municipality's store node cannot be reached right now");
  auto parts = split_url(base_url);
  if (!parts) return parts.err();

  const auto fill = [&](auto& out) {
    out.method_string(req.method);
    out.target(req.target);
    out.version(11);
    for (const auto& [name, value] : req.headers)
      if (!hop_by_hop(name)) out.insert(name, value);
    for (const auto& [name, value] : extra_headers) out.set(name, value);
    if (!req.host.empty()) out.set(http::field::host, req.host);
    out.keep_alive(true);
  };
  // A streamed upload (request_handler::upload_spool_dir) goes on from its file, never through
  // memory; every other body is small and sent from the string.
  const auto write_request = [&](beast::tcp_stream& stream, beast::error_code& ec) {
    if (req.body_file) {
      http::request<http::file_body> out;
      fill(out);
      out.body().open(req.body_file->c_str(), beast::file_mode::scan, ec);
      if (ec) return;
      out.prepare_payload();
      http::async_write(stream, out, [&ec](beast::error_code e, std::size_t) { ec = e; });
      run_stream(stream);
    } else {
      http::request<http::string_body> out;
      fill(out);
      out.body() = req.body;
      out.prepare_payload();
      http::async_write(stream, out, [&ec](beast::error_code e, std::size_t) { ec = e; });
      run_stream(stream);
    }
  };
  const bool head = req.method == "HEAD";

  // A reused connection the node closed meanwhile fails before any answer arrives; such a
  // request is sent once more on a fresh connection (the node never saw it).
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    auto c = attempt == 0 ? take(base_url, reused) : nullptr;
    if (!c) {
      c = std::make_unique<connection>();
      tcp::resolver resolver(c->ioc);
      beast::error_code ec;
      auto endpoints = resolver.resolve(parts->host, parts->port, ec);
      if (ec) return down;
      c->stream.expires_after(limits::upstream_connect_timeout);
      c->stream.async_connect(endpoints,
                              [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
      run(*c);
      if (ec) return down;
    }
    beast::error_code ec;
    c->stream.expires_after(req.body_file
                                ? std::chrono::milliseconds(limits::upstream_upload_timeout)
                                : response_timeout);
    write_request(c->stream, ec);
    if (ec) {
      if (reused) continue;
      return down;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(limits::max_upstream_response_bytes);
    parser.header_limit(static_cast<std::uint32_t>(limits::max_header_bytes));
    if (head) parser.skip(true);
    c->stream.expires_after(response_timeout);
    http::async_read(c->stream, c->buffer, parser,
                     [&ec](beast::error_code e, std::size_t) { ec = e; });
    run(*c);
    if (ec) {
      if (reused && !parser.got_some()) continue;
      return down;
    }
    auto msg = parser.release();
    http_response res;
    res.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) {
      const std::string name = ascii_lower(f.name_string());
      if (name == "content-type")
        res.content_type = std::string(f.value());
      else if (!hop_by_hop(name))
        res.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    res.body = std::move(msg.body());
    if (msg.keep_alive()) {
      c->stream.expires_never();
      give_back(base_url, std::move(c));
    }
    return res;
  }
  return down;
}

}  // namespace samverka::gateway
