// samverkactl's cluster client without a cluster: how options are found, and that a missing key,
// a malformed URL and an unreachable Redis are refused with the right kind before anything else.
// (With a real Redis and store nodes it is exercised by functional_cluster_identity_test.)
#include "samverka/provisioning/cluster_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace samverka::provisioning {
namespace {

const std::string good_key(min_cluster_key_length, 'k');

// Restores an environment variable at scope exit.
class env_guard {
 public:
  explicit env_guard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
  }
  ~env_guard() {
    if (saved_)
      setenv(name_, saved_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

// A loopback port nothing listens on (bound, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST(ClusterOptions, FlagWinsOverEnvironmentAndNeitherIsSingleNode) {
  env_guard redis("SAMVERKA_REDIS"), key("SAMVERKA_CLUSTER_KEY");
  unsetenv("SAMVERKA_REDIS");
  setenv("SAMVERKA_CLUSTER_KEY", good_key.c_str(), 1);
  EXPECT_FALSE(cluster_options_from_env(""));
  auto o = cluster_options_from_env("redis://10.0.0.2:6379");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->redis_url, "redis://10.0.0.2:6379");
  EXPECT_EQ(o->cluster_key, good_key);
  setenv("SAMVERKA_REDIS", "redis://env:6379", 1);
  EXPECT_EQ(cluster_options_from_env("")->redis_url, "redis://env:6379");
  EXPECT_EQ(cluster_options_from_env("redis://flag:1")->redis_url, "redis://flag:1");
  unsetenv("SAMVERKA_CLUSTER_KEY");
  EXPECT_EQ(cluster_options_from_env("")->cluster_key, "");
}

TEST(ClusterClient, RefusesAShortKeyAndABadUrlBeforeConnecting) {
  const std::string url = "redis://127.0.0.1:" + std::to_string(closed_port());
  auto short_key = cluster_client::connect({url, "too-short"});
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.err().kind, errc::invalid_input);
  EXPECT_NE(short_key.err().message.find("SAMVERKA_CLUSTER_KEY"), std::string::npos);
  auto bad_url = cluster_client::connect({"http://not-redis", good_key});
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.err().kind, errc::invalid_input);
}

TEST(ClusterClient, UnreachableRedisIsUnavailable) {
  const std::string url = "redis://127.0.0.1:" + std::to_string(closed_port());
  auto c = cluster_client::connect({url, good_key});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().kind, errc::unavailable);
}

}  // namespace
}  // namespace samverka::provisioning
