// The cluster fixture of the functional tests: a real redis-server on a free loopback port, two
// store nodes (each with its own data dir) and two gateways, all real `samverka serve` processes.
// Node "a" owns eksjo; node "b" owns savsjo and vetlanda. Shared by the cluster test files.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace samverka::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline constexpr const char* cluster_key = "test-cluster-key-0123456789abcdef0123456789";

// Polls `probe` until it holds or `bound` passes (bounds are far above the expected time).
inline bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds bound = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return probe();
}

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Sends one command to the Redis on the loopback `port` and returns its raw RESP reply (first
// read, 2 s bound); empty when nothing answers. For checks of what the cluster keeps in Redis.
inline std::string redis_command(int port, const std::vector<std::string>& args) {
  std::string wire = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) wire += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::write(fd, wire.data(), wire.size()) == static_cast<ssize_t>(wire.size())) {
    char buf[65536];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n > 0) reply.assign(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

// True when something accepts TCP connections on the loopback port and answers PING.
inline bool redis_answers(int port) {
  return redis_command(port, {"PING"}).starts_with("+PONG");
}

// A redis-server without persistence on a fixed port, so a restart comes back empty (the
// hardest case: everything must be rebuilt from the store nodes) unless a test asked for a
// snapshot (SAVE writes dump.rdb in its dir, which the next start loads).
class redis_process {
 public:
  redis_process(fs::path dir, int port) : dir_(std::move(dir)), port_(port) { start(); }
  ~redis_process() { stop(); }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      const std::string log = (dir_ / "redis.log").string();
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--dir",
             dir_.c_str(), "--save", "", "--appendonly", "no", "--logfile", log.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_TRUE(eventually([this] { return redis_answers(port_); }, 10s))
        << "redis-server did not start";
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  fs::path dir_;
  int port_;
  pid_t pid_ = -1;
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SAMVERKA_CLUSTER_KEY", cluster_key, 1);
    redis_ = std::make_unique<redis_process>(redis_dir_.path(), free_port());
    // Both nodes start from the demo platform; each keeps only the tenants it owns.
    copy_demo(node_a_dir_.path());
    copy_demo(node_b_dir_.path());
    for (const char* slug : {"savsjo", "vetlanda"})
      ASSERT_EQ(ctl(node_a_dir_.path(), {"tenant", "delete", slug, "--yes"}).exit_code, 0);
    ASSERT_EQ(ctl(node_b_dir_.path(), {"tenant", "delete", "eksjo", "--yes"}).exit_code, 0);
    start_store('a');
    start_store('b');
    gw1_ = start_gateway();
    gw2_ = start_gateway();
    for (auto* gw : {gw1_.get(), gw2_.get()})
      for (const char* slug : {"eksjo", "savsjo", "vetlanda"})
        ASSERT_TRUE(eventually([&] {
          return gw->get(std::string("/t/") + slug + "/api/v1/me").status == 401;
        })) << slug
            << " is not reachable through a gateway";
  }

  void start_store(char node) {
    auto& slot = node == 'a' ? node_a_ : node_b_;
    const auto& dir = node == 'a' ? node_a_dir_ : node_b_dir_;
    slot.reset();
    slot = std::make_unique<server>(
        dir.path(), std::vector<std::string>{"--redis", redis_->url(), "--role", "store",
                                             "--node-id", std::string("node-") + node});
  }
  std::unique_ptr<server> start_gateway() {
    return std::make_unique<server>(
        gw_dir_.path(), std::vector<std::string>{"--redis", redis_->url(), "--role", "gateway"});
  }

  temp_dir redis_dir_, node_a_dir_, node_b_dir_, gw_dir_;
  std::unique_ptr<redis_process> redis_;
  std::unique_ptr<server> node_a_, node_b_, gw1_, gw2_;
};

}  // namespace samverka::testing
