#include "client_address.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <algorithm>
#include <optional>

namespace samverka::gateway {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `a` as 16 bytes (IPv4 mapped into IPv6, so one comparison serves both).
std::array<std::uint8_t, 16> bytes_of(const ip::address& a) {
  if (a.is_v4()) return ip::make_address_v6(ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

std::optional<ip::address> address_of(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')  // "[::1]" as some proxies send
    text = text.substr(1, text.size() - 2);
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

}  // namespace

result<trusted_proxies> trusted_proxies::parse(const std::vector<std::string>& networks) {
  trusted_proxies out;
  for (const auto& text : networks) {
    const error bad(errc::invalid_input, "invalid_trusted_proxy",
                    "--trusted-proxy: '" + text + "' is not an address or CIDR block");
    const auto slash = text.find('/');
    const auto a = address_of(std::string_view(text).substr(0, slash));
    if (!a) return bad;
    int prefix = a->is_v4() ? 32 : 128;
    if (slash != std::string::npos) {
      boost::system::error_code ec;
      if (a->is_v4()) {
        const auto n = ip::make_network_v4(text, ec);
        if (ec) return bad;
        prefix = n.prefix_length();
      } else {
        const auto n = ip::make_network_v6(text, ec);
        if (ec) return bad;
        prefix = n.prefix_length();
      }
    }
    out.nets_.push_back({bytes_of(*a), a->is_v4() ? prefix + 96 : prefix});
  }
  return out;
}

bool trusted_proxies::trusted(std::string_view address) const {
  const auto a = address_of(address);
  if (!a) return false;
  const auto b = bytes_of(*a);
  for (const auto& n : nets_) {
    bool match = true;
    for (int bit = 0; bit < n.prefix && match; bit += 8) {
      const int take = std::min(8, n.prefix - bit);
      const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
      match = (b[bit / 8] & mask) == (n.bytes[bit / 8] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string trusted_proxies::client(const std::string& peer, std::string_view forwarded_for) const {
  if (nets_.empty() || forwarded_for.empty() || !trusted(peer)) return peer;
  // Walk from the right: each trusted hop appended the address it saw.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto item = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    const auto a = address_of(item);
    if (!a) return peer;  // malformed: believe nothing of it
    if (!trusted(item) || rest.empty()) return a->to_string();
  }
  return peer;
}

}  // namespace samverka::gateway
