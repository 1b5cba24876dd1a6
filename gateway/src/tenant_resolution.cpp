#include "tenant_resolution.hpp"

#include "samverka/core/slug.hpp"

namespace samverka::gateway {

std::string normalize_host(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    // IPv6 literal: "[::1]:8080" -> "[::1]".
    const auto close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(0, close + 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return ascii_lower(host);
}

namespace {

// The single DNS label in front of ".BASE" in `host`, or "" if `host` is not of that form.
std::string slug_from_host(std::string_view host_header, std::string_view base_domain) {
  const std::string host = normalize_host(host_header);
  std::string base = ascii_lower(base_domain);
  if (!base.empty() && base.back() == '.') base.pop_back();
  if (base.empty() || host.size() <= base.size() + 1) return {};
  const std::size_t dot = host.size() - base.size() - 1;
  if (host[dot] != '.' || host.compare(dot + 1, std::string::npos, base) != 0) return {};
  std::string label = host.substr(0, dot);
  if (label.find('.') != std::string::npos) return {};  // a.b.BASE is not a tenant host
  return label;
}

}  // namespace

tenant_address resolve_tenant(std::string_view host, std::string_view target,
                              std::string_view base_domain) {
  tenant_address out;
  std::string_view path = target;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    out.query = std::string(target.substr(q + 1));
  }
  constexpr std::string_view prefix = "/t/";
  if (path.starts_with(prefix)) {
    std::string_view rest = path.substr(prefix.size());
    const auto slash = rest.find('/');
    out.slug = std::string(rest.substr(0, slash));
    out.base_path = std::string(prefix) + out.slug;
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    return out;
  }
  out.slug = slug_from_host(host, base_domain);
  out.path = path.empty() ? "/" : std::string(path);
  return out;
}

}  // namespace samverka::gateway
