// The client's address behind trusted reverse proxies (an Ingress controller, a load balancer):
// what login throttling counts per address and the request log shows.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"

namespace samverka::gateway {

// Networks whose X-Forwarded-For is believed. Empty (the default): the header is ignored and the
// peer address is the client, so nobody can pick their own address by sending the header.
class trusted_proxies {
 public:
  // Parses CIDR blocks or single addresses ("10.0.0.0/8", "fd00::/8", "127.0.0.1").
  static result<trusted_proxies> parse(const std::vector<std::string>& networks);

  bool empty() const { return nets_.empty(); }
  // `peer` unless it is a trusted proxy; then the rightmost X-Forwarded-For address that is not
  // itself a trusted proxy (the one the outermost trusted proxy saw). A missing or malformed
  // header leaves `peer`.
  std::string client(const std::string& peer, std::string_view forwarded_for) const;

 private:
  struct net {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 0;                        // in bits of the 128
  };
  bool trusted(std::string_view address) const;
  std::vector<net> nets_;
};

}  // namespace samverka::gateway
