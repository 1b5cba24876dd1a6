// The Beast HTTP/1.1 server (see http_server.hpp for the connection state machine). This is the
// only translation unit that includes Beast and Asio: they dominate build time.
//
// Threads: `io_threads` run the io_context (accept, read, write, timers); each connection runs on
// its own strand. Parsed requests go to a thread pool of handler threads; their responses are
// posted back to the connection's strand.
//
// Shutdown (begin_drain, on the control strand): stop accepting, cancel idle connections, let
// busy ones finish their current request and close; when the last connection is gone, or at the
// drain deadline, stop the io_context. run() then abandons queued handler jobs, waits for running
// ones and returns 0.
#include "http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "log.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"

namespace samverka::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// First read on an idle connection: enough for a typical request line and headers.
constexpr std::size_t idle_read_bytes = 8 * 1024;
// After an error response, the unread rest of the request is read and discarded for at most
// this long / this much before closing, so the client receives our response instead of a TCP
// reset ("lingering close", as nginx does). Bounded so it cannot hold the connection.
constexpr std::chrono::seconds linger_timeout{1};
constexpr std::size_t linger_max_bytes = 2 * limits::max_body_bytes;

}  // namespace

result<listen_address> parse_listen(std::string_view text) {
  const error bad(errc::invalid_input, "invalid_listen",
                  "--listen must be ADDR:PORT or [IPV6]:PORT, e.g. 127.0.0.1:8080");
  listen_address out;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad;
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad;
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return bad;  // bare IPv6 needs brackets
  }
  if (out.host == "localhost") out.host = "127.0.0.1";
  boost::system::error_code ec;
  asio::ip::make_address(out.host, ec);
  if (ec || port.empty() || port.size() > 5) return bad;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return bad;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return bad;
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

class session;

struct http_server::impl {
  impl(request_handler& h, server_limits l) : handler(h), lim(l) {}

  request_handler& handler;
  server_limits lim;
  // State that sessions touch in their destructors is declared before ioc so that it outlives
  // the handlers (and sessions) that ioc's destructor destroys.
  std::atomic<std::size_t> open{0};
  std::atomic<bool> draining{false};
  std::atomic<bool> finished{false};
  std::mutex sessions_mu;
  std::unordered_set<session*> sessions;

  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> control{ioc.get_executor()};
  tcp::acceptor acceptor{control};
  asio::signal_set signals{control};
  bool signals_caught = false;
  asio::steady_timer drain_timer{control};
  asio::steady_timer accept_backoff{control};
  std::optional<asio::thread_pool> workers;  // destroyed (joined) before ioc

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void begin_drain();
  void session_closed();
};

// One client connection; see the state machine in http_server.hpp.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, http_server::impl& srv) : stream_(std::move(socket)), srv_(srv) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    std::lock_guard lock(srv_.sessions_mu);
    srv_.sessions.insert(this);
  }

  ~session() {
    discard_upload();
    {
      std::lock_guard lock(srv_.sessions_mu);
      srv_.sessions.erase(this);
    }
    srv_.session_closed();
  }

  void start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->wait_for_request(); });
  }

  // Draining began: a busy connection closes after its response; an idle one after a short grace
  // (limits::drain_idle_grace), unless a request arrives meanwhile, which is then served.
  void on_drain() {
    if (!idle_) return;
    grace_.expires_after(limits::drain_idle_grace);
    grace_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->idle_) self->stream_.cancel();
    });
  }

  auto executor() { return stream_.get_executor(); }

 private:
  void wait_for_request() {
    if (srv_.draining) return close();
    if (buffer_.size() > 0) return read_request();  // a pipelined request is already here
    idle_ = true;
    stream_.expires_after(served_ == 0 ? srv_.lim.request_read_timeout
                                       : srv_.lim.keep_alive_idle_timeout);
    stream_.async_read_some(buffer_.prepare(idle_read_bytes),
                            beast::bind_front_handler(&session::on_idle_read, shared_from_this()));
  }

  void on_idle_read(beast::error_code ec, std::size_t n) {
    idle_ = false;
    if (ec) return close();  // idle timeout, drain, or the client went away
    buffer_.commit(n);
    read_request();
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_.lim.max_header_bytes));
    // The larger upload limit lets Content-Length pass the header check; on_header applies the
    // route's real limit (content feature: streamed uploads).
    parser_->body_limit(std::max(srv_.lim.max_body_bytes, limits::max_upload_bytes));
    stream_.expires_after(srv_.lim.request_read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  // Headers are in (and Content-Length is within the body limit, or Beast reported body_limit).
  // A client that sent "Expect: 100-continue" waits for our go-ahead before sending the body.
  void on_header(beast::error_code ec, std::size_t n) {
    if (ec || parser_->is_done()) return on_read(ec, n);
    // Streamed uploads (content feature): a few routes write their body to a temp file in the
    // tenant's folder; every other request keeps the in-memory limit.
    const auto& head = parser_->get();
    const bool expect_continue = beast::iequals(head[http::field::expect], "100-continue");
    const unsigned version = head.version();
    if (auto dir = srv_.handler.upload_spool_dir(head.method_string(), head[http::field::host],
                                                 head.target())) {
      if (!start_upload(*dir))
        return reply_and_close(503, "upload_unavailable", "cannot store the upload right now");
    } else {
      parser_->body_limit(srv_.lim.max_body_bytes);
      if (const auto len = parser_->content_length(); len && *len > srv_.lim.max_body_bytes)
        return on_read(http::error::body_limit, 0);
    }
    if (expect_continue) {  // (the parser may have become upload_ above: use the copies)
      auto cont =
          std::make_shared<http::response<http::empty_body>>(http::status::continue_, version);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (upload_)
      return http::async_read(
          stream_, buffer_, *upload_,
          beast::bind_front_handler(&session::on_upload_read, shared_from_this()));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  // ---- Streamed uploads (content feature) ----
  // Switches the parser (headers read, body not yet) to a file body in `dir`.
  bool start_upload(const std::filesystem::path& dir) {
    std::error_code fec;
    std::filesystem::create_directories(dir, fec);
    if (fec) return false;
    upload_path_ = dir / (".upload-" + crypto::random_token(12));
    upload_.emplace(std::move(*parser_));
    parser_.reset();
    upload_->body_limit(limits::max_upload_bytes);
    beast::error_code ec;
    upload_->get().body().open(upload_path_.c_str(), beast::file_mode::write, ec);
    if (ec) {
      upload_.reset();
      upload_path_.clear();
      return false;
    }
    stream_.expires_after(limits::upload_read_timeout);
    return true;
  }

  // Removes an upload's temp file that no handler took over (errors, dropped connections).
  void discard_upload() noexcept {
    upload_.reset();  // closes the file
    if (!upload_path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(upload_path_, ignored);
      upload_path_.clear();
    }
  }

  void on_upload_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      discard_upload();
      return reply_and_close(413, "body_too_large",
                             "the upload exceeds " +
                                 std::to_string(limits::max_upload_bytes / (1024 * 1024)) + " MiB");
    }
    if (ec) {
      discard_upload();
      return close();
    }
    auto& msg = upload_->get();
    http_request req = head_of(msg);
    msg.body().close();
    req.body_file = upload_path_;  // the handler owns the file from here
    upload_path_.clear();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive() && ++served_ < srv_.lim.max_requests_per_connection;
    upload_.reset();
    hand_over(std::move(req));
  }

  template <class Message>
  http_request head_of(const Message& msg) {
    http_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.host = std::string(msg[http::field::host]);
    req.headers.reserve(std::distance(msg.begin(), msg.end()));
    for (const auto& f : msg) req.headers.emplace_back(ascii_lower(f.name_string()), f.value());
    req.remote_addr = srv_.lim.proxies.client(remote_, msg["X-Forwarded-For"]);
    return req;
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::header_limit)
      return reply_and_close(431, "headers_too_large",
                             "the request headers exceed " +
                                 std::to_string(srv_.lim.max_header_bytes / 1024) + " KiB");
    if (ec == http::error::body_limit)
      return reply_and_close(
          413, "body_too_large",
          "the request body exceeds " + std::to_string(srv_.lim.max_body_bytes / 1024) + " KiB");
    if (ec && ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return reply_and_close(400, "bad_request", "the request is not valid HTTP/1.1");
    if (ec) return close();  // timeout (slow client), end of stream, reset: nobody to answer

    auto& msg = parser_->get();
    http_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.host = std::string(msg[http::field::host]);
    req.headers.reserve(std::distance(msg.begin(), msg.end()));
    for (const auto& f : msg) req.headers.emplace_back(ascii_lower(f.name_string()), f.value());
    req.body = std::move(msg.body());
    req.remote_addr = srv_.lim.proxies.client(remote_, msg["X-Forwarded-For"]);
    version_ = msg.version();
    keep_alive_ = msg.keep_alive() && ++served_ < srv_.lim.max_requests_per_connection;
    parser_.reset();
    hand_over(std::move(req));
  }

  // Runs the handler for `req` on the worker pool and writes its response.
  void hand_over(http_request req) {
    stream_.expires_never();  // the handler's time is not the client's; the write has its own

    asio::post(*srv_.workers, [self = shared_from_this(), req = std::move(req)]() mutable {
      http_response res;
      try {
        res = self->srv_.handler.handle(req);
      } catch (...) {
        res = self->srv_.handler.reject(500, "internal", "internal error; it has been logged");
      }
      if (req.body_file) {  // an upload no handler moved into place (refused, failed): drop it
        std::error_code ignored;
        std::filesystem::remove(*req.body_file, ignored);
      }
      asio::post(self->executor(),
                 [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
  }

  void reply_and_close(int status, std::string_view code, const std::string& message) {
    keep_alive_ = false;
    write(srv_.handler.reject(status, code, message));
  }

  void write(http_response res) {
    if (res.body_file) return write_file(std::move(res));
    auto msg = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(res.status), version_);
    if (!res.content_type.empty()) msg->set(http::field::content_type, res.content_type);
    for (auto& [name, value] : res.headers) msg->insert(name, value);
    msg->body() = std::move(res.body);
    const bool keep = keep_alive_ && !res.close && !srv_.draining;
    msg->keep_alive(keep);
    msg->prepare_payload();
    stream_.expires_after(srv_.lim.response_write_timeout);
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg, keep, linger = res.close](
                          beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (linger) return self->linger_close();
                        if (!keep) return self->close();
                        self->wait_for_request();
                      });
  }

  // Streamed downloads (content feature): the body comes from a file, read as it is sent.
  void write_file(http_response res) {
    http::file_body::value_type file;
    beast::error_code ec;
    file.open(res.body_file->c_str(), beast::file_mode::scan, ec);
    if (ec) {
      res = srv_.handler.reject(500, "internal", "the file cannot be read; it has been logged");
      return write(std::move(res));
    }
    auto msg = std::make_shared<http::response<http::file_body>>(
        static_cast<http::status>(res.status), version_);
    if (!res.content_type.empty()) msg->set(http::field::content_type, res.content_type);
    for (auto& [name, value] : res.headers) msg->insert(name, value);
    msg->body() = std::move(file);
    const bool keep = keep_alive_ && !res.close && !srv_.draining;
    msg->keep_alive(keep);
    msg->prepare_payload();
    stream_.expires_after(limits::upload_read_timeout);
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg, keep](beast::error_code ec, std::size_t) {
                        if (ec || !keep) return self->close();
                        self->wait_for_request();
                      });
  }

  // Half-close, then discard what the client still sends (bounded), then close.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(linger_timeout);
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(idle_read_bytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > linger_max_bytes) return self->close();
                              self->linger_close_more();
                            });
  }

  void linger_close_more() {
    stream_.async_read_some(buffer_.prepare(idle_read_bytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > linger_max_bytes) return self->close();
                              self->linger_close_more();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  asio::steady_timer grace_{stream_.get_executor()};  // drain grace of an idle connection
  http_server::impl& srv_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::file_body>> upload_;  // streamed uploads only
  std::filesystem::path upload_path_;  // its temp file until a handler takes it over
  std::string remote_;
  unsigned version_ = 11;
  std::size_t served_ = 0;
  std::size_t lingered_ = 0;
  bool keep_alive_ = true;
  bool idle_ = false;  // waiting for the first byte of the next request
};

void http_server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void http_server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open() || draining) return;
  if (ec) {
    // E.g. out of file descriptors: back off instead of spinning on the same error.
    log_event("warn", "accept failed", {{"error", ec.message()}});
    accept_backoff.expires_after(limits::accept_error_backoff);
    accept_backoff.async_wait([this](beast::error_code e) {
      if (!e && acceptor.is_open()) do_accept();
    });
    return;
  }
  if (open.load() >= lim.max_connections) {
    beast::error_code ignored;
    socket.close(ignored);  // over capacity: refuse at once rather than queue
  } else {
    ++open;
    std::make_shared<session>(std::move(socket), *this)->start();
  }
  do_accept();
}

void http_server::impl::begin_drain() {
  if (draining.exchange(true)) return;
  handler.on_drain();
  log_event("info", "draining", {{"connections", std::to_string(open.load())}});
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  accept_backoff.cancel();
  {
    std::lock_guard lock(sessions_mu);
    for (session* s : sessions)
      asio::post(s->executor(), [w = s->weak_from_this()] {
        if (auto live = w.lock()) live->on_drain();
      });
  }
  drain_timer.expires_after(lim.drain_deadline);
  drain_timer.async_wait([this](beast::error_code e) {
    if (e) return;
    log_event("warn", "drain deadline reached", {{"connections", std::to_string(open.load())}});
    ioc.stop();
  });
  if (open.load() == 0) ioc.stop();
}

void http_server::impl::session_closed() {
  if (--open == 0 && draining && !finished) ioc.stop();
}

http_server::http_server(request_handler& handler, server_limits lim)
    : p_(std::make_shared<impl>(handler, lim)) {}

http_server::~http_server() = default;

result<std::uint16_t> http_server::listen(const listen_address& addr) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(addr.host, ec);
  if (ec) return error(errc::invalid_input, "invalid_listen", "not an IP address: " + addr.host);
  const tcp::endpoint ep(address, addr.port);
  auto fail = [&](const char* what) {
    return error(errc::unavailable, "listen_failed",
                 std::string("cannot ") + what + " " + addr.host + ":" + std::to_string(addr.port) +
                     ": " + ec.message());
  };
  if (p_->acceptor.open(ep.protocol(), ec); ec) return fail("open");
  if (p_->acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return fail("set SO_REUSEADDR on");
  if (p_->acceptor.bind(ep, ec); ec) return fail("bind");
  if (p_->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    return fail("listen on");
  return p_->acceptor.local_endpoint().port();
}

void http_server::catch_signals() {
  impl& s = *p_;
  if (s.signals_caught) return;
  s.signals_caught = true;
  s.signals.add(SIGINT);
  s.signals.add(SIGTERM);
  s.signals.async_wait([&s](beast::error_code ec, int) {
    if (!ec) s.begin_drain();
  });
}

int http_server::run(std::size_t io_threads, bool handle_signals) {
  impl& s = *p_;
  io_threads = std::max<std::size_t>(io_threads, 1);
  s.workers.emplace(
      std::max(limits::min_handler_threads, io_threads * limits::handler_threads_per_io_thread));
  if (handle_signals) catch_signals();
  auto guard = asio::make_work_guard(s.ioc);
  asio::dispatch(s.control, [&s] { s.do_accept(); });
  std::vector<std::thread> threads;
  threads.reserve(io_threads - 1);
  for (std::size_t i = 1; i < io_threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : threads) t.join();
  s.finished = true;
  // Jobs not started yet belong to connections that are gone; running ones finish.
  s.workers->stop();
  s.workers->join();
  return 0;
}

void http_server::stop() {
  asio::post(p_->control, [s = p_] { s->begin_drain(); });
}

std::size_t http_server::connections() const {
  return p_->open.load();
}

}  // namespace samverka::gateway
