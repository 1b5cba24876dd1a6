// Unit tests of the client address behind trusted reverse proxies.
#include "client_address.hpp"

#include <gtest/gtest.h>

namespace samverka::gateway {
namespace {

trusted_proxies parsed(std::vector<std::string> nets) {
  auto p = trusted_proxies::parse(nets);
  EXPECT_TRUE(p) << (p ? "" : p.err().message);
  return p ? std::move(*p) : trusted_proxies{};
}

TEST(client_address, without_trusted_proxies_the_header_is_ignored) {
  const auto none = parsed({});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.client("10.0.0.1", "203.0.113.5"), "10.0.0.1");
}

TEST(client_address, only_a_trusted_peer_is_believed) {
  const auto p = parsed({"10.0.0.0/8", "fd00::/8"});
  EXPECT_EQ(p.client("10.1.2.3", "203.0.113.5"), "203.0.113.5");
  EXPECT_EQ(p.client("fd12::1", "2001:db8::7"), "2001:db8::7");
  EXPECT_EQ(p.client("192.0.2.1", "203.0.113.5"), "192.0.2.1");  // not a proxy of ours
  EXPECT_EQ(p.client("10.1.2.3", ""), "10.1.2.3");
}

TEST(client_address, the_rightmost_untrusted_hop_counts) {
  const auto p = parsed({"10.0.0.0/8"});
  // A client-sent entry on the left is not believed; trusted hops on the right are skipped.
  EXPECT_EQ(p.client("10.0.0.1", "198.51.100.9, 203.0.113.5, 10.0.0.7"), "203.0.113.5");
  // Every hop trusted: the leftmost is the client.
  EXPECT_EQ(p.client("10.0.0.1", "10.0.0.5, 10.0.0.7"), "10.0.0.5");
  EXPECT_EQ(p.client("10.0.0.1", " [2001:db8::1] "), "2001:db8::1");
}

TEST(client_address, malformed_headers_leave_the_peer) {
  const auto p = parsed({"127.0.0.1"});
  EXPECT_EQ(p.client("127.0.0.1", "not-an-address"), "127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", "203.0.113.5, ,"), "127.0.0.1");
}

TEST(client_address, bad_networks_are_refused) {
  for (const std::string bad : {"10.0.0.0/33", "fd00::/129", "example.org", "10.0.0/8", ""})
    EXPECT_FALSE(trusted_proxies::parse({bad})) << bad;
  EXPECT_TRUE(trusted_proxies::parse({"::1", "0.0.0.0/0"}));
}

}  // namespace
}  // namespace samverka::gateway
