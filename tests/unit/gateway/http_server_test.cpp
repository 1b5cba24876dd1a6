// The HTTP server against a stub handler over real sockets: keep-alive, the header, body and
// time limits, parser errors, and the graceful drain.
#include "http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace samverka::gateway {
namespace {

using namespace std::chrono_literals;

// Echoes method and target; "/slow" sleeps first (an in-flight request during a drain).
class stub_handler : public request_handler {
 public:
  http_response handle(const http_request& req) override {
    ++handled;
    if (req.target == "/slow") std::this_thread::sleep_for(500ms);
    http_response res;
    res.content_type = "text/plain";
    res.body = req.method + " " + req.target + " " + std::to_string(req.body.size());
    return res;
  }
  http_response reject(int status, std::string_view code, std::string_view) override {
    http_response res;
    res.status = status;
    res.content_type = "application/json";
    res.body = std::string(code);
    res.close = true;
    return res;
  }
  void on_drain() override { drained = true; }

  std::atomic<int> handled{0};
  std::atomic<bool> drained{false};
};

// A blocking client socket with a receive timeout.
class client {
 public:
  explicit client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  // Reads until the headers and Content-Length bytes of body are in; "" on EOF/timeout first.
  std::string read_response() {
    while (true) {
      const auto end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t len = 0;
        const auto cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) len = std::stoul(buf_.substr(cl + 16));
        if (buf_.size() >= end + 4 + len) {
          std::string res = buf_.substr(0, end + 4 + len);
          buf_.erase(0, end + 4 + len);
          return res;
        }
      }
      char tmp[4096];
      const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return "";
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }
  // True when the server closed the connection (EOF) within the receive timeout.
  bool closed_by_peer() {
    char tmp[256];
    while (true) {
      const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class HttpServer : public ::testing::Test {
 protected:
  void start(server_limits lim = {}) {
    server_ = std::make_unique<http_server>(handler_, lim);
    auto port = server_->listen({"127.0.0.1", 0});
    ASSERT_TRUE(port.has_value());
    port_ = *port;
    ASSERT_NE(port_, 0);
    done_ = std::async(std::launch::async, [this] { return server_->run(2, false); });
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
      ASSERT_EQ(done_.wait_for(15s), std::future_status::ready);
      EXPECT_EQ(done_.get(), 0);
    }
  }

  stub_handler handler_;
  std::unique_ptr<http_server> server_;
  std::uint16_t port_ = 0;
  std::future<int> done_;
};

TEST(ParseListen, Forms) {
  struct row {
    const char* text;
    bool ok;
    const char* host;
    std::uint16_t port;
  };
  for (auto [text, ok, host, port] :
       {row{"127.0.0.1:8080", true, "127.0.0.1", 8080}, row{"0.0.0.0:0", true, "0.0.0.0", 0},
        row{"[::1]:9000", true, "::1", 9000}, row{"localhost:80", true, "127.0.0.1", 80},
        row{"127.0.0.1", false, "", 0}, row{"127.0.0.1:", false, "", 0},
        row{"127.0.0.1:65536", false, "", 0}, row{"127.0.0.1:8o", false, "", 0},
        row{"::1:80", false, "", 0}, row{"example.se:80", false, "", 0},
        row{"[::1]80", false, "", 0}, row{":8080", false, "", 0}}) {
    auto got = parse_listen(text);
    EXPECT_EQ(got.has_value(), ok) << text;
    if (got && ok) {
      EXPECT_EQ(got->host, host);
      EXPECT_EQ(got->port, port);
    }
  }
}

TEST_F(HttpServer, KeepAliveServesSeveralRequests) {
  start();
  client c(port_);
  ASSERT_TRUE(c.connected());
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r1 = c.read_response();
  EXPECT_NE(r1.find("HTTP/1.1 200"), std::string::npos) << r1;
  EXPECT_NE(r1.find("GET /a 0"), std::string::npos);
  c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  auto r2 = c.read_response();
  EXPECT_NE(r2.find("POST /b 3"), std::string::npos) << r2;
  // Pipelined pair.
  c.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.read_response().find("GET /c"), std::string::npos);
  EXPECT_NE(c.read_response().find("GET /d"), std::string::npos);
  EXPECT_EQ(handler_.handled, 4);
}

TEST_F(HttpServer, BodyOverLimitIs413WithoutReadingIt) {
  server_limits lim;
  lim.max_body_bytes = 1000;
  start(lim);
  client c(port_);
  c.send(
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
      "5000\r\n\r\n" +
      std::string(5000, 'a'));
  auto r = c.read_response();
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  EXPECT_NE(r.find("body_too_large"), std::string::npos);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(handler_.handled, 0);
}

TEST_F(HttpServer, ExpectContinue) {
  start();
  client c(port_);
  c.send("POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  auto interim = c.read_response();
  EXPECT_NE(interim.find("HTTP/1.1 100 Continue"), std::string::npos) << interim;
  c.send("abcd");
  auto r = c.read_response();
  EXPECT_NE(r.find("POST /x 4"), std::string::npos) << r;
}

TEST_F(HttpServer, BodyAtLimitIsServed) {
  server_limits lim;
  lim.max_body_bytes = 100'000;
  start(lim);
  client c(port_);
  c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
         std::string(100'000, 'a'));
  auto r = c.read_response();
  EXPECT_NE(r.find("POST /x 100000"), std::string::npos) << r.substr(0, 200);
}

TEST_F(HttpServer, HeadersOverLimitAre431) {
  server_limits lim;
  lim.max_header_bytes = 1024;
  start(lim);
  client c(port_);
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  auto r = c.read_response();
  EXPECT_NE(r.find("HTTP/1.1 431"), std::string::npos) << r;
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServer, GarbageIs400) {
  start();
  client c(port_);
  c.send("NOT HTTP AT ALL\r\n\r\n");
  auto r = c.read_response();
  EXPECT_NE(r.find(" 400 "), std::string::npos) << r;
  EXPECT_NE(r.find("bad_request"), std::string::npos);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServer, SlowClientIsCutOff) {
  server_limits lim;
  lim.request_read_timeout = 300ms;
  start(lim);
  client c(port_);
  c.send("GET / HTTP/1.1\r\nHo");  // and never finishes
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(handler_.handled, 0);
}

TEST_F(HttpServer, IdleKeepAliveIsClosed) {
  server_limits lim;
  lim.keep_alive_idle_timeout = 300ms;
  start(lim);
  client c(port_);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.read_response().find("200"), std::string::npos);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServer, MaxConnections) {
  server_limits lim;
  lim.max_connections = 1;
  start(lim);
  client a(port_);
  a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(a.read_response().find("200"), std::string::npos);
  client b(port_);  // accepted by the kernel, closed by the server
  EXPECT_TRUE(b.closed_by_peer());
}

TEST_F(HttpServer, DrainFinishesInFlightAndClosesIdle) {
  start();
  client idle(port_);
  idle.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(idle.read_response().find("200"), std::string::npos);
  client busy(port_);
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);  // /slow is being handled
  server_->stop();
  auto r = busy.read_response();
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_TRUE(idle.closed_by_peer());
  ASSERT_EQ(done_.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(handler_.drained);
  // New connections are refused once drained.
  client late(port_);
  EXPECT_FALSE(late.connected() && !late.closed_by_peer());
}

}  // namespace
}  // namespace samverka::gateway
